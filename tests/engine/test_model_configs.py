"""What the config files decide is refused from them alone, before any weight loads, in one line naming
the right model; an uncached hub id fails at once, with no retry loop and no process-wide setting."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import httpx2
import pytest
import torch

from obclip.cli import main
from obclip.engine import hub, load_device_model, load_model, load_pair, models
from obclip.engine.embedded import build_tiny_random_large
from obclip.engine.sdxl import build_tiny_sdxl_large, build_tiny_sdxl_small
from obclip.errors import IncompatibleModelsError, ModelNotFoundError

CPU = torch.device("cpu")


def _config(module) -> dict:
    config = module.config
    config = config.to_dict() if hasattr(config, "to_dict") else dict(config)
    return {k: v for k, v in config.items() if not k.startswith("_") or k == "_class_name"}


def config_only(root: Path, parts, *, index: dict | None, unet: dict | None = None, vae: dict | None = None) -> Path:
    """A model directory of config files only (no weights): loading any weight from it would fail."""
    root.mkdir(parents=True)
    if index is not None:
        (root / "model_index.json").write_text(json.dumps(index))
    configs = {"unet": unet or _config(parts.unet), "vae": vae if vae is not None else _config(parts.vae)}
    configs["text_encoder"] = _config(parts.text_encoder)
    if parts.text_encoder_2 is not None:
        configs["text_encoder_2"] = _config(parts.text_encoder_2)
    for name, config in configs.items():
        (root / name).mkdir()
        (root / name / "config.json").write_text(json.dumps(config))
    (root / "scheduler").mkdir()
    (root / "scheduler" / "scheduler_config.json").write_text(json.dumps(parts.schedule))
    return root


SDXL_INDEX = {
    "_class_name": "StableDiffusionXLPipeline",
    "text_encoder": ["transformers", "CLIPTextModel"],
    "text_encoder_2": ["transformers", "CLIPTextModelWithProjection"],
}


@pytest.fixture
def no_weights(monkeypatch):
    """Fail the test if any component is read beyond its config."""
    real = models.load_component

    def guarded(spec, name, **kwargs):
        if name not in ("scheduler", "pipeline") and not spec.startswith("embedded:"):
            raise AssertionError(f"weights of {name} of {spec} loaded before the refusal")
        return real(spec, name, **kwargs)

    monkeypatch.setattr(models, "load_component", guarded)


def _one_line(exc: pytest.ExceptionInfo) -> str:
    message = str(exc.value)
    assert "\n" not in message
    return message


def test_sdxl_vae_without_scaling_factor_is_refused_naming_the_large_model(tmp_path, no_weights):
    parts = build_tiny_sdxl_large()
    vae = {k: v for k, v in _config(parts.vae).items() if k != "scaling_factor"}
    large = config_only(tmp_path / "sdxl", parts, index=SDXL_INDEX, vae=vae)
    for load in (lambda: load_model(str(large)), lambda: load_pair(str(large), "same")):
        with pytest.raises(IncompatibleModelsError) as caught:
            load()
        message = _one_line(caught)
        assert f"model {str(large)!r}" in message and "scaling_factor" in message and "0.13025" in message


def test_a_device_model_whose_own_sdxl_vae_lacks_scaling_factor_is_named(tmp_path, no_weights):
    parts = build_tiny_sdxl_large()
    large = config_only(tmp_path / "sdxl", parts, index=SDXL_INDEX)
    small = tmp_path / "koala"
    (small / "unet").mkdir(parents=True)
    (small / "unet" / "config.json").write_text(json.dumps(_config(build_tiny_sdxl_small().unet)))
    (small / "vae").mkdir()
    vae = {k: v for k, v in _config(parts.vae).items() if k != "scaling_factor"}
    (small / "vae" / "config.json").write_text(json.dumps(vae))
    with pytest.raises(IncompatibleModelsError) as caught:
        load_pair(str(large), str(small))
    message = _one_line(caught)
    assert f"model {str(small)!r}" in message and str(large) not in message


def test_a_unet_that_does_not_take_its_own_vaes_latents_is_refused(tmp_path, no_weights):
    parts = build_tiny_random_large()
    unet = {**_config(parts.unet), "in_channels": 16, "out_channels": 16}
    large = config_only(tmp_path / "wide", parts, index={"_class_name": "StableDiffusionPipeline"}, unet=unet)
    with pytest.raises(IncompatibleModelsError) as caught:
        load_model(str(large))
    message = _one_line(caught)
    assert f"model {str(large)!r}" in message and "16" in message and "its own VAE has 4" in message


@pytest.mark.parametrize("large_kind", ["embedded", "directory"])
def test_a_sixteen_channel_device_unet_is_refused_before_any_weight_loads(tmp_path, no_weights, large_kind):
    parts = build_tiny_random_large()
    large = "embedded:tiny-random"
    if large_kind == "directory":
        large = str(config_only(tmp_path / "large", parts, index={"_class_name": "StableDiffusionPipeline"}))
    small = tmp_path / "small16"
    (small / "unet").mkdir(parents=True)
    (small / "unet" / "config.json").write_text(
        json.dumps({**_config(parts.unet), "in_channels": 16, "out_channels": 16})
    )
    for load in (lambda: load_pair(large, str(small)), lambda: load_device_model(large, str(small))):
        with pytest.raises(IncompatibleModelsError) as caught:
            load()
        message = _one_line(caught)
        assert f"device model {str(small)!r}" in message and "16/16" in message


def test_native_size_and_its_refusal_come_from_configs(tmp_path, no_weights, capsys):
    parts = build_tiny_random_large()
    large = config_only(tmp_path / "large", parts, index={"_class_name": "StableDiffusionPipeline"})
    assert models.native_size(str(large), "same") == (64, 8)
    assert models.native_size("embedded:tiny-sdxl-random") == (64, 8)
    argv = ["generate", "a man", "--large", str(large), "--small", "same", "--height", "128", "--out"]
    code = main([*argv, str(tmp_path / "x.png")])
    _, err = capsys.readouterr()
    assert code == 2 and "64x64" in err and err.count("\n") == 1


# --- hub ids -------------------------------------------------------------------------------------


class _Unreachable(httpx2.BaseTransport):
    """A transport that fails every request at once, as a machine without network does."""

    def __init__(self) -> None:
        self.urls: list[str] = []

    @property
    def requests(self) -> list[str]:
        """The requests about a model (the hub client also asks things of its own, once a process)."""
        return [url for url in self.urls if "/obclip-test" in url or "obclip-test--" in url]

    def handle_request(self, request):
        self.urls.append(str(request.url))
        raise httpx2.ConnectError("network is unreachable", request=request)


@pytest.fixture
def offline_hub(monkeypatch, tmp_path):
    """The hub out of reach, an empty cache, and the retry loop armed to fail the test if entered."""
    from huggingface_hub import close_session, constants, set_client_factory
    from huggingface_hub.utils import _http

    transport = _Unreachable()
    set_client_factory(lambda: httpx2.Client(transport=transport))
    close_session()
    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(tmp_path / "hub-cache"))
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", False)

    def no_retry_loop(*args, **kwargs):
        raise AssertionError("the hub client's retry loop was entered")

    monkeypatch.setattr(_http, "_http_backoff_base", no_retry_loop)
    hub.forget()
    yield transport
    hub.forget()
    set_client_factory(_http.default_client_factory)
    close_session()


def test_an_uncached_hub_id_fails_through_the_api_with_one_request_and_no_retries(offline_hub):
    env = dict(os.environ)
    with pytest.raises(ModelNotFoundError) as caught:
        load_model("obclip-test/not-a-real-model", device=CPU)
    message = _one_line(caught)
    assert "not in the local Hugging Face cache" in message and "obclip-test/not-a-real-model" in message
    assert len(offline_hub.requests) == 1, offline_hub.requests  # one bounded metadata call, no retry
    assert dict(os.environ) == env  # nothing process-wide was switched
    with pytest.raises(ModelNotFoundError):
        load_device_model("embedded:tiny-random", "obclip-test/not-a-real-small")
    assert len(offline_hub.requests) == 2


def test_hub_offline_set_by_the_user_means_the_cache_only(offline_hub, monkeypatch):
    from huggingface_hub import constants

    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", True)
    with pytest.raises(ModelNotFoundError, match="HF_HUB_OFFLINE is set"):
        load_model("obclip-test/not-a-real-model", device=CPU)
    assert offline_hub.requests == []


def test_a_cached_hub_model_loads_while_the_hub_is_out_of_reach(offline_hub, tmp_path):
    """The cached snapshot is used as a local directory: the model loads and nothing retries."""
    from diffusers import StableDiffusionPipeline
    from huggingface_hub import constants

    parts = build_tiny_random_large()
    repo = Path(constants.HF_HUB_CACHE) / "models--obclip-test--tiny"
    commit = "0" * 40
    (repo / "refs").mkdir(parents=True)
    (repo / "refs" / "main").write_text(commit)
    StableDiffusionPipeline(
        vae=parts.vae,
        text_encoder=parts.text_encoder,
        tokenizer=parts.tokenizer,
        unet=parts.unet,
        scheduler=__import__("diffusers").PNDMScheduler.from_config(parts.schedule),
        safety_checker=None,
        feature_extractor=None,
        requires_safety_checker=False,
    ).save_pretrained(repo / "snapshots" / commit)
    started = time.perf_counter()
    model = load_model("obclip-test/tiny", device=CPU)
    assert model.model_id == "obclip-test/tiny" and model.default_size == 64
    assert len(offline_hub.requests) == 1
    assert time.perf_counter() - started < 120  # a sanity bound only; the request count is the check
