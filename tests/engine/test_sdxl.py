"""SDXL through obclip's engine equals diffusers' own StableDiffusionXLPipeline on the same weights and
noise; SDXL pipelines load from a local directory; KOALA-style device models continue SDXL latents."""

from __future__ import annotations

import json

import pytest
import torch
from diffusers import StableDiffusionXLPipeline

from obclip.cli import main
from obclip.engine import CloudEngine, DenoiseSpec, DeviceEngine, ModelBundle, load_device_model, load_model
from obclip.engine.architectures import make_conditioner
from obclip.engine.conditioning import guidance_embedding
from obclip.engine.schedulers import make_scheduler
from obclip.engine.sdxl import SdxlConditioner, build_tiny_sdxl_large, build_tiny_sdxl_small, tiny_sdxl_unet
from obclip.eval.reference import relative_error, sdxl_pipeline_latents

PROMPT = "a photo of an old woman wearing glasses"
SDXL = "embedded:tiny-sdxl-random"


@pytest.fixture(scope="module")
def parts():
    return build_tiny_sdxl_large()


def bundle(parts, unet=None, *, force_zeros: bool = True) -> ModelBundle:
    text = SdxlConditioner(
        [parts.tokenizer, parts.tokenizer_2],
        [parts.text_encoder, parts.text_encoder_2],
        force_zeros_for_empty_prompt=force_zeros,
    )
    return ModelBundle("tiny-sdxl", unet or parts.unet, parts.vae, text, parts.schedule)


def split_run(model: ModelBundle, spec: DenoiseSpec, row: int = 0) -> torch.Tensor:
    state = CloudEngine(model).run(spec)
    return DeviceEngine(model).finish(state.select(row), spec.candidates[row], guidance=spec.guidance)


@pytest.mark.parametrize("scheduler", ["dpmsolver++", "euler"])
def test_split_run_equals_diffusers_sdxl_pipeline(parts, scheduler):
    model = bundle(parts)
    spec = DenoiseSpec((PROMPT,), steps=6, switch_step=3, scheduler=scheduler, guidance=5.0, seed=11)
    assert relative_error(split_run(model, spec), sdxl_pipeline_latents(parts, model, spec)) <= 1e-5


def test_lcm_distilled_unet_equals_diffusers_with_guidance_embedding(parts):
    """An LCM UNet (time_cond_proj_dim): no unconditional rows, w = guidance - 1 as `timestep_cond`."""
    unet = tiny_sdxl_unet(25, layers_per_block=2, transformer_layers=(1, 2, 4), mid_block=True, time_cond_proj_dim=16)
    model = bundle(parts, unet)
    spec = DenoiseSpec((PROMPT,), steps=8, switch_step=4, scheduler="lcm", guidance=8.5, seed=3)
    ours = split_run(model, spec)
    assert relative_error(ours, sdxl_pipeline_latents(parts, model, spec)) <= 1e-5
    other_w = DenoiseSpec((PROMPT,), steps=8, switch_step=4, scheduler="lcm", guidance=2.0, seed=3)
    assert relative_error(split_run(model, other_w), ours) > 1e-3, "the guidance embedding must reach the UNet"


def test_unconditional_rows_from_the_empty_prompt_when_not_forced_to_zero(parts):
    model = bundle(parts, force_zeros=False)
    spec = DenoiseSpec((PROMPT,), steps=4, switch_step=2, guidance=5.0, seed=5)
    want = sdxl_pipeline_latents(parts, model, spec, force_zeros=False)
    assert relative_error(split_run(model, spec), want) <= 1e-5
    zeros = bundle(parts, force_zeros=True)
    assert relative_error(split_run(zeros, spec), want) > 1e-3


def test_non_square_size_reaches_the_time_ids(parts):
    model = bundle(parts)
    spec = DenoiseSpec((PROMPT,), steps=4, switch_step=2, guidance=5.0, seed=5, height=48, width=64)
    got = split_run(model, spec)
    assert got.shape == (1, 4, 6, 8)
    assert relative_error(got, sdxl_pipeline_latents(parts, model, spec)) <= 1e-5
    time_ids = model.text.encode([PROMPT], size=(48, 64)).added_cond_kwargs["time_ids"]
    assert time_ids.tolist() == [[48.0, 64.0, 0.0, 0.0, 48.0, 64.0]]


def test_guidance_embedding_is_diffusers_own():
    from diffusers import LatentConsistencyModelPipeline

    for w, dim in [(7.5, 16), (0.0, 8), (3.0, 9)]:
        want = LatentConsistencyModelPipeline.get_guidance_scale_embedding(None, torch.tensor([w]), embedding_dim=dim)
        torch.testing.assert_close(guidance_embedding(w, dim, 2), want.expand(2, dim), rtol=0, atol=0)


def test_conditioning_shapes_and_zeroed_unconditional_rows(parts):
    text = bundle(parts).text
    cond = text.guidance_batch(["a man", "a woman"], True, size=(64, 64))
    assert cond.encoder_hidden_states.shape == (4, text.max_tokens, 32 + 48)
    assert cond.added_cond_kwargs["text_embeds"].shape == (4, 32)
    assert cond.added_cond_kwargs["time_ids"].shape == (4, 6)
    assert not cond.encoder_hidden_states[:2].any() and not cond.added_cond_kwargs["text_embeds"][:2].any()
    assert not torch.equal(cond.encoder_hidden_states[2], cond.encoder_hidden_states[3])
    with pytest.raises(ValueError, match="image size"):
        text.encode(["a man"])


