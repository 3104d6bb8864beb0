"""Print the markdown tables of training/README.md from runs/world/*.json and the shipped models."""

from __future__ import annotations

import json
import sys

import torch
from common import CLASSIFIER, LARGE, MODELS, RUNS, SMALL
from diffusers import UNet2DConditionModel
from torch.utils.flop_counter import FlopCounterMode

from obclip.world import WORLD_ATTRIBUTES


def macs(directory) -> tuple[int, int]:
    config = UNet2DConditionModel.load_config(directory, subfolder="unet")
    with torch.device("meta"):
        unet = UNet2DConditionModel.from_config(config)
        s = config["sample_size"]
        args = (torch.zeros(1, 4, s, s), torch.tensor([500]), torch.zeros(1, 77, config["cross_attention_dim"]))
    with FlopCounterMode(display=False) as counter:
        unet(*args)
    return sum(p.numel() for p in unet.parameters()), counter.get_total_flops() // 2


def main() -> None:
    out = sys.stdout
    out.write("| model dir | files | MB |\n|---|---|---|\n")
    total = 0
    for d in (LARGE, SMALL, CLASSIFIER):
        for sub in sorted(p for p in d.iterdir() if p.is_dir()) or [d]:
            size = sum(f.stat().st_size for f in sub.rglob("*") if f.is_file())
            out.write(
                f"| {d.name}/{sub.name if sub != d else ''} | {sum(1 for f in sub.rglob('*') if f.is_file())} "
                f"| {size / 1e6:.2f} |\n"
            )
        total += sum(f.stat().st_size for f in d.rglob("*") if f.is_file())
    out.write(f"| **total** ({MODELS.name}/) | | **{total / 1e6:.2f}** ({total / 2**20:.2f} MiB) |\n\n")
    out.write("| UNet | params | MACs / forward (batch 1, 8×8×4, 77 tokens) |\n|---|---|---|\n")
    (pl, ml), (ps, ms) = macs(LARGE), macs(SMALL)
    out.write(
        f"| large | {pl / 1e6:.2f} M | {ml / 1e6:.1f} M |\n| small | {ps / 1e6:.2f} M | {ms / 1e6:.1f} M "
        f"({ml / ms:.2f}× fewer) |\n\n"
    )
    acc = json.loads((RUNS / "classifier_accuracy.json").read_text())
    out.write("Classifier, held-out renders (4000): " + ", ".join(f"{k} {v:.1%}" for k, v in acc.items()) + "\n\n")
    ev = json.loads((RUNS / "eval.json").read_text())
    res = ev["results"]
    names = list(WORLD_ATTRIBUTES)
    out.write(f"Sampling: {ev['args']}\n\n")
    out.write("| pipeline | " + " | ".join(names) + " | FCD ↓ | wall s |\n|---|" + "---|" * (len(names) + 2) + "\n")
    for key, row in res.items():
        if key == "renders":
            continue
        cells = [f"{row[n]:.1%} (n={row['n_' + n]})" for n in names]
        out.write(f"| {key} | " + " | ".join(cells) + f" | {row['fcd']:.2f} | {row['sample_s']:.0f} |\n")
    out.write("| renders (floor) | " + " | ".join("—" for _ in names) + f" | {res['renders']['fcd']:.2f} | |\n")


if __name__ == "__main__":
    main()
