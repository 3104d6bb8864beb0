"""Builds privacy/data/known_persons.json from WordNet 3.0 (run by hand; the output is committed):
the full names of persons a reader knows ("Julius Caesar", "Joan of Arc", "Mother Teresa"), each
with the gender value of the first name it holds.

    apt-get download wordnet-base && dpkg-deb -x wordnet-base_*.deb /tmp/wordnet
    PYTHONPATH=src python tools/build_known_persons.py /tmp/wordnet/usr/share/wordnet

Kept: a multiword lemma written with a capital, whose first noun sense is an instance of a person
(lexicographer file noun.person, an instance hypernym pointer: "Francis of Assisi", "Elvis
Presley"; not "El Nino", a weather pattern first), that opens with a first name of the default
taxonomy, and whose capitalised words hold first names of that one gender value only ("Joan of
Arc": Joan, female). A name of one word is left out: most are first names of anyone too ("Mary",
"John"); so is one that opens with a title ("Saint George", "Queen Victoria"): the title is
varied with its name, and a decoy's title and name may make another known person ("King James");
and so is a painter, illustrator, photographer, sculptor, writer, architect, designer or film
maker (`STYLE_MAKERS`), named in prompts as a style far more than as whom the picture shows ("a boy
and his dog, Norman Rockwell painting").

Such a name tells its person's gender whatever the rest of the prompt says: a decoy that keeps the
surname and changes the first name ("Janice Caesar in the senate") fools no reader. Detection sends
the name as written and reads it as a strong cue of its value (`keep.known_person_spans`;
docs/privacy.md, 'Known persons').
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

from build_binding_data import _index, _under  # tools/: the same WordNet reading

from obclip.privacy.taxonomy import default_taxonomy, surface_key

DATA = Path(__file__).resolve().parent.parent / "src" / "obclip" / "privacy" / "data"
PERSON = 18  # noun.person
# persons named as a style, not as whom the picture shows ("a boy and his dog, Norman Rockwell
# painting", "Hans Holbein the Younger style"): instances under these are left out
STYLE_MAKERS = (
    "painter",
    "illustrator",
    "photographer",
    "sculptor",
    "cartoonist",
    "architect",
    "writer",
    "film_maker",
    "designer",
    "engraver",
    "printmaker",
    "old_master",
)
_MARKER = re.compile(r"\(.*\)$")  # "Caesar(a)": a syntactic marker, not written


def build(wordnet: Path) -> dict[str, object]:
    taxonomy = default_taxonomy()

    def name_value(word: str) -> str | None:
        entry = taxonomy.lexicon.get(surface_key(word))
        return entry.value if entry is not None and "first_name" in entry.categories else None

    senses = _index(wordnet / "index.noun")
    lines = [line.split(" ") for line in (wordnet / "data.noun").read_text(encoding="utf-8").splitlines()]
    up: dict[int, list[int]] = {}
    for fields in lines:
        if fields[0][:1].isdigit():
            at = 4 + 2 * int(fields[3], 16)
            pointers = fields[at + 1 : at + 1 + 4 * int(fields[at])]
            hypernyms = [int(pointers[i + 1]) for i in range(0, len(pointers), 4) if pointers[i] in ("@", "@i")]
            up[int(fields[0])] = hypernyms
    makers = {offset for word in STYLE_MAKERS for offset in senses[word]}
    names: dict[str, str] = {}
    for fields in lines:
        if not fields[0][:1].isdigit():
            continue
        offset, lexfile, count = int(fields[0]), int(fields[1]), int(fields[3], 16)
        if lexfile != PERSON:
            continue
        at = 4 + 2 * count
        pointers = fields[at + 1 : at + 1 + 4 * int(fields[at])]
        if not any(pointers[i] == "@i" for i in range(0, len(pointers), 4)):
            continue  # a kind of person, not a person
        if _under(offset, makers, up):
            continue  # named for a style more than shown
        for lemma in (_MARKER.sub("", w) for w in fields[4:at:2]):
            if "_" not in lemma or not lemma[:1].isupper() or senses.get(lemma.lower(), [None])[0] != offset:
                continue
            words = lemma.split("_")
            values = {name_value(w) for w in words if w[:1].isupper()} - {None}
            if len(values) == 1 and name_value(words[0]) in values:
                names[" ".join(words).lower()] = values.pop()
    return {
        "description": "Full names of persons a reader knows, from WordNet: multiword instances of a person "
        "whose first sense that is, opening with a first name and holding first names of one gender value, "
        "with that value "
        "(tools/build_known_persons.py; docs/privacy.md, 'Known persons').",
        "source": "Princeton WordNet 3.0 (Debian wordnet-base; WordNet 3.0 licence, Princeton University), "
        "first names of the default taxonomy",
        "names": dict(sorted(names.items())),
    }


def main(wordnet: str = "/usr/share/wordnet") -> None:
    data = build(Path(wordnet))
    (DATA / "known_persons.json").write_text(json.dumps(data, ensure_ascii=False, indent=0) + "\n", "utf-8")
    print(f"known_persons.json: {len(data['names'])} names")  # type: ignore[arg-type]


if __name__ == "__main__":
    main(*sys.argv[1:])
