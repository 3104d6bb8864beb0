"""Model loading: hub ids, local diffusers directories and `embedded:` models, as `ModelBundle`s.

A bundle is one UNet with the text encoder, VAE and noise schedule it runs with; the device's
bundle borrows the large model's text encoder and VAE, which is what makes latents portable.
One cache holds every component once, so the cloud and device bundles share the same objects.
"""

from __future__ import annotations

import functools
import json
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from diffusers import AutoencoderKL, UNet2DConditionModel
from transformers import CLIPTextModel, CLIPTextModelWithProjection, CLIPTokenizer

from obclip.engine import architectures, embedded, hub, identity
from obclip.engine.conditioning import TextConditioner
from obclip.engine.schedulers import pipeline_scheduler_config
from obclip.errors import IncompatibleModelsError, InvalidInputError, ModelNotFoundError, ObclipError

SAME = "same"


@dataclass
class ModelBundle:
    """A UNet with the text conditioner, VAE and noise schedule it is run with."""

    model_id: str
    unet: UNet2DConditionModel
    vae: AutoencoderKL
    text: TextConditioner
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

    @functools.cached_property
    def digest(self) -> str | None:
        """The content digest of the model this bundle was loaded as (`model_digest(model_id)`)."""
        return model_digest(self.model_id)

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


DTYPES: dict[str, torch.dtype] = {"float32": torch.float32, "float16": torch.float16, "bfloat16": torch.bfloat16}
"""The dtypes a model may run in, by the name `--dtype` takes."""


def placement(device: torch.device | str | None, dtype: torch.dtype | str | None) -> tuple[torch.device, torch.dtype]:
    """(device, dtype) a model is placed on: `device` (`"cuda:1"`, a `torch.device`; default the
    first GPU, else the CPU) and `dtype` (a `torch.dtype` or a name of `DTYPES`; default float16 on
    a GPU, float32 elsewhere). An unknown device or dtype, or a GPU this machine lacks, is refused."""
    try:
        where = default_device() if device is None else torch.device(device)
    except (RuntimeError, TypeError) as exc:
        raise InvalidInputError(f"unknown device {device!r}: {exc}") from None
    if where.type == "cuda":
        count = torch.cuda.device_count()
        if count == 0 or (where.index is not None and where.index >= count):
            raise InvalidInputError(f"device {str(where)!r} is not on this machine ({count} GPUs)")
    if isinstance(dtype, str):
        if dtype not in DTYPES:
            raise InvalidInputError(f"unknown dtype {dtype!r} (choose one of: {', '.join(DTYPES)})")
        dtype = DTYPES[dtype]
    if dtype is not None and dtype not in DTYPES.values():
        raise InvalidInputError(f"unsupported dtype {dtype} (choose one of: {', '.join(DTYPES)})")
    return where, dtype or default_dtype(where)


COMPONENT_CLASSES: dict[str, Any] = {
    "tokenizer": CLIPTokenizer,
    "text_encoder": CLIPTextModel,
    "vae": AutoencoderKL,
    "unet": UNet2DConditionModel,
    "tokenizer_2": CLIPTokenizer,  # SDXL's second tokenizer and text encoder
    "text_encoder_2": CLIPTextModelWithProjection,
}
"""The class that reads each component of a diffusers directory (`scheduler` is read as its config)."""

SHARED_FILE = "obclip_shared.json"
"""In a model directory: the components it takes from a partner directory instead of holding copies."""
SHARED_FORMAT = "obclip-shared/1"


