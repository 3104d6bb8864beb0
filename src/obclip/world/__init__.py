"""A small procedural world of portraits with its captions, taxonomy and attribute classifier.

It gives obclip a real, offline text-to-image model pair (``obclip/models/portrait-large`` and
``portrait-small``) and a way to score their images; see docs/world.md.
"""

from obclip.world.attributes import (
    NON_SENSITIVE,
    SENSITIVE,
    WORLD_ATTRIBUTES,
    Attributes,
    WorldAttribute,
    attribute_indices,
    load_taxonomy,
    sample_attributes,
)
from obclip.world.captions import caption, caption_with_mentions, parse_caption
from obclip.world.classifier import AttributeClassifier, Classifier, frechet_distance, load_classifier
from obclip.world.paths import model_dir
from obclip.world.render import render

__all__ = [
    "NON_SENSITIVE",
    "SENSITIVE",
    "WORLD_ATTRIBUTES",
    "AttributeClassifier",
    "Attributes",
    "Classifier",
    "WorldAttribute",
    "attribute_indices",
    "caption",
    "caption_with_mentions",
    "frechet_distance",
    "load_classifier",
    "load_taxonomy",
    "model_dir",
    "parse_caption",
    "render",
    "sample_attributes",
]
