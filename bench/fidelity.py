"""What each cloud acceleration costs in fidelity: final latents and image against unaccelerated ObCLIP.

Runs `obclip.api.generate` with the same seed and candidate order, once plain and once per acceleration
setting, and reports the relative L2 error of the final latents (before decoding), the image PSNR, and,
with the shipped attribute classifier, whether the image still shows the same sensitive attributes.
It also runs the cloud half alone on all N candidates and reports how much of the spread between the
candidates' hand-off latents survives ("contrast kept": mean pairwise distance, accelerated / plain),
an attribute-agnostic measure of the wash-out that sharing attention maps can cause.

    python bench/fidelity.py                      # embedded default models, T=25, k=10
    python bench/fidelity.py --prompts "a photo of an old man" --seeds 0 1 2 --json fid.json
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from typing import Any

import numpy as np
import torch

from obclip.accel import (
    AccelConfig,
    AttentionCacheConfig,
    BatchReuseConfig,
    BlockSkipConfig,
    CandidateBasisConfig,
    SharedUncondConfig,
)

DEFAULT_PROMPTS = [
    "a photo of a young woman in glasses against a blue background",
    "a picture of an old man wearing a red shirt",
    "a drawing of a middle-aged woman with fair skin against a yellow background",
]


def variants(r: int, s: int, interval: int) -> dict[str, AccelConfig]:
    """Each acceleration alone, then the paper's stack and the stacks bench/cost.py reports."""
    cache = AttentionCacheConfig(cache_step=r, cache_interval=interval)
    cache_reuse = AttentionCacheConfig(cache_step=r, cache_interval=interval, self_attention="reuse")
    paper = AccelConfig(batch_reuse=BatchReuseConfig(), attention_cache=cache, block_skip=BlockSkipConfig(skip_step=s))
    return {
        "caching (self drop)": AccelConfig(attention_cache=cache),
        "caching (self reuse)": AccelConfig(attention_cache=cache_reuse),
        "batch reuse self, all steps": AccelConfig(batch_reuse=BatchReuseConfig(attention="self")),
        "batch reuse cross, all steps": AccelConfig(batch_reuse=BatchReuseConfig(attention="cross")),
        f"batch reuse both, steps<{r}": AccelConfig(batch_reuse=BatchReuseConfig(stop_step=r)),
        f"block skip up_path s={s}": AccelConfig(block_skip=BlockSkipConfig(skip_step=s)),
        f"block skip shallow s={s}": AccelConfig(block_skip=BlockSkipConfig(skip_step=s, mode="shallow_branch")),
        "shared uncond step 0": AccelConfig(shared_uncond=SharedUncondConfig(stop_step=1)),
        f"shared uncond steps<{r}": AccelConfig(shared_uncond=SharedUncondConfig(stop_step=r)),
        "shared uncond all steps": AccelConfig(shared_uncond=SharedUncondConfig()),
        "paper stack": paper,
        "paper stack + shared uncond": paper.replace(shared_uncond=SharedUncondConfig()),
        f"reuse+cache+shallow s={r}": AccelConfig(
            batch_reuse=BatchReuseConfig(),
            attention_cache=cache,
            block_skip=BlockSkipConfig(skip_step=r, mode="shallow_branch"),
        ),
        f"reuse+cache+shallow s={r}+uncond": AccelConfig(
            batch_reuse=BatchReuseConfig(),
            attention_cache=cache,
            block_skip=BlockSkipConfig(skip_step=r, mode="shallow_branch"),
            shared_uncond=SharedUncondConfig(),
        ),
        f"rec: self-reuse+cache(reuse)+shallow s={r}": AccelConfig(
            batch_reuse=BatchReuseConfig(attention="self"),
            attention_cache=cache_reuse,
            block_skip=BlockSkipConfig(skip_step=r, mode="shallow_branch"),
        ),
        "rec + uncond step 0": AccelConfig(
            batch_reuse=BatchReuseConfig(attention="self"),
            attention_cache=cache_reuse,
            block_skip=BlockSkipConfig(skip_step=r, mode="shallow_branch"),
            shared_uncond=SharedUncondConfig(stop_step=1),
        ),
        "rec + uncond all (<=2x)": AccelConfig(
            batch_reuse=BatchReuseConfig(attention="self"),
            attention_cache=cache_reuse,
            block_skip=BlockSkipConfig(skip_step=r, mode="shallow_branch"),
            shared_uncond=SharedUncondConfig(),
        ),
        "candidate basis S=1.2": AccelConfig(candidate_basis=CandidateBasisConfig()),
        "candidate basis S=1.5": AccelConfig(candidate_basis=CandidateBasisConfig(scale=1.5)),
        "scalable: rec + uncond step 0 + basis S=1.2": AccelConfig(
            batch_reuse=BatchReuseConfig(attention="self"),
            attention_cache=cache_reuse,
            block_skip=BlockSkipConfig(skip_step=r, mode="shallow_branch"),
            shared_uncond=SharedUncondConfig(stop_step=1),
            candidate_basis=CandidateBasisConfig(),
        ),
    }


