"""Cross-request batching: a request's result is the one it gets alone, whatever it shares the UNet with.

CPU kernels are not batch-invariant: the same row run in a UNet batch of another size can differ
in the last bits. Measured over these tests' shapes (tiny-random; portrait-large alike), the
worst relative difference to the lone run is ~7e-7 for DPM-Solver++ and Euler and ~2.3e-5 for
DDIM, whose intermediate latents have about 1/14 of Euler's norm for the same absolute error.
The bounds tested are 1e-5 and 1e-4. Where the batch shape is the same, results are bit-identical.
"""

from dataclasses import replace

import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from obclip.engine import CloudEngine, DenoiseSpec, DeviceEngine
from obclip.engine.batching import BatchPolicy, batch_key, take_batch, unet_rows
from obclip.eval.reference import relative_error

STEPS = 6
BOUND = {"dpmsolver++": 1e-5, "euler": 1e-5, "ddim": 1e-4}


def make_spec(seed: int, n: int, *, scheduler: str = "dpmsolver++", tag: str = "", **options) -> DenoiseSpec:
    candidates = tuple(f"portrait {tag}{seed} of person number {i}" for i in range(n))
    options = {"steps": STEPS, "switch_step": 4, "guidance": 5.0, **options}
    return DenoiseSpec(candidates, scheduler=scheduler, seed=seed, **options)


def assert_same_as_alone(batched, alone, bound: float) -> None:
    assert batched.num_candidates == alone.num_candidates
    assert batched.metadata == alone.metadata
    assert batched.history_meta == alone.history_meta
    assert batched.scheduler_config == alone.scheduler_config
    assert torch.equal(batched.timesteps, alone.timesteps)
    assert relative_error(batched.latents, alone.latents) <= bound
    assert batched.history.keys() == alone.history.keys()
    for name, tensor in alone.history.items():
        assert batched.history[name].shape == tensor.shape
        assert relative_error(batched.history[name], tensor) <= bound


@pytest.fixture(scope="module")
def engine(tiny_large):
    return CloudEngine(tiny_large)


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    sizes=st.lists(st.integers(1, 4), min_size=1, max_size=4),
    scheduler=st.sampled_from(sorted(BOUND)),
    guidance=st.sampled_from([1.0, 5.0]),
    first_seed=st.integers(0, 1000),
)
def test_every_request_in_a_batch_gets_its_lone_result(engine, sizes, scheduler, guidance, first_seed):
    specs = [make_spec(first_seed + i, n, scheduler=scheduler, guidance=guidance) for i, n in enumerate(sizes)]
    batched = engine.run_batch(specs)
    assert len(batched) == len(specs)
    for spec, state in zip(specs, batched, strict=True):
        assert state.metadata["candidates_digest"] == spec.candidates_digest()
        assert_same_as_alone(state, engine.run(spec), BOUND[scheduler])


def test_a_request_does_not_depend_on_the_other_candidates_in_its_batch(engine):
    """Same batch shape, other neighbours (other prompts, other seed): bit-identical rows."""
    mine = make_spec(1, 3)
    with_b = engine.run_batch([mine, make_spec(2, 2, tag="b")])[0]
    with_c = engine.run_batch([mine, make_spec(9, 2, tag="c")])[0]
    assert torch.equal(with_b.latents, with_c.latents)
    for name in with_b.history:
        assert torch.equal(with_b.history[name], with_c.history[name])


def test_each_request_starts_from_its_own_seed(engine):
    a, b = engine.run_batch([make_spec(1, 2, switch_step=0), make_spec(2, 2, switch_step=0)])
    alone_a, alone_b = engine.run(make_spec(1, 2, switch_step=0)), engine.run(make_spec(2, 2, switch_step=0))
    assert torch.equal(a.latents, alone_a.latents) and torch.equal(b.latents, alone_b.latents)
    assert not torch.equal(a.latents[0], b.latents[0])


def test_a_batched_state_hands_off_to_the_device_like_a_lone_one(tiny_pair, engine):
    specs = [make_spec(3, 2), make_spec(4, 3)]
    state = engine.run_batch(specs)[1]
    device = DeviceEngine(tiny_pair[1])
    got = device.finish(state.select(2), specs[1].candidates[2], guidance=specs[1].guidance)
    want = device.finish(engine.run(specs[1]).select(2), specs[1].candidates[2], guidance=specs[1].guidance)
    assert relative_error(got, want) <= 1e-5


