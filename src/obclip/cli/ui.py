"""`obclip ui`: the local device app in a browser (extra `[ui]`), on 127.0.0.1 by default."""

from __future__ import annotations

import argparse

from obclip.cli._common import raise_invalid


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("ui", help="the device side as a local web app: see what the cloud sees, generate, history")
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1, this machine only)")
    p.add_argument(
        "--port", type=int, default=7870, help="port (default 7870, beside A1111's 7860; 0 picks a free one)"
    )
    p.add_argument("--history", metavar="DIR", default="out/ui", help="where images and their settings are kept")
    p.add_argument("--open", action="store_true", help="open the page in the default browser")
    p.add_argument("--quiet", action="store_true", help="no progress bars or request log in the terminal")
    p.set_defaults(run=_run_ui)


def _run_ui(args: argparse.Namespace) -> int:
    if not 0 <= args.port <= 65535:
        raise_invalid(f"--port must lie in [0, 65535], got {args.port}")
    from obclip.app.server import serve

    return serve(host=args.host, port=args.port, history=args.history, open_browser=args.open, quiet=args.quiet)
