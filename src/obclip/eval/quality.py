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

from obclip.engine import DEFAULT_SCHEDULER, CloudEngine, DenoiseSpec, DeviceEngine, load_device_model, load_model
from obclip.engine.spec import DEFAULT_GUIDANCE, DEFAULT_STEPS
from obclip.privacy import CandidateSet, build_candidate_set

WORLD_LARGE = "embedded:portrait-large"
WORLD_SMALL = "embedded:portrait-small"


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


def held_out_prompts(count: int, *, seed: int = 10_000, taxonomy: Any = None) -> list[Prompt]:
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
) -> list[QualityRow]:
    """Generate every prompt with every setting and score the images."""
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
        for prompt in prompts:
            cset = prompt.candidate_set
            candidates = cset.candidates if setting.private else (cset.true_prompt,)
            row = cset.true_index if setting.private else 0
            spec = DenoiseSpec(
                candidates,
                steps=steps,
                switch_step=setting.switch_step,
                scheduler=scheduler,
                guidance=guidance,
                seed=prompt.seed,
                accel=setting.accel,
            )
            mark = time.perf_counter()
            state = cloud.run(spec)
            cloud_s += time.perf_counter() - mark
            mark = time.perf_counter()
            latents.append(finisher.finish(state.select(row), cset.true_prompt, guidance=guidance))
            device_s += time.perf_counter() - mark
            sizes.append(len(candidates))
            progress.update(1)
        images = _pixels(device.decode(torch.cat(latents)))
        with torch.no_grad():
            predicted = classifier.predict(images)
            features = classifier.features(images)
        accuracy = {}
        for name, attribute in WORLD_ATTRIBUTES.items():
            hits = [
                int(predicted[name][i]) == attribute.index(p.attributes[name])
                for i, p in enumerate(prompts)
                if name in p.mentioned
            ]
            accuracy[name] = float(np.mean(hits)) if hits else float("nan")
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
            )
        )
    progress.close()
    return rows


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
