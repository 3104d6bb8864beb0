"""Candidate basis: a few candidates run, the rest are composed from them; exact where it claims to be,
counted as it runs, and blind to which candidate is the user's."""

from __future__ import annotations

import math

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from accel.accel_tiny import TEXT_LEN, TINY_UNET, candidate_batch, step_inputs
from obclip.accel import (
    AccelConfig,
    BatchLayout,
    CandidateBasisConfig,
    SharedUncondConfig,
    apply_accelerations,
)
from obclip.accel.candidate_basis import basis_size, choose_basis
from obclip.errors import InvalidInputError

STEPS = range(3)


def run(unet, cfg, layout, x, ctx, steps=STEPS):
    outs, plans = [], []
    with torch.no_grad(), apply_accelerations(unet, cfg, layout) as session:
        for i in steps:
            plans.append(session.begin_step(i))
            xi, ti = step_inputs(x, i)
            outs.append(unet(xi, ti, encoder_hidden_states=ctx, return_dict=False)[0])
        bases = session.states.get("candidate_basis")
        bases = bases.bases if bases is not None else None
    return outs, plans, bases


def stock(unet, x, ctx, steps=STEPS):
    with torch.no_grad():
        return [unet(*step_inputs(x, i), encoder_hidden_states=ctx, return_dict=False)[0] for i in steps]


def test_basis_size_grows_as_the_square_root():
    assert [basis_size(n, 1.5) for n in (1, 2, 3, 6, 18, 30, 36)] == [1, 2, 3, 4, 7, 9, 9]
    default = CandidateBasisConfig().scale
    assert [basis_size(n, default) for n in (2, 6, 18, 30, 36)] == [2, 3, 6, 7, 8]
    assert basis_size(6, 100.0) == 6 and basis_size(6, 0.01) == 1


def test_a_basis_of_the_whole_group_is_stock(unet):
    x, ctx = candidate_batch(3)
    cfg = AccelConfig(candidate_basis=CandidateBasisConfig(scale=2.0))  # ceil(2 sqrt 3) = 4 > 3
    outs, plans, _ = run(unet, cfg, BatchLayout(3), x, ctx)
    for out, ref, plan in zip(outs, stock(unet, x, ctx), plans, strict=True):
        assert plan.rows == 6
        assert torch.equal(out, ref)


def test_members_run_stock_and_the_others_are_their_affine_combination(unet):
    n = 6
    x, ctx = candidate_batch(n, seed=4)
    cfg = AccelConfig(candidate_basis=CandidateBasisConfig(scale=1.5))
    outs, plans, bases = run(unet, cfg, BatchLayout(n), x, ctx)
    (basis,) = bases
    members = list(basis.members)
    assert len(members) == 4 and members[0] == 0 and plans[0].rows == 8
    keep = members + [n + m for m in members]
    weights = basis.weights.float()
    assert torch.allclose(weights.sum(dim=1), torch.ones(n, dtype=torch.float32))
    for step, out in enumerate(outs):
        xi, ti = step_inputs(x, step)
        with torch.no_grad():
            reduced = unet(xi[keep], ti, encoder_hidden_states=ctx[keep], return_dict=False)[0]
        assert torch.equal(out[keep], reduced)
        for half in (0, n):
            block = reduced[: len(members)] if half == 0 else reduced[len(members) :]
            composed = torch.einsum("cb,b...->c...", weights, block)
            torch.testing.assert_close(out[half : half + n], composed, rtol=1e-5, atol=1e-6)


def test_identical_candidates_are_composed_exactly(unet):
    n = 5
    x, ctx = candidate_batch(n, same_text=True)
    outs, _, bases = run(unet, AccelConfig(candidate_basis=CandidateBasisConfig(scale=0.5)), BatchLayout(n), x, ctx)
    assert len(bases[0].members) == 2
    for out, ref in zip(outs, stock(unet, x, ctx), strict=True):
        torch.testing.assert_close(out, ref, rtol=1e-5, atol=1e-6)


@settings(max_examples=20, deadline=None)
@given(levels=st.lists(st.integers(2, 3), min_size=2, max_size=3), seed=st.integers(0, 1000))
def test_an_additive_grid_is_spanned_by_one_plus_its_levels(levels, seed):
    """Features that add one vector per attribute value (a full grid) are rebuilt exactly from a basis of
    1 + sum(n_i - 1) members: the greedy choice finds the spanning candidates whatever the order."""
    g = torch.Generator().manual_seed(seed)
    effects = [torch.randn(n, 40, generator=g, dtype=torch.float64) for n in levels]
    grid = torch.cartesian_prod(*(torch.arange(n) for n in levels)).reshape(-1, len(levels))
    order = torch.randperm(len(grid), generator=g)
    base = torch.randn(40, generator=g, dtype=torch.float64)
    feats = torch.stack([base + sum(effects[a][v] for a, v in enumerate(row)) for row in grid[order].tolist()])
    basis = choose_basis(feats, 1 + sum(n - 1 for n in levels))
    assert basis.members[0] == 0
    rebuilt = basis.weights @ feats[list(basis.members)]
    torch.testing.assert_close(rebuilt, feats, rtol=1e-9, atol=1e-9)


