"""Language check: detection reads English only, so a prompt in another language is told ("only
English is read; sent as written") and refused under strict. Offline: `py3langid`, loaded lazily.
"""

from __future__ import annotations

import functools
import re
from typing import TYPE_CHECKING

from obclip.privacy.normalize import english_words

if TYPE_CHECKING:  # py3langid ships no annotations: the name reads as `Any`
    from py3langid.langid import LanguageIdentifier

_ANY_LETTER = re.compile(r"[^\W\d_]")
# letters outside the Latin blocks (Basic Latin, Latin-1, Extended-A/B, IPA, Extended Additional)
_OTHER_LETTER = re.compile(r"[^\W\d_a-zA-Z\u00c0-\u024f\u0250-\u02af\u1e00-\u1eff]")
_LETTERS = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)?")
_MIN_WORDS = 3
_LONG = 4
_MIN_LETTERS = 3
_NOT_ENGLISH_SHARE = 0.5
_MOSTLY_ENGLISH = 0.75
_SURE = 0.95
_FEW_ENGLISH = 0.3
_PROBABILITY = 0.8
_FEW_PROBABILITY = 0.6
ONLY_ENGLISH = "only English is read"
"""How the language line starts: `policy_notice` repeats the line in the set's notice."""


def language_of(text: str) -> str | None:
    """The language of `text` when it is clearly not English (an ISO 639-1 code such as "fr", or
    "und" when most of its letters are not Latin), else None (English, or too short to tell).

    Words of the English frequency list decide most prompts (tag lists, weights and style words
    are English words); a prompt where more than a quarter of the words are not English is given
    to the language identifier, and only a confident answer counts (a sure one where at least
    half the words are on the list, which holds many short words of other languages too).
    """
    if not text.isascii():
        letters = len(_ANY_LETTER.findall(text))
        other = len(_OTHER_LETTER.findall(text))
        if letters >= _MIN_LETTERS and other / letters > _NOT_ENGLISH_SHARE:
            return _identify(text, 0.0) or "und"
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
        # the frequency list holds many short words of other languages too ("un", "la", "de"):
        # between half and three quarters, only an identifier that is sure says not English
        return _identify(text, _SURE)
    return _identify(text, _PROBABILITY if share >= _FEW_ENGLISH else _FEW_PROBABILITY)


def language_warning(text: str) -> str | None:
    """The line told to the user when `text` is not in English, or None."""
    language = language_of(text)
    if language is None:
        return None
    named = f" (it looks like '{language}')" if language != "und" else ""
    return (
        f"{ONLY_ENGLISH}: this prompt is not in English{named}, so no sensitive word in it is "
        "detected or hidden; it is sent as written"
    )


def _identify(text: str, threshold: float) -> str | None:
    language, probability = _identifier().classify(text)
    if language == "en" or probability < threshold:
        return None
    return str(language)


@functools.cache
def _identifier() -> LanguageIdentifier:
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    return LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
