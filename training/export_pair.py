"""Copy the shared parts (tokenizer, text encoder, VAE) of portrait-large into portrait-small."""

from __future__ import annotations

from common import LARGE, SMALL, copy_dir


def main() -> None:
    for part in ("tokenizer", "text_encoder", "vae"):
        copy_dir(LARGE / part, SMALL / part)
        print("copied", part)


if __name__ == "__main__":
    main()
