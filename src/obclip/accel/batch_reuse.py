"""Batch reuse: on early steps the pivot row of each group computes Q, K and the attention map, and
every candidate of the group applies that map to its own V (ObCLIP, Sec. "batch reuse").

Installed as an attention processor on diffusers `Attention` modules; removal restores the original.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from obclip.accel._common import (
    ATTENTION_KINDS,
    InstalledProcessor,
    NoState,
    PlanContext,
    PlanFn,
    Removable,
    StepPlan,
    Technique,
    attention_kind,
    attention_modules,
    check_choice,
    check_int,
    setting,
)
from obclip.errors import InvalidInputError

if TYPE_CHECKING:
    import torch
    from diffusers.models.attention_processor import Attention

NAME = "batch_reuse"


@dataclass
class BatchReuseConfig:
    r"""
    Configuration for batch reuse of attention maps across candidates.

    Args:
        attention (`str`, defaults to `"both"`):
            Which attention layers share the pivot's map: `"self"` (attn1), `"cross"` (attn2) or `"both"`
            (the paper's setting). Sharing cross-attention maps uses the pivot's text for the map, which can
            weaken the attribute that differs between candidates; see docs/accelerations.md.
        stop_step (`int`, *optional*):
            Reuse on global steps `i < stop_step`. `None`: the attention cache's `cache_step` when
            attention caching is on, otherwise every step.
    """

    attention: str = setting(
        "both",
        "attention layers that share the pivot candidate's maps (given alone: self, the most faithful)",
        flag="--batch-reuse",
        choices=ATTENTION_KINDS,
        cli_default="self",
        const="self",
        metavar="KIND",
    )
    stop_step: int | None = setting(
        None,
        "share maps on steps before STOP (default: the cache step with caching, else every step)",
        flag="--batch-reuse-stop",
        metavar="STOP",
    )

    def validate(self) -> None:
        check_choice("batch_reuse.attention", self.attention, ATTENTION_KINDS)
        check_int("batch_reuse.stop_step", self.stop_step, minimum=0, optional=True)


def plan(config: BatchReuseConfig, state: NoState, ctx: PlanContext) -> frozenset[str] | None:
    """The attention kinds (`"self"`, `"cross"`) whose maps the pivots share on this step, or None."""
    stop = config.stop_step
    if stop is None:
        cache = ctx.config.get("attention_cache")
        stop = getattr(cache, "cache_step", None)
    if stop is not None and ctx.step >= stop:
        return None
    return frozenset(("self", "cross") if config.attention == "both" else (config.attention,))


class BatchReuseAttnProcessor:
    """`AttnProcessor2_0` maths, except that on planned steps Q and K come from each group's pivot row.

    One `scaled_dot_product_attention` call per pivot group: the pivot's Q and K against the group's V
    placed side by side along the feature axis (`[heads, L, n*d]`), so the map is formed once and never
    per candidate. `to_q` / `to_k` run on the pivot rows only.
    """

    def __init__(self, plan_fn: PlanFn, original: Any, kind: str) -> None:
        self.plan_fn = plan_fn
        self.original = original
        self.kind = kind
        from diffusers.models.attention_processor import AttnProcessor

        # AttnProcessor2_0 leaves the scale to SDPA's default (1/sqrt(d)); AttnProcessor uses attn.scale.
        self._scale_from_module = type(original) is AttnProcessor

    def __call__(
        self,
        attn: Attention,
        hidden_states: torch.Tensor,
        encoder_hidden_states: torch.Tensor | None = None,
        attention_mask: torch.Tensor | None = None,
        temb: torch.Tensor | None = None,
        *args: Any,
        **kwargs: Any,
    ) -> torch.Tensor:
        plan = self.plan_fn()
        kinds = plan.get(NAME)
        if kinds is None or self.kind not in kinds:
            return self.original(attn, hidden_states, encoder_hidden_states, attention_mask, temb, *args, **kwargs)
        return self._shared_map(attn, plan, hidden_states, encoder_hidden_states, attention_mask, temb)

    def _shared_map(
        self,
        attn: Attention,
        plan: StepPlan,
        hidden_states: torch.Tensor,
        encoder_hidden_states: torch.Tensor | None,
        attention_mask: torch.Tensor | None,
        temb: torch.Tensor | None,
    ) -> torch.Tensor:
        import torch
        import torch.nn.functional as F

        residual = hidden_states
        if attn.spatial_norm is not None:
            hidden_states = attn.spatial_norm(hidden_states, temb)
        input_ndim = hidden_states.ndim
        if input_ndim == 4:
            batch_size, channel, height, width = hidden_states.shape
            hidden_states = hidden_states.view(batch_size, channel, height * width).transpose(1, 2)
        batch_size = hidden_states.shape[0]
        if batch_size != plan.rows:
            raise RuntimeError(f"batch reuse expected {plan.rows} rows in the attention batch, got {batch_size}")
        kv_length = (hidden_states if encoder_hidden_states is None else encoder_hidden_states).shape[1]
        if attention_mask is not None:
            attention_mask = attn.prepare_attention_mask(attention_mask, kv_length, batch_size)
            attention_mask = attention_mask.view(batch_size, attn.heads, -1, attention_mask.shape[-1])
        if attn.group_norm is not None:
            hidden_states = attn.group_norm(hidden_states.transpose(1, 2)).transpose(1, 2)
        if encoder_hidden_states is None:
            encoder_hidden_states = hidden_states
        elif attn.norm_cross:
            encoder_hidden_states = attn.norm_encoder_hidden_states(encoder_hidden_states)

        value = attn.to_v(encoder_hidden_states)
        heads = attn.heads
        outputs = []
        query_dtype = value.dtype
        for start, count in plan.groups:
            pivot = slice(start, start + 1)
            query = attn.to_q(hidden_states[pivot])
            key = attn.to_k(encoder_hidden_states[pivot])
            query_dtype = query.dtype
            head_dim = key.shape[-1] // heads
            query = query.view(1, -1, heads, head_dim).transpose(1, 2)
            key = key.view(1, -1, heads, head_dim).transpose(1, 2)
            if attn.norm_q is not None:
                query = attn.norm_q(query)
            if attn.norm_k is not None:
                key = attn.norm_k(key)
            v_dim = value.shape[-1] // heads
            # [count, L, heads, d] -> [1, heads, L, count*d]: the candidates' V side by side.
            group_value = value[start : start + count].view(count, kv_length, heads, v_dim)
            group_value = group_value.permute(2, 1, 0, 3).reshape(1, heads, kv_length, count * v_dim)
            mask = attention_mask[pivot] if attention_mask is not None else None
            scale = attn.scale if self._scale_from_module else None
            out = F.scaled_dot_product_attention(
                query, key, group_value, attn_mask=mask, dropout_p=0.0, is_causal=False, scale=scale
            )
            q_length = out.shape[2]
            out = out.view(heads, q_length, count, v_dim).permute(2, 1, 0, 3).reshape(count, q_length, -1)
            outputs.append(out)
        hidden_states = torch.cat(outputs, dim=0).to(query_dtype)
        hidden_states = attn.to_out[0](hidden_states)
        hidden_states = attn.to_out[1](hidden_states)
        if input_ndim == 4:
            hidden_states = hidden_states.transpose(-1, -2).reshape(batch_size, channel, height, width)
        if attn.residual_connection:
            hidden_states = hidden_states + residual
        return hidden_states / attn.rescale_output_factor


def install(unet: torch.nn.Module, config: BatchReuseConfig, state: NoState, plan_fn: PlanFn) -> list[Removable]:
    """Swap the processor of every matching `Attention` module; the handles put the originals back."""
    from diffusers.models.attention_processor import AttnProcessor, AttnProcessor2_0

    targets = []
    for _, module in attention_modules(unet):
        kind = attention_kind(module)
        if config.attention not in (kind, "both"):
            continue
        if not isinstance(module.processor, (AttnProcessor2_0, AttnProcessor)):
            raise InvalidInputError(
                f"batch reuse supports AttnProcessor2_0/AttnProcessor, found {type(module.processor).__name__}"
            )
        targets.append((module, kind))
    return [InstalledProcessor(m, BatchReuseAttnProcessor(plan_fn, m.processor, kind)) for m, kind in targets]


def _cost_key(kinds: frozenset[str]) -> tuple[str, ...]:
    return tuple(sorted(kinds))


TECHNIQUE = Technique(
    name=NAME,
    label="batch reuse",
    short="reuse",
    config_class=BatchReuseConfig,
    state_class=NoState,
    plan=plan,
    install=install,
    step_fields=("stop_step",),
    cost_key=_cost_key,
)
