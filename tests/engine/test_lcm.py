"""LCM: guidance embedding instead of unconditional rows, per-step noise seeded from (seed, step),
the paper's 8-step k = 4 setting with the device-side timestep shift, and the scheduler/UNet check."""

from __future__ import annotations

import pytest
import torch

from obclip.engine import CloudEngine, DenoiseSpec, DeviceEngine, ModelBundle, denoise, load_model
from obclip.engine.architectures import make_conditioner
from obclip.engine.cloud import initial_noise
from obclip.engine.conditioning import cfg_scale, unet_conditioning
from obclip.engine.loop import step_seed
from obclip.engine.schedulers import make_scheduler, start_at
from obclip.engine.sdxl import build_tiny_sdxl_large, tiny_sdxl_unet
from obclip.errors import InvalidInputError

CANDIDATES = ("a photo of a young woman", "a photo of an old man")


@pytest.fixture(scope="module")
def lcm_pair() -> tuple[ModelBundle, ModelBundle]:
    """LCM-distilled tiny SDXL (cloud) and a KOALA-style LCM-distilled small UNet (device)."""
    parts = build_tiny_sdxl_large()
    text = make_conditioner(parts)
    large = tiny_sdxl_unet(30, layers_per_block=2, transformer_layers=(1, 2, 4), mid_block=True, time_cond_proj_dim=16)
    small = tiny_sdxl_unet(31, layers_per_block=1, transformer_layers=(1, 2, 2), mid_block=False, time_cond_proj_dim=16)
    return (
        ModelBundle("lcm-large", large, parts.vae, text, parts.schedule),
        ModelBundle("lcm-small", small, parts.vae, text, parts.schedule),
    )


def lcm_run(model: ModelBundle, seeds: list[int] | None, *, steps: int = 8) -> torch.Tensor:
    scheduler = make_scheduler("lcm", model.schedule, steps)
    start_at(scheduler, 0)
    latents = initial_noise(0, 4, 8, 8)
    cond = unet_conditioning(model.text, model.unet, CANDIDATES[:1], guidance=8.0, size=(64, 64))
    return denoise(
        model.unet,
        scheduler,
        latents,
        cond,
        start=0,
        stop=steps,
        guidance=cfg_scale(model.unet, 8.0),
        noise_seeds=seeds,
    )


def test_lcm_unet_runs_no_unconditional_rows(lcm_pair):
    large, _ = lcm_pair
    assert cfg_scale(large.unet, 8.0) == 1.0
    cond = unet_conditioning(large.text, large.unet, CANDIDATES, guidance=8.0, size=(64, 64))
    assert len(cond) == 2 and cond.extra["timestep_cond"].shape == (2, 16)


def test_step_noise_comes_from_the_seed_and_the_step_not_the_global_rng(lcm_pair):
    large, _ = lcm_pair
    torch.manual_seed(1)
    first = lcm_run(large, [5])
    torch.manual_seed(2)
    assert torch.equal(lcm_run(large, [5]), first)
    assert float((lcm_run(large, [6]) - first).norm() / first.norm()) > 1e-3, "LCM adds seeded noise each step"
    assert len({step_seed(5, i) for i in range(8)} | {step_seed(6, i) for i in range(8)}) == 16


def test_paper_setting_with_device_timestep_shift(lcm_pair):
    """8 steps, k = 4; the device UNet reads t - dt (dt = 8) while the scheduler steps on t."""
    large, small = lcm_pair
    spec = DenoiseSpec(CANDIDATES, steps=8, switch_step=4, scheduler="lcm", guidance=8.0, seed=4)
    state = CloudEngine(large).run(spec).select(1)
    seen: list[float] = []
    handle = small.unet.register_forward_pre_hook(lambda _m, args: seen.append(float(args[1])))
    try:
        shifted = DeviceEngine(small).finish(state, CANDIDATES[1], guidance=8.0, timestep_shift=8)
        timesteps = [float(t) for t in state.timesteps[4:]]
        assert seen == [t - 8 for t in timesteps]
        seen.clear()
        plain = DeviceEngine(small).finish(state, CANDIDATES[1], guidance=8.0)
        assert seen == timesteps
    finally:
        handle.remove()
    assert torch.isfinite(shifted).all() and shifted.shape == (1, 4, 8, 8)
    assert float((shifted - plain).norm() / plain.norm()) > 1e-4


def test_lcm_unet_with_another_scheduler_is_refused(lcm_pair):
    large, _ = lcm_pair
    spec = DenoiseSpec(CANDIDATES, steps=4, switch_step=2, scheduler="dpmsolver++", seed=0)
    with pytest.raises(InvalidInputError, match=r"LCM-distilled.*--scheduler lcm"):
        CloudEngine(large).run(spec)


