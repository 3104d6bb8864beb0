"""Several candidate groups in one UNet batch (cross-request batching): every group's rows equal what
the group gets alone, for every technique, with and without SDXL's added conditioning."""

from __future__ import annotations

import pytest
import torch
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from accel.accel_tiny import TINY_SDXL_UNET, candidate_batch, make_unet, sdxl_added, step_inputs
from obclip.accel import (
    AccelConfig,
    AttentionCacheConfig,
    BatchLayout,
    BatchReuseConfig,
    BlockSkipConfig,
    CandidateBasisConfig,
    SharedUncondConfig,
    apply_accelerations,
)
from obclip.errors import InvalidInputError

CONFIGS = {
    "batch_reuse": AccelConfig(batch_reuse=BatchReuseConfig()),
    "attention_cache": AccelConfig(attention_cache=AttentionCacheConfig(cache_step=1, cache_interval=2)),
    "block_skip": AccelConfig(block_skip=BlockSkipConfig(skip_step=2, mode="shallow_branch")),
    "shared_uncond": AccelConfig(shared_uncond=SharedUncondConfig()),
    "all": AccelConfig(
        batch_reuse=BatchReuseConfig(attention="self"),
        attention_cache=AttentionCacheConfig(cache_step=2, self_attention="reuse"),
        block_skip=BlockSkipConfig(skip_step=2),
        shared_uncond=SharedUncondConfig(stop_step=3),
    ),
    # Groups of 2 and 3 run 1 and 2 candidates (ceil(0.7 sqrt(N))), each group its own basis.
    "candidate_basis": AccelConfig(candidate_basis=CandidateBasisConfig(scale=0.7)),
    "basis_and_all": AccelConfig(
        batch_reuse=BatchReuseConfig(attention="self"),
        attention_cache=AttentionCacheConfig(cache_step=2, self_attention="reuse"),
        block_skip=BlockSkipConfig(skip_step=2),
        shared_uncond=SharedUncondConfig(stop_step=3),
        candidate_basis=CandidateBasisConfig(scale=0.7, stop_step=3),
    ),
}
STEPS = range(4)
UNETS = {"sd": make_unet(), "sdxl": make_unet(TINY_SDXL_UNET)}


def group_inputs(sizes, sdxl, seed, guidance=True):
    """Per group: latents (one z_T each, different per group), text and added conditioning."""
    groups = []
    for g, n in enumerate(sizes):
        x, ctx = candidate_batch(n, seed=seed + 10 * g, guidance=guidance)
        added = sdxl_added(n, seed=seed + 10 * g + 1, guidance=guidance) if sdxl else None
        groups.append((x, ctx, added))
    return groups


def batched(groups, sizes, guidance=True):
    """The groups' rows in layout order: every group's uncond rows, then every group's cond rows."""
    if not guidance:
        added = None if groups[0][2] is None else {k: torch.cat([g[2][k] for g in groups]) for k in groups[0][2]}
        return torch.cat([g[0] for g in groups]), torch.cat([g[1] for g in groups]), added

    def halves(t, n):
        return t[:n], t[n:]

    parts = [[halves(t, n) for t in (x, ctx)] for (x, ctx, _), n in zip(groups, sizes, strict=True)]
    x = torch.cat([p[0][0] for p in parts] + [p[0][1] for p in parts])
    ctx = torch.cat([p[1][0] for p in parts] + [p[1][1] for p in parts])
    added = None
    if groups[0][2] is not None:
        added = {
            key: torch.cat(
                [a[key][:n] for (_, _, a), n in zip(groups, sizes, strict=True)]
                + [a[key][n:] for (_, _, a), n in zip(groups, sizes, strict=True)]
            )
            for key in groups[0][2]
        }
    return x, ctx, added


def run_steps(unet, cfg, layout, x, ctx, added):
    outs = []
    with torch.no_grad(), apply_accelerations(unet, cfg, layout) as session:
        for i in STEPS:
            session.begin_step(i)
            xi, ti = step_inputs(x, i) if x.shape[0] else (x, 0)
            # Every group has its own z_T: the per-step perturbation is the same for all rows, as in a loop.
            outs.append(unet(xi, ti, encoder_hidden_states=ctx, added_cond_kwargs=added, return_dict=False)[0])
    return outs


def rel_err(a, b):
    return ((a - b).norm() / b.norm()).item()


@pytest.mark.parametrize("arch", ["sd", "sdxl"])
@pytest.mark.parametrize("name", list(CONFIGS))
@settings(max_examples=4, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    sizes=st.lists(st.integers(1, 3), min_size=2, max_size=3),
    seed=st.integers(0, 100),
    guidance=st.sampled_from([True, True, False]),  # without guidance: an LCM UNet's batch
)
@example(sizes=[2, 1], seed=3, guidance=False)
def test_each_group_gets_what_it_gets_alone(arch, name, sizes, seed, guidance):
    unet, cfg = UNETS[arch], CONFIGS[name]
    groups = group_inputs(sizes, arch == "sdxl", seed, guidance)
    x, ctx, added = batched(groups, sizes, guidance)
    layout = BatchLayout(groups=sizes, guidance=guidance)
    together = run_steps(unet, cfg, layout, x, ctx, added)
    m = sum(sizes)
    for g, (gx, gctx, gadded) in enumerate(groups):
        alone = run_steps(unet, cfg, BatchLayout(sizes[g], guidance=guidance), gx, gctx, gadded)
        rows = layout.candidate_rows(g)
        for step, (a, b) in enumerate(zip(together, alone, strict=True)):
            mine = torch.cat([a[rows], a[m + rows.start : m + rows.stop]]) if guidance else a[rows]
            assert rel_err(mine, b) < 1e-5, (name, sizes, g, step)


def test_layout_rows_and_groups():
    layout = BatchLayout(groups=(2, 3))
    assert (layout.num_candidates, layout.rows) == (5, 10)
    assert layout.full_batch().groups == ((0, 2), (2, 3), (5, 2), (7, 3))
    assert layout.candidate_rows(1) == slice(2, 5)
    assert BatchLayout(groups=[4]) == BatchLayout(4)
    assert BatchLayout(groups=(2, 3), guidance=False).full_batch().groups == ((0, 2), (2, 3))
    for bad in ((), (0, 2), (2, 1.5), "22", 3):
        with pytest.raises(InvalidInputError):
            BatchLayout(groups=bad)  # type: ignore[arg-type]
    with pytest.raises(InvalidInputError):
        BatchLayout(2, groups=(2,))


def test_shared_uncond_keeps_one_uncond_row_per_group():
    with apply_accelerations(UNETS["sd"], CONFIGS["shared_uncond"], BatchLayout(groups=(2, 3))) as session:
        plan = session.begin_step(0)
    assert plan.rows == 2 + 5
    assert plan.get("shared_uncond").keep == (0, 2, 5, 6, 7, 8, 9)
    assert plan.groups == ((0, 1), (1, 1), (2, 2), (4, 3))
