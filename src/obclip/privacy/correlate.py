"""Anonymity: how many candidates no word sent in clear rules out (under the cue table), and the
policy applied before anything is sent (generalise a cue, by default, or keep it and fix what it reveals).

Every figure here is a function of the public candidate set (template and candidates), so any
member of the set yields the same anonymity, the same revealed words and the same refusal.
"""

from __future__ import annotations

import functools
import math
import re
from dataclasses import dataclass, fields, replace
from typing import Any

from obclip.errors import InvalidInputError
from obclip.privacy.cues import (
    SLOT_MARK,
    CueHit,
    child_modifiers,
    child_noun_form,
    child_nouns_after,
    cue_table,
    find_cues,
    fixed_text,
    modifies_a_child,
    neutral_data,
)
from obclip.privacy.cues import plural as cue_plural
from obclip.privacy.detect import detect
from obclip.privacy.expand import HARD_CAP, NOTHING_HIDDEN, CandidateSet, _shuffle, expand, read_back_cap
from obclip.privacy.keep import parse_number, render_form
from obclip.privacy.language import ONLY_ENGLISH
from obclip.privacy.taxonomy import Taxonomy, fold, surface_key
from obclip.privacy.template import Attribute, Slot, Template
from obclip.privacy.words import (
    DETERMINERS,
    FUNCTION_WORDS,
    POSSESSIVES,
    indefinite_article,
    is_person_noun,
    unaccented,
)


@dataclass(frozen=True)
class Revealed:
    """A word sent in clear and what it reveals about one person's attribute.

    Args:
        word: the word as sent (a slot's template text for what a slot's category implies).
        attribute: the attribute it speaks about, e.g. ``"gender"``.
        values: the values it points to (within that person's value space when the set has one).
        strength: ``"strong"`` (nearly always) or ``"weak"`` (often).
        person: the person it is read as describing; None without any person.
        varied: whether the set varies that attribute of that person (only then does the word
            rule candidates out).
    """

    word: str
    attribute: str
    values: tuple[str, ...]
    strength: str
    person: int | None
    varied: bool

    def public_dict(self) -> dict[str, Any]:
        return {
            "word": self.word,
            "attribute": self.attribute,
            "values": list(self.values),
            "strength": self.strength,
            "person": self.person,
            "varied": self.varied,
        }


def revealed(cset: CandidateSet) -> tuple[Revealed, ...]:
    """Every cue in the set's fixed text with what it reveals, in text order."""
    return tuple(r for hit in find_cues(cset.template) for r in _reveals(cset, hit))


def _reveals(cset: CandidateSet, hit: CueHit) -> list[Revealed]:
    result = []
    for implication in hit.implications:
        person = _speaks_of(cset, hit, implication.attribute)
        attributes = [a for a in cset.attributes if a.person == person and a.kind == implication.attribute]
        if attributes:
            space = attributes[0].values
            values = tuple(v for v in space if v in implication.values)
            if not values or len(values) == len(space):
                continue  # says nothing within this value space
            varied = any(a.name not in cset.fixed for a in attributes)
        elif hit.slot:
            continue  # what a slot's category implies, about an attribute the set does not have
        else:
            values = tuple(sorted(implication.values))
            varied = False
        result.append(Revealed(hit.word, implication.attribute, values, implication.strength, person, varied))
    return result


def _speaks_of(cset: CandidateSet, hit: CueHit, kind: str) -> int | None:
    """The person a cue speaks of about attribute `kind`: the person it is bound to, unless that
    one has no such attribute and another has: then the nearest of those in the text ("man,
    elderly, beard": detection reads "elderly" as its own person, yet the beard is the man's). A
    reader of the text can apply the cue to anyone, so the anonymity must too."""
    if hit.slot or any(a.person == hit.person and a.kind == kind for a in cset.attributes):
        return hit.person
    having = {a.person for a in cset.attributes if a.kind == kind}
    if not having:
        return hit.person
    offset = 0
    distance: dict[int, int] = {}
    for part in cset.template.parts:
        if isinstance(part, Slot) and part.attribute is not None:
            person = cset.template.attributes[part.attribute].person
            if person in having:
                gap = hit.start - offset if offset < hit.start else offset - hit.end
                distance[person] = min(distance.get(person, gap), gap)
        offset += len(part) if isinstance(part, str) else 1
    return min(distance, key=lambda p: (distance[p], p))


def assignments(cset: CandidateSet) -> tuple[tuple[str, ...], ...]:
    """Each candidate's attribute values (in `cset.attributes` order), in wire order.

    Read off the candidates with the template (the cloud can do the same); a candidate the
    template's parser cannot read is detected again instead.
    """
    template = cset.template
    parser = _parser(template)
    result = []
    for candidate in cset.candidates:
        values = _parse(template, parser, candidate)
        if values is None:
            again = detect(candidate, template.taxonomy).true_values
            assert again is not None
            values = again
        result.append(values)
    return tuple(result)


def _parser(template: Template) -> tuple[re.Pattern[str], list[tuple[int, dict[str, str]]]]:
    pattern = []
    groups: list[tuple[int, dict[str, str]]] = []
    for part in template.parts:
        if isinstance(part, str):
            pattern.append(re.escape(part))
        elif part.attribute is None:
            pattern.append("(?:[Aa]n?)")
        else:
            attribute = template.attributes[part.attribute]
            spec = template.taxonomy.attribute(attribute.kind)
            # each value as the slot renders it: under its form key ("in her 50s" in the row of the
            # user's decade), else canonically
            said = {v: render_form(template.taxonomy, spec, v, part.category, part.form) for v in attribute.values}
            forms = {_capitalised(word, part): v for v, word in said.items()}
            alternatives = "|".join(re.escape(f) for f in sorted(forms, key=len, reverse=True))
            pattern.append(f"(?P<s{len(groups)}>{alternatives})")
            groups.append((part.attribute, forms))
    return re.compile("".join(pattern)), groups


