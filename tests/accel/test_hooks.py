"""Behaviour of each acceleration hook on tiny UNets: exactness where the design implies it."""

from __future__ import annotations

import pytest
import torch

from accel.accel_tiny import TINY_UNET_NO_MID, candidate_batch, make_unet, step_inputs
from obclip.accel import (
    AccelConfig,
    AttentionCacheConfig,
    BatchLayout,
    BatchReuseConfig,
    BlockSkipConfig,
    SharedUncondConfig,
    apply_accelerations,
)
from obclip.errors import InvalidInputError

N = 3


def run(unet, x, ctx, t=500):
    with torch.no_grad():
        return unet(x, t, encoder_hidden_states=ctx, return_dict=False)[0]


def run_steps(unet, cfg, layout, x, ctx, steps, *, vary=True, plans=None):
    outs = []
    with apply_accelerations(unet, cfg, layout) as session:
        for i in steps:
            plan = session.begin_step(i)
            if plans is not None:
                plans.append(plan)
            xi, ti = step_inputs(x, i) if vary else (x, 500)
            outs.append(run(unet, xi, ctx, ti))
    return outs


def stock_steps(unet, x, ctx, steps):
    return [run(unet, *step_inputs(x, i)[:1], ctx, step_inputs(x, i)[1]) for i in steps]


def blocks(plan):
    """The old one-word block-skip mode of a plan: full, full_store or skip."""
    decision = plan.get("block_skip")
    return "full" if decision is None else "full_store" if decision.store else "skip"


def attention_modes(plan):
    decision = plan.get("attention_cache")
    if decision is None:
        return "compute", "compute", ()
    return decision.self_attention, decision.cross_attention, decision.uncached


def module_state(unet):
    return {name: (dict(m.__dict__), getattr(m, "processor", None)) for name, m in unet.named_modules()}


ALL_ON = AccelConfig(
    batch_reuse=BatchReuseConfig(stop_step=2),
    attention_cache=AttentionCacheConfig(cache_step=2, cache_interval=2, self_attention="reuse"),
    block_skip=BlockSkipConfig(skip_step=3, skip_interval=2),
    shared_uncond=SharedUncondConfig(stop_step=1),
)


# -- off = stock, removal, sessions ----------------------------------------------------------------
@pytest.mark.parametrize("cfg", [AccelConfig(), ALL_ON])
def test_off_or_inactive_is_bit_identical_and_removal_restores(unet, cfg):
    x, ctx = candidate_batch(N)
    before = module_state(unet)
    ref = stock_steps(unet, x, ctx, range(6))
    if cfg.enabled:
        # Nothing is planned on steps 0.. when every start lies beyond them.
        cfg = AccelConfig(
            batch_reuse=BatchReuseConfig(stop_step=0),
            attention_cache=AttentionCacheConfig(cache_step=20),
            block_skip=BlockSkipConfig(skip_step=20),
            shared_uncond=SharedUncondConfig(stop_step=0),
        )
    outs = run_steps(unet, cfg, BatchLayout(N), x, ctx, range(6))
    for a, b in zip(outs, ref, strict=True):
        assert torch.equal(a, b)
    after = module_state(unet)
    assert before.keys() == after.keys()
    for name in before:
        assert before[name][1] is after[name][1], name
        assert before[name][0].keys() == after[name][0].keys(), name
    for a, b in zip(stock_steps(unet, x, ctx, range(6)), ref, strict=True):
        assert torch.equal(a, b)


def test_all_on_then_removed_is_stock(unet):
    x, ctx = candidate_batch(N)
    ref = stock_steps(unet, x, ctx, range(3))
    run_steps(unet, ALL_ON, BatchLayout(N), x, ctx, range(8))
    assert not hasattr(unet, "_diffusers_hook")
    for a, b in zip(stock_steps(unet, x, ctx, range(3)), ref, strict=True):
        assert torch.equal(a, b)


