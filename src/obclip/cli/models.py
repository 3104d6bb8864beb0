"""`obclip models`: the embedded models."""

from __future__ import annotations

import argparse


def register(sub: argparse._SubParsersAction) -> None:
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
