"""Builds privacy/data/binding_wordnet.json from WordNet 3.0 (run by hand; the output is committed):
the data that tells a person word that names no person ("king cobra", "a baby koala").

    apt-get install wordnet-base   # Debian's WordNet 3.0 database, /usr/share/wordnet
    PYTHONPATH=src python tools/build_binding_data.py [/usr/share/wordnet]

The lists, read by `privacy/binding.py`:

- `compounds`: WordNet's multiword nouns that hold a person noun of the default taxonomy and whose
  most frequent sense is a thing, place, time, text or amount ("king cobra", "emperor penguin",
  "daddy longlegs", "ladies' slipper", "man hour"), with the plural of the last word; never one
  whose first sense is a person or a group ("old man", "boy scout"), that ends in a person noun
  after an adjective or is a proper name ("poor boy", "Java man"; "gingerbread man", "sea urchin"
  join), whose last word is of a person ("old man's beard", "baby sitting") or that a person
  wears ("woman's hat");
- `object_heads`: common single nouns (wordfreq Zipf >= `MIN_ZIPF`, `MIN_ZIPF_LIVING` for an animal
  or plant) whose most frequent sense (or,
  after a name, an animal or plant sense: WordNet lists untagged senses in no order, "Hippo" the
  city before "hippo") is an animal, plant, artifact, food, natural object or substance; not what
  a person wears or carries (clothing, footwear, jewelry, glasses, a stick, a bag), no adverb
  ("backstage"), no first name (privacy/data/first_names.json: "Rose"), no place name, modal or
  function word, not used more as an adjective (WordNet's tagged counts), not ending in -ing or
  -ed: after a person noun they make it a modifier of a thing ("a baby koala", "a mother
  giraffe"); `also_verbs` lists those that are verbs too, read as objects only after a singular
  noun ("women fish in the river");
- `name_prefixes`: words that open at least `MIN_PREFIXED` of WordNet's proper nouns made with a
  first name of the default taxonomy whose first sense is a place or thing ("Lake Victoria",
  "Mount Logan", "Saint Bernard"): a first name after one names no person;
- `person_or_group_heads`: common nouns (Zipf >= `MIN_ZIPF`) whose first sense is a person or a
  group, with their plurals ("team", "choir", "club"): a possessive before one shows persons ("a
  women's soccer team");
- `depictions`: the object heads under an artifact sense of "representation", "sculpture" or
  "doll" ("photo", "statue", "figurine"): they may show the person named before them;
- `owned_heads`: the object heads and the things a person wears or carries, with their plurals
  (WordNet's irregular ones from noun.exc), but no depiction and no form that is also the plural
  of a body part, a person or a group ("arms"): after a possessive they name a thing that the
  possessor owns, and the picture need not show the possessor ("a gentleman's pocket watch",
  "men's leather shoes"; "a woman's hands", "a woman's portrait" show her);
- `worn_heads`: the common nouns under what a person wears or carries (`WORN`), with their plurals:
  "in a gold mask" after an unknown noun says that noun is a person ("a Mexican luchador in a gold
  mask");
- `body_heads`: common nouns whose first sense is a part of the body, with their plurals: after a
  possessive they show the possessor, even after a thing ("a woman's ring finger");
- `named_object_heads`: the animals and plants left out of the object heads for being first names
  too, and no verb ("rose", "lily", "iris", "mare"): their plural, which names no one, is an object
  head ("naked lady lilies");
- `animal_heads`: the object heads and named object heads whose most frequent sense is an animal
  ("dog", "retriever", "mare"): in a prompt that names no person, a subject pronoun or a
  possessive after one is the animal's ("my dog in a graduation cap, he finally passed");
- `likenesses`: things made in a person's likeness (under an artifact sense of `LIKENESSES`),
  whose first sense is that thing or a person, with their plurals: "statue", "figurine", "robot",
  "mannequin", "puppet"; a person noun in a likeness of one names no one ("a statue of an old
  fisherman", "a robot grandma");
- `not_nouns`: common words that WordNet lists as adjectives or adverbs only ("alone", "asleep",
  "together"): after a person noun they say something of the person;
- `present_verbs`: the present third-person singular of the common verbs (Zipf >= `MIN_ZIPF`, a
  verb sense tagged in WordNet's corpus at least once: "sits", "slices", "mends", "checks"): right
  after the singular person noun a modifier is read up to, one ends its phrase ("a young chef
  slices tuna", "an elderly teacher stands at the board");
- `gathering_heads`: common nouns whose first sense is a gathering of people (under a sense of
  `GATHERINGS`: ceremonies, festivities, parties, festivals, processions, musical groups,
  congregations, crowds, families, teams, crews, military units), with their plurals: a people's
  adjective before one describes the people there ("a Yoruba wedding", "a Tongan choir"); `gathering_groups`, those
  of them that are groups of people (`GATHERING_GROUPS`), show their people before another noun
  too ("a Filipino family karaoke night");
- `name_compounds`: multiword nouns holding a first name that name a thing, place or the like
  ("eggs Benedict", "Tom Collins", "Bloody Mary" the drink, "lazy Susan", "Ann Arbor"): a first name
  in one names no person.

WordNet's lexicographer files give each sense its kind (noun.person is file 18).
"""