class ModelCache:
    """The loaded components, least recently used dropped first beyond `max_entries`.

    Keyed by (where the component is read from, component, device, dtype). A bundle holds its
    components itself, so dropping one from the cache frees it only once no bundle uses it.
    """

    def __init__(self, max_entries: int = 64) -> None:
        self.max_entries = max_entries
        self._entries: OrderedDict[tuple[str, str, str, str], Any] = OrderedDict()
        self.lock = threading.RLock()

    def __contains__(self, key: tuple[str, str, str, str]) -> bool:
        return key in self._entries

    def __len__(self) -> int:
        return len(self._entries)

    def __getitem__(self, key: tuple[str, str, str, str]) -> Any:
        with self.lock:
            self._entries.move_to_end(key)
            return self._entries[key]

    def __setitem__(self, key: tuple[str, str, str, str], value: Any) -> None:
        with self.lock:
            self._entries[key] = value
            self._entries.move_to_end(key)
            self.trim()

    def trim(self) -> None:
        """Drop the least recently used entries beyond `max_entries`."""
        with self.lock:
            while len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)

    def setdefault(self, key: tuple[str, str, str, str], value: Any) -> Any:
        with self.lock:
            if key not in self._entries:
                self[key] = value
            return self[key]

    def clear(self) -> None:
        with self.lock:
            self._entries.clear()


_cache = ModelCache()
_cache_lock = _cache.lock


def clear_model_cache() -> None:
    """Forget every loaded component (the next load reads the files again); models still in
    use by a bundle stay alive in it. On a GPU, also hands cached memory back to the driver."""
    _cache.clear()
    _built_digests.clear()
    if torch.cuda.is_available():
        torch.cuda.empty_cache()


def set_model_cache_size(max_entries: int) -> None:
    """Keep at most `max_entries` loaded components (a model has 4 to 7; default 64)."""
    if max_entries < 1:
        raise InvalidInputError(f"the model cache holds at least one component, got {max_entries}")
    with _cache.lock:
        _cache.max_entries = max_entries
        _cache.trim()


def load_component(
    spec: str, name: str, *, device: torch.device | None = None, dtype: torch.dtype | None = None
) -> Any:
    """One component of the model `spec` (`tokenizer`, `text_encoder`, `vae`, `unet`, `scheduler`).

    Each component is loaded once per process, device and dtype, keyed by where its files are:
    two models that share a text encoder or VAE (a pair whose small directory names its partner
    in `obclip_shared.json`) get the very same object. `scheduler` is the noise schedule's config.
    """
    device, dtype = placement(device, dtype)
    if _built(spec):
        return _built_component(spec, name, device, dtype)
    source, subfolder = component_location(_source(spec), name)
    module = name != "scheduler" and issubclass(COMPONENT_CLASSES[name], torch.nn.Module)
    key = (source, name, str(device) if module else "", str(dtype) if module else "")
    with _cache_lock:
        if key not in _cache:
            with _load_errors(spec):
                if name == "scheduler":
                    value: Any = _optional_config(source, subfolder) or {}
                elif module:
                    value = COMPONENT_CLASSES[name].from_pretrained(source, subfolder=subfolder, torch_dtype=dtype)
                    _place(value, device, dtype)
                else:
                    value = COMPONENT_CLASSES[name].from_pretrained(source, subfolder=subfolder)
            _cache[key] = value
        return _cache[key]


def load_components(
    spec: str,
    *,
    unet: bool = True,
    device: torch.device | None = None,
    dtype: torch.dtype | None = None,
) -> embedded.Components:
    """The pipeline components named by `spec`, each from the per-component cache.

    `unet=False` leaves the UNet's weights on disk (the device side of a split run needs only
    the large model's text encoder and VAE).
    """

    def part(name: str) -> Any:
        return load_component(spec, name, device=device, dtype=dtype)

    architecture = check_model(spec).architecture  # refuses what obclip cannot run before any weight loads
    return embedded.Components(
        tokenizer=part("tokenizer"),
        text_encoder=part("text_encoder"),
        vae=part("vae"),
        unet=part("unet") if unet else None,
        schedule=pipeline_scheduler_config(architecture.pipeline_class, part("scheduler")),
        **architectures.family_components(architecture, part),
    )


