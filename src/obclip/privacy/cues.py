"""The cue table: words sent in clear that imply a value of a sensitive attribute (beard -> male),
with a strength, the neutral forms that replace them, and where they occur in a template.

Matching reads a template's fixed text, folded, with the taxonomy's word matcher (whole words,
any spacing inside a phrase), so a cue is found exactly where detection would find a word.
"""

from __future__ import annotations

import bisect
import functools
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from importlib import resources
from typing import Any

from obclip.errors import TaxonomyError
from obclip.privacy.binding import animal_heads, binding, object_heads, worn_heads
from obclip.privacy.keep import known_person_spans, pair_of
from obclip.privacy.taxonomy import Matcher, countries_data, fold, surface_key
from obclip.privacy.template import Slot, Template
from obclip.privacy.words import FUNCTION_WORDS, unaccented

CUES_FORMAT = "obclip-cues/1"
NEUTRAL_FORMAT = "obclip-neutral/1"
STRENGTHS = ("strong", "weak")
SLOT_MARK = "\x00"
"""Stands for a slot in the fixed text that cues are read from (no cue spans one)."""

KNOWN_PERSON = "known person: "
"""The key of a cue that is a known person's full name (`keep.known_person_spans`)."""
# a cue bound to a person: punctuation and "and" end the phrase it most likely describes
_SEGMENT_BREAK = re.compile(r"[,;.!?|()\[\]{}\n]|\band\b|\bwhile\b|\bnext to\b|\bbeside\b")


@dataclass(frozen=True)
class Implication:
    """What one cue implies: `attribute` takes one of `values`, with `strength`."""

    attribute: str
    values: frozenset[str]
    strength: str


@dataclass(frozen=True)
class CueHit:
    """One cue found in a template's fixed text.

    Args:
        word: the text as it is sent.
        start, end: its span in the fixed text (slots marked by `SLOT_MARK`).
        implications: what it implies (one cue may imply several attributes: "geisha").
        person: the person it most likely describes (nearest slot in its phrase), None when the
            template has no slot.
        key: its table entry (folded).
    """

    word: str
    start: int
    end: int
    implications: tuple[Implication, ...]
    person: int | None
    key: str
    slot: bool = False
    """What a slot's form category implies ("grandmother/grandfather" -> old), not a word in clear."""

    @property
    def strong(self) -> bool:
        return any(i.strength == "strong" for i in self.implications)


@dataclass(frozen=True)
class CueTable:
    """The loaded table: cue keys and their implications, the neutral forms, and the matchers."""

    implications: dict[str, tuple[Implication, ...]]
    categories: dict[str, tuple[Implication, ...]]
    name_countries: dict[str, Implication]
    """What a kept first name's pair says, by the country both names share (`keep.pair_of`)."""
    neutral: dict[str, str]
    modifiers: frozenset[str]
    """Words dropped with a cue that heads its phrase ("a long beard")."""
    links: frozenset[str]
    """Linking words dropped with it ("with a beard")."""
    matcher: Matcher
    symbols: tuple[str, ...]
    things: frozenset[str] = frozenset()
    """Place cues that WordNet also knows as an animal or a thing ("turkey", "manila", "jodhpurs"):
    a cue only when capitalised ("carving the turkey" names no country)."""


def fixed_text(template: Template) -> str:
    """The template's text with every slot replaced by `SLOT_MARK` (the same for every member)."""
    return "".join(part if isinstance(part, str) else SLOT_MARK for part in template.parts)


def plural(phrase: str) -> str:
    """The plural of a phrase's last word by the regular English rules (dress -> dresses)."""
    if phrase.endswith(("s", "x", "z", "ch", "sh")):
        return phrase + "es"
    if len(phrase) > 1 and phrase.endswith("y") and phrase[-2] not in "aeiou":
        return phrase[:-1] + "ies"
    return phrase + "s"


def _variants(word: str) -> set[str]:
    """The forms of one table word that are matched: as written, plural, and hyphen/space swaps."""
    key = surface_key(word)
    forms = {key}
    last = key.split(" ")[-1]
    regular = not last.endswith(("ed", "ing", "'s", "s")) or last.endswith("ss")  # "braces" is one already
    if last[-1:].isalpha() and regular:
        forms.add(plural(key))
    for form in list(forms):
        if " " in form:
            forms.add(form.replace(" ", "-"))
        if "-" in form:
            forms.add(form.replace("-", " "))
    return forms


