"""What every acceleration shares: the batch layout, the per-step plan, the `Technique` record each
technique module exports, config-field metadata for the generated flags, and removable hook handles.

Nothing here holds request state (that lives in each technique's state, owned by the session) and
nothing here names a technique: `registry.TECHNIQUES` lists them.

Batch layout (one UNet batch may hold several candidate groups, e.g. several requests batched into
one forward). With classifier-free guidance and groups of sizes (N_0, N_1, ...), M = sum of N_g, the
UNet batch has 2M rows in diffusers' order, all unconditional rows first:

    [uncond of group 0 (N_0 rows), uncond of group 1 (N_1 rows), ...,
     cond of group 0 (N_0 rows),   cond of group 1 (N_1 rows), ...]

so `noise_pred.chunk(2)` still splits uncond from cond, and candidate row c of the latents (0 <= c < M)
is row c of the uncond half and row M + c of the cond half. Without guidance the batch is the M cond
rows. Every (half, group) block of rows is a pivot group: its first row is the pivot for batch reuse
and shared uncond; no row of one group ever influences another group's rows.
"""

from __future__ import annotations

import dataclasses
import functools
import re
from collections.abc import Callable, Hashable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Generic, Protocol, TypeVar

from obclip.errors import InvalidInputError
from obclip.errors import check_int as check_int  # re-exported for the techniques

if TYPE_CHECKING:
    import torch
    from diffusers.models.attention_processor import Attention

    from obclip.accel.config import AccelConfig

# Direct children of a UNet2DConditionModel that block skipping hooks.
DOWN_BLOCK_RE = re.compile(r"^down_blocks\.(\d+)$")
UP_BLOCK_RE = re.compile(r"^up_blocks\.(\d+)$")
MID_BLOCK_NAME = "mid_block"

ATTENTION_KINDS = ("self", "cross", "both")


def attention_modules(unet: torch.nn.Module) -> Iterator[tuple[str, Attention]]:
    """`(name, module)` for every diffusers `Attention` module of `unet` (the attention hooks' targets)."""
    from diffusers.models.attention_processor import Attention

    for name, module in unet.named_modules():
        if isinstance(module, Attention):
            yield name, module


def attention_kind(module: Attention) -> str:
    """`"cross"` for attn2-style modules (keys from the text), `"self"` otherwise."""
    return "cross" if module.is_cross_attention else "self"


# -- batch layout ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class StepBatch:
    """The rows the UNet body runs on one step and its pivot groups, as `(start, count)` row ranges.

    `changed_by` names the techniques that changed the batch from the layout's; caches are valid only
    for the batch they were filled on, so a group's caches are refreshed on the same steps whether it
    runs alone or beside other groups (even where its own rows did not change).
    """

    rows: int
    groups: tuple[tuple[int, int], ...]
    changed_by: tuple[str, ...] = ()


@dataclass(frozen=True, init=False)
class BatchLayout:
    """How candidate groups sit in the UNet batch (see the module docstring for the row order).

    `BatchLayout(N)` is one group of N candidates; `BatchLayout(groups=(N_a, N_b))` runs two groups
    (e.g. two requests) in one forward, each with its own pivots, unconditional rows and cache rows.

    Args:
        num_candidates (`int`, *optional*): N for a single group (give this or `groups`).
        guidance (`bool`, defaults to `True`): classifier-free guidance, i.e. uncond rows present.
        groups (`Sequence[int]`, *optional*): the candidate count of every group, in batch order.
    """

    groups: tuple[int, ...]
    guidance: bool

    def __init__(
        self, num_candidates: int | None = None, guidance: bool = True, *, groups: Sequence[int] | None = None
    ) -> None:
        if (num_candidates is None) == (groups is None):
            raise InvalidInputError("give either num_candidates or groups")
        if groups is None:
            check_int("num_candidates", num_candidates, minimum=1)
            assert num_candidates is not None
            groups = (num_candidates,)
        elif isinstance(groups, (str, bytes)) or not isinstance(groups, Sequence) or not groups:
            raise InvalidInputError(f"groups must be a non-empty sequence of candidate counts, got {groups!r}")
        for count in groups:
            check_int("group size", count, minimum=1)
        if not isinstance(guidance, bool):
            raise InvalidInputError(f"guidance must be a bool, got {guidance!r}")
        object.__setattr__(self, "groups", tuple(groups))
        object.__setattr__(self, "guidance", guidance)

    @property
    def num_candidates(self) -> int:
        """M, the candidates of all groups together (the rows of the latents)."""
        return sum(self.groups)

    @property
    def rows(self) -> int:
        """Rows of the UNet batch the engine passes in: 2M with guidance, M without."""
        return 2 * self.num_candidates if self.guidance else self.num_candidates

    def candidate_rows(self, group: int) -> slice:
        """Group `group`'s rows among the M candidate rows (latents, or either guidance half)."""
        start = sum(self.groups[:group])
        return slice(start, start + self.groups[group])

    def halves(self) -> tuple[int, ...]:
        """Start row of each guidance half: `(0, M)` with guidance (uncond, cond), `(0,)` without."""
        return (0, self.num_candidates) if self.guidance else (0,)

    def full_batch(self) -> StepBatch:
        """The batch as the engine passes it, one pivot group per (half, candidate group)."""
        groups = tuple(
            (half + self.candidate_rows(g).start, count)
            for half in self.halves()
            for g, count in enumerate(self.groups)
        )
        return StepBatch(self.rows, groups)