def component_location(source: str, name: str) -> tuple[str, str]:
    """(directory or hub id, subfolder) that component `name` of the model at `source` is read from.

    A local directory's own subfolder wins; a component it lacks comes from the partner directory
    its `obclip_shared.json` names (`{"format": "obclip-shared/1", "partner": "../portrait-large",
    "components": ["tokenizer", ...]}`), so a small model ships its UNet and no copies.
    """
    base = Path(source)
    if not base.is_dir():
        return source, name
    if not (base / name).is_dir():
        shared = _shared_components(base)
        if name in shared:
            return str(shared[name].resolve()), name
    return str(base.resolve()), name


def _shared_components(directory: Path) -> dict[str, Path]:
    """Component -> partner directory, from `directory`'s `obclip_shared.json` (empty if none)."""
    path = directory / SHARED_FILE
    if not path.is_file():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        if data.get("format") != SHARED_FORMAT:
            raise ValueError(f'"format" must be "{SHARED_FORMAT}"')
        partner = directory / str(data["partner"])
        components = [str(c) for c in data["components"]]
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
        raise ModelNotFoundError(f"{path}: not a valid {SHARED_FILE} ({exc})") from None
    missing = [c for c in components if not (partner / c).is_dir()]
    if missing:
        raise ModelNotFoundError(f"{path}: partner {partner} lacks {', '.join(missing)}")
    return dict.fromkeys(components, partner)


def _built(spec: str) -> bool:
    """An `embedded:` model made in memory from fixed seeds (no files)."""
    if not spec.startswith(embedded.PREFIX):
        return False
    entry = embedded.lookup(spec)
    return entry.path() is None and entry.build is not None


def _builder(spec: str) -> Callable[[], embedded.Components]:
    """The builder of a built `embedded:` model (`_built(spec)` holds)."""
    build = embedded.lookup(spec).build
    if build is None:
        raise ModelNotFoundError(f"embedded model {spec!r} is loaded from files, not built")
    return build


def _built_component(spec: str, name: str, device: torch.device, dtype: torch.dtype) -> Any:
    """A component of a built model; building makes every component, and all are cached."""
    model_id = canonical_id(spec)
    key = (model_id, name, str(device), str(dtype))
    with _cache_lock:
        if key not in _cache:
            parts = _builder(spec)()
            values = {
                "tokenizer": parts.tokenizer,
                "text_encoder": parts.text_encoder,
                "vae": parts.vae,
                "unet": parts.unet,
                "scheduler": parts.schedule,
                "tokenizer_2": parts.tokenizer_2,
                "text_encoder_2": parts.text_encoder_2,
                "pipeline": parts.pipeline,
            }
            for part, value in values.items():
                if isinstance(value, torch.nn.Module):
                    _place(value, device, dtype)
                _cache.setdefault((model_id, part, str(device), str(dtype)), value)
            return values[name]
        return _cache[key]


def _conditioner(parts: embedded.Components) -> TextConditioner:
    """The one conditioner over cached tokenizers and text encoders (shared by every bundle)."""
    key = ("conditioner", str(id(parts.tokenizer)), str(id(parts.text_encoder)), str(id(parts.text_encoder_2)))
    with _cache_lock:
        if key not in _cache:
            _cache[key] = architectures.make_conditioner(parts)
        return _cache[key]


def model_architecture(spec: str) -> architectures.Architecture:
    """The family of `spec` (SD or SDXL) from its configs; what obclip cannot run is refused here."""
    if _built(spec):
        family = architectures.SDXL if load_component(spec, "text_encoder_2") is not None else architectures.SD
        return architectures.Architecture(family, dict(load_component(spec, "pipeline")))
    return architectures.inspect_model(spec, _source(spec))


def canonical_id(spec: str) -> str:
    """The id a model is reported under (`embedded:default` resolved to its real name)."""
    if spec.startswith(embedded.PREFIX):
        return embedded.PREFIX + embedded.lookup(spec).name
    return spec


_built_digests: dict[str, str] = {}


