"""Language check: detection reads English only, so a prompt in another language is refused by
default (`unread_refusal`) or, when the user opts in, told and sent as written. Offline data only.
"""

from __future__ import annotations

import functools
import json
import re
from collections import Counter
from dataclasses import dataclass
from importlib import resources
from typing import TYPE_CHECKING

from obclip.privacy.words import ARTICLES, english_words

if TYPE_CHECKING:  # py3langid ships no annotations: the name reads as `Any`
    from py3langid.langid import LanguageIdentifier

    from obclip.privacy.taxonomy import Taxonomy

_ANY_LETTER = re.compile(r"[^\W\d_]")
# letters outside the Latin blocks (Basic Latin, Latin-1, Extended-A/B, IPA, Extended Additional)
_OTHER_LETTER = re.compile(r"[^\W\d_a-zA-Z\u00c0-\u024f\u0250-\u02af\u1e00-\u1eff]")
_LETTERS = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)?")
# a word with its hyphens and apostrophes: "tête-à-tête" and "d'être" are one (unknown) word each
_TOKEN = re.compile(r"[^\W\d_]+(?:[-'’][^\W\d_]+)*")
_CLAUSE = re.compile(r"[,;|\n]+")
_SCRIPT_WORD = re.compile(r"[^\s,;|()\[\]{}:]+")
_MIN_OTHER_LETTERS = 2
_STRONG_MARGIN = 2.6
_MIN_FOREIGN = 2
_SURE_MARGIN = 3.5
_SHORT = 3
_MIN_WORDS = 3
_FEW_WORDS = 6
_MIN_LOWER = 4
_LONG = 4
_NOT_ENGLISH_SHARE = 0.5
_MOSTLY_ENGLISH = 0.75
_SURE = 0.95
_FEW_ENGLISH = 0.3
_PROBABILITY = 0.8
_FEW_PROBABILITY = 0.6
_CLAUSE_PROBABILITY = 0.5
_MAX_IDENTIFIED = 8
ONLY_ENGLISH = "only English is read"
"""How the language line starts: `policy_notice` repeats the line in the set's notice."""


@functools.lru_cache(maxsize=64)
def language_of(text: str) -> str | None:
    """The language of `text` when it is clearly not English (an ISO 639-1 code such as "fr", or
    "und" when most of its letters are not Latin), else None (English, or nothing to tell by).

    Latin-script text is judged by its words: English ones (`english_words`), common words of
    other languages that English text hardly uses (`foreign_words`: "una", "een", "vieja"), words
    of both ("un", "la", "de": they tell nothing) and the rest (tags, loanwords: "bokeh",
    "tête-à-tête"). Capitalised words are left out as names of people and places ("Beksiński",
    "El Capitan"), except a first word that a lower-case one follows. It is not English with no
    English word and a clearly foreign one ("una anciana tejiendo", "vieja bruja", "junge Frau
    lächelt"), in a short text with a word English never uses and no more English words ("ein
    alter Mann"), or with more foreign words than English ones ("een oude man"). Text with
    English words and at most one foreign one is English (tag lists, weights, style words,
    artists, "a femme fatale"); otherwise the share of English words and the offline identifier
    `py3langid` decide.
    """
    if not text.isascii():
        letters = len(_ANY_LETTER.findall(text))
        other = len(_OTHER_LETTER.findall(text))
        if letters >= _MIN_OTHER_LETTERS and other / letters > _NOT_ENGLISH_SHARE:
            return _identify(text, 0.0) or "und"
        # tags written wholly in another script among English tags ("1girl, 巫女, 神社"): unread
        clauses = [(c, len(_ANY_LETTER.findall(c))) for c in _CLAUSE.split(text)]
        unread = [(c, n) for c, n in clauses if n and len(_OTHER_LETTER.findall(c)) == n]
        if sum(n for _, n in unread) >= _MIN_OTHER_LETTERS:
            return _identify(" ".join(c for c, _ in unread), 0.0) or "und"
    reading = _read_words(text)
    if reading.clearly_foreign():
        return _name_language(text, reading)
    lower = [w for w in _LETTERS.findall(text) if not w[:1].isupper()]
    english_lower = sum(w.casefold() in english_words() for w in lower)
    if len(lower) >= _MIN_LOWER and english_lower < _NOT_ENGLISH_SHARE * len(lower):
        # most lower-case words are no English words, in a language the foreign list lacks (Polish,
        # Vietnamese) or that writes its nouns capitalised (German: "eine ältere Dame mit Hut"): a
        # confident identifier decides
        found = _identify(text, _PROBABILITY)
        if found is not None:
            return found
    clause = _foreign_clause(text) or _identified_clause(text)
    if clause is not None:
        return clause
    nearly_no_english = reading.foreign and len(reading.english) <= 1 and reading.counted >= _FEW_WORDS
    few_foreign = len(reading.foreign) < _MIN_FOREIGN
    if few_foreign and (reading.english or reading.counted < _MIN_WORDS) and not nearly_no_english:
        # English words and at most one common foreign one ("a femme fatale", "über detailed"),
        # or a few words none of the lists holds ("bokeh", "chibi", "anciano"): read as English;
        # not six words or more with a foreign one and one English word at most, which both
        # languages may share ("ritratto di una suora anziana in un chiostro": "in")
        return None
    words = _LETTERS.findall(text)
    if len(words) < _MIN_WORDS:
        return None
    known = english_words()
    # the list holds many short words of other languages ("un", "de", "al", "con"): where there
    # are enough, the words of four letters or more decide
    long_words = [w for w in words if len(w) >= _LONG]
    counted = long_words if len(long_words) >= _MIN_WORDS else words
    share = sum(w.lower().replace("’", "'") in known for w in counted) / len(counted)
    if share >= _MOSTLY_ENGLISH:
        return None
    if share >= _NOT_ENGLISH_SHARE:
        # between half and three quarters English words, only an identifier that is sure says
        # not English
        return _identify(text, _SURE)
    return _identify(text, _PROBABILITY if share >= _FEW_ENGLISH else _FEW_PROBABILITY)


