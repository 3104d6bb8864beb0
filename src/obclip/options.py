"""`GenerationOptions`: every option of a private generation, declared once, torch-free.

Three frozen parts: `PublicOptions` (what crosses the wire: the same whichever candidate is the
user's), `PrivateOptions` (the device's: never sent) and `CloudOptions` (which cloud, which model).
Each field carries an `Option` (its help, flag, bounds, label), from which the `generate` command's
flags, the app's schema, the wire request's check, the image metadata and the report are derived.
"""

from __future__ import annotations

import dataclasses
import typing
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from obclip.defaults import DEFAULT_GUIDANCE, DEFAULT_LARGE, DEFAULT_STEPS, DEFAULT_SWITCH_STEP

if TYPE_CHECKING:
    from obclip.accel.config import AccelConfig

SCHEDULER_NAMES: tuple[str, ...] = ("dpmsolver++", "ddim", "euler", "lcm")
"""The solvers of `engine.schedulers.SCHEDULERS` (a test keeps them equal), here so a parser needs no torch."""
DEFAULT_SCHEDULER = "dpmsolver++"
MAX_STEPS = 1000
POLICIES: tuple[str, ...] = ("generalize", "keep-cues")
"""The anonymity policies of `privacy.correlate` (a test keeps them equal), here so a parser needs no privacy import."""
MAX_GUIDANCE = 50.0


@dataclass(frozen=True)
class Option:
    """How one option is offered: its help line, its `obclip generate` flag, its bounds and its
    label in the app. `flag=None`: the command line declares it elsewhere (the anonymity policy
    flags `obclip candidates` shares) or not at all; `label=None`: the app does not offer it."""

    help: str
    flag: str | None = None
    metavar: str | None = None
    ge: float | None = None
    gt: float | None = None
    le: float | None = None
    choices: tuple[str, ...] | None = None
    label: str | None = None
    in_image: bool = False
    """Written into the image file's settings (`image_metadata`)."""
    max_length: int | None = None
    wire_required: bool = False
    """A cloud request must spell it out (the options requests have carried from the start)."""


def _option(default: Any, /, **how: Any) -> Any:
    """A dataclass field with its `Option` (`compare=False` for `accel`, compared by its wire form)."""
    compare = how.pop("compare", True)
    factory = how.pop("factory", None)
    extra = {"option": Option(**how)}
    if factory is not None:
        return field(default_factory=factory, metadata=extra, compare=compare)
    return field(default=default, metadata=extra, compare=compare)


