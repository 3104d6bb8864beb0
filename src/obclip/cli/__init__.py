"""The `obclip` command: candidates, generate, demo, models, serve, eval; one module per subcommand.

User errors become one line on stderr and exit status 2 here, in `main`, and nowhere else.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from obclip.cli._common import EXIT_USAGE
from obclip.errors import ObclipError


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
    for name in COMMANDS:
        importlib.import_module(f"obclip.cli.{name}").register(sub)
    return parser


# Each subcommand lives in its own module with a `register(subparsers)` function; the order here is
# the order of `obclip --help`.
COMMANDS: tuple[str, ...] = ("candidates", "generate", "models", "serve", "evaluate")


if __name__ == "__main__":
    sys.exit(main())