def _compounds(word: str, suffixes: Sequence[str]) -> set[str]:
    """The hyphenated modifiers made from a one-word cue ("hanbok-inspired", "kimono-style")."""
    key = surface_key(word)
    if not key.isalpha():
        return set()
    return {f"{key}-{suffix}" for suffix in suffixes}


@functools.cache
def cue_table() -> CueTable:
    """The packaged cue table (`privacy/data/cues.json`, country names from `countries.json`,
    neutral forms from `neutral.json`), cached."""
    data_dir = resources.files("obclip.privacy").joinpath("data")
    cues = json.loads(data_dir.joinpath("cues.json").read_text(encoding="utf-8"))
    return build_cue_table(cues, neutral_data(), countries_data())


def build_cue_table(cues: Any, neutral: Any, countries: Sequence[Mapping[str, Any]] = ()) -> CueTable:
    """Validate the decoded cue and neutral tables and build their lookups.

    Raises:
        TaxonomyError: naming the entry at fault.
    """
    if not isinstance(cues, dict) or cues.get("format") != CUES_FORMAT:
        raise TaxonomyError(f'cue table: "format" must be "{CUES_FORMAT}"')
    if not isinstance(neutral, dict) or neutral.get("format") != NEUTRAL_FORMAT:
        raise TaxonomyError(f'neutral table: "format" must be "{NEUTRAL_FORMAT}"')
    found: dict[str, dict[tuple[str, str], set[str]]] = {}
    suffixes = tuple(neutral.get("compound_suffixes", ()))
    for position, entry in enumerate(cues.get("cues", [])):
        attribute, values, strength = entry.get("attribute"), entry.get("values"), entry.get("strength")
        if not isinstance(attribute, str) or not isinstance(values, list) or not values or strength not in STRENGTHS:
            raise TaxonomyError(f"cue table: entry #{position} needs an attribute, values and a strength")
        for word in entry.get("words", []):
            if not isinstance(word, str) or not word.strip():
                raise TaxonomyError(f"cue table: entry #{position} has an empty word")
            for form in {*_variants(word), *_compounds(word, suffixes)}:
                found.setdefault(form, {}).setdefault((attribute, strength), set()).update(values)
    places = [(c.get("country"), c.get("value")) for c in countries]
    cities = cues.get("places", {}).get("cities", {})
    if not isinstance(cities, dict):
        raise TaxonomyError("cue table: places.cities must map a city to an ethnicity value")
    nouns = animal_heads() | object_heads() | worn_heads()
    things: set[str] = set()
    for place, value in [*places, *cities.items()]:  # a country or a large city: weak, its demonym's value
        if isinstance(place, str) and place and isinstance(value, str) and value:
            found.setdefault(surface_key(place), {}).setdefault(("ethnicity", "weak"), set()).add(value)
            things |= {form for form in _variants(place.lower()) if form in nouns}
    implications: dict[str, tuple[Implication, ...]] = {}
    for key, by_attribute in found.items():
        merged: dict[str, Implication] = {}
        for (attribute, strength), values in sorted(by_attribute.items(), key=lambda kv: kv[0][1] != "strong"):
            if attribute in merged:  # strong and weak for one attribute: the strong entry speaks
                continue
            merged[attribute] = Implication(attribute, frozenset(values), strength)
        implications[key] = tuple(merged.values())
    blockers = {form for word in cues.get("not_cues", []) for form in _variants(word)}
    table_neutral: dict[str, str] = {}
    for word, form in neutral.get("neutral", {}).items():
        if not isinstance(form, str):
            raise TaxonomyError(f"neutral table: the form of {word!r} must be a string")
        for variant in _variants(word):
            table_neutral.setdefault(variant, form)
    for compound in {c for w in found for c in _compounds(w, suffixes)} & found.keys():
        table_neutral[compound] = ""  # dropped alone: "a hanbok-inspired jacket" -> "a jacket"
    categories: dict[str, tuple[Implication, ...]] = {}
    for category, entries in cues.get("categories", {}).items():
        for entry in entries if isinstance(entries, list) else [entries]:  # one implication or several
            if not isinstance(entry, dict) or entry.get("strength") not in STRENGTHS or not entry.get("values"):
                raise TaxonomyError(f"cue table: category {category!r} needs an attribute, values and a strength")
            implication = Implication(entry["attribute"], frozenset(entry["values"]), entry["strength"])
            categories[category] = (*categories.get(category, ()), implication)
    name_countries = {}
    for country, entry in cues.get("name_countries", {}).get("countries", {}).items():
        if not isinstance(entry, list) or not entry or not all(isinstance(v, str) for v in entry):
            raise TaxonomyError(f"cue table: name country {country!r} needs a list of ethnicity values")
        name_countries[country] = Implication("ethnicity", frozenset(entry), "weak")
    words = {k for k in implications if re.match(r"\w", k)}
    symbols = tuple(sorted((k for k in implications if not re.match(r"\w", k)), key=len, reverse=True))
    return CueTable(
        implications=implications,
        categories=categories,
        name_countries=name_countries,
        neutral=table_neutral,
        modifiers=frozenset(neutral.get("modifiers", ())),
        links=frozenset(neutral.get("links", ())),
        matcher=Matcher({**dict.fromkeys(words), **dict.fromkeys(blockers - words)}),
        symbols=symbols,
        things=frozenset(surface_key(t) for t in things),
    )


