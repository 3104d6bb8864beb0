"""The `obclip` command: candidates, generate, demo, models, serve, eval, ui; one module per subcommand.

User errors become one line on stderr and exit status 2 here, in `main`, and nowhere else (under
`--json` the same error is also printed as `{"error": {"code", "message"}}` on stdout). Building
the parser imports nothing heavy: subcommands import torch, diffusers or FastAPI only when run.
"""

from __future__ import annotations

import argparse
import importlib
import importlib.abc
import importlib.machinery
import json
import sys
import types
from collections.abc import Callable, Sequence
from typing import Any

import obclip
from obclip.cli._common import EXIT_USAGE
from obclip.errors import ObclipError


class UsageError(Exception):
    """A command line argparse refused; `main` prints it as one line."""

    code = "usage"


class ObclipArgumentParser(argparse.ArgumentParser):
    """argparse without the usage block: an error is one line, raised for `main` to print."""

    def error(self, message: str):  # type: ignore[override]
        command = self.prog.removeprefix("obclip").strip()
        where = f"{command}: " if command else ""
        raise UsageError(f"{where}{message} (see `{self.prog} --help`)")


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    as_json = "--json" in argv
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except UsageError as exc:
        return _fail(exc.code, str(exc), as_json)
    as_json = getattr(args, "json", None) is True
    if getattr(args, "quiet", False):
        _quiet_libraries()
    try:
        return int(args.run(args) or 0)
    except ObclipError as exc:
        return _fail(exc.code, str(exc), as_json)
    except ModuleNotFoundError as exc:
        extra = "ui" if args.command == "ui" else _EXTRAS.get((exc.name or "").split(".")[0])
        if extra is None:
            raise
        message = f"`obclip {args.command}` needs {exc.name}, from the [{extra}] extra: pip install 'obclip[{extra}]'"
        return _fail("missing_extra", message, as_json)
    except KeyboardInterrupt:
        print("obclip: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0


# Packages of the optional extras, and the extra that brings each.
_EXTRAS = {
    "fastapi": "serve",
    "uvicorn": "serve",
    "prometheus_client": "serve",
    "starlette": "serve",
    "torchmetrics": "eval",
    "matplotlib": "eval",
    "ray": "ray",
}


def _fail(code: str, message: str, as_json: bool) -> int:
    message = " ".join(message.split())
    if as_json:
        print(json.dumps({"error": {"code": code, "message": message}}, ensure_ascii=False), flush=True)
    print(f"obclip: error: {message}", file=sys.stderr)
    return EXIT_USAGE


def _quiet_libraries() -> None:
    """No progress bars or info chatter from the model libraries under --quiet, without importing them.

    Importing diffusers costs seconds, and a command that never loads a model must not pay it: the
    libraries read their verbosity and Hugging Face Hub's progress-bar switch from the environment
    when they are first imported, and diffusers' own loading bars are turned off by a one-shot
    import hook the moment `diffusers.utils.logging` is imported (at once if it already is).
    """
    import os

    os.environ["DIFFUSERS_VERBOSITY"] = "error"
    os.environ["TRANSFORMERS_VERBOSITY"] = "error"
    os.environ["HF_HUB_DISABLE_PROGRESS_BARS"] = "1"
    for name in ("diffusers.utils.logging", "transformers.utils.logging"):
        module = sys.modules.get(name)
        if module is not None:
            _silence(module)
        else:
            sys.meta_path.insert(0, _AfterImport(name, _silence))


def _silence(logging_module: types.ModuleType) -> None:
    """Turn one library's `utils.logging` module quiet (the diffusers and transformers APIs are the same)."""
    logging_module.disable_progress_bar()
    logging_module.set_verbosity_error()


class _AfterImport(importlib.abc.MetaPathFinder):
    """Runs `hook(module)` right after the module `name` is first executed, then leaves `sys.meta_path`."""

    def __init__(self, name: str, hook: Callable[[types.ModuleType], None]) -> None:
        self.name = name
        self.hook = hook

    def find_spec(self, fullname: str, path: Sequence[str] | None, target: types.ModuleType | None = None) -> Any:
        if fullname != self.name:
            return None
        sys.meta_path.remove(self)  # one shot, and the real finders below answer the look-up
        spec = importlib.machinery.PathFinder.find_spec(fullname, path, target)
        if spec is None or spec.loader is None:
            return spec
        spec.loader = _HookedLoader(spec.loader, self.hook)
        return spec


class _HookedLoader(importlib.abc.Loader):
    """A module's own loader, with `hook(module)` run after the module executes."""

    def __init__(self, loader: Any, hook: Callable[[types.ModuleType], None]) -> None:
        self._loader = loader
        self._hook = hook

    def __getattr__(self, name: str) -> Any:  # get_source, is_package, get_resource_reader, ...
        return getattr(self._loader, name)

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> types.ModuleType | None:
        return self._loader.create_module(spec)

    def exec_module(self, module: types.ModuleType) -> None:
        self._loader.exec_module(module)
        self._hook(module)


def build_parser() -> argparse.ArgumentParser:
    parser = ObclipArgumentParser(
        prog="obclip",
        description="Private text-to-image: the cloud denoises N candidate prompts and never learns which is yours.",
    )
    parser.add_argument("--version", action="version", version=f"obclip {obclip.__version__}")
    sub = parser.add_subparsers(
        dest="command", required=True, metavar="COMMAND", help="`obclip COMMAND --help` lists its options"
    )
    for name in COMMANDS:
        importlib.import_module(f"obclip.cli.{name}").register(sub)
    return parser


# Each subcommand lives in its own module with a `register(subparsers)` function; the order here is
# the order of `obclip --help`. Registering must stay cheap: no torch, diffusers or FastAPI.
COMMANDS: tuple[str, ...] = ("candidates", "generate", "models", "ui", "serve", "evaluate")


if __name__ == "__main__":
    sys.exit(main())
