"""The denoising engine: model loading, the one loop, the cloud and device halves, `DenoiseState`.

Cloud and device run the same `denoise` loop over different step ranges; the state between
them is explicit and serialisable. The names below are imported on first use, so a torch-free
submodule (`engine.embedded`, the model registry) costs no torch to import.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from obclip.engine.cloud import CloudBackend, CloudEngine, LocalCloud, initial_noise
    from obclip.engine.device import DeviceEngine, check_response
    from obclip.engine.loop import denoise
    from obclip.engine.models import ModelBundle, default_small, load_device_model, load_model, load_pair
    from obclip.engine.schedulers import DEFAULT_SCHEDULER, SCHEDULERS
    from obclip.engine.spec import DenoiseSpec
    from obclip.engine.state import DenoiseState

_SOURCES = {
    "cloud": ("CloudBackend", "CloudEngine", "LocalCloud", "initial_noise"),
    "device": ("DeviceEngine", "check_response"),
    "loop": ("denoise",),
    "models": ("ModelBundle", "default_small", "load_device_model", "load_model", "load_pair"),
    "schedulers": ("DEFAULT_SCHEDULER", "SCHEDULERS"),
    "spec": ("DenoiseSpec",),
    "state": ("DenoiseState",),
}
_MODULE_OF = {name: module for module, names in _SOURCES.items() for name in names}

__all__ = [
    "DEFAULT_SCHEDULER",
    "SCHEDULERS",
    "CloudBackend",
    "CloudEngine",
    "DenoiseSpec",
    "DenoiseState",
    "DeviceEngine",
    "LocalCloud",
    "ModelBundle",
    "check_response",
    "default_small",
    "denoise",
    "initial_noise",
    "load_device_model",
    "load_model",
    "load_pair",
]


def __getattr__(name: str) -> Any:
    module = _MODULE_OF.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
