"""Helpers the `obclip` subcommands (and the local app) share; standard library only at import time.

The exit status of a user error, output paths that are checked before any work and never
overwritten by surprise, seed lists, PNG text metadata, and the offline check for hub ids.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, NoReturn

# Re-exported from the options' one declaration (torch-free), for the subcommands.
from obclip.options import DEFAULT_SCHEDULER as DEFAULT_SCHEDULER
from obclip.options import IMAGE_METADATA_KEYS as METADATA_KEYS
from obclip.options import SCHEDULER_NAMES as SCHEDULER_NAMES

EXIT_USAGE = 2

# Where an image goes when no --out is given: the next free number, never an existing file.
DEFAULT_OUT = "out/obclip-{number:04d}.png"
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".webp")


def raise_invalid(message: str) -> NoReturn:
    from obclip.errors import InvalidInputError

    raise InvalidInputError(message)


def seed_list(text: str) -> list[int]:
    """argparse type for --seed: `7`, a range `0-7` (both ends included) or a list `1,5,9`."""
    seeds: list[int] = []
    try:
        for part in text.split(","):
            part = part.strip()
            first, dash, last = part.partition("-") if not part.startswith("-") else (part, "", "")
            if dash:
                lo, hi = int(first), int(last)
                if hi < lo:
                    raise argparse.ArgumentTypeError(f"seed range {part!r} runs backwards")
                seeds.extend(range(lo, hi + 1))
            else:
                seeds.append(int(part))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a seed, a range A-B or a list A,B,C; got {text!r}") from None
    if any(s < 0 or s >= 2**63 for s in seeds):
        raise argparse.ArgumentTypeError("seeds must lie in [0, 2**63)")
    if len(seeds) > 10_000:
        raise argparse.ArgumentTypeError(f"{len(seeds)} seeds is too many for one run (at most 10000)")
    return seeds


def output_paths(out: str | None, seeds: list[int | None], *, overwrite: bool) -> list[Path]:
    """One checked output path per image, decided before any work is done.

    Without `out`: the next free `out/obclip-NNNN.png` numbers. With several images, `{seed}` in
    `out` is replaced by each seed, or `-SEED` is added before the suffix. An existing file is
    refused unless `overwrite`; a directory that cannot be created or written is refused now,
    not after the denoising.
    """
    if out is None:
        paths = _next_free(Path(DEFAULT_OUT), len(seeds))
    else:
        path = Path(out).expanduser()
        if path.suffix.lower() not in IMAGE_SUFFIXES:
            raise_invalid(f"--out must name a .png, .jpg or .webp file, got {out!r}")
        if len(seeds) == 1 and "{seed}" not in out:
            paths = [path]
        else:
            if None in seeds:
                raise_invalid("several images need known seeds; give --seed with --num-images")
            paths = [_with_seed(path, out, seed) for seed in seeds]
    if len(set(paths)) != len(paths):
        raise_invalid("two images would be written to the same file; put {seed} in --out")
    for path in paths:
        _check_writable(path, overwrite=overwrite)
    return paths


def _with_seed(path: Path, out: str, seed: int | None) -> Path:
    if "{seed}" in out:
        return Path(out.replace("{seed}", str(seed))).expanduser()
    return path.with_name(f"{path.stem}-{seed}{path.suffix}")


def _next_free(pattern: Path, count: int) -> list[Path]:
    taken = {p.name for p in pattern.parent.glob("*")} if pattern.parent.is_dir() else set()
    paths: list[Path] = []
    number = 1
    while len(paths) < count:
        candidate = pattern.with_name(pattern.name.format(number=number))
        if candidate.name not in taken:
            paths.append(candidate)
        number += 1
    return paths


def _check_writable(path: Path, *, overwrite: bool) -> None:
    """Create the directory and write a scratch file beside `path` now, so a bad path fails before the work."""
    import tempfile

    if path.is_dir():
        raise_invalid(f"--out {str(path)!r} is a directory; name a file in it")
    if path.exists() and not overwrite:
        raise_invalid(f"{str(path)!r} exists; pass --overwrite to replace it or choose another --out")
    existing = path.parent
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    if not existing.is_dir():
        raise_invalid(f"cannot write {str(path)!r}: {str(existing)!r} is not a directory")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=path.parent, prefix=".obclip-check-"):
            pass
    except OSError as exc:
        raise_invalid(f"cannot write {str(path)!r}: {exc.strerror or exc}")


def image_metadata(report: Mapping[str, Any], *, prompt: str | None = None) -> dict[str, str]:
    """PNG text chunks for an image: the settings that made it, and the prompt only if given.

    `obclip` holds the settings as JSON; `prompt` is written only when the user asked for it,
    since an image is often shared and its prompt is what obclip keeps private.
    """
    import obclip

    settings = {key: report[key] for key in METADATA_KEYS if report.get(key) not in (None, "")}
    settings["obclip"] = obclip.__version__
    chunks = {"obclip": json.dumps(settings, ensure_ascii=False, sort_keys=True)}
    if prompt is not None:
        chunks["prompt"] = prompt
    return chunks


def save_image(image: Any, path: Path, metadata: Mapping[str, str]) -> Path:
    """Write `image` (PIL) to `path`; PNGs carry `metadata` as text chunks."""
    from PIL.PngImagePlugin import PngInfo

    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        if path.suffix.lower() == ".png":
            info = PngInfo()
            for key, value in metadata.items():
                info.add_itxt(key, value)
            image.save(path, pnginfo=info)
        else:
            image.save(path)
    except OSError as exc:
        raise_invalid(f"cannot write {str(path)!r}: {exc.strerror or exc}")
    return path


def hub_ids(specs: Iterable[str | None]) -> list[str]:
    """The model names among `specs` that would be fetched from the Hugging Face hub."""
    found = []
    for spec in specs:
        if not spec or spec == "same" or spec.startswith("embedded:") or Path(spec).expanduser().exists():
            continue
        if spec.count("/") == 1 and not spec.startswith(("/", ".", "~")):
            found.append(spec)
    return found


def check_hub_access(specs: Iterable[str | None]) -> None:
    """Fail in about a second, with a clear message, when a hub model is neither cached nor reachable.

    Model loading does the same check (`engine.hub.resolve`) for every entry point; running it here
    refuses before anything else is imported or loaded.
    """
    from obclip.engine import hub

    for repo in hub_ids(specs):
        hub.resolve(repo)
