"""What every candidate keeps of what the user wrote: a slot's written number and its style, and a
first name's pair, so the user's own candidate keeps its numbers and names while the set stays closed.

A slot's *form key* is a function of the user's word that is the same for every member of the set:
for a number, its style ("#-{U}-old", "@ {U}s old", "#s") and its *block* (a row of
`data/keep.json`: one number per value, e.g. 25 / 40 / 70, every number in one row only); for a
first name, its *pair* (one name per gender value, same country, every name in one pair only).
Every value renders its own entry of the row, so each member reads back to the same key. A number
in no row renders in its style with the canonical row; a name in no pair renders canonically.
"""

from __future__ import annotations

import functools
import itertools
import json
import re
from collections.abc import Iterator, Mapping, Sequence
from importlib import resources
from typing import Any

from obclip.privacy.normalize import normalize
from obclip.privacy.taxonomy import AttributeSpec, Taxonomy, data_name_keys, surface_key
from obclip.privacy.words import data_file, known_person_rests, wordnet_named

_SEP = "|"
_NAME = "name"
_BARE = "bare:"
_PARALLEL = "form"
_RANGE = "~"
_FIRST_DIGITS = re.compile(r"\d+")
# a bare age read only with two digits or three ("mom 52"; "girl 2" is a label): `bare_key`
TWO_DIGITS = re.compile(r"\d{2,3}")

