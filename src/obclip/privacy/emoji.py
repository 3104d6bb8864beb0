"""Characters canonicalised before detection: gendered and aged person emoji become the neutral
person, skin-tone modifiers are dropped, and a dash inside a word ("middle–aged") becomes a hyphen.
"""

from __future__ import annotations

import re

_SKIN_TONES = re.compile("[\U0001f3fb-\U0001f3ff]")
_DASH_IN_WORD = re.compile(r"(?<=\w)[\u2010\u2011\u2012\u2013](?=\w)")
_GENDER_SIGNS = re.compile("\u200d[\u2640\u2642]\ufe0f?")
_NEUTRAL = str.maketrans(
    {
        "\U0001f469": "\U0001f9d1",  # woman -> person
        "\U0001f468": "\U0001f9d1",  # man -> person
        "\U0001f467": "\U0001f9d1",  # girl -> person
        "\U0001f466": "\U0001f9d1",  # boy -> person
        "\U0001f475": "\U0001f9d1",  # old woman -> person
        "\U0001f474": "\U0001f9d1",  # old man -> person
        "\U0001f9d3": "\U0001f9d1",  # older person -> person (an age, as the old woman and man are)
        "\U0001f478": "\U0001fac5",  # princess -> person with crown
        "\U0001f934": "\U0001fac5",  # prince -> person with crown
        "\U0001f930": "\U0001fac4",  # pregnant woman -> pregnant person
        "\U0001fac3": "\U0001fac4",  # pregnant man -> pregnant person
        "\U0001f46b": "\U0001f9d1\u200d\U0001f91d\u200d\U0001f9d1",  # woman and man holding hands
        "\U0001f46c": "\U0001f9d1\u200d\U0001f91d\u200d\U0001f9d1",  # two men holding hands
        "\U0001f46d": "\U0001f9d1\u200d\U0001f91d\u200d\U0001f9d1",  # two women holding hands
        "\u2640": None,
        "\u2642": None,
    }
)
_PERSON_EMOJI = re.compile(
    "[\U0001f9d1\U0001f9d2\U0001f9d3\U0001fac5\U0001fac4\U0001f470\U0001f935\U0001f9d4\U0001f471]"
)


def neutralise_emoji(text: str) -> str:
    """`text` with skin tones dropped and gendered person emoji replaced by neutral ones."""
    if text.isascii():
        return text
    text = _DASH_IN_WORD.sub("-", _SKIN_TONES.sub("", text))
    text = _GENDER_SIGNS.sub("", text)
    return text.translate(_NEUTRAL).replace("\ufe0f\ufe0f", "\ufe0f")


def has_person_emoji(text: str) -> bool:
    """Whether `text` (already neutralised) shows a person emoji."""
    return not text.isascii() and _PERSON_EMOJI.search(text) is not None
