"""One view of the cloud: the candidate set a request sends for a model, found without torch, so
`obclip candidates --large MODEL` and `generate` show and send the very same set.
"""

from __future__ import annotations

import functools
from importlib import resources
from pathlib import Path

from obclip.errors import ModelNotFoundError
from obclip.privacy import CandidateSet, Taxonomy, build_candidate_set, combine_taxonomies, default_taxonomy
from obclip.privacy import load_taxonomy as _load_taxonomy

EMBEDDED_PREFIX = "embedded:"
DEFAULT_LARGE = EMBEDDED_PREFIX + "default"
TAXONOMY_FILE = "obclip_taxonomy.json"

EMBEDDED_TAXONOMIES: dict[str, str | None] = {
    "portrait-large": "world/taxonomy.json",
    "portrait-small": "world/taxonomy.json",
    "tiny-random": None,
    "tiny-random-small": None,
    "tiny-sdxl-random": None,
    "tiny-sdxl-random-small": None,
}
"""The taxonomy file (under the `obclip` package) of each embedded model, as `engine.embedded`'s
registry has it; a test holds the two together."""

_PACKAGED = {"portrait-large", "portrait-small"}


def model_taxonomy(large: str) -> Path | None:
    """The taxonomy file that comes with a model: the embedded world's, or `obclip_taxonomy.json`
    in a local model directory (what `engine.models.model_taxonomy` finds, without torch)."""
    if not large.startswith(EMBEDDED_PREFIX):
        path = Path(large).expanduser() / TAXONOMY_FILE
        return path if path.is_file() else None
    name = large[len(EMBEDDED_PREFIX) :]
    if name in ("", "default"):
        name = "portrait-large" if _installed("portrait-large") else "tiny-random"
    if name not in EMBEDDED_TAXONOMIES or (name in _PACKAGED and not _installed(name)):
        known = ", ".join(EMBEDDED_PREFIX + n for n in EMBEDDED_TAXONOMIES if n not in _PACKAGED or _installed(n))
        raise ModelNotFoundError(f"unknown embedded model {large!r} (available: {known})")
    relative = EMBEDDED_TAXONOMIES[name]
    if relative is None:
        return None
    return Path(str(resources.files("obclip").joinpath(*relative.split("/"))))


def _installed(name: str) -> bool:
    return (Path(str(resources.files("obclip") / "models" / name)) / "unet").is_dir()


def resolve_taxonomy(taxonomy: Taxonomy | str | Path | None, large: str, *, opt_in: tuple[str, ...] = ()) -> Taxonomy:
    """The taxonomy a request is expanded with: `taxonomy` when given (a `Taxonomy` or a file),
    else the packaged default (with the `opt_in` attributes) extended by the model's own."""
    if isinstance(taxonomy, Taxonomy):
        return taxonomy
    if taxonomy is not None:
        return _load_taxonomy(taxonomy)
    own = model_taxonomy(large)
    return _with_model_taxonomy(str(own) if own else None, tuple(sorted(opt_in)))


@functools.lru_cache(maxsize=16)
def _with_model_taxonomy(own: str | None, opt_in: tuple[str, ...]) -> Taxonomy:
    base = default_taxonomy(opt_in)
    return combine_taxonomies(_load_taxonomy(own), base) if own else base


def cloud_view(
    prompt: str,
    *,
    large: str = DEFAULT_LARGE,
    taxonomy: Taxonomy | str | Path | None = None,
    max_candidates: int | None = None,
    seed: int | None = None,
    opt_in: tuple[str, ...] = (),
) -> CandidateSet:
    """The candidate set that a request for `prompt` to model `large` sends to the cloud.

    `generate` and `obclip candidates` both call this, so what the user is shown is what is sent.
    """
    resolved = resolve_taxonomy(taxonomy, large, opt_in=opt_in)
    return build_candidate_set(prompt, taxonomy=resolved, max_candidates=max_candidates, seed=seed)
