"""A small procedural world of portraits with its captions, taxonomy and attribute classifier.

It gives obclip a real, offline text-to-image model pair (``obclip/models/portrait-large`` and
``portrait-small``) and a way to score their images; see docs/world.md. Its taxonomy is read by
``obclip.privacy``'s parser and its model folders are found by ``obclip.models``.
"""

from obclip.world.attributes import (
    NON_SENSITIVE,
    SENSITIVE,
    WORLD_ATTRIBUTES,
    Attributes,
    WorldAttribute,
    attribute_indices,
    sample_attributes,
    world_taxonomy,
)
from obclip.world.captions import caption, caption_with_mentions, parse_caption
from obclip.world.classifier import AttributeClassifier, frechet_distance, load_classifier
from obclip.world.render import render

__all__ = [
    "NON_SENSITIVE",
    "SENSITIVE",
    "WORLD_ATTRIBUTES",
    "AttributeClassifier",
    "Attributes",
    "WorldAttribute",
    "attribute_indices",
    "caption",
    "caption_with_mentions",
    "frechet_distance",
    "load_classifier",
    "parse_caption",
    "render",
    "sample_attributes",
    "world_taxonomy",
]
