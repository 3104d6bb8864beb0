"""`obclip serve`: the cloud half as an HTTP service."""

from __future__ import annotations

import argparse

from obclip.cli._common import raise_invalid


def register(sub: argparse._SubParsersAction) -> None:
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
    ray = p.add_argument_group("Ray Serve (needs the ray extra: pip install 'obclip[ray]')")
    ray.add_argument("--ray", action="store_true", help="serve as a Ray Serve deployment (replicas, autoscaling)")
    ray.add_argument("--ray-replicas", type=int, default=1, metavar="R", help="replicas (minimum when autoscaling)")
    ray.add_argument("--ray-max-replicas", type=int, metavar="R", help="autoscale up to R replicas")
    ray.add_argument("--ray-cpus", type=float, default=1.0, metavar="C", help="CPUs reserved per replica")
    ray.add_argument("--ray-address", metavar="ADDR", help="an existing Ray cluster (default: start a local one)")
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
    if args.ray:
        from obclip.service.ray_serve import RayOptions, serve_ray

        options = RayOptions(
            replicas=args.ray_replicas, max_replicas=args.ray_max_replicas, num_cpus=args.ray_cpus, threads=args.threads
        )
        return serve_ray(config, options, host=args.host, port=args.port, address=args.ray_address)
    return serve(config, host=args.host, port=args.port, log_level=args.log_level)
