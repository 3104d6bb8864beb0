"""The accelerations on an SDXL-shaped UNet (no attention in the first stage, several transformer layers
per block, a cross-attention mid block, `added_cond_kwargs`): the same exactness as on SD-1.x."""

from __future__ import annotations

import pytest
import torch

from accel.accel_tiny import TINY_SDXL_UNET, candidate_batch, make_unet, sdxl_added, step_inputs
from obclip.accel import (
    AccelConfig,
    AttentionCacheConfig,
    BatchLayout,
    BatchReuseConfig,
    BlockSkipConfig,
    SharedUncondConfig,
    apply_accelerations,
)

N = 3


@pytest.fixture
def unet():
    return make_unet(TINY_SDXL_UNET)


def run(unet, x, ctx, added, t=500):
    with torch.no_grad():
        return unet(x, t, encoder_hidden_states=ctx, added_cond_kwargs=added, return_dict=False)[0]


def stock(unet, x, ctx, added, steps):
    return [_stock_step(unet, x, ctx, added, i) for i in steps]


def _stock_step(unet, x, ctx, added, i):
    xi, ti = step_inputs(x, i)
    return run(unet, xi, ctx, added, ti)


def accelerated(unet, cfg, x, ctx, added, steps, *, layout=None, vary=True, plans=None):
    outs = []
    with apply_accelerations(unet, cfg, layout or BatchLayout(N)) as session:
        for i in steps:
            plan = session.begin_step(i)
            if plans is not None:
                plans.append(plan)
            xi, ti = step_inputs(x, i) if vary else (x, 500)
            outs.append(run(unet, xi, ctx, added, ti))
    return outs


ALL_ON = AccelConfig(
    batch_reuse=BatchReuseConfig(stop_step=2),
    attention_cache=AttentionCacheConfig(cache_step=2, cache_interval=2, self_attention="reuse"),
    block_skip=BlockSkipConfig(skip_step=3, skip_interval=2, mode="shallow_branch"),
    shared_uncond=SharedUncondConfig(stop_step=1),
)


def test_inactive_hooks_are_bit_identical_and_removal_restores_stock(unet):
    x, ctx = candidate_batch(N)
    added = sdxl_added(N)
    ref = stock(unet, x, ctx, added, range(5))
    inert = AccelConfig(
        batch_reuse=BatchReuseConfig(stop_step=0),
        attention_cache=AttentionCacheConfig(cache_step=20),
        block_skip=BlockSkipConfig(skip_step=20),
        shared_uncond=SharedUncondConfig(stop_step=0),
    )
    for a, b in zip(accelerated(unet, inert, x, ctx, added, range(5)), ref, strict=True):
        assert torch.equal(a, b)
    accelerated(unet, ALL_ON, x, ctx, added, range(8))
    assert not hasattr(unet, "_diffusers_hook")
    for a, b in zip(stock(unet, x, ctx, added, range(5)), ref, strict=True):
        assert torch.equal(a, b)


@pytest.mark.parametrize("attention", ["self", "cross", "both"])
def test_batch_reuse_identical_candidates_exact_pivots_exact(unet, attention):
    cfg = AccelConfig(batch_reuse=BatchReuseConfig(attention=attention))
    x, ctx = candidate_batch(N, same_text=True)
    added = sdxl_added(N, same_text=True)
    out = accelerated(unet, cfg, x, ctx, added, [0])[0]
    torch.testing.assert_close(out, stock(unet, x, ctx, added, [0])[0], atol=1e-5, rtol=0)
    x, ctx = candidate_batch(N)
    added = sdxl_added(N)
    out = accelerated(unet, cfg, x, ctx, added, [0])[0]
    ref = stock(unet, x, ctx, added, [0])[0]
    torch.testing.assert_close(out[[0, N]], ref[[0, N]], atol=1e-5, rtol=0)  # pivots
    torch.testing.assert_close(out[:N], ref[:N], atol=1e-5, rtol=0)  # identical uncond rows
    assert not torch.allclose(out[N + 1], out[N], atol=1e-4)  # every candidate keeps its own V


def test_attention_cache_refresh_steps_equal_stock_without_self_attention(unet):
    x, ctx = candidate_batch(N)
    added = sdxl_added(N)
    r, interval = 2, 3
    cfg = AccelConfig(attention_cache=AttentionCacheConfig(cache_step=r, cache_interval=interval))
    outs = accelerated(unet, cfg, x, ctx, added, range(7))
    ref = stock(unet, x, ctx, added, range(7))
    for m in unet.modules():
        if hasattr(m, "is_cross_attention") and not m.is_cross_attention:
            m.set_processor(_Zero())
    dropped = stock(unet, x, ctx, added, range(7))
    for i in range(7):
        if i < r:
            assert torch.equal(outs[i], ref[i])
        elif (i - r) % interval == 0:
            assert torch.equal(outs[i], dropped[i])
        else:
            assert not torch.allclose(outs[i], dropped[i], atol=1e-6)


