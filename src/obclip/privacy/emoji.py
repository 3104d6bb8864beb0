"""Characters canonicalised before detection: gendered and aged person emoji become the neutral
person or the words of their Unicode name, skin tones are dropped, a dash inside a word a hyphen.
"""

from __future__ import annotations

import functools
import re
import unicodedata

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


# person emoji whose Unicode name tells no gender that every vendor draws: their CLDR short name
# (the name an emoji picker shows), the one such difference among single-character emoji
_CLDR_NAMES: dict[str, str] = {"\U0001f483": "woman dancing"}  # DANCER, drawn as a woman in a red dress

_NEUTRAL_PERSONS = frozenset("\U0001f9d1\U0001f9d2\U0001fac5\U0001fac4")
_PERSON_HEADS = frozenset({"person", "adult", "child", "older"})
_NAME_LINKS = frozenset({"with", "in", "and", "dancing", "wearing"})
_PERSON_ATTRIBUTES = frozenset({"gender", "age", "child_age"})


@functools.cache
def _sensitive_words() -> tuple[frozenset[str], frozenset[str]]:
    """(every sensitive word of the default taxonomy, those that name a person by gender or age)."""
    from obclip.privacy.taxonomy import OPT_IN, default_taxonomy  # late: the taxonomy loads data

    taxonomy = default_taxonomy(OPT_IN)
    persons = frozenset(
        key
        for key, entry in taxonomy.lexicon.items()
        if taxonomy.attributes[entry.attribute].name in _PERSON_ATTRIBUTES
        and not entry.is_pronoun
        and "first_name" not in entry.categories
    )
    return frozenset(taxonomy.lexicon), persons


@functools.lru_cache(maxsize=512)
def person_emoji_words(char: str) -> str | None:
    """The words a person emoji shows when its Unicode name tells a sensitive attribute ("BRIDE WITH
    VEIL", "MAN IN TUXEDO", "BABY", "PERSON WITH HEADSCARF"): the name in lower case; else None.

    A name qualifies when its first word names a person (a gender or age word of the taxonomy, or
    person, adult, child, older followed by more), the rest is empty or starts with a linking word
    ("with", "in"...), so that "BABY BOTTLE", "WOMANS HAT" and "MALE SIGN" stay objects, and some
    word of it is a sensitive word. The neutral persons (🧑, 🧒) stay as they are.
    """
    if unicodedata.category(char) != "So" or char in _NEUTRAL_PERSONS:
        return None
    name = _CLDR_NAMES[char] if char in _CLDR_NAMES else unicodedata.name(char, "")
    words = name.lower().replace("-", " ").split()
    if not words:
        return None
    sensitive, persons = _sensitive_words()
    if words[0] not in persons and not (words[0] in _PERSON_HEADS and len(words) > 1):
        return None
    if len(words) > 1 and words[1] not in _NAME_LINKS:
        return None
    if not any(w in sensitive for w in words) or words[-1] in ("sign", "symbol"):
        return None
    return " ".join(words)


def _spell_person_emoji(text: str) -> str:
    out: list[str] = []
    for i, char in enumerate(text):
        words = person_emoji_words(char) if ord(char) > 0x2000 else None
        if words is None:
            out.append(char)
            continue
        before = out[-1][-1:] if out else ""
        after = text[i + 1 : i + 2]
        out.append((" " if before.isalnum() else "") + words + (" " if after.isalnum() else ""))
    return "".join(out)


def neutralise_emoji(text: str) -> str:
    """`text` with skin tones dropped, gendered person emoji replaced by neutral ones, and person
    emoji whose Unicode name tells an attribute spelled as that name (`person_emoji_words`): "👰"
    is read as "bride with veil", which detection then varies like any other word."""
    if text.isascii():
        return text
    text = _DASH_IN_WORD.sub("-", _SKIN_TONES.sub("", text))
    text = _GENDER_SIGNS.sub("", text)
    text = text.translate(_NEUTRAL).replace("\ufe0f\ufe0f", "\ufe0f")
    return _spell_person_emoji(text)


def has_person_emoji(text: str) -> bool:
    """Whether `text` (already neutralised) shows a person emoji."""
    return not text.isascii() and _PERSON_EMOJI.search(text) is not None
