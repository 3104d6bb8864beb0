"""The denoising engine: model loading, the one loop, the cloud and device halves, `DenoiseState`.

Cloud and device run the same `denoise` loop over different step ranges; the state between
them is explicit and serialisable.
"""

from obclip.engine.cloud import CloudBackend, CloudEngine, LocalCloud, initial_noise
from obclip.engine.device import DeviceEngine, check_response
from obclip.engine.loop import denoise
from obclip.engine.models import ModelBundle, default_small, load_device_model, load_model, load_pair
from obclip.engine.schedulers import DEFAULT_SCHEDULER, SCHEDULERS
from obclip.engine.spec import DenoiseSpec
from obclip.engine.state import DenoiseState

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