def test_lcm_unet_on_the_device_after_another_scheduler_is_refused(lcm_pair):
    spec = DenoiseSpec(CANDIDATES, steps=4, switch_step=2, scheduler="euler", guidance=5.0, seed=0)
    state = CloudEngine(load_model("embedded:tiny-sdxl-random")).run(spec).select(0)
    _, small = lcm_pair
    with pytest.raises(InvalidInputError, match="LCM-distilled"):
        DeviceEngine(small).finish(state, CANDIDATES[0], guidance=5.0)


def test_lcm_scheduler_with_an_undistilled_unet_warns(tiny_large):
    spec = DenoiseSpec(CANDIDATES, steps=4, switch_step=2, scheduler="lcm", seed=0)
    with pytest.warns(UserWarning, match="not LCM-distilled"):
        CloudEngine(tiny_large).run(spec)


def test_lcm_refuses_more_steps_than_its_distillation_schedule(lcm_pair):
    with pytest.raises(InvalidInputError, match="lcm cannot run 60 steps: at most 50"):
        make_scheduler("lcm", None, 60)
    spec = DenoiseSpec(CANDIDATES, steps=60, switch_step=2, scheduler="lcm", seed=0)
    with pytest.raises(InvalidInputError, match="lcm cannot run 60 steps"):
        CloudEngine(lcm_pair[0]).check(spec)  # the server's admission check, before any work


def test_cli_runs_the_paper_lcm_setting_and_refuses_a_negative_shift(tmp_path, capsys):
    import json
    import warnings

    from obclip.cli import main

    argv = ["generate", "a young woman", "--large", "embedded:tiny-lcm-sdxl-random", "--scheduler", "lcm"]
    argv += ["--steps", "8", "--switch-step", "4", "--seed", "0", "--quiet", "--json"]
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # an LCM-distilled pair with the LCM scheduler: nothing to warn about
        assert main([*argv, "--device-timestep-shift", "8", "--out", str(tmp_path / "a.png")]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["small"] == "embedded:tiny-lcm-sdxl-random-small" and report["scheduler"] == "lcm"
    assert (tmp_path / "a.png").read_bytes()[:4] == b"\x89PNG"
    assert main([*argv, "--device-timestep-shift", "-1", "--out", str(tmp_path / "b.png")]) == 2
    err = capsys.readouterr().err
    assert "timestep shift" in err and err.count("\n") == 1
    other = ["generate", "a man", "--large", "embedded:tiny-lcm-sdxl-random", "--steps", "4", "--switch-step", "2"]
    assert main([*other, "--out", str(tmp_path / "c.png")]) == 2
    err = capsys.readouterr().err
    assert "LCM-distilled" in err and "--scheduler lcm" in err and err.count("\n") == 1


def test_half_precision_lcm_sdxl_runs():
    """The guidance embedding and SDXL's time ids take the UNet inputs' dtype (float16 on a GPU)."""
    model = load_model("embedded:tiny-lcm-sdxl-random", device=torch.device("cpu"), dtype=torch.float16)
    spec = DenoiseSpec(CANDIDATES, steps=4, switch_step=2, scheduler="lcm", guidance=5.0, seed=1)
    cond = unet_conditioning(model.text, model.unet, CANDIDATES, guidance=5.0, size=(64, 64))
    assert cond.extra["timestep_cond"].dtype == cond.added_cond_kwargs["time_ids"].dtype == torch.float16
    latents = DeviceEngine(model).finish(CloudEngine(model).run(spec).select(0), CANDIDATES[0], guidance=5.0)
    assert latents.dtype == torch.float32 and torch.isfinite(latents).all()


def test_batched_lcm_requests_keep_their_own_step_noise(lcm_pair):
    """Requests sharing UNet calls each draw step noise from their own seed, as when run alone."""
    large, _ = lcm_pair
    first = DenoiseSpec(CANDIDATES, steps=8, switch_step=4, scheduler="lcm", guidance=8.0, seed=1)
    second = DenoiseSpec(("a photo of a man", "a woman"), steps=8, switch_step=4, scheduler="lcm", guidance=8.0, seed=2)
    engine = CloudEngine(large)
    batched = engine.run_batch([first, second])
    for spec, state in zip((first, second), batched, strict=True):
        alone = engine.run(spec).latents
        assert float((state.latents - alone).norm() / alone.norm()) <= 1e-4