def _parse(template: Template, parser: Any, candidate: str) -> tuple[str, ...] | None:
    pattern, groups = parser
    match = pattern.fullmatch(candidate)
    if match is None:
        return None
    values: list[str | None] = [None] * len(template.attributes)
    for number, (attribute, forms) in enumerate(groups):
        value = forms[match.group(f"s{number}")]
        if values[attribute] not in (None, value):
            return None
        values[attribute] = value
    if any(v is None for v in values):
        return None
    read = tuple(v for v in values if v is not None)
    return read if template.render(read) == candidate else None


def _capitalised(word: str, slot: Slot) -> str:
    return word[:1].upper() + word[1:] if slot.capitalize else word


def anonymity(cset: CandidateSet) -> int:
    """How many candidates the words in clear leave as likely as the best: the candidates that
    break the fewest strong, then the fewest weak implications (all of them, when the cues agree
    with each other). 1 for a set of one; N when no cue speaks about a varied attribute."""
    return _anonymity(cset, revealed(cset), assignments(cset))


def _anonymity(cset: CandidateSet, found: tuple[Revealed, ...], rows: tuple[tuple[str, ...], ...]) -> int:
    checks = []
    for r in found:
        if not r.varied:
            continue
        positions = [i for i, a in enumerate(cset.attributes) if a.person == r.person and a.kind == r.attribute]
        checks.append((positions, set(r.values), r.strength == "strong"))
    if not checks:
        return len(cset.candidates)
    scores = []
    for row in rows:
        strong = weak = 0
        for positions, values, is_strong in checks:
            if any(row[i] not in values for i in positions):
                strong += is_strong
                weak += not is_strong
        scores.append((strong, weak))
    best = min(scores)
    return sum(1 for s in scores if s == best)


# ---------------------------------------------------------------------------------------------
# the policy

GENERALIZE = "generalize"
"""Send a cue of a varied attribute as its neutral form and keep varying the attribute."""
KEEP_CUES = "keep-cues"
"""Send every cue as written and fix the attribute a strong cue reveals to the user's value."""
POLICIES = (GENERALIZE, KEEP_CUES)
DEFAULT_POLICY = GENERALIZE
"""The policy when none is asked for (docs/privacy.md, "The policy": why generalising)."""


def resolve_policy(policy: str | None = None, generalize: bool | None = None) -> str:
    """The policy a request asks for: `policy` (one of `POLICIES`), or the older boolean
    `generalize` (True: ``"generalize"``, False: ``"keep-cues"``), else `DEFAULT_POLICY`.

    Raises:
        InvalidInputError: an unknown policy, or a `generalize` that contradicts `policy`.
    """
    if policy is not None and policy not in POLICIES:
        raise InvalidInputError(f"policy must be one of {', '.join(POLICIES)}, got {policy!r}")
    if generalize is None:
        return policy or DEFAULT_POLICY
    if not isinstance(generalize, bool):
        raise InvalidInputError(f"generalize must be true or false, got {generalize!r}")
    asked = GENERALIZE if generalize else KEEP_CUES
    if policy is not None and policy != asked:
        raise InvalidInputError(f"policy {policy!r} contradicts generalize={generalize}")
    return asked


def apply_policy(
    cset: CandidateSet,
    *,
    policy: str | None = None,
    generalize: bool | None = None,
    max_candidates: int | None = None,
    seed: int | None = None,
) -> CandidateSet:
    """The set to send for `cset` (as `build_candidate_set` made it, with the same budget and
    seed) under `policy` (`resolve_policy`; `generalize` is its older boolean spelling).

    ``"generalize"`` (the default): every cue of a varied attribute that has a neutral form is
    sent as that form, the attribute stays varied and `device_prompt` keeps the user's full
    prompt for the device. Then, under either policy, an attribute that a strong cue still in
    clear reveals is not varied (fixed to the user's value, as a budget fixes one, so every
    member still yields this set): ``"keep-cues"`` does only this. The notice names every word
    that reveals something, and the anonymity."""
    base = cset
    if resolve_policy(policy, generalize) == GENERALIZE:
        # until nothing is left to send otherwise: a child noun sent as its adult noun ("a
        # 20-year-old girl at the prom" -> "a 20-year-old woman at the prom") makes the age varied,
        # and so the cue of age that its members send as "dance" is generalisable only then
        for _ in range(_GENERALIZE_PASSES):
            again = _generalized(cset, max_candidates, seed)
            if again is None or again.candidates == cset.candidates:
                break
            cset = again
    to_fix = _strongly_revealed(cset)
    if to_fix - set(cset.fixed):
        cset = _fix(cset, to_fix, max_candidates, seed)
    cset = _keep_device_side(cset, base)
    return replace(cset, notice=policy_notice(cset, max_candidates=max_candidates))


_GENERALIZE_PASSES = 3


def _strongly_revealed(cset: CandidateSet) -> set[str]:
    """Names of the attributes that a strong cue reveals (varied in `cset` or fixed by its budget:
    a wider re-expansion must not vary them either)."""
    names = set()
    for r in revealed(cset):
        if r.strength == "strong":
            names |= {a.name for a in cset.attributes if a.person == r.person and a.kind == r.attribute}
    return names


