"""The sensitive-attribute taxonomy: the `obclip-taxonomy/1` data file, its validation, and the
surface-form lexicon and matcher that detection uses.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from obclip.errors import TaxonomyError, read_user_text
from obclip.privacy.words import data_file, person_nouns_data

FORMAT = "obclip-taxonomy/1"

PRONOUN_CATEGORIES = frozenset(
    {
        "subject_pronoun",
        "object_pronoun",
        "possessive_determiner",
        "possessive_pronoun",
        "reflexive_pronoun",
    }
)

_NAME_RE = re.compile(r"[A-Za-z][A-Za-z0-9_-]*")
_SURFACE_RE = re.compile(r"\w(?:[\w'’ -]*\w)?")
_RESERVED_SURFACES = frozenset({"a", "an"})


def fold(text: str) -> str:
    """Lower-case `text` character by character, keeping its length (so offsets stay valid)."""
    if text.isascii():
        return text.lower()
    return "".join(c if len(c.lower()) != 1 else c.lower() for c in text)


def surface_key(surface: str) -> str:
    """The lookup key of a surface form: folded case, single spaces."""
    return " ".join(fold(surface).split())


@dataclass(frozen=True)
class SurfaceEntry:
    """What one surface form means: its attribute, value and the categories it can fill."""

    attribute: int
    value: str
    categories: frozenset[str]
    family: frozenset[str]
    is_pronoun: bool


@dataclass(frozen=True, eq=False)
class AttributeSpec:
    """One sensitive attribute of a taxonomy: its value space and every value's surface forms.

    Args:
        name: the attribute's name, e.g. ``"gender"``.
        values: the value space, in file order.
        categories: the form categories every full value defines, in file order.
        forms: ``forms[value][category]`` is the tuple of surface forms; the first is canonical.
            A partial value (``"partial": true`` in the file) defines only some categories and is
            a value only of the slots it has forms for (the mixed gender of a group: "men and
            women" is a plural, never a single person).
        aliases: ``aliases[value][category]``: surfaces that are read as `value` in `category` but
            never rendered (a slot holding one renders the category's forms): words that have no
            counterpart of the other values ("matron" is read as a woman, rendered "woman"/"man").
    """

    name: str
    values: tuple[str, ...]
    categories: tuple[str, ...]
    forms: Mapping[str, Mapping[str, tuple[str, ...]]]
    aliases: Mapping[str, Mapping[str, tuple[str, ...]]] = field(default_factory=dict)

    def canonical(self, value: str, category: str) -> str:
        """The surface form used when rendering `value` in `category`."""
        return self.forms[value][category][0]

    def values_for(self, categories: Iterable[str]) -> tuple[str, ...]:
        """The values that define every one of `categories` (file order): the value space of a
        person whose slots have those categories."""
        wanted = set(categories)
        return tuple(v for v in self.values if wanted <= self.forms[v].keys())

    @functools.cached_property
    def alias_keys(self) -> Mapping[tuple[str, str], frozenset[str]]:
        """``alias_keys[value, category]``: the lookup keys (`surface_key`) of that slot's aliases."""
        return {
            (value, category): frozenset(surface_key(alias) for alias in surfaces)
            for value, by_category in self.aliases.items()
            for category, surfaces in by_category.items()
        }

    @functools.cached_property
    def generic_roles(self) -> frozenset[str]:
        """The categories of a role one value names by the role's own name ("hero": hero /
        heroine, "host_plural": hosts / hostesses), which is the role of anyone after an adjective
        of this attribute ("a female hero")."""
        roles = set()
        for category in self.categories:
            role = category.removesuffix("_plural")
            if any(category in forms and forms.get(role, ("",))[0] == role for forms in self.forms.values()):
                roles.add(category)
        return frozenset(roles)


@dataclass(frozen=True, eq=False)
class Taxonomy:
    """A validated taxonomy: the attributes (in file order) and the lookup tables built from them.

    Build one with `load_taxonomy`, `parse_taxonomy` or `default_taxonomy`.
    """

    attributes: tuple[AttributeSpec, ...]
    source: str
    lexicon: Mapping[str, SurfaceEntry] = field(repr=False)
    matcher: Matcher = field(repr=False)

    def attribute(self, name: str) -> AttributeSpec:
        """The attribute called `name`."""
        for spec in self.attributes:
            if spec.name == name:
                return spec
        raise KeyError(name)

    def index(self, name: str) -> int:
        """The file position of the attribute called `name`."""
        return [spec.name for spec in self.attributes].index(name)


def load_taxonomy(path: str | Path) -> Taxonomy:
    """Read and validate a taxonomy file.

    Raises:
        TaxonomyError: with a one-line message if the file is unreadable, not JSON or malformed.
    """
    path = Path(path)
    text = read_user_text(path, "taxonomy file", TaxonomyError)
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise TaxonomyError(
            f"taxonomy file {path}: not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})"
        ) from None
    except RecursionError:
        raise TaxonomyError(f"taxonomy file {path}: JSON nested too deeply to be a taxonomy") from None
    return parse_taxonomy(data, source=str(path))


OPT_IN = ("religion",)
"""Attributes of the default taxonomy that are off unless asked for (`default_taxonomy(opt_in=...)`)."""


def default_taxonomy(opt_in: tuple[str, ...] | list[str] | frozenset[str] = ()) -> Taxonomy:
    """The taxonomy that ships with obclip (`privacy/data/default_taxonomy.json`), cached.

    Args:
        opt_in: names of opt-in attributes to include (the default file marks ``religion`` so);
            without them those attributes are not detected, and their markers are reported as
            residual risk instead.
    """
    return _default_taxonomy(tuple(sorted(set(opt_in))))


@functools.cache
def countries_data() -> tuple[dict[str, Any], ...]:
    """The entries of `data/countries.json` (country, demonyms, ethnicity value), read once."""
    data = json.loads(resources.files("obclip.privacy").joinpath("data/countries.json").read_text(encoding="utf-8"))
    return tuple(data["countries"])


@functools.cache
def _default_taxonomy(opt_in: tuple[str, ...]) -> Taxonomy:
    resource = resources.files("obclip.privacy").joinpath("data/default_taxonomy.json")
    data = json.loads(resource.read_text(encoding="utf-8"))
    known = {a["name"] for a in data["attributes"] if a.get("opt_in")}
    unknown = [name for name in opt_in if name not in known]
    if unknown:
        raise TaxonomyError(
            f"no opt-in attribute {unknown[0]!r} in the default taxonomy (opt-in: {', '.join(sorted(known))})"
        )
    source = "default" + "".join(f"+{name}" for name in opt_in)
    _add_first_names(data)
    _add_roles(data)
    _add_person_nouns(data)
    return parse_taxonomy(data, source=source, opt_in=opt_in)


# where the words of `data/person_nouns.json` go: (attribute, value, singular category, plural category)
_PERSON_NOUN_SLOTS = {
    "female": ("gender", "female", "noun_singular", "noun_plural"),
    "male": ("gender", "male", "noun_singular", "noun_plural"),
    "girl": ("gender", "female", "noun_child_singular", "noun_child_plural"),
    "boy": ("gender", "male", "noun_child_singular", "noun_child_plural"),
    "old": ("age", "old", "age_noun", "age_noun_plural"),
    "infant": ("child_age", "infant", "child_noun", "child_noun_plural"),
    "child": ("child_age", "child", "child_noun", "child_noun_plural"),
    "teen": ("child_age", "teen", "child_noun", "child_noun_plural"),
}


def _add_person_nouns(data: dict[str, Any]) -> None:
    """Add the person nouns read from WordNet (`data/person_nouns.json`, tools/build_privacy_data.py
    --wordnet): a female/male pair is a gender category of its own; a word without a counterpart is an
    alias of its kind's generic noun ("matron" is read as a woman and rendered as "woman" / "man";
    "urchin" as a child, rendered "kid"), so its slot varies like the generic noun's. Also aliases:
    "ex-wife", "mother-to-be" (the kin word), missing plurals ("fellas"), peoples ("Bedouin": the
    ethnicity value WordNet's hypernyms give) and birthplaces ("Korean-born"). A surface the file
    already holds keeps its meaning: one surface in two categories would join them (a family)."""
    nouns = person_nouns_data()
    attributes = {a["name"]: {v["value"]: v for v in a["values"]} for a in data["attributes"]}
    taken = {
        surface_key(surface)
        for values in attributes.values()
        for target in values.values()
        for group in (target["forms"], target.get("aliases", {}))
        for surfaces in group.values()
        for surface in surfaces
    }

    def alias(name: str, value: str, category: str, surfaces: Iterable[str]) -> None:
        target = attributes.get(name, {}).get(value)
        if target is None or category not in target["forms"]:
            return
        for surface in surfaces:
            if surface_key(surface) not in taken:
                taken.add(surface_key(surface))
                target.setdefault("aliases", {}).setdefault(category, []).append(surface)

    gender = attributes.get("gender", {})
    if "female" in gender and "male" in gender:
        forms = {value: target["forms"] for value, target in gender.items()}
        for female, male, females, males in nouns["pairs"]:
            if not {surface_key(w) for w in (female, male, females, males)} & taken:
                taken |= {surface_key(w) for w in (female, male, females, males)}
                _add_gender_pair(forms, f"role_{male}", ([female], [male]), ([females], [males]))
        # a woman's word whose base names the role with no gender ("huntress" -> "hunter") renders
        # "female hunter" / "male hunter": the cloud keeps the role, which "woman" / "man" lost
        for female, (base, bases) in nouns.get("neutral", {}).items():
            category, plural = f"neutral_{base}", nouns["female"].get(female)
            surfaces = {female, plural, f"female {base}", f"male {base}"}
            if plural is None or {surface_key(w) for w in surfaces} & taken or category in forms["female"]:
                continue
            mixed = [f"male and female {bases}", f"female and male {bases}"]  # a group of both
            taken |= {surface_key(w) for w in (*surfaces, f"female {bases}", f"male {bases}", *mixed)}
            one = ([f"female {base}", female], [f"male {base}"])
            _add_gender_pair(forms, category, one, ([f"female {bases}", plural], [f"male {bases}"]), mixed)
    for value, target in gender.items():
        for category, made in _compounds(target["forms"]):
            alias("gender", value, category, made)
    for kind, (name, value, singular, plural) in _PERSON_NOUN_SLOTS.items():
        alias(name, value, singular, nouns[kind])
        alias(name, value, plural, (p for w, p in nouns[kind].items() if p != w))
    for name, value, category, surface in nouns.get("plurals", ()):
        alias(name, value, category, [surface])
    countries = {c["country"] for c in countries_data()}
    for value, target in attributes.get("ethnicity", {}).items():
        people = nouns.get("ethnicity", {}).get(value, {})
        if "noun_plural" in target["forms"]:
            alias("ethnicity", value, "adjective", people)
            # a plural spelled as its singular ("Javanese") is read as the adjective only; one
            # spelled as a country ("Lao" -> "Laos") is that country: "a farmer in Laos"
            alias("ethnicity", value, "noun_plural", (p for w, p in people.items() if p != w and p not in countries))
        # "Korean-born", "Korean-Canadian", "half-Korean", "Asian-looking": a birthplace, an origin or
        # a look states the ethnicity the demonym does
        demonyms = [f for f in [*target["forms"].get("adjective", ()), *people] if f[:1].isupper() and f.isalpha()]
        for pattern in _DEMONYM_COMPOUNDS:
            alias("ethnicity", value, "adjective", (pattern.format(f) for f in demonyms if f not in pattern))
        if "noun_plural" in target["forms"]:
            for pattern in _DEMONYM_COMPOUNDS[:4]:
                plurals = (pattern.format(f) + "s" for f in demonyms if f not in pattern)
                alias("ethnicity", value, "noun_plural", plurals)
        # "Afro-Colombian", "Indo-Fijian": a heritage before a demonym states that heritage
        for prefix, heritage in _HERITAGE_PREFIXES:
            if heritage not in attributes.get("ethnicity", {}):
                continue
            alias("ethnicity", heritage, "adjective", (f"{prefix}-{f}" for f in demonyms))
            if "noun_plural" in attributes["ethnicity"][heritage]["forms"]:
                alias("ethnicity", heritage, "noun_plural", (f"{prefix}-{f}s" for f in demonyms if not f.endswith("s")))


# a heritage before any demonym, and the ethnicity value it states ("Afro-Cuban", "Indo-Caribbean")
_HERITAGE_PREFIXES = (("Afro", "african"), ("Indo", "indian"))

# compounds of a demonym read as the demonym (the first four, of a diaspora, have plurals in -s)
_DEMONYM_COMPOUNDS = (
    "{}-American",
    "{}-Canadian",
    "{}-Australian",
    "{}-British",
    "{}-born",
    "half-{}",
    "part-{}",
    "{}-looking",
)


# kin and partner words that take "ex-" ("ex-wife") or "-to-be" ("mother-to-be", "brides-to-be"),
# and a great-grandparent's or great-grandchild's that takes more "great-"s
_EX = ("spouse", "partner", "betrothed", "spouse_casual")
_TO_BE = ("parent", "spouse", "wedding", "betrothed", "step_parent", "grandparent")
_GREAT = ("great_grandparent", "great_grandchild")
# "foster-daughter", "foster-mothers": the kin word, as WordNet's "child" list would read it a kid
_FOSTER = ("offspring", "parent")
# "mother-of-two", "father-of-3": a parent's word with the count of children joined to it
_PARENTS = ("parent", "grandparent")
_COUNTS = ("one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", *map(str, range(1, 11)))


def _compounds(forms: dict[str, list[str]]) -> list[tuple[str, list[str]]]:
    """ "ex-wife", "ex-boyfriends", "mother-to-be", "fathers-to-be", "great-great-grandmother",
    "great-great-grandsons", "mother-of-two", "foster-daughter": read as the word they are made of
    (aliases, rendered as the plain word: "ex-wife" among "wife" / "husband",
    "great-great-grandmother" as "great-grandmother")."""
    made: list[tuple[str, list[str]]] = []
    affixes = (
        ("ex-", "", _EX),
        ("", "-to-be", _TO_BE),
        ("great-", "", _GREAT),
        ("great-great-", "", _GREAT),
        ("foster-", "", _FOSTER),
        *(("", f"-of-{n}", _PARENTS) for n in _COUNTS),
    )
    for prefix, suffix, categories in affixes:
        for category in (*categories, *(f"{c}_plural" for c in categories)):
            words = [w for w in forms.get(category, ()) if " " not in w]
            if words:
                made.append((category, [f"{prefix}{w}{suffix}" for w in words]))
    return made


def _add_roles(data: dict[str, Any]) -> None:
    """Add the generated -woman/-man role words (`data/roles.json`, from wordfreq's vocabulary:
    tools/build_privacy_data.py --roles) to the default taxonomy's gender, one category per pair."""
    resource = resources.files("obclip.privacy").joinpath("data/roles.json")
    pairs = json.loads(resource.read_text(encoding="utf-8"))["pairs"]
    gender = next((a for a in data["attributes"] if a["name"] == "gender"), None)
    if gender is None:
        return
    values = {v["value"]: v["forms"] for v in gender["values"]}
    if "female" not in values or "male" not in values:
        return
    for female, male, females, males in pairs:
        mixed = [f"{males} and {females}", f"{females} and {males}"]  # a group of both: "foremen and forewomen"
        _add_gender_pair(values, f"role_{male}", ([female], [male]), ([females], [males]), mixed)


def _add_gender_pair(
    forms: Mapping[str, dict[str, list[str]]],
    category: str,
    singular: tuple[list[str], list[str]],
    plural: tuple[list[str], list[str]],
    mixed: list[str] | None = None,
) -> None:
    """Add a gender category of its own to `forms` (value -> category -> forms): the female and
    male forms of `singular` in `category`, those of `plural` in its plural, and where given (and
    the taxonomy has a mixed value) a group's mixed forms; a category already there is kept."""
    for value, singular_forms, plural_forms in zip(("female", "male"), singular, plural, strict=True):
        forms[value].setdefault(category, singular_forms)
        forms[value].setdefault(f"{category}_plural", plural_forms)
    if mixed and "mixed" in forms:
        forms["mixed"].setdefault(f"{category}_plural", mixed)


def _add_first_names(data: dict[str, Any]) -> None:
    """Extend the default taxonomy's `first_name` forms by the generated name file
    (`data/first_names.json`, from gender-guesser's dictionary: tools/build_privacy_data.py). A
    name that the taxonomy lists in another category is that word ("Nani" is the Hindi grandmother
    too): one surface in two categories would join them, and every name with them."""
    names = data_first_names()
    for attribute in data["attributes"]:
        listed = {
            surface_key(surface)
            for value in attribute["values"]
            for category, surfaces in value["forms"].items()
            if category != "first_name"
            for surface in surfaces
        }
        for value in attribute["values"]:
            forms = value["forms"].get("first_name")
            if forms is not None and value["value"] in names:
                known = set(forms)
                forms.extend(
                    name for name in names[value["value"]] if name not in known and surface_key(name) not in listed
                )


@functools.cache
def data_first_names() -> dict[str, tuple[str, ...]]:
    """The generated first names per gender value (`data/first_names.json`), without countries."""
    return {value: tuple(names) for value, names in data_file("first_names.json")["names"].items()}


@functools.cache
def data_name_keys() -> frozenset[str]:
    """The lookup keys of the generated first names: read only where the prompt is about a person,
    since many are places too ("Paris", "Florence")."""
    return frozenset(surface_key(name) for names in data_first_names().values() for name in names)


@functools.cache
def people_name_keys() -> frozenset[str]:
    """Words of a people that are common first names too ("maya", "roman"): `data/first_names.json`,
    ``people_names``; where one stands as a name, it is one (`detect`)."""
    return frozenset(surface_key(word) for word in data_file("first_names.json").get("people_names", ()))


def _extend_new(target: list[str], surfaces: Iterable[str], seen: dict[int, set[str]]) -> None:
    """Append to `target` the surfaces it does not hold yet, in order (`seen` keeps each list's set,
    so merging the name lists stays linear)."""
    held = seen.setdefault(id(target), set(target))
    for surface in surfaces:
        if surface not in held:
            held.add(surface)
            target.append(surface)


def combine_taxonomies(first: Taxonomy, *others: Taxonomy) -> Taxonomy:
    """One taxonomy that detects everything its parts detect.

    Attributes of the same name must have the same value space (partial values aside: one part's
    partial value is added to the union); their forms are united per value and category, the
    first taxonomy's forms first (so its canonical forms render).
    Attributes found in only one part are appended in order. A surface form that the union
    makes ambiguous is a `TaxonomyError`, as in a single file.
    """
    merged: dict[str, dict[str, dict[str, list[str]]]] = {}
    merged_aliases: dict[str, dict[str, dict[str, list[str]]]] = {}
    partial: dict[str, set[str]] = {}
    full_values: dict[str, set[str]] = {}
    seen: dict[int, set[str]] = {}  # id of a merged list -> its surfaces
    for taxonomy in (first, *others):
        for spec in taxonomy.attributes:
            full = {v for v in spec.values if spec.forms[v].keys() == set(spec.categories)}
            known = full_values.setdefault(spec.name, full)
            if known != full:
                raise TaxonomyError(
                    f"cannot combine taxonomies {first.source!r} and {taxonomy.source!r}: attribute "
                    f"{spec.name!r} has values {sorted(known)} in one and {sorted(full)} in the other"
                )
            target = merged.setdefault(spec.name, {})
            for value in spec.values:
                target.setdefault(value, {})
            partial.setdefault(spec.name, set()).update(set(spec.values) - full)
            for value in spec.values:
                for category, surfaces in spec.forms[value].items():
                    _extend_new(target[value].setdefault(category, []), surfaces, seen)
                for category, surfaces in spec.aliases.get(value, {}).items():
                    aliases = merged_aliases.setdefault(spec.name, {}).setdefault(value, {}).setdefault(category, [])
                    _extend_new(aliases, surfaces, seen)
    data = {
        "format": FORMAT,
        "attributes": [
            {
                "name": name,
                "values": [
                    {
                        "value": v,
                        "forms": forms,
                        **({"partial": True} if v in partial[name] else {}),
                        **({"aliases": merged_aliases[name][v]} if v in merged_aliases.get(name, {}) else {}),
                    }
                    for v, forms in values.items()
                ],
            }
            for name, values in merged.items()
        ],
    }
    return parse_taxonomy(data, source="+".join(t.source for t in (first, *others)))


def parse_taxonomy(data: Any, *, source: str = "<taxonomy>", opt_in: tuple[str, ...] | list[str] = ()) -> Taxonomy:
    """Validate already-decoded taxonomy JSON and build its lookup tables.

    An attribute marked ``"opt_in": true`` is left out unless its name is in `opt_in`.

    Raises:
        TaxonomyError: naming the attribute, value or category at fault.
    """

    def fail(message: str) -> TaxonomyError:
        return TaxonomyError(f"taxonomy {source}: {message}")

    if not isinstance(data, dict):
        raise fail("the top level must be a JSON object")
    if data.get("format") != FORMAT:
        raise fail(f'"format" must be "{FORMAT}", got {data.get("format")!r}')
    raw_attributes = data.get("attributes")
    if not isinstance(raw_attributes, list) or not raw_attributes:
        raise fail('"attributes" must be a non-empty list')

    attributes: list[AttributeSpec] = []
    for position, raw in enumerate(raw_attributes):
        spec = _parse_attribute(raw, position, fail)
        if raw.get("opt_in", False) is not False and spec.name not in opt_in:
            if raw["opt_in"] is not True:
                raise fail(f'attribute {spec.name!r}: "opt_in" must be true or false')
            continue
        attributes.append(spec)
    if not attributes:
        raise fail('"attributes" has no attribute that is on (every one is opt-in)')
    names = [spec.name for spec in attributes]
    for name in names:
        if names.count(name) > 1:
            raise fail(f"attribute {name!r} is defined twice")

    lexicon = _build_lexicon(attributes, fail)
    return Taxonomy(attributes=tuple(attributes), source=source, lexicon=lexicon, matcher=_build_matcher(lexicon))


def _parse_attribute(raw: Any, position: int, fail: Any) -> AttributeSpec:
    if not isinstance(raw, dict):
        raise fail(f"attribute #{position} must be an object")
    name = raw.get("name")
    if not isinstance(name, str) or not _NAME_RE.fullmatch(name):
        raise fail(f'attribute #{position}: "name" must be a word such as "gender", got {name!r}')
    raw_values = raw.get("values")
    if not isinstance(raw_values, list) or len(raw_values) < 2:
        raise fail(f'attribute {name!r}: "values" must list at least two values')

    values: list[str] = []
    forms: dict[str, dict[str, tuple[str, ...]]] = {}
    aliases: dict[str, dict[str, tuple[str, ...]]] = {}
    categories: tuple[str, ...] | None = None
    partial_values: list[tuple[str, dict[str, tuple[str, ...]]]] = []
    for raw_value in raw_values:
        if not isinstance(raw_value, dict):
            raise fail(f'attribute {name!r}: every value must be an object with "value" and "forms"')
        value = raw_value.get("value")
        if not isinstance(value, str) or not value.strip():
            raise fail(f'attribute {name!r}: a value has no "value" string')
        if value in forms:
            raise fail(f"attribute {name!r}: value {value!r} is listed twice")
        raw_forms = raw_value.get("forms")
        if not isinstance(raw_forms, dict) or not raw_forms:
            raise fail(f'attribute {name!r}, value {value!r}: "forms" must be a non-empty object')
        value_forms: dict[str, tuple[str, ...]] = {}
        for category, surfaces in raw_forms.items():
            value_forms[category] = _parse_surfaces(name, value, category, surfaces, fail)
        raw_aliases = raw_value.get("aliases", {})
        if not isinstance(raw_aliases, dict):
            raise fail(f'attribute {name!r}, value {value!r}: "aliases" must be an object')
        for category, surfaces in raw_aliases.items():
            if category not in value_forms:
                raise fail(f"attribute {name!r}, value {value!r}: aliases of {category!r}, which it has no forms of")
            aliases.setdefault(value, {})[category] = _parse_surfaces(name, value, category, surfaces, fail)
        partial = raw_value.get("partial", False)
        if not isinstance(partial, bool):
            raise fail(f'attribute {name!r}, value {value!r}: "partial" must be true or false')
        if partial:
            partial_values.append((value, value_forms))
            continue
        if categories is None:
            categories = tuple(value_forms)
        else:
            missing = [c for c in categories if c not in value_forms]
            extra = [c for c in value_forms if c not in categories]
            if missing or extra:
                category = (missing or extra)[0]
                raise fail(
                    f"attribute {name!r}: category {category!r} is not defined by every value "
                    f"(value {value!r} {'lacks' if missing else 'adds'} it)"
                )
        values.append(value)
        forms[value] = value_forms
    if categories is None:
        raise fail(f"attribute {name!r}: every value is partial; at least one must define every category")
    for value, value_forms in partial_values:
        extra = [c for c in value_forms if c not in categories]
        if extra:
            raise fail(
                f"attribute {name!r}: category {extra[0]!r} is not defined by every value (value {value!r} adds it)"
            )
        values.append(value)
        forms[value] = value_forms
    if len([v for v in values if forms[v].keys() == set(categories)]) < 2:
        raise fail(f'attribute {name!r}: "values" must list at least two values that define every category')
    return AttributeSpec(name=name, values=tuple(values), categories=categories, forms=forms, aliases=aliases)


def _parse_surfaces(name: str, value: str, category: str, surfaces: Any, fail: Any) -> tuple[str, ...]:
    where = f"attribute {name!r}, value {value!r}, category {category!r}"
    if not category.strip():
        raise fail(f"attribute {name!r}, value {value!r}: a form category has an empty name")
    if not isinstance(surfaces, list) or not surfaces:
        raise fail(f"{where}: forms must be a non-empty list of strings")
    result: dict[str, None] = {}
    for surface in surfaces:
        if not isinstance(surface, str):
            raise fail(f"{where}: form {surface!r} is not a string")
        cleaned = " ".join(surface.split())
        if not _SURFACE_RE.fullmatch(cleaned):
            raise fail(f"{where}: form {surface!r} must be words (letters, digits, spaces, hyphens)")
        if cleaned.lower() in _RESERVED_SURFACES:
            raise fail(f"{where}: form {surface!r} is reserved (it is an article)")
        result[cleaned] = None
    return tuple(result)


def _build_lexicon(attributes: list[AttributeSpec], fail: Any) -> dict[str, SurfaceEntry]:
    owners: dict[str, tuple[int, str]] = {}
    categories_of: dict[str, set[str]] = {}
    for index, spec in enumerate(attributes):
        for value in spec.values:
            readable = [*spec.forms[value].items(), *spec.aliases.get(value, {}).items()]
            for category, surfaces in readable:
                for surface in surfaces:
                    key = surface_key(surface)
                    owner = owners.get(key)
                    if owner is not None and owner[0] != index:
                        raise fail(
                            f"form {surface!r} belongs to two attributes "
                            f"({attributes[owner[0]].name!r} and {spec.name!r})"
                        )
                    if owner is not None and owner[1] != value:
                        raise fail(
                            f"attribute {spec.name!r}: form {surface!r} belongs to two values "
                            f"({owner[1]!r} and {value!r}), so it is ambiguous"
                        )
                    owners[key] = (index, value)
                    categories_of.setdefault(key, set()).add(category)

    families = _families(attributes, owners, categories_of)
    lexicon: dict[str, SurfaceEntry] = {}
    entries: dict[tuple[int, str, frozenset[str]], SurfaceEntry] = {}  # thousands of names share one
    for key, (index, value) in owners.items():
        cats = frozenset(categories_of[key])
        entry = entries.get((index, value, cats))
        if entry is None:
            pronoun = cats & PRONOUN_CATEGORIES
            if pronoun and pronoun != cats:
                raise fail(
                    f"attribute {attributes[index].name!r}: form {key!r} is both a pronoun and a "
                    f"non-pronoun form ({', '.join(sorted(cats))})"
                )
            family = families[index][next(iter(cats))]
            entry = SurfaceEntry(attribute=index, value=value, categories=cats, family=family, is_pronoun=bool(pronoun))
            entries[(index, value, cats)] = entry
        lexicon[key] = entry
    return lexicon


def _families(
    attributes: list[AttributeSpec],
    owners: dict[str, tuple[int, str]],
    categories_of: dict[str, set[str]],
) -> list[dict[str, frozenset[str]]]:
    """Per attribute, group categories that share a surface form in some value (union-find)."""
    result: list[dict[str, frozenset[str]]] = []
    for index, spec in enumerate(attributes):
        parent = {c: c for c in spec.categories}

        def root(c: str, parent: dict[str, str] = parent) -> str:
            while parent[c] != c:
                c = parent[c]
            return c

        for key, (owner, _) in owners.items():
            if owner != index or len(categories_of[key]) == 1:
                continue
            cats = sorted(categories_of[key], key=spec.categories.index)
            for other in cats[1:]:
                parent[root(other)] = root(cats[0])
        groups: dict[str, list[str]] = {}
        for c in spec.categories:
            groups.setdefault(root(c), []).append(c)
        result.append({c: frozenset(groups[root(c)]) for c in spec.categories})
    return result


class _Found:
    """One match of `Matcher.finditer`, read like a regex match."""

    __slots__ = ("_end", "_start", "_text")

    def __init__(self, text: str, start: int, end: int) -> None:
        self._text, self._start, self._end = text, start, end

    def start(self) -> int:
        return self._start

    def end(self) -> int:
        return self._end

    def span(self) -> tuple[int, int]:
        return self._start, self._end

    def group(self) -> str:
        return self._text[self._start : self._end]


_WORD_START = re.compile(r"(?<![\w-])\w")
_MATCHER_MEMO = 200_000  # windows remembered by a matcher before it starts afresh
_RUN = re.compile(r"[\w'’-]+")
_SPACE = re.compile(r"\s+")


class Matcher:
    """Finds every surface form of a lexicon in a folded text: whole words only (a match touches
    no letter, digit, underscore or hyphen: "man-made" holds no "man"), any whitespace inside a
    multi-word form, the longest form at the leftmost place. A word-by-word dictionary walk, so
    building one costs next to nothing, however many forms the taxonomy has."""

    def __init__(self, keys: Mapping[str, object]) -> None:
        self.keys = frozenset(keys)
        prefixes: set[str] = set()
        for key in keys:
            pieces = key.split(" ")
            for i in range(1, len(pieces)):
                prefixes.add(" ".join(pieces[:i]))
        self.prefixes = frozenset(prefixes)
        # a match reads no further than the longest key and the character after it: what starts at
        # a word is looked up by that window, so the words a set's candidates share (and the many
        # readings of one prompt) are walked once
        self._window = max((len(k) for k in keys), default=0) + 2
        self._seen: dict[str, int] = {}

    def finditer(self, text: str, pos: int = 0, endpos: int | None = None) -> list[_Found]:
        """The matches in `text` (folded), left to right, not overlapping."""
        limit = len(text) if endpos is None else endpos
        found: list[_Found] = []
        cursor = pos
        seen = self._seen
        if len(seen) > _MATCHER_MEMO:
            seen.clear()
        for start in _WORD_START.finditer(text, pos, limit):
            begin = start.start()
            if begin < cursor:
                continue
            window = text[begin : min(limit, begin + self._window)]
            length = seen.get(window)
            if length is None:
                longest = self._longest(window, 0, len(window))
                length = seen[window] = -1 if longest is None else longest
            if length >= 0:
                found.append(_Found(text, begin, begin + length))
                cursor = begin + length
        return found

    def _longest(self, text: str, begin: int, limit: int) -> int | None:
        best: int | None = None
        frontier = [(begin, "")]
        while frontier:
            position, so_far = frontier.pop()
            run = _RUN.match(text, position, limit)
            if run is None:
                continue
            for end in _piece_ends(text, position, run.end(), limit):
                key = so_far + text[position:end]
                if key in self.keys and (best is None or end > best):
                    best = end
                if key in self.prefixes:
                    space = _SPACE.match(text, end, limit)
                    if space is not None:
                        frontier.append((space.end(), key + " "))
        return best


def _piece_ends(text: str, start: int, stop: int, limit: int) -> list[int]:
    """Where a word starting at `start` may end: before an apostrophe or at the run's end, when
    no letter, digit, underscore or hyphen follows."""
    ends = [i for i in range(start + 1, stop) if text[i] in "'’" and text[i - 1] != "-"]
    ends.append(stop)
    return [e for e in ends if e >= limit or not (text[e].isalnum() or text[e] in "_-")]


def _build_matcher(lexicon: Mapping[str, SurfaceEntry]) -> Matcher:
    return Matcher(lexicon)
