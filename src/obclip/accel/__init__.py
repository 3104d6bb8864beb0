"""UNet accelerations for the cloud's candidate batch: batch reuse, attention caching, block skipping,
a shared unconditional branch and a candidate basis (most candidates composed from a few), installed per
request as diffusers hooks; `registry.TECHNIQUES` lists them.

    config = AccelConfig.parse("recommended", switch_step=k, num_steps=T)
    with apply_accelerations(unet, config, BatchLayout(num_candidates=N), num_steps=T) as session:
        for i in range(start, stop):
            session.begin_step(i)
            eps = unet(x, t, encoder_hidden_states=ehs, return_dict=False)[0]

Several candidate groups (e.g. requests batched together) share one UNet batch with
`BatchLayout(groups=(N_a, N_b))`; each keeps its own pivots, unconditional rows and cache rows, so a
group's output is what it would be alone (row order in `obclip.accel._common`).

Configs, presets, the registry and the flags import neither torch nor diffusers (the command line
builds its parser from them); the session does, on first use of `apply_accelerations`.
"""

from typing import Any

from obclip.accel._common import BatchLayout, StepBatch, StepPlan, Technique
from obclip.accel.attention_cache import AttentionCacheConfig
from obclip.accel.batch_reuse import BatchReuseConfig
from obclip.accel.block_skip import BlockSkipConfig
from obclip.accel.candidate_basis import CandidateBasisConfig
from obclip.accel.config import AccelConfig
from obclip.accel.registry import TECHNIQUES
from obclip.accel.shared_uncond import SharedUncondConfig

__all__ = [
    "TECHNIQUES",
    "AccelConfig",
    "AccelSession",
    "AttentionCacheConfig",
    "BatchLayout",
    "BatchReuseConfig",
    "BlockSkipConfig",
    "CandidateBasisConfig",
    "SharedUncondConfig",
    "StepBatch",
    "StepPlan",
    "Technique",
    "apply_accelerations",
]


def __getattr__(name: str) -> Any:
    if name in ("AccelSession", "apply_accelerations"):
        from obclip.accel import session

        return getattr(session, name)
    raise AttributeError(f"module 'obclip.accel' has no attribute {name!r}")
