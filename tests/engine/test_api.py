"""generate(): what the cloud is sent depends on the candidate set only; the device keeps its row."""

import dataclasses

import pytest
import torch

from obclip.api import generate
from obclip.engine import CloudEngine, DenoiseSpec, DeviceEngine, load_device_model
from obclip.privacy import build_candidate_set

TINY = "embedded:tiny-random"
PROMPT = "portrait of a young african woman holding her hat"


class RecordingCloud:
    """A cloud backend that keeps every spec it is sent and runs it in-process."""

    def __init__(self, model):
        self.engine = CloudEngine(model)
        self.specs: list[DenoiseSpec] = []

    def denoise(self, spec):
        self.specs.append(spec)
        return self.engine.run(spec)


def test_cloud_sees_the_same_request_whichever_candidate_is_true(tiny_large):
    cloud = RecordingCloud(tiny_large)
    members = build_candidate_set("a young woman holding her hat", seed=3).candidates
    true_prompts = []
    for member in members:
        result = generate(member, large=TINY, steps=3, switch_step=1, seed=9, shuffle_seed=3, cloud=cloud)
        true_prompts.append(result.candidate_set.true_prompt)
    first = cloud.specs[0]
    assert len(cloud.specs) == len(members) == 6
    for spec in cloud.specs:
        assert spec == first and spec.public_options() == first.public_options()
    assert sorted(true_prompts) == sorted(members)


def test_device_finishes_the_true_row_with_its_canonical_prompt(tiny_large):
    result = generate(PROMPT, large=TINY, steps=4, switch_step=2, seed=4, shuffle_seed=1)
    cset = result.candidate_set
    assert result.report.num_candidates == len(cset) == 36
    spec = DenoiseSpec(cset.candidates, steps=4, switch_step=2, seed=4)
    state = CloudEngine(tiny_large).run(spec)
    device = DeviceEngine(load_device_model(TINY))
    want = device.finish(state.select(cset.true_index), cset.true_prompt, guidance=spec.guidance)
    torch.testing.assert_close(result.latents, want, rtol=0, atol=0)
    other = (cset.true_index + 1) % len(cset)
    wrong = device.finish(state.select(other), cset.candidates[other], guidance=spec.guidance)
    assert not torch.allclose(result.latents, wrong)


def test_report_and_image(tmp_path):
    result = generate("a photo of an old man", large=TINY, steps=3, switch_step=1, seed=0, shuffle_seed=0)
    report = result.report
    assert (report.num_candidates, report.switch_step, report.steps) == (len(result.candidate_set), 1, 3)
    assert report.small == "embedded:tiny-random-small"
    assert report.state_bytes > 0 and set(report.timings) >= {"cloud_s", "device_s", "decode_s", "total_s"}
    assert result.image.size == (report.width, report.height) == (64, 64)
    path = result.save(tmp_path / "x.png")
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_a_cloud_that_answers_another_request_is_caught(tiny_large):
    from obclip.errors import StateError

    class WrongStepsCloud(RecordingCloud):
        def denoise(self, spec):
            return super().denoise(dataclasses.replace(spec, switch_step=spec.switch_step - 1))

    class OtherSetCloud(RecordingCloud):
        def denoise(self, spec):
            return super().denoise(dataclasses.replace(spec, candidates=tuple(reversed(spec.candidates))))

    for cloud in (WrongStepsCloud(tiny_large), OtherSetCloud(tiny_large)):
        with pytest.raises(StateError):
            generate(PROMPT, large=TINY, steps=3, switch_step=2, seed=1, cloud=cloud)


def test_a_model_taxonomy_extends_the_default(tmp_path):
    import shutil

    from obclip.api import resolve_taxonomy
    from obclip.engine.embedded import REGISTRY
    from obclip.privacy import default_taxonomy
    from obclip.view import TAXONOMY_FILE

    assert resolve_taxonomy(None, TINY) is default_taxonomy()
    world = REGISTRY["portrait-large"].taxonomy_path()
    assert world is not None and world.is_file()
    shutil.copy(world, tmp_path / TAXONOMY_FILE)
    combined = resolve_taxonomy(None, str(tmp_path))
    assert {"gender", "age", "skin", "ethnicity"} <= {a.name for a in combined.attributes}
    assert resolve_taxonomy(str(world), str(tmp_path)).source == str(world)