def test_second_session_on_same_unet_is_refused_and_closing_is_idempotent(unet):
    layout = BatchLayout(N)
    with apply_accelerations(unet, ALL_ON, layout) as session:
        with pytest.raises(RuntimeError):  # an engine bug, not user input
            apply_accelerations(unet, ALL_ON, layout)
        session.close()
        session.close()
        with apply_accelerations(unet, ALL_ON, layout):
            pass


def test_sessions_never_share_a_cache():
    cfg = AccelConfig(
        attention_cache=AttentionCacheConfig(cache_step=1, cache_interval=3, self_attention="reuse"),
        block_skip=BlockSkipConfig(skip_step=2),
    )
    layout = BatchLayout(N)
    x, ctx = candidate_batch(N)
    a, b = make_unet(seed=0), make_unet(seed=1)
    solo_a = run_steps(a, cfg, layout, x, ctx, range(6))
    solo_b = run_steps(b, cfg, layout, x, ctx, range(6))
    # Interleaved on two UNets.
    with apply_accelerations(a, cfg, layout) as sa, apply_accelerations(b, cfg, layout) as sb:
        for i in range(6):
            xi, ti = step_inputs(x, i)
            sa.begin_step(i)
            sb.begin_step(i)
            assert torch.equal(run(a, xi, ctx, ti), solo_a[i])
            assert torch.equal(run(b, xi, ctx, ti), solo_b[i])
    # A second session on the same UNet starting mid-schedule: first step is full, as stock.
    with apply_accelerations(a, cfg, layout) as session:
        plan = session.begin_step(4)
        assert blocks(plan) == "full_store" and attention_modes(plan)[:2] == ("compute_store", "compute_store")


def test_errors(unet):
    x, ctx = candidate_batch(N)
    with apply_accelerations(unet, ALL_ON, BatchLayout(N), num_steps=8) as session:
        with pytest.raises(RuntimeError):
            run(unet, x, ctx)
        for bad in (-1, 8, 1.0):  # engine bugs, not user input
            with pytest.raises(RuntimeError):
                session.begin_step(bad)
        session.begin_step(4)
        with pytest.raises(RuntimeError):
            run(unet, x[:4], ctx[:4])
        session.begin_step(0)  # shared uncond on: the outermost hook checks the batch first
        with pytest.raises(RuntimeError):
            run(unet, x[:4], ctx[:4])
    with apply_accelerations(unet, ALL_ON, BatchLayout(N, guidance=False)) as session:
        assert session.begin_step(0).rows == N and session.plan.get("shared_uncond") is None  # nothing to share
        assert run(unet, x[N:], ctx[N:]).shape[0] == N
    with pytest.raises(InvalidInputError):
        apply_accelerations(unet, ALL_ON, BatchLayout(N), num_steps=2)
    assert not hasattr(unet, "_diffusers_hook")


# -- batch reuse -------------------------------------------------------------------------------------
@pytest.mark.parametrize("attention", ["self", "cross", "both"])
@pytest.mark.parametrize("guidance", [True, False])
def test_batch_reuse_identical_candidates_is_exact(unet, attention, guidance):
    x, ctx = candidate_batch(N, guidance=guidance, same_text=True)
    cfg = AccelConfig(batch_reuse=BatchReuseConfig(attention=attention))
    out = run_steps(unet, cfg, BatchLayout(N, guidance=guidance), x, ctx, [0])[0]
    ref = stock_steps(unet, x, ctx, [0])[0]
    torch.testing.assert_close(out, ref, atol=1e-5, rtol=0)


@pytest.mark.parametrize("attention", ["self", "cross", "both"])
def test_batch_reuse_pivots_exact_others_keep_their_values(unet, attention):
    x, ctx = candidate_batch(N)
    cfg = AccelConfig(batch_reuse=BatchReuseConfig(attention=attention))
    out = run_steps(unet, cfg, BatchLayout(N), x, ctx, [0])[0]
    ref = stock_steps(unet, x, ctx, [0])[0]
    pivots = [0, N]
    torch.testing.assert_close(out[pivots], ref[pivots], atol=1e-5, rtol=0)
    # Uncond rows are identical inputs, so they stay exact too; cond rows of other candidates deviate
    # (shared map) but keep their own V, so they still differ from the pivot.
    torch.testing.assert_close(out[:N], ref[:N], atol=1e-5, rtol=0)
    if attention != "self":
        assert not torch.allclose(out[N + 1], ref[N + 1], atol=1e-5)
    assert not torch.allclose(out[N + 1], out[N], atol=1e-4)


