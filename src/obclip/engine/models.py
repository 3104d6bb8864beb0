"""Model loading: hub ids, local diffusers directories and `embedded:` models, as `ModelBundle`s.

A bundle is one UNet with the text encoder, VAE and noise schedule it runs with; the device's
bundle borrows the large model's text encoder and VAE, which is what makes latents portable.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from diffusers import AutoencoderKL, UNet2DConditionModel
from transformers import CLIPTextModel, CLIPTokenizer

from obclip.engine import embedded
from obclip.engine.conditioning import ClipConditioner
from obclip.errors import IncompatibleModelsError, ModelNotFoundError

SAME = "same"


@dataclass
class ModelBundle:
    """A UNet with the text conditioner, VAE and noise schedule it is run with."""

    model_id: str
    unet: UNet2DConditionModel
    vae: AutoencoderKL
    text: ClipConditioner
    schedule: dict[str, Any]

    @property
    def device(self) -> torch.device:
        return self.unet.device

    @property
    def dtype(self) -> torch.dtype:
        return self.unet.dtype

    @property
    def latent_channels(self) -> int:
        return int(self.vae.config.latent_channels)

    @property
    def vae_scale_factor(self) -> int:
        return 2 ** (len(self.vae.config.block_out_channels) - 1)

    @property
    def default_size(self) -> int:
        """Image side in pixels the UNet was built for."""
        size = self.unet.config.sample_size
        size = size[0] if isinstance(size, (list, tuple)) else size
        return int(size) * self.vae_scale_factor


def default_device() -> torch.device:
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


def default_dtype(device: torch.device) -> torch.dtype:
    return torch.float16 if device.type == "cuda" else torch.float32


_cache: dict[tuple[str, bool, str, str], embedded.Components] = {}
_unet_cache: dict[tuple[str, str, str], tuple[UNet2DConditionModel, Any, Any]] = {}
_cache_lock = threading.RLock()


def load_components(
    spec: str,
    *,
    unet: bool = True,
    device: torch.device | None = None,
    dtype: torch.dtype | None = None,
) -> embedded.Components:
    """Load (and cache per process) the pipeline components named by `spec`.

    `unet=False` leaves the UNet's weights on disk (the device side of a split run needs only
    the large model's text encoder and VAE).
    """
    device = device or default_device()
    dtype = dtype or default_dtype(device)
    key = (canonical_id(spec), unet, str(device), str(dtype))
    with _cache_lock:
        full = (key[0], True, *key[2:])
        if full in _cache:
            return _cache[full]
        if key not in _cache:
            parts = _load_uncached(spec, unet, dtype)
            for module in (parts.text_encoder, parts.vae, parts.unet):
                if module is not None:
                    _place(module, device, dtype)
            _cache[key] = parts
        return _cache[key]


def canonical_id(spec: str) -> str:
    """The id a model is reported under (`embedded:default` resolved to its real name)."""
    if spec.startswith(embedded.PREFIX):
        return embedded.PREFIX + embedded.lookup(spec).name
    return spec


def load_model(spec: str, *, device: torch.device | None = None, dtype: torch.dtype | None = None) -> ModelBundle:
    """A `ModelBundle` for a hub id, a local diffusers directory or an `embedded:` name."""
    parts = load_components(spec, device=device, dtype=dtype)
    assert parts.unet is not None
    return ModelBundle(
        model_id=canonical_id(spec),
        unet=parts.unet,
        vae=parts.vae,
        text=ClipConditioner(parts.tokenizer, parts.text_encoder),
        schedule=parts.schedule,
    )


TAXONOMY_FILE = "obclip_taxonomy.json"


def model_taxonomy(spec: str) -> Path | None:
    """A taxonomy file that comes with a model: the embedded world's, or `obclip_taxonomy.json`
    in a local model directory. It extends the default taxonomy; it never replaces it."""
    if spec.startswith(embedded.PREFIX):
        return embedded.lookup(spec).taxonomy_path()
    path = Path(spec).expanduser() / TAXONOMY_FILE
    return path if path.is_file() else None


def default_small(large: str) -> str:
    """The device model that goes with a cloud model when the user names none."""
    if large.startswith(embedded.PREFIX):
        partner = embedded.lookup(large).small
        if partner:
            return embedded.PREFIX + partner
    _source(large)  # a missing large model is the first thing to report
    raise ModelNotFoundError(f"no default device model for {large!r}; name one with --small (or 'same')")


def load_pair(
    large: str,
    small: str | None = None,
    *,
    device: torch.device | None = None,
    dtype: torch.dtype | None = None,
) -> tuple[ModelBundle, ModelBundle]:
    """Cloud and device bundles; the device's shares the cloud's text encoder and VAE.

    `small="same"` runs the large UNet on the device side too (to check the hand-off).
    An incompatible pair is refused with `IncompatibleModelsError`.
    """
    cloud = load_model(large, device=device, dtype=dtype)
    return cloud, load_device_model(large, small, device=device, dtype=dtype)


def load_device_model(
    large: str,
    small: str | None = None,
    *,
    device: torch.device | None = None,
    dtype: torch.dtype | None = None,
) -> ModelBundle:
    """The device's bundle: `small`'s UNet with `large`'s text encoder and VAE.

    The large UNet's weights are loaded only for `small="same"`.
    """
    small = small or default_small(large)
    if small == SAME:
        return load_model(large, device=device, dtype=dtype)
    parts = load_components(large, unet=False, device=device, dtype=dtype)
    unet, vae_config, text_config = load_device_unet(small, device=device, dtype=dtype)
    bundle = ModelBundle(
        model_id=canonical_id(small),
        unet=unet,
        vae=parts.vae,
        text=ClipConditioner(parts.tokenizer, parts.text_encoder),
        schedule=parts.schedule,
    )
    large_unet = parts.unet.config if parts.unet is not None else _optional_config(_source(large), "unet") or {}
    check_compatible(bundle, large_unet, unet.config, vae_config, text_config)
    return bundle


def load_device_unet(
    spec: str, *, device: torch.device | None = None, dtype: torch.dtype | None = None
) -> tuple[UNet2DConditionModel, dict[str, Any] | None, dict[str, Any] | None]:
    """A device model's UNet, with the configs of the VAE and text encoder it was trained with.

    Only the UNet's weights are loaded: the device runs it with the cloud model's text encoder
    and VAE, so a real checkpoint's own copies never take memory.
    """
    if spec.startswith(embedded.PREFIX) and embedded.lookup(spec).path() is None:
        parts = load_components(spec, device=device, dtype=dtype)
        assert parts.unet is not None
        return parts.unet, dict(parts.vae.config), parts.text_encoder.config.to_dict()
    source = _source(spec)
    device = device or default_device()
    key_dtype = dtype or default_dtype(device)
    key = (canonical_id(spec) + "#unet", str(device), str(key_dtype))
    with _cache_lock:
        if key not in _unet_cache:
            with _load_errors(spec):
                unet = UNet2DConditionModel.from_pretrained(source, subfolder="unet", torch_dtype=key_dtype)
            _place(unet, device, key_dtype)
            _unet_cache[key] = (unet, _optional_config(source, "vae"), _optional_config(source, "text_encoder"))
        return _unet_cache[key]


def check_compatible(
    cloud: ModelBundle,
    large_unet: Any,
    unet: Any,
    vae_config: dict[str, Any] | None,
    text_config: dict[str, Any] | None,
) -> None:
    """Refuse a device UNet that cannot continue the cloud model's latents.

    `cloud` carries the large model's VAE and text encoder; `large_unet` is its UNet config.
    """
    problems = []
    if unet.in_channels != cloud.latent_channels or unet.out_channels != cloud.latent_channels:
        problems.append(f"latent channels {unet.in_channels}/{unet.out_channels} vs the VAE's {cloud.latent_channels}")
    if unet.cross_attention_dim != cloud.text.hidden_size:
        problems.append(f"cross-attention width {unet.cross_attention_dim} vs text encoder {cloud.text.hidden_size}")
    if unet.get("addition_embed_type") != large_unet.get("addition_embed_type"):
        problems.append("different added conditioning (e.g. SDXL vs SD 1.x)")
    for key in ("latent_channels", "scaling_factor", "block_out_channels") if vae_config else ():
        if _norm(vae_config.get(key)) != _norm(cloud.vae.config.get(key)):
            problems.append(f"VAE {key} {vae_config.get(key)} vs {cloud.vae.config.get(key)}")
    if text_config and text_config.get("hidden_size") != cloud.text.hidden_size:
        problems.append("its text encoder differs from the cloud model's")
    if problems:
        raise IncompatibleModelsError(
            f"device model {cloud.model_id!r} does not share the cloud model's latent space: " + "; ".join(problems)
        )


def _norm(value: Any) -> Any:
    return list(value) if isinstance(value, (list, tuple)) else value


def _source(spec: str) -> str:
    """Where diffusers should load `spec` from: a packaged or local directory, or a hub id."""
    if spec.startswith(embedded.PREFIX):
        path = embedded.lookup(spec).path()
        if path is None:
            raise ModelNotFoundError(f"embedded model {spec!r} is built in memory, not loaded from files")
        return str(path)
    path = Path(spec).expanduser()
    if path.exists():
        if not path.is_dir():
            raise ModelNotFoundError(f"model path {spec!r} is not a directory")
        return str(path)
    if spec.count("/") != 1 or spec.startswith(("/", ".", "~")):
        raise ModelNotFoundError(
            f"model {spec!r} is neither a local directory, a hub id (org/name) nor an embedded: name"
        )
    return spec


@contextmanager
def _load_errors(spec: str) -> Iterator[None]:
    """Turn the many ways a checkpoint fails to load into one `ModelNotFoundError`."""
    try:
        yield
    except (OSError, ValueError, json.JSONDecodeError) as exc:
        first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ModelNotFoundError(
            f"could not load model {spec!r} (a diffusers SD 1.x directory or hub id is needed; "
            f"hub ids need network or a local cache): {first_line}"
        ) from None


def _place(module: torch.nn.Module, device: torch.device, dtype: torch.dtype) -> None:
    """Move a module for inference; cast only where its dtype differs."""
    module.to(device=device)
    if next(module.parameters()).dtype != dtype:
        module.to(dtype=dtype)
    module.eval().requires_grad_(False)


def _load_uncached(spec: str, with_unet: bool, dtype: torch.dtype) -> embedded.Components:
    if spec.startswith(embedded.PREFIX):
        entry = embedded.lookup(spec)
        if entry.path() is None and entry.build is not None:
            return entry.build()
    source = _source(spec)
    with _load_errors(spec):
        return embedded.Components(
            tokenizer=CLIPTokenizer.from_pretrained(source, subfolder="tokenizer"),
            text_encoder=CLIPTextModel.from_pretrained(source, subfolder="text_encoder", torch_dtype=dtype),
            vae=AutoencoderKL.from_pretrained(source, subfolder="vae", torch_dtype=dtype),
            unet=UNet2DConditionModel.from_pretrained(source, subfolder="unet", torch_dtype=dtype)
            if with_unet
            else None,
            schedule=_optional_config(source, "scheduler") or {},
        )


def _optional_config(source: str, subfolder: str) -> dict[str, Any] | None:
    """A component's config (no weights), or None where the checkpoint has no such component."""
    local = Path(source) / subfolder
    if local.is_dir():
        for name in ("config.json", "scheduler_config.json"):
            if (local / name).is_file():
                return json.loads((local / name).read_text())
        return None
    try:
        from huggingface_hub import hf_hub_download

        name = "scheduler_config.json" if subfolder == "scheduler" else "config.json"
        return json.loads(Path(hf_hub_download(source, name, subfolder=subfolder)).read_text())
    except Exception:  # absent component or no network: the check falls back to the UNet alone
        return None