def find_cues(template: Template) -> tuple[CueHit, ...]:
    """Every cue in the fixed text of `template`, left to right, each bound to a person.

    A function of the template alone (never of the user's values), so every member of a
    candidate set finds the same cues.
    """
    table = cue_table()
    text = fixed_text(template)
    folded = fold(text)
    slots = _slot_positions(template, text)
    breaks = [m.start() for m in _SEGMENT_BREAK.finditer(text)]
    hits: list[CueHit] = []
    # on the text without accents too ("mixëd-race", "birâcial"), one character for one
    plain = unaccented(folded)
    spans = [(m.start(), m.end()) for m in table.matcher.finditer(folded)]
    if plain != folded:
        spans = sorted(set(spans) | {(m.start(), m.end()) for m in table.matcher.finditer(plain)})
    for symbol in table.symbols:
        start = folded.find(symbol)
        while start >= 0:
            spans.append((start, start + len(symbol)))
            start = folded.find(symbol, start + len(symbol))
    for start, end in sorted(spans):
        key = " ".join(folded[start:end].split())
        if key not in table.implications:
            key = " ".join(plain[start:end].split())
        if key not in table.implications:
            continue  # a phrase that holds a cue but is none ("dress shirt")
        if key in table.things and text[start : start + 1].islower():
            continue  # "carving the turkey", "a manila envelope": no country, no city
        hits.append(
            CueHit(
                word=text[start:end],
                start=start,
                end=end,
                implications=table.implications[key],
                person=_bind(text, start, end, slots, breaks),
                key=key,
            )
        )
    named = next((a.name for a in template.taxonomy.attributes if "first_name" in a.categories), "")
    blocked = [(s, e) for s, e in spans if " ".join(folded[s:e].split()) not in table.implications]
    for start, end, value in known_person_spans(template.taxonomy, folded):  # none without first names
        if any(s <= start and end <= e for s, e in blocked):
            continue  # "a Shirley Temple mocktail": a drink (`not_cues`)
        # a known person's full name, sent as written: its first name's gender ("Julius Caesar")
        implication = Implication(named, frozenset({value}), "strong")
        key = KNOWN_PERSON + " ".join(folded[start:end].split())
        hits.append(CueHit(text[start:end], start, end, (implication,), _bind(text, start, end, slots, breaks), key))
    offset = 0
    for part in template.parts:
        if isinstance(part, Slot) and part.attribute is not None and part.category in table.categories:
            hits.append(
                CueHit(
                    word=_slot_text(template, part),
                    start=offset,
                    end=offset + 1,
                    implications=table.categories[part.category],
                    person=template.attributes[part.attribute].person,
                    key=part.category,
                    slot=True,
                )
            )
        elif isinstance(part, Slot) and part.attribute is not None and part.form:
            hit = _name_hit(template, part, offset, table)
            if hit is not None:
                hits.append(hit)
        if isinstance(part, Slot) and part.attribute is not None:
            hits.extend(_child_modifier_hits(template, part, text, offset))
            noun = _child_noun_hit(template, part, text, offset)
            if noun is not None:  # in place of a table cue of the same word ("kids")
                hits = [h for h in hits if (h.start, h.end) != (noun.start, noun.end)] + [noun]
        offset += len(part) if isinstance(part, str) else 1
    return tuple(sorted(hits, key=lambda h: h.start))