def test_batch_reuse_equals_explicit_map_sharing(unet):
    """O_i = softmax(Q* K*^T / sqrt(d)) V_i, checked against a direct einsum on one cross-attention layer."""
    attn = unet.down_blocks[0].attentions[0].transformer_blocks[0].attn2
    x, ctx = candidate_batch(N)
    seen = {}

    def grab(module, args, kwargs, output):
        seen["in"], seen["ctx"], seen["out"] = args[0], kwargs["encoder_hidden_states"], output

    handle = attn.register_forward_hook(grab, with_kwargs=True)
    cfg = AccelConfig(batch_reuse=BatchReuseConfig(attention="cross"))
    run_steps(unet, cfg, BatchLayout(N), x, ctx, [0])
    handle.remove()
    h, c = seen["in"], seen["ctx"]
    heads, d = attn.heads, attn.to_q.out_features // attn.heads
    expected = []
    for start in (0, N):
        q = attn.to_q(h[start]).view(-1, heads, d).transpose(0, 1)
        k = attn.to_k(c[start]).view(-1, heads, d).transpose(0, 1)
        m = torch.softmax(q @ k.transpose(1, 2) / d**0.5, dim=-1)
        for i in range(start, start + N):
            v = attn.to_v(c[i]).view(-1, heads, d).transpose(0, 1)
            expected.append((m @ v).transpose(0, 1).reshape(h.shape[1], -1))
    expected = attn.to_out[0](torch.stack(expected))
    torch.testing.assert_close(seen["out"], expected.detach(), atol=1e-5, rtol=1e-5)


def test_batch_reuse_stops_at_cache_step_by_default(unet):
    cfg = AccelConfig(batch_reuse=BatchReuseConfig(), attention_cache=AttentionCacheConfig(cache_step=2))
    with apply_accelerations(unet, cfg, BatchLayout(N)) as session:
        both = frozenset({"self", "cross"})
        assert [session.begin_step(i).get("batch_reuse") for i in range(4)] == [both, both, None, None]
    with apply_accelerations(unet, AccelConfig(batch_reuse=BatchReuseConfig()), BatchLayout(N)) as session:
        assert session.begin_step(24).get("batch_reuse") == both


# -- attention caching -----------------------------------------------------------------------------
class _ZeroProcessor:
    def __call__(self, attn, hidden_states, *args, **kwargs):
        return torch.zeros_like(hidden_states)


def _stock_without_self_attention(unet):
    originals = {}
    for name, m in unet.named_modules():
        if hasattr(m, "is_cross_attention") and not m.is_cross_attention:
            originals[name] = m.processor
            m.set_processor(_ZeroProcessor())
    return originals


def test_attention_cache_plan_and_refresh_steps_equal_stock_without_self_attention(unet):
    x, ctx = candidate_batch(N)
    r, interval = 2, 3
    cfg = AccelConfig(attention_cache=AttentionCacheConfig(cache_step=r, cache_interval=interval))
    steps = range(9)
    plans = []
    outs = run_steps(unet, cfg, BatchLayout(N), x, ctx, steps, plans=plans)
    assert [attention_modes(p)[0] for p in plans] == ["compute"] * 2 + ["drop"] * 7
    assert [attention_modes(p)[1] for p in plans] == ["compute"] * 2 + ["compute_store", "reuse", "reuse"] * 2 + [
        "compute_store"
    ]
    stock = stock_steps(unet, x, ctx, steps)
    _stock_without_self_attention(unet)
    dropped = stock_steps(unet, x, ctx, steps)
    for i in steps:
        if i < r:
            assert torch.equal(outs[i], stock[i])
        elif (i - r) % interval == 0:
            assert torch.equal(outs[i], dropped[i])  # refresh: only self-attention differs from stock
        else:
            assert not torch.allclose(outs[i], dropped[i], atol=1e-6)  # stale cross-attention


