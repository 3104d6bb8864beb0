"""`obclip eval`: quality of each split setting on the embedded portrait world."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from obclip.cli._common import raise_invalid


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("eval", help="measure image quality of each split on the embedded portrait world")
    what = p.add_subparsers(dest="what", required=True, metavar="WHAT", help="what to measure")
    q = what.add_parser("quality", help="attribute accuracy and Fréchet classifier distance per setting")
    q.add_argument(
        "--prompts", type=int, default=None, help="world captions per stream (default 100; 200 with --preset benchmark)"
    )
    q.add_argument(
        "--preset",
        choices=("benchmark",),
        help="the benchmark point: k = 10, `recommended` against `scalable`, on the tuned caption stream (--seed) "
        "and a held-out one (--held-out-seed), with bootstrap 95 %% intervals and paired differences",
    )
    q.add_argument(
        "--held-out-seed", type=int, default=20_000, help="seed of the held-out stream of --preset benchmark"
    )
    q.add_argument(
        "--batch",
        type=int,
        default=None,
        metavar="B",
        help="captions whose cloud steps share one UNet batch (default 1; 16 with --preset benchmark)",
    )
    q.add_argument(
        "--stream",
        choices=("both", "tuned", "held-out"),
        default="both",
        help="caption streams of --preset benchmark (default both; one each lets two processes share the work)",
    )
    q.add_argument("--bootstrap", type=int, default=1000, metavar="B", help="bootstrap resamples (default 1000)")
    q.add_argument("--steps", type=int, default=25, metavar="T", help="total denoising steps (default 25)")
    q.add_argument("--ks", default="0,3,5,10,25", help="switch steps, comma-separated (default 0,3,5,10,25)")
    q.add_argument("--guidance", type=float, default=7.5, help="classifier-free guidance scale (default 7.5)")
    q.add_argument("--seed", type=int, default=10_000, help="seed of the held-out prompt stream")
    q.add_argument(
        "--accel",
        choices=("none", "each", "paper", "recommended", "scalable"),
        default="each",
        help="ObCLIP rows without acceleration only; plus each acceleration alone and both presets; or one preset",
    )
    q.add_argument("--json", metavar="FILE", help="also write the rows as JSON")
    q.add_argument(
        "--plot", metavar="FILE.png", help="also draw accuracy and FCD against k per acceleration (extra [eval])"
    )
    q.add_argument("--quiet", action="store_true", help="no progress bars")
    q.set_defaults(run=_run_eval_quality)
    from obclip.cli.eval_privacy import register as register_privacy

    register_privacy(what)


def _run_eval_quality(args: argparse.Namespace) -> int:
    from obclip.api import resolve_taxonomy
    from obclip.eval.quality import (
        BENCHMARK_SWITCH_STEP,
        WORLD_LARGE,
        accel_variants,
        default_settings,
        evaluate,
        fcd_floor,
        format_table,
        held_out_prompts,
        workload,
    )

    try:
        ks = [int(k) for k in args.ks.split(",") if k.strip()]
    except ValueError:
        raise_invalid(f"--ks must be comma-separated integers, got {args.ks!r}")
    if args.prompts is None:
        args.prompts = 200 if args.preset == "benchmark" else 100
    if args.prompts < 2:
        raise_invalid("--prompts must be at least 2 (the Fréchet distance needs two samples)")
    if args.batch is None:
        args.batch = 16 if args.preset == "benchmark" else 1
    if args.batch < 1:
        raise_invalid("--batch must be at least 1")
    if args.bootstrap < 1:
        raise_invalid("--bootstrap must be at least 1")
    if args.preset == "benchmark" and args.steps <= BENCHMARK_SWITCH_STEP:
        raise_invalid(f"--preset benchmark switches at k = {BENCHMARK_SWITCH_STEP}: --steps must exceed it")
    if args.preset is None and any(not 0 <= k <= args.steps for k in ks):
        raise_invalid(f"every switch step in --ks must lie in [0, {args.steps}]")
    import torchmetrics  # noqa: F401  (the [eval] extra, for the Fréchet distance: refuse now, not after the run)

    if args.plot:
        if Path(args.plot).suffix.lower() != ".png":
            raise_invalid(f"--plot must name a .png file, got {args.plot!r}")
        import matplotlib  # noqa: F401  (the [eval] extra: refuse now, not after the run)
    if args.preset == "benchmark":
        return _run_benchmark(args)
    prompts = held_out_prompts(args.prompts, seed=args.seed, taxonomy=resolve_taxonomy(None, WORLD_LARGE))
    settings = default_settings(ks, args.steps, lambda k: accel_variants(args.accel, k))
    print(workload(settings, prompts), file=sys.stderr, flush=True)
    rows = evaluate(settings, prompts, steps=args.steps, guidance=args.guidance, quiet=args.quiet, batch=args.batch)
    floor = fcd_floor(prompts)
    print(format_table(rows, floor=floor))
    print(f"FCD floor {floor:.2f}: two independent reference renders of the same {len(prompts)} prompts")
    if args.json:
        record = {"rows": [r.to_json() for r in rows], "fcd_floor": floor}
        Path(args.json).write_text(json.dumps(record, indent=2) + "\n")
    if args.plot:
        from obclip.eval.plots import plot_quality

        print(f"plot written to {plot_quality(rows, args.plot, floor=floor, steps=args.steps)}")
    return 0


def _run_benchmark(args: argparse.Namespace) -> int:
    """`--preset benchmark`: both caption streams, bootstrap intervals, differences to `recommended`."""
    from obclip.api import resolve_taxonomy
    from obclip.eval.quality import WORLD_LARGE, benchmark_settings, format_streams, run_streams

    settings = benchmark_settings()
    streams = [("tuned", args.seed), ("held-out", args.held_out_seed)]
    streams = [s for s in streams if args.stream in ("both", s[0])]
    print(
        f"{len(streams)} caption streams x {args.prompts} captions x {len(settings)} settings "
        f"({', '.join(s.name for s in settings)})",
        file=sys.stderr,
        flush=True,
    )
    results = run_streams(
        settings,
        streams,
        args.prompts,
        taxonomy=resolve_taxonomy(None, WORLD_LARGE),
        resamples=args.bootstrap,
        steps=args.steps,
        guidance=args.guidance,
        quiet=args.quiet,
        batch=args.batch,
    )
    print(format_streams(results))
    if args.json:
        Path(args.json).write_text(json.dumps({"streams": [r.to_json() for r in results]}, indent=2) + "\n")
    return 0