def _fix(cset: CandidateSet, names: set[str], budget: int | None, seed: int | None) -> CandidateSet:
    if budget is None:  # the full product: keep the members that share the user's values
        return _filtered(cset, cset.attributes, assignments(cset)[cset.true_index], names, seed)
    template = detect(cset.true_prompt, cset.template.taxonomy)
    assert template.true_values is not None
    factor = math.prod(len(a.values) for a in template.attributes if a.name in names)
    # no wider than a read-back can check in time: the set sent is a part of it
    wider = expand(
        template, max_candidates=min(budget * factor, HARD_CAP, max(budget, read_back_cap(template))), seed=seed
    )
    result = _filtered(wider, template.attributes, template.true_values, names, seed)
    if len(result) > budget:
        exact = expand(template, max_candidates=budget, seed=seed)
        result = _filtered(exact, template.attributes, template.true_values, names, seed)
    return result


def _filtered(
    cset: CandidateSet, attributes: tuple[Attribute, ...], values: tuple[str, ...], names: set[str], seed: int | None
) -> CandidateSet:
    mine = {i: values[i] for i, a in enumerate(attributes) if a.name in names}
    rows = zip(cset.candidates, assignments(cset), strict=True)
    kept = [c for c, row in rows if all(row[i] == v for i, v in mine.items())]
    order = _shuffle(tuple(sorted(kept)), seed)
    fixed = tuple(a.name for a in attributes if a.name in names or a.name in cset.fixed)
    return replace(cset, candidates=order, true_index=order.index(cset.true_prompt), fixed=fixed)


def _keep_device_side(cset: CandidateSet, base: CandidateSet) -> CandidateSet:
    """The device finishes with the user's prompt, and tells how it was read: carry both over a
    re-expansion (a set expanded again from a generalised or fixed template has neither, and
    without its reading warnings a prompt with a cue would lose its "only English is read" line
    that every other member of its set keeps)."""
    if "device_prompt" not in {f.name for f in fields(CandidateSet)}:
        return cset
    own = base.device_prompt or base.true_prompt
    device_prompt = own if own != cset.true_prompt else base.device_prompt
    return replace(cset, device_prompt=device_prompt, warnings=base.warnings)


_NEXT_WORD = re.compile(rf"\s+({SLOT_MARK}|\w[\w'’-]*)")
_LAST_WORD = re.compile(r"(\w[\w'’-]*)(\s*)$")
# a length of time before a cue it measures: "34 weeks", "eight-months", "7 months"
_MEASURE_BEFORE = re.compile(r"(?<![\w'’-])(\d{1,2}|[a-z]+)[ \t-]+(?:weeks?|months?)[ \t-]+$", re.IGNORECASE)
_COPULAS = frozenset(
    {"is", "was", "are", "were", "be", "been", "being", "looks", "look", "looking", "seems", "seem", "seemed"}
    | {"appears", "appear", "feels", "feel", "became", "becomes", "become", "gets", "get", "got", "getting"}
)
"""A cue after one of these is said of the person ("she is pregnant"): dropping it would leave
"she is,", so such a cue is kept (and fixes what it reveals, told)."""
_TAKES_ARTICLE = frozenset({"in", "wearing", "with", "at", "for", "during", "holding"})
"""A bare cue after one of these becomes a neutral form with an article ("in lederhosen")."""
_WALK_BACK = 3
"""Words before a dropped head that are its modifiers when an article or link comes before them."""


@functools.cache
def _neutral_grammar() -> tuple[frozenset[str], frozenset[str]]:
    """(cue words that are adjectives, neutral forms that take no article), from `neutral.json`."""
    data = neutral_data()
    return frozenset(data.get("adjectives", ())) | child_modifiers()[0], frozenset(data.get("mass", ()))


@functools.cache
def _degree_adverbs() -> frozenset[str]:
    """Adverbs of degree dropped with the adjective cue they modify (`neutral.json`)."""
    return frozenset(neutral_data().get("degree_adverbs", ()))


@functools.cache
def _person_nouns() -> frozenset[str]:
    """Cues that name a person by a gendered role or state an attribute no value names (`neutral.json`,
    ``person_nouns`` and ``attribute_words``): generalised even where the set varies nothing ("a
    fishwife" -> "a fish seller", "a biracial woman" -> "a woman")."""
    data = neutral_data()
    words = [*data.get("person_nouns", ()), *data.get("attribute_words", ())]
    return frozenset(surface_key(word) for word in words) | child_modifiers()[0]


@functools.cache
def _slot_categories() -> dict[str, str]:
    """Slot categories the default policy sends in another category (`neutral.json`,
    ``slot_categories``: "a newborn baby girl" -> "a newborn girl")."""
    data = neutral_data()
    return dict(data.get("slot_categories", {}).get("categories", {}))