# -- the step plan ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class PlanContext:
    """What a technique's planner may look at besides its own config and state."""

    step: int
    num_steps: int | None
    layout: BatchLayout
    batch: StepBatch
    config: AccelConfig


@dataclass(frozen=True)
class StepPlan:
    """What every installed hook does on one step; made by `AccelSession.begin_step`.

    `batch` is what the UNet body runs on (fewer rows than the layout when shared uncond acts);
    `decisions[name]` is technique `name`'s decision for the step, `None` when it does nothing.
    """

    step: int
    batch: StepBatch
    decisions: Mapping[str, Any]
    techniques: tuple[Technique[Any, Any, Any], ...] = field(default=(), repr=False, compare=False)

    @property
    def rows(self) -> int:
        return self.batch.rows

    @property
    def groups(self) -> tuple[tuple[int, int], ...]:
        return self.batch.groups

    def get(self, name: str) -> Any:
        """Technique `name`'s decision, `None` when it is off or idle on this step."""
        return self.decisions.get(name)

    @property
    def writes_cache(self) -> bool:
        """True when a forward on this step stores something later steps read."""
        return any(
            t.writes_cache(self.decisions[t.name]) for t in self.techniques if self.decisions.get(t.name) is not None
        )

    def cost_key(self) -> tuple[Hashable, ...]:
        """Everything about the step that changes its compute (not what it stores)."""
        active = tuple(
            (t.name, t.cost_key(self.decisions[t.name]))
            for t in self.techniques
            if self.decisions.get(t.name) is not None
        )
        return (self.batch, active)


# -- the technique record --------------------------------------------------------------------------
class Removable(Protocol):
    def remove(self) -> None: ...


class State(Protocol):
    """A technique's per-session state; `reset()` drops everything it holds."""

    def reset(self) -> None: ...


ConfigT = TypeVar("ConfigT")
StateT = TypeVar("StateT", bound=State)
DecisionT = TypeVar("DecisionT")

#: What a hook calls to read the current step's plan (raises `RuntimeError` before `begin_step`).
PlanFn = Callable[[], StepPlan]


def _never(decision: Any) -> bool:
    return False


def _itself(decision: Any) -> Hashable:
    return decision


@dataclass(frozen=True)
class Technique(Generic[ConfigT, StateT, DecisionT]):
    r"""
    One acceleration, as its module exports it (`TECHNIQUE = Technique(...)`); `registry.TECHNIQUES`
    lists them and everything else (config, session, flags, eval, bench) iterates that tuple.

    Args:
        name (`str`): the key in `AccelConfig` and on the wire (`"block_skip"`).
        label (`str`): words for tables and help (`"block skipping"`).
        short (`str`): a one-word tag for eval rows (`"skip"`).
        config_class (`type`): a dataclass with `validate()`; fields carry flag metadata (`setting`).
        state_class (`type`): per-session state with `reset()`, made fresh for each session.
        plan (`Callable[[config, state, PlanContext], decision | None]`): the step's decision. Pure:
            it reads the state, never changes it.
        install (`Callable[[unet, config, state, plan_fn], list[Removable]]`): registers hooks or
            processors that read `plan_fn().get(name)` and returns handles whose `remove()` undoes them.
        step_fields (`tuple[str, ...]`): config fields holding a global step index (checked <= T).
        start_step (`Callable[[state, decision, plan], None]`, *optional*): called once the plan is fixed,
            before the forward: drops stored outputs that the step will replace.
        batch (`Callable[[decision], StepBatch]`, *optional*): for a technique that changes which rows
            the UNet body runs; planned before the others, which then see the new batch.
        layout (`Callable[[decision], BatchLayout]`, *optional*): for a technique that runs fewer
            candidates per group than the request has (it rebuilds the others' outputs itself); planned
            first of all, and every other technique plans on the layout it returns.
        writes_cache (`Callable[[decision], bool]`): the forward stores something later steps read.
        cost_key (`Callable[[decision], Hashable]`): what about the decision changes the compute.
    """

    name: str
    label: str
    short: str
    config_class: type[ConfigT]
    state_class: type[StateT]
    plan: Callable[[ConfigT, StateT, PlanContext], DecisionT | None]
    install: Callable[[torch.nn.Module, ConfigT, StateT, PlanFn], list[Removable]]
    step_fields: tuple[str, ...] = ()
    start_step: Callable[[StateT, DecisionT, Any], None] | None = None
    batch: Callable[[DecisionT], StepBatch] | None = None
    layout: Callable[[DecisionT], BatchLayout] | None = None
    writes_cache: Callable[[DecisionT], bool] = _never
    cost_key: Callable[[DecisionT], Hashable] = _itself


