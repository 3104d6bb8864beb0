"""Every scheduler obclip offers, on SD 1.5, SDXL (+ a KOALA-style device UNet) and the embedded models,
equals diffusers' own pipeline built from the model's own scheduler config (as `from_pretrained(path,
scheduler=cls.from_config(config))` builds it), split or not. References never use `make_scheduler`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch
from diffusers import StableDiffusionPipeline, StableDiffusionXLPipeline, UNet2DConditionModel

from obclip.engine import CloudEngine, DenoiseSpec, DenoiseState, DeviceEngine, check_response, load_pair
from obclip.engine.embedded import build_tiny_random_large, build_tiny_random_small, lookup
from obclip.engine.models import load_model
from obclip.engine.schedulers import SCHEDULERS, make_scheduler
from obclip.engine.sdxl import build_tiny_sdxl_large, build_tiny_sdxl_small
from obclip.eval.reference import (
    pipeline_from_directory,
    pipeline_from_parts,
    pipeline_latents,
    reference_scheduler,
    relative_error,
)

pytestmark = pytest.mark.filterwarnings("ignore:scheduler lcm with a UNet that is not LCM-distilled")

CPU = torch.device("cpu")
PROMPT = "a photo of an old man wearing glasses"

# The scheduler_config.json files the real models ship (runwayml/stable-diffusion-v1-5 and
# stabilityai/stable-diffusion-xl-base-1.0), written into the test models as they are.
SD15_SCHEDULER_JSON = {
    "_class_name": "PNDMScheduler",
    "_diffusers_version": "0.6.0",
    "beta_end": 0.012,
    "beta_schedule": "scaled_linear",
    "beta_start": 0.00085,
    "num_train_timesteps": 1000,
    "set_alpha_to_one": False,
    "skip_prk_steps": True,
    "steps_offset": 1,
    "trained_betas": None,
    "clip_sample": False,
}
SDXL_SCHEDULER_JSON = {
    "_class_name": "EulerDiscreteScheduler",
    "_diffusers_version": "0.19.0.dev0",
    "beta_end": 0.012,
    "beta_schedule": "scaled_linear",
    "beta_start": 0.00085,
    "clip_sample": False,
    "interpolation_type": "linear",
    "num_train_timesteps": 1000,
    "prediction_type": "epsilon",
    "sample_max_value": 1.0,
    "set_alpha_to_one": False,
    "skip_prk_steps": True,
    "steps_offset": 1,
    "timestep_spacing": "leading",
    "trained_betas": None,
    "use_karras_sigmas": False,
}


def _save(pipe, root: Path, scheduler_json: dict, small_unet) -> tuple[str, str]:
    pipe.save_pretrained(root / "large")
    (root / "large" / "scheduler" / "scheduler_config.json").write_text(json.dumps(scheduler_json, indent=2))
    small_unet.save_pretrained(root / "small" / "unet")
    return str(root / "large"), str(root / "small")


@pytest.fixture(scope="module")
def sd15_dirs(tmp_path_factory) -> tuple[str, str]:
    """An SD 1.5-shaped model (tiny widths, SD 1.5's own scheduler config) and a BK-style device UNet."""
    parts = build_tiny_random_large()
    pipe = StableDiffusionPipeline(
        vae=parts.vae,
        text_encoder=parts.text_encoder,
        tokenizer=parts.tokenizer,
        unet=parts.unet,
        scheduler=reference_scheduler("ddim", SD15_SCHEDULER_JSON),
        safety_checker=None,
        feature_extractor=None,
        requires_safety_checker=False,
    )
    return _save(pipe, tmp_path_factory.mktemp("sd15"), SD15_SCHEDULER_JSON, build_tiny_random_small().unet)


@pytest.fixture(scope="module")
def sdxl_dirs(tmp_path_factory) -> tuple[str, str]:
    """An SDXL-shaped model (tiny widths, SDXL base's own scheduler config) and a KOALA-style device UNet."""
    parts = build_tiny_sdxl_large()
    pipe = StableDiffusionXLPipeline(
        vae=parts.vae,
        text_encoder=parts.text_encoder,
        text_encoder_2=parts.text_encoder_2,
        tokenizer=parts.tokenizer,
        tokenizer_2=parts.tokenizer_2,
        unet=parts.unet,
        scheduler=reference_scheduler("euler", SDXL_SCHEDULER_JSON),
    )
    return _save(pipe, tmp_path_factory.mktemp("sdxl"), SDXL_SCHEDULER_JSON, build_tiny_sdxl_small().unet)


def _portrait_dirs() -> tuple[str, str]:
    large, small = lookup("embedded:portrait-large").path(), lookup("embedded:portrait-small").path()
    if large is None or small is None:
        pytest.skip("the trained portrait models are not installed")
    return str(large), str(small)


def obclip_split(large: str, small: str, spec: DenoiseSpec) -> torch.Tensor:
    """obclip's cloud steps [0, k) with the large UNet, the state over the wire, the device's [k, T)."""
    cloud, device = load_pair(large, small, device=CPU, dtype=torch.float32)
    wire = DenoiseState.from_bytes(CloudEngine(cloud).run(spec).to_bytes())
    check_response(wire, spec, device)
    return DeviceEngine(device).finish(wire.select(0), spec.candidates[0], guidance=spec.guidance)


def spec_for(scheduler: str) -> DenoiseSpec:
    return DenoiseSpec((PROMPT, "a photo of a young woman"), steps=6, switch_step=3, scheduler=scheduler, guidance=5.0)


@pytest.mark.parametrize("scheduler", sorted(SCHEDULERS))
@pytest.mark.parametrize("model", ["sd15", "sdxl", "portrait"])
def test_split_run_equals_diffusers_pipeline_from_the_models_own_config(request, model, scheduler):
    """Large UNet for k steps, the device's small UNet after, in obclip and in diffusers' own loop."""
    large, small = _portrait_dirs() if model == "portrait" else request.getfixturevalue(f"{model}_dirs")
    spec = spec_for(scheduler)
    pipe = pipeline_from_directory(large, scheduler, seed=spec.seed)
    device_unet = UNet2DConditionModel.from_pretrained(small, subfolder="unet").eval()
    want = pipeline_latents(pipe, spec, device_unet=device_unet)
    assert relative_error(obclip_split(large, small, spec), want) <= 1e-5


@pytest.mark.parametrize("scheduler", sorted(SCHEDULERS))
def test_built_embedded_pair_equals_diffusers_pipeline(scheduler):
    """`embedded:tiny-random` and its small partner: built in memory, SD 1.5's scheduler config."""
    spec = spec_for(scheduler)
    large = build_tiny_random_large()
    pipe = pipeline_from_parts(large, reference_scheduler(scheduler, large.schedule, seed=spec.seed))
    want = pipeline_latents(pipe, spec, device_unet=build_tiny_random_small().unet)
    got = obclip_split("embedded:tiny-random", "embedded:tiny-random-small", spec)
    assert relative_error(got, want) <= 1e-5


@pytest.mark.parametrize("scheduler", sorted(SCHEDULERS))
@pytest.mark.parametrize("model", ["sd15", "sdxl", "portrait"])
def test_scheduler_config_is_the_one_the_pipeline_runs(request, model, scheduler):
    """Key for key (DDIM's clip_sample and set_alpha_to_one included) and timestep for timestep."""
    large = _portrait_dirs()[0] if model == "portrait" else request.getfixturevalue(f"{model}_dirs")[0]
    pipe = pipeline_from_directory(large, scheduler)
    ours = make_scheduler(scheduler, load_model(large, device=CPU).schedule, 6)
    pipe.scheduler.set_timesteps(6)
    # Keys of another class's config that diffusers carries along but the class does not take
    # (PNDM's skip_prk_steps in a DDIM) change nothing; every key the class takes must agree.
    taken = {k: v for k, v in ours.config.items() if not k.startswith("_")}
    assert {k: pipe.scheduler.config.get(k, "(missing)") for k in taken} == taken
    assert torch.equal(ours.timesteps, pipe.scheduler.timesteps)


@pytest.mark.parametrize("model", ["sd15", "sdxl"])
def test_ddim_keeps_the_models_clip_sample_and_final_alpha(request, model):
    """SD 1.5 and SDXL configs say clip_sample=False, set_alpha_to_one=False; DDIM's defaults say True.
    The defaults change the result, so the match above could not hold with them."""
    large = request.getfixturevalue(f"{model}_dirs")[0]
    schedule = load_model(large, device=CPU).schedule
    ddim = make_scheduler("ddim", schedule, 6)
    assert ddim.config.clip_sample is False and ddim.config.set_alpha_to_one is False
    spec = spec_for("ddim")
    pipe = pipeline_from_directory(large, "ddim")
    pipe.scheduler = type(pipe.scheduler).from_config(pipe.scheduler.config, clip_sample=True, set_alpha_to_one=True)
    defaults = pipeline_latents(pipe, spec)
    assert relative_error(obclip_split(large, "same", spec), defaults) > 1e-3
