"""guidance_rescale, a public option: diffusers' formula, an exact hand-off, and every front end
carrying it (its declaration in obclip.options is the only place that names it outside the loop)."""

import pytest
import torch
from diffusers.pipelines.stable_diffusion.pipeline_stable_diffusion import rescale_noise_cfg

from obclip.api import generate
from obclip.cli import build_parser
from obclip.cli._common import image_metadata
from obclip.engine import CloudEngine, DenoiseSpec, DenoiseState, DeviceEngine, check_response, denoise
from obclip.engine.cloud import initial_noise
from obclip.engine.conditioning import cfg_scale, unet_conditioning
from obclip.engine.loop import rescale_guided
from obclip.engine.schedulers import make_scheduler, start_at
from obclip.errors import InvalidInputError
from obclip.service.limits import Limits
from obclip.service.protocol import encode_request, parse_request, spec_from_request

CANDIDATES = ("a photo of a young woman", "a photo of an old man")


def test_the_rescale_is_diffusers_and_row_by_row():
    generator = torch.Generator().manual_seed(0)
    guided, cond = torch.randn(3, 4, 8, 8, generator=generator), torch.randn(3, 4, 8, 8, generator=generator)
    torch.testing.assert_close(rescale_guided(guided, cond, 0.7), rescale_noise_cfg(guided, cond, 0.7))
    torch.testing.assert_close(rescale_guided(guided[1:2], cond[1:2], 0.7), rescale_guided(guided, cond, 0.7)[1:2])


def test_a_split_run_with_rescale_equals_one_uninterrupted_run_and_differs_from_none(tiny_large):
    """One candidate: cloud and device run the same batch, so only the hand-off could differ."""
    mine = CANDIDATES[1:]
    spec = DenoiseSpec(mine, steps=6, switch_step=3, guidance=7.0, guidance_rescale=0.7, seed=3)
    model = tiny_large
    scheduler = make_scheduler(spec.scheduler, model.schedule, spec.steps)
    start_at(scheduler, 0)
    side = model.default_size // model.vae_scale_factor
    noise = initial_noise(spec.seed, model.latent_channels, side, side) * scheduler.init_noise_sigma
    size = (model.default_size, model.default_size)
    conditioning = unet_conditioning(model.text, model.unet, mine, guidance=spec.guidance, size=size)
    whole = denoise(model.unet, scheduler, noise, conditioning, start=0, stop=spec.steps,
                    guidance=cfg_scale(model.unet, spec.guidance), options=spec)  # fmt: skip
    state = DenoiseState.from_bytes(CloudEngine(model).run(spec).to_bytes())
    check_response(state, spec, model)
    device = DeviceEngine(model)
    split = device.finish(state, mine[0], guidance=spec.guidance, options=spec)
    torch.testing.assert_close(split, whole, rtol=1e-5, atol=1e-5)
    plain = DenoiseSpec(mine, steps=6, switch_step=3, guidance=7.0, seed=3)
    other = device.finish(CloudEngine(model).run(plain), mine[0], guidance=7.0, options=plain)
    assert not torch.allclose(split, other)


def test_every_front_end_carries_it(tiny_large):
    request = parse_request(encode_request(DenoiseSpec(CANDIDATES, guidance_rescale=0.5, seed=1)))
    assert spec_from_request(request, Limits()).guidance_rescale == 0.5
    with pytest.raises(InvalidInputError, match="at most 1"):
        DenoiseSpec(CANDIDATES, guidance_rescale=1.5)
    args = build_parser().parse_args(["generate", "a photo", "--guidance-rescale", "0.7"])
    assert args.guidance_rescale == 0.7
    sent = []

    class Recording(CloudEngine):
        def denoise(self, spec):
            sent.append(spec)
            return self.run(spec)

    result = generate("a photo of an old man", large="embedded:tiny-random", steps=2, switch_step=1, seed=0,
                      guidance_rescale=0.7, cloud=Recording(tiny_large))  # fmt: skip
    assert sent[0].guidance_rescale == 0.7 and result.report.guidance_rescale == 0.7
    assert '"guidance_rescale": 0.7' in image_metadata(result.report.to_dict())["obclip"]
