"""What a request costs the server, in multiply-accumulates (MACs) of the UNet forwards it needs.

cost = rows x k x MACs of one row's forward at the request's latent size, rows being N, or 2N with
guidance. One row's forward is counted by `obclip.engine.flops` on the `meta` device (no memory,
no weights) at three latent sizes when the server starts and fitted as a + b*P + c*P^2 in the
latent pixel count P: convolutions and linear layers grow with P, self-attention with P^2.
"""

from __future__ import annotations

import collections
import json
import math
import statistics
import threading
import time
from dataclasses import dataclass
from typing import Any

import torch

from obclip.engine.architectures import example_unet_kwargs
from obclip.engine.spec import DenoiseSpec

#: Latent sides the fit is counted at (all divisible by the UNet's downsampling).
_FIT_SIDES = (8, 16, 32)
#: `CostModel.for_unet`'s counts by UNet config (JSON), for the process.
_COUNTED: dict[str, CostModel] = {}
_COUNTED_LOCK = threading.Lock()


@dataclass(frozen=True)
class CostModel:
    """MACs of one row's UNet forward as a function of latent pixels: a + b*P + c*P^2.

    Args:
        a, b, c: the fitted coefficients.
        counted: the MAC counts the fit was made from, by latent side (shown in `/v1/models`).
    """

    a: float
    b: float
    c: float
    counted: tuple[tuple[int, int], ...] = ()

    def row_forward(self, latent_height: int, latent_width: int) -> float:
        """MACs of one row's forward on a `latent_height x latent_width` latent."""
        p = latent_height * latent_width
        return max(self.a + self.b * p + self.c * p * p, 0.0)

    def request(self, spec: DenoiseSpec, default_size: int, factor: int) -> float:
        """MACs of the cloud's steps of `spec` (rows x k forwards)."""
        height = (spec.height or default_size) // factor
        width = (spec.width or default_size) // factor
        rows = spec.num_candidates * (2 if spec.guided else 1)
        return rows * spec.switch_step * self.row_forward(height, width)

    @classmethod
    def fit(cls, counts: dict[int, float]) -> CostModel:
        """The exact quadratic through three (latent side, MACs) points."""
        (s1, m1), (s2, m2), (s3, m3) = sorted(counts.items())
        p1, p2, p3 = s1 * s1, s2 * s2, s3 * s3
        # Newton's divided differences.
        d12 = (m2 - m1) / (p2 - p1)
        d23 = (m3 - m2) / (p3 - p2)
        c = (d23 - d12) / (p3 - p1)
        b = d12 - c * (p1 + p2)
        a = m1 - b * p1 - c * p1 * p1
        return cls(a, b, c, tuple((s, int(m)) for s, m in sorted(counts.items())))

    @classmethod
    def for_unet(cls, unet: Any) -> CostModel:
        """Count `unet`'s architecture on `meta` at three latent sizes and fit.

        The count depends on the architecture alone (its config), so one count per config is kept
        for the process: a second server or app on the same model does not count it again (seconds
        on a small CPU).
        """
        config = dict(unet.config)
        key = json.dumps(config, sort_keys=True, default=repr)
        with _COUNTED_LOCK:
            known = _COUNTED.get(key)
        if known is None:
            known = cls._count(config)
            with _COUNTED_LOCK:
                _COUNTED[key] = known
        return known

    @classmethod
    def _count(cls, config: dict[str, Any]) -> CostModel:
        from diffusers import UNet2DConditionModel

        from obclip.engine.flops import count_macs

        with torch.device("meta"):
            meta = UNet2DConditionModel.from_config(config).eval()
        counts = {}
        for side in _FIT_SIDES:
            sample = torch.empty(1, config["in_channels"], side, side, device="meta")
            inputs = example_unet_kwargs(meta, 1)  # SDXL's added conditioning and LCM's w embedding too

            def forward(s: Any = sample, c: dict[str, Any] = inputs) -> Any:
                return meta(s, 500, **c, return_dict=False)

            with torch.no_grad():
                counts[side] = float(count_macs(forward).total)
        return cls.fit(counts)


