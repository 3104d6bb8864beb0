"""Shared test set-up: offline, quiet, deterministic, one torch thread.

The embedded test models are tiny: one thread is fastest for them, and it keeps the suite from
oversubscribing a small CI machine.
"""

import os

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

import torch
from hypothesis import settings

torch.set_num_threads(1)

# Property tests draw the same examples on every run by default, so `make test` (and CI) passes or
# fails on the code alone; `HYPOTHESIS_PROFILE=explore make test` draws new ones to look for bugs,
# and each one found is pinned as an `@example` once fixed.
settings.register_profile("deterministic", derandomize=True, database=None)
settings.register_profile("explore", derandomize=False)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "deterministic"))