def _recast(template: Template) -> dict[int, str]:
    """Per slot (its place among the template's slots), the category it is sent in instead of its
    own (`_slot_categories`, or `_ADULT_NOUNS` after an adult's age), where every value of its
    attribute has forms there."""
    table = _slot_categories()
    recast: dict[int, str] = {}
    slots = [p for p in template.parts if isinstance(p, Slot)]
    adult = _after_adult_age(template)
    # a child noun whose person's adult age is a slot ("a goth girl in her late 20s"): its decoys
    # would say "a goth girl in her late 70s"; sent as the adult noun, every candidate agrees
    aged = {a.person for a in template.attributes if a.kind == _ADULT_AGE and len(a.values) > 1}
    # "baby girl" is sent as "girl" only where the child's age is said and varied elsewhere ("a
    # newborn baby girl" -> "a newborn girl"): alone ("a chubby baby girl") the baby would become a
    # girl of any age for the cloud, which draws the first steps of the user's own image
    young = {a.person for a in template.attributes if a.kind == _CHILD_AGE and len(a.values) > 1}
    for place, slot in enumerate(slots):
        person = None if slot.attribute is None else template.attributes[slot.attribute].person
        if person in aged:
            adult.add(place)
        target = _ADULT_NOUNS.get(slot.category) if place in adult else table.get(slot.category)
        if slot.attribute is None or target is None or (place not in adult and person not in young):
            continue
        spec = template.taxonomy.attribute(template.attributes[slot.attribute].kind)
        if all(target in spec.forms[v] for v in template.attributes[slot.attribute].values):
            recast[place] = target
    return recast


# a child noun after an adult's written age is sent as the adult noun ("a 25 year old girl" is a
# young woman as image prompts use it): the age is then read and varied, where it had been sent in
# clear in every candidate, since no candidate could say "a 75-year-old girl"
_ADULT_NOUNS = {"noun_child_singular": "noun_singular", "noun_child_plural": "noun_plural"}
_AGE_WINDOW = 40
_ADULT_AGE = "age"
_CHILD_AGE = "child_age"


def _after_adult_age(template: Template) -> set[int]:
    """The places (among the template's slots) of child nouns written right after a word of the
    adult age attribute that the template keeps as written ("25 year old", "20-something",
    "elderly"); a child modifier ("young", "little") is no adult's age."""
    taxonomy = template.taxonomy
    text = fixed_text(template)
    modifiers = child_modifiers()[0]
    places: set[int] = set()
    marks = [i for i, c in enumerate(text) if c == SLOT_MARK]
    slots = [p for p in template.parts if isinstance(p, Slot)]
    for place, (slot, at) in enumerate(zip(slots, marks, strict=True)):
        if slot.category not in _ADULT_NOUNS or slot.attribute is None:
            continue
        window = text[max(0, at - _AGE_WINDOW) : at]
        before = window.rstrip(" \t")
        if len(before) < len(window):
            folded = unaccented(fold(before))  # an accent put on the age hides it from no one ("gën z girl")
            found = taxonomy.matcher.finditer(folded)
            if (
                found
                and found[-1].end() == len(folded)
                and _adult_age(taxonomy, found[-1].group(), modifiers)
                and not _ERA.fullmatch(found[-1].group())
            ):
                places.add(place)
                continue
        # ... or right after it, between commas: "korean girl, 22 years old, straight bangs", "(asian
        # girl:1.2), (age 21:1.1)"
        after = _AGE_AFTER.match(text, at + 1)
        if after is not None:
            folded = unaccented(fold(after.group(1)))
            found = taxonomy.matcher.finditer(folded)
            whole = found and found[0].start() == 0 and found[0].end() == len(folded)
            if whole and _adult_age(taxonomy, found[0].group(), modifiers, after=True):
                places.add(place)
    return places


# a bare decade right before the noun names an era, as detection reads it ("80s girl with big hair",
# "a 90s kid"); "in her 80s" is an age, and so are "mid-30s" and "late 20s"
_ERA = re.compile(r"(?:\d0|[a-z]+tie)s")
_AGE_AFTER = re.compile(
    # a weight around either ("(asian girl:1.2), (age 21:1.1)")
    rf"(?::[ \t]*\d+(?:\.\d+)?)?[ \t]*[)\]}}]*[ \t]*,[ \t]*[(\[{{]*[ \t]*([^,;:()\[\]{{}}\n{SLOT_MARK}]+?)[ \t]*"
    r"(?=[,;:.)\]}\n]|$)"
)


def _adult_age(taxonomy: Taxonomy, surface: str, modifiers: frozenset[str], after: bool = False) -> bool:
    """Whether `surface` is a word of the adult age attribute and no child modifier; `after` (said
    after the noun): a number of years too ("22 years old"; not "child", a child's noun of it)."""
    key = surface_key(surface)
    entry = taxonomy.lexicon.get(key)
    if entry is None or taxonomy.attributes[entry.attribute].name != _ADULT_AGE or key in modifiers:
        return False
    return not after or (any(c.isdigit() for c in key) and not any("child" in c for c in entry.categories))


@functools.cache
def _weighted() -> dict[str, str]:
    data = neutral_data()
    return {surface_key(word) if word else "": form for word, form in data.get("weighted", {}).items()}


@functools.cache
def _after_possessive() -> dict[str, str]:
    data = neutral_data()
    return {surface_key(word): form for word, form in data.get("after_possessive", {}).items()}


def _weighted_form(key: str) -> str:
    """What a dropped cue alone inside a weight is sent as (`neutral.json`, ``weighted``)."""
    table = _weighted()
    return table.get(key) or table.get(key.rstrip("s")) or table.get("", "")


def _shows_a_person(template: Template) -> bool:
    """Whether the prompt shows a person: a slot, or a person noun in its fixed text ("a fishwife",
    "an interracial couple"); a word that states an attribute is dropped only then ("pale
    moonlight" stays as written)."""
    if template.attributes:
        return True
    return any(is_person_noun(w.lower()) for w in re.findall(r"[^\W\d_]+", fixed_text(template)))