def psnr(a: np.ndarray, b: np.ndarray) -> float:
    mse = float(np.mean((a.astype(np.float64) - b.astype(np.float64)) ** 2))
    return math.inf if mse == 0 else 10 * math.log10(255.0**2 / mse)


def classify(classifier: Any, image: Any) -> dict[str, int]:
    pixels = torch.from_numpy(np.asarray(image.convert("RGB").resize((64, 64)), dtype=np.float32) / 255.0)
    return {k: int(v) for k, v in classifier.predict(pixels.permute(2, 0, 1)[None]).items()}


_CLOUDS: dict[str, Any] = {}


def cloud_latents(prompt: str, seed: int, cfg: AccelConfig | None, options: dict[str, Any]) -> torch.Tensor:
    """The cloud's hand-off latents of all N candidates (wire order) for `prompt`."""
    from obclip.api import DEFAULT_LARGE, resolve_taxonomy
    from obclip.engine import DenoiseSpec, LocalCloud
    from obclip.privacy import build_candidate_set

    large = options.get("large", DEFAULT_LARGE)
    candidates = build_candidate_set(prompt, taxonomy=resolve_taxonomy(None, large), seed=seed).candidates
    options = {k: v for k, v in options.items() if k != "small"}
    spec = DenoiseSpec(
        candidates=tuple(candidates),
        steps=options["steps"],
        switch_step=options["switch_step"],
        seed=seed,
        accel=cfg,
    )
    if large not in _CLOUDS:
        _CLOUDS[large] = LocalCloud(large)
    return _CLOUDS[large].denoise(spec).latents.float()


