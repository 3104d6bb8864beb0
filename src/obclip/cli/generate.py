"""`obclip generate` and `obclip demo`: private generations, cloud steps [0,k) then device steps [k,T).

Several seeds run in one process with the models loaded once; every output path is checked
before any work, and PNGs carry the settings that made them (the prompt only when asked).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from obclip.cli._common import (
    check_hub_access,
    image_metadata,
    output_paths,
    raise_invalid,
    save_image,
    seed_list,
)

DTYPE_NAMES = ("float32", "float16", "bfloat16")  # `engine.models.DTYPES` (a test keeps them equal)

DEMO_PROMPT = "portrait of an old man with dark skin wearing glasses, blue background"
DEFAULT_CONNECT_TIMEOUT_S = 10.0
# The VAE of every supported family (SD 1.x/2.x, SDXL) shrinks an image 8 times per side.
SIZE_MULTIPLE = 8


def _add_generation_options(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--out",
        metavar="FILE.png",
        help="where to write the image (default: the next free out/obclip-NNNN.png); "
        "with several images {seed} in the name is replaced, or -SEED is added",
    )
    p.add_argument("--overwrite", action="store_true", help="replace an existing --out file (refused otherwise)")
    p.add_argument(
        "--seed",
        type=seed_list,
        metavar="S|A-B|A,B",
        help="seed of the shared initial noise; a range or list makes one image per seed (default: random)",
    )
    p.add_argument(
        "--num-images",
        type=int,
        metavar="N",
        help="images in this run, models loaded once; seeds S, S+1, ... from --seed (default 1)",
    )
    add_option_flags(p)
    p.add_argument(
        "--allow-size",
        action="store_true",
        help="accept a size other than the model's native one (SD models tile or repeat subjects off-size)",
    )
    p.add_argument(
        "--religion", action="store_true", help="also vary religion (an opt-in attribute of the default taxonomy)"
    )
    from obclip.cli.candidates import add_anonymity_options

    add_anonymity_options(p)
    p.add_argument("--token-file", metavar="FILE", help="bearer token for a remote cloud")
    where = p.add_argument_group("where the models run (default: the first GPU in float16, else the CPU in float32)")
    where.add_argument("--device", metavar="DEV", help="the device half's models: cpu, cuda, cuda:1, mps")
    where.add_argument("--dtype", choices=DTYPE_NAMES, help="the device half's dtype")
    where.add_argument("--cloud-device", metavar="DEV", help="an in-process cloud's models (default: --device)")
    where.add_argument("--cloud-dtype", choices=DTYPE_NAMES, help="an in-process cloud's dtype (default: --dtype)")
    p.add_argument(
        "--metadata",
        choices=("settings", "prompt", "none"),
        default="settings",
        help="what the image file carries (PNG text; JPEG and WebP EXIF, JPEG comment): the settings (default), "
        "the settings and the prompt, or nothing",
    )
    p.add_argument("--json", action="store_true", help="print the run's report as JSON (one line per image)")
    p.add_argument("--quiet", action="store_true", help="no progress bars")
    _add_accel_options(p)


def add_option_flags(p: argparse.ArgumentParser) -> None:
    """One flag per `obclip.options` option that has one, its help, default, bounds and choices from there."""
    from obclip.options import field_type, option_fields

    for f, option in option_fields():
        if option.flag is None:
            continue
        default = f.default
        shown = f" (default {default})" if default not in (None, "", ()) else ""
        kind = field_type(f)
        p.add_argument(
            option.flag,
            dest=f.name,
            type=None if option.choices else kind,
            choices=option.choices,
            default=default,
            metavar=option.metavar,
            help=option.help + shown,
        )


def _add_accel_options(p: argparse.ArgumentParser) -> None:
    from obclip.accel.config import AccelConfig
    from obclip.accel.flags import add_accel_arguments

    g = p.add_argument_group(
        "cloud accelerations (docs/accelerations.md; all off by default). Any flag of an acceleration turns "
        "it on; its other settings default to the variant measured most faithful"
    )
    g.add_argument(
        "--accel",
        choices=(*AccelConfig.PRESETS, "none"),
        help="a measured stack with its points set for --switch-step (not combined with the flags below)",
    )
    g.add_argument(
        "--accel-json",
        metavar="FILE",
        help="acceleration options as JSON, in the wire form (docs/accelerations.md); not combined with the flags",
    )
    add_accel_arguments(g)


def accel_from_args(args: argparse.Namespace):
    """The `AccelConfig` the acceleration flags ask for, or None when none is set."""
    from obclip.accel.config import AccelConfig
    from obclip.accel.flags import config_from_args, given_settings

    chosen = [flag for flag, value in (("--accel", args.accel), ("--accel-json", args.accel_json)) if value]
    if given_settings(args):
        chosen.append("the single acceleration flags")
    if len(chosen) > 1:
        raise_invalid(f"give only one of {' and '.join(chosen)}")
    value = args.accel or args.accel_json or config_from_args(args)
    return AccelConfig.parse(value, switch_step=args.switch_step, num_steps=args.steps)


def register(sub: argparse._SubParsersAction) -> None:
    register_generate(sub)
    register_demo(sub)


def register_generate(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("generate", help="generate an image privately (cloud steps [0,k), device steps [k,T))")
    p.add_argument("prompt", help="what to draw; it stays on this machine, the cloud sees only its candidates")
    _add_generation_options(p)
    p.set_defaults(run=_run_generate)


def register_demo(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("demo", help="generate the demo prompt with the embedded models, offline")
    p.add_argument("--prompt", default=DEMO_PROMPT, help=f"default: {DEMO_PROMPT!r}")
    _add_generation_options(p)
    p.set_defaults(run=_run_generate, seed=[0])


def _seeds(args: argparse.Namespace) -> list[int | None]:
    """One entry per image: the seeds asked for, consecutive from --seed, or random (None)."""
    count = args.num_images
    if count is not None and count < 1:
        raise_invalid(f"--num-images must be at least 1, got {count}")
    if args.seed is None:
        if count is None or count == 1:
            return [None]
        import secrets

        start = secrets.randbits(62)
        return list(range(start, start + count))
    if len(args.seed) == 1 and count is not None:
        return list(range(args.seed[0], args.seed[0] + count))
    if count is not None and count != len(args.seed):
        raise_invalid(f"--num-images {count} disagrees with the {len(args.seed)} seeds of --seed")
    return list(args.seed)


def _check_numbers_early(args: argparse.Namespace) -> None:
    """Sizes, steps and the switch step are refused before any model library is imported."""
    for flag, side in (("--height", args.height), ("--width", args.width)):
        if side is not None and (side <= 0 or side % SIZE_MULTIPLE):
            raise_invalid(f"{flag} must be a positive multiple of {SIZE_MULTIPLE}, got {side}")
    from obclip.options import PublicOptions

    given = {name: getattr(args, name) for name in ("steps", "switch_step", "guidance", "guidance_rescale")}
    PublicOptions(**{name: value for name, value in given.items() if value is not None}).check_numbers()


def _check_size(args: argparse.Namespace) -> None:
    """Refuse a size other than the model's native one unless --allow-size (it tiles faces)."""
    if args.allow_size or (args.height is None and args.width is None):
        return
    from obclip.engine.models import native_size

    native, factor = native_size(args.large, args.small)  # config files only: no weights load to refuse
    asked = (args.height or native, args.width or native)
    if any(side % factor for side in asked):
        raise_invalid(f"height and width must each be a multiple of {factor}, got {asked[0]}x{asked[1]}")
    if asked != (native, native):
        raise_invalid(
            f"{args.large} draws {native}x{native} images; {asked[0]}x{asked[1]} gives repeated or broken "
            "subjects. Pass --allow-size to use it anyway"
        )