@pytest.fixture(scope="module")
def sdxl_dirs(parts, tmp_path_factory) -> tuple[str, str]:
    """The tiny SDXL model saved as a diffusers directory, and a KOALA-style UNet-only device model."""
    root = tmp_path_factory.mktemp("sdxl")
    pipe = StableDiffusionXLPipeline(
        vae=parts.vae,
        text_encoder=parts.text_encoder,
        text_encoder_2=parts.text_encoder_2,
        tokenizer=parts.tokenizer,
        tokenizer_2=parts.tokenizer_2,
        unet=parts.unet,
        scheduler=make_scheduler("euler", parts.schedule, 4),
    )
    pipe.save_pretrained(root / "sdxl")
    build_tiny_sdxl_small().unet.save_pretrained(root / "koala" / "unet")
    return str(root / "sdxl"), str(root / "koala")


def test_sdxl_loads_from_a_local_diffusers_directory(sdxl_dirs):
    """model_index.json + text_encoder_2/tokenizer_2 are read; the result is the embedded model's."""
    large, small = sdxl_dirs
    loaded = load_model(large, device=torch.device("cpu"))
    assert isinstance(loaded.text, SdxlConditioner) and loaded.text.force_zeros_for_empty_prompt
    spec = DenoiseSpec(("a man", "a woman"), steps=4, switch_step=2, guidance=5.0, seed=2)
    embedded = load_model(SDXL, device=torch.device("cpu"))
    assert relative_error(split_run(loaded, spec, 1), split_run(embedded, spec, 1)) <= 1e-6
    device = load_device_model(large, small, device=torch.device("cpu"))
    assert device.text is loaded.text and device.unet.config.mid_block_type is None
    state = CloudEngine(loaded).run(spec)
    latents = DeviceEngine(device).finish(state.select(0), "a man", guidance=5.0)
    assert latents.shape == (1, 4, 8, 8) and torch.isfinite(latents).all()


def test_tiny_sdxl_pair_shapes():
    cloud = load_model(SDXL)
    device = load_device_model(SDXL)
    assert device.model_id == "embedded:tiny-sdxl-random-small"
    assert device.text is cloud.text and device.vae is cloud.vae
    assert cloud.unet.config.addition_embed_type == "text_time" == device.unet.config.addition_embed_type
    assert cloud.unet.down_blocks[0].__class__.__name__ == "DownBlock2D"  # no attention in stage one
    assert cloud.unet.mid_block is not None and device.unet.mid_block is None
    large_depth = [len(a.transformer_blocks) for b in cloud.unet.down_blocks for a in getattr(b, "attentions", [])]
    small_depth = [len(a.transformer_blocks) for b in device.unet.down_blocks for a in getattr(b, "attentions", [])]
    assert large_depth == [2, 2, 4, 4] and small_depth == [2, 2]
    assert isinstance(make_conditioner(build_tiny_sdxl_small()), SdxlConditioner)


def test_cli_generates_with_the_tiny_sdxl_pair(tmp_path, capsys):
    out = tmp_path / "sdxl.png"
    argv = ["generate", "a young woman", "--large", SDXL, "--out", str(out), "--steps", "4", "--switch-step", "2"]
    code = main([*argv, "--seed", "0", "--quiet", "--json"])
    stdout, _ = capsys.readouterr()
    assert code == 0
    report = json.loads(stdout)
    assert report["small"] == "embedded:tiny-sdxl-random-small" and report["num_candidates"] == 6
    assert out.read_bytes()[:4] == b"\x89PNG"


def test_server_for_an_sdxl_directory_serves_images_equal_to_local_ones(sdxl_dirs):
    from fastapi.testclient import TestClient

    from obclip.engine import DenoiseState, LocalCloud, check_response
    from obclip.service.server import ServiceConfig, create_app

    large, small = sdxl_dirs
    spec = DenoiseSpec(("a young man", "an old man"), steps=4, switch_step=2, guidance=5.0, seed=3)
    payload = {"candidates": list(spec.candidates), "steps": 4, "switch_step": 2, "guidance": 5.0, "seed": 3}
    payload["scheduler"] = spec.scheduler
    with TestClient(create_app(ServiceConfig(large=large))) as client:
        answer = client.post("/v1/denoise", json=payload)
    assert answer.status_code == 200, answer.text
    remote = DenoiseState.from_bytes(answer.content)
    local = LocalCloud(large).denoise(spec)
    device_model = load_device_model(large, small)
    check_response(remote, spec, device_model)
    device = DeviceEngine(device_model)
    images = [
        device.decode(device.finish(state.select(1), spec.candidates[1], guidance=5.0))[0] for state in (remote, local)
    ]
    assert torch.equal(remote.latents, local.latents)
    assert images[0].tobytes() == images[1].tobytes()


def test_half_precision_sdxl_vae_decodes_in_float32():
    """SDXL's VAE asks for `force_upcast` (it overflows in float16): the device decodes in float32."""
    parts = build_tiny_sdxl_large()
    model = bundle(parts)
    model.vae.to(torch.float16)
    assert model.vae.config.force_upcast
    image = DeviceEngine(model).decode(torch.randn(1, 4, 8, 8))[0]
    assert model.vae.dtype == torch.float32 and image.size == (64, 64)
