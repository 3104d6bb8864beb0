"""Image quality of every way to split a request, on the embedded portrait world.

For held-out world captions it generates with each setting (large alone, small alone, Hybrid
at switch step k with N = 1, ObCLIP at k with the full candidate set, with or without
accelerations) and scores the images with the world's attribute classifier: accuracy on the
TRUE prompt's sensitive and non-sensitive attributes, and the Fréchet classifier distance (an
FID-like score on the classifier's features, not FID) against rendered references.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch
from tqdm.auto import tqdm

from obclip.engine import (
    DEFAULT_SCHEDULER,
    CloudEngine,
    DenoiseSpec,
    DeviceEngine,
    check_response,
    load_device_model,
    load_model,
)
from obclip.engine.spec import DEFAULT_GUIDANCE, DEFAULT_STEPS
from obclip.privacy import CandidateSet, build_candidate_set

WORLD_LARGE = "embedded:portrait-large"
WORLD_SMALL = "embedded:portrait-small"
#: The caption stream the accelerations' settings were chosen on, and a stream nothing was chosen on.
TUNED_SEED = 10_000
HELD_OUT_SEED = 20_000
#: `obclip eval quality --preset benchmark`: captions per stream, switch step, bootstrap resamples.
BENCHMARK_PROMPTS = 200
BENCHMARK_SWITCH_STEP = 10
BOOTSTRAP_RESAMPLES = 1000


@dataclass(frozen=True)
class Setting:
    """One way to produce an image.

    Args:
        method: `large` (all steps in the cloud, N = 1), `small` (all on the device), `hybrid`
            (k cloud steps on the true prompt only: no privacy) or `obclip` (k cloud steps on
            the whole candidate set).
        switch_step: k.
        accel: cloud accelerations (`obclip.accel.AccelConfig`), None for none.
        label: how the row is shown.
    """

    method: str
    switch_step: int
    accel: Any = None
    label: str = ""

    @property
    def private(self) -> bool:
        return self.method == "obclip"

    @property
    def name(self) -> str:
        if self.label:
            return self.label
        return self.method if self.method in ("large", "small") else f"{self.method} k={self.switch_step}"


@dataclass
class Prompt:
    """A held-out caption, the attributes it states and its candidate set."""

    caption: str
    attributes: dict[str, str]
    mentioned: frozenset[str]
    candidate_set: CandidateSet
    seed: int


@dataclass
class QualityRow:
    """Scores of one setting."""

    setting: str
    method: str
    switch_step: int
    accelerations: list[str]
    mean_candidates: float
    accuracy: dict[str, float]
    sensitive_accuracy: float
    non_sensitive_accuracy: float
    fcd: float
    cloud_s: float
    device_s: float
    extra: dict[str, Any] = field(default_factory=dict)
    #: Per caption and attribute: 1 / 0 when the caption states the attribute (right / wrong), None otherwise.
    correct: dict[str, list[int | None]] = field(default_factory=dict)
    #: The classifier's features of every image (for bootstrapping the FCD); not written to JSON.
    features: Any = field(default=None, repr=False, compare=False)

    def to_json(self) -> dict[str, Any]:
        """The row as JSON-ready values (everything but the image features)."""
        from dataclasses import asdict

        return {k: v for k, v in asdict(self).items() if k != "features"}


def held_out_prompts(count: int, *, seed: int = TUNED_SEED, taxonomy: Any = None) -> list[Prompt]:
    """World captions drawn from a seed stream the training scripts never use."""
    from obclip.world import caption_with_mentions, sample_attributes

    rng = random.Random(f"obclip-eval-{seed}")
    prompts = []
    for i in range(count):
        attrs = sample_attributes(rng)
        text, mentioned = caption_with_mentions(attrs, rng)
        cset = build_candidate_set(text, taxonomy=taxonomy, seed=seed + i)
        prompts.append(Prompt(text, attrs, frozenset(mentioned), cset, seed + i))
    return prompts


def accel_variants(which: str, switch_step: int) -> dict[str, Any]:
    """Accelerated ObCLIP rows for one k: `none`; `each` (every registered acceleration alone, with
    the paper's settings for that k where the paper's stack has it and its defaults otherwise, then
    the paper's stack and the recommended one); or a preset."""
    from obclip.accel.config import AccelConfig
    from obclip.accel.registry import techniques

    if which == "none":
        return {}
    if which in AccelConfig.PRESETS:
        return {which: AccelConfig.preset(which, switch_step)}
    paper = AccelConfig.preset("paper", switch_step)
    alone = {t.short: AccelConfig(**{t.name: paper.get(t.name) or t.config_class()}) for t in techniques()}
    return {**alone, "paper": paper, "recommended": AccelConfig.preset("recommended", switch_step)}


def default_settings(
    ks: Iterable[int], steps: int, variants: Callable[[int], dict[str, Any]] | None = None
) -> list[Setting]:
    """Large alone, small alone, then Hybrid and ObCLIP (plus accelerated ObCLIP) for 0 < k < T."""
    settings = [Setting("large", steps), Setting("small", 0)]
    for k in sorted(set(ks)):
        if 0 < k < steps:
            settings.append(Setting("hybrid", k))
            settings.append(Setting("obclip", k))
            for label, accel in (variants(k) if variants else {}).items():
                settings.append(Setting("obclip", k, accel, label=f"obclip k={k} +{label}"))
    return settings


def evaluate(
    settings: Sequence[Setting],
    prompts: Sequence[Prompt],
    *,
    steps: int = DEFAULT_STEPS,
    guidance: float = DEFAULT_GUIDANCE,
    scheduler: str = DEFAULT_SCHEDULER,
    large: str = WORLD_LARGE,
    small: str = WORLD_SMALL,
    quiet: bool = True,
    batch: int = 1,
) -> list[QualityRow]:
    """Generate every prompt with every setting and score the images.

    `batch` > 1 runs that many prompts' cloud steps in one UNet batch (`CloudEngine.run_batch`: each
    keeps its own candidate group, noise and accelerations; equal to one at a time within float noise).
    """
    from obclip.world import WORLD_ATTRIBUTES, frechet_distance, load_classifier, render

    classifier = load_classifier()
    cloud = CloudEngine(load_model(large))
    device = DeviceEngine(load_device_model(large, small))
    large_only = DeviceEngine(load_model(large))
    references = _pixels([render(p.attributes, random.Random(p.seed)) for p in prompts])
    with torch.no_grad():
        reference_features = classifier.features(references)

    rows = []
    progress = tqdm(total=len(settings) * len(prompts), desc="eval quality", unit="image", disable=quiet)
    for setting in settings:
        finisher = large_only if setting.method == "large" else device
        latents, cloud_s, device_s, sizes = [], 0.0, 0.0, []
        progress.set_postfix_str(setting.name)
        for first in range(0, len(prompts), batch):
            chunk = prompts[first : first + batch]
            specs = [
                DenoiseSpec(
                    p.candidate_set.candidates if setting.private else (p.candidate_set.true_prompt,),
                    steps=steps,
                    switch_step=setting.switch_step,
                    scheduler=scheduler,
                    guidance=guidance,
                    seed=p.seed,
                    accel=setting.accel,
                )
                for p in chunk
            ]
            mark = time.perf_counter()
            states = cloud.run_batch(specs) if len(specs) > 1 else [cloud.run(specs[0])]
            cloud_s += time.perf_counter() - mark
            for prompt, spec, state in zip(chunk, specs, states, strict=True):
                cset = prompt.candidate_set
                row = cset.true_index if setting.private else 0
                mark = time.perf_counter()
                check_response(state, spec, finisher.model)  # the answer check `generate` makes, too
                latents.append(finisher.finish(state.select(row), cset.true_prompt, guidance=guidance, options=spec))
                device_s += time.perf_counter() - mark
                sizes.append(len(spec.candidates))
                progress.update(1)
        images = _pixels(device.decode(torch.cat(latents)))
        with torch.no_grad():
            predicted = classifier.predict(images)
            features = classifier.features(images)
        correct = {
            name: [
                int(int(predicted[name][i]) == attribute.index(p.attributes[name])) if name in p.mentioned else None
                for i, p in enumerate(prompts)
            ]
            for name, attribute in WORLD_ATTRIBUTES.items()
        }
        accuracy = attribute_accuracy(correct)
        sensitive = [accuracy[n] for n, a in WORLD_ATTRIBUTES.items() if a.sensitive]
        non_sensitive = [accuracy[n] for n, a in WORLD_ATTRIBUTES.items() if not a.sensitive]
        rows.append(
            QualityRow(
                setting=setting.name,
                method=setting.method,
                switch_step=setting.switch_step,
                accelerations=list(setting.accel.names) if setting.accel is not None else [],
                mean_candidates=float(np.mean(sizes)),
                accuracy=accuracy,
                sensitive_accuracy=float(np.nanmean(sensitive)),
                non_sensitive_accuracy=float(np.nanmean(non_sensitive)),
                fcd=frechet_distance(features, reference_features),
                cloud_s=cloud_s,
                device_s=device_s,
                correct=correct,
                features=features,
            )
        )
    progress.close()
    return rows


def reference_features(prompts: Sequence[Prompt]) -> torch.Tensor:
    """The classifier's features of the rendered reference of every prompt (what FCD compares with)."""
    from obclip.world import load_classifier, render

    with torch.no_grad():
        return load_classifier().features(_pixels([render(p.attributes, random.Random(p.seed)) for p in prompts]))


def attribute_accuracy(
    correct: dict[str, Sequence[int | None]], index: Sequence[int] | None = None
) -> dict[str, float]:
    """Accuracy per attribute over the captions that state it (all captions, or those at `index`, with
    repeats: a bootstrap resample); NaN for an attribute no caption states."""
    result = {}
    for name, marks in correct.items():
        picked = [marks[i] for i in index] if index is not None else list(marks)
        stated = [m for m in picked if m is not None]
        result[name] = float(np.mean(stated)) if stated else float("nan")
    return result


def sensitive_accuracy(correct: dict[str, Sequence[int | None]], index: Sequence[int] | None = None) -> float:
    """Mean accuracy over the sensitive attributes (gender, age, skin) that some caption states."""
    from obclip.world import SENSITIVE

    accuracy = attribute_accuracy({n: correct[n] for n in SENSITIVE}, index)
    return float(np.nanmean(list(accuracy.values())))


@dataclass(frozen=True)
class Interval:
    """A point estimate with its percentile-bootstrap interval."""

    value: float
    low: float
    high: float

    def __str__(self) -> str:
        return f"{self.value:.3f} [{self.low:.3f}, {self.high:.3f}]"


def bootstrap_indices(count: int, resamples: int = BOOTSTRAP_RESAMPLES, seed: int = 0) -> np.ndarray:
    """`resamples` x `count` caption indices drawn with replacement (one fixed stream: paired across rows)."""
    return np.random.default_rng(seed).integers(0, count, size=(resamples, count))


def _interval(value: float, samples: Sequence[float], level: float) -> Interval:
    tail = (1 - level) / 2 * 100
    low, high = np.nanpercentile(np.asarray(samples, dtype=float), [tail, 100 - tail])
    return Interval(value, float(low), float(high))


def bootstrap_row(
    row: QualityRow,
    references: torch.Tensor,
    *,
    resamples: int = BOOTSTRAP_RESAMPLES,
    level: float = 0.95,
    seed: int = 0,
) -> dict[str, Interval]:
    """Percentile-bootstrap intervals (captions resampled with replacement) of a row's sensitive accuracy,
    each sensitive attribute's accuracy and its FCD (the generated and reference features resampled
    together, by caption)."""
    from obclip.world import SENSITIVE, frechet_distance

    count = len(next(iter(row.correct.values())))
    draws = bootstrap_indices(count, resamples, seed)
    samples = [sensitive_accuracy(row.correct, d) for d in draws]
    result = {"sensitive": _interval(row.sensitive_accuracy, samples, level)}
    for name in SENSITIVE:
        samples = [attribute_accuracy({name: row.correct[name]}, d)[name] for d in draws]
        result[name] = _interval(row.accuracy[name], samples, level)
    if row.features is not None:
        fcds = []
        for d in draws:
            pick = torch.from_numpy(d)
            fcds.append(frechet_distance(row.features[pick], references[pick]))
        result["fcd"] = _interval(row.fcd, fcds, level)
    return result


def paired_difference(
    row: QualityRow,
    baseline: QualityRow,
    *,
    resamples: int = BOOTSTRAP_RESAMPLES,
    level: float = 0.95,
    seed: int = 0,
) -> Interval:
    """Sensitive accuracy of `row` minus `baseline`'s on the same captions, with a paired bootstrap
    interval (both rows resampled with the same caption indices)."""
    count = len(next(iter(row.correct.values())))
    if len(next(iter(baseline.correct.values()))) != count:
        raise ValueError("a paired difference needs both rows scored on the same captions")
    draws = bootstrap_indices(count, resamples, seed)
    samples = [sensitive_accuracy(row.correct, d) - sensitive_accuracy(baseline.correct, d) for d in draws]
    return _interval(row.sensitive_accuracy - baseline.sensitive_accuracy, samples, level)


def fcd_floor(prompts: Sequence[Prompt]) -> float:
    """The Fréchet classifier distance between two independent reference renders of the same prompts.

    No generator can be expected to score below it with this many prompts: it is the distance
    that sampling alone leaves, the floor to read every row's FCD against.
    """
    from obclip.world import frechet_distance, load_classifier, render

    classifier = load_classifier()
    first = _pixels([render(p.attributes, random.Random(p.seed)) for p in prompts])
    second = _pixels([render(p.attributes, random.Random(f"fcd-floor-{p.seed}")) for p in prompts])
    with torch.no_grad():
        return frechet_distance(classifier.features(second), classifier.features(first))


def workload(settings: Sequence[Setting], prompts: Sequence[Prompt]) -> str:
    """One line saying how much an evaluation will generate, before it starts."""
    images = len(settings) * len(prompts)
    cloud_rows = sum((len(p.candidate_set) if s.private else 1) * s.switch_step for s in settings for p in prompts)
    return (
        f"{len(settings)} settings x {len(prompts)} prompts = {images} images; "
        f"{cloud_rows} cloud candidate-steps (the progress bar estimates the time left)"
    )


def format_table(rows: Sequence[QualityRow], *, floor: float | None = None) -> str:
    """A plain-text table of the rows; with `floor`, the FCD column says what it cannot go below."""
    from obclip.world import SENSITIVE

    fcd = "FCD" if floor is None else f"FCD (floor {floor:.2f})"
    head = ["setting", "N", *SENSITIVE, "sensitive", "non-sens.", fcd, "cloud s", "device s"]
    lines = [head]
    for r in rows:
        lines.append(
            [
                r.setting,
                f"{r.mean_candidates:.1f}",
                *(f"{r.accuracy[n]:.3f}" for n in SENSITIVE),
                f"{r.sensitive_accuracy:.3f}",
                f"{r.non_sensitive_accuracy:.3f}",
                f"{r.fcd:.2f}",
                f"{r.cloud_s:.1f}",
                f"{r.device_s:.1f}",
            ]
        )
    widths = [max(len(line[i]) for line in lines) for i in range(len(head))]
    return "\n".join("  ".join(cell.ljust(w) for cell, w in zip(line, widths, strict=True)) for line in lines)


def _pixels(images: Sequence[Any]) -> torch.Tensor:
    """PIL images -> float tensor (B, 3, H, W) in [0, 1]."""
    arrays = [np.asarray(image.convert("RGB"), dtype=np.float32) / 255.0 for image in images]
    return torch.from_numpy(np.stack(arrays)).permute(0, 3, 1, 2).contiguous()


@dataclass
class StreamResult:
    """One caption stream of the benchmark: its rows, each row's intervals and its paired difference in
    sensitive accuracy to the baseline row."""

    name: str
    seed: int
    rows: list[QualityRow]
    intervals: dict[str, dict[str, Interval]]
    differences: dict[str, Interval]
    fcd_floor: float

    def to_json(self) -> dict[str, Any]:
        from dataclasses import asdict

        return {
            "stream": self.name,
            "seed": self.seed,
            "prompts": len(next(iter(self.rows[0].correct.values()))) if self.rows else 0,
            "rows": [r.to_json() for r in self.rows],
            "intervals": {s: {k: asdict(v) for k, v in ivs.items()} for s, ivs in self.intervals.items()},
            "difference_to_baseline": {s: asdict(v) for s, v in self.differences.items()},
            "fcd_floor": self.fcd_floor,
        }


def benchmark_settings(switch_step: int = BENCHMARK_SWITCH_STEP) -> list[Setting]:
    """The benchmark point: ObCLIP at k with `recommended` (the baseline) and `scalable`."""
    from obclip.accel.config import AccelConfig

    return [
        Setting("obclip", switch_step, AccelConfig.preset(name, switch_step), label=f"obclip k={switch_step} +{name}")
        for name in ("recommended", "scalable")
    ]


def run_streams(
    settings: Sequence[Setting],
    streams: Sequence[tuple[str, int]],
    count: int,
    *,
    taxonomy: Any = None,
    resamples: int = BOOTSTRAP_RESAMPLES,
    **evaluate_kwargs: Any,
) -> list[StreamResult]:
    """Evaluate `settings` on `count` captions of every `(name, seed)` stream; the first setting is the
    baseline of the paired differences."""
    results = []
    for name, seed in streams:
        prompts = held_out_prompts(count, seed=seed, taxonomy=taxonomy)
        rows = evaluate(settings, prompts, **evaluate_kwargs)
        references = reference_features(prompts)
        intervals = {r.setting: bootstrap_row(r, references, resamples=resamples) for r in rows}
        differences = {r.setting: paired_difference(r, rows[0], resamples=resamples) for r in rows[1:]}
        results.append(StreamResult(name, seed, rows, intervals, differences, fcd_floor(prompts)))
    return results


def format_streams(results: Sequence[StreamResult]) -> str:
    """Each stream's table, its bootstrap intervals and the paired differences to its first row."""
    out = []
    for result in results:
        count = len(next(iter(result.rows[0].correct.values()))) if result.rows else 0
        out.append(f"== {result.name} captions (seed {result.seed}, {count} captions)")
        out.append(format_table(result.rows, floor=result.fcd_floor))
        out.append("95 % bootstrap intervals (captions resampled):")
        for setting, ivs in result.intervals.items():
            out.append(f"  {setting}: " + "; ".join(f"{name} {iv}" for name, iv in ivs.items()))
        for setting, diff in result.differences.items():
            out.append(f"  {setting} - {result.rows[0].setting}, sensitive accuracy (paired): {diff}")
    return "\n".join(out)