def _sent_as(template: Template, hit: CueHit) -> str | None:
    """What the default policy sends for the cue `hit` of `template`: a child noun after a child's
    age as `cues.child_noun_form` says, any other cue as `neutral_form`."""
    form = child_noun_form(template, hit)
    if form is not None:
        return form
    form = neutral_form(hit.key)
    if form == "":
        return _possessive_form(hit.key, fixed_text(template)[: hit.start]) or form  # as `_replace` sends it
    return form


def _possessive_form(key: str, before: str) -> str:
    """What a cue dropped by its neutral form is sent as right after a possessive (`neutral.json`,
    ``after_possessive``: "frosting in his beard" -> "frosting in her hair"), else ""."""
    if key not in _after_possessive():
        return ""
    last = _LAST_WORD.search(before)
    if before.rstrip(" \t").endswith(SLOT_MARK) or (last and last.group(1).lower() in POSSESSIVES):
        return _after_possessive()[key]
    return ""


def neutral_form(key: str) -> str | None:
    """What --generalize sends for the cue `key` (a cue table key): its neutral form, made plural
    for a plural cue ("wedding dresses" -> "wedding outfits"); "" to drop it; None when it has none."""
    table = cue_table()
    listed = _listed_neutral()
    if key in listed:
        return listed[key]
    if key in child_modifiers()[0]:
        return ""
    form = table.neutral.get(key)
    if form:
        for singular in (key[:-1], key[:-2], key[:-3] + "y"):
            if singular and cue_plural(singular) == key and table.neutral.get(singular) == form:
                return cue_plural(form)
    return form


@functools.cache
def _listed_neutral() -> dict[str, str]:
    """The neutral table's own entries (folded as the cue table's keys), before plural variants."""
    data = neutral_data()
    return {surface_key(word): form for word, form in data.get("neutral", {}).items()}


def _generalized(cset: CandidateSet, budget: int | None, seed: int | None) -> CandidateSet | None:
    """The set of the user's prompt with every generalisable cue of a varied attribute sent as
    its neutral form; None when there is none, or when the rewritten prompt would not keep the
    same persons and values (then the cues are kept and fix what they reveal). A cue that cannot
    be dropped grammatically ("she is pregnant", "her makeup" after a pronoun) is kept."""
    taxonomy = cset.template.taxonomy
    template = detect(cset.true_prompt, taxonomy)
    every = [h for h in find_cues(template) if not h.slot]
    nouns = child_nouns_after(template)
    persons = _person_nouns() | nouns if _shows_a_person(template) else frozenset()
    text = fixed_text(template)
    hits = [
        h
        for h in every
        if _sent_as(template, h) is not None
        and not _after_the(text, h)
        and (h.key in persons or modifies_a_child(template, h) or any(r.varied for r in _reveals(cset, h)))
    ]
    recast = _recast(template)
    if not hits and not recast:
        return None
    original = fixed_text(template)
    text = original
    for number in range(len(hits) - 1, -1, -1):
        hit = hits[number]
        floor = max((h.end for h in every if h.end <= hit.start), default=0)  # words of a cue before stay
        if any(h.end > hit.start for h in hits[:number]):
            continue  # overlaps an earlier cue (a symbol inside a phrase): keep both as written
        swapped: str | None
        noun = child_noun_form(template, hit)  # a child noun right after its age: "a newborn baby"
        if noun == "":  # "a 6-month-old infant crawling" -> "a 6-month-old crawling"
            swapped = text[: hit.start].rstrip(" \t") + text[hit.end :]
        elif noun is not None:  # "a newborn baby sleeping" -> "a newborn child sleeping"
            swapped = text[: hit.start] + noun + text[hit.end :]
        else:
            swapped = _replace(text, hit.start, hit.end, hit.key, floor)
            after = hits[number + 1] if number + 1 < len(hits) else None
            if swapped is not None and after is not None and not original[hit.end : after.start].strip(" \t"):
                swapped = _once(swapped, neutral_form(hit.key), neutral_form(after.key), hit.start)
        if swapped is not None:
            text = swapped
    if text == original and not recast:
        return None
    text = _tidy(text)
    if text.count(SLOT_MARK) != original.count(SLOT_MARK):
        return None
    prompt = _fill(template, text, recast)
    try:
        again = detect(prompt, taxonomy)
    except InvalidInputError:
        return None
    # an adult's age before a child noun sent as the adult noun is read now, and varied: the one attribute more
    names = {a.name for a in template.attributes}
    slots = [p for p in template.parts if isinstance(p, Slot)]
    adults = {
        template.attributes[attribute].person
        for place, target in recast.items()
        if target in _ADULT_NOUNS.values() and (attribute := slots[place].attribute) is not None
    }
    aged = {
        i for i, a in enumerate(again.attributes) if a.name not in names and a.kind == _ADULT_AGE and a.person in adults
    }
    same = [(a.name, a.kind, a.person) for i, a in enumerate(again.attributes) if i not in aged] == [
        (a.name, a.kind, a.person) for a in template.attributes
    ]
    assert again.true_values is not None
    values = tuple(v for i, v in enumerate(again.true_values) if i not in aged)
    sent = set(recast.values())
    kept = _forms(again, {}, sent, aged) == _forms(template, recast, sent)
    if not same or values != template.true_values or not kept:
        return None
    return expand(again, max_candidates=budget, seed=seed)


_THE_BEFORE = re.compile(r"(?<![\w'’-])the[ \t]+$", re.IGNORECASE)


