"""The command line as a user meets it: cheap start-up, one-line and JSON errors, seeds, output paths,
PNG metadata, and fast refusals (bad --out, unreachable hub, off-size images) before any model work."""

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image

import obclip
from obclip.cli import build_parser, main
from obclip.cli._common import SCHEDULER_NAMES, seed_list

TINY = ["--large", "embedded:tiny-random", "--steps", "2", "--switch-step", "1", "--quiet"]
HEAVY = ("torch", "diffusers", "transformers", "fastapi", "uvicorn", "httpx", "PIL", "numpy", "huggingface_hub")


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def _fresh_python(code: str, **env) -> subprocess.CompletedProcess:
    environ = {k: v for k, v in os.environ.items() if k not in env or env[k] is not None}
    environ.update({k: v for k, v in env.items() if v is not None})
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, env=environ)


def test_building_the_parser_imports_no_heavy_library():
    proc = _fresh_python(
        "import sys; from obclip.cli import build_parser; build_parser(); "
        f"print(sorted(m for m in sys.modules if m.split('.')[0] in {HEAVY!r}))"
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "[]"


def test_candidates_runs_without_torch():
    proc = _fresh_python(
        "import sys; from obclip.cli import main; code = main(['candidates', 'an old woman', '--seed', '1']); "
        "print(code, 'torch' in sys.modules)"
    )
    assert proc.stdout.splitlines()[-1] == "0 False", proc.stderr


def test_scheduler_names_match_the_engine():
    from obclip.engine.schedulers import DEFAULT_SCHEDULER, SCHEDULERS

    assert set(SCHEDULER_NAMES) == set(SCHEDULERS)
    assert build_parser().parse_args(["generate", "x"]).scheduler == DEFAULT_SCHEDULER


def test_version(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["--version"])
    assert exc.value.code == 0 and capsys.readouterr().out.strip() == f"obclip {obclip.__version__}"


@pytest.mark.parametrize(
    "command", [["candidates"], ["generate"], ["demo"], ["models"], ["ui"], ["serve"], ["eval", "quality"]]
)
def test_every_option_has_help_text(command):
    parser = build_parser()
    for name in command:
        parser = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction)).choices[name]
    for action in parser._actions:
        assert action.help, f"obclip {' '.join(command)} {action.option_strings or action.dest} has no help"


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["generate", "x", "--scheduler", "plms"], "invalid choice"),
        (["generate"], "required"),
        (["nope"], "invalid choice"),
        (["generate", "x", "--steps", "many"], "invalid int"),
        (["generate", "x", "--seed", "9-3"], "backwards"),
        (["candidates", "x", "--bogus"], "unrecognized"),
    ],
)
def test_argparse_errors_are_one_line_and_exit_2(capsys, argv, message):
    code, out, err = run(capsys, *argv)
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and err.startswith("obclip: error:") and message in err
    assert "usage:" not in err


@pytest.mark.parametrize(
    ("argv", "code_name"),
    [
        (["candidates", "   ", "--json"], "invalid_input"),
        (["generate", "x", "--scheduler", "plms", "--json"], "usage"),
        (["generate", "x", "--out", "x.txt", "--json"], "invalid_input"),
    ],
)
def test_errors_are_json_under_json(capsys, argv, code_name):
    code, out, err = run(capsys, *argv)
    record = json.loads(out)
    assert code == 2 and record["error"]["code"] == code_name and record["error"]["message"]
    assert err.startswith("obclip: error:")


@pytest.mark.parametrize(
    ("text", "seeds"),
    [("7", [7]), ("0-3", [0, 1, 2, 3]), ("1,5,9-10", [1, 5, 9, 10]), (" 4 , 2 ", [4, 2])],
)
def test_seed_lists(text, seeds):
    assert seed_list(text) == seeds


def _no_generation(monkeypatch):
    """Make any model work fail the test: the refusals below must come before it."""
    import obclip.api

    def forbidden(*args, **kwargs):
        raise AssertionError("generation started before the command line was checked")

    monkeypatch.setattr(obclip.api, "generate", forbidden)


def test_existing_output_is_refused_before_any_work(tmp_path, capsys, monkeypatch):
    _no_generation(monkeypatch)
    out = tmp_path / "me.png"
    out.write_bytes(b"precious")
    code, _, err = run(capsys, "generate", "a man", "--out", str(out), *TINY)
    assert code == 2 and "--overwrite" in err and out.read_bytes() == b"precious"


def test_output_under_a_file_is_refused_before_any_work(tmp_path, capsys, monkeypatch):
    _no_generation(monkeypatch)
    (tmp_path / "afile").write_text("x")
    code, _, err = run(capsys, "generate", "a man", "--out", str(tmp_path / "afile" / "me.png"), *TINY)
    assert code == 2 and "not a directory" in err