def _run_generate(args: argparse.Namespace) -> int:
    seeds = _seeds(args)
    paths = output_paths(args.out, seeds, overwrite=args.overwrite)
    token = _read_token(args.token_file)
    accel = accel_from_args(args)
    _check_numbers_early(args)
    _tell_what_is_sent(args)
    _check_cloud_reachable(args)
    check_hub_access([args.large, args.small])
    _check_size(args)
    from obclip.engine.models import check_scheduler_config

    check_scheduler_config(args.large, args.scheduler)  # config files only, before the cloud is told anything
    options = generation_options(args, accel, token)
    cloud = _cloud(args, token)
    pipe = _pipeline(args, cloud)

    path = paths[0]
    try:
        for seed, path in zip(seeds, paths, strict=True):
            _generate_one(pipe, args, options, seed, path)
    except KeyboardInterrupt:
        cloud.close()  # a remote cloud drops the job of a client that has gone
        written = "" if path.exists() else f"; {path} not written"
        print(f"obclip: cancelled (Ctrl+C): the cloud's job was stopped{written}", file=sys.stderr, flush=True)
        return 130
    finally:
        cloud.close()
    return 0


def _generate_one(pipe: Any, args: argparse.Namespace, options: Any, seed: int | None, path: Path) -> None:
    """One image: generated, written with its metadata, reported."""
    result = pipe.generate(args.prompt, options, seed=seed)
    report = {**result.report.to_dict(), "cloud": args.cloud}
    metadata = {} if args.metadata == "none" else image_metadata(report, prompt=_prompt_if(args))
    save_with_metadata(result.image, path, metadata)
    _print_result(args, report, path)


