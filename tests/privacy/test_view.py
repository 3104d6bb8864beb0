"""One view of the cloud: `obclip candidates --large MODEL` shows the set `generate` sends, both
through `obclip.view.cloud_view`, and the model's taxonomy is found without torch."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from obclip.errors import ModelNotFoundError
from obclip.view import cloud_view, model_taxonomy


@pytest.mark.parametrize(
    "spec",
    ["embedded:default", "embedded:", "embedded:portrait-large", "embedded:portrait-small", "embedded:tiny-random"],
)
def test_a_models_taxonomy_is_the_one_its_registry_entry_names(spec: str) -> None:
    from obclip.engine.embedded import lookup

    world = Path(__file__).parents[2] / "src" / "obclip" / "world" / "taxonomy.json"
    expected = None if lookup(spec).name.startswith("tiny") else world
    assert model_taxonomy(spec) == expected


def test_a_local_model_directory_brings_its_taxonomy(tmp_path: Path) -> None:
    assert model_taxonomy(str(tmp_path)) is None
    own = tmp_path / "obclip_taxonomy.json"
    own.write_text(
        json.dumps(
            {
                "format": "obclip-taxonomy/1",
                "attributes": [
                    {
                        "name": "hair",
                        "values": [
                            {"value": "red", "forms": {"adjective": ["red-haired"]}},
                            {"value": "dark", "forms": {"adjective": ["dark-haired"]}},
                        ],
                    }
                ],
            }
        )
    )
    assert model_taxonomy(str(tmp_path)) == own
    assert len(cloud_view("a red-haired woman", large=str(tmp_path))) == 4
    with pytest.raises(ModelNotFoundError):
        model_taxonomy("embedded:nope")


@pytest.mark.parametrize(
    ("prompt", "flags", "n"),
    [
        ("a dark-skinned woman with braids", [], 6),
        ("a dark-skinned woman in a hijab", ["--religion"], 36),
        # "bearded" is dropped from what is sent, so gender is varied too: 6 religions, 2 genders
        ("a bearded man in a turban", ["--religion", "--large", "embedded:tiny-random"], 12),
    ],
)
def test_generate_plans_the_set_that_candidates_shows(capsys, prompt: str, flags: list[str], n: int) -> None:
    from obclip.api import plan
    from obclip.cli import main

    large = flags[flags.index("--large") + 1] if "--large" in flags else "embedded:default"
    opt_in = ("religion",) if "--religion" in flags else ()
    planned = plan(prompt, large=large, shuffle_seed=3, opt_in=opt_in)
    assert main(["candidates", prompt, "--json", "--seed", "3", *flags]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["candidates"] == list(planned.candidate_set.candidates) == list(planned.spec.candidates)
    assert len(shown["candidates"]) == n
    assert shown["residual"] == [r.public_dict() for r in planned.candidate_set.residual]
    assert planned.candidate_set == cloud_view(prompt, large=large, seed=3, opt_in=opt_in)


def test_candidates_imports_no_torch() -> None:
    code = (
        "import sys; from obclip.cli import main; main(['candidates', 'a dark-skinned woman', '--json']); "
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in {'torch', 'diffusers', 'transformers'}); "
        "sys.exit(1 if bad else 0)"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("negative", ["wo\u200bman", "w\u043eman", "\uff4f\uff4c\uff44 man", "old_man"])
def test_a_negative_prompt_is_normalised_before_its_check(negative: str) -> None:
    # the cloud reads the negative prompt in clear: hidden characters must not slip a word past it
    from obclip.errors import InvalidInputError
    from obclip.privacy import default_taxonomy
    from obclip.view import check_negative_prompt

    with pytest.raises(InvalidInputError, match="negative prompt"):
        check_negative_prompt(negative, default_taxonomy())
    check_negative_prompt("blurry, lowres, watermark", default_taxonomy())
