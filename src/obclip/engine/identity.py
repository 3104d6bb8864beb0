"""A model's identity by content: a digest of its files that two paths to one directory share.

Over HTTP a model is named by this digest with a readable name beside it, so `./models/x`,
`/abs/models/x` and a symlink to it are one model, and two different checkpoints never are.

What is hashed, per component folder the model loads from (`model_index.json`, then `unet`,
`vae`, `text_encoder`, `tokenizer`, `scheduler`, ... wherever `component_location` finds them):
- every config and tokenizer file in full (JSON, vocab, merges: small);
- every weight file diffusers would load (`*.safetensors`, else `*.bin`; no fp16/other variants)
  by size, its safetensors header (each tensor's name, dtype, shape and byte range), and
  `SAMPLES` windows of `WINDOW` bytes spread evenly over the data, the last one included.

Why that is enough: the configs and headers fix the architecture and the exact tensor layout; a
fine-tune or any retraining changes essentially every weight, so the sampled windows differ. It
is not a defence against a checkpoint crafted to collide (a dishonest server can mislabel its
answer anyway); it tells copies of one model apart from other models, at the cost of reading
a few hundred KiB instead of gigabytes. A copy missing some weights (a device that fetched only
the text encoder and VAE) has no digest, and is then matched by name as before.
"""

from __future__ import annotations

import hashlib
import json
import os
import struct
import threading
from pathlib import Path
from typing import Any

DIGEST_PREFIX = "sha256:"
SAMPLES = 16
WINDOW = 4096
_WEIGHT_SUFFIXES = (".safetensors", ".bin", ".pt", ".pth", ".ckpt", ".msgpack", ".h5", ".onnx", ".pb", ".gguf")
_COMPONENTS = ("unet", "vae", "text_encoder", "text_encoder_2", "tokenizer", "tokenizer_2", "scheduler")
_MODULES = ("unet", "vae", "text_encoder", "text_encoder_2")

_cache: dict[tuple[Any, ...], str | None] = {}
_lock = threading.Lock()


def directory_digest(root: str | Path, folders: dict[str, Path]) -> str | None:
    """The content digest of a diffusers model at `root` whose component `name` lives in
    `folders[name]` (None where a module component's weights are missing from this copy)."""
    root = Path(root)
    files: list[tuple[str, Path]] = []
    index = root / "model_index.json"
    if index.is_file():
        files.append(("model_index.json", index))
    for name in _COMPONENTS:
        folder = folders.get(name)
        if folder is None or not folder.is_dir():
            continue
        chosen = _component_files(folder)
        if name in _MODULES and not any(p.name.endswith(_WEIGHT_SUFFIXES) for p in chosen):
            return None  # this copy lacks the weights: no content identity to offer
        files.extend((f"{name}/{p.name}", p) for p in chosen)
    if "unet" not in folders or not folders["unet"].is_dir():
        return None
    try:
        signature = tuple((label, str(path.resolve()), *_stat(path)) for label, path in files)
    except OSError:
        return None
    with _lock:
        if signature in _cache:
            return _cache[signature]
    digest = hashlib.sha256(b"obclip-model/1\n")
    try:
        for label, path in files:
            digest.update(label.encode() + b"\0")
            digest.update(_file_digest(path))
    except (OSError, ValueError):  # unreadable, or a torn weight file: no identity to offer
        return None
    value = DIGEST_PREFIX + digest.hexdigest()
    with _lock:
        _cache[signature] = value
    return value


def tensors_digest(name: str, state: dict[str, Any]) -> str:
    """The digest of a model built in memory: every tensor of its components, in full (tiny models)."""
    digest = hashlib.sha256(b"obclip-built-model/1\n")
    for key in sorted(state):
        tensor = state[key].detach().to("cpu").float().contiguous()  # one digest whatever dtype it runs in
        digest.update(f"{key}:{tuple(tensor.shape)}\0".encode())
        digest.update(tensor.numpy().tobytes())
    return DIGEST_PREFIX + digest.hexdigest()


def _stat(path: Path) -> tuple[int, int]:
    stat = path.stat()
    return stat.st_size, stat.st_mtime_ns


def _component_files(folder: Path) -> list[Path]:
    """The files of one component folder that make up the model: configs and tokenizer files, and
    the weights diffusers loads by default (safetensors over pickles, no dtype variants)."""
    plain: list[Any] = []
    weights: list[Any] = []
    for path in sorted(folder.iterdir()):
        if not path.is_file() or path.name.startswith(".") or _variant_index(path.name):
            continue
        (weights if path.name.endswith(_WEIGHT_SUFFIXES) else plain).append(path)
    default = [p for p in weights if len(p.name.split(".")) == 2]  # "model.safetensors", not "model.fp16.safetensors"
    for suffix in (".safetensors", ".bin"):
        chosen = [p for p in default if p.name.endswith(suffix)]
        if chosen:
            return plain + chosen
    return plain + default


def _variant_index(name: str) -> bool:
    """A sharded variant's index (`model.safetensors.index.fp16.json`): another dtype's files."""
    return ".index." in name and not name.endswith(".index.json")


def _file_digest(path: Path) -> bytes:
    """sha256 of a config file, or of a weight file's size, header and sampled windows."""
    size = path.stat().st_size
    digest = hashlib.sha256(str(size).encode() + b"\0")
    if not path.name.endswith(_WEIGHT_SUFFIXES):
        digest.update(path.read_bytes())
        return digest.digest()
    with open(path, "rb") as handle:
        start = 0
        if path.name.endswith(".safetensors") and size >= 8:
            (length,) = struct.unpack("<Q", handle.read(8))
            if length > size - 8:
                raise OSError(f"{path}: not a safetensors file")
            header = handle.read(length)
            json.loads(header)  # a torn or foreign file is not a model
            digest.update(header)
            start = 8 + length
        span = size - start
        for i in range(SAMPLES):
            offset = start + (span - WINDOW) * i // max(SAMPLES - 1, 1) if span > WINDOW else start
            handle.seek(max(offset, start), os.SEEK_SET)
            digest.update(handle.read(WINDOW))
    return digest.digest()
