"""`obclip serve`: the cloud half as an HTTP service."""

from __future__ import annotations

import argparse

from obclip.cli._common import raise_invalid

#: (flag, Limits field, type, metavar, help) for every limit the command exposes.
_LIMIT_FLAGS = (
    ("--max-candidates", "max_candidates", int, "N", "candidates per request"),
    ("--max-steps", "max_steps", int, "T", "schedule length"),
    ("--max-size", "max_size", int, "PX", "image side in pixels"),
    ("--max-prompt-chars", "max_prompt_chars", int, "C", "characters per candidate"),
    ("--max-guidance", "max_guidance", float, "G", "guidance scale"),
    ("--max-body-bytes", "max_body_bytes", int, "B", "request body"),
    ("--max-request-tmacs", "max_request_tmacs", float, "TMAC", "cost of one request (10^12 MACs)"),
    ("--max-queued-tmacs", "max_queued_tmacs", float, "TMAC", "cost waiting or running before a 503"),
    ("--queue-size", "queue_size", int, "N", "jobs waiting behind the running one"),
    ("--job-deadline", "job_deadline_s", float, "S", "seconds a job may run (its wait in the queue aside)"),
    ("--throughput-gmacs", "throughput_gmacs", float, "G", "model speed for estimates; 0 measures it"),
    ("--header-timeout", "header_timeout_s", float, "S", "seconds to send a request head"),
    ("--body-timeout", "body_timeout_s", float, "S", "seconds to send a request body"),
    ("--keep-alive", "keep_alive_s", float, "S", "seconds an idle connection stays open"),
    ("--max-connections", "max_connections", int, "N", "requests at once (beyond: 503; /healthz always answers)"),
    ("--max-idle-per-address", "max_idle_per_address", int, "N", "connections one address holds without a request"),
    ("--token-max-jobs", "token_max_jobs", int, "N", "one token's jobs waiting or running (beyond: 429)"),
    ("--token-max-queued-tmacs", "token_max_queued_tmacs", float, "TMAC", "one token's queued cost (beyond: 429)"),
    ("--token-requests-per-minute", "token_requests_per_minute", int, "N", "one token's requests a minute; 0: any"),
    ("--retry-after", "retry_after_s", int, "S", "smallest Retry-After of a 503"),
)


def register(sub: argparse._SubParsersAction) -> None:
    from obclip.defaults import DEFAULT_LARGE
    from obclip.service.limits import Limits

    d = Limits()
    p = sub.add_parser("serve", help="run the cloud half as an HTTP service (POST /v1/denoise)")
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1, loopback only)")
    p.add_argument("--port", type=int, default=8000, help="port (default 8000; 0 picks a free one)")
    p.add_argument("--large", default=DEFAULT_LARGE, metavar="MODEL", help="cloud model to serve")
    p.add_argument(
        "--token-file",
        metavar="FILE",
        help="bearer tokens, one per line, each optionally with label=, weight=, max_jobs=, max_queued_tmacs=, "
        "requests_per_minute= (its share); # comments; without it, no auth",
    )
    g = p.add_argument_group("limits (see docs/service.md)")
    for flag, name, kind, metavar, text in _LIMIT_FLAGS:
        default = getattr(d, name)
        g.add_argument(flag, dest=name, type=kind, default=default, metavar=metavar, help=f"{text} (default {default})")
    p.add_argument("--threads", type=int, metavar="N", help="torch intra-op threads for the model (default: torch's)")
    p.add_argument("--log-prompts", action="store_true", help="write candidate prompts to the log (off by default)")
    p.add_argument(
        "--log-level", choices=["debug", "info", "warning", "error"], default="info", help="server log (default info)"
    )
    from obclip.defaults import DEFAULT_MAX_BATCH_LATENT_PIXELS as PIXELS
    from obclip.defaults import DEFAULT_MAX_BATCH_ROWS as ROWS

    batch = p.add_argument_group("batching (compatible requests share each UNet call; docs/service.md, Scaling)")
    batch.add_argument(
        "--max-batch-rows", type=int, default=ROWS, metavar="R", help=f"UNet rows per call; 0: no batching ({ROWS})"
    )
    batch.add_argument(
        "--max-batch-latent-pixels", type=int, default=PIXELS, metavar="P", help=f"rows x latent pixels ({PIXELS})"
    )
    ray = p.add_argument_group("Ray Serve (needs the ray extra: pip install 'obclip[ray]')")
    ray.add_argument("--ray", action="store_true", help="serve as a Ray Serve deployment (replicas, autoscaling)")
    ray.add_argument("--ray-replicas", type=int, default=1, metavar="R", help="replicas (minimum when autoscaling)")
    ray.add_argument("--ray-max-replicas", type=int, metavar="R", help="autoscale up to R replicas")
    ray.add_argument("--ray-cpus", type=float, default=1.0, metavar="C", help="CPUs reserved per replica")
    ray.add_argument("--ray-address", metavar="ADDR", help="an existing Ray cluster (default: start a local one)")
    ray.add_argument(
        "--ray-secured",
        action="store_true",
        help="allow a non-loopback --host with --ray: you have secured Ray's ports (docs/service.md, Ray)",
    )
    ray.add_argument("--ray-dashboard", action="store_true", help="run Ray's dashboard (on 127.0.0.1; off by default)")
    p.set_defaults(run=_run_serve)


def _run_serve(args: argparse.Namespace) -> int:
    import sys

    from obclip.service.limits import Limits

    limits = Limits(**{name: getattr(args, name) for _, name, *_ in _LIMIT_FLAGS})
    from obclip.service.server import ServiceConfig, auth_warning, serve
    from obclip.service.tokens import read_token_entries

    if args.threads is not None:
        if args.threads < 1:
            raise_invalid(f"--threads must be at least 1, got {args.threads}")
        import torch

        torch.set_num_threads(args.threads)
    if args.ray and not args.ray_secured:
        from obclip.service.ray_serve import public_ray_refusal
        from obclip.service.server import is_loopback

        if not is_loopback(args.host):
            raise_invalid(public_ray_refusal(args.host))
    tokens = read_token_entries(args.token_file) if args.token_file else ()
    warning = auth_warning(args.host, tokens)
    if warning:
        print(f"obclip: warning: {warning}", file=sys.stderr, flush=True)
    from obclip.engine.batching import BatchPolicy

    batching = BatchPolicy(
        max_rows=max(args.max_batch_rows, 1),
        max_latent_pixels=args.max_batch_latent_pixels,
        enabled=args.max_batch_rows > 0,
    )
    config = ServiceConfig(
        large=args.large, tokens=tokens, limits=limits, log_prompts=args.log_prompts, batching=batching
    )
    if args.ray:
        from obclip.service.ray_serve import RayOptions, serve_ray

        options = RayOptions(
            replicas=args.ray_replicas, max_replicas=args.ray_max_replicas, num_cpus=args.ray_cpus, threads=args.threads
        )
        return serve_ray(
            config,
            options,
            host=args.host,
            port=args.port,
            address=args.ray_address,
            secured=args.ray_secured,
            dashboard=args.ray_dashboard,
            log_level=args.log_level,
        )
    return serve(config, host=args.host, port=args.port, log_level=args.log_level)