def test_the_choice_depends_on_the_conditioning_only():
    """Wire order decides ties and nothing else enters: the same features give the same basis, and
    features that differ only in which candidate is first choose that one as pivot."""
    g = torch.Generator().manual_seed(0)
    feats = torch.randn(6, 30, generator=g)
    first, again = choose_basis(feats, 3), choose_basis(feats.clone(), 3)
    assert first.members == again.members and torch.equal(first.weights, again.weights)
    ties = torch.zeros(4, 3)
    assert choose_basis(ties, 2).members == (0, 1)


def test_shared_uncond_and_the_other_techniques_plan_on_the_basis():
    cfg = AccelConfig.preset("recommended", 10).replace(candidate_basis=CandidateBasisConfig(scale=1.5))
    from accel.accel_tiny import make_unet

    with apply_accelerations(make_unet(), cfg, BatchLayout(groups=(6, 2)), num_steps=25) as session:
        step0, step1 = session.begin_step(0), session.begin_step(1)
    # Groups of 6 and 2 run 4 and 2: uncond pivots of both groups, then their basis cond rows (step 0).
    assert step0.rows == 2 + 6 and step0.groups == ((0, 1), (1, 1), (2, 4), (6, 2))
    assert step1.rows == 12 and step1.groups == ((0, 4), (4, 2), (6, 4), (10, 2))
    assert step1.batch.changed_by == ("candidate_basis",)


def test_the_cost_is_the_basis_run_plus_the_composition():
    """On `meta`, stepping the real hooks: N = 6 with a basis of 4 costs N = 4 plus the composing matmul
    (6 x 4 weights times every latent element, both halves, every step)."""
    from obclip.engine.flops import ForwardMemo, build_meta_unet, count_request

    unet = build_meta_unet(TINY_UNET)
    memo = ForwardMemo()
    basis = AccelConfig(candidate_basis=CandidateBasisConfig(scale=1.5))
    six = count_request(unet, basis, BatchLayout(6), 0, 3, text_len=TEXT_LEN, memo=memo)
    four = count_request(unet, AccelConfig(), BatchLayout(4), 0, 3, text_len=TEXT_LEN, memo=memo)
    compose = 2 * 6 * 4 * (4 * 8 * 8)
    assert six.total.conv_linear == four.total.conv_linear + 3 * compose
    assert six.total.attention == four.total.attention
    assert all(step == six.per_step[0] for step in six.per_step)


def test_stopping_runs_every_candidate_from_the_composed_latents(unet):
    n = 4
    x, ctx = candidate_batch(n)
    cfg = AccelConfig(candidate_basis=CandidateBasisConfig(scale=1.0, stop_step=2))
    outs, plans, _ = run(unet, cfg, BatchLayout(n), x, ctx)
    assert [p.rows for p in plans] == [4, 4, 8]
    assert torch.equal(outs[2], stock(unet, x, ctx)[2])


@pytest.mark.parametrize(
    "bad", [{"scale": 0}, {"scale": -1.0}, {"scale": True}, {"scale": "2"}, {"scale": math.nan}, {"stop_step": -1}]
)
def test_bad_settings_are_refused(bad):
    with pytest.raises(InvalidInputError):
        AccelConfig.from_dict({"candidate_basis": bad}).validate()


def test_wire_form_and_flags():
    cfg = AccelConfig(candidate_basis=CandidateBasisConfig(scale=1.2, stop_step=None))
    assert cfg.to_dict()["candidate_basis"] == {"scale": 1.2, "stop_step": None}
    assert AccelConfig.from_dict(cfg.to_dict()) == cfg
    assert AccelConfig(shared_uncond=SharedUncondConfig()).to_dict()["candidate_basis"] is None
    import argparse

    from obclip.accel.flags import add_accel_arguments, config_from_args

    parser = argparse.ArgumentParser()
    add_accel_arguments(parser)
    args = parser.parse_args(["--candidate-basis-scale", "1.2"])
    assert config_from_args(args) == cfg


def test_nothing_the_cloud_sends_receives_or_runs_depends_on_which_candidate_is_the_users():
    """The device builds the request from each member of one candidate set in turn (as if each were the
    user's prompt): the request bytes, the answer bytes and the rows the UNet runs on every step are the
    same, with the candidate basis and the recommended stack on."""
    from obclip.engine import CloudEngine, DenoiseSpec, load_model
    from obclip.privacy import build_candidate_set
    from obclip.service.protocol import encode_request, encode_state

    model = load_model("embedded:tiny-random")
    engine = CloudEngine(model)
    work: list[int] = []
    # Rows the UNet body runs (conv_in sees them after every acceleration hook).
    handle = model.unet.conv_in.register_forward_pre_hook(lambda module, args: work.append(args[0].shape[0]))
    accel = AccelConfig.preset("recommended", 3).replace(candidate_basis=CandidateBasisConfig())
    members = build_candidate_set("a young woman holding her hat", seed=3).candidates
    seen = set()
    try:
        for member in members[:3]:
            cset = build_candidate_set(member, seed=3)
            spec = DenoiseSpec(cset.candidates, steps=4, switch_step=3, seed=9, accel=accel)
            work.clear()
            answer = encode_state(engine.run(spec))
            seen.add((encode_request(spec), answer, tuple(work)))
    finally:
        handle.remove()
    assert len(seen) == 1
    ((_, _, rows),) = seen
    assert len(members) == 6 and rows == (1 + 3, 6, 6)  # basis of 3: shared uncond on step 0, then 2 x 3
