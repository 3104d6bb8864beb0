"""Builds obclip's generated privacy data files from maintained packages (run by hand; the output
is committed): privacy/data/english_words.json from `wordfreq`, privacy/data/first_names.json
from `gender-guesser`'s name dictionary (Jörg Michael's nam_dict.txt, GNU FDL), and
privacy/data/roles.json (gendered -woman/-man role words) from `wordfreq`.

    apt-get download wamerican && dpkg-deb -x wamerican_*.deb /tmp/wamerican
    PYTHONPATH=src python tools/build_privacy_data.py /tmp/wamerican/usr/share/dict/american-english
    PYTHONPATH=src python tools/build_privacy_data.py --roles

The dictionary (Debian's `wamerican`, SCOWL) tells a name that is also a common English word
("rose", "will", "mark": written in lower case there) from a name only ("Jose", "Jamal").
"""

from __future__ import annotations

import json
import math
import re
import sys
from importlib import metadata, resources
from pathlib import Path

DATA = Path(__file__).resolve().parent.parent / "src" / "obclip" / "privacy" / "data"
ENGLISH_SIZE = 40_000
_WORD = re.compile(r"[a-z]+(?:['-][a-z]+)*")

# gender_guesser's country columns, in file order (its detector.py lists the same)
COUNTRIES = [
    "great_britain",
    "ireland",
    "usa",
    "italy",
    "malta",
    "portugal",
    "spain",
    "france",
    "belgium",
    "luxembourg",
    "the_netherlands",
    "east_frisia",
    "germany",
    "austria",
    "swiss",
    "iceland",
    "denmark",
    "norway",
    "sweden",
    "finland",
    "estonia",
    "latvia",
    "lithuania",
    "poland",
    "czech_republic",
    "slovakia",
    "hungary",
    "romania",
    "bulgaria",
    "bosniaand",
    "croatia",
    "kosovo",
    "macedonia",
    "montenegro",
    "serbia",
    "slovenia",
    "albania",
    "greece",
    "russia",
    "belarus",
    "moldova",
    "ukraine",
    "armenia",
    "azerbaijan",
    "georgia",
    "the_stans",
    "turkey",
    "arabia",
    "israel",
    "china",
    "india",
    "japan",
    "korea",
    "vietnam",
    "other_countries",
]


def english_words(dictionary: Path) -> dict[str, object]:
    """wordfreq's most frequent English words that an English dictionary lists too (wordfreq reads
    the web, where "une" and "avec" are frequent)."""
    from wordfreq import top_n_list

    listed = {w.lower() for w in dictionary.read_text(encoding="utf-8").split()}
    words = [w for w in top_n_list("en", ENGLISH_SIZE * 3) if _WORD.fullmatch(w) and w in listed][:ENGLISH_SIZE]
    return {
        "description": f"The {len(words)} most frequent English words (lower case, letters only), "
        "for the look-alike-letter guard, the typo guard and the language check of obclip's detection.",
        "source": f"wordfreq {metadata.version('wordfreq')} top_n_list('en') within Debian's wamerican "
        "dictionary, by tools/build_privacy_data.py",
        "words": sorted(words),
    }


def first_names(common: frozenset[str], english: frozenset[str] = frozenset()) -> dict[str, object]:
    """Names whose usual gender is clear (>= 95 % of their weight one way), with the countries
    where they are most used; names that are also common English words ("Rose", "Will") are left
    out (they are read only after a title: "Grandma Rose"); those of them in `english` (common
    English words, not taxonomy words) are listed apart as ``word_names``, for that use only."""
    import gender_guesser

    path = resources.files(gender_guesser).joinpath("data/nam_dict.txt")
    weights: dict[str, dict[str, float]] = {}
    where: dict[str, dict[str, float]] = {}
    # fixed-width columns counted in bytes: read as Latin-1, then decode each name from UTF-8
    for line in path.read_text(encoding="latin-1").splitlines():
        if line.startswith("#") or len(line) < 31:
            continue
        code, name = line[:2].strip(), line[3:29].strip().encode("latin-1").decode("utf-8", "replace")
        if code not in ("M", "1M", "?M", "F", "1F", "?F") or not re.fullmatch(r"[^\W\d_]+(?:-[^\W\d_]+)?", name):
            continue
        gender = "male" if code.endswith("M") else "female"
        strength = {"": 1.0, "1": 0.8, "?": 0.5}[code[:-1]]
        columns = line[30 : 30 + len(COUNTRIES)]
        for country, mark in zip(COUNTRIES, columns, strict=False):
            if mark in "123456789ABCD":
                value = int(mark, 16)
                w = strength * 2.0**value
                weights.setdefault(name, {}).setdefault(gender, 0.0)
                weights[name][gender] += w
                where.setdefault(name, {}).setdefault(country, 0.0)
                where[name][country] += 2.0**value
    result: dict[str, dict[str, list[str]]] = {"female": {}, "male": {}}
    word_names: dict[str, dict[str, list[str]]] = {"female": {}, "male": {}}
    popularity: dict[str, float] = {}
    for name, by_gender in weights.items():
        total = sum(by_gender.values())
        gender, top = max(by_gender.items(), key=lambda kv: kv[1])
        if top / total < 0.95 or math.log2(total) < 3:
            continue
        countries = sorted(where[name].items(), key=lambda kv: -kv[1])[:3]
        if name.lower() in english and len(name) >= 3:
            word_names[gender][name] = [c for c, _ in countries]
            popularity[name] = total
        if name.lower() in common:
            continue
        result[gender][name] = [c for c, _ in countries]
    return {
        "description": "First names with their usual gender (>= 95 %) and the countries where each is most "
        "used; names that are common English words are left out (docs/privacy.md, 'Names'), and listed apart "
        "as word_names (most given first), read only after a kin word or title ('Grandma Rose').",
        "source": f"gender-guesser {metadata.version('gender-guesser')} data/nam_dict.txt (Jörg Michael, "
        "GNU FDL), by tools/build_privacy_data.py",
        "names": {g: dict(sorted(n.items())) for g, n in result.items()},
        # most given first: they are paired in this order (privacy/keep.py)
        "word_names": {
            g: dict(sorted(n.items(), key=lambda kv: (-popularity[kv[0]], kv[0]))) for g, n in word_names.items()
        },
    }