def _after_the(text: str, hit: CueHit) -> bool:
    """Whether a cue stands between "the" and a slot ("The younger girl squirms"): without it, "the
    girl" refers back to a girl named before when the values agree (docs/privacy.md, "Definite
    nouns"), so the rewritten prompt would keep its persons for some members and not for others,
    and the policy's choice would differ between members of one set. Read from the text only."""
    return bool(_THE_BEFORE.search(text, max(0, hit.start - 8), hit.start)) and text[hit.end :].lstrip(
        " \t"
    ).startswith(SLOT_MARK)


def _forms(
    template: Template,
    recast: dict[int, str] | None = None,
    sent: set[str] | None = None,
    skip: set[int] | None = None,
) -> list[tuple[str, str]]:
    """Each slot's category and form key: what the user's own candidate keeps of the user's words.
    `recast` (place among the slots -> category, `_recast`) gives the category a slot is sent in;
    a slot of a category in `sent` renders its canonical form, so its form key is not compared;
    slots of the attributes in `skip` are left out."""
    recast = recast or {}
    sent = sent or set()
    skip = skip or set()
    forms = []
    for place, slot in enumerate(p for p in template.parts if isinstance(p, Slot)):
        if slot.attribute is None or slot.attribute in skip:
            continue
        category = recast.get(place, slot.category)
        forms.append((category, "" if place in recast or category in sent else slot.form))
    return forms


_WEIGHT_OPEN = re.compile(r"[(\[{]\s*$")
_WEIGHT_CLOSE = re.compile(r"\s*:\s*\d*(?:\.\d+)?\s*[)\]}]")


def _once(text: str, form: str | None, next_form: str | None, start: int) -> str:
    """`text` with a neutral form sent once where two cues in a row share it ("a tutu dress" ->
    "an outfit", not "an outfit outfit"); `start`: where the first cue was."""
    if not form or form != next_form:
        return text
    twice = text.find(f"{form} {form}", max(0, start - 3))
    return text if twice < 0 else text[:twice] + text[twice + len(form) + 1 :]


def _replace(text: str, start: int, end: int, key: str, floor: int = 0) -> str | None:
    """`text` with the cue at [start, end) sent as its neutral form, changing nothing before
    `floor` (the end of the cue before it); None when the cue cannot be dropped grammatically."""
    neutral = neutral_form(key) or ""
    kept, before, after = text[:floor], text[floor:start], text[end:]
    if not neutral and _WEIGHT_OPEN.search(before) and _WEIGHT_CLOSE.match(after):
        neutral = _weighted_form(key)  # "(freckles:1.1)": the weight the user wrote stays
    last = _LAST_WORD.search(before)
    if not neutral:
        neutral = _possessive_form(key, before)  # "frosting in his beard" -> "frosting in her hair"
    if " " not in neutral and neutral.endswith("ing"):  # a verb's form: only before its object
        following = _NEXT_WORD.match(after)
        object_next = following and (following.group(1) == SLOT_MARK or following.group(1).lower() in DETERMINERS)
        if not object_next or (last and last.group(1).lower() in DETERMINERS | POSSESSIVES | _TAKES_ARTICLE):
            neutral = ""  # "breastfeeding her baby" -> "holding her baby"; "with a breastfeeding cover" drops it
    if neutral:
        _, mass = _neutral_grammar()
        if last and last.group(1).lower() in ("a", "an"):
            if neutral in mass:  # "a bikini" -> "swimwear"
                return kept + before[: last.start()] + neutral + after
            article = indefinite_article(neutral)
            article = article.capitalize() if last.group(1)[0].isupper() else article
            before = before[: last.start()] + article + last.group(2)
        elif last and last.group(1).lower() in _TAKES_ARTICLE and neutral not in mass and " " not in key:
            before += indefinite_article(neutral) + " "  # "in overalls" -> "in an outfit", "at Oktoberfest"
        return kept + before + neutral + after
    dropped = _drop(before, after, key)
    return None if dropped is None else kept + dropped


def _ends_phrase(text: str, at: int) -> bool:
    """Whether nothing but punctuation, the end or a function word follows text[at]."""
    following = _NEXT_WORD.match(text, at)
    rest = text[at:].lstrip(" \t")
    return not rest or not rest[0].isalnum() or (following is not None and following.group(1).lower() in FUNCTION_WORDS)