from __future__ import annotations

import json
import re
import sys
from importlib import metadata
from pathlib import Path

DATA = Path(__file__).resolve().parent.parent / "src" / "obclip" / "privacy" / "data"
THINGS = {5: "animal", 6: "artifact", 13: "food", 17: "object", 20: "plant", 27: "substance"}
LIVING = {5, 20}
ANIMAL = 5  # noun.animal
# a compound may also be a place, a time, a text or an amount ("Isle of Man", "Mother's Day",
# "King James Bible", "man hour"); never a person, group, body part, act, state or quality
COMPOUND_KINDS = {*THINGS, 10, 15, 21, 23, 28}
# what a person wears or carries: after a person noun it describes the person ("girl school uniform")
WORN = (
    "clothing",
    "garment",
    "footwear",
    "headdress",
    "jewelry",
    "accessory",
    "cosmetic",
    "hairpiece",
    "costume",
    "uniform",
    "mask",
    "glasses",
    "wig",
    "stick",
    "bag",
    "umbrella",
)
MIN_ZIPF = 2.5
MIN_ZIPF_LIVING = 2.0  # animals and plants are named in prompts far more than in general text
MIN_LETTERS = 3
MODALS = frozenset({"can", "will", "may", "must", "might", "should", "would", "could", "shall"})
GROUP = 14  # noun.group
ACT = 4  # noun.act
_ACTIVITY = re.compile(r"[a-z]{3,}_[a-z]{3,}ing")
GROUPS = {GROUP, 18}  # noun.group, noun.person
BODY = 8  # noun.body
ARTIFACT = 6
MIN_PREFIXED = 4
DEPICTIONS = ("representation", "sculpture", "doll")
LIKENESSES = ("sculpture", "figurine", "waxwork", "doll", "mannequin", "automaton", "puppet", "scarecrow", "snowman")
# groups of people (lemma, sense number from 0): before a time they spend together they show
# their people ("a Filipino family karaoke night")
GATHERING_GROUPS = (
    ("musical_organization", 0),
    ("congregation", 0),
    ("crowd", 0),
    ("family", 0),
    ("team", 0),
    ("crew", 0),
    ("military_unit", 0),  # "a Maori battalion", "a Scottish regiment"
)
# a compound whose last word is one of these is a person noun before a preposition: "maiden over"
# (cricket) would make every "woman over sixty" a thing
_PREPOSITIONS = frozenset({"over", "under", "about", "around", "in", "on", "at", "off", "out", "up", "down", "by"})
# gatherings of people, those groups among them: a people's adjective before one describes the
# people in it ("a Yoruba wedding", "a Tongan choir")
GATHERINGS = (
    ("ceremony", 0),
    ("celebration", 1),
    ("social_gathering", 0),
    ("festival", 0),
    ("festival", 1),
    ("procession", 0),
    ("parade", 0),
    *GATHERING_GROUPS,
)
# lemmas of those senses that name something else in prompts ("a German mixer", "a Mexican combo
# plate", "a river levee", "a golf club", "he drove"), no gathering at all ("gridlock", "octave"),
# or a spread of food more than the people at it ("a Korean feast")
NOT_GATHERINGS = frozenset(
    {
        "armour",  # military units that are things, parts or plans in prompts ("Japanese armour")
        "battery",
        "company",
        "contingent",
        "van",
        "division",
        "echelon",
        "enemy",
        "reserves",
        "banquet",
        "club",
        "combo",
        "drove",
        "feast",
        "flock",
        "gaudy",
        "gridlock",
        "indie",
        "levee",
        "mixer",
        "octave",
        "rout",
        "sociable",
        "social",
        "strings",
        "swarm",
    }
)
# likenesses whose sense of one comes after other senses in WordNet ("bust", "dummy")
LIKENESSES_LATER = ("bust", "dummy", "effigy")
PERSON = 18
_ROMAN = re.compile(r"[ivxlc]+")
_LEMMA = re.compile(r"[a-z]+(?:['-][a-z]+)*")


