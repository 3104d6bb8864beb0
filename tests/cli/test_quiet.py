"""`--quiet` silences the model libraries without importing them: a command that loads no model
must not pay seconds of diffusers import for it, and one that does still gets no bars or chatter."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

HEAVY = ("torch", "diffusers", "transformers")


def _python(code: str) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.endswith("_VERBOSITY")}
    env.pop("HF_HUB_DISABLE_PROGRESS_BARS", None)
    env["PYTHONPATH"] = os.pathsep.join([str(Path(__file__).parents[2] / "src"), env.get("PYTHONPATH", "")])
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_a_quiet_command_that_loads_no_model_imports_no_model_library(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus.tsv"
    corpus.write_text("prompt\tsensitive\tperson\tkind\na bearded man reading\tgender:man\tyes\tsd\n", encoding="utf-8")
    got = _python(
        "import json, sys\n"
        "from obclip.cli import main\n"
        f"code = main(['eval', 'privacy', {str(corpus)!r}, '--quiet', '--no-stress', '--no-hostile', '--seed', '1'])\n"
        f"print(json.dumps({{'code': code, 'heavy': [m for m in {HEAVY!r} if m in sys.modules]}}))\n"
    )
    assert got == {"code": 0, "heavy": []}


def test_quiet_silences_the_libraries_when_they_are_imported_and_at_once_if_they_are() -> None:
    """One fresh interpreter (importing diffusers costs seconds): quiet first, the libraries imported
    after it are silent; loud again, quiet once more, they are silent at once."""
    got = _python(
        "import json, sys\n"
        "from obclip.cli import _quiet_libraries\n"
        "_quiet_libraries()\n"
        f"before = [m for m in {HEAVY!r} if m in sys.modules]\n"
        "from diffusers.utils import logging as d\n"
        "from transformers.utils import logging as t\n"
        "def state():\n"
        "    return [d._tqdm_active, d.get_verbosity(), t.is_progress_bar_enabled(), t.get_verbosity()]\n"
        "imported = state()\n"
        "d.enable_progress_bar(); d.set_verbosity_warning(); t.enable_progress_bar(); t.set_verbosity_warning()\n"
        "loud = state()\n"
        "_quiet_libraries()\n"
        "print(json.dumps({'before': before, 'imported': imported, 'loud': loud, 'again': state()}))\n"
    )
    assert got == {
        "before": [],
        "imported": [False, 40, False, 40],
        "loud": [True, 30, True, 30],
        "again": [False, 40, False, 40],
    }
