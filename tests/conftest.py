"""Shared test set-up: offline, quiet, deterministic, one torch thread.

The embedded test models are tiny: one thread is fastest for them, and it keeps the suite from
oversubscribing a small CI machine.
"""

import os

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

import torch

torch.set_num_threads(1)
