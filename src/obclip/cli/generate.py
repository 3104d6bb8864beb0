"""`obclip generate` and `obclip demo`: one private generation, cloud half then device half."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from obclip.cli._common import raise_invalid

DEMO_PROMPT = "portrait of an old man with dark skin wearing glasses, blue background"


def _add_generation_options(p: argparse.ArgumentParser) -> None:
    from obclip.api import DEFAULT_LARGE
    from obclip.engine import DEFAULT_SCHEDULER, SCHEDULERS

    p.add_argument("--steps", type=int, default=25, metavar="T", help="total denoising steps (default 25)")
    p.add_argument("--switch-step", type=int, default=10, metavar="k", help="steps run in the cloud (default 10)")
    p.add_argument("--scheduler", choices=sorted(SCHEDULERS), default=DEFAULT_SCHEDULER)
    p.add_argument("--seed", type=int, help="seed of the shared initial noise (default: random)")
    p.add_argument("--guidance", type=float, default=7.5, help="classifier-free guidance scale (default 7.5)")
    p.add_argument("--height", type=int, help="image height, a multiple of 8 (default: the model's)")
    p.add_argument("--width", type=int, help="image width, a multiple of 8 (default: the model's)")
    p.add_argument(
        "--large", default=DEFAULT_LARGE, metavar="MODEL", help="cloud model: hub id, directory, embedded:NAME"
    )
    p.add_argument("--small", metavar="MODEL", help="device model sharing the large one's text encoder and VAE; 'same'")
    p.add_argument("--max-candidates", type=int, metavar="M", help="budget on the number of candidates")
    p.add_argument("--taxonomy", metavar="FILE", help="taxonomy file replacing the default")
    p.add_argument("--cloud", default="local", metavar="local|URL", help="where the cloud half runs (default local)")
    p.add_argument("--token-file", metavar="FILE", help="bearer token for a remote cloud")
    p.add_argument("--json", action="store_true", help="print the run's report as JSON")
    p.add_argument("--quiet", action="store_true", help="no progress bars")
    _add_accel_options(p)


def _add_accel_options(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("cloud accelerations (see docs/accelerations.md; all off by default)")
    g.add_argument(
        "--accel",
        choices=("paper", "recommended"),
        help="a measured stack with its points set for --switch-step (not combined with the flags below)",
    )
    g.add_argument(
        "--batch-reuse",
        choices=("self", "cross", "both"),
        help="the pivot candidate's attention maps serve every candidate before the cache step",
    )
    g.add_argument("--cache-step", type=int, metavar="r", help="from step r: self-attention bypassed, cross cached")
    g.add_argument("--cache-interval", type=int, default=5, help="refresh cached cross-attention every N steps")
    g.add_argument("--skip-step", type=int, metavar="s", help="from step s: down and mid blocks skipped")
    g.add_argument("--skip-interval", type=int, help="full UNet refresh every N steps while skipping")
    g.add_argument(
        "--shared-uncond",
        type=int,
        metavar="STOP",
        help="unconditional branch computed for the pivot only, on steps before STOP",
    )


def accel_from_args(args: argparse.Namespace):
    """The `AccelConfig` the acceleration flags ask for, or None when none is set."""
    from obclip.accel import (
        AccelConfig,
        AttentionCacheConfig,
        BatchReuseConfig,
        BlockSkipConfig,
        SharedUncondConfig,
    )

    single = ("batch_reuse", "cache_step", "skip_step", "skip_interval", "shared_uncond")
    if args.accel:
        if any(getattr(args, name) is not None for name in single):
            raise_invalid("--accel takes a whole preset; give either it or the single acceleration flags")
        return AccelConfig.preset(args.accel, args.switch_step).validate(num_steps=args.steps)
    config = AccelConfig(
        batch_reuse=BatchReuseConfig(attention=args.batch_reuse) if args.batch_reuse else None,
        attention_cache=None
        if args.cache_step is None
        else AttentionCacheConfig(cache_step=args.cache_step, cache_interval=args.cache_interval),
        block_skip=None
        if args.skip_step is None
        else BlockSkipConfig(skip_step=args.skip_step, skip_interval=args.skip_interval),
        shared_uncond=None if args.shared_uncond is None else SharedUncondConfig(stop_step=args.shared_uncond),
    )
    return config.validate(num_steps=args.steps) if config.enabled else None


def register(sub: argparse._SubParsersAction) -> None:
    register_generate(sub)
    register_demo(sub)


def register_generate(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("generate", help="generate an image privately (cloud steps [0,k), device steps [k,T))")
    p.add_argument("prompt")
    p.add_argument("--out", default="obclip.png", metavar="FILE.png", help="where to write the image")
    _add_generation_options(p)
    p.set_defaults(run=_run_generate)


def register_demo(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("demo", help="generate the demo prompt with the embedded models, offline")
    p.add_argument("--prompt", default=DEMO_PROMPT)
    p.add_argument("--out", default="out/demo.png", metavar="FILE.png")
    _add_generation_options(p)
    p.set_defaults(run=_run_generate, seed=0)


def _run_generate(args: argparse.Namespace) -> int:
    out = Path(args.out)
    if out.suffix.lower() not in (".png", ".jpg", ".jpeg", ".webp"):
        raise_invalid(f"--out must name a .png, .jpg or .webp file, got {args.out!r}")
    from obclip.api import generate

    result = generate(
        args.prompt,
        large=args.large,
        small=args.small,
        steps=args.steps,
        switch_step=args.switch_step,
        scheduler=args.scheduler,
        guidance=args.guidance,
        seed=args.seed,
        height=args.height,
        width=args.width,
        max_candidates=args.max_candidates,
        taxonomy=args.taxonomy,
        accel=accel_from_args(args),
        cloud=args.cloud,
        token=_read_token(args.token_file),
        quiet=args.quiet,
    )
    try:
        path = result.save(out)
    except OSError as exc:
        raise_invalid(f"cannot write {args.out!r}: {exc.strerror or exc}")
    report = result.report
    if args.json:
        print(json.dumps({"image": str(path), **report.to_dict()}, ensure_ascii=False))
        return 0
    t = report.timings
    print(
        f"N={report.num_candidates} candidates, cloud steps [0,{report.switch_step}) on {report.large}, "
        f"device steps [{report.switch_step},{report.steps}) on {report.small}; "
        f"cloud {t['cloud_s']:.2f} s, device {t['device_s']:.2f} s, total {t['total_s']:.2f} s"
    )
    if report.notice:
        print(f"notice: {report.notice}")
    print(f"image written to {path}")
    return 0


def _read_token(path: str | None) -> str | None:
    if path is None:
        return None
    try:
        token = Path(path).read_text().strip()
    except OSError as exc:
        raise_invalid(f"cannot read token file {path!r}: {exc.strerror or exc}")
    if not token:
        raise_invalid(f"token file {path!r} is empty")
    return token
