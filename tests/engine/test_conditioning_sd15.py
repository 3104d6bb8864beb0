"""The SD-1.5 architecture (random weights built from its configs: CLIP ViT-L/14's text encoder with a
77-token window, SD-1.5's UNet and VAE) runs a 300-token weighted prompt through the plan, a server
(in-process) and the device, and the hand-off equals the uninterrupted run."""

from __future__ import annotations

import httpx
import pytest
import torch
from diffusers import AutoencoderKL, UNet2DConditionModel
from fastapi.testclient import TestClient
from transformers import CLIPTextConfig, CLIPTextModel, CLIPTokenizer

from obclip.api import finish_on_device, plan
from obclip.engine import CloudEngine, DeviceEngine
from obclip.engine.conditioning import ClipConditioner, cfg_scale, unet_conditioning
from obclip.engine.flops import SD15_UNET_CONFIG
from obclip.engine.loop import denoise
from obclip.engine.models import ModelBundle
from obclip.engine.schedulers import SD_SCHEDULER_CONFIG, make_scheduler, start_at
from obclip.eval.reference import relative_error
from obclip.models import model_dir
from obclip.service.client import HttpCloud
from obclip.service.limits import Limits
from obclip.service.server import ServiceConfig, create_app

pytestmark = pytest.mark.slow

WORDS = "a quiet library with tall shelves, warm lamp light on wooden tables, rain on the window, "


@pytest.fixture(scope="module")
def sd15() -> ModelBundle:
    tokenizer = CLIPTokenizer.from_pretrained(model_dir("portrait-large") / "tokenizer")  # CLIP BPE, 77 tokens
    torch.manual_seed(0)
    text_encoder = CLIPTextModel(
        CLIPTextConfig(  # CLIP ViT-L/14's text tower, as SD-1.5 ships it
            vocab_size=49408,
            hidden_size=768,
            intermediate_size=3072,
            num_hidden_layers=12,
            num_attention_heads=12,
            max_position_embeddings=77,
            hidden_act="quick_gelu",
            bos_token_id=tokenizer.bos_token_id,
            eos_token_id=tokenizer.eos_token_id,
            pad_token_id=tokenizer.pad_token_id,
        )
    )
    with torch.no_grad():  # a trained encoder's last layer norm has a bias; the random one's is zero
        text_encoder.final_layer_norm.bias.normal_(0.0, 0.1)
    unet = UNet2DConditionModel(**{**SD15_UNET_CONFIG, "sample_size": 8})  # 64 px images: fast on a CPU
    vae = AutoencoderKL(
        down_block_types=("DownEncoderBlock2D",) * 4,
        up_block_types=("UpDecoderBlock2D",) * 4,
        block_out_channels=(128, 256, 512, 512),
        layers_per_block=2,
        latent_channels=4,
        sample_size=64,
    )
    text = ClipConditioner(tokenizer, text_encoder.eval())
    return ModelBundle("sd15-random", unet.eval(), vae.eval(), text, dict(SD_SCHEDULER_CONFIG))


def test_sd15_300_token_weighted_prompt_plan_server_device(sd15):
    prompt = "(an old woman:1.3) reading, [blurry], "
    while sd15.text.token_count(prompt) < 300:
        prompt += WORDS
    options = {"steps": 4, "switch_step": 2, "seed": 9, "max_candidates": 2}
    request = plan(prompt + "BREAK ((soft light))", large="embedded:default", **options)
    spec = request.spec
    assert sd15.text.chunk_count(spec.candidates) >= 5

    engine = CloudEngine(sd15)
    fast = Limits(throughput_gmacs=1e6)  # the cost model's CPU default would refuse SD-1.5's UNet
    app = create_app(ServiceConfig(large="embedded:default", limits=fast), engine=engine)
    with TestClient(app) as client:

        def through_app(http: httpx.Request) -> httpx.Response:
            answer = client.request(http.method, str(http.url), content=http.content, headers=http.headers)
            headers = {k: v for k, v in answer.headers.items() if k not in ("content-length", "content-encoding")}
            return httpx.Response(answer.status_code, headers=headers, content=answer.content)

        state = HttpCloud("http://testserver", transport=httpx.MockTransport(through_app)).denoise(spec)
    got = finish_on_device(DeviceEngine(sd15), request, state)

    # the uninterrupted run of the same rows
    scheduler = make_scheduler(spec.scheduler, sd15.schedule, spec.steps)
    start_at(scheduler, 0)
    from obclip.engine.cloud import initial_noise

    noise = initial_noise(spec.seed, 4, 8, 8) * scheduler.init_noise_sigma
    conditioning = unet_conditioning(sd15.text, sd15.unet, spec.candidates, guidance=spec.guidance, size=(64, 64))
    with torch.no_grad():
        want = denoise(
            sd15.unet,
            scheduler,
            noise.repeat(spec.num_candidates, 1, 1, 1),
            conditioning,
            start=0,
            stop=spec.steps,
            guidance=cfg_scale(sd15.unet, spec.guidance),
        )
    row = request.candidate_set.true_index
    assert relative_error(got, want[row : row + 1]) <= 1e-4  # batch of N against the device's batch of 1
    assert DeviceEngine(sd15).decode(got)[0].size == (64, 64)