# words of a noun phrase read past between a child modifier and its noun ("a young Muslim boy")
_CHILD_SKIP = 2
_WORD_BEFORE = re.compile(r"([^\W\d_][\w'’-]*)([ \t]+)$")
# a word in its own weight's brackets right before: "(little:1.2) girl", "((young)) boy"
_WEIGHTED_BEFORE = re.compile(r"[(\[{]+([^\W\d_][\w'’-]*)(?::[ \t]*\d+(?:\.\d+)?)?[)\]}]+[ \t]+$")
_WORD_AFTER = re.compile(r"[ \t]+([^\W\d_][\w'’-]*)(?![\w'’-])")
_SLOT_BEFORE = re.compile(rf"{SLOT_MARK}[ \t]+$")
_YOUNG = "young"
_SLOT_TAG_BEFORE = re.compile(rf"{SLOT_MARK}[ \t]*,[ \t]*$")
_TAG_OPENS = re.compile(r"(?:^|,)[ \t]*$")
_SLOT_AFTER = re.compile(rf"[ \t]+{SLOT_MARK}")
_NOUN_BEFORE_AGE = re.compile(r"(?<![\w'’-])([^\W\d_][\w'’-]*)[ \t]*,[ \t]*$")
_AGE_SLOT_AFTER = re.compile(rf"[ \t]*,[ \t]*{SLOT_MARK}")
# a child noun before its person's noun, the age after a comma or in brackets ("teen {boy}, {16}",
# "teen {girl} ({16})", "my baby {nephew}, {9 months}") or before it ("my {2 year old}, toddler
# {girl}"): a modifier of that noun
_MODIFIER_BEFORE_AGE = re.compile(rf"(?<![\w'’-])([^\W\d_][\w'’-]*)[ \t]+({SLOT_MARK})[ \t]*[,(][ \t]*$")
_MODIFIER_AFTER_AGE = re.compile(rf"[ \t]*,[ \t]*([^\W\d_][\w'’-]*)[ \t]+({SLOT_MARK})")
_PERSON_SLOT_NEXT = re.compile(rf"[ \t]+{SLOT_MARK}")
# a tag of one word right before a child noun's slot tag ("child, {toddler}"), and that slot after it
_TAG_BEFORE_TAG = re.compile(r"(?:^|,)[ \t]*([^\W\d_][\w'’-]*)[ \t]*,[ \t]*$")
_CHILD_TAG_AFTER = re.compile(rf"[ \t]*,[ \t]*({SLOT_MARK})[ \t]*(?:,|$)")
_CHILD_NOUN_SLOTS = frozenset({"child_noun"})
_NEAR = 64  # how far back those look: a word, spaces and a comma (a 100 kB prompt stays fast)
_CHILD_AGE = Implication("age", frozenset({"young"}), "weak")


@functools.cache
def neutral_data() -> dict[str, Any]:
    """The decoded `data/neutral.json`, read once: what the default policy sends in place of a cue."""
    data: dict[str, Any] = json.loads(
        resources.files("obclip.privacy").joinpath("data/neutral.json").read_text(encoding="utf-8")
    )
    return data


def _child_modifier_data() -> dict[str, Any]:
    return neutral_data().get("child_modifiers", {})


@functools.cache
def child_modifiers() -> tuple[frozenset[str], frozenset[str]]:
    """(words, extra slot categories) of `neutral.json`'s ``child_modifiers``: words before a
    person noun only a child can be ("a little girl") that tell the child's age beyond the noun."""
    entry = _child_modifier_data()
    return frozenset(surface_key(w) for w in entry.get("words", ())), frozenset(entry.get("categories", ()))