class NoState:
    """State of a technique that keeps nothing between steps."""

    def reset(self) -> None:
        pass


# -- config fields and validation ------------------------------------------------------------------
def setting(
    default: Any,
    help: str,
    *,
    flag: str | None = None,
    choices: tuple[str, ...] | None = None,
    cli_default: Any = dataclasses.MISSING,
    const: Any = dataclasses.MISSING,
    none_word: str | None = None,
    metavar: str | None = None,
) -> Any:
    """A config dataclass field with what the generated command-line flag needs.

    `flag` defaults to `--{technique}-{field}`; `cli_default` is the value the command line uses when
    the technique is on and the flag is not given (the dataclass default otherwise); `const` lets the
    flag be given without a value; `none_word` is how the command line spells `None`.
    """
    metadata = {"help": help, "flag": flag, "choices": choices, "none_word": none_word, "metavar": metavar}
    if cli_default is not dataclasses.MISSING:
        metadata["cli_default"] = cli_default
    if const is not dataclasses.MISSING:
        metadata["const"] = const
    return field(default=default, metadata=metadata)


def check_choice(name: str, value: Any, choices: tuple[str, ...]) -> None:
    if value not in choices:
        raise InvalidInputError(f"{name} must be one of {', '.join(choices)}; got {value!r}")


# -- hooks -----------------------------------------------------------------------------------------
class Hook:
    """A module hook as a technique writes it; `InstalledHook` registers it through diffusers'
    `HookRegistry` (so technique modules import neither torch nor diffusers until a hook is installed).
    """

    def initialize(self, module: torch.nn.Module) -> None:
        """Called once when the hook is registered on `module`."""

    def forward(self, module: torch.nn.Module, original: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        """Replaces `module.forward`; `original` is the forward it wraps."""
        return original(*args, **kwargs)


@functools.cache
def _model_hook_class() -> type:
    from diffusers.hooks.hooks import ModelHook

    class ObclipHook(ModelHook):
        def __init__(self, hook: Hook) -> None:
            super().__init__()
            self.hook = hook

        def initialize_hook(self, module: torch.nn.Module) -> torch.nn.Module:
            self.hook.initialize(module)
            return module

        def new_forward(self, module: torch.nn.Module, *args: Any, **kwargs: Any) -> Any:
            return self.hook.forward(module, self.fn_ref.original_forward, *args, **kwargs)

    return ObclipHook


class InstalledHook:
    """One `Hook` registered through diffusers' `HookRegistry`, removable so the module is as before."""

    def __init__(self, module: torch.nn.Module, hook: Hook, name: str) -> None:
        from diffusers.hooks.hooks import HookRegistry

        self.module = module
        self.name = name
        self._created_registry = not hasattr(module, "_diffusers_hook")
        self._had_forward_attr = "forward" in module.__dict__
        HookRegistry.check_if_exists_or_initialize(module).register_hook(_model_hook_class()(hook), name)

    def remove(self) -> None:
        registry = self.module._diffusers_hook
        registry.remove_hook(self.name, recurse=False)
        if self._created_registry and not registry.hooks:
            del self.module._diffusers_hook
            if not self._had_forward_attr:
                self.module.__dict__.pop("forward", None)


class InstalledProcessor:
    """An attention processor swapped in on one `Attention` module; `remove()` puts the original back."""

    def __init__(self, module: Attention, processor: Any) -> None:
        self.module = module
        self.original = module.processor
        module.set_processor(processor)

    def remove(self) -> None:
        self.module.set_processor(self.original)