def _drop(before: str, after: str, key: str) -> str | None:
    """`before` + `after` without the cue between them (see `_replace`)."""
    table = cue_table()
    adjectives, _ = _neutral_grammar()
    last = _LAST_WORD.search(before)
    if last and last.group(1).lower() in _COPULAS:
        return None
    following = _NEXT_WORD.match(after)
    if following:
        word = following.group(1).lower()
        adjective = key in adjectives or key.split(" ")[-1].endswith(("ed", "ing"))
        noun_adjunct = word not in FUNCTION_WORDS and not word.endswith(("ing", "ed"))  # "afro hair", not "riding"
        # a participle that ends the phrase is a clause of the person's, no word the cue modifies:
        # "with an afro dancing" -> "dancing" (it had been sent as "with a dancing")
        clause = word.endswith("ing") and _ends_phrase(after, following.end())
        if word == SLOT_MARK or (word not in FUNCTION_WORDS and not clause and (adjective or noun_adjunct)):
            # a modifier of the next word: drop it alone ("an interracial couple" -> "a couple"),
            # with the adverbs of degree before it ("a heavily pregnant woman" -> "a woman")
            while (adverb := _LAST_WORD.search(before)) and adverb.group(1).lower() in _degree_adverbs():
                before = before[: adverb.start()]
            # ... or with the time it measures ("a 34 weeks pregnant woman" -> "a woman": it had
            # been sent as "a 34 weeks woman")
            before = _without_measure(before)
            last = _LAST_WORD.search(before)
            if word != SLOT_MARK and last and last.group(1).lower() in ("a", "an"):
                article = indefinite_article(following.group(1))
                article = article.capitalize() if last.group(1)[0].isupper() else article
                before = before[: last.start()] + article + last.group(2)
            return before + after.lstrip()
    # the head of its phrase: drop its modifiers, article and the link only it needed
    stops = DETERMINERS | POSSESSIVES | {"some"} | table.links
    walked, probe = before, before
    for _ in range(_WALK_BACK):
        word_match = _LAST_WORD.search(probe)
        if not word_match or word_match.group(1).lower() in stops:
            break
        probe = probe[: word_match.start()]
    if (stop := _LAST_WORD.search(probe)) and stop.group(1).lower() in stops:
        walked = probe  # "with a long scruffy lumberjack beard": everything after "a" goes
    else:
        while (word_match := _LAST_WORD.search(walked)) and word_match.group(1).lower() in table.modifiers:
            walked = walked[: word_match.start()]
    before = walked
    before = _without_measure(before)  # "a woman, 8 months pregnant, in a field" -> "a woman, in a field"
    if (last := _LAST_WORD.search(before)) and last.group(1).lower() in DETERMINERS | POSSESSIVES | {"some"}:
        before = before[: last.start()]
    elif before.rstrip(" \t").endswith(SLOT_MARK) and key.split(" ")[0] not in table.links:
        return None  # "fixing her makeup" with "her" a slot: "fixing her" would be left ("a mother in labour" is whole)
    joined = re.match(r"\s*and\s+", after)
    if (last := _LAST_WORD.search(before)) and last.group(1).lower() in table.links:
        if joined and last.group(1).lower() != "and":
            return before + after[joined.end() :]  # "with a beard and glasses" -> "with glasses"
        before = before[: last.start()]
    return before.rstrip() + after


def _without_measure(before: str) -> str:
    """`before` without the length of time that ends it ("34 weeks", "eight months"), which a
    dropped cue after it measured."""
    measure = _MEASURE_BEFORE.search(before)
    if measure is None or parse_number(measure.group(1)) is None:
        return before
    return before[: measure.start()]


def _tidy(text: str) -> str:
    text = re.sub(r"[ \t]{2,}", " ", text)
    text = re.sub(r"[ \t]+([,.;:!?)\]}])", r"\1", text)
    text = re.sub(r"([(\[{])\s*:\s*\d*(?:\.\d+)?\s*([)\]}])", r"\1\2", text)  # "(freckles:1.1)" dropped
    text = re.sub(r",(\s*,)+", ",", text)
    for _ in range(3):
        text = re.sub(r"\(\s*\)|\[\s*\]|\{\s*\}", "", text)
    text = re.sub(r",(\s*,)+", ",", text)
    text = re.sub(r",[ \t]*([.;!?])", r"\1", text)  # "seventy-five, with a white beard." -> "seventy-five."
    text = re.sub(r"[ \t]{2,}", " ", text)
    text = re.sub(r"[ \t]+([,.;:!?)\]}])", r"\1", text)
    return text.strip(" \t,")


def _fill(template: Template, text: str, recast: dict[int, str] | None = None) -> str:
    """`text` (fixed text with slot marks) with each slot rendered for the user's values under its
    form key, as the user's own candidate renders it (a name, a written age and its style stay);
    a slot of `recast` (place -> category) in that category's canonical form."""
    assert template.true_values is not None
    pieces = text.split(SLOT_MARK)
    slots = [p for p in template.parts if isinstance(p, Slot)]
    out = [pieces[0]]
    articles = []
    recast = recast or {}
    for place, (slot, piece) in enumerate(zip(slots, pieces[1:], strict=True)):
        if slot.attribute is None:
            articles.append((len(out), slot))
            out.append("")
        else:
            spec = template.taxonomy.attribute(template.attributes[slot.attribute].kind)
            value = template.true_values[slot.attribute]
            if place in recast:
                word = spec.canonical(value, recast[place])
            else:
                word = render_form(template.taxonomy, spec, value, slot.category, slot.form)
            out.append(_capitalised(word, slot))
        out.append(piece)
    for index, slot in articles:
        following = re.search(r"\w[\w'’-]*", "".join(out[index + 1 :]))
        out[index] = _capitalised(indefinite_article(following.group() if following else "a"), slot)
    return "".join(out)


# ---------------------------------------------------------------------------------------------
# telling and refusing


