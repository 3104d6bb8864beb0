"""Models are identified by the content of their files: one directory by two paths (relative, absolute,
a symlink) is one model over HTTP, a copy is the same model, a different checkpoint is not."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import torch
from diffusers import PNDMScheduler, StableDiffusionPipeline
from fastapi.testclient import TestClient

from obclip.engine import DenoiseSpec, DenoiseState
from obclip.engine.device import check_answer
from obclip.engine.embedded import build_tiny_random_large
from obclip.engine.models import model_digest
from obclip.errors import StateError
from obclip.service.protocol import decode_state, encode_request
from obclip.service.server import ServiceConfig, create_app

SPEC = DenoiseSpec(("a young man", "an old man"), steps=4, switch_step=2, guidance=5.0, seed=3)


def _save(parts, path: Path) -> Path:
    StableDiffusionPipeline(
        vae=parts.vae,
        text_encoder=parts.text_encoder,
        tokenizer=parts.tokenizer,
        unet=parts.unet,
        scheduler=PNDMScheduler.from_config(parts.schedule),
        safety_checker=None,
        feature_extractor=None,
        requires_safety_checker=False,
    ).save_pretrained(path)
    return path


@pytest.fixture(scope="module")
def model_dirs(tmp_path_factory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("identity")
    large = _save(build_tiny_random_large(), root / "models" / "tiny")
    shutil.copytree(large, root / "copy")
    other = build_tiny_random_large()
    with torch.no_grad():  # a "fine-tune": the same files and headers, every weight a little different
        for parameter in other.unet.parameters():
            parameter.add_(1e-3 * torch.randn_like(parameter))
    fine_tune = _save(other, root / "fine-tune")
    (root / "link").symlink_to(large, target_is_directory=True)
    return {"root": root, "large": large, "copy": root / "copy", "fine-tune": fine_tune, "link": root / "link"}


def test_one_directory_by_any_path_has_one_digest_and_other_weights_another(model_dirs, monkeypatch):
    monkeypatch.chdir(model_dirs["root"])
    digest = model_digest(str(model_dirs["large"]))
    assert digest is not None and digest.startswith("sha256:")
    assert model_digest("models/tiny") == model_digest("./models/../models/tiny") == digest
    assert model_digest("link") == model_digest(str(model_dirs["copy"])) == digest
    assert model_digest(str(model_dirs["fine-tune"])) not in (None, digest)
    assert model_digest("embedded:tiny-random") != model_digest("embedded:tiny-random-small")


def test_other_dtype_variants_beside_the_weights_do_not_change_the_digest(model_dirs, tmp_path):
    """diffusers loads the default weights; a copy that also holds fp16 variants is the same model."""
    copy = shutil.copytree(model_dirs["large"], tmp_path / "with-variants")
    (copy / "unet" / "diffusion_pytorch_model.fp16.safetensors").write_bytes(b"\0" * 64)
    (copy / "unet" / "diffusion_pytorch_model.safetensors.index.fp16.json").write_text("{}")
    assert model_digest(str(copy)) == model_digest(str(model_dirs["large"]))
    (copy / "scheduler" / "scheduler_config.json").write_text('{"_class_name": "DDIMScheduler"}')
    assert model_digest(str(copy)) != model_digest(str(model_dirs["large"]))


def test_a_copy_without_its_unet_weights_has_no_digest(model_dirs, tmp_path):
    partial = shutil.copytree(model_dirs["large"], tmp_path / "partial")
    for weights in (partial / "unet").glob("*.safetensors"):
        weights.unlink()
    assert model_digest(str(partial)) is None


@pytest.fixture(scope="module")
def served(model_dirs):
    with TestClient(create_app(ServiceConfig(large=str(model_dirs["large"])))) as client:
        yield client


def _post(client: TestClient, model: str):
    return client.post("/v1/denoise", content=encode_request(SPEC, model), headers={"content-type": "application/json"})


@pytest.mark.parametrize("asked", ["models/tiny", "link", "copy", "absolute"])
def test_the_server_recognises_its_model_by_any_path(served, model_dirs, monkeypatch, asked):
    monkeypatch.chdir(model_dirs["root"])
    model = str(model_dirs["large"]) if asked == "absolute" else asked
    answer = _post(served, model)
    assert answer.status_code == 200, answer.text
    state = decode_state(answer.content, SPEC, model)  # the device's own check of the answer
    assert state.metadata["model_digest"] == model_digest(model)


def test_the_server_refuses_another_checkpoint_by_content_naming_both(served, model_dirs):
    answer = _post(served, str(model_dirs["fine-tune"]))
    assert answer.status_code == 404
    error = answer.json()["error"]
    assert error["code"] == "model_not_found" and str(model_dirs["large"]) in error["message"]
    assert "sha256:" in error["message"]


def test_models_lists_the_digest_beside_the_name(served, model_dirs):
    entry = served.get("/v1/models").json()["data"][0]
    assert entry["id"] == str(model_dirs["large"]) and entry["digest"] == model_digest(str(model_dirs["large"]))


def test_the_device_refuses_an_answer_from_other_weights_under_the_same_name(served, model_dirs):
    answer = _post(served, str(model_dirs["large"]))
    state = DenoiseState.from_bytes(answer.content)
    check_answer(state, SPEC, str(model_dirs["copy"]))
    state.metadata["model_digest"] = model_digest(str(model_dirs["fine-tune"]))
    with pytest.raises(StateError, match="model"):
        check_answer(state, SPEC, str(model_dirs["large"]))


def test_openapi_lists_every_scheduler_offered(served):
    from obclip.engine.schedulers import SCHEDULERS

    schema = served.get("/openapi.json").json()
    request = schema["paths"]["/v1/denoise"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    field = request["properties"]["scheduler"]
    assert field["enum"] == list(SCHEDULERS) and "`lcm`" in field["description"]