def generation_options(args: argparse.Namespace, accel: Any, token: str | None) -> Any:
    """The `GenerationOptions` the flags ask for (the parsed accelerations and the token's contents)."""
    from obclip.options import OPTION_NAMES, GenerationOptions

    given = {name: getattr(args, name) for name in OPTION_NAMES if hasattr(args, name)}
    return GenerationOptions.of(**{**given, "opt_in": _opt_in(args), "accel": accel, "token": token})


def _pipeline(args: argparse.Namespace, cloud: Any) -> Any:
    """The pipeline the run's images share: the device half on --device/--dtype, the cloud as built."""
    from obclip.pipeline import DeviceHalf, ObclipPipeline

    half = DeviceHalf(args.large, args.small, device=args.device, dtype=args.dtype)
    return ObclipPipeline(half, cloud, cloud_name=args.cloud, quiet=args.quiet)


class _TellingCloud:
    """The cloud half, saying on stderr what it waits for before it waits (a remote answer can take minutes)."""

    def __init__(self, backend: Any, where: str, quiet: bool) -> None:
        self.backend = backend
        self.where = where
        self.quiet = quiet

    def denoise(self, spec: Any) -> Any:
        if not self.quiet:
            print(
                f"cloud: {spec.num_candidates} candidates, steps [0,{spec.switch_step}) {self.where}; Ctrl+C cancels",
                file=sys.stderr,
                flush=True,
            )
        return self.backend.denoise(spec)

    def close(self) -> None:
        close = getattr(self.backend, "close", None)
        if close is not None:
            close()


def _check_cloud_reachable(args: argparse.Namespace) -> None:
    """One `GET /healthz` to a remote --cloud before torch is even imported, so a wrong address or a
    refused connection is said in about a second, not after loading models and minutes of retries."""
    if args.connect_timeout is not None and not 0 < args.connect_timeout <= 600:
        raise_invalid(f"--connect-timeout must lie in (0, 600] seconds, got {args.connect_timeout:g}")
    if args.cloud == "local":
        return
    if not args.cloud.startswith(("http://", "https://")):
        raise_invalid(f"--cloud must be 'local' or an http(s):// URL, got {args.cloud!r}")
    import httpx

    from obclip.errors import ServiceError

    try:
        shown = str(httpx.URL(args.cloud).copy_with(username=None, password=None)).rstrip("/")
    except (httpx.InvalidURL, ValueError) as exc:
        raise_invalid(f"--cloud {args.cloud!r} is not a URL: {exc}")
    if not args.quiet:
        print(f"connecting to the cloud at {shown}", file=sys.stderr, flush=True)
    timeout = args.connect_timeout or DEFAULT_CONNECT_TIMEOUT_S
    try:
        with httpx.Client(timeout=httpx.Timeout(timeout), follow_redirects=False) as client:
            client.get(args.cloud.rstrip("/") + "/healthz", headers={"Accept-Encoding": "identity"})
    except httpx.TimeoutException:
        raise ServiceError(f"the cloud at {shown} did not answer within {timeout:g} s (--connect-timeout)") from None
    except httpx.TransportError as exc:
        reason = " ".join(str(exc).split())[:200] or type(exc).__name__
        raise ServiceError(f"cannot reach the cloud at {shown}: {reason}") from None


