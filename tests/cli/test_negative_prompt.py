"""--negative-prompt: a public field on the wire that both halves use as the unconditional branch,
refused when it states a sensitive attribute (the cloud reads it in clear)."""

import json

import numpy as np
import pytest
from PIL import Image

from obclip.api import generate
from obclip.cli import main
from obclip.engine.spec import DenoiseSpec
from obclip.service.limits import Limits
from obclip.service.protocol import encode_request, request_from_spec, spec_from_request

TINY = {"large": "embedded:tiny-random", "steps": 3, "seed": 1, "shuffle_seed": 0}


def test_the_negative_prompt_travels_as_a_public_field():
    spec = DenoiseSpec(("a man", "a woman"), steps=4, switch_step=2, negative_prompt="blurry")
    assert json.loads(encode_request(spec))["negative_prompt"] == "blurry"
    assert spec_from_request(request_from_spec(spec), Limits()).negative_prompt == "blurry"
    assert spec.public_options()["negative_prompt"] == "blurry"


def test_a_negative_prompt_longer_than_the_server_allows_is_refused():
    from obclip.service.protocol import LimitExceededError

    spec = DenoiseSpec(("a man",), negative_prompt="x" * 50)
    with pytest.raises(LimitExceededError, match="negative prompt"):
        spec_from_request(request_from_spec(spec), Limits(max_prompt_chars=20))


def _pixels(**kwargs) -> np.ndarray:
    return np.asarray(generate("an old man", **TINY, **kwargs).image, dtype=np.int16)


@pytest.mark.parametrize("switch_step", [0, 3])  # all steps on the device, then all in the cloud
def test_each_half_uses_it_as_the_unconditional_branch(switch_step):
    plain = _pixels(switch_step=switch_step)
    negative = _pixels(switch_step=switch_step, negative_prompt="blurry, dark")
    assert np.abs(plain - negative).max() > 0
    unguided = {"switch_step": switch_step, "guidance": 1.0}  # no unconditional branch: nothing changes
    assert np.array_equal(_pixels(**unguided), _pixels(**unguided, negative_prompt="blurry, dark"))


@pytest.mark.parametrize("negative", ["an old woman", "ugly man", "blurry, young", "beard"])
def test_a_negative_prompt_stating_a_sensitive_attribute_is_refused(capsys, monkeypatch, negative):
    import obclip.api

    monkeypatch.setattr(obclip.api, "generate", lambda *a, **k: pytest.fail("refused only after the work began"))
    code = main(["generate", "a portrait", "--negative-prompt", negative, "--large", "embedded:tiny-random"])
    err = capsys.readouterr().err
    assert code == 2 and "negative prompt states" in err and err.count("\n") == 1


def test_the_png_records_the_negative_prompt(tmp_path, capsys):
    out = tmp_path / "me.png"
    argv = ["generate", "an old man", "--negative-prompt", "blurry", "--out", str(out), "--steps", "2"]
    assert main([*argv, "--switch-step", "1", "--large", "embedded:tiny-random", "--quiet"]) == 0
    assert json.loads(Image.open(out).text["obclip"])["negative_prompt"] == "blurry"
