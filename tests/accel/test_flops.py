"""MAC counts: each acceleration removes exactly what its design says, counted on `meta`."""

from __future__ import annotations

import pytest
import torch

from accel.accel_tiny import TEXT_LEN, TINY_UNET, TINY_UNET_NO_MID
from obclip.accel import (
    AccelConfig,
    AttentionCacheConfig,
    BatchLayout,
    BatchReuseConfig,
    BlockSkipConfig,
    SharedUncondConfig,
)
from obclip.engine.flops import (
    SD15_UNET_CONFIG,
    MacCount,
    added_inputs,
    build_meta_unet,
    count_macs_by_module,
    count_request,
    count_unet_forward,
    unet_inputs,
)

N = 3


@pytest.fixture(scope="module")
def meta_unet():
    return build_meta_unet(TINY_UNET)


def per_step(unet, cfg, n=N, start=0, stop=6, **kw):
    return count_request(unet, cfg, BatchLayout(n), start, stop, text_len=TEXT_LEN, **kw).per_step


def by_module(unet, rows, names):
    x, t, ctx = unet_inputs(unet, rows, text_len=TEXT_LEN)
    added = added_inputs(unet, rows)
    with torch.no_grad():
        return count_macs_by_module(lambda: unet(x, t, encoder_hidden_states=ctx, added_cond_kwargs=added), names)


def attention_names(unet, kind=None):
    return [
        name
        for name, m in unet.named_modules()
        if hasattr(m, "is_cross_attention") and (kind is None or m.is_cross_attention == (kind == "cross"))
    ]


def test_no_acceleration_obclip_is_n_times_hybrid_sd(meta_unet):
    hybrid = count_request(meta_unet, AccelConfig(), BatchLayout(1), 0, 5, text_len=TEXT_LEN).total
    obclip = count_request(meta_unet, AccelConfig(), BatchLayout(N), 0, 5, text_len=TEXT_LEN).total
    assert obclip == hybrid * N
    assert hybrid == count_unet_forward(meta_unet, 2, text_len=TEXT_LEN) * 5


@pytest.mark.parametrize(
    ("config", "mode", "depth"),
    [
        (TINY_UNET, "up_path", None),
        (TINY_UNET, "shallow_branch", 1),
        (TINY_UNET_NO_MID, "up_path", None),
        (TINY_UNET_NO_MID, "shallow_branch", 1),
        (TINY_UNET_NO_MID, "shallow_branch", 2),
    ],
)
def test_block_skip_removes_exactly_the_skipped_blocks(config, mode, depth):
    unet = build_meta_unet(config)
    stages = len(unet.down_blocks)
    s = 3
    cfg = AccelConfig(block_skip=BlockSkipConfig(skip_step=s, mode=mode, branch_depth=depth or 1))
    steps = per_step(unet, cfg)
    full = count_unet_forward(unet, 2 * N, text_len=TEXT_LEN)
    skipped = [f"down_blocks.{i}" for i in range(depth or 0, stages)]
    skipped += ["mid_block"] if unet.mid_block is not None else []
    skipped += [f"up_blocks.{i}" for i in range(stages - depth)] if depth else []
    removed = sum(by_module(unet, 2 * N, skipped).values(), MacCount())
    assert removed.conv_linear > 0
    assert steps[:s] == [full] * s
    assert steps[s:] == [full - removed] * (6 - s)


