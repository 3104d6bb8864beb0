"""DenoiseState on the wire: round trip, and every malformed body is a StateError."""

import dataclasses
import json
import struct

import pytest
import torch

from obclip.engine import CloudEngine, DenoiseSpec, DenoiseState, check_response
from obclip.errors import StateError

SPEC = DenoiseSpec(("a woman", "a man"), steps=6, switch_step=3, seed=1)


@pytest.fixture(scope="module")
def state(tiny_large):
    return CloudEngine(tiny_large).run(SPEC)


def test_round_trip_keeps_every_field(state):
    back = DenoiseState.from_bytes(state.to_bytes())
    assert torch.equal(back.latents, state.latents)
    assert torch.equal(back.timesteps, state.timesteps)
    assert back.history.keys() == state.history.keys() and back.history
    for key in state.history:
        assert torch.equal(back.history[key], state.history[key])
    assert (back.step_index, back.num_steps, back.scheduler_class) == (3, 6, "DPMSolverMultistepScheduler")
    assert back.scheduler_config == json.loads(json.dumps(state.scheduler_config))
    assert back.metadata["candidates_digest"] == SPEC.candidates_digest()


def test_select_keeps_one_row_and_its_history(state):
    one = state.select(1)
    assert torch.equal(one.latents, state.latents[1:2])
    for key, value in one.history.items():
        assert torch.equal(value, state.history[key][1:2])
    with pytest.raises(RuntimeError):  # a caller's bug, not the cloud's: never a 4xx or exit status 2
        state.select(2)


@pytest.mark.parametrize(
    "mangle",
    [
        lambda b: b[:4],
        lambda b: b[:-8],
        lambda b: struct.pack("<Q", 10**12) + b[8:],
        lambda b: b"\x00" * 64,
        lambda b: b.replace(b"obclip-denoise-state/1", b"obclip-denoise-state/9"),
    ],
    ids=["truncated-header", "truncated-body", "huge-header", "zeros", "wrong-format"],
)
def test_malformed_bytes_are_state_errors(state, mangle):
    with pytest.raises(StateError):
        DenoiseState.from_bytes(mangle(state.to_bytes()))


def test_non_finite_latents_are_refused(state):
    bad = state.latents.clone()
    bad[0, 0, 0, 0] = float("nan")
    with pytest.raises(StateError, match="NaN"):
        dataclasses.replace(state, latents=bad)


def test_response_must_match_the_request(state, tiny_large):
    check_response(state, SPEC, tiny_large)
    swapped = DenoiseSpec(tuple(reversed(SPEC.candidates)), steps=6, switch_step=3, seed=1)
    with pytest.raises(StateError, match="order"):
        check_response(state, swapped, tiny_large)
    with pytest.raises(StateError, match="switch_step"):
        check_response(state, dataclasses.replace(SPEC, switch_step=2), tiny_large)
    with pytest.raises(StateError, match="seed"):
        check_response(state, dataclasses.replace(SPEC, seed=2), tiny_large)
    wrong_shape = dataclasses.replace(state, latents=state.latents[:, :, :4, :4].contiguous())
    with pytest.raises(StateError, match="shape"):
        check_response(wrong_shape, SPEC, tiny_large)
