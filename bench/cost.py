"""Cost table in the shape of the ObCLIP paper's Table 2: cloud and device MACs per request.

MACs are counted by stepping the (hooked) UNets on the `meta` device through the steps each party runs,
so every acceleration is counted as it really runs. `--latency` also times the cloud part of each row
on the present device; `--fidelity` measures each acceleration's deviation on the embedded models.

    python bench/cost.py                       # MAC table, N = 2, 6, 30, k = 5, 10, T = 25
    python bench/cost.py --json cost.json      # and write the rows
    python bench/cost.py --latency --size 256 --reps 3 --n 2 --k 5
    python bench/cost.py --k 10 --plot docs/cost.png   # and cloud MACs against N for every stack
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import statistics
import sys
import time
from dataclasses import dataclass, field
from typing import Any

import torch

from obclip.accel import AccelConfig, BatchLayout, apply_accelerations
from obclip.accel.flags import add_accel_arguments, given_settings, section_from
from obclip.accel.registry import technique, techniques
from obclip.engine.flops import (
    BK_SDM_SMALL_UNET_CONFIG,
    KOALA_700M_UNET_CONFIG,
    SD15_UNET_CONFIG,
    SDXL_UNET_CONFIG,
    ForwardMemo,
    MacCount,
    build_meta_unet,
    count_request,
    count_text_encoder,
    count_vae_decode,
)

TERA = 1e12
# Model families: (cloud UNet, device UNet, their names, native size in px).
FAMILIES = {
    "sd15": (SD15_UNET_CONFIG, BK_SDM_SMALL_UNET_CONFIG, "SD-1.5 UNet", "BK-SDM-small-like UNet", 512),
    "sdxl": (SDXL_UNET_CONFIG, KOALA_700M_UNET_CONFIG, "SDXL-base-1.0 UNet", "KOALA-700M UNet", 1024),
}
# The paper's Table 2 adds caching, then batch reuse, then block skipping; other techniques follow in
# registry order.
PAPER_ROW_ORDER = ("attention_cache", "batch_reuse", "block_skip")
# Config fields the K:R:S schedule sets, by name, in whichever technique has them.
SCHEDULE_FIELDS = ("cache_step", "skip_step")
# Named stacks (AccelConfig presets, their r and s set for each k) shown beside the cumulative rows.
DEFAULT_PRESETS = ("paper", "recommended", "scalable")
# Candidate counts of the cost-against-N plot.
CURVE_N = (1, 2, 4, 6, 9, 12, 18, 24, 30, 36)


def stage_names() -> list[str]:
    names = [t.name for t in techniques()]
    return [n for n in PAPER_ROW_ORDER if n in names] + [n for n in names if n not in PAPER_ROW_ORDER]


def stage_label(name: str) -> str:
    return f"+ {technique(name).label}"


@dataclass
class Schedule:
    """One column group: switch step k with its cache step r and skip step s."""

    k: int
    r: int
    s: int


@dataclass
class Row:
    method: str
    label: str
    num_candidates: int
    k: int | None
    accelerations: list[str]
    cloud: MacCount
    device: MacCount
    accel_config: dict[str, Any] | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def to_json(self, steps: int) -> dict[str, Any]:
        return {
            "method": self.method,
            "label": self.label,
            "N": self.num_candidates,
            "k": self.k,
            "T": steps,
            "accelerations": self.accelerations,
            "accel_config": self.accel_config,
            "cloud_macs": self.cloud.conv_linear,
            "device_macs": self.device.conv_linear,
            "cloud_macs_with_attention": self.cloud.total,
            "device_macs_with_attention": self.device.total,
            **self.extra,
        }


def parse_schedule(text: str) -> Schedule:
    try:
        k, r, s = (int(part) for part in text.split(":"))
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"expected K:R:S (e.g. 10:4:6), got {text!r}") from exc
    return Schedule(k, r, s)


def stage_configs(args: argparse.Namespace, sched: Schedule) -> list[tuple[list[str], AccelConfig]]:
    """The cumulative ObCLIP rows: none, then one technique more per row, in `--stages` order.

    Each technique's settings are its flags (dataclass defaults: the paper's), with the schedule's
    r and s for `cache_step` and `skip_step`."""
    given = given_settings(args)
    points = {"cache_step": sched.r, "skip_step": sched.s}
    sections: dict[str, Any] = {}
    rows: list[tuple[list[str], AccelConfig]] = [([], AccelConfig())]
    for stage in args.stages:
        t = technique(stage)
        fields = {f.name for f in dataclasses.fields(t.config_class)}
        overrides = {name: value for name, value in points.items() if name in fields}
        sections[stage] = section_from(t, given.get(stage, {}), defaults="config", **overrides)
        rows.append(([*rows[-1][0], stage], AccelConfig(**sections)))
    return rows


def _settings(section: Any) -> str:
    """A technique's settings for the table header, without the schedule's points."""
    parts = []
    for f in dataclasses.fields(section):
        value = getattr(section, f.name)
        if f.name not in SCHEDULE_FIELDS:
            parts.append(f"{f.name}={f.metadata.get('none_word') or value if value is None else value}")
    return ", ".join(parts) or "-"


def mac_rows(args: argparse.Namespace) -> tuple[list[Row], dict[str, Any]]:
    t0 = time.perf_counter()
    large_config, small_config, *_ = FAMILIES[args.family]
    large = build_meta_unet({**large_config, "sample_size": args.size // 8})
    small = build_meta_unet({**small_config, "sample_size": args.size // 8})
    memo = ForwardMemo()
    T = args.steps

    def cloud(n: int, start: int, stop: int, cfg: AccelConfig = AccelConfig()) -> MacCount:  # noqa: B008
        return count_request(large, cfg, BatchLayout(n), start, stop, memo=memo, scope="large").total

    def device(start: int, stop: int) -> MacCount:
        return count_request(small, AccelConfig(), BatchLayout(1), start, stop, memo=memo, scope="small").total

    rows: list[Row] = []
    zero = MacCount()
    for n in args.n:
        rows.append(Row("large", "large model alone", n, None, [], cloud(1, 0, T), zero))
        rows.append(Row("small", "small model alone", n, None, [], zero, device(0, T)))
        rows.append(Row("vanilla_og", "Vanilla OG", n, None, [], cloud(n, 0, T), zero))
        for sched in args.schedule:
            rows.append(Row("hybrid_sd", "Hybrid SD", n, sched.k, [], cloud(1, 0, sched.k), device(sched.k, T)))
            dev = device(sched.k, T)
            for names, cfg in stage_configs(args, sched):
                cfg.validate(num_steps=T)
                label = "ObCLIP" if not names else stage_label(names[-1])
                rows.append(Row("obclip", label, n, sched.k, names, cloud(n, 0, sched.k, cfg), dev, cfg.to_dict()))
            for name in args.presets:
                cfg = AccelConfig.preset(name, sched.k)
                rows.append(
                    Row("preset", f"= {name}", n, sched.k, [name], cloud(n, 0, sched.k, cfg), dev, cfg.to_dict())
                )
    info = {
        "seconds": time.perf_counter() - t0,
        "forwards_counted": memo.misses,
        "forwards_reused": memo.hits,
    }
    alone = find(rows, "large", args.n[0]).cloud
    # One of the two attention matmuls (QK^T or AV) on top of conv+linear: how the paper's totals come out.
    info["large_alone_with_half_attention"] = alone.conv_linear + alone.attention // 2
    if args.extras:
        info["text_encoder_macs_per_prompt"] = count_text_encoder(1).conv_linear
        info["vae_decode_macs"] = count_vae_decode(args.size // 8).conv_linear
    return rows, info


def curve(args: argparse.Namespace, sched: Schedule) -> dict[str, list[tuple[int, float]]]:
    """Cloud MACs against N at one k: Hybrid SD, ObCLIP without acceleration and every preset."""
    large_config = FAMILIES[args.family][0]
    large = build_meta_unet({**large_config, "sample_size": args.size // 8})
    memo = ForwardMemo()
    stacks = {"Hybrid SD (N = 1, no privacy)": None, "ObCLIP, no acceleration": AccelConfig()}
    stacks.update({name: AccelConfig.preset(name, sched.k) for name in args.presets})
    series: dict[str, list[tuple[int, float]]] = {}
    for label, cfg in stacks.items():
        for n in args.curve_n:
            layout, config = (BatchLayout(1), AccelConfig()) if cfg is None else (BatchLayout(n), cfg)
            total = count_request(large, config, layout, 0, sched.k, memo=memo, scope="large").total
            series.setdefault(label, []).append((n, total.conv_linear))
    return series


def find(rows: list[Row], method: str, n: int, k: int | None = None) -> Row:
    return next(r for r in rows if r.method == method and r.num_candidates == n and r.k == k)


def print_table(rows: list[Row], args: argparse.Namespace, info: dict[str, Any], latency: dict | None) -> None:
    ns = args.n
    print(
        f"T={args.steps}, {args.size} px, guidance on (2 rows per candidate). MACs in T (1e12), conv+linear; "
        f"[with attention matmuls]. 'xHSD' = cloud MACs / Hybrid SD's cloud MACs at the same k."
    )
    print(
        f"Cloud: {FAMILIES[args.family][2]}; device: {FAMILIES[args.family][3]}. Schedules (k:r:s): "
        + ", ".join(f"{s.k}:{s.r}:{s.s}" for s in args.schedule)
        + "; "
        + "; ".join(
            f"{t.label} {_settings(section)}" for t, section in stage_configs(args, args.schedule[-1])[-1][1].items()
        )
        + "."
    )
    head = f"{'method':<22}" + "".join(f" | {'N=' + str(n) + ' cloud':>22} {'xHSD':>6} {'device':>6}" for n in ns)
    if latency:
        head += " | " + " ".join(f"{'ms N=' + str(n):>10}" for n in ns)
    print(head)
    print("-" * len(head))

    def line(label: str, method: str, k: int | None, names: list[str] | None = None) -> None:
        cells = []
        lat_cells = []
        for n in ns:
            row = next(
                r
                for r in rows
                if (r.method, r.num_candidates, r.k) == (method, n, k) and (names is None or r.accelerations == names)
            )
            ratio = ""
            if k is not None:
                ratio = f"{row.cloud.conv_linear / find(rows, 'hybrid_sd', n, k).cloud.conv_linear:.2f}"
            cloud = f"{row.cloud.conv_linear / TERA:.2f} [{row.cloud.total / TERA:.2f}]"
            cells.append(f" | {cloud:>22} {ratio:>6} {row.device.conv_linear / TERA:>6.2f}")
            if latency:
                ms = latency.get((method, n, k, tuple(row.accelerations)))
                lat_cells.append(f"{ms:>10.1f}" if ms is not None else f"{'-':>10}")
        print(f"{label:<22}" + "".join(cells) + (" | " + " ".join(lat_cells) if latency else ""))

    line("large model alone", "large", None)
    line("small model alone", "small", None)
    line("Vanilla OG", "vanilla_og", None)
    for sched in args.schedule:
        print(f"-- k={sched.k} (r={sched.r}, s={sched.s})")
        line(f"Hybrid SD k={sched.k}", "hybrid_sd", sched.k)
        for names, _ in stage_configs(args, sched):
            label = f"ObCLIP k={sched.k}" if not names else stage_label(names[-1])
            line(label, "obclip", sched.k, names)
        for name in args.presets:
            line(f"= {name}", "preset", sched.k, [name])
    extras = ""
    if "text_encoder_macs_per_prompt" in info:
        extras = (
            f" Not in the table: CLIP ViT-L/14 text encoder {info['text_encoder_macs_per_prompt'] / 1e9:.1f} G per "
            f"prompt{' (SDXL adds OpenCLIP bigG)' if args.family == 'sdxl' else ''} (the cloud encodes N+1), "
            f"VAE decode {info['vae_decode_macs'] / 1e9:.0f} G (device, once)."
        )
    print(
        f"Large model alone counting one of the two attention matmuls: "
        f"{info['large_alone_with_half_attention'] / TERA:.2f} T."
    )
    print(
        f"Counted {info['forwards_counted']} distinct UNet forwards, reused {info['forwards_reused']}, "
        f"in {info['seconds']:.1f} s.{extras}"
    )


# -- latency -----------------------------------------------------------------------------------------
def time_rows(rows: list[Row], args: argparse.Namespace) -> dict[tuple, float]:
    """Median cloud milliseconds per row (the device half is not timed): real-weight UNets, random init."""
    from diffusers import UNet2DConditionModel

    cuda = torch.cuda.is_available()
    dev = torch.device("cuda" if cuda else "cpu")
    dtype = torch.float16 if cuda else torch.float32
    latent = args.size // 8
    torch.manual_seed(0)
    config = {**SD15_UNET_CONFIG, "sample_size": latent}
    if args.latency_arch == "narrow":
        config["block_out_channels"] = (64, 128, 256, 256)
    large = UNet2DConditionModel(**config).to(dev, dtype).eval()
    where = torch.cuda.get_device_name() if cuda else f"CPU ({torch.get_num_threads()} threads)"
    print(f"latency on {where}, {dtype}, {args.size} px, {args.latency_arch} UNet", file=sys.stderr)

    def request(n: int, k: int, cfg: AccelConfig) -> float:
        layout = BatchLayout(n)
        x = torch.randn(1, 4, latent, latent, device=dev, dtype=dtype).expand(2 * n, -1, -1, -1)
        ctx = torch.randn(2 * n, 77, 768, device=dev, dtype=dtype)

        def once() -> None:
            with torch.inference_mode(), apply_accelerations(large, cfg, layout) as session:
                for i in range(k):
                    session.begin_step(i)
                    large(x, 999 - 40 * i, encoder_hidden_states=ctx, return_dict=False)

        for _ in range(args.warmup):
            once()
        times = []
        for _ in range(args.reps):
            if cuda:
                start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
                start.record()
                once()
                end.record()
                torch.cuda.synchronize()
                times.append(start.elapsed_time(end))
            else:
                t0 = time.perf_counter()
                once()
                times.append((time.perf_counter() - t0) * 1000)
        return statistics.median(times)

    result: dict[tuple, float] = {}
    for row in rows:
        if row.method in ("small",) or (args.time and not _timed(row, args.time)):
            continue
        n = 1 if row.method in ("large", "hybrid_sd") else row.num_candidates
        k = args.steps if row.k is None else row.k
        cfg = AccelConfig.from_dict(row.accel_config) if row.accel_config else AccelConfig()
        key = (row.method, row.num_candidates, row.k, tuple(row.accelerations))
        result[key] = request(n, k, cfg)
        row.extra["cloud_ms"] = result[key]
        what = f"{row.method:<10} N={row.num_candidates:<3} k={row.k} {row.accelerations}"
        print(f"  {what}: {result[key]:.1f} ms", file=sys.stderr)
    for row in rows:
        hsd = result.get(("hybrid_sd", row.num_candidates, row.k, ()))
        if "cloud_ms" in row.extra and row.k is not None and hsd:
            row.extra["cloud_ms_vs_hybrid_sd"] = row.extra["cloud_ms"] / hsd
            row.extra["macs_vs_hybrid_sd"] = (
                row.cloud.conv_linear / find(rows, "hybrid_sd", row.num_candidates, row.k).cloud.conv_linear
            )
        vanilla = result.get(("vanilla_og", row.num_candidates, None, ()))
        if "cloud_ms" in row.extra and vanilla:
            row.extra["cloud_ms_vs_vanilla_og"] = row.extra["cloud_ms"] / vanilla
    return result


def _timed(row: Row, wanted: list[str]) -> bool:
    """Whether `--time` names the row: by method (`hybrid_sd`, `obclip`, ...) or preset name."""
    return row.method in wanted or (row.method == "preset" and row.accelerations[0] in wanted)


def print_latency_ratios(rows: list[Row], args: argparse.Namespace) -> None:
    where = torch.cuda.get_device_name() if torch.cuda.is_available() else "CPU"
    print(
        f"cloud latency on {where} ({args.latency_arch} UNet, {args.size} px, median of {args.reps}): "
        "ms, x Hybrid SD (same k), [its MAC ratio], x Vanilla OG"
    )
    for row in rows:
        if "cloud_ms" not in row.extra:
            continue
        vs_hsd = row.extra.get("cloud_ms_vs_hybrid_sd")
        macs = row.extra.get("macs_vs_hybrid_sd")
        vanilla = row.extra.get("cloud_ms_vs_vanilla_og")
        print(
            f"  {row.label:<20} N={row.num_candidates:<3} k={row.k!s:<4} {row.extra['cloud_ms']:>10.1f} ms "
            f"{'' if vs_hsd is None else f'{vs_hsd:6.2f}x':>7} {'' if macs is None else f'[{macs:5.2f}x]':>8} "
            f"{'' if vanilla is None else f'{vanilla:6.2f}x':>7}"
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--steps", type=int, default=25, help="T, total denoising steps")
    parser.add_argument("--n", type=int, nargs="+", default=[2, 6, 30], help="candidate counts N")
    parser.add_argument(
        "--schedule",
        type=parse_schedule,
        nargs="+",
        default=[Schedule(5, 3, 3), Schedule(10, 4, 6)],
        metavar="K:R:S",
        help="switch step k, cache step r, skip step s (default: the paper's 5:3:3 10:4:6)",
    )
    parser.add_argument("--k", type=int, nargs="+", help="keep only these k from --schedule")
    parser.add_argument(
        "--presets",
        nargs="*",
        choices=AccelConfig.PRESETS,
        default=list(DEFAULT_PRESETS),
        help="named stacks shown after the cumulative rows (default: all)",
    )
    parser.add_argument(
        "--curve-n", type=int, nargs="+", default=list(CURVE_N), help="candidate counts of the --plot curve"
    )
    parser.add_argument(
        "--stages",
        nargs="*",
        choices=stage_names(),
        default=stage_names(),
        help="cumulative acceleration rows, in order",
    )
    add_accel_arguments(
        parser.add_argument_group("acceleration settings (defaults: the paper's; r and s come from --schedule)"),
        defaults="config",
        exclude=SCHEDULE_FIELDS,
    )
    parser.add_argument(
        "--family",
        choices=sorted(FAMILIES),
        default="sd15",
        help="sd15: SD-1.5 + BK-SDM-small-like; sdxl: SDXL-base-1.0 + KOALA-700M (default sd15)",
    )
    parser.add_argument("--size", type=int, help="image size in px (latent = size / 8; default: the family's)")
    parser.add_argument("--extras", action="store_true", help="also count the text encoder and VAE decoder")
    parser.add_argument("--json", metavar="FILE", help="write the rows as JSON")
    parser.add_argument(
        "--plot", metavar="FILE.png", help="draw cloud MACs against N per stack at the last k (matplotlib)"
    )
    parser.add_argument("--latency", action="store_true", help="also time the cloud part of each row")
    parser.add_argument(
        "--latency-arch",
        choices=["sd15", "narrow"],
        default="sd15",
        help="UNet to time: SD-1.5, or SD-1.5 with channels (64,128,256,256) for a quick CPU run",
    )
    parser.add_argument(
        "--threads", type=int, default=None, help="torch CPU threads (1 on a shared CPU: OpenMP spin-waits)"
    )
    parser.add_argument(
        "--time",
        nargs="+",
        metavar="ROW",
        help="with --latency, time only these rows: methods (hybrid_sd, obclip, vanilla_og, large) or preset names",
    )
    parser.add_argument("--reps", type=int, default=10)
    parser.add_argument("--warmup", type=int, default=2)
    args = parser.parse_args(argv)
    if args.k:
        args.schedule = [s for s in args.schedule if s.k in args.k]
    if args.latency and args.family != "sd15":
        parser.error("--latency times the sd15 family only")
    if args.size is None:
        args.size = FAMILIES[args.family][4]
    if args.size % 64:
        parser.error("--size must be a multiple of 64")

    if args.threads:
        torch.set_num_threads(args.threads)
    rows, info = mac_rows(args)
    latency = None
    if args.latency:
        latency = time_rows(rows, args)
    print_table(rows, args, info, latency)
    if latency:
        print_latency_ratios(rows, args)
    if args.json:
        with open(args.json, "w") as fh:
            json.dump({"rows": [r.to_json(args.steps) for r in rows], "info": info}, fh, indent=1)
    if args.plot:
        from obclip.eval.plots import plot_cost_against_n

        family = FAMILIES[args.family]
        sched = args.schedule[-1]
        series = curve(args, sched)
        if args.json:
            with open(args.json) as fh:
                record = json.load(fh)
            record["curve"] = {"k": sched.k, "series": series}
            with open(args.json, "w") as fh:
                json.dump(record, fh, indent=1)
        title = f"cloud MACs per request, T={args.steps}, k={sched.k}, {args.size} px, {family[2]}"
        print(f"plot written to {plot_cost_against_n(series, args.plot, title=title)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