def test_attention_cache_reuse_is_exact_on_a_constant_input(unet):
    x, ctx = candidate_batch(N)
    cfg = AccelConfig(attention_cache=AttentionCacheConfig(cache_step=1, cache_interval=4, self_attention="reuse"))
    outs = run_steps(unet, cfg, BatchLayout(N), x, ctx, range(6), vary=False)
    ref = run(unet, x, ctx)
    for out in outs:
        assert torch.equal(out, ref)


# -- block skipping --------------------------------------------------------------------------------
def _skip_reference(unet, x, ctx, full_step, step, names):
    """Stock forward at `step` with the named blocks' outputs replaced by those of `full_step`."""
    stored, handles = {}, []
    for name in names:
        module = unet.get_submodule(name)
        handles.append(module.register_forward_hook(lambda m, a, o, n=name: stored.__setitem__(n, o)))
    run(unet, *_xt(x, ctx, full_step))
    for h in handles:
        h.remove()
    handles = [unet.get_submodule(n).register_forward_hook(lambda m, a, o, n=n: stored[n]) for n in names]
    out = run(unet, *_xt(x, ctx, step))
    for h in handles:
        h.remove()
    return out


def _xt(x, ctx, step):
    xi, ti = step_inputs(x, step)
    return xi, ctx, ti


@pytest.mark.parametrize("mode", ["up_path", "shallow_branch"])
@pytest.mark.parametrize("with_mid", [True, False])
def test_block_skip_replays_blocks_of_the_last_full_step(mode, with_mid):
    unet = make_unet() if with_mid else make_unet(TINY_UNET_NO_MID)
    x, ctx = candidate_batch(N)
    s, interval = 2, 3
    cfg = AccelConfig(block_skip=BlockSkipConfig(skip_step=s, skip_interval=interval, mode=mode))
    steps = range(7)
    plans = []
    outs = run_steps(unet, cfg, BatchLayout(N), x, ctx, steps, plans=plans)
    plans = [blocks(p) for p in plans]
    assert plans == ["full", "full_store", "skip", "skip", "full_store", "skip", "skip"]
    stock = stock_steps(unet, x, ctx, steps)
    n_stages = len(unet.down_blocks)
    if mode == "up_path":
        names = [f"down_blocks.{i}" for i in range(n_stages)] + (["mid_block"] if with_mid else [])
    else:
        names = [f"down_blocks.{i}" for i in range(1, n_stages)] + (["mid_block"] if with_mid else [])
        names += [f"up_blocks.{i}" for i in range(n_stages - 1)]
    last_full = None
    for i, plan in zip(steps, plans, strict=True):
        if plan != "skip":
            assert torch.equal(outs[i], stock[i])
            last_full = i
        else:
            ref = _skip_reference(unet, x, ctx, last_full, i, names)
            torch.testing.assert_close(outs[i], ref, atol=1e-6, rtol=0)
            assert not torch.allclose(outs[i], stock[i], atol=1e-6)


def test_block_skip_is_exact_on_a_constant_input_and_rejects_a_too_deep_branch(unet):
    x, ctx = candidate_batch(N)
    cfg = AccelConfig(block_skip=BlockSkipConfig(skip_step=0, mode="shallow_branch"))
    for out in run_steps(unet, cfg, BatchLayout(N), x, ctx, range(4), vary=False):
        assert torch.equal(out, run(unet, x, ctx))
    with pytest.raises(InvalidInputError):
        apply_accelerations(
            unet, AccelConfig(block_skip=BlockSkipConfig(mode="shallow_branch", branch_depth=2)), BatchLayout(N)
        )
    assert not hasattr(unet.down_blocks[0], "_diffusers_hook")


