"""Where the candidates of one request differ inside the cloud's UNet: per block and step, how far each
candidate's hidden state is from the pivot's, token by token (the measurement behind the candidate basis).

    python bench/candidate_delta.py                  # embedded portrait model, one N = 6 set, k = 10
    python bench/candidate_delta.py --prompts 4 --json delta.json

For every block input (down, mid, up blocks and every Transformer2DModel) and cloud step it prints, over
the cond rows of the non-pivot candidates: the median per-token relative difference ||x_c - x_p|| / ||x_p||,
the share of tokens within 1 % and 10 % of the pivot's (what token sharing at that tolerance could reuse
exactly or nearly), and the share of the difference's energy in the top 10 % of tokens (how localised it is).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import defaultdict

import torch

from obclip.engine import CloudEngine, DenoiseSpec, load_model
from obclip.eval.quality import TUNED_SEED, WORLD_LARGE, held_out_prompts


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", default=WORLD_LARGE)
    parser.add_argument("--prompts", type=int, default=2, help="captions (their candidate sets) to average over")
    parser.add_argument("--steps", type=int, default=25)
    parser.add_argument("--k", type=int, default=10)
    parser.add_argument("--json", metavar="FILE")
    args = parser.parse_args(argv)

    model = load_model(args.model)
    unet = model.unet
    names = [
        n
        for n, m in unet.named_modules()
        if (n.count(".") == 1 and n.split(".")[0] in ("down_blocks", "up_blocks"))
        or n == "mid_block"
        or type(m).__name__ == "Transformer2DModel"
    ]
    stats: dict[tuple[str, int], list[dict[str, float]]] = defaultdict(list)
    current = {"step": 0, "n": 0}

    def hook(name):
        def record(module, args_, kwargs):
            x = args_[0] if args_ else kwargs["hidden_states"]
            n = current["n"]
            cond = x[n : 2 * n].flatten(2) if x.shape[0] == 2 * n else x[-n:].flatten(2)  # (n, C, L)
            pivot, others = cond[0], cond[1:]
            per_token = (others - pivot).norm(dim=1) / pivot.norm(dim=0).clamp_min(1e-12)  # (n-1, L)
            energy = (others - pivot).pow(2).sum(dim=1)  # (n-1, L)
            top = max(1, energy.shape[1] // 10)
            share = energy.topk(top, dim=1).values.sum(1) / energy.sum(1).clamp_min(1e-30)
            stats[(name, current["step"])].append(
                {
                    "median": per_token.median().item(),
                    "within_1pct": (per_token <= 0.01).float().mean().item(),
                    "within_10pct": (per_token <= 0.10).float().mean().item(),
                    "top10_energy": share.mean().item(),
                    "tokens": per_token.shape[1],
                }
            )

        return record

    modules = dict(unet.named_modules())
    handles = [modules[n].register_forward_pre_hook(hook(n), with_kwargs=True) for n in names]
    engine = CloudEngine(model)
    try:
        for prompt in held_out_prompts(args.prompts, seed=TUNED_SEED):
            cands = prompt.candidate_set.candidates
            current["n"] = len(cands)
            spec = DenoiseSpec(cands, steps=args.steps, switch_step=args.k, seed=prompt.seed)

            def on_step(i: int) -> None:
                current["step"] = i

            engine.run(spec, on_step=on_step)
    finally:
        for h in handles:
            h.remove()
    keys = ("median", "within_1pct", "within_10pct", "top10_energy")
    print(f"{args.model}, {args.prompts} candidate sets, steps [0, {args.k}); cond rows, non-pivot vs pivot")
    print(f"{'block input':<42} {'step':>4} {'tokens':>6} " + " ".join(f"{k:>12}" for k in keys))
    table = {}
    for (name, step), items in sorted(stats.items(), key=lambda kv: (names.index(kv[0][0]), kv[0][1])):
        mean = {k: sum(i[k] for i in items) / len(items) for k in keys}
        table[f"{name}@{step}"] = mean
        if step in (0, 1, args.k // 2, args.k - 1):
            cells = " ".join(f"{mean[k]:>12.3f}" for k in keys)
            print(f"{name:<42} {step:>4} {items[0]['tokens']:>6} {cells}")
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(table, fh, indent=1)
    return 0


if __name__ == "__main__":
    with torch.no_grad():
        sys.exit(main())