def _foreign_clause(text: str) -> str | None:
    """The language of a clause (between commas) of four words or more that is clearly in another
    language by the word lists (two foreign words or more), whatever English tags surround it:
    "una pareja de ancianos bailando en la plaza, golden hour, cinematic, 8k" describes its
    persons in Spanish."""
    for clause in _CLAUSE.split(text):
        if len(_TOKEN.findall(clause)) < _LONG:
            continue
        reading = _read_words(clause)
        if len(reading.foreign) >= _MIN_FOREIGN and reading.clearly_foreign():
            return _name_language(clause, reading)
    return None


def _identified_clause(text: str) -> str | None:
    """The language of a clause of three words or more that holds a common foreign word, fewer
    English words than others, and that the offline identifier puts in another language:
    "cyberpunk Frau mit neon Tattoos, Berlin bei Nacht", "Herr Bauer, 75 Jahre alt, in seiner
    Werkstatt mit Lupe" (the word lists alone see one foreign word among English ones, German
    nouns being capitalised like names; "chica latina con trenzas" stays below p = 0.5); not one
    that an English article opens ("a coup de grâce"). The identifier reads a few such clauses at
    most, so a long prompt stays quick."""
    asked = 0
    for clause in _CLAUSE.split(text):
        tokens = _TOKEN.findall(clause)
        if len(tokens) < _SHORT:
            continue
        if tokens[0].casefold() in ARTICLES:
            continue  # an English article opens a loan phrase: "a coup de grâce", "a fiesta de los muertos"
        reading = _read_words(clause)
        if not reading.foreign or 2 * len(reading.english) >= len(tokens):
            continue
        found = _identify(clause, _CLAUSE_PROBABILITY)
        if found is not None:
            return found
        asked += 1
        if asked >= _MAX_IDENTIFIED:
            return None
    return None


@dataclass(frozen=True)
class _Reading:
    """The words of a text that decide its language: English ones, foreign ones (with their
    language and margin) and how many were read."""

    english: tuple[str, ...]
    foreign: tuple[tuple[str, tuple[str, ...], float], ...]
    """(word, its languages, margin)"""
    counted: int
    all_capitalised: bool

    def clearly_foreign(self) -> bool:
        """No English word and a clearly foreign one, a short text with a word English never uses and
        no more English words than foreign ones, or more foreign words than English ones."""
        strong = any(margin >= _STRONG_MARGIN for _, _, margin in self.foreign)
        if not strong:
            return False
        if self.all_capitalised:  # "El Capitan, Yosemite": names, unless two foreign words say otherwise
            return len(self.foreign) >= _MIN_FOREIGN and len(self.foreign) > len(self.english)
        if not self.english:
            # one word alone is foreign only when English does not use it ("mujer"; not "mint")
            return self.counted >= 2 or self.foreign[0][0] not in english_words()
        if self.counted <= _SHORT and any(m >= _SURE_MARGIN and w not in english_words() for w, _, m in self.foreign):
            # a short text with a word English never uses ("ein alter Mann", "una donna anziana")
            return len(self.foreign) >= len(self.english)
        return len(self.foreign) >= _MIN_FOREIGN and len(self.foreign) > len(self.english)

    def language(self) -> str:
        """The language most of the foreign words belong to (ties: the one they are most over-represented in)."""
        counts = Counter(language for _, languages, _ in self.foreign for language in languages)
        firsts = Counter(languages[0] for _, languages, _ in self.foreign)
        return max(counts, key=lambda language: (counts[language], firsts[language]))