ROLE_VOCABULARY = 500_000
ROLE_MIN_ZIPF = 1.0
# comic-book and film characters are names, not roles ("Batman" is no male "Batwoman"); "Freeman"
# is mostly a surname and "charman" no word in use
ROLE_CHARACTERS = frozenset({"bat", "cat", "super", "spider", "wonder", "ant", "he", "iron", "free", "char"})


def role_pairs() -> dict[str, object]:
    """Gendered role words built as compounds: every English word "<stem>woman" whose "<stem>man"
    is an English word too (wordfreq's vocabulary, both at least `ROLE_MIN_ZIPF`), with the plurals
    "<stem>women"/"<stem>men": washerwoman/washerman, stuntwoman/stuntman, forewoman/foreman.
    The default taxonomy adds those it does not hold yet as gender categories."""
    from wordfreq import top_n_list, zipf_frequency

    from obclip.privacy.taxonomy import parse_taxonomy

    raw = json.loads((DATA / "default_taxonomy.json").read_text(encoding="utf-8"))
    known = set(parse_taxonomy(raw).lexicon)
    vocabulary = top_n_list("en", ROLE_VOCABULARY)
    words = set(vocabulary)
    pairs = []
    for word in vocabulary:
        if not (word.isalpha() and word.endswith("woman") and len(word) > len("woman") + 2):
            continue
        stem = word[: -len("woman")]
        male = stem + "man"
        if male not in words or stem in ROLE_CHARACTERS or word in known or male in known:
            continue
        if min(zipf_frequency(word, "en"), zipf_frequency(male, "en")) < ROLE_MIN_ZIPF:
            continue
        pairs.append([word, male, stem + "women", stem + "men"])
    return {
        "description": "Gendered role words made as -woman/-man compounds (female, male, their plurals) that the "
        "default taxonomy does not list by hand; each pair is one gender category (docs/privacy.md, 'Role words').",
        "source": f"wordfreq {metadata.version('wordfreq')} top_n_list('en', {ROLE_VOCABULARY}), zipf >= "
        f"{ROLE_MIN_ZIPF}, by tools/build_privacy_data.py --roles",
        "pairs": sorted(pairs),
    }


def main(dictionary: str) -> None:
    english = english_words(Path(dictionary))
    (DATA / "english_words.json").write_text(json.dumps(english, ensure_ascii=False, indent=0) + "\n", "utf-8")
    from obclip.privacy.taxonomy import OPT_IN, default_taxonomy
    from obclip.privacy.words import FUNCTION_WORDS

    # a name after a title that is a taxonomy or function word would not be read as a name there
    plain = _common_words(Path(dictionary), taxonomy=False) - set(default_taxonomy(OPT_IN).lexicon) - FUNCTION_WORDS
    names = first_names(_common_words(Path(dictionary)), plain)
    (DATA / "first_names.json").write_text(json.dumps(names, ensure_ascii=False, indent=0) + "\n", "utf-8")
    print({g: len(n) for g, n in names["names"].items()}, len(english["words"]))


def _common_words(dictionary: Path, *, taxonomy: bool = True) -> frozenset[str]:
    """Words frequent enough in English that, capitalised at a sentence start, they may not be
    names, and (with `taxonomy`) the words the taxonomy already owns."""
    from wordfreq import zipf_frequency

    from obclip.privacy.taxonomy import parse_taxonomy

    # taxonomy words are taken too: the taxonomy's own names and every other sensitive word (read
    # from the file itself: the default taxonomy as loaded holds the generated names already)
    raw = json.loads((DATA / "default_taxonomy.json").read_text(encoding="utf-8"))
    words = set(parse_taxonomy(raw, opt_in=("religion",)).lexicon) if taxonomy else set()
    for w in dictionary.read_text(encoding="utf-8").split():
        if w.isalpha() and w.islower() and zipf_frequency(w, "en") >= 3.0:
            words.add(w)
    return frozenset(words)


if __name__ == "__main__":
    if sys.argv[1:] == ["--roles"]:
        roles = role_pairs()
        (DATA / "roles.json").write_text(json.dumps(roles, ensure_ascii=False, indent=0) + "\n", "utf-8")
        print(len(roles["pairs"]), "role pairs")
    else:
        main(sys.argv[1])