# -- shared uncond ---------------------------------------------------------------------------------
def test_shared_uncond_runs_one_plus_n_rows_and_is_exact_at_step_zero(unet):
    x, ctx = candidate_batch(N)
    rows = []
    handle = unet.conv_in.register_forward_hook(lambda m, a, o: rows.append(o.shape[0]))
    cfg = AccelConfig(
        shared_uncond=SharedUncondConfig(stop_step=1), batch_reuse=BatchReuseConfig(attention="self", stop_step=1)
    )
    outs = run_steps(unet, cfg, BatchLayout(N), x, ctx, range(2))
    handle.remove()
    assert rows == [1 + N, 2 * N]
    stock = stock_steps(unet, x, ctx, range(2))
    assert outs[0].shape == stock[0].shape
    torch.testing.assert_close(outs[0][[0, N]], stock[0][[0, N]], atol=1e-5, rtol=0)  # pivots
    torch.testing.assert_close(outs[0][:N], stock[0][:N], atol=1e-5, rtol=0)  # identical uncond rows
    torch.testing.assert_close(outs[1], stock[1], atol=0, rtol=0)


def test_shared_uncond_with_different_latents_broadcasts_the_pivot(unet):
    x, ctx = candidate_batch(N)
    x = x + torch.randn_like(x) * 0.1  # later steps: every candidate has its own latent
    cfg = AccelConfig(shared_uncond=SharedUncondConfig())
    out = run_steps(unet, cfg, BatchLayout(N), x, ctx, [5], vary=False)[0]
    ref = run(unet, x, ctx)
    for i in range(N):
        assert torch.equal(out[i], out[0])
    torch.testing.assert_close(out[N:], ref[N:], atol=1e-5, rtol=0)
    torch.testing.assert_close(out[0], ref[0], atol=1e-5, rtol=0)


def test_shared_uncond_change_of_batch_forces_a_full_step(unet):
    cfg = AccelConfig(
        shared_uncond=SharedUncondConfig(stop_step=3),
        block_skip=BlockSkipConfig(skip_step=2),
        attention_cache=AttentionCacheConfig(cache_step=1, cache_interval=10),
    )
    x, ctx = candidate_batch(N)
    with apply_accelerations(unet, cfg, BatchLayout(N)) as session:
        plans = []
        for i in range(5):
            plans.append(session.begin_step(i))
            run(unet, *_xt(x, ctx, i))
    assert [p.rows for p in plans] == [1 + N] * 3 + [2 * N] * 2
    assert [blocks(p) for p in plans] == ["full", "full_store", "skip", "full_store", "skip"]
    assert [attention_modes(p)[1] for p in plans] == ["compute", "compute_store", "reuse", "compute_store", "reuse"]


def test_cross_attention_refresh_on_a_skipped_step_recomputes_the_skipped_blocks_later(unet):
    # Cross refreshes on 2, 5, 8; blocks skip from 2 with full refreshes on 1, 4, 7: the refresh on
    # step 2 cannot store the mid block's cross-attention, so on step 4 (full, cross "reuse") it computes.
    cfg = AccelConfig(
        attention_cache=AttentionCacheConfig(cache_step=2, cache_interval=3),
        block_skip=BlockSkipConfig(skip_step=2, skip_interval=3, mode="shallow_branch"),
    )
    x, ctx = candidate_batch(N)
    plans = []
    run_steps(unet, cfg, BatchLayout(N), x, ctx, range(9), plans=plans)
    full, store, skip = "full", "full_store", "skip"
    assert [blocks(p) for p in plans] == [full, store, skip, skip, store, skip, skip, store, skip]
    assert [attention_modes(p)[1] for p in plans][2:6] == ["compute_store", "reuse", "reuse", "compute_store"]
    uncached = [attention_modes(p)[2] for p in plans]
    assert uncached[3] == uncached[4] == ("mid_block.attentions.0.transformer_blocks.0.attn2",)
    assert uncached[6] == uncached[7]
    assert plans[4].writes_cache
