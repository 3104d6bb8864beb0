"""The defaults every interface shares (Python API, CLI, service, eval), in one torch-free module.

Importing this costs nothing, so a command-line parser can show them without loading torch.
"""

EMBEDDED_PREFIX = "embedded:"
"""Model names with this prefix are models that ship with obclip (`obclip models`)."""

DEFAULT_LARGE = EMBEDDED_PREFIX + "default"
"""The cloud model when none is named: the trained portrait model when installed."""

DEFAULT_STEPS = 25
"""T, the length of the whole schedule (cloud and device together)."""

DEFAULT_SWITCH_STEP = 10
"""k, the steps the cloud runs before the device takes over."""

DEFAULT_GUIDANCE = 7.5
"""Classifier-free guidance scale (at most 1 switches guidance off)."""

DEFAULT_MAX_BATCH_ROWS = 128
"""UNet rows per call a server's batch of compatible requests may reach (2N per guided request)."""

DEFAULT_MAX_BATCH_LATENT_PIXELS = 128 * 64 * 64
"""A batch's memory budget in UNet rows x latent pixels: 128 rows of SD-1.5 at 512 px."""