def child_nouns_after(template: Template) -> frozenset[str]:
    """The child nouns that the default policy drops after a child's written age ("a 3-year-old
    toddler"): every form, of every value, of the ``nouns_after`` categories of a child attribute."""
    return _child_nouns_after(template.taxonomy)


@functools.lru_cache(maxsize=8)
def _child_nouns_after(taxonomy: Any) -> frozenset[str]:
    wanted = frozenset(_child_modifier_data().get("nouns_after", {}).get("nouns", ()))
    children = binding().child_attributes
    # and the adult ages' own child nouns ("1girl, child, 5 years old": "child" is kept as written)
    return frozenset(
        key
        for key, entry in taxonomy.lexicon.items()
        if entry.categories & wanted
        and (taxonomy.attributes[entry.attribute].name in children or entry.value == _YOUNG)
    )


def child_noun_form(template: Template, hit: CueHit) -> str | None:
    """What the default policy sends for `hit` when it is a child noun right after a child's written
    age (`child_nouns_after`): "" (dropped) after an age that reads as a noun alone ("a
    6-month-old crawling"), the ``sent_as`` word of its number after one that does not ("a newborn
    baby" -> "a newborn child"), or before a comma and the age, the ``sent_as`` word of
    `nouns_before` ("a teenager, 15 years old" -> "a child, 15 years old"), "" for a tag alone ("1boy,
    kid, 4 years old"); None when `hit` is no such noun."""
    if hit.slot or hit.key not in child_nouns_after(template):
        return None
    text = fixed_text(template)
    entry = template.taxonomy.lexicon[hit.key]
    if _PERSON_SLOT_NEXT.match(text, hit.end):
        return ""  # a modifier of the person's noun ("teen boy, 16" -> "boy, 16"): the noun says the rest
    after = _CHILD_TAG_AFTER.match(text, hit.end)
    if (
        after is not None
        and _TAG_OPENS.search(text, 0, hit.start) is not None
        and _slot_at(template, text, after.start(1)).category in _CHILD_NOUN_SLOTS
    ):
        return ""  # a tag alone before a child's noun tag ("1boy, solo, child, toddler"): that tag says it
    age = _SLOT_BEFORE.search(text, 0, hit.start)
    if age is None:
        if _age_slot_after(template, text, hit.end) is None:
            return None
        if (
            _TAG_OPENS.search(text, 0, hit.start) is not None
            and not _child_tag_before(template, text, hit.start)
            and _named_otherwise(template, hit.person)
        ):
            return ""  # a tag alone ("1girl, child, 5 years old"): the age tag says it all
        # ... but where no other word names that child ("toddler, 2 years old, playing"), the age
        # alone would be nobody's: sent as the ``sent_as`` child noun ("child, 2 years old")
        before = _child_modifier_data().get("nouns_before", {}).get("sent_as", {})
        return next((form for category, form in before.items() if category in entry.categories), None)
    slot = _slot_at(template, text, age.start())
    forms = _child_modifier_data().get("nouns_after", {}).get("sent_as", {}).get(slot.category, {})
    return next((form for category, form in forms.items() if category in entry.categories), "")


def _named_otherwise(template: Template, person: int | None) -> bool:
    """Whether a slot other than a child's age names `person` ("1girl" of "1girl, child, 5 years old")."""
    children = binding().child_attributes
    return any(
        isinstance(part, Slot)
        and part.attribute is not None
        and template.attributes[part.attribute].person == person
        and template.attributes[part.attribute].kind not in children
        for part in template.parts
    )


def _child_tag_before(template: Template, text: str, start: int) -> bool:
    """Whether the tag before the one at `start` is a child's slot ("baby, infant, 6 months"):
    without the noun between, the age would read as that child's, and the set would change."""
    before = _SLOT_TAG_BEFORE.search(text, 0, start)
    if before is None:
        return False
    slot = _slot_at(template, text, before.start())
    return slot.attribute is not None and template.attributes[slot.attribute].kind in binding().child_attributes