class _Zero:
    def __call__(self, attn, hidden_states, *args, **kwargs):
        return torch.zeros_like(hidden_states)


def test_attention_cache_reuse_is_exact_on_a_constant_input(unet):
    x, ctx = candidate_batch(N)
    added = sdxl_added(N)
    cfg = AccelConfig(attention_cache=AttentionCacheConfig(cache_step=1, cache_interval=4, self_attention="reuse"))
    ref = run(unet, x, ctx, added)
    for out in accelerated(unet, cfg, x, ctx, added, range(5), vary=False):
        assert torch.equal(out, ref)


@pytest.mark.parametrize("mode", ["up_path", "shallow_branch"])
def test_block_skip_replays_the_last_full_step_including_the_mid_block(unet, mode):
    x, ctx = candidate_batch(N)
    added = sdxl_added(N)
    cfg = AccelConfig(block_skip=BlockSkipConfig(skip_step=2, skip_interval=3, mode=mode))
    plans = []
    outs = accelerated(unet, cfg, x, ctx, added, range(6), plans=plans)
    skipped = [p.get("block_skip") is not None and not p.get("block_skip").store for p in plans]
    assert skipped == [False, False, True, True, False, True]
    names = ["down_blocks.0", "down_blocks.1", "mid_block"] if mode == "up_path" else ["down_blocks.1", "mid_block"]
    names += [] if mode == "up_path" else ["up_blocks.0"]
    ref = stock(unet, x, ctx, added, range(6))
    last_full = None
    for i, skip in enumerate(skipped):
        if not skip:
            assert torch.equal(outs[i], ref[i])
            last_full = i
            continue
        forced = _forced(unet, x, ctx, added, last_full, i, names)
        torch.testing.assert_close(outs[i], forced, atol=1e-6, rtol=0)
        assert not torch.allclose(outs[i], ref[i], atol=1e-6)
    # On a constant input a skipped step is the stock forward.
    for out in accelerated(
        unet, AccelConfig(block_skip=BlockSkipConfig(skip_step=0, mode=mode)), x, ctx, added, range(3), vary=False
    ):
        assert torch.equal(out, run(unet, x, ctx, added))


def _forced(unet, x, ctx, added, full_step, step, names):
    """Stock forward at `step` with the named blocks' outputs forced to those of `full_step`."""
    stored = {}
    hooks = [unet.get_submodule(n).register_forward_hook(lambda m, a, o, n=n: stored.__setitem__(n, o)) for n in names]
    _stock_step(unet, x, ctx, added, full_step)
    for h in hooks:
        h.remove()
    hooks = [unet.get_submodule(n).register_forward_hook(lambda m, a, o, n=n: stored[n]) for n in names]
    out = _stock_step(unet, x, ctx, added, step)
    for h in hooks:
        h.remove()
    return out


def test_shared_uncond_slices_added_cond_kwargs_and_is_exact_at_step_zero(unet):
    x, ctx = candidate_batch(N)
    added = sdxl_added(N)
    seen = []
    handle = unet.add_embedding.register_forward_hook(lambda m, a, o: seen.append(a[0].shape[0]))
    outs = accelerated(unet, AccelConfig(shared_uncond=SharedUncondConfig(stop_step=1)), x, ctx, added, range(2))
    handle.remove()
    assert seen == [1 + N, 2 * N]  # pooled text and time ids sliced with the rows
    ref = stock(unet, x, ctx, added, range(2))
    torch.testing.assert_close(outs[0], ref[0], atol=1e-5, rtol=0)
    assert torch.equal(outs[1], ref[1])
    # Later steps: the pivot's uncond prediction (with its own pooled text) stands in for every row.
    x = x + 0.1 * torch.randn_like(x)
    out = accelerated(unet, AccelConfig(shared_uncond=SharedUncondConfig()), x, ctx, added, [5], vary=False)[0]
    full = run(unet, x, ctx, added)
    for i in range(N):
        assert torch.equal(out[i], out[0])
    torch.testing.assert_close(out[N:], full[N:], atol=1e-5, rtol=0)
    torch.testing.assert_close(out[0], full[0], atol=1e-5, rtol=0)
