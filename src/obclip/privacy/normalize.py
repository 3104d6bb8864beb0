"""Normalisation: the one form of a text that detection reads (NFKC, invisible and bidi controls
removed, look-alike letters mapped to Latin by their UTS #39 confusable, tag underscores as spaces).

Every text that reaches detection goes through `normalize` first (prompt, negative prompt, API,
app, server), so "wo\u200bman", "wоman" (Cyrillic о), "ｗｏｍａｎ" and "fiance\u0301e" are read,
and sent, as "woman", "woman", "woman" and "fiancée". The user's own candidate is the normalised
text; `Normalized.notes` says what was changed and `Normalized.mixed_script` names the words that
mixed scripts (told to the user, refused under strict). The confusable table is the Unicode
consortium's, as shipped by the maintained `confusable-homoglyphs` package (docs/privacy.md).
"""

from __future__ import annotations

import functools
import json
import re
import unicodedata
from dataclasses import dataclass
from importlib import resources

_ZWJ = "\u200d"
_BIDI = frozenset("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
_FILLERS = frozenset("\u034f\u115f\u1160\u17b4\u17b5\u180b\u180c\u180d\u180e\u180f\u3164\uffa0")
_WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)*")
_TAG_UNDERSCORE = re.compile(r"(?<=[^\W_])_+(?=[^\W_])")
_ESCAPE_START = re.compile(r"<[^<>\n]{0,200}>")
_AGE_ABBREVIATION = re.compile(r"(?<![\w.])(\d{1,3})(?: |-)?(?:y/o|y\.o\.|yo|yrs?\.? ?old)(?![\w/])", re.IGNORECASE)
_ASCII_LETTERS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")
_NEUTRAL_SCRIPTS = frozenset({"COMMON", "INHERITED"})


@dataclass(frozen=True)
class Normalized:
    """A text as detection reads it.

    Args:
        text: the normalised text (what the user's own candidate is built from and shown as).
        original: the text as given.
        mixed_script: the words (as given) that mixed letters of two scripts ("wоman" with a
            Cyrillic о); they are read by their Latin skeleton, told, and refused under strict.
        notes: one short line per kind of change made, for the user ("invisible characters
            removed", ...); empty when the text was already normal.
    """

    text: str
    original: str
    mixed_script: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()

    @property
    def changed(self) -> bool:
        """Whether normalisation changed anything."""
        return self.text != self.original


def normalize_text(text: str) -> str:
    """The normalised form of `text` (`normalize(text).text`); idempotent."""
    return normalize(text).text


@functools.lru_cache(maxsize=256)
def normalize(text: str) -> Normalized:
    """Normalise `text` for detection (see the module docstring); the result is cached.

    The steps, in order: default-ignorable and bidi control characters dropped (a zero-width
    joiner is kept between emoji, where it builds one emoji), NFKC (full-width letters, ligatures,
    decomposed accents composed), every letter of another script that is confusable with a Latin
    letter mapped to it inside a word that mixes scripts (or a whole word whose skeleton is an
    English word), combining marks that no precomposed letter absorbs dropped from ASCII letters,
    underscores between letters read as spaces (booru tags: "old_man", "dark-skinned_female"),
    and an age written "50 y/o", "50-yo", "50yo" or "50 yrs old" read as "50-year-old".
    """
    if text.isascii() and "_" not in text and not _AGE_ABBREVIATION.search(text):
        return Normalized(text, text)
    notes: list[str] = []
    stripped = _drop_invisible(text)
    if stripped != text:
        notes.append("invisible or direction-control characters removed")
    # stray marks go before the look-alike mapping too, which judges a word by its letters alone
    composed = _drop_stray_marks(unicodedata.normalize("NFKC", stripped))
    mixed: list[str] = []
    mapped = _WORD.sub(lambda m: _skeleton_word(m.group(), mixed), composed) if not composed.isascii() else composed
    if mapped != composed:
        notes.append("look-alike letters of other scripts read as Latin")
        mapped = unicodedata.normalize("NFKC", mapped)
    marked = _drop_stray_marks(mapped)
    if marked != stripped and mapped == composed:
        notes.append("compatibility characters (full-width, ligatures, accents) normalised")
    mapped = marked
    spaced = _tag_spaces(mapped)
    if spaced != mapped:
        notes.append("underscores between words read as spaces")
    aged = _AGE_ABBREVIATION.sub(r"\1-year-old", spaced)
    if aged != spaced:
        notes.append("ages written '50 y/o' or '50yo' read as '50-year-old'")
    return Normalized(aged, text, tuple(mixed), tuple(notes))


