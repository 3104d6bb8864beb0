"""The template of a prompt (fixed text plus slots), the detected attributes its slots refer to,
and canonical rendering of a template under one assignment of values.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

from obclip.privacy.keep import render_form
from obclip.privacy.words import indefinite_article

if TYPE_CHECKING:
    from obclip.privacy.taxonomy import Taxonomy

ARTICLE = "article"


@dataclass(frozen=True)
class Slot:
    """A place in the template that is rewritten for every candidate.

    Args:
        attribute: index into `Template.attributes`; ``None`` for an article slot, which renders
            "a" or "an" to agree with the slot after it.
        category: the taxonomy form category rendered here (e.g. ``"noun_singular"``), or
            ``"article"``.
        capitalize: the slot starts a sentence, so its rendering starts with a capital letter.
        form: the form key (`keep.form_key`): what every candidate keeps of the user's word (a
            number and its style, a first name's pair); ``""`` renders the canonical form.
    """

    attribute: int | None
    category: str
    capitalize: bool = False
    form: str = ""


Part = str | Slot


@dataclass(frozen=True)
class Attribute:
    """One detected attribute occurrence: a variable that every candidate assigns a value to.

    Args:
        name: slot name, e.g. ``"gender_0"`` (attribute and person index).
        kind: the taxonomy attribute, e.g. ``"gender"``.
        values: its value space (the taxonomy's, in file order).
        person: the index of the person it describes, in order of appearance.
        differs_from: names of attributes this one must differ from. Set for a pronoun that, in
            the user's prompt, disagrees with the person it would bind to ("a man holding her
            hat"): every candidate keeps the disagreement, so the set stays closed.
        agrees_with: names of attributes one of which this one must equal. Set for a pronoun
            that may speak of any of two or more persons named before it ("a bride and groom at
            the altar, her veil lifted"): every candidate's pronoun agrees with one of them (or
            with a group of a partial value), and their mix varies over every combination.
    """

    name: str
    kind: str
    values: tuple[str, ...]
    person: int
    differs_from: tuple[str, ...] = ()
    agrees_with: tuple[str, ...] = ()

    def public_dict(self) -> dict[str, object]:
        """JSON-able description (names and value space; never a value of the user's prompt)."""
        result: dict[str, object] = {
            "name": self.name,
            "attribute": self.kind,
            "values": list(self.values),
            "person": self.person,
        }
        if self.differs_from:
            result["differs_from"] = list(self.differs_from)
        if self.agrees_with:
            result["agrees_with"] = list(self.agrees_with)
        return result


@dataclass(frozen=True)
class Template:
    """A prompt with its sensitive words replaced by slots.

    Equal templates (same text, same slots, same attributes) expand to the same candidate set.
    `true_values` holds the values read from the user's prompt; it is set only on what `detect`
    returns and is never part of equality, `repr` or `str`.
    """

    parts: tuple[Part, ...]
    attributes: tuple[Attribute, ...]
    taxonomy: Taxonomy = field(compare=False, repr=False)
    true_values: tuple[str, ...] | None = field(default=None, compare=False, repr=False)

    @property
    def text(self) -> str:
        """Readable form, e.g. ``"portrait of {article_0} {age_0} {gender_0:noun_singular}"``."""
        pieces: list[str] = []
        articles = 0
        for part in self.parts:
            if isinstance(part, str):
                pieces.append(part.replace("{", "{{").replace("}", "}}"))
            elif part.attribute is None:
                pieces.append(f"{{article_{articles}}}")
                articles += 1
            else:
                name = self.attributes[part.attribute].name
                suffix = "" if part.category == "adjective" else f":{part.category}"
                pieces.append(f"{{{name}{suffix}}}")
        return "".join(pieces)

    def __str__(self) -> str:
        return self.text

    def public(self) -> Template:
        """This template without the user's values."""
        return replace(self, true_values=None)

    def render(self, values: Sequence[str]) -> str:
        """The canonical text of this template with ``values[i]`` for ``attributes[i]``."""
        taxonomy = self.taxonomy
        words: list[str] = []
        for part in self.parts:
            if isinstance(part, str):
                words.append(part)
            elif part.attribute is None:
                words.append("")
            else:
                attribute = self.attributes[part.attribute]
                spec = taxonomy.attribute(attribute.kind)
                word = render_form(taxonomy, spec, values[part.attribute], part.category, part.form)
                words.append(_capitalize(word, part))
        for i, part in enumerate(self.parts):
            if isinstance(part, Slot) and part.attribute is None:
                words[i] = _capitalize(indefinite_article(words[i + 2]), part)
        return "".join(words)


def _capitalize(word: str, slot: Slot) -> str:
    return word[:1].upper() + word[1:] if slot.capitalize else word
