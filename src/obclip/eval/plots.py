"""Pictures of the measurements (extra `[eval]`, matplotlib): quality and FCD against k, cloud MACs per
row and against N.

Both write a PNG with matplotlib's non-interactive Agg backend; nothing opens a window.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

TERA = 1e12


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def quality_series(
    rows: Sequence[Any],
) -> tuple[dict[str, list[tuple[int, float, float]]], dict[str, tuple[int, float, float]]]:
    """Rows grouped into lines over k: {name: [(k, sensitive accuracy, FCD)]}, and the one-off rows.

    `hybrid` and `obclip` are lines that end in the small model alone (k = 0) and the large one
    (k = T); an accelerated ObCLIP row joins the line named after its label's `+X` part.
    """
    lines: dict[str, list[tuple[int, float, float]]] = defaultdict(list)
    levels: dict[str, tuple] = {}
    for row in rows:
        if row.method in ("large", "small"):
            levels[f"{row.method} alone"] = (row.switch_step, row.sensitive_accuracy, row.fcd)
            continue
        name = "hybrid (N = 1, no privacy)" if row.method == "hybrid" else "obclip"
        if "+" in row.setting:
            name = "obclip " + row.setting[row.setting.index("+") :]
        lines[name].append((row.switch_step, row.sensitive_accuracy, row.fcd))
    # Without acceleration, k = 0 is the small model alone and k = T the large one: the lines' ends.
    for name in ("hybrid (N = 1, no privacy)", "obclip"):
        if name in lines:
            lines[name].extend(levels.values())
    return {name: sorted(points) for name, points in lines.items()}, levels


def plot_quality(rows: Sequence[Any], path: str | Path, *, floor: float | None = None, steps: int = 25) -> Path:
    """Sensitive-attribute accuracy and FCD against the switch step k, one line per acceleration."""
    plt = _pyplot()
    lines, levels = quality_series(rows)
    fig, (acc_ax, fcd_ax) = plt.subplots(1, 2, figsize=(11, 4.2), constrained_layout=True)
    for name, points in lines.items():
        ks = [p[0] for p in points]
        style = {"linewidth": 1.2, "alpha": 0.85} if name.startswith("obclip +") else {"linewidth": 2.2}
        if name.startswith("hybrid"):  # obclip without acceleration lies on it: draw it dashed, on top
            style = {"linewidth": 1.4, "linestyle": "--", "color": "black", "zorder": 3}
        acc_ax.plot(ks, [p[1] for p in points], marker="o", label=name, **style)
        fcd_ax.plot(ks, [p[2] for p in points], marker="o", label=name, **style)
    for name, (k, accuracy, fcd) in sorted(levels.items()):
        for ax, value in ((acc_ax, accuracy), (fcd_ax, fcd)):
            ax.plot([k], [value], marker="s", color="black", linestyle="none")
            ax.annotate(name, (k, value), textcoords="offset points", xytext=(4, 4), fontsize=8)
    ks = sorted({k for points in lines.values() for k, _, _ in points} | {k for k, _, _ in levels.values()})
    for ax in (acc_ax, fcd_ax):
        ax.set_xticks(ks)
    if floor is not None:
        fcd_ax.axhline(floor, color="black", linestyle="--", linewidth=1, label=f"floor (references) {floor:.2f}")
    acc_ax.set(xlabel=f"switch step k (cloud steps of T = {steps})", ylabel="sensitive-attribute accuracy")
    acc_ax.set_title("the prompt's gender, age, skin tone, read back")
    fcd_ax.set(
        xlabel=f"switch step k (cloud steps of T = {steps})", ylabel="Fréchet classifier distance (lower is better)"
    )
    fcd_ax.set_title("distance to rendered references")
    for ax in (acc_ax, fcd_ax):
        ax.grid(alpha=0.3)
    fcd_ax.legend(fontsize=7, loc="upper right")
    return _save(fig, path)


def cost_labels(rows: Sequence[Mapping[str, Any]]) -> list[str]:
    """A label per cost row: its own label, with N and k where they apply."""
    labels = []
    for row in rows:
        where = [f"N={row['N']}"] if row.get("method") not in ("large", "small", "hybrid_sd") else []
        if row.get("k") is not None:
            where.append(f"k={row['k']}")
        labels.append(f"{row['label']} ({', '.join(where)})" if where else row["label"])
    return labels


def plot_cost(rows: Sequence[Mapping[str, Any]], path: str | Path, *, title: str = "") -> Path:
    """Cloud (and device) T-MACs per request, one bar per row of `bench/cost.py --json`."""
    plt = _pyplot()
    labels = cost_labels(rows)
    cloud = [row["cloud_macs"] / TERA for row in rows]
    device = [row["device_macs"] / TERA for row in rows]
    fig, ax = plt.subplots(figsize=(9, 0.34 * len(rows) + 1.4), constrained_layout=True)
    positions = list(range(len(rows)))[::-1]
    ax.barh(positions, cloud, color="#2456c7", label="cloud")
    ax.barh(positions, device, left=cloud, color="#9db4e8", label="device")
    for y, value in zip(positions, cloud, strict=True):
        ax.text(value, y, f" {value:.1f}", va="center", fontsize=7)
    ax.set_yticks(positions, labels, fontsize=8)
    ax.set_xlabel("T-MACs per request (conv + linear)")
    ax.set_title(title or "cloud and device MACs per request")
    ax.legend(loc="lower right", fontsize=8)
    ax.grid(axis="x", alpha=0.3)
    return _save(fig, path)


def plot_cost_against_n(
    series: Mapping[str, Sequence[tuple[int, float]]], path: str | Path, *, title: str = ""
) -> Path:
    """Cloud T-MACs per request against the number of candidates N, one line per stack (`bench/cost.py
    --plot`); the first series is the reference the right axis divides by (Hybrid SD)."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(8, 4.6), constrained_layout=True)
    reference = None
    for name, points in series.items():
        ns = [n for n, _ in points]
        macs = [m / TERA for _, m in points]
        if reference is None:
            reference = macs[0]
            ax.plot(ns, macs, color="black", linestyle="--", linewidth=1.2, label=name)
            continue
        ax.plot(ns, macs, marker="o", linewidth=1.8, label=name)
    if reference:
        for factor in (2, 5):
            ax.axhline(factor * reference, color="grey", linestyle=":", linewidth=1)
            ax.annotate(
                f"{factor}x Hybrid SD",
                (0, factor * reference),
                xycoords=("axes fraction", "data"),
                xytext=(4, 3),
                textcoords="offset points",
                fontsize=7,
                color="grey",
            )
    ax.set_xlabel("candidates N")
    ax.set_ylabel("cloud T-MACs per request (conv + linear)")
    ax.set_title(title or "cloud cost against N")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8, loc="upper left")
    return _save(fig, path)


def _save(fig: Any, path: str | Path) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    import matplotlib.pyplot as plt

    plt.close(fig)
    return path