@dataclass(frozen=True, kw_only=True)
class PublicOptions:
    """What the cloud is told besides the candidates and the seed: public by construction.

    `DenoiseSpec` (the cloud request) and `GenerationReport` extend this class, so a field added
    here is in both, in the wire request's check and in the image's metadata without further edits.
    """

    steps: int = _option(
        DEFAULT_STEPS, help="total denoising steps", flag="--steps", metavar="T", ge=1, le=MAX_STEPS,
        label="Steps T", in_image=True, wire_required=True,
    )  # fmt: skip
    switch_step: int = _option(
        DEFAULT_SWITCH_STEP, help="steps run in the cloud", flag="--switch-step", metavar="k", ge=0, le=MAX_STEPS,
        label="Cloud steps k", in_image=True, wire_required=True,
    )  # fmt: skip
    scheduler: str = _option(
        DEFAULT_SCHEDULER, help="solver: " + ", ".join(f"`{name}`" for name in SCHEDULER_NAMES)
        + "; lcm for LCM-distilled UNets, its noise seeded by --seed", flag="--scheduler",
        choices=SCHEDULER_NAMES, label="Scheduler", in_image=True, wire_required=True,
    )  # fmt: skip
    guidance: float = _option(
        DEFAULT_GUIDANCE, help="classifier-free guidance scale", flag="--guidance", ge=0, le=MAX_GUIDANCE,
        label="Guidance", in_image=True, wire_required=True,
    )  # fmt: skip
    guidance_rescale: float = _option(
        0.0, help="pull the guided noise back to the conditional noise's spread, 0 to 1 (diffusers' guidance_rescale; "
        "0.7 against over-exposure with zero-terminal-SNR models)", flag="--guidance-rescale", metavar="PHI", ge=0,
        le=1, label="Guidance rescale", in_image=True,
    )  # fmt: skip
    height: int | None = _option(
        None, help="image height, a multiple of 8 (default: the model's)", flag="--height", ge=8, label="Height",
        in_image=True,
    )  # fmt: skip
    width: int | None = _option(
        None, help="image width, a multiple of 8 (default: the model's)", flag="--width", ge=8, label="Width",
        in_image=True,
    )  # fmt: skip
    negative_prompt: str = _option(
        "", help="what the image should not show (both halves' unconditional branch); the cloud reads it in clear, "
        "so one that states a sensitive attribute is refused", flag="--negative-prompt", metavar="TEXT",
        label="Negative prompt", in_image=True, max_length=1000,
    )  # fmt: skip
    accel: AccelConfig | None = _option(  # noqa: RUF009 - `_option` is `field()` with its metadata
        None, help="cloud acceleration options (`obclip.accel.AccelConfig`); None for plain steps", compare=False,
    )  # fmt: skip

    def check_bounds(self) -> None:
        """Raise `InvalidInputError` for a number outside its option's bounds (`Option.ge`, `gt`, `le`)."""
        from obclip.errors import InvalidInputError

        for f, option in option_fields(PublicOptions):
            value = getattr(self, f.name)
            if value is None or isinstance(value, bool) or not isinstance(value, (int, float)):
                continue  # types are the spec's own checks
            name = f.name.replace("_", " ")
            if option.ge is not None and not value >= option.ge:
                raise InvalidInputError(f"{name} must be at least {option.ge:g}, got {value!r}")
            if option.gt is not None and not value > option.gt:
                raise InvalidInputError(f"{name} must be above {option.gt:g}, got {value!r}")
            if option.le is not None and not value <= option.le:
                raise InvalidInputError(f"{name} must be at most {option.le:g}, got {value!r}")

    def check_numbers(self) -> None:
        """`check_bounds`, then the switch step against the steps: the checks a parser can run
        before any model library is imported (`DenoiseSpec.validate` repeats them on every request)."""
        from obclip.errors import InvalidInputError

        self.check_bounds()
        if self.switch_step > self.steps:
            raise InvalidInputError(f"switch step {self.switch_step} is larger than steps {self.steps}")

    def public_options(self) -> dict[str, Any]:
        """The options as they travel: JSON-able values (`accel` in its wire form)."""
        values = {f.name: getattr(self, f.name) for f in dataclasses.fields(PublicOptions)}
        values["accel"] = self.accel.to_dict() if self.accel is not None else None
        return values


@dataclass(frozen=True, kw_only=True)
class PrivateOptions:
    """What stays on the device: the privacy policy, the device model and how it finishes."""

    small: str | None = _option(
        None, help="device model sharing the large one's text encoder and VAE; 'same'", flag="--small",
        metavar="MODEL", label="Device model", max_length=500,
    )  # fmt: skip
    max_candidates: int | None = _option(
        None, help="budget on the number of candidates", flag="--max-candidates", metavar="M", ge=1, label="N budget",
    )  # fmt: skip
    taxonomy: Any = _option(  # noqa: RUF009 - `_option` is `field()` with its metadata
        None, help="taxonomy file replacing the default", flag="--taxonomy", metavar="FILE"
    )  # fmt: skip
    opt_in: tuple[str, ...] = _option(
        (), help="opt-in attributes of the default taxonomy to vary too, e.g. ('religion',)", label="Opt-in attributes"
    )  # fmt: skip
    strict: bool = _option(
        False, help="refuse while any word sent in clear reveals a sensitive attribute", label="Strict"
    )  # fmt: skip
    policy: str | None = _option(
        None, help="the anonymity policy: 'generalize' (the default: a revealing word is sent as its neutral "
        "form and the attribute stays varied) or 'keep-cues' (sent as written; the attribute is not varied)",
        choices=POLICIES, label="Anonymity policy",
    )  # fmt: skip
    generalize: bool | None = _option(
        None, help="the older spelling of policy (True: 'generalize', False: 'keep-cues')"
    )  # fmt: skip
    min_anonymity: int | None = _option(
        None, help="refuse unless at least this many candidates remain", ge=1, label="Minimum anonymity"
    )  # fmt: skip
    send_unread: bool = _option(
        False, help="send a prompt obclip cannot read (not in English) as written, knowing the cloud reads it exactly; "
        "by default such a prompt is refused before anything is sent", label="Send a prompt obclip cannot read",
    )  # fmt: skip
    shuffle_seed: int | None = _option(None, help="fixes the candidate order (tests); CSPRNG when None")
    device_timestep_shift: int = _option(
        0, help="the device UNet reads timestep t - DT (the paper's LCM setting: --scheduler lcm --steps 8 "
        "--switch-step 4 --device-timestep-shift 8); 0 continues the cloud's run exactly",
        flag="--device-timestep-shift", metavar="DT", ge=0, le=MAX_STEPS, label="Device timestep shift",
    )  # fmt: skip