def model_digest(spec: str) -> str | None:
    """`spec`'s content digest (`engine.identity`): the same for every path to one directory, a hub
    id's cached snapshot, or a built `embedded:` model's tensors; None where this copy cannot give
    one (weights missing here, an uncached hub id, an unknown name). Reads no weights in full."""
    try:
        if _built(spec):
            name = canonical_id(spec)
            if name not in _built_digests:
                parts = _builder(spec)()
                modules = {"unet": parts.unet, "vae": parts.vae, "text_encoder": parts.text_encoder}
                if parts.text_encoder_2 is not None:
                    modules["text_encoder_2"] = parts.text_encoder_2
                state = {f"{n}.{k}": v for n, m in modules.items() for k, v in m.state_dict().items()}
                _built_digests[name] = identity.tensors_digest(name, state)
            return _built_digests[name]
        source = _source(spec)
        if not Path(source).is_dir():  # a hub id while the hub answers: its cached snapshot, if any
            source = hub.cached_snapshot(source) or ""
            if not source:
                return None
        folders = {}
        for name in ("unet", "vae", "text_encoder", "text_encoder_2", "tokenizer", "tokenizer_2", "scheduler"):
            where, subfolder = component_location(source, name)
            folders[name] = Path(where) / subfolder
        return identity.directory_digest(source, folders)
    except (ObclipError, OSError, ValueError):
        return None


def load_model(spec: str, *, device: torch.device | None = None, dtype: torch.dtype | None = None) -> ModelBundle:
    """A `ModelBundle` for a hub id, a local diffusers directory or an `embedded:` name."""
    parts = load_components(spec, device=device, dtype=dtype)
    assert parts.unet is not None
    return ModelBundle(
        model_id=canonical_id(spec),
        unet=parts.unet,
        vae=parts.vae,
        text=_conditioner(parts),
        schedule=parts.schedule,
    )


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
    small = small or default_small(large)
    if small != SAME:
        check_pair(large, small)  # the device model's refusals come before the cloud model's weights load
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
    check_pair(large, small)  # every refusal the config files decide, before any weight loads
    parts = load_components(large, unet=False, device=device, dtype=dtype)
    unet, vae_config, text_config = load_device_unet(small, device=device, dtype=dtype)
    bundle = ModelBundle(
        model_id=canonical_id(small),
        unet=unet,
        vae=parts.vae,
        text=_conditioner(parts),
        schedule=parts.schedule,
    )
    check_compatible(bundle, _unet_config(large, device, dtype), unet.config, vae_config, text_config)
    return bundle


def load_device_unet(
    spec: str, *, device: torch.device | None = None, dtype: torch.dtype | None = None
) -> tuple[UNet2DConditionModel, dict[str, Any] | None, dict[str, Any] | None]:
    """A device model's UNet, with the configs of the VAE and text encoder it was trained with.

    Only the UNet's weights are loaded: the device runs it with the cloud model's text encoder
    and VAE, so a real checkpoint's own copies never take memory.
    """
    check_model(spec)  # refuses an unsupported device model before loading it
    unet = load_component(spec, "unet", device=device, dtype=dtype)
    if _built(spec):
        vae = load_component(spec, "vae", device=device, dtype=dtype)
        text_encoder = load_component(spec, "text_encoder", device=device, dtype=dtype)
        return unet, dict(vae.config), text_encoder.config.to_dict()
    source = _source(spec)
    return (
        unet,
        _optional_config(*component_location(source, "vae")),
        _optional_config(*component_location(source, "text_encoder")),
    )


def _unet_config(spec: str, device: torch.device | None, dtype: torch.dtype | None) -> Any:
    """The cloud UNet's config, without loading its weights where they are files."""
    if _built(spec):
        return load_component(spec, "unet", device=device, dtype=dtype).config
    return _optional_config(*component_location(_source(spec), "unet")) or {}


