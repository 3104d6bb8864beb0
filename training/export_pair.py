"""Make portrait-small a device model: its own UNet, and a reference to portrait-large's shared parts.

The small UNet was trained with portrait-large's tokenizer, text encoder, VAE and noise schedule;
the folder names them in `obclip_shared.json` instead of holding copies (the loader follows it).
"""

from __future__ import annotations

import shutil

from common import LARGE, SMALL, write_json

from obclip.engine.models import SHARED_FILE, SHARED_FORMAT

SHARED = ("scheduler", "text_encoder", "tokenizer", "vae")


def main() -> None:
    for part in SHARED:
        if (SMALL / part).exists():  # copies from an older export
            shutil.rmtree(SMALL / part)
    (SMALL / "model_index.json").unlink(missing_ok=True)
    write_json(
        SMALL / SHARED_FILE,
        {"format": SHARED_FORMAT, "partner": f"../{LARGE.name}", "components": list(SHARED)},
    )
    print(f"{SMALL.name}: unet + {SHARED_FILE} -> {LARGE.name} ({', '.join(SHARED)})")


if __name__ == "__main__":
    main()
