"""Detection: turns a prompt into a `Template` (fixed text, attribute slots, pronoun and article
slots) plus the values the user wrote, by the rules documented in docs/privacy.md.
"""

from __future__ import annotations

import bisect
import functools
import re
from dataclasses import dataclass, field

from obclip.errors import InvalidInputError
from obclip.privacy.taxonomy import AttributeSpec, SurfaceEntry, Taxonomy, default_taxonomy, fold, surface_key
from obclip.privacy.template import ARTICLE, Attribute, Part, Slot, Template
from obclip.privacy.words import COPULAS, FUNCTION_WORDS, PERSON_NOUNS, SENTENCE_END

_WORD_CHAR = re.compile(r"[\w'’-]")
_WORD = re.compile(r"\w[\w'’-]*")
_GAP_OK = re.compile(r"[\w'’\s,-]*")
_PRONOUN_FALLBACK = (
    "object_pronoun",
    "possessive_pronoun",
    "subject_pronoun",
    "reflexive_pronoun",
    "possessive_determiner",
)


@dataclass
class _Match:
    index: int
    start: int
    end: int
    entry: SurfaceEntry
    category: str = ""
    variable: int = -1
    article: tuple[int, int] | None = None


@dataclass
class _Variable:
    kind: int
    person: int
    value: str
    first: int
    differs_from: list[int] = field(default_factory=list)


@functools.lru_cache(maxsize=1024)
def _attribute(name: str, spec: AttributeSpec, person: int, differs_from: tuple[str, ...]) -> Attribute:
    return Attribute(name=name, kind=spec.name, values=spec.values, person=person, differs_from=differs_from)


def detect(prompt: str, taxonomy: Taxonomy | None = None) -> Template:
    """Find the sensitive words of `prompt` and return its template.

    The returned template carries the values the user wrote in `true_values` (device memory
    only); `Template.public()` drops them.

    Raises:
        InvalidInputError: if `prompt` is not a string or is empty or whitespace only.
    """
    if not isinstance(prompt, str):
        raise InvalidInputError(f"prompt must be a string, got {type(prompt).__name__}")
    text = prompt.strip()
    if not text:
        raise InvalidInputError("prompt is empty")
    taxonomy = taxonomy if taxonomy is not None else default_taxonomy()
    return _Detector(text, taxonomy).template()