def _index(path: Path) -> dict[str, list[int]]:
    """lemma -> its synset offsets, most frequent sense first."""
    index: dict[str, list[int]] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith(" "):
            continue  # the licence at the top
        fields = line.split()
        lemma, synsets, pointers = fields[0], int(fields[2]), int(fields[3])
        index[lemma] = [int(f) for f in fields[6 + pointers : 6 + pointers + synsets]]
    return index


def _counts(path: Path) -> dict[tuple[str, str], int]:
    """(lemma, part of speech: 1 noun, 2 verb, 3 and 5 adjective) -> how often its senses were tagged
    in WordNet's sense-tagged corpus (cntlist.rev)."""
    counts: dict[tuple[str, str], int] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        key, _, count = line.split()
        lemma, _, rest = key.partition("%")
        pos = "3" if rest[:1] == "5" else rest[:1]
        counts[lemma, pos] = counts.get((lemma, pos), 0) + int(count)
    return counts


def _synsets(path: Path) -> tuple[dict[int, int], dict[int, set[str]], dict[int, list[int]]]:
    """synset offset -> its lexicographer file number; -> its lemmas written capitalised (names:
    "Nile", "Fuji"); -> its hypernyms."""
    files, proper, hypernyms = {}, {}, {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if line[:1].isdigit():
            fields = line.split(" ")
            offset = int(fields[0])
            files[offset] = int(fields[1])
            count = int(fields[3], 16)
            proper[offset] = {w.lower() for w in fields[4 : 4 + 2 * count : 2] if w[:1].isupper()}
            at = 4 + 2 * count
            pointers = fields[at + 1 : at + 1 + 4 * int(fields[at])]
            hypernyms[offset] = [int(pointers[i + 1]) for i in range(0, len(pointers), 4) if pointers[i] in ("@", "@i")]
    return files, proper, hypernyms


def _under(offset: int, roots: set[int], hypernyms: dict[int, list[int]]) -> bool:
    seen, todo = set(), [offset]
    while todo:
        current = todo.pop()
        if current in roots:
            return True
        if current not in seen:
            seen.add(current)
            todo.extend(hypernyms.get(current, ()))
    return False


def _names(data: object) -> set[str]:
    """Every first name of the name data, lower case ("rose", "jasmine": never an object head)."""
    if isinstance(data, str):
        return {data.lower()}
    if isinstance(data, dict):
        return {n for key, value in data.items() if key not in ("description", "source") for n in _names(value)} | {
            key.lower() for key in data if key not in ("description", "source")
        }
    if isinstance(data, list):
        return {n for value in data for n in _names(value)}
    return set()


def _irregular_plurals(path: Path) -> dict[str, list[str]]:
    """lemma -> its irregular plurals, from WordNet's noun.exc ("foot" -> "feet")."""
    plurals: dict[str, list[str]] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        inflected, *lemmas = line.split()
        for lemma in lemmas:
            plurals.setdefault(lemma, []).append(inflected)
    return plurals


def _plural(word: str) -> str:
    if word.endswith("man"):
        return word[:-3] + "men"  # "gingerbread men", "water boatmen"
    if word.endswith(("s", "x", "z", "ch", "sh")):
        return word + "es"
    if word.endswith("y") and word[-2:-1] not in ("a", "e", "i", "o", "u"):
        return word[:-1] + "ies"
    return word + "s"


def _third_person(verb: str) -> str:
    """The present third-person singular of a regular verb ("sit" -> "sits", "carry" -> "carries")."""
    if verb in _IRREGULAR_THIRD:
        return _IRREGULAR_THIRD[verb]
    if verb.endswith(("s", "x", "z", "ch", "sh", "o")):
        return verb + "es"
    if verb.endswith("y") and verb[-2:-1] not in ("a", "e", "i", "o", "u"):
        return verb[:-1] + "ies"
    return verb + "s"


_IRREGULAR_THIRD = {"be": "is", "have": "has"}


def build(wordnet: Path) -> dict[str, object]:
    from wordfreq import zipf_frequency

    from obclip.privacy import default_taxonomy
    from obclip.privacy.binding import ALWAYS, binding
    from obclip.privacy.taxonomy import fold, surface_key
    from obclip.privacy.words import FUNCTION_WORDS

    taxonomy, rules = default_taxonomy(), binding()
    nouns = _index(wordnet / "index.noun")
    verbs = _index(wordnet / "index.verb")
    adverbs = _index(wordnet / "index.adv")
    adjectives = _index(wordnet / "index.adj")
    counts = _counts(wordnet / "cntlist.rev")
    names = _names(json.loads((DATA / "first_names.json").read_text(encoding="utf-8")))
    kinds, proper, hypernyms = _synsets(wordnet / "data.noun")
    worn = {offset for lemma in WORN for offset in nouns[lemma]}

    def person_noun(text: str) -> bool:
        """Holds a person noun (a word bound by the `always` rule: "king", "mother", "baby")."""
        for match in taxonomy.matcher.finditer(fold(text)):
            entry = taxonomy.lexicon[surface_key(match.group())]
            if not entry.is_pronoun and all(rules.rule(c) == ALWAYS for c in entry.categories):
                return True
        return False

    def adjective(word: str) -> bool:
        """An adjective more often than a noun (WordNet's tagged counts), or never a noun."""
        if word not in adjectives:
            return False
        return word not in nouns or counts.get((word, "3"), 0) > counts.get((word, "1"), 0)

    def first_name(word: str) -> bool:
        entry = taxonomy.lexicon.get(surface_key(fold(word)))
        return entry is not None and "first_name" in entry.categories

    def sensitive(word: str) -> bool:
        return any(True for _ in taxonomy.matcher.finditer(fold(word)))

    compounds: set[str] = set()
    heads: set[str] = set()
    worn_heads: set[str] = set()
    verbal: set[str] = set()
    named_heads: set[str] = set()
    animals: set[str] = set()
    for lemma, offsets in nouns.items():
        first = kinds[offsets[0]]
        words = lemma.replace("_", " ")
        if "_" in lemma or "-" in lemma:
            if first not in COMPOUND_KINDS or not _LEMMA.fullmatch(lemma.replace("_", "")):
                continue
            parts = re.split(r"[ -]", words)
            last = parts[-1]
            if not person_noun(words) or first_name(last):
                continue  # a name last stands for every name: "Gran Santiago" would free "Grandma Emma"
            if last in _PREPOSITIONS:
                continue  # the cricket "maiden over" would free every "woman over sixty"
            if person_noun(last):
                # a thing named by a noun before a person noun ("gingerbread man", "sea urchin", "water
                # boatman"); not after an adjective ("poor boy": read word by word, a person may be
                # meant) nor in a proper name of a people or place ("Java man", "Peking man")
                if len(parts) < 2 or adjective(parts[0]) or lemma in proper[offsets[0]]:
                    continue
            elif last.endswith("ing") or (last in nouns and kinds[nouns[last][0]] not in COMPOUND_KINDS):
                continue  # "old man's beard", "baby sitting", "child abuse": of a person
            if _under(offsets[0], worn, hypernyms):
                continue  # "woman's hat", "kid gloves": what a person wears
            compounds.add(words)
            if " " in words and not last.endswith("s"):
                compounds.add(words[: -len(last)] + _plural(last))
            continue
        common = [o for o in offsets if lemma not in proper[o]]
        if common and common[0] != offsets[0] and kinds[common[0]] not in LIVING:
            continue  # a name first ("Berlin", "Manhattan"); "hippo", after the city Hippo, is an animal
        if not common or kinds[common[0]] not in THINGS or not lemma.isalpha() or len(lemma) < MIN_LETTERS:
            continue  # a name only ("Nile"), or no thing
        if lemma.endswith(("ing", "ed")) or lemma in FUNCTION_WORDS or lemma in MODALS or sensitive(lemma):
            continue  # "can", "male"
        floor = MIN_ZIPF_LIVING if kinds[common[0]] in LIVING else MIN_ZIPF
        if zipf_frequency(lemma, "en") < floor or counts.get((lemma, "3"), 0) > counts.get((lemma, "1"), 0):
            continue  # rare, or an adjective more often ("mere")
        if kinds[common[0]] == ANIMAL:
            animals.add(lemma)  # "my dog ... he finally passed puppy school": a pronoun's animal
        if lemma in names:
            if kinds[common[0]] in LIVING and lemma not in verbs:
                named_heads.add(lemma)  # "Grandma Rose"; its plural names no one: "naked lady roses"
            continue
        if lemma in adverbs:
            continue  # "a girl backstage"
        if _under(common[0], worn, hypernyms):
            worn_heads.add(lemma)
            continue  # "a girl school uniform", "an old man cane": what a person wears or carries
        heads.add(lemma)
        if lemma in verbs:
            verbal.add(lemma)  # "women fish in the river": a verb after a plural
    given = {key for key, entry in taxonomy.lexicon.items() if "first_name" in entry.categories}
    prefixes = _name_prefixes(nouns, kinds, proper, given)
    named = _name_compounds(nouns, kinds, proper, given)
    # what shows someone: "a Mrs. Smith photo" shows a person, "a Mr. Clean bottle" does not
    shown = {o for lemma in DEPICTIONS for o in nouns[lemma] if kinds[o] == ARTIFACT}
    depictions = {h for h in heads if _under(nouns[h][0], shown, hypernyms)}
    # nouns whose first sense is a person or a group: "a women's soccer team" shows persons
    groups = {
        form
        for lemma, offsets in nouns.items()
        if lemma.isalpha() and kinds[offsets[0]] in GROUPS and zipf_frequency(lemma, "en") >= MIN_ZIPF
        for form in (lemma, _plural(lemma))
    }
    irregular = _irregular_plurals(wordnet / "noun.exc")
    owned = {
        form for lemma in (heads | worn_heads) - depictions for form in (lemma, *irregular.get(lemma, [_plural(lemma)]))
    }
    # a form that is also a body part's, a person's or a group's plural names no owned thing ("arms")
    shows = {BODY, *GROUPS}
    owned -= {
        form
        for lemma, offsets in nouns.items()
        if kinds[offsets[0]] in shows
        for form in (lemma, *irregular.get(lemma, [_plural(lemma)]))
    }
    # nouns whose first sense is a part of the body: "a woman's ring finger" shows her
    body = {
        form
        for lemma, offsets in nouns.items()
        if lemma.isalpha() and kinds[offsets[0]] == BODY and zipf_frequency(lemma, "en") >= MIN_ZIPF
        for form in (lemma, *irregular.get(lemma, [_plural(lemma)]))
    }
    # what is made in a person's likeness and is none: "a statue of an old fisherman", "a robot
    # grandma"; a word whose first sense is such a thing or a person ("mannequin"), never a
    # picture, which may show the user
    made = {o for lemma in LIKENESSES for o in nouns[lemma] if kinds[o] == ARTIFACT}
    likenesses = {
        form
        for lemma, offsets in nouns.items()
        if lemma.isalpha()
        and not lemma.endswith("ing")
        and kinds[offsets[0]] in (ARTIFACT, PERSON)
        and zipf_frequency(lemma, "en") >= MIN_ZIPF_LIVING
        and any(kinds[o] == ARTIFACT for o in offsets)
        and _under(next(o for o in offsets if kinds[o] == ARTIFACT), made, hypernyms)
        for form in (lemma, *irregular.get(lemma, [_plural(lemma)]))
    }
    likenesses |= {form for lemma in LIKENESSES_LATER for form in (lemma, _plural(lemma))}
    # words that are only adjectives or adverbs ("alone", "asleep", "together"): after a person
    # noun they say something of the person, never name a thing the noun modifies
    not_nouns = {
        lemma
        for lemma in {*adjectives, *adverbs}
        if lemma.isalpha() and lemma not in nouns and zipf_frequency(lemma, "en") >= MIN_ZIPF_LIVING
    }
    # gatherings of people ("wedding", "festival", "choir", "family"), their common names only
    gatherings = {nouns[lemma][n] for lemma, n in GATHERINGS}
    groups_of_people = {nouns[lemma][n] for lemma, n in GATHERING_GROUPS}
    gathering_heads, gathering_groups = set(), set()
    for lemma, offsets in nouns.items():
        if not lemma.isalpha() or lemma in proper[offsets[0]] or lemma in NOT_GATHERINGS:
            continue
        if zipf_frequency(lemma, "en") < MIN_ZIPF:
            continue
        # a group first and a gathering next is one too: "party" (a political party, a party)
        sense = offsets[1] if kinds[offsets[0]] == GROUP and len(offsets) > 1 else offsets[0]
        if _under(offsets[0], gatherings, hypernyms) or _under(sense, gatherings, hypernyms):
            plural = () if lemma.endswith("s") else irregular.get(lemma, [_plural(lemma)])
            forms = {lemma, *plural}
            gathering_heads |= forms
            if _under(offsets[0], groups_of_people, hypernyms):
                gathering_groups |= forms
    # verbs in the present ("a young chef slices tuna"): a verb sense tagged at least once
    present = {
        _third_person(lemma)
        for lemma in verbs
        if lemma.isalpha()
        and counts.get((lemma, "2"), 0) > 0
        and lemma not in MODALS
        and zipf_frequency(lemma, "en") >= MIN_ZIPF
    }
    # two-word activities in -ing ("square dancing", "ice skating", "fly fishing"): a person noun
    # right before one does it, whatever its first word names alone
    activities = {
        lemma.replace("_", " ")
        for lemma, offsets in nouns.items()
        if _ACTIVITY.fullmatch(lemma) and kinds[offsets[0]] == ACT
    }
    return {
        "description": "Person words that name no person, from WordNet: multiword nouns holding a person word "
        "whose most frequent sense is no person, and nouns that, right after a person noun, make it a "
        "modifier of an animal, plant, artifact, food, natural object or substance (docs/privacy.md, "
        "'Person-free text').",
        "source": f"WordNet 3.0 (Princeton University; Debian's wordnet-base) and wordfreq "
        f"{metadata.version('wordfreq')} (Zipf >= {MIN_ZIPF} for the heads), by tools/build_binding_data.py",
        "compounds": sorted(compounds),
        "object_heads": sorted(heads),
        "also_verbs": sorted(verbal),
        "name_prefixes": prefixes,
        "person_or_group_heads": sorted(groups),
        "depictions": sorted(depictions),
        "owned_heads": sorted(owned),
        "body_heads": sorted(body),
        "name_compounds": named,
        "named_object_heads": sorted(named_heads),
        "animal_heads": sorted(animals & (heads | named_heads)),
        "likenesses": sorted(likenesses),
        "not_nouns": sorted(not_nouns),
        "present_verbs": sorted(present),
        "compound_activities": sorted(activities),
        "gathering_heads": sorted(gathering_heads),
        "gathering_groups": sorted(gathering_groups),
        "worn_heads": sorted(form for lemma in worn_heads for form in (lemma, *irregular.get(lemma, [_plural(lemma)]))),
    }


def _name_prefixes(
    nouns: dict[str, list[int]], kinds: dict[int, int], proper: dict[int, set[str]], names: set[str]
) -> list[str]:
    """Words that, before a first name, make a proper name of a place or thing: the first word of at
    least `MIN_PREFIXED` two-word proper nouns of WordNet whose second word is a first name and
    whose first sense is a place, thing, time or text ("Lake Victoria", "Mount Logan", "San Diego",
    "Saint Bernard", "St. Louis"); no roman numeral ("I John") and no first name itself. `names`:
    the first names of the default taxonomy."""
    found: dict[str, set[str]] = {}
    for lemma, offsets in nouns.items():
        parts = lemma.split("_")
        if len(parts) != 2 or lemma not in proper[offsets[0]] or kinds[offsets[0]] not in COMPOUND_KINDS:
            continue
        first = parts[0].removesuffix(".")
        if parts[1] in names and first not in names and not _ROMAN.fullmatch(first):
            found.setdefault(first, set()).add(parts[1])
    return sorted(word for word, named in found.items() if len(named) >= MIN_PREFIXED)


def _name_compounds(
    nouns: dict[str, list[int]], kinds: dict[int, int], proper: dict[int, set[str]], names: set[str]
) -> list[str]:
    """WordNet's multiword nouns of two to four words that hold a first name and name a thing, place,
    time, text or amount by their most frequent sense, or a food, artifact, plant or animal by any
    ("eggs Benedict", "Tom Collins", "lazy Susan", "Ann Arbor"; "Bloody Mary", whose first sense is
    the queen, for the drink; a name's possessive also without its "'s": "Venus flytrap"), with the
    plural of the last word of a common one ("tom collinses"): a first name in one is no person.
    `names`: the first names of the default taxonomy."""
    found: set[str] = set()
    for lemma, offsets in nouns.items():
        # a name's possessive is written without its "'s" as often ("Venus's flytrap": "Venus flytrap")
        bare = re.sub(r"'s(?=_)", "", lemma)
        words = re.split(r"[_-]", bare)
        if not 2 <= len(words) <= 4 or not _LEMMA.fullmatch(bare.replace("_", "")):
            continue
        if not any(w in names for w in words):
            continue
        first = kinds[offsets[0]]
        if first not in COMPOUND_KINDS and not any(kinds[o] in THINGS for o in offsets):
            continue
        phrase = bare.replace("_", " ")
        found.update({phrase, lemma.replace("_", " ")})
        if lemma not in proper[offsets[0]] and not words[-1].endswith("s"):
            found.add(phrase[: -len(words[-1])] + _plural(words[-1]))
    return sorted(found)


def main(wordnet: str = "/usr/share/wordnet") -> None:
    data = build(Path(wordnet))
    (DATA / "binding_wordnet.json").write_text(json.dumps(data, ensure_ascii=False, indent=0) + "\n", "utf-8")
    print(
        f"binding_wordnet.json: {len(data['compounds'])} compounds, {len(data['object_heads'])} object heads, "  # type: ignore[arg-type]
        f"name prefixes {data['name_prefixes']}"
    )


if __name__ == "__main__":
    main(*sys.argv[1:])
