"""Normalisation: the one form of a text that detection reads (NFKC, invisible and bidi controls
removed, look-alike letters mapped to Latin, tag underscores as spaces, leet and spaced-out words).

Every text that reaches detection goes through `normalize` first (prompt, negative prompt, API,
app, server), so "wo\u200bman", "wоman" (Cyrillic о), "ｗｏｍａｎ" and "fiance\u0301e" are read,
and sent, as "woman", "woman", "woman" and "fiancée". The user's own candidate is the normalised
text; `Normalized.notes` says what was changed and `Normalized.mixed_script` names the words that
mixed scripts (told to the user, refused under strict). The confusable table is the Unicode
consortium's, as shipped by the maintained `confusable-homoglyphs` package (docs/privacy.md).
A sensitive word written with digits for letters ("0ld m4n") or spelled out letter by letter
("a w o m a n", "o.l.d") is read as the word; any other token ("4k", "1girl", "l33t") is kept.
"""

from __future__ import annotations

import functools
import json
import re
import unicodedata
from dataclasses import dataclass
from importlib import resources

from obclip.privacy.taxonomy import OPT_IN, default_taxonomy  # taxonomy never imports this module
from obclip.privacy.words import english_words, unaccented

_ZWJ = "\u200d"
_BIDI = frozenset("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
_FILLERS = frozenset("\u034f\u115f\u1160\u17b4\u17b5\u180b\u180c\u180d\u180e\u180f\u3164\uffa0")
_WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)*")
_TAG_UNDERSCORE = re.compile(r"(?<=[^\W_])_+(?=[^\W_])")
_ESCAPE_START = re.compile(r"<[^<>\n]{0,200}>")
_AGE_ABBREVIATION = re.compile(
    r"(?<![\w.])(\d{1,3})(?:(?: |-)?(y/o|y\.o\.|yo|yrs?\.? ?old)|-?(m/o|mos?(?: old)?)|( (?:m/o|mos?) old))"
    r"(?![\w/.])",
    re.IGNORECASE,
)
_BARE_CONTRACTION = re.compile(
    r"(?<![\w'’-])(s?he)(s)(?![\w'’-])|(?:^|(?<=[.!?(\"“\n])[ \t]*)(She|He|SHE|HE)(s|S)(?![\w'’-])"
)
"""A pronoun and "is" written without the apostrophe, as chat requests write them ("shes 84",
"hes tall"): no English word, and read as "she's", "he's"; capitalised only where a sentence
starts ("the Hes family" is a name)."""
_AGE_SEX = re.compile(r"\((\d{1,2})[ \t]?([MFmf])\)")
"""An age and a sex in brackets, as forums write them: "me (34F)", "my husband (36 M)"."""
_SEX_AND_AGE = re.compile(
    r"(?:(?<=\b[mM]e)|(?<=\b[iI])|(?<=\bmyself))([ \t]*)\("
    r"(?:([MFmf])[ \t]*,[ \t]*(\d{1,2})|(\d{1,2})[ \t]*,[ \t]*([MFmf]))\)"
)
"""... or apart, a comma between, right after "me" or "I": "me (f, 25)", "me (25, M)", read as
"(female, 25)", "(25, male)" ("size (M, 32) jeans" is a size)."""
_SEXES = {"f": "female", "m": "male"}
_AGE_SEX_TAG = re.compile(
    r"(?:^|(?<=[,;:.!?])|(?<=\b[iI]'m)|(?<=\b[iI]’m)|(?<=\b[iI]m)|(?<=\b[mM]e)|(?<=\bcurrently)|(?<=\bnow))"
    r"([ \t]*)(?:([1-9]\d)(?:[ \t]?([MFf])|[ \t]?/[ \t]?([MFmf]))|([MF])[ \t]?/[ \t]?([1-9]\d))"
    r"(?=(?:[ \t]+here)?[ \t]*(?:[,;.!?]|$))"
)
"""... and as a tag of its own (also "F/34", "34/m", "28/F here"), or after "i'm", "me", "currently" or "now",
where the user speaks of themselves: "a pic of me, 25F, as a pin-up", "tinder photo of me lol,
27f, sundress", "i'm 25F, turn me into a cyberpunk mercenary", "dating profile photo, 34M, bald",
"F/34, mixed race, ... of me". Only there (`_SELF`): "winter morning, 25F, frost" is a
temperature, and a lower-case "m" a length ("swimmer, 50m, freestyle")."""
_FIRST_PERSON = re.compile(r"(?<![\w'’-])(?:me|i|i['’]m|im|my|myself)(?![\w'’-])", re.IGNORECASE)
_SELF = re.compile(
    r"(?<![\w'’-])(?:selfies?|pfp|avatar|profile[ \t]+(?:pic|picture|photo)s?|dating|tinder|bumble|hinge"
    r"|headshots?|linkedin|\d{2}[ \t]?/?[ \t]?[mf][ \t]+here)(?![\w'’-])",
    re.IGNORECASE,
)
"""Words of a prompt in which people show themselves (a selfie, a profile picture, a dating app's
photo, "28/F here"), where "34M" is the user's age and sex as much as after "me"."""
_SEX_FIELD = re.compile(r"(?<![\w'’-])((?:sex|gender)[ \t]*[:=][ \t]*)([MFmf])(?![\w'’/-])", re.IGNORECASE)
"""A form's field of sex written with its letter: "Sex: M", "gender: f" read as "Sex: male"."""
_DECADE_SEX = re.compile(r"(?:^|(?<=[,;:.!?]))([ \t]*)([1-9]0)s[ \t]?([MFmf])(?=[ \t]*(?:[,;.!?]|$))")
"""A decade and a sex as a tag of a prompt about the user: "40s m, bit of a belly, ... of myself"
read as "40-something male", the taxonomy's form of that age ("40s" before a noun is an era)."""
_AGE_FIELD = re.compile(r"(^|[(\[{,;|\n][ \t]*)(age)[ \t]*:[ \t]*(\d{1,3})(?![\w.,]\d)", re.IGNORECASE)
"""An age as a character sheet's field, opening the text, a bracket or a tag: "(Age: 34)",
"name: Kai, age: 9"; read as "Age 34" ("stone age: 3000 BC" is no field)."""
_BARE_IM = re.compile(r"(?<![\w'’-])(im)([ \t]+)(a|an|like|\d{1,3}|[a-z]+)(?![\w'’])")
""""I'm" written "im" in lower case before a number, "a", "like" or a word of the taxonomy, as chat
requests write it ("im 16", "im irish", "shes filipina im irish"): read as "i'm", so that what
follows is read as the user's own age or people ("filipina im irish" had read "filipina" as a word
before a noun "im", a thing's)."""
_IN_LAW = {"mil": "mother-in-law", "fil": "father-in-law", "sil": "sister-in-law", "bil": "brother-in-law"}
_IN_LAW_ABBREVIATION = re.compile(
    r"(?<![\w'’-])(my|his|her|our|their|your|ur)([ \t]+)(mil|fil|sil|bil)(?![\w'’-])", re.IGNORECASE
)
"""An in-law as chat requests abbreviate one after a possessive ("my mil keeps asking"), read in
full: "mil" alone is a thousand, a military or a millilitre."""
_ASCII_LETTERS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")
_NEUTRAL_SCRIPTS = frozenset({"COMMON", "INHERITED"})
# digits and symbols written for letters; "1" is "i" or "l". 2, 6, 8 and 9 are left out: they
# would reach years and decades ("1980s" reads as "igbos") for no word people write that way
_LEET = {"0": "o", "1": "il", "3": "e", "4": "a", "5": "s", "7": "t", "@": "a", "$": "s"}
_MAYBE_LEET = re.compile(r"[A-Za-z][013457@$]|[013457@$][A-Za-z]")
_LEET_TOKEN = re.compile(
    r"(?<![\w@$])[A-Za-z013457@$]*(?:[A-Za-z][013457@$]|[013457@$][A-Za-z])[A-Za-z013457@$]*(?![\w@$])"
)
_SPACED_ONE = r"[A-Za-z013457@$](?![\w@$]|['’](?!s\b)\w)"
_SPACED_GAP = r"(?: +|[.\-] ?)"
_SPACED_RUN = re.compile(rf"(?<![\w@$.\-]){_SPACED_ONE}(?:{_SPACED_GAP}{_SPACED_ONE}){{2,}}")
_SPACED_BEFORE = re.compile(rf"(?<![\w@$])[A-Za-z013457@$]{_SPACED_GAP}\Z")  # a run's tail is no run
_SPACED_PART = re.compile(rf"({_SPACED_GAP})?([A-Za-z013457@$])")
_MAX_SPACED_RUN = 64  # letters: a longer run is a line of letters, not a spelled-out word
_MIN_WORD = 3  # "h3", "m4", "h e": two-letter words are too often codes and initials to read


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
    an age written "50 y/o", "50-yo", "50yo" or "50 yrs old" read as "50-year-old", "shes" and
    "hes" read as "she's" and "he's" (chat requests: "my grandma, shes 84"), "mil", "fil", "sil"
    and "bil" after a possessive as in-laws ("my mil" as "my mother-in-law"), a token
    mixing letters with digits or symbols written for letters read as the sensitive word it spells
    ("0ld m4n" as "old man"; "4k", "1girl", "35mm" kept), and single letters spelling sensitive
    words joined into them ("a w o m a n" as "a woman", "o l d  m a n" as "old man"; "a b c" kept).
    """
    if (
        text.isascii()
        and "_" not in text
        and not _AGE_ABBREVIATION.search(text)
        and not _AGE_SEX.search(text)
        and not _SEX_AND_AGE.search(text)
        and not _AGE_SEX_TAG.search(text)
        and not _DECADE_SEX.search(text)
        and not _SEX_FIELD.search(text)
        and not _AGE_FIELD.search(text)
        and not _MAYBE_LEET.search(text)
        and not _SPACED_RUN.search(text)
        and not _BARE_CONTRACTION.search(text)
        and not _BARE_IM.search(text)
        and not _IN_LAW_ABBREVIATION.search(text)
    ):
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
    aged = _read_ages(spaced)
    if aged != spaced:
        notes.append("ages written '50 y/o', '50yo' or '9mo' read as '50-year-old', '9-month-old'")
    contracted = _BARE_IM.sub(_read_im, _contract(aged))
    if contracted != aged:
        notes.append("'shes', 'hes' and 'im' read as \"she's\", \"he's\" and \"i'm\"")
    aged = contracted
    expanded = _IN_LAW_ABBREVIATION.sub(lambda m: m.group(1) + m.group(2) + _IN_LAW[m.group(3).lower()], aged)
    if expanded != aged:
        notes.append("'mil', 'fil', 'sil' and 'bil' after a possessive read as in-laws ('my mother-in-law')")
    aged = expanded
    deleeted = _LEET_TOKEN.sub(_read_leet_token, aged) if _MAYBE_LEET.search(aged) else aged
    if deleeted != aged:
        notes.append("digits and symbols written for letters read as letters ('m4n' as 'man')")
    joined = _join_spaced(deleeted)
    if joined != deleeted:
        notes.append("words spelled out letter by letter read as one word ('w o m a n' as 'woman')")
    return Normalized(joined, text, tuple(mixed), tuple(notes))


def _contract(text: str) -> str:
    """`text` with "shes" and "hes" read as "she's" and "he's", found on the text without accents
    too ("shés like 10": an accent put on it to slip past)."""
    plain = unaccented(text)  # one character for one: the spans are the text's
    pieces, cursor = [], 0
    for found in _BARE_CONTRACTION.finditer(plain):
        pieces += [text[cursor : found.start()], _apostrophe(found)]
        cursor = found.end()
    return "".join(pieces) + text[cursor:]


def _read_im(match: re.Match[str]) -> str:
    word = match.group(3)
    if not (word in ("a", "an", "like") or word.isdigit() or word in _taxonomy_words()):
        return match.group()  # "im" before another word stays as written
    return f"i'm{match.group(2)}{word}"


def _apostrophe(match: re.Match[str]) -> str:
    pronoun, verb = (match.group(1), match.group(2)) if match.group(1) else (match.group(3), match.group(4))
    return match.group()[: match.group().index(pronoun)] + f"{pronoun}'{verb}"


def _read_leet_token(match: re.Match[str]) -> str:
    """A token mixing letters with digits or symbols written for letters, read as the sensitive word
    it spells when it spells one ("0ld", "w0m4n", "g1rl", "3ld3rly"), else kept ("4k", "1girl")."""
    token = match.group()
    letters = sum(c in _ASCII_LETTERS for c in token)
    if letters < 2 or len(token) < _MIN_WORD or token.lower() in _taxonomy_words():
        return token  # "h3", "40s" (a decade the taxonomy reads as it is)
    digits = len(token) - len(token.lstrip("0123456789"))
    if 0 < digits < len(token) and token[digits:].lower() in _sensitive_words():
        return token  # a count before a taxonomy word: "1girl", "2boys"
    word = token.rstrip("0123456789").lower()
    if word != token.lower() and word in english_words() and word not in _sensitive_words():
        return token  # a word and a number: "hi5" (a high five, not "his"), "ga1", "br0"
    read = _leet_word(token)
    return read if read is not None else token


@functools.lru_cache(maxsize=4096)
def _leet_word(chars: str) -> str | None:
    """The sensitive word `chars` spells with its digits and symbols read as letters, in the case of
    its letters (all capitals stay capitals), or None."""
    if len(chars) > _longest_word():
        return None
    readings = [""]
    for c in chars.lower():
        options = _LEET.get(c, c)
        if len(readings) * len(options) > 64:
            return None
        readings = [r + o for r in readings for o in options]
    words = _sensitive_words()
    word = next((r for r in readings if r in words), None)
    if word is None:
        return None
    letters = [c for c in chars if c in _ASCII_LETTERS]
    if letters and all(c.isupper() for c in letters):
        return word.upper()
    return "".join(c if c in _ASCII_LETTERS else w for c, w in zip(chars, word, strict=True))


def _join_spaced(text: str) -> str:
    """Runs of single letters spelling sensitive words joined into them ("a w o m a n" → "a woman",
    "o l d  m a n" → "old man"), repeated until nothing changes (each pass joins letters, so it ends):
    reading a run can leave a shorter run that reads on its own, and normalising is idempotent."""
    while _SPACED_RUN.search(text):
        again = _SPACED_RUN.sub(_read_spaced_run, text)
        if again == text:
            break
        text = again
    return text


def _read_spaced_run(match: re.Match[str]) -> str:
    """One run of single letters, with the sensitive words it spells joined (`_split_spaced`); the
    other letters stay as they were, and so does the whole run when it spells none ("a b c")."""
    parts = [(m.group(1) or "", m.group(2)) for m in _SPACED_PART.finditer(match.group())]
    if len(parts) > _MAX_SPACED_RUN or _SPACED_BEFORE.search(match.string, max(0, match.start() - 80), match.start()):
        return match.group()
    chars, gaps = "".join(c for _, c in parts), [gap for gap, _ in parts]
    split = _split_spaced(chars, gaps)
    if split is None:
        return match.group()
    out: list[str] = []
    for index, (begin, end, sensitive) in enumerate(split):
        gap = gaps[begin]
        if index and (sensitive or split[index - 1][2]):
            # between a joined word and its neighbour: a space, unless the gap is punctuation that
            # is not the one between the letters of either ("o-l-d.m-a-n" → "old.man")
            inner = {*gaps[begin + 1 : end], *gaps[split[index - 1][0] + 1 : begin]}
            gap = " " if not gap.strip() or gap in inner else gap
        out.append(gap)
        if sensitive:
            out.append(_leet_word(chars[begin:end]) or chars[begin:end])
        else:
            out.extend((gaps[i] if i > begin else "") + chars[i] for i in range(begin, end))
    return "".join(out)


_FILLERS_ALONE = frozenset("aAiI")


def _split_spaced(chars: str, gaps: list[str]) -> list[tuple[int, int, bool]] | None:
    """How a run of single letters (`chars`, `gaps[i]` before `chars[i]`) reads: pieces (begin, end,
    sensitive) covering every letter, with at least one sensitive word, or None.

    A piece is spelled with one gap throughout: a sensitive word (three letters or more, leet read as
    letters), a filler kept as it is ("a", "I", an English word of three letters or more: "t h e"), or
    a stray letter. A stray may not touch a sensitive word across the gap that spells that word:
    "x  m a n" and "x m-a-n" read "man", "a b c d m a n" reads nothing. The reading with the most
    letters in sensitive words wins, then the fewest strays, then the fewest pieces."""
    n = len(chars)
    english = english_words()
    longest = _longest_word()
    # best[end][state]: (score, pieces) for chars[:end]; state: what ends there and the gap it is
    # spelled with ("sensitive", gap), ("stray", ""), ("filler", "")
    best: list[dict[tuple[str, str], tuple[tuple[int, int, int], list[tuple[int, int, bool]]]]]
    best = [{} for _ in range(n + 1)]
    best[0][("start", "")] = ((0, 0, 0), [])
    for begin in range(n):
        if not best[begin]:
            continue
        for end in range(begin + 1, min(n, begin + longest) + 1):
            if end - begin > 2 and gaps[end - 1] != gaps[begin + 1]:
                break  # one word is spelled with one gap
            piece = chars[begin:end]
            kinds = []
            if end - begin >= _MIN_WORD and sum(c in _ASCII_LETTERS for c in piece) >= 2 and _leet_word(piece):
                kinds.append(("sensitive", gaps[begin + 1]))
            if piece in _FILLERS_ALONE or (end - begin >= _MIN_WORD and piece.isalpha() and piece.lower() in english):
                kinds.append(("filler", ""))
            if end - begin == 1:
                kinds.append(("stray", ""))
            for kind in kinds:
                for (last, spelled), (score, pieces) in best[begin].items():
                    if kind[0] == "stray" and last == "sensitive" and gaps[begin] == spelled:
                        continue
                    if kind[0] == "sensitive" and last == "stray" and gaps[begin] == kind[1]:
                        continue
                    sensitive = kind[0] == "sensitive"
                    new = (score[0] + (end - begin) * sensitive, score[1] - (kind[0] == "stray"), score[2] - 1)
                    held = best[end].get(kind)
                    if held is None or new > held[0]:
                        best[end][kind] = (new, [*pieces, (begin, end, sensitive)])
    if not best[n]:
        return None
    score, pieces = max(best[n].values(), key=lambda found: found[0])
    return pieces if score[0] > 0 else None


@functools.cache
def _taxonomy_words() -> frozenset[str]:
    """Every one-word surface of the default taxonomy (with its opt-in attributes), lower case."""
    return frozenset(key for key in default_taxonomy(OPT_IN).lexicon if " " not in key)


@functools.cache
def _sensitive_words() -> frozenset[str]:
    """The words a leet or spelled-out token may be read as: the default taxonomy's one-word surfaces
    of ASCII letters, three letters or more, except first names (too many are also codes, times and
    initials: "5am", "R.E.M.", "4l1")."""
    lexicon = default_taxonomy(OPT_IN).lexicon
    return frozenset(
        key
        for key, entry in lexicon.items()
        if len(key) >= _MIN_WORD and key.isascii() and key.isalpha() and "first_name" not in entry.categories
    )


@functools.cache
def _longest_word() -> int:
    return max(map(len, _sensitive_words()), default=0)


def _read_ages(text: str) -> str:
    """`text` with each age written "50 y/o", "50yo" or "50 yrs old" as "50-year-old", and "9mo", "18
    mos" as "9-month-old", found on the text without accents too ("30 y/ô": an accent put on it to
    slip past); an age and sex in brackets as forums write them, "(34F)", "(36 M)", as "(34-year-old
    female)", and as a tag of a prompt about the user ("me, 25F, ...", "dating profile, 34M", "F/34",
    "40s m" as "40-something male"); a form's field of sex, "Sex: M", as "Sex: male"; an age as a
    character sheet's field, "(Age: 34)", as "(Age 34)"."""
    plain = unaccented(text)  # one character for one: the spans are the text's
    pieces, cursor = [], 0
    for found in _AGE_ABBREVIATION.finditer(plain):
        unit = "year" if found.group(2) else "month"  # "9mo", "18 mos": a baby's months
        pieces += [text[cursor : found.start()], f"{found.group(1)}-{unit}-old"]
        cursor = found.end()
    text = "".join(pieces) + text[cursor:]
    text = _AGE_FIELD.sub(lambda m: f"{m.group(1)}{m.group(2)} {m.group(3)}", text)
    text = _AGE_SEX.sub(lambda m: f"({m.group(1)}-year-old {_SEXES[m.group(2).lower()]})", text)
    text = _SEX_AND_AGE.sub(_sex_and_age, text)
    text = _SEX_FIELD.sub(lambda m: f"{m.group(1)}{_SEXES[m.group(2).lower()]}", text)
    if _FIRST_PERSON.search(text) is None and _SELF.search(text) is None:
        return text
    text = _DECADE_SEX.sub(lambda m: f"{m.group(1)}{m.group(2)}-something {_SEXES[m.group(3).lower()]}", text)
    return _AGE_SEX_TAG.sub(_age_and_sex, text)


