"""Fixtures of the command-line tests."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable, Sequence

import pytest

# Runs `obclip` in a fresh interpreter; exit status 90 if a model library was imported.
_LIGHT_MAIN = (
    "import sys; from obclip.cli import main; status = main(sys.argv[1:]); "
    "heavy = sorted(m for m in sys.modules if m.split('.')[0] in {'torch', 'diffusers', 'transformers'}); "
    "sys.exit(90 if heavy else status)"
)


@pytest.fixture
def run_without_models() -> Callable[[Sequence[str]], subprocess.CompletedProcess[str]]:
    """`obclip ARGV` in a fresh interpreter, its exit status 90 if torch, diffusers or
    transformers was imported (a refusal must come before any model library loads)."""

    def run(argv: Sequence[str]) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-c", _LIGHT_MAIN, *argv], capture_output=True, text=True, timeout=120)

    return run