@dataclass(frozen=True)
class ModelConfigs:
    """A model's component configs, read without loading any weights (None where it has no such part)."""

    spec: str
    architecture: architectures.Architecture
    unet: dict[str, Any] | None
    vae: dict[str, Any] | None
    text_encoder: dict[str, Any] | None
    text_encoder_2: dict[str, Any] | None

    @property
    def latent_channels(self) -> int | None:
        return None if self.vae is None else int(architectures.vae_config_value(self.vae, "latent_channels"))

    @property
    def vae_scale_factor(self) -> int | None:
        if self.vae is None:
            return None
        return 2 ** (len(architectures.vae_config_value(self.vae, "block_out_channels")) - 1)

    @property
    def text_width(self) -> int | None:
        """The width of the text states the UNet cross-attends to (both encoders' for SDXL)."""
        encoders = [c for c in (self.text_encoder, self.text_encoder_2) if c is not None]
        if not encoders or any("hidden_size" not in c for c in encoders):
            return None
        return sum(int(c["hidden_size"]) for c in encoders)


def model_configs(spec: str) -> ModelConfigs:
    """The configs of `spec`'s UNet, VAE and text encoders, from its files (a built `embedded:`
    model from its tiny built components); the architecture is checked first (`inspect_model`)."""
    architecture = model_architecture(spec)
    if _built(spec):

        def built(name: str) -> dict[str, Any] | None:
            value = load_component(spec, name, device=torch.device("cpu"), dtype=torch.float32)
            if value is None:
                return None
            config = value.config
            return dict(config.to_dict() if hasattr(config, "to_dict") else config)

        parts = (built(name) for name in ("unet", "vae", "text_encoder", "text_encoder_2"))
        return ModelConfigs(canonical_id(spec), architecture, *parts)
    source = _source(spec)

    def read(name: str) -> dict[str, Any] | None:
        try:
            return _optional_config(*component_location(source, name))
        except (OSError, ValueError):
            return None

    return ModelConfigs(spec, architecture, read("unet"), read("vae"), read("text_encoder"), read("text_encoder_2"))


def check_model(spec: str) -> ModelConfigs:
    """`spec`'s configs, refused in one line naming it where obclip cannot run it: an unsupported
    pipeline (`inspect_model`), a UNet whose latent channels are not its own VAE's, an SDXL VAE
    config without `scaling_factor` (diffusers would read SD 1.x's 0.18215, not SDXL's 0.13025)."""
    configs = model_configs(spec)
    name = configs.spec
    unet, channels = configs.unet, configs.latent_channels
    if unet is not None and channels is not None:
        ins, outs = unet.get("in_channels", 4), unet.get("out_channels", 4)
        if (ins, outs) != (channels, channels):
            raise IncompatibleModelsError(
                f"model {name!r}: its UNet takes {ins} and gives {outs} latent channels, its own VAE has {channels}"
            )
    sdxl = configs.architecture.family == architectures.SDXL
    if sdxl and configs.vae is not None and "scaling_factor" not in configs.vae:
        raise IncompatibleModelsError(
            f"model {name!r}: its SDXL VAE config has no scaling_factor (diffusers would read SD 1.x's "
            f"0.18215; SDXL's VAE needs 0.13025): add the right one to its vae/config.json"
        )
    return configs


