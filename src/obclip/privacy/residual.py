"""Residual risk: words sent in clear in every candidate that correlate with a sensitive attribute
(the cue table's words, names not in the list, attribute words that describe no person). Told
to the user before anything is sent; `correlate` turns the cues into the anonymity.
"""

from __future__ import annotations

import functools
import json
import re
from dataclasses import dataclass
from importlib import resources

from obclip.privacy.binding import generator_labels, in_person_tag
from obclip.privacy.cues import KNOWN_PERSON, Implication, cue_table, find_cues
from obclip.privacy.taxonomy import OPT_IN, Matcher, default_taxonomy, fold
from obclip.privacy.template import Slot, Template
from obclip.privacy.words import FUNCTION_WORDS, SENTENCE_END, english_words, is_person_noun

_WORD = re.compile(r"\w[\w'’-]*")
_TITLE_CASE_WORDS = 4


@dataclass(frozen=True)
class Residual:
    """A word of the non-sensitive text that may still reveal a sensitive attribute.

    Args:
        word: the word as it appears in every candidate.
        reason: what it may reveal, e.g. ``"ethnicity or religion (garment)"``.
    """

    word: str
    reason: str

    def public_dict(self) -> dict[str, str]:
        return {"word": self.word, "reason": self.reason}


@dataclass(frozen=True)
class _Lexicon:
    categories: dict[str, str]
    not_names: frozenset[str]


@functools.cache
def _lexicon() -> _Lexicon:
    data_dir = resources.files("obclip.privacy").joinpath("data")
    data = json.loads(data_dir.joinpath("residual.json").read_text(encoding="utf-8"))
    return _Lexicon(categories=dict(data.get("categories", {})), not_names=frozenset(data["not_names"]))


# the categories of an opt-in attribute's words that name the attribute itself ("Muslim", "Sikhs");
# its garments and places ("hijab", "mosque") are in the cue table
_NAMING = frozenset({"adjective", "noun_singular", "noun_plural"})


@functools.cache
def _opt_in_words() -> tuple[dict[str, str], Matcher]:
    """The words that name a value of an opt-in attribute of the default taxonomy (folded surface ->
    the attribute's name), and their matcher."""
    full = default_taxonomy(OPT_IN)
    words = {
        key: full.attributes[entry.attribute].name
        for key, entry in full.lexicon.items()
        if full.attributes[entry.attribute].name in OPT_IN and entry.categories & _NAMING
    }
    return words, Matcher(words)


def cue_reason(implications: tuple[Implication, ...]) -> str:
    """How a cue's implications read as a residual-risk reason: ``"gender: male (strong cue)"``."""
    return "; ".join(f"{i.attribute}: {'/'.join(sorted(i.values))} ({i.strength} cue)" for i in implications)


def residual(template: Template) -> tuple[Residual, ...]:
    """The residual-risk words of `template` (the same for every member of its candidate set)."""
    lexicon = _lexicon()
    cues = cue_table().implications
    fixed = "".join(part if isinstance(part, str) else "\x00" for part in template.parts)
    folded = fold(fixed)
    found: dict[tuple[str, str], None] = {}
    named: list[tuple[int, int]] = []  # a known person's full name, told above as a whole
    for hit in find_cues(template):
        if not hit.slot:  # a word, not what a slot's category implies (below)
            found[(hit.word, cue_reason(hit.implications))] = None
            if hit.key.startswith(KNOWN_PERSON):
                named.append((hit.start, hit.end))

    labels = generator_labels(folded)  # "Sora: a woman walking": a tool's name, no person's

    def in_name(start: int, end: int) -> bool:
        return any(low <= start and end <= high for low, high in (*named, *labels))

    for part in template.parts:
        if isinstance(part, Slot) and part.attribute is not None:
            reason = lexicon.categories.get(part.category)
            if reason:
                spec = template.taxonomy.attribute(template.attributes[part.attribute].kind)
                word = "/".join(spec.canonical(v, part.category) for v in spec.values_for((part.category,)))
                found[(word, reason)] = None
    person = bool(template.attributes) or any(is_person_noun(_bare(w.group())) for w in _WORD.finditer(folded))
    if person:
        varied = {a.kind for a in template.attributes}
        for match in template.taxonomy.matcher.finditer(folded):
            entry = template.taxonomy.lexicon[" ".join(match.group().split())]
            name = template.taxonomy.attributes[entry.attribute].name
            if name in varied and not entry.is_pronoun:
                if in_person_tag(template.taxonomy, folded, match.start(), match.end()):
                    continue  # "1girl, cowboy shot": a framing, which says nothing of anyone
                if in_name(match.start(), match.end()):
                    continue  # "Julius Caesar": the name is told whole
                word = fixed[match.start() : match.end()]
                found[(word, f"{name} word sent unchanged (it does not seem to describe a person)")] = None
        opt_words, opt_matcher = _opt_in_words()
        off = set(OPT_IN) - {a.name for a in template.taxonomy.attributes}
        for match in opt_matcher.finditer(folded) if off else ():
            name = opt_words[" ".join(match.group().split())]
            if name in off:
                word = fixed[match.start() : match.end()]
                found[(word, f"{name}; not varied unless opted in: --{name}")] = None
        for word, start in _capitalised(fixed):
            key = fold(word)
            if (key in opt_words and opt_words[key] in off) or in_name(start, start + len(word)):
                continue
            if word not in lexicon.not_names and key not in cues and key not in template.taxonomy.lexicon:
                found[(word, "a name or place, not varied")] = None
    return tuple(Residual(word, reason) for word, reason in found)


def _capitalised(text: str) -> list[tuple[str, int]]:
    """Capitalised words that do not start a sentence (names and places), with their offsets; not a
    function word ("Of"), nor an English word in a text written in title case throughout, where
    every word has a capital ("Portrait Of An Old Man, Studio Lighting": "Lighting" is no place)."""
    words = [m.group() for m in _WORD.finditer(text) if m.group()[0].isalpha()]
    title_case = len(words) >= _TITLE_CASE_WORDS and all(w[0].isupper() for w in words)
    result = []
    for match in _WORD.finditer(text):
        word = match.group()
        if not word[0].isupper() or (word.isupper() and len(word) <= 4) or any(c.isdigit() for c in word):
            continue
        if fold(word) in FUNCTION_WORDS or (title_case and fold(word) in english_words()):
            continue
        j = match.start()
        while j > 0 and text[j - 1] in " \t\n\"'“‘(":
            j -= 1
        after_title = j >= 2 and text[j - 1] == "." and text[j - 2] == "\x00"
        if j == 0 or (text[j - 1] in SENTENCE_END and not after_title) or text[j - 1] in ":;":
            continue
        result.append((word, match.start()))
    return result


def _bare(word: str) -> str:
    return word[:-2] if word.endswith(("'s", "’s")) else word
