"""Block skipping after DeepCache: from `skip_step` on, the down and mid blocks are not run and their
outputs from the last full step are reused; the up path runs on them.

Installed as hooks (diffusers `HookRegistry`) on the UNet's `down_blocks.*`, `mid_block` and `up_blocks.*`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from obclip.accel._common import (
    DOWN_BLOCK_RE,
    MID_BLOCK_NAME,
    UP_BLOCK_RE,
    Hook,
    InstalledHook,
    PlanContext,
    PlanFn,
    Removable,
    StepBatch,
    StepPlan,
    Technique,
    check_choice,
    check_int,
    setting,
)
from obclip.errors import InvalidInputError

if TYPE_CHECKING:
    import torch

NAME = "block_skip"
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

    skip_step: int = setting(
        3, "from step s on: the deep blocks' outputs of step s-1 are replayed", flag="--skip-step", metavar="s"
    )
    skip_interval: int | None = setting(
        None, "full UNet refresh every N steps while skipping (default: never)", flag="--skip-interval", metavar="N"
    )
    mode: str = setting(
        "up_path",
        "what runs on skipped steps: the shallow branch (DeepCache, most faithful) or the whole up path (the paper)",
        flag="--skip-mode",
        choices=BLOCK_SKIP_MODES,
        cli_default="shallow_branch",
    )
    branch_depth: int = setting(1, "stages the shallow branch runs", flag="--skip-branch-depth", metavar="D")

    def validate(self) -> None:
        check_int("block_skip.skip_step", self.skip_step, minimum=0)
        check_int("block_skip.skip_interval", self.skip_interval, minimum=1, optional=True)
        check_choice("block_skip.mode", self.mode, BLOCK_SKIP_MODES)
        check_int("block_skip.branch_depth", self.branch_depth, minimum=1)

    @property
    def branch(self) -> int | None:
        """The shallow branch's depth, None in `up_path` mode."""
        return self.branch_depth if self.mode == "shallow_branch" else None


@dataclass(frozen=True)
class BlockSkipPlan:
    """`store`: a full step whose block outputs are kept; otherwise a skipped step (`branch`: the
    shallow branch's depth, None for the up path)."""

    store: bool
    branch: int | None


class BlockSkipState:
    """Block outputs of the last full step, by block name, and the step batch they belong to."""

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        self.outputs: dict[str, Any] = {}
        self.batch: StepBatch | None = None


def plan(config: BlockSkipConfig, state: BlockSkipState, ctx: PlanContext) -> BlockSkipPlan | None:
    """None (a plain full step), a storing full step, or a skipped step."""
    s, step = config.skip_step, ctx.step
    if step < s - 1:
        return None
    refresh = config.skip_interval is not None and (step - (s - 1)) % config.skip_interval == 0
    skip = step >= s and not refresh and state.batch == ctx.batch
    return BlockSkipPlan(store=not skip, branch=config.branch)


def start_step(state: BlockSkipState, decision: BlockSkipPlan, plan: StepPlan) -> None:
    if decision.store:
        state.outputs.clear()
        state.batch = plan.batch


class BlockSkipHook(Hook):
    """Stores one block's output on storing steps and replays it on skipped steps."""

    def __init__(self, plan_fn: PlanFn, state: BlockSkipState, name: str) -> None:
        self.plan_fn = plan_fn
        self.state = state
        self.name = name

    def forward(self, module: torch.nn.Module, original: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        decision: BlockSkipPlan | None = self.plan_fn().get(NAME)
        if decision is None:
            return original(*args, **kwargs)
        if not decision.store:
            return self.state.outputs[self.name]
        output = original(*args, **kwargs)
        self.state.outputs[self.name] = output
        return output


def install(unet: torch.nn.Module, config: BlockSkipConfig, state: BlockSkipState, plan_fn: PlanFn) -> list[Removable]:
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
    handles: list[Removable] = []
    for name, module in unet.named_modules():
        if (match := DOWN_BLOCK_RE.match(name)) is not None:
            run = depth is not None and int(match.group(1)) < depth
        elif (match := UP_BLOCK_RE.match(name)) is not None:
            run = depth is None or int(match.group(1)) >= num_up - depth
        elif name == MID_BLOCK_NAME and module is not None:
            run = False
        else:
            continue
        if not run:
            handles.append(InstalledHook(module, BlockSkipHook(plan_fn, state, name), f"obclip_{NAME}"))
    return handles


def _writes_cache(decision: BlockSkipPlan) -> bool:
    return decision.store


def _cost_key(decision: BlockSkipPlan) -> tuple[Any, ...]:
    return ("full",) if decision.store else ("skip", decision.branch)


TECHNIQUE = Technique(
    name=NAME,
    label="block skipping",
    short="skip",
    config_class=BlockSkipConfig,
    state_class=BlockSkipState,
    plan=plan,
    install=install,
    step_fields=("skip_step",),
    start_step=start_step,
    writes_cache=_writes_cache,
    cost_key=_cost_key,
)