def _sex_and_age(found: re.Match[str]) -> str:
    """ "(f, 25)" read as "(female, 25)", "(25, M)" as "(25, male)" (`_SEX_AND_AGE`)."""
    space, sex, age, age_first, sex_after = found.groups()
    if sex:
        return f"{space}({_SEXES[sex.lower()]}, {age})"
    return f"{space}({age_first}, {_SEXES[sex_after.lower()]})"


def _age_and_sex(found: re.Match[str]) -> str:
    """ "25F", "34/m", "F/34" read as "25-year-old female" ... (`_AGE_SEX_TAG`)."""
    space, age, sex, slashed, sex_first, age_after = found.groups()
    return f"{space}{age or age_after}-year-old {_SEXES[(sex or slashed or sex_first).lower()]}"


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
    if any(c.isascii() and c.isdigit() for c in word):
        table = {**table, **_digit_confusables()}  # a look-alike digit among digits: "б0ѕ" is "60s"
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
def _digit_confusables() -> dict[str, str]:
    """Every letter of another script that Unicode's confusables table lists as looking like one
    ASCII digit ("б" like "6", "З" like "3"), mapped to that digit: read so only in a word that
    holds an ASCII digit too."""
    import confusable_homoglyphs

    path = resources.files(confusable_homoglyphs).joinpath("confusables.json")
    data = json.loads(path.read_text(encoding="utf-8"))
    return {
        char: entry["c"]
        for char, entries in data.items()
        if len(char) == 1 and not char.isascii() and char.isalpha()
        for entry in entries[:1]
        if entry["c"] in "0123456789"
    }


@functools.cache
def near_word_frequencies() -> dict[str, float]:
    """wordfreq's Zipf frequency of the words one edit from a sensitive word and of those sensitive
    words (data/near_words.json, tools/build_privacy_data.py --near), for the typo guard."""
    text = resources.files("obclip.privacy").joinpath("data/near_words.json").read_text(encoding="utf-8")
    zipf: dict[str, float] = json.loads(text)["zipf"]
    return zipf
