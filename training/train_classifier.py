"""Train the attribute classifier on renders (with blur/noise augmentation) and report held-out accuracy."""

from __future__ import annotations

import argparse
import math

import numpy as np
import torch
import torch.nn.functional as F
from common import CLASSIFIER, RUNS, Timer, setup, write_json

from obclip.world import WORLD_ATTRIBUTES, AttributeClassifier


def to_tensor(images: np.ndarray) -> torch.Tensor:
    return torch.from_numpy(images).permute(0, 3, 1, 2).float() / 255


def augment(x: torch.Tensor, gen: torch.Generator) -> torch.Tensor:
    # generic robustness to soft edges: box blur of width 3 or 5 on half of the batch
    r = torch.rand(x.shape[0], 1, 1, 1, generator=gen)
    x = torch.where(r < 0.25, F.avg_pool2d(x, 3, stride=1, padding=1, count_include_pad=False), x)
    x = torch.where(r > 0.75, F.avg_pool2d(x, 5, stride=1, padding=2, count_include_pad=False), x)
    x = x + 0.04 * torch.rand(x.shape[0], 1, 1, 1, generator=gen) * torch.randn(x.shape, generator=gen)
    return x.clamp(0, 1)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--steps", type=int, default=1000)
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--lr", type=float, default=2e-3)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()
    setup(args.seed, args.threads)
    train, test = np.load(RUNS / "train.npz"), np.load(RUNS / "test.npz")
    images, labels = train["images"], torch.from_numpy(train["labels"])
    names = list(WORLD_ATTRIBUTES)
    model = AttributeClassifier({n: len(a.values) for n, a in WORLD_ATTRIBUTES.items()})
    opt = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=1e-4)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: 0.5 * (1 + math.cos(math.pi * s / args.steps)))
    gen = torch.Generator().manual_seed(args.seed)
    with Timer("train_classifier"):
        for step in range(args.steps):
            idx = torch.randint(0, len(images), (args.batch,), generator=gen)
            x = augment(to_tensor(images[idx.numpy()]), gen)
            out = model(x)
            loss = sum(F.cross_entropy(out[n], labels[idx, i]) for i, n in enumerate(names))
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
            if step % 100 == 0:
                print(f"step {step} loss {loss.item():.4f}", flush=True)
    model.eval()
    correct = {n: 0 for n in names}
    x_test, y_test = test["images"], torch.from_numpy(test["labels"])
    for i in range(0, len(x_test), 500):
        pred = model.predict(to_tensor(x_test[i : i + 500]))
        for j, n in enumerate(names):
            correct[n] += int((pred[n] == y_test[i : i + 500, j]).sum())
    acc = {n: correct[n] / len(x_test) for n in names}
    print("held-out accuracy", acc)
    model.save(CLASSIFIER)
    write_json(RUNS / "classifier_accuracy.json", acc)


if __name__ == "__main__":
    main()
