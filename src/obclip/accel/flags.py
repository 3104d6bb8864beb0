"""Command-line flags for every setting of every registered technique, generated from the config
dataclasses' field metadata (`_common.setting`); used by `obclip generate` and `bench/cost.py`.

A field's flag is its `flag` metadata or `--{technique}-{field}`. On the command line a technique is
on when any of its flags is given; its other settings then take their `cli_default` (the variant
docs/accelerations.md measures as most faithful) or, without one, the dataclass default.
"""

from __future__ import annotations

import argparse
import dataclasses
import types
import typing
from collections.abc import Callable, Collection
from typing import Any

from obclip.accel._common import Technique
from obclip.accel.config import AccelConfig
from obclip.accel.registry import techniques

_DEST_PREFIX = "accel__"


def flag_of(technique: Technique[Any, Any, Any], field: dataclasses.Field[Any]) -> str:
    return field.metadata.get("flag") or f"--{technique.name}-{field.name}".replace("_", "-")


def _dest(technique: Technique[Any, Any, Any], field: dataclasses.Field[Any]) -> str:
    return f"{_DEST_PREFIX}{technique.name}__{field.name}"


def _scalar(technique: Technique[Any, Any, Any], field: dataclasses.Field[Any]) -> type:
    hint = typing.get_type_hints(technique.config_class)[field.name]
    if isinstance(hint, types.UnionType) or typing.get_origin(hint) is typing.Union:
        hint = next(arg for arg in typing.get_args(hint) if arg is not type(None))
    return hint


def _parser(kind: type, none_word: str | None, flag: str) -> Callable[[str], Any]:
    def parse(text: str) -> Any:
        if none_word is not None and text == none_word:
            return None
        try:
            return kind(text)
        except ValueError:
            expected = {int: "an integer", float: "a number"}.get(kind, kind.__name__)
            raise argparse.ArgumentTypeError(
                f"{flag} takes {expected}" + (f" or {none_word!r}" if none_word else "") + f", got {text!r}"
            ) from None

    return parse


def cli_default(field: dataclasses.Field[Any]) -> Any:
    return field.metadata.get("cli_default", field.default)


def add_accel_arguments(
    parser: argparse.ArgumentParser | argparse._ArgumentGroup,
    *,
    defaults: str = "cli",
    exclude: Collection[str] = (),
) -> None:
    """Add one flag per setting of every registered technique (fields named in `exclude` are left out).

    `defaults="cli"` says the command-line defaults in the help, `"config"` the dataclass defaults.
    Unset flags stay absent from the namespace; read them with `given_settings` / `config_from_args`.
    """
    for t in techniques():
        for field in dataclasses.fields(t.config_class):
            if field.name in exclude:
                continue
            meta = field.metadata
            flag = flag_of(t, field)
            default = cli_default(field) if defaults == "cli" else field.default
            none_word = meta.get("none_word")
            help_text = f"{t.label}: {meta.get('help', field.name)}"
            if default is not None or none_word:  # a None without a word is explained by the help itself
                help_text += f" (default {none_word if default is None else default})"
            kwargs: dict[str, Any] = {"dest": _dest(t, field), "default": argparse.SUPPRESS, "help": help_text}
            if meta.get("choices"):
                kwargs["choices"] = meta["choices"]
            else:
                kwargs["type"] = _parser(_scalar(t, field), none_word, flag)
            if "const" in meta:
                kwargs["nargs"] = "?"
                kwargs["const"] = meta["const"]
            if meta.get("metavar"):
                kwargs["metavar"] = meta["metavar"]
            parser.add_argument(flag, **kwargs)


def given_settings(args: argparse.Namespace) -> dict[str, dict[str, Any]]:
    """The settings given on the command line, by technique name (techniques with none are absent)."""
    given: dict[str, dict[str, Any]] = {}
    for t in techniques():
        for field in dataclasses.fields(t.config_class):
            dest = _dest(t, field)
            if hasattr(args, dest):
                given.setdefault(t.name, {})[field.name] = getattr(args, dest)
    return given


def section_from(
    technique: Technique[Any, Any, Any], given: dict[str, Any], *, defaults: str = "cli", **overrides: Any
) -> Any:
    """`technique`'s config from the given settings, the defaults for the rest, then `overrides`."""
    values = {}
    for field in dataclasses.fields(technique.config_class):
        if field.name in overrides:
            values[field.name] = overrides[field.name]
        elif field.name in given:
            values[field.name] = given[field.name]
        else:
            values[field.name] = cli_default(field) if defaults == "cli" else field.default
    return technique.config_class(**values)


def config_from_args(args: argparse.Namespace) -> AccelConfig:
    """The `AccelConfig` the flags ask for: every technique with a given flag is on (not validated)."""
    given = given_settings(args)
    return AccelConfig(**{t.name: section_from(t, given[t.name]) for t in techniques() if t.name in given})