def test_generate_loads_each_large_model_component_once(tmp_path, monkeypatch):
    """Cloud and device bundles hold the same text encoder and VAE: every component file of the pair
    is read once per process, however many images `generate` makes."""
    import shutil
    from pathlib import Path

    from diffusers import AutoencoderKL, UNet2DConditionModel
    from transformers import CLIPTextModel, CLIPTokenizer

    from obclip.engine import load_model
    from obclip.models import model_dir

    for name in ("portrait-large", "portrait-small"):
        shutil.copytree(model_dir(name), tmp_path / name)
    large, small = (tmp_path / "portrait-large").resolve(), (tmp_path / "portrait-small").resolve()
    loads = []
    for cls in (CLIPTokenizer, CLIPTextModel, AutoencoderKL, UNet2DConditionModel):

        def counted(klass, source, *args, _original=cls.from_pretrained.__func__, **kwargs):
            loads.append((klass.__name__, Path(source).resolve(), kwargs.get("subfolder")))
            return _original(klass, source, *args, **kwargs)

        monkeypatch.setattr(cls, "from_pretrained", classmethod(counted))
    for seed in (0, 1):
        generate("a photo of an old man", large=str(large), small=str(small), steps=2, switch_step=1, seed=seed)
    assert sorted(loads, key=str) == sorted(
        [
            ("CLIPTokenizer", large, "tokenizer"),
            ("CLIPTextModel", large, "text_encoder"),
            ("AutoencoderKL", large, "vae"),
            ("UNet2DConditionModel", large, "unet"),
            ("UNet2DConditionModel", small, "unet"),
        ],
        key=str,
    )
    cloud, device = load_model(str(large)), load_device_model(str(large), str(small))
    assert device.vae is cloud.vae and device.text is cloud.text and device.unet is not cloud.unet
    assert len(loads) == 5


def test_plan_is_what_the_cloud_is_sent_and_a_local_run_never_serialises_the_state(tiny_large, monkeypatch):
    from obclip.api import plan
    from obclip.engine import DenoiseState

    def refuse(self):
        raise AssertionError("the state was serialised in-process")

    monkeypatch.setattr(DenoiseState, "to_bytes", refuse)
    cloud = RecordingCloud(tiny_large)
    result = generate(PROMPT, large=TINY, steps=3, switch_step=1, seed=5, shuffle_seed=2, cloud=cloud)
    request = plan(PROMPT, large=TINY, steps=3, switch_step=1, seed=5, shuffle_seed=2)
    assert cloud.specs == [request.spec] and request.candidate_set.candidates == result.candidate_set.candidates
    n, rows = len(request.candidate_set), 4 * 8 * 8 * 4  # float32 latents of 4 x 8 x 8 per candidate
    assert result.report.state_bytes >= n * rows
    assert set(result.report.timings) == {"prepare_s", "load_device_s", "cloud_s", "device_s", "decode_s", "total_s"}


def test_residual_risk_is_reported_and_strict_refuses_before_the_cloud(tiny_large):
    from obclip.api import plan
    from obclip.errors import InvalidInputError

    prompt = "a woman in a hijab, bearded man nearby"
    # the cues are sent as written only under keep-cues (by default they are generalised)
    result = generate(prompt, large=TINY, steps=2, switch_step=1, seed=0, shuffle_seed=0, policy="keep-cues")
    words = {r["word"] for r in result.report.residual}
    assert words == {r.word for r in result.candidate_set.residual} and {"hijab", "bearded"} <= words
    assert all(word in c for word in words for c in result.report.candidates)
    assert result.report.to_dict()["residual"] == result.report.residual

    cloud = RecordingCloud(tiny_large)
    with pytest.raises(InvalidInputError, match=r"residual risk.*hijab"):
        generate(prompt, large=TINY, steps=2, switch_step=1, strict=True, cloud=cloud, policy="keep-cues")
    with pytest.raises(InvalidInputError, match="strict"):
        plan(prompt, large=TINY, strict=True, policy="keep-cues")
    assert cloud.specs == []
    assert generate("a young woman", large=TINY, steps=2, switch_step=1, strict=True, cloud=cloud).report.residual == []
    assert len(cloud.specs) == 1


def test_religion_is_varied_only_when_opted_in(tiny_large):
    cloud = RecordingCloud(tiny_large)
    off = generate("a man in a turban", large=TINY, steps=2, switch_step=1, seed=1, shuffle_seed=2, cloud=cloud)
    on = generate(
        "a man in a turban",
        large=TINY,
        steps=2,
        switch_step=1,
        seed=1,
        shuffle_seed=2,
        opt_in=("religion",),
        cloud=cloud,
    )
    assert (off.report.num_candidates, on.report.num_candidates) == (2, 12)
    assert all("head covering" in c for c in cloud.specs[0].candidates)  # a cue, generalised by default
    assert sum("turban" in c for c in cloud.specs[1].candidates) == 2
    assert on.report.taxonomy == "default+religion" and on.report.residual == []
    assert on.candidate_set.true_prompt == "a man in a turban"
