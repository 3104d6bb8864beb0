"""ObclipPipeline: the diffusers-shaped entry point gives the command line's pixels, places each
half's models where asked, reports steps through diffusers' callback, and refuses what plan refuses."""

import numpy as np
import pytest
import torch
from PIL import Image

from obclip.api import generate, plan
from obclip.cli import main
from obclip.engine import CloudEngine
from obclip.engine import models as engine_models
from obclip.errors import InvalidInputError
from obclip.pipeline import ObclipPipeline, seeds_of

TINY = "embedded:tiny-random"


class RecordingCloud:
    """Runs in-process and keeps every spec it is sent."""

    def __init__(self, model):
        self.engine = CloudEngine(model)
        self.specs = []

    def denoise(self, spec):
        self.specs.append(spec)
        return self.engine.run(spec)


@pytest.mark.slow
def test_the_pipeline_makes_the_command_lines_pixels_for_generator_seed_0(tmp_path, capsys):
    pipe = ObclipPipeline.from_pretrained("embedded:default").to("cpu", torch.float32)
    out = pipe("portrait of an old man", num_inference_steps=25, generator=torch.Generator().manual_seed(0))
    path = tmp_path / "cli.png"
    assert main(["generate", "portrait of an old man", "--seed", "0", "--out", str(path), "--quiet"]) == 0
    capsys.readouterr()
    mine, theirs = np.asarray(out.images[0].convert("RGB")), np.asarray(Image.open(path).convert("RGB"))
    assert mine.shape == theirs.shape and np.array_equal(mine, theirs)
    assert out.results[0].report.seed == 0 and out.results[0].report.steps == 25


def test_a_generator_stands_for_its_initial_seed():
    used = torch.Generator().manual_seed(7)
    torch.randn(3, generator=used)  # its state moves on; its seed does not
    assert seeds_of(used, None) == [7]
    assert seeds_of([torch.Generator().manual_seed(1), torch.Generator().manual_seed(2)], None) == [1, 2]
    assert seeds_of(None, 5) == [5] and seeds_of(None, [3, 4]) == [3, 4] and seeds_of(None, None) == [None]
    with pytest.raises(InvalidInputError, match="not both"):
        seeds_of(torch.Generator(), 0)


def test_a_call_equals_generate_and_takes_diffusers_names(tiny_large):
    pipe = ObclipPipeline.from_pretrained(TINY)
    out = pipe("a photo of an old man", num_inference_steps=3, switch_step=1, guidance_scale=5.0, seed=[4, 5],
               shuffle_seed=0)  # fmt: skip
    assert len(out.images) == 2 and [r.report.seed for r in out.results] == [4, 5]
    assert (out.results[0].report.steps, out.results[0].report.guidance) == (3, 5.0)
    one = generate("a photo of an old man", large=TINY, steps=3, switch_step=1, guidance=5.0, seed=4, shuffle_seed=0)
    torch.testing.assert_close(out.results[0].latents, one.latents, rtol=0, atol=0)
    with pytest.raises(TypeError, match="from_pretrained"):
        pipe("a photo", large="embedded:other")


def test_each_half_has_its_own_device_and_dtype():
    pipe = ObclipPipeline.from_pretrained(TINY, cloud_dtype=torch.bfloat16)
    assert pipe.device_half.model.unet.dtype == torch.float32
    assert pipe.cloud.load().model.unet.dtype == torch.bfloat16
    assert pipe.device_half.model.vae is not pipe.cloud.load().model.vae  # not one module cast for both
    pipe.to("cpu", torch.bfloat16)
    assert pipe.dtype == torch.bfloat16 and pipe.device_half.model.unet.dtype == torch.bfloat16
    for device, dtype in (("cuda:99", None), ("nowhere", None), ("cpu", "float64")):
        with pytest.raises(InvalidInputError):
            ObclipPipeline.from_pretrained(TINY, device=device, torch_dtype=dtype)


