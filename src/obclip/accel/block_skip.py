"""Block skipping after DeepCache: from `skip_step` on, the down and mid blocks are not run and their
outputs from the last full step are reused; the up path runs on them.

Installed as `ModelHook`s on the UNet's `down_blocks.*`, `mid_block` and `up_blocks.*`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import torch
from diffusers.hooks.hooks import BaseState, ModelHook

from obclip.accel._common import (
    _DOWN_BLOCK_RE,
    _MID_BLOCK_NAME,
    _UP_BLOCK_RE,
    BLOCK_SKIP_HOOK,
    InstalledHook,
    check_choice,
    check_int,
)
from obclip.errors import InvalidInputError

if TYPE_CHECKING:
    from obclip.accel.session import AccelSession

BLOCK_SKIP_MODES = ("up_path", "shallow_branch")


@dataclass
class BlockSkipConfig:
    r"""
    Configuration for block skipping (DeepCache style).

    Args:
        skip_step (`int`, defaults to `3`):
            s. Global steps `i >= skip_step` are skipped steps (except refreshes); step s - 1, or the first
            step that finds no usable cache, is a full step whose block outputs are stored.
        skip_interval (`int`, *optional*):
            A full refresh on steps `s - 1 + m * skip_interval` (m >= 1). `None`: never refresh.
        mode (`str`, defaults to `"up_path"`):
            `"up_path"` (the paper): on skipped steps every down block and the mid block return their stored
            outputs (the skip connections and the mid feature); `conv_in`, all up blocks and the output
            head run. `"shallow_branch"` (DeepCache): `conv_in`, the first `branch_depth` down blocks and the
            last `branch_depth` up blocks run; every other block returns its stored output.
        branch_depth (`int`, defaults to `1`):
            Depth of the shallow branch in `"shallow_branch"` mode.
    """

    skip_step: int = 3
    skip_interval: int | None = None
    mode: str = "up_path"
    branch_depth: int = 1

    def validate(self) -> None:
        check_int("block_skip.skip_step", self.skip_step, minimum=0)
        check_int("block_skip.skip_interval", self.skip_interval, minimum=1, optional=True)
        check_choice("block_skip.mode", self.mode, BLOCK_SKIP_MODES)
        check_int("block_skip.branch_depth", self.branch_depth, minimum=1)

    @property
    def branch(self) -> int | None:
        return self.branch_depth if self.mode == "shallow_branch" else None


class BlockSkipState(BaseState):
    """Block outputs of the last full step, by block name, and the batch rows they belong to."""

    def __init__(self) -> None:
        self.outputs: dict[str, Any] = {}
        self.rows: int | None = None

    def reset(self) -> None:
        self.outputs.clear()
        self.rows = None


def plan_block_skip(config: BlockSkipConfig | None, state: BlockSkipState, step: int, rows: int) -> str:
    """`"full"`, `"full_store"` or `"skip"` for `step` on a batch of `rows` rows."""
    if config is None:
        return "full"
    s = config.skip_step
    if step < s - 1:
        return "full"
    refresh = config.skip_interval is not None and (step - (s - 1)) % config.skip_interval == 0
    if step >= s and not refresh and state.rows == rows:
        return "skip"
    return "full_store"


class BlockSkipHook(ModelHook):
    """Stores one block's output on full steps and replays it on skipped steps."""

    _is_stateful = True

    def __init__(self, session: AccelSession, state: BlockSkipState, name: str) -> None:
        super().__init__()
        self.session = session
        self.state = state
        self.name = name

    def new_forward(self, module: torch.nn.Module, *args: Any, **kwargs: Any):
        blocks = self.session.plan.blocks
        if blocks == "full":
            return self.fn_ref.original_forward(*args, **kwargs)
        if blocks == "skip":
            return self.state.outputs[self.name]
        output = self.fn_ref.original_forward(*args, **kwargs)
        self.state.outputs[self.name] = output
        self.state.rows = self.session.plan.rows
        return output

    def reset_state(self, module: torch.nn.Module) -> torch.nn.Module:
        self.state.reset()
        return module


def apply_block_skip(
    unet: torch.nn.Module, config: BlockSkipConfig, session: AccelSession, state: BlockSkipState
) -> list[InstalledHook]:
    """Hook the blocks that skipped steps replay (blocks that always run get no hook)."""
    children = dict(unet.named_children())
    down_blocks, up_blocks = children.get("down_blocks"), children.get("up_blocks")
    if down_blocks is None or up_blocks is None:
        raise InvalidInputError("block skipping needs a UNet with down_blocks and up_blocks")
    num_down, num_up = len(down_blocks), len(up_blocks)
    depth = config.branch
    if depth is not None and (depth >= num_up or depth >= num_down):
        raise InvalidInputError(
            f"block_skip.branch_depth must be < the number of UNet stages ({min(num_down, num_up)}), got {depth}"
        )
    handles = []
    for name, module in unet.named_modules():
        if (match := _DOWN_BLOCK_RE.match(name)) is not None:
            run = depth is not None and int(match.group(1)) < depth
        elif (match := _UP_BLOCK_RE.match(name)) is not None:
            run = depth is None or int(match.group(1)) >= num_up - depth
        elif name == _MID_BLOCK_NAME and module is not None:
            run = False
        else:
            continue
        if run:
            continue
        handles.append(InstalledHook(module, BlockSkipHook(session, state, name), BLOCK_SKIP_HOOK))
    return handles