def _cloud(args: argparse.Namespace, token: str | None) -> _TellingCloud:
    """The cloud backend of --cloud (checked reachable by `_check_cloud_reachable`)."""
    if args.cloud == "local":
        from obclip.engine import LocalCloud

        local = LocalCloud(
            args.large,
            quiet=args.quiet,
            device=args.cloud_device or args.device,
            dtype=args.cloud_dtype or (args.dtype if args.cloud_device is None else None),
        )
        return _TellingCloud(local, "in this process", args.quiet)
    from obclip.service.client import HttpCloud, HttpOptions

    connect = args.connect_timeout or DEFAULT_CONNECT_TIMEOUT_S
    remote = HttpCloud(args.cloud, token=token, model=args.large, options=HttpOptions.of(connect_timeout=connect))
    return _TellingCloud(remote, f"at {remote.shown_url}", args.quiet)


def save_with_metadata(image: Any, path: Path, metadata: dict[str, str]) -> Path:
    """Write `image` with `metadata`: PNG text chunks; for JPEG and WebP, EXIF ImageDescription
    (JSON, ASCII-escaped) and, for JPEG, the same JSON as a COM comment."""
    if path.suffix.lower() == ".png" or not metadata:
        return save_image(image, path, metadata)
    from PIL import Image

    text = json.dumps(dict(metadata), ensure_ascii=True, sort_keys=True)
    exif = Image.Exif()
    exif[0x010E] = text  # ImageDescription
    options: dict[str, Any] = {"exif": exif.tobytes()}
    if path.suffix.lower() in (".jpg", ".jpeg"):
        options["comment"] = text
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        image.save(path, **options)
    except OSError as exc:
        raise_invalid(f"cannot write {str(path)!r}: {exc.strerror or exc}")
    return path


def _opt_in(args: argparse.Namespace) -> tuple[str, ...]:
    return ("religion",) if args.religion else ()


def _tell_what_is_sent(args: argparse.Namespace) -> None:
    """Before any model is loaded or anything is sent: the words in clear that reveal an attribute,
    the anonymity and the other residual-risk words of the set this run sends (the very set
    `obclip candidates` shows), and the refusals (a prompt not in English without --send-unread,
    --strict, --min-anonymity)."""
    from obclip.cli.candidates import tell_residual
    from obclip.view import checked_view

    cset = checked_view(
        args.prompt,
        large=args.large,
        taxonomy=args.taxonomy,
        max_candidates=args.max_candidates,
        opt_in=_opt_in(args),
        strict=args.strict,
        policy=args.policy,
        min_anonymity=args.min_anonymity,
        send_unread=args.send_unread,
        negative_prompt=args.negative_prompt,
        flags=True,
    )
    tell_residual(cset)


def _prompt_if(args: argparse.Namespace) -> str | None:
    return args.prompt if args.metadata == "prompt" else None


def _print_result(args: argparse.Namespace, report: dict, path: Path) -> None:
    if args.json:
        print(json.dumps({"image": str(path), **report}, ensure_ascii=False), flush=True)
        return
    t = report["timings"]
    print(
        f"N={report['num_candidates']} candidates, cloud steps [0,{report['switch_step']}) on {report['large']}, "
        f"device steps [{report['switch_step']},{report['steps']}) on {report['small']}; seed {report['seed']}; "
        f"cloud {t['cloud_s']:.2f} s, device {t['device_s']:.2f} s, total {t['total_s']:.2f} s"
    )
    if report["notice"]:
        print(f"notice: {report['notice']}")
    print(f"image written to {path}", flush=True)


def _read_token(path: str | None) -> str | None:
    """The first token of a token file in the server's format (`obclip.service.tokens`)."""
    if path is None:
        return None
    from obclip.service.tokens import read_token

    return read_token(path)