@pytest.mark.parametrize("attention", ["self", "cross", "both"])
def test_batch_reuse_removes_q_k_of_non_pivot_rows(meta_unet, attention):
    rows, r = 2 * N, 2
    cfg = AccelConfig(
        batch_reuse=BatchReuseConfig(attention=attention), attention_cache=AttentionCacheConfig(cache_step=r)
    )
    steps = per_step(meta_unet, cfg, stop=r)
    full = count_unet_forward(meta_unet, rows, text_len=TEXT_LEN)
    kinds = ("self", "cross") if attention == "both" else (attention,)
    layers = [name for kind in kinds for name in attention_names(meta_unet, kind)]
    qk = sum(
        by_module(meta_unet, 1, [f"{n}.to_q" for n in layers] + [f"{n}.to_k" for n in layers]).values(), MacCount()
    )
    maps = sum(by_module(meta_unet, 1, layers).values(), MacCount()).attention  # QK^T + AV for one row
    # Per reused layer: to_q, to_k and Q K^T (half of the layer's matmuls) run on 2 pivot rows, not 2N.
    expected = MacCount(full.conv_linear - qk.conv_linear * (rows - 2), full.attention - maps // 2 * (rows - 2))
    assert steps == [expected] * r


def test_attention_cache_removes_self_attention_and_stale_cross_attention(meta_unet):
    r, interval = 1, 3
    cfg = AccelConfig(attention_cache=AttentionCacheConfig(cache_step=r, cache_interval=interval))
    steps = per_step(meta_unet, cfg, stop=7)
    rows = 2 * N
    full = count_unet_forward(meta_unet, rows, text_len=TEXT_LEN)
    self_attn = sum(by_module(meta_unet, rows, attention_names(meta_unet, "self")).values(), MacCount())
    cross_attn = sum(by_module(meta_unet, rows, attention_names(meta_unet, "cross")).values(), MacCount())
    refresh, stale = full - self_attn, full - self_attn - cross_attn
    assert stale.attention == 0
    assert steps == [full, refresh, stale, stale, refresh, stale, stale]


def test_shared_uncond_counts_one_plus_n_rows(meta_unet):
    cfg = AccelConfig(shared_uncond=SharedUncondConfig(stop_step=2))
    steps = per_step(meta_unet, cfg, stop=4)
    reduced = count_unet_forward(meta_unet, 1 + N, text_len=TEXT_LEN)
    full = count_unet_forward(meta_unet, 2 * N, text_len=TEXT_LEN)
    assert steps == [reduced, reduced, full, full]


@pytest.mark.parametrize(
    "cfg",
    [
        AccelConfig(
            batch_reuse=BatchReuseConfig(),
            attention_cache=AttentionCacheConfig(cache_step=2, cache_interval=2, self_attention="reuse"),
            block_skip=BlockSkipConfig(skip_step=3, skip_interval=3, mode="shallow_branch"),
            shared_uncond=SharedUncondConfig(stop_step=5),
        ),
        AccelConfig(
            attention_cache=AttentionCacheConfig(cache_step=2, cache_interval=3, self_attention="reuse"),
            block_skip=BlockSkipConfig(skip_step=1, skip_interval=2),
        ),
    ],
)
def test_memo_agrees_with_counting_every_forward(meta_unet, cfg):
    memoised = per_step(meta_unet, cfg, stop=12)
    assert memoised == per_step(meta_unet, cfg, stop=12, memoize=False)
    assert len(set(memoised)) > 3


def test_sd15_unet_forward_matches_the_paper():
    counts = count_unet_forward(build_meta_unet(SD15_UNET_CONFIG), 1)
    assert counts.conv_linear == 338_610_585_600  # the paper: 338.7 G (conv + linear)
    assert counts.total == 401_636_720_640


def test_sdxl_and_koala_700m_have_their_published_sizes_and_sdxl_its_cost():
    from obclip.engine.flops import KOALA_700M_UNET_CONFIG, SDXL_UNET_CONFIG

    sizes = {
        name: sum(p.numel() for p in build_meta_unet(cfg).parameters())
        for name, cfg in (("sdxl", SDXL_UNET_CONFIG), ("koala", KOALA_700M_UNET_CONFIG))
    }
    assert sizes == {"sdxl": 2_567_463_684, "koala": 782_822_724}  # model cards: 2.6 B, 782 M
    counts = count_unet_forward(build_meta_unet(SDXL_UNET_CONFIG), 1)  # 1024 px, with added_cond_kwargs
    assert counts.conv_linear == 2_988_660_490_240
    # The paper's 159.35 T for SDXL alone: T = 25, 2 rows, conv+linear plus one of the two attention matmuls.
    assert round(50 * (counts.conv_linear + counts.attention // 2) / 1e12, 1) == 159.2


def test_sdxl_shaped_block_skip_and_shared_uncond_counts():
    from accel.accel_tiny import TINY_SDXL_UNET

    unet = build_meta_unet(TINY_SDXL_UNET)
    full = count_unet_forward(unet, 2 * N, text_len=TEXT_LEN)
    cfg = AccelConfig(
        block_skip=BlockSkipConfig(skip_step=1, mode="shallow_branch"), shared_uncond=SharedUncondConfig(stop_step=1)
    )
    steps = per_step(unet, cfg, stop=3)
    skipped = sum(by_module(unet, 2 * N, ["down_blocks.1", "mid_block", "up_blocks.0"]).values(), MacCount())
    assert steps == [count_unet_forward(unet, 1 + N, text_len=TEXT_LEN), full, full - skipped]
