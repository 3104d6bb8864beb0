"""Render the training set: N portraits with uniformly drawn attributes (seeded)."""

from __future__ import annotations

import argparse
import random

import numpy as np
from common import RUNS, Timer, setup

from obclip.world import WORLD_ATTRIBUTES, attribute_indices, render, sample_attributes


def render_set(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = random.Random(seed)
    images = np.empty((n, 64, 64, 3), dtype=np.uint8)
    labels = np.empty((n, len(WORLD_ATTRIBUTES)), dtype=np.int64)
    for i in range(n):
        attrs = sample_attributes(rng)
        images[i] = np.asarray(render(attrs, rng))
        labels[i] = list(attribute_indices(attrs).values())
    return images, labels


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--n", type=int, default=40000)
    ap.add_argument("--n-test", type=int, default=4000)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    setup(args.seed)
    with Timer("render_dataset"):
        for split, n, seed in (("train", args.n, args.seed), ("test", args.n_test, args.seed + 100_000)):
            images, labels = render_set(n, seed)
            np.savez(RUNS / f"{split}.npz", images=images, labels=labels)
            print(split, images.shape)


if __name__ == "__main__":
    main()
