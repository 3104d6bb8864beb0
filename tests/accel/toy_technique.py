"""A fifth acceleration written the way docs/accelerations.md says: this one file plus one entry in
`registry.TECHNIQUES` (the test adds it with monkeypatch). It scales the UNet's output from a step on,
which is no acceleration at all but shows every part a real one has."""

from __future__ import annotations

from dataclasses import dataclass

from obclip.accel._common import (
    Hook,
    InstalledHook,
    NoState,
    PlanContext,
    PlanFn,
    Removable,
    Technique,
    check_int,
    setting,
)

NAME = "output_scale"


@dataclass
class OutputScaleConfig:
    r"""
    Args:
        factor (`float`, defaults to `1.0`): what the UNet's output is multiplied by.
        start_step (`int`, defaults to `0`): scale on global steps `i >= start_step`.
    """

    factor: float = setting(1.0, "multiply the UNet output by F", cli_default=0.5, metavar="F")
    start_step: int = setting(0, "scale from this step on", metavar="STEP")

    def validate(self) -> None:
        check_int("output_scale.start_step", self.start_step, minimum=0)


def plan(config: OutputScaleConfig, state: NoState, ctx: PlanContext) -> float | None:
    return config.factor if ctx.step >= config.start_step else None


class OutputScaleHook(Hook):
    def __init__(self, plan_fn: PlanFn) -> None:
        self.plan_fn = plan_fn

    def forward(self, module, original, *args, **kwargs):
        output = original(*args, **kwargs)
        factor = self.plan_fn().get(NAME)
        return output if factor is None else output * factor


def install(unet, config: OutputScaleConfig, state: NoState, plan_fn: PlanFn) -> list[Removable]:
    return [InstalledHook(unet.conv_out, OutputScaleHook(plan_fn), f"obclip_{NAME}")]


TECHNIQUE = Technique(
    name=NAME,
    label="output scaling",
    short="scale",
    config_class=OutputScaleConfig,
    state_class=NoState,
    plan=plan,
    install=install,
    step_fields=("start_step",),
)