def policy_notice(cset: CandidateSet, *, max_candidates: int | None = None) -> str | None:
    """What the user is told before sending: which words reveal what, what is not varied because
    of them, and the anonymity ("hidden among A of N"); a prompt not in English is told so here
    too (the set's `warnings`, device side)."""
    found = revealed(cset)
    parts = []
    if not cset.attributes:
        parts.append(NOTHING_HIDDEN)  # not `cset.notice`: applied twice, the notice would hold itself
    by_cue = set()
    for r in found:
        if r.strength == "strong" and not r.varied and _has(cset, r):
            by_cue.add(r.attribute)
    budget_fixed = [a.name for a in cset.attributes if a.name in cset.fixed and a.kind not in by_cue]
    if budget_fixed and max_candidates is not None:
        parts.append(
            f"budget max_candidates={max_candidates}: {', '.join(budget_fixed)} fixed to the prompt's value and "
            "visible to the cloud"
        )
    fixed_by: dict[str, list[str]] = {}
    suggests: dict[str, list[str]] = {}
    absent: dict[str, list[str]] = {}
    for r in found:
        if r.strength == "strong" and not r.varied and _has(cset, r):
            fixed_by.setdefault(r.word, []).append(r.attribute)
        elif r.varied:
            suggests.setdefault(r.word, []).append(f"{'/'.join(r.values)} ({r.attribute}, {r.strength})")
        elif r.strength != "strong":  # "a man drinking chai": a weak cue suggests, of what is not varied too
            suggests.setdefault(r.word, []).append(f"{'/'.join(r.values)} ({r.attribute}, weak, not varied)")
        else:
            absent.setdefault(r.word, []).append(r.attribute)
    told = [
        f"{word!r} reveals {_and(names)}, so {_and(names)} {'is' if len(names) == 1 else 'are'} not varied "
        f"(a smaller set); remove it to hide {_and(names)}"
        for word, names in fixed_by.items()
    ]
    told += [f"{word!r} suggests {_and(what)}" for word, what in suggests.items()]
    told += [f"{word!r} reveals {_and(names)} (not varied)" for word, names in absent.items()]
    parts.extend(told)
    if cset.attributes:
        a, n = anonymity(cset), len(cset.candidates)
        if parts or a < n:
            parts.append(f"hidden among {a} of {n}")
    parts += [w for w in getattr(cset, "warnings", ()) if w.startswith(ONLY_ENGLISH)]
    return "; ".join(parts) if parts else None


def _and(items: list[str]) -> str:
    items = list(dict.fromkeys(items))
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def _has(cset: CandidateSet, r: Revealed) -> bool:
    return any(a.person == r.person and a.kind == r.attribute for a in cset.attributes)


def generalized(cset: CandidateSet) -> tuple[tuple[str, str], ...]:
    """(word, what was sent instead) for each cue of the user's prompt that the set generalised
    (device memory: read from `device_prompt`)."""
    own = getattr(cset, "device_prompt", "")
    if not own or own == cset.true_prompt:
        return ()
    sent = [h.key for h in find_cues(cset.template)]
    result = []
    mine = detect(own, cset.template.taxonomy)
    kept = {p.category for p in cset.template.parts if isinstance(p, Slot)}
    recast = _recast(mine)
    for place, slot in enumerate(p for p in mine.parts if isinstance(p, Slot)):
        if place in recast and slot.category not in kept and mine.true_values is not None:
            assert slot.attribute is not None
            spec = mine.taxonomy.attribute(mine.attributes[slot.attribute].kind)
            value = mine.true_values[slot.attribute]
            said = render_form(mine.taxonomy, spec, value, slot.category, slot.form)
            result.append((said, spec.canonical(value, recast[place])))
    for hit in find_cues(mine):
        if hit.key in sent:
            sent.remove(hit.key)
        elif not hit.slot and (form := _sent_as(mine, hit)) is not None:
            result.append((hit.word, form))
    return tuple(result)


def report(cset: CandidateSet) -> dict[str, Any]:
    """The anonymity fields of `obclip candidates --json` and the API report: `anonymity`,
    `revealed`, `assignments`, `yours` (the user's candidate as sent) and `generalized`."""
    found = revealed(cset)
    rows = assignments(cset)
    return {
        "anonymity": _anonymity(cset, found, rows),
        "revealed": [r.public_dict() for r in found],
        "assignments": [list(row) for row in rows],
        "yours": cset.true_prompt,
        "generalized": [{"word": w, "sent_as": s} for w, s in generalized(cset)],
    }


def check_anonymity(
    cset: CandidateSet, *, strict: bool = False, min_anonymity: int | None = None, prefix: str = "--"
) -> None:
    """Refuse, before anything is sent: with `strict`, while any word in clear reveals a sensitive
    attribute (a cue or a residual-risk word); with `min_anonymity` K, when fewer than K
    candidates remain plausible. `prefix` names the options as the caller spells them
    (``"--"`` for the command line, ``""`` for the API).

    Raises:
        InvalidInputError: one line, naming the words.
    """
    option = f"{prefix}min{'-' if prefix else '_'}anonymity"
    if min_anonymity is not None and (
        isinstance(min_anonymity, bool) or not isinstance(min_anonymity, int) or min_anonymity < 1
    ):
        raise InvalidInputError(f"{option} must be a positive integer, got {min_anonymity!r}")
    if strict and (cset.residual or revealed(cset)):
        words = residual_text(cset) or "; ".join(
            dict.fromkeys(f"{r.word} ({r.attribute}: {'/'.join(r.values)})" for r in revealed(cset))
        )
        raise InvalidInputError(f"{prefix}strict: residual risk would be sent in clear: {words}")
    if min_anonymity is not None:
        a = anonymity(cset)
        if a < min_anonymity:
            why = "; ".join(dict.fromkeys(f"{r.word!r} reveals {r.attribute}" for r in revealed(cset)))
            raise InvalidInputError(
                f"{option} {min_anonymity}: the prompt would be hidden among only {a} of {len(cset.candidates)}"
                + (f" ({why})" if why else "")
                + "; remove or reword those words"
            )


def residual_text(cset: CandidateSet) -> str:
    """The residual-risk words of a candidate set on one line: `word (reason); ...`."""
    return "; ".join(f"{r.word} ({r.reason})" for r in cset.residual)