def test_an_uncreatable_directory_is_refused_before_any_work(capsys, monkeypatch):
    _no_generation(monkeypatch)
    code, _, err = run(capsys, "generate", "a man", "--out", "/proc/no-such-dir/me.png", *TINY)
    assert code == 2 and "cannot write" in err and err.count("\n") == 1


def test_seed_count_disagreeing_with_num_images_is_refused(capsys, monkeypatch):
    _no_generation(monkeypatch)
    code, _, err = run(capsys, "generate", "a man", "--seed", "1,2", "--num-images", "3", *TINY)
    assert code == 2 and "--num-images" in err


def test_generate_and_demo_share_the_default_output(tmp_path, capsys, monkeypatch):
    parser = build_parser()
    assert parser.parse_args(["generate", "x"]).out is None and parser.parse_args(["demo"]).out is None
    monkeypatch.chdir(tmp_path)
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "obclip-0001.png").write_bytes(b"older")
    code, out, _ = run(capsys, "generate", "a man", "--json", *TINY)
    assert code == 0 and json.loads(out)["image"] == str(Path("out/obclip-0002.png"))
    assert (tmp_path / "out" / "obclip-0001.png").read_bytes() == b"older"


def test_several_seeds_in_one_process_with_settings_in_the_png(tmp_path, capsys):
    out = tmp_path / "img-{seed}.png"
    code, stdout, _ = run(
        capsys, "generate", "an old woman", "--seed", "5", "--num-images", "3", "--out", str(out), "--json", *TINY
    )
    assert code == 0
    reports = [json.loads(line) for line in stdout.splitlines()]
    assert [r["seed"] for r in reports] == [5, 6, 7]
    assert [r["image"] for r in reports] == [str(tmp_path / f"img-{s}.png") for s in (5, 6, 7)]
    pixels = []
    for report in reports:
        image = Image.open(report["image"])
        settings = json.loads(image.text["obclip"])
        assert settings["seed"] == report["seed"] and settings["num_candidates"] == 6
        assert (settings["steps"], settings["switch_step"], settings["large"]) == (2, 1, "embedded:tiny-random")
        assert {"scheduler", "small", "accelerations", "guidance"} <= settings.keys()
        assert "prompt" not in image.text and "old woman" not in json.dumps(image.text)
        pixels.append(image.tobytes())
    assert len(set(pixels)) == 3


def test_prompt_metadata_only_when_asked(tmp_path, capsys):
    out = tmp_path / "me.png"
    code, _, _ = run(
        capsys, "generate", "an old woman", "--seed", "1", "--metadata", "prompt", "--out", str(out), *TINY
    )
    assert code == 0 and Image.open(out).text["prompt"] == "an old woman"
    code, _, _ = run(
        capsys, "generate", "an old woman", "--seed", "1", "--metadata", "none", "--out", str(out), "--overwrite", *TINY
    )
    assert code == 0 and not Image.open(out).text


def test_off_size_images_need_allow_size(tmp_path, capsys):
    from obclip.engine import load_model

    native = load_model("embedded:tiny-random").default_size
    out = tmp_path / "me.png"
    code, _, err = run(capsys, "generate", "a man", "--height", str(2 * native), "--out", str(out), *TINY)
    assert code == 2 and "--allow-size" in err and not out.exists()
    code, _, _ = run(capsys, "generate", "a man", "--height", str(2 * native), "--allow-size", "--out", str(out), *TINY)
    assert code == 0 and Image.open(out).size == (native, 2 * native)


@pytest.mark.parametrize(
    "env",
    [
        {"HF_HUB_OFFLINE": "1"},
        {"HF_HUB_OFFLINE": None, "HF_ENDPOINT": "http://127.0.0.1:9"},  # nothing listens on port 9
    ],
)
def test_uncached_hub_id_without_network_is_a_clear_error(tmp_path, env):
    proc = _fresh_python(
        "import sys; from obclip.cli import main; sys.exit(main(['generate', 'a man', "
        f"'--large', 'no-such-org/no-such-model', '--out', r'{tmp_path / 'a.png'}']))",
        HF_HOME=str(tmp_path / "hf"),
        **env,
    )
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.count("\n") == 1 and "not in the local Hugging Face cache" in proc.stderr


def test_a_missing_extra_names_the_extra(capsys, monkeypatch):
    monkeypatch.setitem(sys.modules, "obclip.app.server", None)  # as if FastAPI were not installed
    code, _, err = run(capsys, "ui", "--port", "0")
    assert code == 2 and "pip install 'obclip[ui]'" in err and err.count("\n") == 1