def _drop_invisible(text: str) -> str:
    if text.isascii():
        return text
    kept = "".join(c for c in text if not _invisible(c))
    while True:  # joiners are judged by the characters that stay around them
        again = _drop_stray_joiners(kept)
        if again == kept:
            return kept
        kept = again


def _invisible(c: str) -> bool:
    if c in _BIDI or c in _FILLERS or "\ufe00" <= c <= "\ufe0e" or "\U000e0100" <= c <= "\U000e01ef":
        return True
    if c == "\ufe0f" or c == _ZWJ or "\U000e0020" <= c <= "\U000e007f":
        return False
    return unicodedata.category(c) == "Cf"


def _drop_stray_joiners(text: str) -> str:
    """Emoji presentation selectors, joiners and flag tags build emoji; next to a letter or digit,
    or at either end, they only hide a word."""
    out: list[str] = []
    for i, c in enumerate(text):
        if c == "\ufe0f" or c == _ZWJ or "\U000e0020" <= c <= "\U000e007f":
            before = out[-1] if out else ""
            after = text[i + 1] if i + 1 < len(text) else ""
            if c == _ZWJ and (not before or not after or _is_letter_or_digit(before) or _is_letter_or_digit(after)):
                continue
            if c != _ZWJ and (not before or _is_letter_or_digit(before)):
                continue
        out.append(c)
    return "".join(out)


def _is_letter_or_digit(c: str) -> bool:
    return bool(c) and (c.isalnum() or unicodedata.category(c) in ("Mn", "Mc"))


def _drop_stray_marks(text: str) -> str:
    """Combining marks left after NFKC on an ASCII letter ("w\u0303oman") hide the word; drop them."""
    if text.isascii():
        return text
    out: list[str] = []
    for c in text:
        if unicodedata.category(c) in ("Mn", "Me") and out and out[-1] in _ASCII_LETTERS:
            continue
        out.append(c)
    return "".join(out)


def _tag_spaces(text: str) -> str:
    if "_" not in text:
        return text
    keep = [m.span() for m in _ESCAPE_START.finditer(text)]
    if not keep:
        return _TAG_UNDERSCORE.sub(" ", text)
    pieces, cursor = [], 0
    for start, end in keep:
        pieces.append(_TAG_UNDERSCORE.sub(" ", text[cursor:start]))
        pieces.append(text[start:end])
        cursor = end
    pieces.append(_TAG_UNDERSCORE.sub(" ", text[cursor:]))
    return "".join(pieces)


def _skeleton_word(word: str, mixed: list[str]) -> str:
    if word.isascii():
        return word
    scripts = {_script(c) for c in word if c.isalpha()} - _NEUTRAL_SCRIPTS
    table = _latin_confusables()
    skeleton = "".join(table.get(c, c) for c in word)
    if len(scripts) > 1 or (scripts and skeleton.isascii() and any(c.isascii() and c.isdigit() for c in word)):
        # letters of two scripts, or look-alike letters next to digits ("30ѕ" with a Cyrillic ѕ)
        if "LATIN" in scripts or skeleton.isascii():
            mixed.append(word)
            return skeleton
        return word
    if skeleton != word and skeleton.isascii() and skeleton.lower() in english_words():
        mixed.append(word)
        return skeleton
    return word


def _script(c: str) -> str:
    from confusable_homoglyphs import categories

    return categories.alias(c)


@functools.cache
def _latin_confusables() -> dict[str, str]:
    """Every non-ASCII character that Unicode's confusables table lists as looking like one ASCII
    letter, mapped to that letter (Latin letters with accents are not in it: "é" stays "é")."""
    import confusable_homoglyphs

    path = resources.files(confusable_homoglyphs).joinpath("confusables.json")
    data = json.loads(path.read_text(encoding="utf-8"))
    table: dict[str, str] = {}
    for char, entries in data.items():
        if len(char) != 1 or char.isascii() or not char.isalpha():
            continue
        if _script(char) == "LATIN" and unicodedata.decomposition(char):
            continue
        for entry in entries:
            if entry["c"] in _ASCII_LETTERS:
                table[char] = entry["c"]
                break
    return table


@functools.cache
def english_words() -> frozenset[str]:
    """The most frequent English words (lower case), from `wordfreq` (see data/english_words.json)."""
    text = resources.files("obclip.privacy").joinpath("data/english_words.json").read_text(encoding="utf-8")
    return frozenset(json.loads(text)["words"])
