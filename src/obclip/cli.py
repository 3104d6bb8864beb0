"""The `obclip` command: candidates, generate, demo, models, serve, eval.

User errors become one line on stderr and exit status 2 here, in `main`, and nowhere else.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from obclip.errors import ObclipError

DEMO_PROMPT = "portrait of an old man with dark skin wearing glasses, blue background"
EXIT_USAGE = 2


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if getattr(args, "quiet", False):
        _quiet_libraries()
    try:
        return int(args.run(args) or 0)
    except ObclipError as exc:
        print(f"obclip: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("obclip: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0


def _quiet_libraries() -> None:
    """No progress bars or info chatter from the model libraries under --quiet."""
    import diffusers
    import transformers

    diffusers.utils.logging.disable_progress_bar()
    diffusers.utils.logging.set_verbosity_error()
    transformers.utils.logging.disable_progress_bar()
    transformers.utils.logging.set_verbosity_error()


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="obclip",
        description="Private text-to-image: the cloud denoises N candidate prompts and never learns which is yours.",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for register in COMMANDS:
        register(sub)
    return parser


# --- candidates ---------------------------------------------------------------------------------


def _register_candidates(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("candidates", help="show exactly what the cloud would see for a prompt")
    p.add_argument("prompt", help="the prompt, or - to read one prompt per line from stdin (JSON Lines out)")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.add_argument("--max-candidates", type=int, metavar="M", help="budget on the number of candidates")
    p.add_argument("--taxonomy", metavar="FILE", help="taxonomy file replacing the default")
    p.add_argument("--seed", type=int, help="shuffle seed (default: a CSPRNG)")
    p.set_defaults(run=_run_candidates)


def _run_candidates(args: argparse.Namespace) -> int:
    from obclip.privacy import build_candidate_set, load_taxonomy

    taxonomy = load_taxonomy(args.taxonomy) if args.taxonomy else None

    def expand(prompt: str):
        return build_candidate_set(prompt, taxonomy=taxonomy, max_candidates=args.max_candidates, seed=args.seed)

    if args.prompt != "-":
        cset = expand(args.prompt)
        if args.json:
            print(json.dumps({**cset.public_dict(), "notice": cset.notice}, ensure_ascii=False))
        else:
            _print_candidate_set(cset)
        return 0
    failed = 0
    for number, line in enumerate(sys.stdin, start=1):
        prompt = line.rstrip("\r\n")
        try:
            cset = expand(prompt)
            record = {**cset.public_dict(), "notice": cset.notice}
        except ObclipError as exc:
            failed += 1
            record = {"line": number, "error": {"code": exc.code, "message": str(exc)}}
        print(json.dumps(record, ensure_ascii=False), flush=False)
    sys.stdout.flush()
    if failed:
        print(f"obclip: error: {failed} prompt(s) could not be expanded (see their error lines)", file=sys.stderr)
        return EXIT_USAGE
    return 0


def _print_candidate_set(cset) -> None:
    public = cset.public_dict()
    print(f"template:   {public['template']}")
    names = [a["name"] if isinstance(a, dict) else str(a) for a in public["attributes"]]
    print(f"attributes: {', '.join(names) if names else '(none)'}")
    print(f"candidates: N = {public['n']}")
    for prompt in public["candidates"]:
        print(f"  {prompt}")
    if cset.notice:
        print(f"notice:     {cset.notice}")


# --- generate and demo --------------------------------------------------------------------------


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


def _register_generate(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("generate", help="generate an image privately (cloud steps [0,k), device steps [k,T))")
    p.add_argument("prompt")
    p.add_argument("--out", default="obclip.png", metavar="FILE.png", help="where to write the image")
    _add_generation_options(p)
    p.set_defaults(run=_run_generate)


def _register_demo(sub: argparse._SubParsersAction) -> None:
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


def raise_invalid(message: str):
    from obclip.errors import InvalidInputError

    raise InvalidInputError(message)


# --- models -------------------------------------------------------------------------------------


def _register_models(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("models", help="list the embedded models")
    p.set_defaults(run=_run_models)


def _run_models(args: argparse.Namespace) -> int:
    from obclip.engine.embedded import PREFIX, REGISTRY, default_name

    for name, entry in REGISTRY.items():
        if entry.available:
            mark = " (default)" if name == default_name() else ""
            partner = f" -> device: {PREFIX}{entry.small}" if entry.small else ""
            print(f"{PREFIX}{name}{mark}: {entry.description}{partner}")
    return 0


# --- serve --------------------------------------------------------------------------------------


def _register_serve(sub: argparse._SubParsersAction) -> None:
    from obclip.service.limits import Limits

    d = Limits()
    p = sub.add_parser("serve", help="run the cloud half as an HTTP service (POST /v1/denoise)")
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1, loopback only)")
    p.add_argument("--port", type=int, default=8000, help="port (default 8000; 0 picks a free one)")
    p.add_argument("--large", default="embedded:default", metavar="MODEL", help="cloud model to serve")
    p.add_argument("--token-file", metavar="FILE", help="bearer tokens, one per line; without it, no auth")
    p.add_argument("--max-candidates", type=int, default=d.max_candidates, metavar="N", help="candidates per request")
    p.add_argument("--max-steps", type=int, default=d.max_steps, metavar="T", help="schedule length")
    p.add_argument("--max-size", type=int, default=d.max_size, metavar="PX", help="image side in pixels")
    p.add_argument("--max-prompt-chars", type=int, default=d.max_prompt_chars, metavar="C", help="per candidate")
    p.add_argument("--max-guidance", type=float, default=d.max_guidance, help="guidance scale")
    p.add_argument("--max-body-bytes", type=int, default=d.max_body_bytes, metavar="B", help="request body")
    p.add_argument("--queue-size", type=int, default=d.queue_size, help="jobs waiting behind the running one")
    p.add_argument("--retry-after", type=int, default=d.retry_after_s, metavar="S", help="Retry-After of a 503")
    p.add_argument("--threads", type=int, metavar="N", help="torch intra-op threads for the model (default: torch's)")
    p.add_argument("--log-prompts", action="store_true", help="write candidate prompts to the log (off by default)")
    p.add_argument("--log-level", choices=["debug", "info", "warning", "error"], default="info")
    p.set_defaults(run=_run_serve)


def _run_serve(args: argparse.Namespace) -> int:
    from obclip.service.limits import Limits

    limits = Limits(
        max_candidates=args.max_candidates,
        max_steps=args.max_steps,
        max_size=args.max_size,
        max_prompt_chars=args.max_prompt_chars,
        max_guidance=args.max_guidance,
        max_body_bytes=args.max_body_bytes,
        queue_size=args.queue_size,
        retry_after_s=args.retry_after,
    )
    from obclip.service.server import ServiceConfig, read_tokens, serve

    if args.threads is not None:
        if args.threads < 1:
            raise_invalid(f"--threads must be at least 1, got {args.threads}")
        import torch

        torch.set_num_threads(args.threads)
    tokens = read_tokens(args.token_file) if args.token_file else ()
    config = ServiceConfig(large=args.large, tokens=tokens, limits=limits, log_prompts=args.log_prompts)
    return serve(config, host=args.host, port=args.port, log_level=args.log_level)


# --- eval -----------------------------------------------------------------------------------------


def _register_eval(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("eval", help="measure image quality of each split on the embedded portrait world")
    what = p.add_subparsers(dest="what", required=True, metavar="WHAT")
    q = what.add_parser("quality", help="attribute accuracy and Fréchet classifier distance per setting")
    q.add_argument("--prompts", type=int, default=100, help="held-out world captions (default 100)")
    q.add_argument("--steps", type=int, default=25, metavar="T")
    q.add_argument("--ks", default="0,3,5,10,25", help="switch steps, comma-separated (default 0,3,5,10,25)")
    q.add_argument("--guidance", type=float, default=7.5)
    q.add_argument("--seed", type=int, default=10_000, help="seed of the held-out prompt stream")
    q.add_argument(
        "--accel",
        choices=("none", "each", "paper", "recommended"),
        default="each",
        help="ObCLIP rows without acceleration only; plus each acceleration alone and both presets; or one preset",
    )
    q.add_argument("--json", metavar="FILE", help="also write the rows as JSON")
    q.add_argument("--quiet", action="store_true")
    q.set_defaults(run=_run_eval_quality)


def _run_eval_quality(args: argparse.Namespace) -> int:
    from dataclasses import asdict

    from obclip.api import resolve_taxonomy
    from obclip.eval.quality import (
        WORLD_LARGE,
        accel_variants,
        default_settings,
        evaluate,
        format_table,
        held_out_prompts,
    )

    try:
        ks = [int(k) for k in args.ks.split(",") if k.strip()]
    except ValueError:
        raise_invalid(f"--ks must be comma-separated integers, got {args.ks!r}")
    if args.prompts < 2:
        raise_invalid("--prompts must be at least 2 (the Fréchet distance needs two samples)")
    if any(not 0 <= k <= args.steps for k in ks):
        raise_invalid(f"every switch step in --ks must lie in [0, {args.steps}]")
    prompts = held_out_prompts(args.prompts, seed=args.seed, taxonomy=resolve_taxonomy(None, WORLD_LARGE))
    settings = default_settings(ks, args.steps, lambda k: accel_variants(args.accel, k))
    rows = evaluate(settings, prompts, steps=args.steps, guidance=args.guidance, quiet=args.quiet)
    print(format_table(rows))
    if args.json:
        Path(args.json).write_text(json.dumps({"rows": [asdict(r) for r in rows]}, indent=2) + "\n")
    return 0


COMMANDS: list[Callable[[argparse._SubParsersAction], None]] = [
    _register_candidates,
    _register_generate,
    _register_demo,
    _register_models,
    _register_serve,
    _register_eval,
]


if __name__ == "__main__":
    sys.exit(main())