def check_pair(large: str, small: str) -> tuple[ModelConfigs, ModelConfigs]:
    """Refuse, from config files alone, a device model that cannot continue `large`'s latents.

    Each model's own refusals (`check_model`) name that model; a mismatch between them names the
    device model. Nothing is loaded but JSON configs (and a built `embedded:` model's tiny parts).
    """
    cloud = check_model(large)
    device = check_model(small)
    problems = []
    unet, channels = device.unet or {}, cloud.latent_channels
    if channels is not None and (unet.get("in_channels", 4), unet.get("out_channels", 4)) != (channels, channels):
        problems.append(
            f"its UNet takes {unet.get('in_channels', 4)}/{unet.get('out_channels', 4)} latent channels, "
            f"the cloud model's VAE has {channels}"
        )
    width = cloud.text_width
    if width is not None and unet.get("cross_attention_dim") not in (None, width):
        problems.append(f"cross-attention width {unet.get('cross_attention_dim')} vs the cloud's text states {width}")
    large_unet = cloud.unet or {}
    if unet.get("addition_embed_type") != large_unet.get("addition_embed_type"):
        problems.append("different added conditioning (e.g. SDXL vs SD 1.x)")
    elif unet.get("projection_class_embeddings_input_dim") != large_unet.get("projection_class_embeddings_input_dim"):
        problems.append("different pooled-text and time-id widths (SDXL's added conditioning)")
    if device.vae is not None and cloud.vae is not None and device.vae is not cloud.vae:
        for key in ("latent_channels", "scaling_factor", "block_out_channels"):
            theirs = architectures.vae_config_value(device.vae, key)
            ours = architectures.vae_config_value(cloud.vae, key)
            if _norm(theirs) != _norm(ours):
                problems.append(f"VAE {key} {theirs} vs {ours}")
    widths = [c.get("hidden_size") for c in (device.text_encoder, cloud.text_encoder) if c is not None]
    if len(widths) == 2 and widths[0] != widths[1]:
        problems.append("its text encoder differs from the cloud model's")
    if problems:
        raise IncompatibleModelsError(
            f"device model {device.spec!r} does not share the cloud model's latent space: " + "; ".join(problems)
        )
    return cloud, device


def check_scheduler_config(spec: str, scheduler: str) -> None:
    """Refuse, from `spec`'s UNet config alone, an LCM-distilled UNet run with another scheduler
    (`conditioning.check_scheduler_fits` says the same of a loaded UNet, once it is too late to be cheap)."""
    unet = model_configs(spec).unet or {}
    if unet.get("time_cond_proj_dim") is not None and scheduler != "lcm":
        raise InvalidInputError(
            f"{spec}: this UNet is LCM-distilled (time_cond_proj_dim set); run it with --scheduler lcm, not {scheduler}"
        )


def native_size(large: str, small: str | None = None) -> tuple[int, int]:
    """(image side in pixels, VAE factor) the device model draws at, from config files alone: its
    UNet's `sample_size` times the cloud model's VAE factor (the bundle `load_device_model` makes)."""
    small = small or default_small(large)
    cloud, device = (check_model(large),) * 2 if small == SAME else check_pair(large, small)
    factor = cloud.vae_scale_factor or 8
    size = (device.unet or {}).get("sample_size", 64)
    size = size[0] if isinstance(size, (list, tuple)) else size
    return int(size) * factor, factor


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
    elif unet.get("projection_class_embeddings_input_dim") != large_unet.get("projection_class_embeddings_input_dim"):
        problems.append("different pooled-text and time-id widths (SDXL's added conditioning)")
    for key in ("latent_channels", "scaling_factor", "block_out_channels"):
        if not vae_config:
            break
        theirs = architectures.vae_config_value(vae_config, key)
        if _norm(theirs) != _norm(cloud.vae.config.get(key)):
            problems.append(f"VAE {key} {theirs} vs {cloud.vae.config.get(key)}")
    if text_config and text_config.get("hidden_size") != cloud.text.text_encoder.config.hidden_size:
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
    if not hub.is_hub_id(spec):
        raise ModelNotFoundError(
            f"model {spec!r} is neither a local directory, a hub id (org/name) nor an embedded: name"
        )
    return hub.resolve(spec)  # the cache or one bounded metadata call: about a second, never minutes


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


def _optional_config(source: str, subfolder: str) -> dict[str, Any] | None:
    """A component's config (no weights), or None where the checkpoint has no such component."""
    local = Path(source) / subfolder
    if local.is_dir():
        for name in ("config.json", "scheduler_config.json"):
            if (local / name).is_file():
                return json.loads((local / name).read_text())
        return None
    name = "scheduler_config.json" if subfolder == "scheduler" else "config.json"
    return hub.read_json(source, name, subfolder)  # None: absent component or no network (the UNet alone decides)
