"""UNet accelerations for the cloud's N-candidate batch: batch reuse, attention caching, block
skipping and a shared unconditional branch, installed per request as diffusers hooks.

    with apply_accelerations(unet, cfg, BatchLayout(num_candidates=N)) as session:
        for i in range(start, stop):
            session.begin_step(i)
            eps = unet(x, t, encoder_hidden_states=ehs, return_dict=False)[0]
"""

from obclip.accel._common import BatchLayout, StepPlan
from obclip.accel.attention_cache import AttentionCacheConfig
from obclip.accel.batch_reuse import BatchReuseConfig
from obclip.accel.block_skip import BlockSkipConfig
from obclip.accel.config import AccelConfig
from obclip.accel.session import AccelSession, apply_accelerations
from obclip.accel.shared_uncond import SharedUncondConfig

__all__ = [
    "AccelConfig",
    "AccelSession",
    "AttentionCacheConfig",
    "BatchLayout",
    "BatchReuseConfig",
    "BlockSkipConfig",
    "SharedUncondConfig",
    "StepPlan",
    "apply_accelerations",
]