def _read_words(text: str) -> _Reading:
    tokens = [m.group() for m in _TOKEN.finditer(text)]
    counted = [w for i, w in enumerate(tokens) if not _name_like(tokens, i)]
    all_capitalised = not counted
    if all_capitalised:
        counted = tokens
    known, table = english_words(), foreign_words()
    english: list[str] = []
    foreign: list[tuple[str, tuple[str, ...], float]] = []
    for word in counted:
        key = word.casefold().replace("’", "'")
        entry = table.get(key)
        if entry is None:
            if key in known:
                english.append(key)
        elif key not in known or entry[1] >= _SURE_MARGIN:
            foreign.append((key, entry[0], entry[1]))
        # else a word of both ("un", "la", "de", "die"): it tells nothing
    return _Reading(tuple(english), tuple(foreign), len(counted), all_capitalised)


def _name_like(tokens: list[str], i: int) -> bool:
    """A capitalised word read as a name: any but the first, and the first when it stands alone
    ("Mucha") or a capitalised word follows it ("El Capitan"); "Una anciana tejiendo" keeps it."""
    if not tokens[i][:1].isupper():
        return False
    return i > 0 or len(tokens) == 1 or tokens[1][:1].isupper()


@functools.cache
def foreign_words() -> dict[str, tuple[tuple[str, ...], float]]:
    """Common words of other Latin-script languages that English text hardly uses, with their
    languages (most over-represented first) and largest margin over English in Zipf points
    (data/foreign_words.json, from `wordfreq`)."""
    text = resources.files("obclip.privacy").joinpath("data/foreign_words.json").read_text(encoding="utf-8")
    return {word: (tuple(str(entry[0]).split()), float(entry[1])) for word, entry in json.loads(text)["words"].items()}


def language_warning(text: str) -> str | None:
    """The line told to the user when `text` is not in English, or None."""
    language = language_of(text)
    return None if language is None else unread_warning(language)


def unread_words(text: str) -> tuple[str, ...]:
    """The words of `text` written wholly in a script other than Latin ("할머니", "女の子"), not
    capitalised (a name: "Львів"), where they hold two letters or more in all: in a prompt read as
    English they are neither detected nor hidden, so the user is told (`unread_words_warning`)."""
    if text.isascii():
        return ()
    words = [(w, len(_ANY_LETTER.findall(w))) for w in _SCRIPT_WORD.findall(text)]
    # a capitalised one is a name, as in Latin script ("a man in Львів old town")
    unread = [w for w, n in words if n and len(_OTHER_LETTER.findall(w)) == n and not w[:1].isupper()]
    if sum(len(_ANY_LETTER.findall(w)) for w in unread) < _MIN_OTHER_LETTERS:
        return ()
    return tuple(dict.fromkeys(unread))


def unread_words_warning(words: tuple[str, ...]) -> str:
    """The line told when a prompt read as English holds words of another script."""
    listed = ", ".join(repr(w) for w in words[:5]) + (", ..." if len(words) > 5 else "")
    return f"{ONLY_ENGLISH}: {listed}, in another script, not detected or hidden; sent as written"


def unread_warning(language: str) -> str:
    """The line told when a prompt in `language` (`language_of`'s code) is sent as written."""
    named = f" (it looks like '{language}')" if language != "und" else ""
    return (
        f"{ONLY_ENGLISH}: this prompt is not in English{named}, so no sensitive word in it is "
        "detected or hidden; it is sent as written"
    )


def prompt_language(prompt: str, taxonomy: Taxonomy | None = None) -> str | None:
    """`language_of` a prompt as detection reads it (`detect.reading_language`: normalised, emoji
    made neutral, varied words value-free): None when obclip reads it."""
    from obclip.privacy.detect import reading_language

    return reading_language(prompt, taxonomy)


def unread_refusal(language: str, option: str) -> str:
    """The one line that refuses a prompt in `language` (`language_of`'s code), naming the opt-in
    `option` as the front end spells it (`--send-unread`, `send_unread=True`, the app's setting)."""
    named = f" (it looks like '{language}')" if language != "und" else ""
    return (
        f"{ONLY_ENGLISH}: this prompt is not in English{named}, so no sensitive word in it can be hidden and "
        f"the cloud would read it exactly as written; nothing was sent. Write it in English, or pass {option} "
        "to send it as written anyway"
    )


def _identify(text: str, threshold: float) -> str | None:
    language, probability = _identifier().classify(text)
    if language == "en" or probability < threshold:
        return None
    return str(language)


def _name_language(text: str, reading: _Reading) -> str:
    """Which language a text judged foreign by its words is in, for the message: the identifier's
    likeliest among the languages of its foreign words (short texts fool it into rare ones:
    "ext"), else the language most of its foreign words belong to."""
    found = {language for _, languages, _ in reading.foreign for language in languages}
    # the identifier's codes: Norwegian Bokmål is "no" there
    ranked = [(str(code), p) for code, p in _identifier().rank(text) if ("nb" if code == "no" else code) in found]
    return ("nb" if ranked[0][0] == "no" else ranked[0][0]) if ranked else reading.language()


@functools.cache
def _identifier() -> LanguageIdentifier:
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    return LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
