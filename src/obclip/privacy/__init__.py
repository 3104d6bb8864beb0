"""Device-side privacy: sensitive-attribute taxonomy, detection, candidate expansion, canonical
rendering, shuffling and budgets. Standard library only (never torch).

    cset = build_candidate_set("portrait of a young African woman")
    cset.candidates   # what the cloud sees; cset.true_index stays on the device
"""

from obclip.privacy.detect import canonical_prompt, detect
from obclip.privacy.expand import (
    HARD_CAP,
    CandidateSet,
    build_candidate_set,
    candidate_count,
    expand,
    reading_warnings,
    refuse_warnings,
)
from obclip.privacy.language import language_of, language_warning
from obclip.privacy.normalize import Normalized, normalize, normalize_text
from obclip.privacy.residual import Residual, residual
from obclip.privacy.taxonomy import (
    OPT_IN,
    PRONOUN_CATEGORIES,
    AttributeSpec,
    Taxonomy,
    combine_taxonomies,
    default_taxonomy,
    load_taxonomy,
    parse_taxonomy,
)
from obclip.privacy.template import Attribute, Slot, Template

__all__ = [
    "HARD_CAP",
    "OPT_IN",
    "PRONOUN_CATEGORIES",
    "Attribute",
    "AttributeSpec",
    "CandidateSet",
    "Normalized",
    "Residual",
    "Slot",
    "Taxonomy",
    "Template",
    "build_candidate_set",
    "candidate_count",
    "canonical_prompt",
    "combine_taxonomies",
    "default_taxonomy",
    "detect",
    "expand",
    "language_of",
    "language_warning",
    "load_taxonomy",
    "normalize",
    "normalize_text",
    "parse_taxonomy",
    "reading_warnings",
    "refuse_warnings",
    "residual",
]
