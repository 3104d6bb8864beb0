"""`obclip ui`: the local device app in a browser (extra `[ui]`), on 127.0.0.1 by default; another
address only with a token, since the app shows prompts and which candidate was the user's."""

from __future__ import annotations

import argparse

from obclip.cli._common import raise_invalid


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("ui", help="the device side as a local web app: see what the cloud sees, generate, history")
    p.add_argument(
        "--host",
        default="127.0.0.1",
        help="address to listen on (default 127.0.0.1, this machine only); any other, e.g. 0.0.0.0 for a phone, "
        "needs --new-token or --token-file",
    )
    p.add_argument(
        "--port", type=int, default=7870, help="port (default 7870, beside A1111's 7860; 0 picks a free one)"
    )
    p.add_argument("--history", metavar="DIR", default="out/ui", help="where kept images and their settings go")
    p.add_argument(
        "--incognito",
        action="store_true",
        help="keep nothing on disk, whatever the page asks (images live in memory until the app stops)",
    )
    token = p.add_mutually_exclusive_group()
    token.add_argument(
        "--new-token", action="store_true", help="require a fresh random token; the address to open is printed"
    )
    token.add_argument("--token-file", metavar="FILE", help="require the (first) token in FILE")
    p.add_argument("--open", action="store_true", help="open the page in the default browser")
    p.add_argument("--quiet", action="store_true", help="no progress bars or request log in the terminal")
    p.set_defaults(run=_run_ui)


def _run_ui(args: argparse.Namespace) -> int:
    if not 0 <= args.port <= 65535:
        raise_invalid(f"--port must lie in [0, 65535], got {args.port}")
    token = None
    if args.new_token:
        import secrets

        token = secrets.token_urlsafe(24)
    elif args.token_file:
        from obclip.service.tokens import read_token

        token = read_token(args.token_file)
    from obclip.app.server import serve

    return serve(
        host=args.host,
        port=args.port,
        history=args.history,
        open_browser=args.open,
        quiet=args.quiet,
        token=token,
        incognito=args.incognito,
    )