def test_callback_on_step_end_sees_every_step_and_can_change_the_latents():
    pipe = ObclipPipeline.from_pretrained(TINY)
    seen = []

    def record(p, step, timestep, values):
        assert p is pipe
        seen.append((values["phase"], step, tuple(values["latents"].shape)))
        return values

    plain = pipe("a photo of an old man", num_inference_steps=4, switch_step=2, seed=1, shuffle_seed=0,
                 callback_on_step_end=record)  # fmt: skip
    n = plain.results[0].report.num_candidates
    assert [(phase, step) for phase, step, _ in seen] == [("cloud", 0), ("cloud", 1), ("device", 2), ("device", 3)]
    assert seen[0][2][0] == n and seen[-1][2][0] == 1  # the cloud's N rows, then the device's own row

    def zero_last(p, step, timestep, values):
        return {"latents": torch.zeros_like(values["latents"])} if step == 3 else values

    changed = pipe("a photo of an old man", num_inference_steps=4, switch_step=2, seed=1, shuffle_seed=0,
                   callback_on_step_end=zero_last)  # fmt: skip
    assert not torch.equal(changed.results[0].latents, plain.results[0].latents)
    assert torch.count_nonzero(changed.results[0].latents) == 0

    def stop(p, step, timestep, values):
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        pipe("a photo of an old man", num_inference_steps=4, switch_step=2, seed=1, callback_on_step_end=stop)


@pytest.mark.parametrize("negative", ["a woman", "beard", "an elderly person"])
def test_plan_refuses_a_negative_prompt_that_states_an_attribute(tiny_large, negative):
    with pytest.raises(InvalidInputError, match="negative prompt"):
        plan("portrait of a young man", large=TINY, negative_prompt=negative)
    cloud = RecordingCloud(tiny_large)
    with pytest.raises(InvalidInputError, match="negative prompt"):
        generate("portrait of a young man", large=TINY, steps=2, switch_step=1, negative_prompt=negative, cloud=cloud)
    with pytest.raises(InvalidInputError, match="negative prompt"):
        ObclipPipeline.from_pretrained(TINY, cloud=cloud)("portrait of a young man", negative_prompt=negative)
    assert cloud.specs == []  # nothing was sent
    assert plan("portrait of a young man", large=TINY, negative_prompt="blurry").spec.negative_prompt == "blurry"


def test_the_model_cache_is_bounded_and_clearable(monkeypatch):
    cache = engine_models.ModelCache()  # the test's own: the session's models stay cached for the others
    monkeypatch.setattr(engine_models, "_cache", cache)
    monkeypatch.setattr(engine_models, "_cache_lock", cache.lock)
    engine_models.load_model(TINY)
    assert len(cache) > 3
    engine_models.set_model_cache_size(3)
    assert len(cache) == 3
    engine_models.load_model(TINY, dtype=torch.bfloat16)  # loads and caches more parts: the oldest go
    assert len(cache) == 3
    with pytest.raises(InvalidInputError):
        engine_models.set_model_cache_size(0)
    engine_models.clear_model_cache()
    assert len(cache) == 0
    assert engine_models.load_model(TINY).unet is not None  # loads again after a clear


def test_generate_hands_its_connect_timeout_to_a_remote_cloud():
    from obclip.errors import ServiceError
    from obclip.service.client import HttpCloud, HttpOptions

    pipe = ObclipPipeline.from_pretrained(TINY, cloud="http://127.0.0.1:9", http=HttpOptions.of(connect_timeout=0.5))
    assert isinstance(pipe.cloud, HttpCloud) and pipe.cloud.connect_timeout == 0.5
    with pytest.raises(ServiceError, match=r"cannot reach the cloud .* in 0\.\d+ s"):
        generate("a photo of an old man", large=TINY, steps=2, switch_step=1, cloud="http://127.0.0.1:9",
                 connect_timeout=0.5)  # fmt: skip