def test_requests_that_cannot_share_a_unet_call_are_refused_together(engine):
    with pytest.raises(RuntimeError, match="cannot share"):
        engine.run_batch([make_spec(1, 2), make_spec(2, 2, switch_step=3)])


@pytest.mark.parametrize(
    "change",
    [{"steps": 8}, {"switch_step": 3}, {"scheduler": "ddim"}, {"guidance": 6.0}, {"height": 32}, {"width": 48}],
)
def test_batch_key_separates_what_changes_the_unet_call(tiny_large, change):
    spec = make_spec(1, 2)
    assert batch_key(spec, tiny_large) == batch_key(make_spec(7, 5, tag="x"), tiny_large)
    assert batch_key(spec, tiny_large) != batch_key(replace(spec, **change), tiny_large)


def test_the_model_size_and_an_explicit_equal_size_share_a_batch(tiny_large):
    size = tiny_large.default_size
    assert batch_key(make_spec(1, 2), tiny_large) == batch_key(make_spec(2, 2, height=size, width=size), tiny_large)


@pytest.mark.parametrize("preset", ["paper", "recommended"])
def test_accelerated_requests_share_a_batch_each_as_its_own_group(engine, tiny_large, preset):
    """Same acceleration settings: one batch, each request its own pivots, uncond rows and caches."""
    from obclip.accel import AccelConfig

    accel = AccelConfig.preset(preset, 4)
    specs = [make_spec(1, 2, accel=accel), make_spec(2, 3, accel=accel), make_spec(3, 1, accel=accel)]
    assert len({batch_key(s, tiny_large) for s in specs}) == 1
    for spec, state in zip(specs, engine.run_batch(specs), strict=True):
        assert_same_as_alone(state, engine.run(spec), BOUND[spec.scheduler])
    # Other settings (or none) are another batch; "all off" is no acceleration.
    other = make_spec(4, 2, accel=AccelConfig.preset(preset, 3))
    assert batch_key(other, tiny_large) != batch_key(specs[0], tiny_large)
    assert batch_key(make_spec(1, 2), tiny_large) != batch_key(specs[0], tiny_large)
    assert batch_key(make_spec(1, 2, accel=AccelConfig()), tiny_large) == batch_key(make_spec(3, 2), tiny_large)


def test_take_batch_keeps_the_oldest_first_and_the_others_in_order(tiny_large):
    a1, b1, a2, b2, a3 = (
        make_spec(1, 2),
        make_spec(2, 2, switch_step=3),
        make_spec(3, 2),
        make_spec(4, 2, switch_step=3),
        make_spec(5, 2),
    )
    pending = [a1, b1, a2, b2, a3]
    assert take_batch(pending, lambda s: s, tiny_large, BatchPolicy()) == [a1, a2, a3]
    assert pending == [b1, b2]
    assert take_batch(pending, lambda s: s, tiny_large, BatchPolicy()) == [b1, b2]
    assert pending == [] and take_batch(pending, lambda s: s, tiny_large, BatchPolicy()) == []


def test_take_batch_respects_the_row_cap_and_the_memory_budget(tiny_large):
    specs = [make_spec(i, n) for i, n in enumerate([2, 3, 1, 2])]  # guided: 4, 6, 2, 4 UNet rows
    assert [unet_rows(s) for s in specs] == [4, 6, 2, 4]
    pending = list(specs)
    assert take_batch(pending, lambda s: s, tiny_large, BatchPolicy(max_rows=7)) == [specs[0], specs[2]]
    assert pending == [specs[1], specs[3]]
    latent = (tiny_large.default_size // tiny_large.vae_scale_factor) ** 2
    pending = list(specs)
    budget = BatchPolicy(max_latent_pixels=10 * latent)
    assert take_batch(pending, lambda s: s, tiny_large, budget) == [specs[0], specs[1]]
    # A request over the caps on its own still runs, alone.
    big = make_spec(9, 8)
    pending = [big, specs[0]]
    assert take_batch(pending, lambda s: s, tiny_large, BatchPolicy(max_rows=4)) == [big]


def test_batching_off_takes_one_request_at_a_time(tiny_large):
    pending = [make_spec(1, 2), make_spec(2, 2)]
    assert len(take_batch(pending, lambda s: s, tiny_large, BatchPolicy(enabled=False))) == 1
    assert len(pending) == 1


def test_policy_rejects_nonsense_limits():
    from obclip.errors import InvalidInputError

    with pytest.raises(InvalidInputError):
        BatchPolicy(max_rows=0)
    with pytest.raises(InvalidInputError):
        BatchPolicy(max_latent_pixels=True)
