"""Text conditioners (SD 1.x CLIP, SDXL) under concurrent use (the server checks prompts while its
worker encodes)."""

from __future__ import annotations

import threading

import pytest
import torch

from obclip.engine import load_model

PROMPTS = ["a photo of a cat", "portrait of an old man with dark skin wearing glasses, blue background", ""]


@pytest.mark.parametrize("model", ["embedded:tiny-random", "embedded:tiny-sdxl-random"])
def test_concurrent_checks_do_not_corrupt_encodings(model) -> None:
    """Token counts (no padding, no truncation) racing with encodes (padded) change neither.

    A transformers fast tokenizer keeps padding and truncation as state on the shared Rust
    tokenizer: without the lock a token count came back padded (256 instead of 61), and under
    load an encode can come back unpadded (a torch.cat size mismatch in the server).
    """
    text = load_model(model).text
    expected_hidden = text.encode(PROMPTS, size=(64, 64)).encoder_hidden_states
    expected_counts = [text.token_count(p) for p in PROMPTS]
    failures: list[str] = []
    start = threading.Barrier(4)

    def encoder() -> None:
        start.wait()
        for _ in range(150):
            try:
                hidden = text.encode(PROMPTS, size=(64, 64)).encoder_hidden_states
            except Exception as exc:  # any failure is the race
                failures.append(repr(exc))
                return
            if not torch.equal(hidden, expected_hidden):
                failures.append("encoding changed")
                return

    def checker() -> None:
        start.wait()
        for _ in range(600):
            counts = [text.token_count(p) for p in PROMPTS]
            if counts != expected_counts:
                failures.append(f"token counts {counts} != {expected_counts}")
                return

    threads = [threading.Thread(target=f) for f in (encoder, encoder, checker, checker)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not failures, failures[:3]
