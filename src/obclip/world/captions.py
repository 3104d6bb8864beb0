"""Captions for world portraits with varied phrasing, built from the taxonomy's surface forms.

`caption` is deterministic given its rng. Non-sensitive attributes are sometimes left out (the
portrait then shows a random value); `parse_caption` reads back what a caption states.
"""

from __future__ import annotations

import random
import re

from obclip.privacy.words import indefinite_article
from obclip.world.attributes import SENSITIVE, WORLD_ATTRIBUTES, Attributes, taxonomy_forms

PREFIXES = ("", "", "portrait of ", "a portrait of ", "a picture of ", "a photo of ", "a drawing of ")

# probability that a caption states the attribute (gender is always stated: it is the noun)
MENTION_PROB = {"gender": 1.0, "age": 0.9, "skin": 0.85, "background": 0.75, "clothing": 0.7, "accessory": 0.7}


def caption_with_mentions(attrs: Attributes, rng: random.Random) -> tuple[str, set[str]]:
    """A caption for ``attrs`` and the set of attribute names it states."""
    mentioned = {name for name in WORLD_ATTRIBUTES if rng.random() < MENTION_PROB[name]}
    gender = taxonomy_forms("gender", attrs["gender"])
    noun = rng.choice(gender["noun_singular"])
    subj = gender["subject_pronoun"][0]
    poss = gender["possessive_determiner"][0]
    obj = gender["object_pronoun"][0]

    adjectives: list[str] = []
    trailing: list[str] = []
    if "age" in mentioned:
        adjectives.append(rng.choice(taxonomy_forms("age", attrs["age"])["adjective"]))
    if "skin" in mentioned:
        skin = taxonomy_forms("skin", attrs["skin"])
        if rng.random() < 0.4:
            adjectives.append(rng.choice(skin["adjective"]))
        else:
            trailing.append("with " + rng.choice(skin["phrase"]))
    subject = " ".join([*adjectives, noun])
    head = rng.choice(PREFIXES) + indefinite_article(subject) + " " + subject
    if trailing:
        head += " " + trailing[0]

    # each clause is (attached phrase, sentence with a pronoun)
    clauses: list[tuple[str, str]] = []
    if "background" in mentioned:
        c = attrs["background"]
        clauses.append(
            (
                rng.choice(
                    (f", {c} background", f" on a {c} background", f" against a {c} background", f", {c} backdrop")
                ),
                rng.choice(
                    (
                        f"; the background behind {obj} is {c}",
                        f". {c} background",
                        f"; {subj} stands in front of a {c} background",
                    )
                ),
            )
        )
    if "clothing" in mentioned:
        c = attrs["clothing"]
        clauses.append(
            (
                rng.choice((f" in a {c} shirt", f" wearing a {c} shirt", f" with a {c} shirt")),
                rng.choice(
                    (f"; {subj} wears a {c} shirt", f". {poss} shirt is {c}", f"; {subj} is wearing a {c} shirt")
                ),
            )
        )
    if "accessory" in mentioned:
        a = attrs["accessory"]
        if a == "none":
            pair = (rng.choice((" with no accessories", " without accessories")), f"; {subj} wears no accessories")
        elif a == "glasses":
            pair = (
                rng.choice((" wearing glasses", " with glasses", " in glasses")),
                rng.choice((f"; {subj} wears glasses", f"; {subj} has glasses on {poss} face")),
            )
        else:
            pair = (
                rng.choice((" wearing a hat", " with a hat", " in a hat")),
                rng.choice((f"; {subj} wears a hat", f". {poss} hat is black")),
            )
        clauses.append(pair)
    rng.shuffle(clauses)
    text = head
    in_sentence = False  # once a pronoun sentence has started, later clauses are sentences too
    for attached, sentence in clauses:
        in_sentence = in_sentence or rng.random() < 0.35
        text += sentence if in_sentence else attached
    return text, mentioned


def caption(attrs: Attributes, rng: random.Random) -> str:
    """A caption for ``attrs`` with varied phrasing (deterministic given ``rng``)."""
    return caption_with_mentions(attrs, rng)[0]


def _sensitive_lookup() -> dict[str, dict[str, str]]:
    table: dict[str, dict[str, str]] = {name: {} for name in SENSITIVE}
    for name in SENSITIVE:
        for value in WORLD_ATTRIBUTES[name].values:
            for category, forms in taxonomy_forms(name, value).items():
                if category in ("noun_singular", "adjective", "phrase"):
                    for form in forms:
                        table[name][form] = value
    return table


def parse_caption(text: str) -> Attributes:
    """Attributes a caption states (those it leaves out are absent from the result)."""
    out: Attributes = {}
    low = " " + text.lower() + " "
    for name, forms in _sensitive_lookup().items():
        # longest forms first, so "middle-aged" wins over nothing and "light skin" over "light"
        for form in sorted(forms, key=len, reverse=True):
            if re.search(rf"(?<![\w-]){re.escape(form)}(?![\w-])", low):
                out[name] = forms[form]
                break
    colours = "|".join(sorted({*WORLD_ATTRIBUTES["background"].values, *WORLD_ATTRIBUTES["clothing"].values}))
    m = re.search(rf"\b({colours}) (?:background|backdrop)\b|background behind \w+ is ({colours})", low)
    if m:
        out["background"] = m.group(1) or m.group(2)
    m = re.search(rf"\b({colours}) shirt\b|shirt is ({colours})", low)
    if m:
        out["clothing"] = m.group(1) or m.group(2)
    if "glasses" in low:
        out["accessory"] = "glasses"
    elif re.search(r"\bhat\b", low):
        out["accessory"] = "hat"
    elif "accessories" in low:
        out["accessory"] = "none"
    return out