def spread(latents: torch.Tensor) -> float:
    flat = latents.flatten(1)
    n = flat.shape[0]
    return float(torch.cdist(flat, flat).sum() / max(n * (n - 1), 1))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--large", default=None, help="cloud model (default: generate()'s default)")
    parser.add_argument("--small", default=None, help='device model ("same" reuses the large one)')
    parser.add_argument("--prompts", nargs="+", default=DEFAULT_PROMPTS)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1])
    parser.add_argument("--steps", type=int, default=25)
    parser.add_argument("--switch-step", type=int, default=10)
    parser.add_argument("--cache-step", type=int, default=4)
    parser.add_argument("--skip-step", type=int, default=6)
    parser.add_argument("--cache-interval", type=int, default=5)
    parser.add_argument("--only", nargs="*", help="run only variants whose name contains one of these")
    parser.add_argument("--no-classify", action="store_true", help="skip the attribute classifier")
    parser.add_argument("--threads", type=int, default=None, help="torch CPU threads (1 on a shared CPU)")
    parser.add_argument("--json", metavar="FILE")
    args = parser.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)

    from obclip.api import generate

    classifier = None
    if not args.no_classify:
        try:
            from obclip.world.classifier import load_classifier

            classifier = load_classifier()
        except Exception as exc:
            print(f"no attribute classifier ({exc}); reporting latents and PSNR only", file=sys.stderr)

    options: dict[str, Any] = {"steps": args.steps, "switch_step": args.switch_step, "quiet": True}
    if args.large:
        options["large"] = args.large
    if args.small:
        options["small"] = args.small
    chosen = variants(args.cache_step, args.skip_step, args.cache_interval)
    if args.only:
        chosen = {name: cfg for name, cfg in chosen.items() if any(part in name for part in args.only)}

    t0 = time.perf_counter()
    base: dict[tuple[str, int], Any] = {}
    base_attrs: dict[tuple[str, int], dict[str, int]] = {}
    model_name = None
    for prompt in args.prompts:
        for seed in args.seeds:
            result = generate(prompt, seed=seed, shuffle_seed=seed, **options)
            base[(prompt, seed)] = result
            model_name = f"{result.report.large} -> {result.report.small}"
            if classifier is not None:
                base_attrs[(prompt, seed)] = classify(classifier, result.image)

    base_cloud = {key: cloud_latents(*key, None, options) for key in base}
    rows = []
    print(f"models: {model_name}; T={args.steps}, k={args.switch_step}; {len(base)} images per variant")
    print(
        f"{'variant':<34} {'rel L2 latents':>15} {'PSNR dB':>9} {'attr kept':>10}"
        f" {'cloud rel L2':>13} {'contrast kept':>14}"
    )
    for name, cfg in chosen.items():
        errors, psnrs, kept, total, cloud_errors, contrast = [], [], 0, 0, [], []
        for (prompt, seed), ref in base.items():
            mine = cloud_latents(prompt, seed, cfg, options)
            plain = base_cloud[(prompt, seed)]
            cloud_errors.append(float((mine - plain).norm() / plain.norm()))
            if plain.shape[0] > 1:
                contrast.append(spread(mine) / spread(plain))
            result = generate(prompt, seed=seed, shuffle_seed=seed, accel=cfg, **options)
            errors.append(float((result.latents - ref.latents).norm() / ref.latents.norm()))
            psnrs.append(psnr(np.asarray(result.image), np.asarray(ref.image)))
            if classifier is not None:
                attrs = classify(classifier, result.image)
                kept += sum(attrs[a] == base_attrs[(prompt, seed)][a] for a in attrs)
                total += len(attrs)
        finite = [p for p in psnrs if math.isfinite(p)]
        row = {
            "variant": name,
            "accelerations": cfg.names,
            "accel_config": cfg.to_dict(),
            "rel_l2_latents_mean": float(np.mean(errors)),
            "rel_l2_latents_max": float(np.max(errors)),
            "psnr_db_mean": float(np.mean(finite)) if finite else math.inf,
            "attributes_kept": kept / total if total else None,
            "cloud_rel_l2_mean": float(np.mean(cloud_errors)),
            "contrast_kept_mean": float(np.mean(contrast)) if contrast else None,
        }
        rows.append(row)
        kept_text = f"{row['attributes_kept']:.2f}" if total else "-"
        contrast_text = f"{row['contrast_kept_mean']:.3f}" if contrast else "-"
        print(
            f"{name:<34} {row['rel_l2_latents_mean']:>15.4f} {row['psnr_db_mean']:>9.2f} {kept_text:>10}"
            f" {row['cloud_rel_l2_mean']:>13.4f} {contrast_text:>14}",
            flush=True,
        )
    print(f"({time.perf_counter() - t0:.0f} s; 'attr kept' = share of classifier attribute predictions unchanged)")
    if args.json:
        with open(args.json, "w") as fh:
            json.dump({"model": model_name, "rows": rows}, fh, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