def _child_noun_hit(template: Template, slot: Slot, text: str, offset: int) -> CueHit | None:
    """A child noun right after a child's written age of the same person ("a 6-month-old infant"),
    or right before a comma and that age ("a teenager, 15 years old"), which detection keeps as
    written: a cue of age, bound to the age's person."""
    assert slot.attribute is not None
    attribute = template.attributes[slot.attribute]
    if attribute.kind not in binding().child_attributes:
        return None
    data = _child_modifier_data()

    def same_person(modified: re.Match[str] | None) -> re.Match[str] | None:
        if modified is None:
            return None
        noun = _slot_at(template, text, modified.start(2))
        return (
            modified
            if noun.attribute is not None and template.attributes[noun.attribute].person == attribute.person
            else None
        )

    near = max(0, offset - _NEAR)
    after = slot.category in data.get("nouns_after", {}).get("categories", ())
    before = slot.category in data.get("nouns_before", {}).get("categories", ())
    found = None
    if slot.category in _CHILD_NOUN_SLOTS and _TAG_OPENS.search(text, near, offset) is not None:
        found = _TAG_BEFORE_TAG.search(text, near, offset)  # "1boy, solo, child, toddler": "child" alone
    elif not (after or before):
        return None
    if found is None and after:
        found = _WORD_AFTER.match(text, offset + 1) or same_person(_MODIFIER_AFTER_AGE.match(text, offset + 1))
    if found is None and before:  # an age of both ("baby, 1 year old": a tag of its own after the noun)
        found = _NOUN_BEFORE_AGE.search(text, 0, offset) or same_person(_MODIFIER_BEFORE_AGE.search(text, near, offset))
    if found is None:
        return None
    key = unaccented(surface_key(found.group(1)))
    if key not in child_nouns_after(template):
        return None
    start, stop = found.span(1)
    return CueHit(text[start:stop], start, stop, (_CHILD_AGE,), attribute.person, key)


def _age_slot_after(template: Template, text: str, end: int) -> Slot | None:
    """The child's age slot (of a ``nouns_before`` category) right after text[:end], a comma
    between: "a teenager, {age}"."""
    found = _AGE_SLOT_AFTER.match(text, end)
    if found is None:
        return None
    slot = _slot_at(template, text, found.end() - 1)
    categories = _child_modifier_data().get("nouns_before", {}).get("categories", ())
    if slot.attribute is None or slot.category not in categories:
        return None
    return slot if template.attributes[slot.attribute].kind in binding().child_attributes else None


def child_only_slot(template: Template, slot: Slot) -> bool:
    """Whether `slot` names a person only a child can be (a child attribute, a child category of
    binding.json's agreement, or one of ``child_modifiers``' extra categories: "girl", "son")."""
    if slot.attribute is None:
        return False
    kind = template.attributes[slot.attribute].kind
    rules = binding()
    return (
        kind in rules.child_attributes
        or slot.category in rules.child_categories.get(kind, frozenset())
        or slot.category in child_modifiers()[1]
    )


def modifies_a_child(template: Template, hit: CueHit) -> bool:
    """Whether the cue `hit` states a child's age right before a slot only a child can be, of the
    person it speaks of ("two high school girls", "a kindergarten boy"): like a child modifier
    ("a little girl") it narrows the age beyond the noun, and is sent as its neutral form even
    where the set varies nothing."""
    children = binding().child_attributes
    if hit.slot or not any(i.attribute in children and i.strength == "strong" for i in hit.implications):
        return False
    text = fixed_text(template)
    after = _SLOT_AFTER.match(text, hit.end)
    if after is None:
        return False
    slot = _slot_at(template, text, after.end() - 1)
    return child_only_slot(template, slot) and template.attributes[slot.attribute or 0].person == hit.person