_SMALL = [
    "zero",
    "one",
    "two",
    "three",
    "four",
    "five",
    "six",
    "seven",
    "eight",
    "nine",
    "ten",
    "eleven",
    "twelve",
    "thirteen",
    "fourteen",
    "fifteen",
    "sixteen",
    "seventeen",
    "eighteen",
    "nineteen",
]
_TENS = ["_", "_", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"]
_SMALL_ORDINAL = [
    "zeroth",
    "first",
    "second",
    "third",
    "fourth",
    "fifth",
    "sixth",
    "seventh",
    "eighth",
    "ninth",
    "tenth",
    "eleventh",
    "twelfth",
    "thirteenth",
    "fourteenth",
    "fifteenth",
    "sixteenth",
    "seventeenth",
    "eighteenth",
    "nineteenth",
]
_TENS_ORDINAL = [
    "_",
    "_",
    "twentieth",
    "thirtieth",
    "fortieth",
    "fiftieth",
    "sixtieth",
    "seventieth",
    "eightieth",
    "ninetieth",
]
_DECADE_WORDS = [
    "_",
    "teens",
    "twenties",
    "thirties",
    "forties",
    "fifties",
    "sixties",
    "seventies",
    "eighties",
    "nineties",
]


def _number_words() -> dict[str, tuple[int, str]]:
    """Every English number word 0..99 (cardinal ``@``, ordinal ``@o``, decade ``@s``)."""
    words: dict[str, tuple[int, str]] = {}
    for n, word in enumerate(_SMALL):
        words[word] = (n, "@")
        words[_SMALL_ORDINAL[n]] = (n, "@o")
    for t in range(2, 10):
        words[_TENS[t]] = (10 * t, "@")
        words[_TENS_ORDINAL[t]] = (10 * t, "@o")
        words[_DECADE_WORDS[t]] = (10 * t, "@s")
        for u in range(1, 10):
            words[f"{_TENS[t]}-{_SMALL[u]}"] = (10 * t + u, "@")
            words[f"{_TENS[t]}-{_SMALL_ORDINAL[u]}"] = (10 * t + u, "@o")
    words["teens"] = (10, "@s")
    return words


_WORDS = _number_words()
_NUMBER = re.compile(
    r"(?<![a-z0-9])(?:(?P<d>\d+)(?P<o>st|nd|rd|th)?|(?P<w>"
    + "|".join(sorted(map(re.escape, _WORDS), key=len, reverse=True))
    + "))"
)
_UNIT = re.compile(r"(?<![a-z])(month|year)(?![a-rt-z])")


def parse_number(surface: str) -> tuple[str, str] | None:
    """(style, number) of a surface form holding an age, or None.

    The style is the surface with its first number replaced by a marker (``#`` digits, ``#o``
    an ordinal in digits, ``@``/``@o``/``@s`` a cardinal, ordinal or decade in words) and "month" or
    "year" by ``{U}``; the number is its integer, with ``m`` appended for months ("6-month-old":
    ``("#-{U}-old", "6m")``; "forty-five years old": ``("@ {U}s old", "45")``).
    """
    text = surface_key(surface)
    found = _NUMBER.search(text)
    if found is None:
        return None
    if found.group("d") is not None:
        number = int(found.group("d"))
        marker = "#o" if found.group("o") else "#"
    else:
        number, marker = _WORDS[found.group("w")]
    style = text[: found.start()] + marker + text[found.end() :]
    months = False
    unit = _UNIT.search(style)
    if unit is not None:
        months = unit.group(1) == "month"
        if months and style[unit.end() :] in ("", "s") and style[: unit.start()].endswith(("# ", "@ ")):
            style = style[: unit.start() - 1]  # "aged 6 months" is "aged #" in months, as "aged 5" in years
        else:
            style = style[: unit.start()] + "{U}" + style[unit.end() :]
    return style, f"{number}m" if months else str(number)


@functools.cache
def _blocks() -> dict[str, dict[str, dict[str, Any]]]:
    resource = resources.files("obclip.privacy").joinpath("data/keep.json")
    data = json.loads(resource.read_text(encoding="utf-8"))
    return data["numbers"]


@functools.lru_cache(maxsize=256)
def _number_table(
    spec: AttributeSpec, category: str
) -> tuple[tuple[dict[str, str], ...], dict[tuple[str, str, str], str]] | None:
    """The rows of `spec`'s number blocks that apply to `category` (value -> number), and the
    forms of `category` by (value, style, number)."""
    groups = _blocks().get(spec.name)
    if not groups:
        return None
    group = next((g for g in groups.values() if category in g.get("categories", ())), groups.get("default"))
    if group is None:
        return None
    values: list[str] = list(group["values"])
    rows = tuple({v: str(n) for v, n in zip(values, row, strict=True)} for row in group["blocks"])
    forms: dict[tuple[str, str, str], str] = {}
    for value in spec.values:
        for form in spec.forms[value].get(category, ()):
            parsed = parse_number(form)
            if parsed is not None:
                forms.setdefault((value, *parsed), form)
    # the canonical forms must be one row in one style (or hold no number), so that a canonical
    # rendering reads back to the canonical key; a category where they are not keeps no numbers
    if any(category not in spec.forms.get(v, {}) for v in values):
        return None
    canonical = {v: parse_number(spec.canonical(v, category)) for v in values}
    styles = {c[0] if c else None for c in canonical.values()}
    if styles == {None}:
        return rows, forms  # canonical forms without numbers ("young"): they read back to no key
    if None in styles or len(styles) != 1 or {v: c[1] for v, c in canonical.items() if c} != rows[0]:
        return None
    return rows, forms


@functools.lru_cache(maxsize=256)
def _row_of(spec: AttributeSpec, category: str) -> dict[tuple[str, str], int]:
    table = _number_table(spec, category)
    if table is None:
        return {}
    result: dict[tuple[str, str], int] = {}
    for index, row in enumerate(table[0]):
        for value, number in row.items():
            result.setdefault((value, number), index)
    return result


def form_key(
    taxonomy: Taxonomy, spec: AttributeSpec, value: str, category: str, surface: str, values: Sequence[str]
) -> str:
    """The form key of a slot (``""``: render canonically) from the surface the user wrote.

    Args:
        taxonomy: the taxonomy the slot was read with.
        spec: the slot's attribute.
        value: the value the user's word has.
        category: the slot's form category.
        surface: the user's word (its lookup form).
        values: the slot's value space (every value must render under the key).
    """
    if category == "first_name":
        pair = _pairs(taxonomy, spec).get(surface_key(surface))
        if pair is None or pair[0] == 0 or pair[1] != value:
            return ""
        names = _pair_rows(taxonomy, spec)[pair[0]]
        return f"{_NAME}{_SEP}{pair[0]}" if all(v in names for v in values) else ""
    if category in _parallel().get(spec.name, ()):
        return _parallel_key(spec, value, category, surface, values)
    table = _number_table(spec, category)
    if table is None:
        return ""
    parsed = parse_number(surface)
    if parsed is None:
        return ""
    style, number = parsed
    rows, forms = table
    row = _row_of(spec, category).get((value, number))
    # the user's row in the user's style, else in digits ("first" -> "1st": its row has no
    # "thirty-seventh"), else the row nearest the user's number that every value renders in the
    # user's style ("87" -> "88"; a member of that row reads back to it first: the same key)
    tries = [(style, row), (style.replace("@", "#"), row)] if row is not None else []
    for wanted, index in itertools.chain(tries, ((style, i) for i in _nearest_rows(rows, value, number))):
        rendered = [forms.get((v, wanted, rows[index].get(v, ""))) for v in values]
        if all(rendered):
            if all(f == spec.canonical(v, category) for f, v in zip(rendered, values, strict=True)):
                return ""
            return f"{wanted}{_SEP}{index}"
    return ""


def _nearest_rows(rows: Sequence[dict[str, str]], value: str, number: str) -> Iterator[int]:
    """The rows in order of their `value` number's distance from `number`, sorted only when asked
    for (most keys are the user's own row: a read-back reads thousands of them)."""
    target = _months(number)
    yield from sorted(range(len(rows)), key=lambda i: (abs(_months(rows[i].get(value, "")) - target), i))


def _months(number: str) -> int:
    """An age of a row ("45", "6m") in months, for the nearest row; a large figure when it is none."""
    if number.endswith("m") and number[:-1].isdigit():
        return int(number[:-1])
    return 12 * int(number) if number.isdigit() else 10**6


def bare_key(
    spec: AttributeSpec, value: str, category: str, written: str, values: Sequence[str], two_digits: bool = False
) -> str:
    """The form key of a bare age ("45" in "a woman, 45, sitting", "six" in "a boy of about six"):
    every value renders the bare number of the written number's row (else of the nearest row that
    can), in the same style (digits or words), when each is a number of years below 100 (of two
    digits where `two_digits`: "mom 52" is read there, "girl 2" is not); else ``""`` (the slot is
    then read as its "N years old" form, `form_key`)."""
    parsed = parse_number(written)
    table = _number_table(spec, category)
    if parsed is None or table is None or parsed[0] not in ("#", "@"):
        return ""
    style, number = parsed
    rows = table[0]
    row = _row_of(spec, category).get((value, number))
    for index in itertools.chain([row] if row is not None else [], _nearest_rows(rows, value, number)):
        said = {v: _bare_said(rows[index].get(v, ""), style) for v in values}
        if two_digits and not all(TWO_DIGITS.fullmatch(b) for b in said.values()):
            continue
        if all(said.values()) and all(_bare_reads_as(spec, v, category, b) for v, b in said.items()):
            return f"{_BARE}{style}{_SEP}{index}"
    return ""


def _bare_said(number: str, style: str) -> str:
    """How a row's number is written bare: "7" or "seven" (years below 100), "18 months" or
    "eighteen months" (months); "" when it cannot be."""
    if number.isdigit() and int(number) < 100:
        return number if style == "#" else _spell(int(number))
    if number.endswith("m") and number[:-1].isdigit() and int(number[:-1]) < 100:
        return f"{number[:-1]} months" if style == "#" else f"{_spell(int(number[:-1]))} months"
    return ""


def bare_form(bare: str) -> str:
    """The form a bare age is read as: "45" as "45 years old", "18 months" as "18 months old"."""
    return f"{bare} old" if bare.endswith(("month", "months")) else f"{bare} years old"


def _bare_reads_as(spec: AttributeSpec, value: str, category: str, bare: str) -> bool:
    """Whether a bare age reads back as `value` (detection reads it as its `bare_form`)."""
    return bare_form(bare) in _form_keys(spec, value, category)


@functools.lru_cache(maxsize=256)
def _form_keys(spec: AttributeSpec, value: str, category: str) -> frozenset[str]:
    """The lookup forms of `value`'s forms of `category` (a large age category holds hundreds)."""
    return frozenset(surface_key(f) for f in spec.forms[value].get(category, ()))


def _spell(number: int) -> str:
    if number < 20:
        return _SMALL[number]
    tens, units = divmod(number, 10)
    return _TENS[tens] + (f"-{_SMALL[units]}" if units else "")


def range_key(key: str, separator: str, width: int) -> str:
    """The form key of an age range ("25-30", "aged 40 to 45"): every value renders `key`, its
    lower bound, and then `separator` and that number plus `width` ("40-45", "70-75"), so each
    candidate reads back to the same key (detection reads a range by its lower bound)."""
    return f"{key}{_RANGE}{width}{_RANGE}{separator}"


def range_renders(rendered: Sequence[str]) -> bool:
    """Whether every rendering of a range's lower bound holds its number in digits (`range_key`)."""
    return all(_FIRST_DIGITS.search(r) is not None for r in rendered)


def render_form(taxonomy: Taxonomy, spec: AttributeSpec, value: str, category: str, key: str) -> str:
    """The surface of `value` in `category` under a form key (`form_key`); canonical for ``""``."""
    if _RANGE in key:
        key, width, separator = key.split(_RANGE)
        lower = render_form(taxonomy, spec, value, category, key)
        return _FIRST_DIGITS.sub(lambda n: f"{n.group()}{separator}{int(n.group()) + int(width)}", lower, count=1)
    if not key:
        return spec.canonical(value, category)
    style, _, index = key.rpartition(_SEP)
    if style == _NAME:
        return _pair_rows(taxonomy, spec)[int(index)][value]
    if style == _PARALLEL:
        return spec.forms[value][category][int(index)]
    if style.startswith(_BARE):
        table = _number_table(spec, category)
        assert table is not None
        return _bare_said(table[0][int(index)][value], style[len(_BARE) :])
    table = _number_table(spec, category)
    assert table is not None
    rows, forms = table
    return forms[(value, style, rows[int(index)][value])]


@functools.cache
def _parallel() -> dict[str, frozenset[str]]:
    resource = resources.files("obclip.privacy").joinpath("data/keep.json")
    data = json.loads(resource.read_text(encoding="utf-8"))
    return {name: frozenset(categories) for name, categories in data.get("parallel", {}).items()}


def _parallel_key(spec: AttributeSpec, value: str, category: str, surface: str, values: Sequence[str]) -> str:
    """A category whose forms are parallel lists (``keep.json``, ``parallel``: "lass" / "lad",
    "stepmom" / "stepdad"): the user's word's position, when every value has a form there."""
    forms = spec.forms[value].get(category, ())
    key = surface_key(surface)
    index = next((i for i, f in enumerate(forms) if surface_key(f) == key), 0)
    if index == 0 or not all(len(spec.forms[v].get(category, ())) > index for v in values):
        return ""
    if index >= _single_words(spec, category):
        return ""  # a group's "X and Y" of one value ("women and ladies") has no counterpart
    return f"{_PARALLEL}{_SEP}{index}"


@functools.lru_cache(maxsize=256)
def _single_words(spec: AttributeSpec, category: str) -> int:
    """How many leading forms of `category` say one thing in every full value: a group category
    lists its words ("nonnas") before their pairs ("grandmothers and nonnas"), and its mixed value
    lists the i-th words of the others joined ("nonnos and nonnas") first, so only those positions
    are parallel; a category without pairs is parallel throughout."""
    counts = [
        next((i for i, f in enumerate(spec.forms[v][category]) if " and " in f), len(spec.forms[v][category]))
        for v in spec.values
        if category in spec.forms.get(v, {}) and " and " not in spec.forms[v][category][0]
    ]
    return min(counts, default=0)


# --- first-name pairs ------------------------------------------------------------------------


@functools.cache
def _name_data() -> dict[str, Any]:
    return data_file("first_names.json")


@functools.cache
def _countries() -> dict[str, str]:
    """The main country of each generated first name (`data/first_names.json`)."""
    data = _name_data()
    result: dict[str, str] = {}
    for group in ("names", "word_names"):
        for names in data.get(group, {}).values():
            for name, countries in names.items():
                result.setdefault(surface_key(name), countries[0] if countries else "")
    return result


def _zip_by_country(pools: Mapping[str, Sequence[str]], values: Sequence[str]) -> list[dict[str, str]]:
    """Rows of one name per value: within each main country in pool order, then the rest in pool
    order, so that the names left without a partner are the last of their pool (the generated
    names are listed most given first: `data/first_names.json`)."""
    countries = _countries()
    by_country: dict[str, dict[str, list[str]]] = {}
    for value in values:
        for name in pools[value]:
            by_country.setdefault(countries.get(surface_key(name), ""), {}).setdefault(value, []).append(name)
    rows: list[dict[str, str]] = []
    leftovers: dict[str, list[str]] = {v: [] for v in values}
    for country in sorted(by_country):
        lists = by_country[country]
        count = min(len(lists.get(v, ())) for v in values)
        rows.extend({v: lists[v][i] for v in values} for i in range(count))
        for v in values:
            leftovers[v].extend(lists.get(v, [])[count:])
    for v in values:
        place = {name: i for i, name in enumerate(pools[v])}
        leftovers[v].sort(key=place.__getitem__)
    count = min(len(names) for names in leftovers.values())
    rows.extend({v: leftovers[v][i] for v in values} for i in range(count))
    return rows


@functools.cache
def _read_as_kin() -> frozenset[str]:
    """Names that detection reads as a person word in some places (`binding.json`: "Nan" after a
    possessive is "grandma", "their Nan fast"): in no pair, or a decoy would read back otherwise."""
    data = data_file("binding.json")
    return frozenset(
        surface_key(word)
        for key in ("after_a_possessive", "after_a_person_noun")
        for word in data.get(key, {}).get("words", {})
    )


@functools.lru_cache(maxsize=16)
def _pair_rows(taxonomy: Taxonomy, spec: AttributeSpec) -> tuple[Mapping[str, str], ...]:
    """Rows of first names, one per value that has names; row 0 is the canonical names.

    Names are paired within their main country, in list order, then whatever is left over across
    countries; hand-listed names (read wherever capitalised), generated names (read where the
    prompt is about a person), generated names that alone name a place ("Gracie": read only with a
    person word, `words.wordnet_named`) and names that are English words too ("Rose", "Mark": read
    only after a kin word or title, "Grandma Rose") each pair among themselves, so a decoy name is
    read wherever the user's is. A name that normalisation changes ("Akın" reads as the word "akin")
    is in no row, nor is a name read as a kin word after a possessive ("their Nan"), nor a name
    left without a partner (it renders canonically)."""
    values = [v for v in spec.values if spec.forms[v].get("first_name")]
    if len(values) < 2:
        return ()
    rows: list[dict[str, str]] = [{v: spec.canonical(v, "first_name") for v in values}]
    used = {surface_key(n) for n in rows[0].values()} | _read_as_kin()
    # hand-listed names are read wherever capitalised, generated ones only where the prompt is about
    # a person: each kind pairs among itself, so a decoy name is read wherever the user's is
    generated = data_name_keys()
    named = wordnet_named()
    hand: dict[str, list[str]] = {v: [] for v in values}
    listed: dict[str, list[str]] = {v: [] for v in values}
    listed_named: dict[str, list[str]] = {v: [] for v in values}
    for value in values:
        for name in spec.forms[value]["first_name"]:
            key = surface_key(name)
            if key not in used and normalize.__wrapped__(name).text == name:  # uncached: 8,000 names
                used.add(key)
                kind = hand if key not in generated else listed_named if key in named else listed
                kind[value].append(name)
    rows += _zip_by_country(hand, values)
    rows += _zip_by_country(listed, values)
    rows += _zip_by_country(listed_named, values)
    word_names = _name_data().get("word_names", {})
    if all(v in word_names for v in values):
        lexicon = taxonomy.lexicon
        words = {
            v: [n for n in word_names[v] if surface_key(n) not in used and surface_key(n) not in lexicon]
            for v in values
        }
        rows += _zip_by_country(words, values)
    return tuple(rows)


def pair_of(taxonomy: Taxonomy, spec: AttributeSpec, key: str) -> tuple[Mapping[str, str], str] | None:
    """The names of a first-name form key (``name|i``: value -> name) and the main country both
    names share ("" when they were paired across countries); None for any other key. Every member
    sends the same pair, so what the pair says of the person is in clear (`cues.find_cues`)."""
    style, _, index = key.rpartition(_SEP)
    if style != _NAME or not index.isdigit():
        return None
    rows = _pair_rows(taxonomy, spec)
    if int(index) >= len(rows):
        return None
    row = rows[int(index)]
    countries = {_countries().get(surface_key(name), "") for name in row.values()}
    return row, countries.pop() if len(countries) == 1 else ""


def name_renderings(taxonomy: Taxonomy, spec: AttributeSpec, surface: str) -> frozenset[str]:
    """The first names (folded) that a slot holding `surface` may render: the names of its pair, or
    the canonical ones for a name in no pair, and the name as written."""
    key = surface_key(surface)
    pair = _pairs(taxonomy, spec).get(key)
    rows = _pair_rows(taxonomy, spec)
    row = rows[pair[0]] if pair is not None else rows[0] if rows else {}
    return frozenset({key, *(surface_key(name) for name in row.values())})


_NAME_WORD = re.compile(r"[^\W\d_]+(?:['’-][^\W\d_]+)*")
_REST_WORDS = 4  # the longest rest of a known name ("of the ...") in words


def known_person_spans(taxonomy: Taxonomy, folded: str) -> tuple[tuple[int, int, str], ...]:
    """(start, end, value) of each known person's full name in `folded` ("Julius Caesar", "Joan of
    Arc": `data/known_persons.json`): a first name of the taxonomy followed by the rest of a known
    name that any name its slot may render opens (`name_renderings`), so that a decoy's first name
    is read as the user's ("Emma Watson" is one, since "James Watson" is); the value is the first
    name's own. Such a name is sent as written and is a strong cue of that value."""
    spec = next((a for a in taxonomy.attributes if "first_name" in a.categories), None)
    rests = known_person_rests()
    if spec is None or not rests:
        return ()
    words = list(_NAME_WORD.finditer(folded))
    found: list[tuple[int, int, str]] = []
    at = 0
    for i, word in enumerate(words):
        if word.start() < at:
            continue
        entry = taxonomy.lexicon.get(surface_key(word.group()))
        if entry is None or "first_name" not in entry.categories:
            continue
        for n in range(min(_REST_WORDS, len(words) - i - 1), 0, -1):
            following = words[i + 1 : i + 1 + n]
            gaps = [folded[a.end() : b.start()] for a, b in zip([word, *following], following, strict=False)]
            if any(not gap or gap.strip(" \t") for gap in gaps):
                continue  # only spaces between the words of a name
            firsts = rests.get(" ".join(w.group() for w in following))
            if firsts and firsts & name_renderings(taxonomy, spec, word.group()):
                found.append((word.start(), following[-1].end(), entry.value))
                at = following[-1].end()
                break
    return tuple(found)


@functools.lru_cache(maxsize=16)
def _pairs(taxonomy: Taxonomy, spec: AttributeSpec) -> dict[str, tuple[int, str]]:
    return {
        surface_key(name): (index, value)
        for index, row in enumerate(_pair_rows(taxonomy, spec))
        for value, name in row.items()
    }