def measure_throughput(unet: Any, cost: CostModel, latent_side: int, work: float = 2e9) -> float:
    """The best of `measure_speeds` (MAC/s)."""
    return max(measure_speeds(unet, cost, latent_side, work))


def measure_speeds(unet: Any, cost: CostModel, latent_side: int, work: float = 2e9, repeats: int = 3) -> list[float]:
    """MAC/s of `unet` on this machine at `latent_side`, `repeats` times after one warm-up forward,
    each on enough rows for about `work` MACs (a forward of a few rows is mostly Python overhead
    on a small model, which would make every estimate far too pessimistic)."""
    config = unet.config
    per_row = cost.row_forward(latent_side, latent_side)
    rows = int(min(max(math.ceil(work / max(per_row, 1.0)), 1), 16))
    sample = torch.zeros(rows, config.in_channels, latent_side, latent_side, device=unet.device, dtype=unet.dtype)
    inputs = example_unet_kwargs(unet, rows)  # SDXL's added conditioning and LCM's w embedding too
    speeds = []
    with torch.no_grad():
        for attempt in range(repeats + 1):
            started = time.perf_counter()
            unet(sample, 500, **inputs, return_dict=False)
            if unet.device.type == "cuda":
                torch.cuda.synchronize(unet.device)
            if attempt:
                speeds.append(rows * per_row / max(time.perf_counter() - started, 1e-9))
    return speeds


class SpeedEstimate:
    """The model speed (MAC/s) admission and `Retry-After` use, from repeated measurements.

    The estimate is the median of a moving window of samples: the start-up forwards, then each
    finished batch of unaccelerated work of at least `min_cost` MACs (an accelerated job skips
    work its cost counts, so it would inflate the speed; a tiny one is mostly Python overhead).
    It never falls below `floor_ratio` of the best sample ever seen, so one measurement on a busy
    machine cannot make every request look too slow. It is `settled` once `settle` batches of real
    work have been measured (start-up forwards alone never settle it). `fixed` (the operator's
    `--throughput-gmacs`) replaces all of it and is settled. Thread-safe.
    """

    def __init__(
        self,
        samples: list[float],
        *,
        fixed: bool = False,
        window: int = 16,
        floor_ratio: float = 0.25,
        min_cost: float = 1e9,
        settle: int = 4,
    ) -> None:
        if not samples or not all(math.isfinite(x) and x > 0 for x in samples):
            raise ValueError("a speed estimate needs positive finite samples")
        self.fixed = fixed
        self.floor_ratio = floor_ratio
        self.min_cost = min_cost
        self._window: collections.deque[float] = collections.deque(samples, maxlen=window)
        self._best = max(samples)
        self._observed = 0
        self._settle = settle
        self._lock = threading.Lock()

    @property
    def settled(self) -> bool:
        """Whether the estimate rests on measured work (or is fixed), not on start-up forwards only."""
        return self.fixed or self._observed >= self._settle

    @property
    def current(self) -> float:
        """MAC/s to plan with now: the window's median, at least the floor."""
        with self._lock:
            return max(statistics.median(self._window), self.floor_ratio * self._best)

    @property
    def best(self) -> float:
        """The fastest sample seen: a request too slow even at this speed is refused for good."""
        with self._lock:
            return self._best

    def set(self, speed: float) -> None:
        """Use `speed` from now on (a fixed estimate)."""
        with self._lock:
            self._window.clear()
            self._window.append(speed)
            self._best = speed
            self.fixed = True

    def observe(self, cost: float, seconds: float, accelerated: bool) -> None:
        """A finished batch: `cost` MACs in `seconds` of model time."""
        if self.fixed or accelerated or cost < self.min_cost or seconds <= 0:
            return
        speed = cost / seconds
        if not math.isfinite(speed):
            return
        with self._lock:
            self._window.append(speed)
            self._best = max(self._best, speed)
            self._observed += 1