def _child_modifier_hits(template: Template, slot: Slot, text: str, offset: int) -> list[CueHit]:
    """The child modifiers written right before a slot only a child can be ("a tiny little
    girl"): cues of age, bound to that slot's person. Reads the slot's category, never a value."""
    assert slot.attribute is not None
    words = child_modifiers()[0]
    attribute = template.attributes[slot.attribute]
    if not child_only_slot(template, slot):
        return []
    hits: list[CueHit] = []
    end, skipped = offset, 0
    while True:
        marked = _SLOT_BEFORE.search(text, 0, end)
        if marked is not None:  # another slot of the phrase ("a little Indian girl")
            end = marked.start()
            continue
        weighted = _WEIGHTED_BEFORE.search(text, 0, end)
        if weighted is not None and unaccented(surface_key(weighted.group(1))) in words:
            # "a (young:1.2) girl": the word with its brackets and weight, sent as nothing together
            start, stop = weighted.start(), weighted.end() - len(weighted.group()) + len(weighted.group().rstrip())
            key = unaccented(surface_key(weighted.group(1)))
            hits.append(CueHit(text[start:stop], start, stop, (_CHILD_AGE,), attribute.person, key))
            end, skipped = start, 0
            continue
        found = _WORD_BEFORE.search(text, 0, end)
        key = unaccented(surface_key(found.group(1))) if found is not None else ""
        if found is not None and key not in words and key not in FUNCTION_WORDS and skipped < _CHILD_SKIP:
            end, skipped = found.start(1), skipped + 1  # another word of the phrase ("a young Muslim boy")
            continue
        if found is None or key not in words:
            return hits
        start, stop = found.span(1)
        hits.append(CueHit(text[start:stop], start, stop, (_CHILD_AGE,), attribute.person, key))
        end, skipped = start, 0


def _name_hit(template: Template, slot: Slot, offset: int, table: CueTable) -> CueHit | None:
    """A kept first name's pair ("Priya/Arjun") as a cue of the ethnicity of its country: every
    candidate sends one of the two names, and both are most given in that country."""
    assert slot.attribute is not None
    spec = template.taxonomy.attribute(template.attributes[slot.attribute].kind)
    pair = pair_of(template.taxonomy, spec, slot.form)
    if pair is None or pair[1] not in table.name_countries:
        return None
    names, country = pair
    return CueHit(
        word="/".join(names.values()),
        start=offset,
        end=offset + 1,
        implications=(table.name_countries[country],),
        person=template.attributes[slot.attribute].person,
        key=f"name:{country}",
        slot=True,
    )


def _slot_at(template: Template, text: str, mark: int) -> Slot:
    """The slot whose mark is at text[mark] in the template's fixed text."""
    return [p for p in template.parts if isinstance(p, Slot)][text.count(SLOT_MARK, 0, mark)]


def _slot_text(template: Template, slot: Slot) -> str:
    """A slot's forms over its value space, e.g. ``grandmother/grandfather`` (public)."""
    assert slot.attribute is not None
    spec = template.taxonomy.attribute(template.attributes[slot.attribute].kind)
    return "/".join(spec.canonical(v, slot.category) for v in template.attributes[slot.attribute].values)


def _slot_positions(template: Template, text: str) -> list[tuple[int, int]]:
    """(offset in the fixed text, person) of every slot that belongs to a person's attribute."""
    result = []
    offset = 0
    for part in template.parts:
        if isinstance(part, str):
            offset += len(part)
            continue
        if isinstance(part, Slot) and part.attribute is not None:
            result.append((offset, template.attributes[part.attribute].person))
        offset += 1
    return result


def _bind(text: str, start: int, end: int, slots: list[tuple[int, int]], breaks: list[int]) -> int | None:
    """The person a cue describes: the nearest slot before it in its phrase ("a man with a beard"),
    else the nearest after it there ("a bearded man"), else the nearest before or after at all.
    `slots` are (offset, person) in text order, `breaks` the offsets where phrases end."""
    if not slots:
        return None
    low = breaks[bisect.bisect_left(breaks, start) - 1] if bisect.bisect_left(breaks, start) else -1
    after_break = bisect.bisect_left(breaks, end)
    high = breaks[after_break] if after_break < len(breaks) else len(text)
    positions = [pos for pos, _ in slots]
    first_after = bisect.bisect_left(positions, end)
    last_before = bisect.bisect_left(positions, start) - 1
    if last_before >= 0 and positions[last_before] > low:
        return slots[last_before][1]
    if first_after < len(slots) and positions[first_after] < high:
        return slots[first_after][1]
    return slots[last_before][1] if last_before >= 0 else slots[first_after][1]