@dataclass(frozen=True, kw_only=True)
class CloudOptions:
    """Which cloud runs steps [0, k), and on which model."""

    large: str = _option(
        DEFAULT_LARGE, help="cloud model: hub id, directory, embedded:NAME", flag="--large", metavar="MODEL",
        label="Cloud model", max_length=500,
    )  # fmt: skip
    cloud: str = _option(
        "local", help="where the cloud half runs: local, or the URL of an obclip server", flag="--cloud",
        metavar="local|URL", label="Cloud",
        max_length=500,
    )  # fmt: skip
    token: str | None = _option(None, help="bearer token for a remote cloud", label="Token", max_length=1000)
    connect_timeout: float | None = _option(
        None, help="seconds a remote cloud may take to accept a connection", flag="--connect-timeout", metavar="S",
        gt=0, le=600, label="Connect timeout",
    )  # fmt: skip


PARTS: tuple[type, ...] = (PublicOptions, PrivateOptions, CloudOptions)


@dataclass(frozen=True)
class GenerationOptions:
    """Every option of a generation, in its three parts; `of(**flat)` builds one from names."""

    public: PublicOptions = field(default_factory=PublicOptions)
    private: PrivateOptions = field(default_factory=PrivateOptions)
    cloud: CloudOptions = field(default_factory=CloudOptions)

    @classmethod
    def of(cls, **values: Any) -> GenerationOptions:
        """Options from flat names (`steps=8, policy="keep-cues", large=...`); an unknown name is a TypeError."""
        parts: list[dict[str, Any]] = [{}, {}, {}]
        for name, value in values.items():
            if name not in _PART_OF:
                raise TypeError(f"unknown option {name!r} (options: {', '.join(_PART_OF)})")
            parts[_PART_OF[name]][name] = value if name != "opt_in" else _names(value)
        return cls(PublicOptions(**parts[0]), PrivateOptions(**parts[1]), CloudOptions(**parts[2]))

    def replace(self, **values: Any) -> GenerationOptions:
        """A copy with the named options changed (flat names, as `of`)."""
        return GenerationOptions.of(**{**self.flat(), **values})

    def flat(self) -> dict[str, Any]:
        """Every option by name (`of`'s inverse)."""
        return {f.name: getattr(part, f.name) for part in self.parts() for f in dataclasses.fields(part)}

    def parts(self) -> tuple[PublicOptions, PrivateOptions, CloudOptions]:
        return (self.public, self.private, self.cloud)


def _names(value: str | Sequence[str]) -> tuple[str, ...]:
    return (value,) if isinstance(value, str) else tuple(value)


def option_fields(*parts: type) -> Iterator[tuple[dataclasses.Field[Any], Option]]:
    """(field, its `Option`) of each part's options, in declaration order (all parts by default)."""
    for part in parts or PARTS:
        for f in dataclasses.fields(part):
            yield f, f.metadata["option"]


_PART_OF = {f.name: index for index, part in enumerate(PARTS) for f, _ in option_fields(part)}
OPTION_NAMES: tuple[str, ...] = tuple(_PART_OF)
WIRE_FIELDS: tuple[str, ...] = tuple(f.name for f, _ in option_fields(PublicOptions))
PLAN_FIELDS: tuple[str, ...] = tuple(
    f.name for f, _ in option_fields(PrivateOptions) if f.name not in ("small", "device_timestep_shift")
)
"""The private options that make the candidate set: the privacy policy `api.plan` applies."""
"""The public options' names: with the candidates and the seed, what a cloud request carries."""

IMAGE_METADATA_KEYS: tuple[str, ...] = (
    "seed",
    "large",
    "small",
    *(f.name for f, option in option_fields(PublicOptions) if option.in_image),
    "num_candidates",
    "accelerations",
)
"""The settings written into an image file (`cli._common.image_metadata`; the prompt only when asked)."""


def option_types(part: type) -> dict[str, Any]:
    """A part's option types as objects (`int | None`, `tuple[str, ...]`), for a schema; the
    accelerations' (`AccelConfig`, imported only by a type checker here) read as `Any`."""
    return typing.get_type_hints(part, localns={"AccelConfig": Any})


def field_type(f: dataclasses.Field[Any]) -> type:
    """The plain type of an option (`int | None` -> int), for a parser."""
    text = str(f.type).replace(" | None", "")
    return {"int": int, "float": float, "str": str, "bool": bool}.get(text, object)


def defaults(**overrides: Any) -> Mapping[str, Any]:
    """Every option's default by name, `overrides` applied (what the app's settings page starts from)."""
    return {**GenerationOptions().flat(), **overrides}