class _Detector:
    def __init__(self, text: str, taxonomy: Taxonomy) -> None:
        self.text = text
        self.folded = fold(text)
        self.taxonomy = taxonomy
        self.matches = [
            _Match(i, m.start(), m.end(), taxonomy.lexicon[surface_key(m.group())])
            for i, m in enumerate(taxonomy.matcher.finditer(self.folded))
        ]
        self.starts = {m.start: i for i, m in enumerate(self.matches)}
        self.ends = {m.end: i for i, m in enumerate(self.matches)}

    def template(self) -> Template:
        for match in self.matches:
            match.category = self._category(match)
            match.article = self._article_before(match.start)
        variables = self._variables()
        order = sorted(range(len(variables)), key=lambda v: variables[v].first)
        new_index = {old: new for new, old in enumerate(order)}
        attributes = self._attributes(variables, order)
        for match in self.matches:
            match.variable = new_index[match.variable]
        values = tuple(variables[old].value for old in order)
        return Template(self._parts(), attributes, self.taxonomy, values)

    def _next_token(self, end: int) -> tuple[str, object]:
        """What follows a slot: ("slot", match index), ("word", folded word), ("punct"|"end", None)."""
        text, k = self.text, end
        while k < len(text) and text[k].isspace():
            k += 1
        if k == len(text):
            return "end", None
        if k == end:
            return "punct", None
        if k in self.starts:
            return "slot", self.starts[k]
        word = _WORD.match(self.folded, k)
        if word is None:
            return "punct", None
        stop = word.end()
        for i in range(k + 1, stop):
            if i in self.starts:
                stop = i
                break
        return "word", self.folded[k:stop]

    def _word_before(self, start: int) -> tuple[str, int, int] | None:
        """The word before `start` across whitespace, with its span ("" if a slot), or None."""
        j = start
        while j > 0 and self.text[j - 1].isspace():
            j -= 1
        if j == start or j == 0:
            return None
        if j in self.ends:
            return "", j, j
        i = j
        while i > 0 and _WORD_CHAR.match(self.folded[i - 1]) and i not in self.ends:
            i -= 1
        return self.folded[i:j], i, j

    def _category(self, match: _Match) -> str:
        """Pick the form category from the surface's family and the context (never the value)."""
        entry = match.entry
        family = entry.family
        if len(family) == 1:
            return next(iter(family))
        kind, token = self._next_token(match.end)
        if entry.is_pronoun:
            if "possessive_determiner" in family and self._introduces_noun(kind, token):
                return "possessive_determiner"
            before = self._word_before(match.start)
            word = before[0] if before else ""
            after_copula = word in COPULAS or word.endswith(("'s", "’s"))
            if "possessive_pronoun" in family and after_copula:
                return "possessive_pronoun"
            return next(c for c in _PRONOUN_FALLBACK if c in family)
        order = self.taxonomy.attributes[entry.attribute].categories
        if "adjective" in family and self._introduces_person(kind, token):
            return "adjective"
        ranked = sorted(family, key=lambda c: (c == "adjective", order.index(c)))
        return ranked[0]

    def _introduces_noun(self, kind: str, token: object) -> bool:
        if kind == "slot":
            return not self.matches[token].entry.is_pronoun  # type: ignore[index]
        return kind == "word" and token not in FUNCTION_WORDS

    def _introduces_person(self, kind: str, token: object) -> bool:
        if kind == "slot":
            return not self.matches[token].entry.is_pronoun  # type: ignore[index]
        return kind == "word" and token in PERSON_NOUNS

    def _article_before(self, start: int) -> tuple[int, int] | None:
        before = self._word_before(start)
        if before is None or before[0] not in ("a", "an"):
            return None
        return before[1], before[2]

    def _capital(self, position: int, match: _Match | None = None) -> bool:
        """A slot starts with a capital where it starts a sentence and the user wrote one there,
        or where some value's canonical form has one ("African"), so that every candidate agrees."""
        before = position
        while before > 0 and self.text[before - 1].isspace():
            before -= 1
        if before > 0 and self.text[before - 1] not in SENTENCE_END:
            return False
        if self.text[position].isupper():
            return True
        if match is None:
            return False
        spec = self.taxonomy.attributes[match.entry.attribute]
        return any(spec.canonical(v, match.category)[0].isupper() for v in spec.values)

    def _variables(self) -> list[_Variable]:
        """One variable per attribute word; pronouns bind to a person's variable (see the docs)."""
        variables: list[_Variable] = []
        person = -1
        previous: _Match | None = None
        by_kind: dict[int, list[_Match]] = {}
        for match in self.matches:
            if match.entry.is_pronoun:
                continue
            if previous is None or not self._same_person(previous, match):
                person += 1
            match.variable = len(variables)
            variables.append(_Variable(match.entry.attribute, person, match.entry.value, match.start))
            by_kind.setdefault(match.entry.attribute, []).append(match)
            previous = match

        starts = {kind: [m.start for m in matches] for kind, matches in by_kind.items()}
        units: dict[int, list[int]] = {}
        pronoun_roots: dict[int, int] = {}
        for match in self.matches:
            if not match.entry.is_pronoun:
                continue
            kind = match.entry.attribute
            target = self._binding(match, by_kind.get(kind, []), starts.get(kind, []))
            if target is None and kind not in pronoun_roots:
                person += 1
                match.variable = len(variables)
                pronoun_roots[kind] = match.variable
                variables.append(_Variable(kind, person, match.entry.value, match.start))
                continue
            root = target if target is not None else pronoun_roots[kind]
            unit = units.setdefault(root, [root])
            bound = next((v for v in unit if variables[v].value == match.entry.value), None)
            if bound is None:
                person += 1
                bound = len(variables)
                variables.append(_Variable(kind, person, match.entry.value, match.start, differs_from=list(unit)))
                unit.append(bound)
            match.variable = bound
        return variables

    def _binding(self, pronoun: _Match, candidates: list[_Match], starts: list[int]) -> int | None:
        """Nearest preceding attribute word of the pronoun's attribute, else the nearest following."""
        if not candidates:
            return None
        before = bisect.bisect_left(starts, pronoun.start)
        return candidates[before - 1 if before else 0].variable

    def _same_person(self, previous: _Match, match: _Match) -> bool:
        """Whether `match` continues the noun phrase of `previous` ("young ... African woman")."""
        if previous.category != "adjective" or match.article is not None:
            return False
        if match.index - previous.index > 1:
            return False
        gap = self.folded[previous.end : match.start]
        if not _GAP_OK.fullmatch(gap):
            return False
        words = gap.replace(",", " ").split()
        return len(words) <= 3 and not any(w in FUNCTION_WORDS for w in words)

    def _attributes(self, variables: list[_Variable], order: list[int]) -> tuple[Attribute, ...]:
        persons: dict[int, int] = {}
        for old in order:
            persons.setdefault(variables[old].person, len(persons))
        names: dict[int, str] = {}
        taken: set[str] = set()
        for old in order:
            base = f"{self.taxonomy.attributes[variables[old].kind].name}_{persons[variables[old].person]}"
            name, suffix = base, 2
            while name in taken:
                name, suffix = f"{base}_{suffix}", suffix + 1
            names[old] = name
            taken.add(name)
        return tuple(
            _attribute(
                names[old],
                self.taxonomy.attributes[variables[old].kind],
                persons[variables[old].person],
                tuple(names[v] for v in variables[old].differs_from),
            )
            for old in order
        )

    def _parts(self) -> tuple[Part, ...]:
        spans: list[tuple[int, int, Slot]] = []
        for match in self.matches:
            if match.article is not None:
                capital = self._capital(match.article[0])
                spans.append((*match.article, Slot(None, ARTICLE, capital)))
                capital = False
            else:
                capital = self._capital(match.start, match)
            spans.append((match.start, match.end, Slot(match.variable, match.category, capital)))

        parts: list[Part] = []
        cursor = 0
        for start, end, slot in spans:
            gap = self.text[cursor:start]
            if cursor > 0:
                stripped = gap.lstrip()
                gap = (" " if stripped != gap else "") + stripped
            stripped = gap.rstrip()
            gap = stripped + (" " if stripped != gap else "")
            if gap:
                parts.append(gap)
            parts.append(slot)
            cursor = end
        tail = self.text[cursor:]
        if tail:
            stripped = tail.lstrip()
            parts.append((" " if stripped != tail else "") + stripped)
        return tuple(parts)
