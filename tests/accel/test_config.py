"""AccelConfig / BatchLayout: defaults, JSON round trip, validation errors."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from obclip.accel import (
    AccelConfig,
    AttentionCacheConfig,
    BatchLayout,
    BatchReuseConfig,
    BlockSkipConfig,
    SharedUncondConfig,
)
from obclip.errors import InvalidInputError


def test_default_is_off():
    cfg = AccelConfig()
    assert not cfg.enabled
    assert cfg.names == []
    assert cfg.to_dict() == {
        "batch_reuse": None,
        "attention_cache": None,
        "block_skip": None,
        "shared_uncond": None,
        "candidate_basis": None,
    }
    assert AccelConfig.from_dict({}) == cfg


def test_paper_preset():
    cfg = AccelConfig.paper(cache_step=4, skip_step=6)
    assert cfg.enabled
    assert cfg.names == ["batch_reuse", "attention_cache", "block_skip"]
    assert cfg.attention_cache.cache_step == 4 and cfg.attention_cache.cache_interval == 5
    assert cfg.block_skip.skip_step == 6


def test_recommended_preset():
    cfg = AccelConfig.recommended()
    assert cfg.names == ["batch_reuse", "attention_cache", "block_skip", "shared_uncond"]
    assert cfg.batch_reuse.attention == "self" and cfg.attention_cache.self_attention == "reuse"
    assert cfg.block_skip.mode == "shallow_branch" and cfg.shared_uncond.stop_step == 1
    assert AccelConfig.from_dict(cfg.to_dict()) == cfg.validate(num_steps=25)


optional_step = st.one_of(st.none(), st.integers(0, 50))
configs = st.builds(
    AccelConfig,
    batch_reuse=st.one_of(
        st.none(),
        st.builds(BatchReuseConfig, attention=st.sampled_from(["self", "cross", "both"]), stop_step=optional_step),
    ),
    attention_cache=st.one_of(
        st.none(),
        st.builds(
            AttentionCacheConfig,
            cache_step=st.integers(0, 50),
            cache_interval=st.integers(1, 10),
            self_attention=st.sampled_from(["drop", "reuse"]),
        ),
    ),
    block_skip=st.one_of(
        st.none(),
        st.builds(
            BlockSkipConfig,
            skip_step=st.integers(0, 50),
            skip_interval=st.one_of(st.none(), st.integers(1, 10)),
            mode=st.sampled_from(["up_path", "shallow_branch"]),
            branch_depth=st.integers(1, 3),
        ),
    ),
    shared_uncond=st.one_of(st.none(), st.builds(SharedUncondConfig, stop_step=optional_step)),
)


@given(configs)
def test_json_round_trip(cfg):
    data = json.loads(json.dumps(cfg.to_dict()))
    assert AccelConfig.from_dict(data) == cfg


@pytest.mark.parametrize(
    "data",
    [
        {"batch_reuse": {}, "turbo": True},
        {"block_skip": {"skip_step": 3, "depth": 2}},
        {"attention_cache": {"cache_step": -1}},
        {"attention_cache": {"cache_interval": 0}},
        {"attention_cache": {"cache_step": True}},
        {"attention_cache": {"cache_step": 2.5}},
        {"attention_cache": {"self_attention": "skip"}},
        {"batch_reuse": {"attention": "all"}},
        {"batch_reuse": True},
        {"block_skip": {"mode": "deepcache"}},
        {"block_skip": {"skip_interval": 0}},
        {"block_skip": {"branch_depth": 0}},
        {"shared_uncond": {"stop_step": "3"}},
        [],
        "batch_reuse",
    ],
)
def test_from_dict_rejects(data):
    with pytest.raises(InvalidInputError):
        AccelConfig.from_dict(data)


def test_validate_against_steps():
    cfg = AccelConfig(attention_cache=AttentionCacheConfig(cache_step=10))
    cfg.validate(num_steps=10)
    with pytest.raises(InvalidInputError):
        cfg.validate(num_steps=9)
    with pytest.raises(InvalidInputError):
        AccelConfig(block_skip=BlockSkipConfig(skip_step=-2)).validate()
    with pytest.raises(InvalidInputError):
        AccelConfig(block_skip=AttentionCacheConfig()).validate()  # type: ignore[arg-type]


def test_layout():
    assert BatchLayout(3).rows == 6
    assert BatchLayout(3, guidance=False).rows == 3
    for bad in (0, -1, 1.5, True):
        with pytest.raises(InvalidInputError):
            BatchLayout(bad)  # type: ignore[arg-type]
    with pytest.raises(InvalidInputError):
        BatchLayout(2, guidance="yes")  # type: ignore[arg-type]


def test_config_survives_pickle_and_copy():
    import copy
    import pickle

    cfg = AccelConfig.recommended()
    assert pickle.loads(pickle.dumps(cfg)) == cfg == copy.deepcopy(cfg)
    assert cfg.replace(shared_uncond=None).names == ["batch_reuse", "attention_cache", "block_skip"]
    with pytest.raises(TypeError):
        AccelConfig(turbo=BatchReuseConfig())  # a programming error, not user input
    with pytest.raises(AttributeError):
        cfg.turbo  # noqa: B018
