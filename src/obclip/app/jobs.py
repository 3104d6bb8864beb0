"""Generation jobs for the app: settings, a one-at-a-time worker, progress events and the history.

A job runs `obclip.api.generate` once per seed with the models loaded once (the engine caches
them), reports every cloud and device step, and keeps, beside each image, the N latents the
cloud handed back, decoded: what the cloud held.
"""

from __future__ import annotations

import json
import logging
import queue
import secrets
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from obclip.cli._common import DEFAULT_SCHEDULER, SCHEDULER_NAMES, image_metadata, save_image
from obclip.defaults import DEFAULT_GUIDANCE, DEFAULT_LARGE, DEFAULT_STEPS, DEFAULT_SWITCH_STEP
from obclip.errors import InvalidInputError, ObclipError

log = logging.getLogger("obclip.app")

MAX_IMAGES_PER_JOB = 16


class Settings(BaseModel):
    """One generation request from the page; the token never reaches the history."""

    model_config = ConfigDict(extra="forbid")

    prompt: str = Field(min_length=1, max_length=2000)
    large: str = Field(DEFAULT_LARGE, min_length=1, max_length=500)
    small: str | None = Field(None, max_length=500)
    cloud: str = Field("local", max_length=500)
    token: str | None = Field(None, max_length=1000)
    steps: int = Field(DEFAULT_STEPS, ge=1, le=1000)
    switch_step: int = Field(DEFAULT_SWITCH_STEP, ge=0, le=1000)
    scheduler: str = DEFAULT_SCHEDULER
    guidance: float = Field(DEFAULT_GUIDANCE, ge=0, le=50)
    accel: str = Field("none", max_length=100)
    seed: int | None = Field(None, ge=0, lt=2**63)
    num_images: int = Field(1, ge=1, le=MAX_IMAGES_PER_JOB)
    max_candidates: int | None = Field(None, ge=1)
    negative_prompt: str = Field("", max_length=1000)

    @field_validator("small", "token", mode="before")
    @classmethod
    def _blank_is_none(cls, value: Any) -> Any:
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("scheduler")
    @classmethod
    def _known_scheduler(cls, value: str) -> str:
        if value not in SCHEDULER_NAMES:
            raise ValueError(f"unknown scheduler {value!r} (choose one of: {', '.join(SCHEDULER_NAMES)})")
        return value

    @field_validator("cloud")
    @classmethod
    def _known_cloud(cls, value: str) -> str:
        value = value.strip() or "local"
        if value != "local" and not value.startswith(("http://", "https://")):
            raise ValueError(f"cloud must be 'local' or an http(s):// URL, got {value!r}")
        return value

    def public(self) -> dict[str, Any]:
        """The settings as the history keeps them: no token."""
        return self.model_dump(exclude={"token", "prompt"})


@dataclass
class Job:
    """One request's progress: an append-only list of events the page reads as they come."""

    id: str
    settings: Settings
    events: list[dict[str, Any]] = field(default_factory=list)
    finished: bool = False
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def emit(self, event: dict[str, Any]) -> None:
        with self._lock:
            self.events.append({"at": round(time.time(), 3), **event})
            if event["type"] in ("done", "error"):
                self.finished = True

    def since(self, index: int) -> list[dict[str, Any]]:
        with self._lock:
            return list(self.events[index:])


class History:
    """Images and their settings on disk (`history.jsonl` beside the PNGs), newest last."""

    def __init__(self, directory: str | Path) -> None:
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)
        self._file = self.directory / "history.jsonl"
        self._lock = threading.Lock()
        self._entries: list[dict[str, Any]] = []
        if self._file.exists():
            for line in self._file.read_text().splitlines():
                try:
                    self._entries.append(json.loads(line))
                except json.JSONDecodeError:
                    log.warning("skipping an unreadable history line in %s", self._file)

    def entries(self) -> list[dict[str, Any]]:
        with self._lock:
            return list(self._entries)

    def new_stem(self) -> str:
        with self._lock:
            return f"{time.strftime('%Y%m%d-%H%M%S')}-{secrets.token_hex(3)}"

    def add(self, entry: dict[str, Any]) -> None:
        with self._lock:
            self._entries.append(entry)
            with self._file.open("a") as f:
                f.write(json.dumps(entry, ensure_ascii=False) + "\n")


class _RecordingCloud:
    """A cloud backend that tells the job when the cloud starts and ends, and keeps its answer."""

    def __init__(self, backend: Any, job: Job, image: int) -> None:
        self.backend = backend
        self.job = job
        self.image = image
        self.state: Any = None

    def denoise(self, spec: Any) -> Any:
        self.job.emit({"type": "phase", "phase": "cloud", "image": self.image, "n": spec.num_candidates})
        self.state = self.backend.denoise(spec)
        self.job.emit({"type": "phase", "phase": "device", "image": self.image})
        return self.state


class Runner:
    """Runs jobs one at a time in a worker thread (one model set in memory, one CPU budget)."""

    def __init__(self, history: History) -> None:
        self.history = history
        self.jobs: dict[str, Job] = {}
        self._queue: queue.Queue[Job] = queue.Queue()
        self._worker = threading.Thread(target=self._work, name="obclip-app-worker", daemon=True)
        self._worker.start()

    def submit(self, settings: Settings) -> Job:
        if settings.switch_step > settings.steps:
            raise InvalidInputError(f"switch step k={settings.switch_step} exceeds steps T={settings.steps}")
        _accel(settings)  # an unknown preset or one that does not fit T is refused now, not in the job
        job = Job(id=secrets.token_hex(8), settings=settings)
        job.emit({"type": "queued", "ahead": self._queue.qsize()})
        self.jobs[job.id] = job
        self._queue.put(job)
        return job

    def _work(self) -> None:
        while True:
            job = self._queue.get()
            try:
                self._run(job)
                job.emit({"type": "done"})
            except ObclipError as exc:
                job.emit({"type": "error", "code": exc.code, "message": str(exc)})
            except Exception as exc:  # the app stays up whatever a model library raises
                log.exception("job %s failed", job.id)
                job.emit({"type": "error", "code": "internal", "message": f"{type(exc).__name__}: {exc}"})

    def _run(self, job: Job) -> None:
        from obclip.api import generate
        from obclip.engine.loop import listen_to_steps

        s = job.settings
        first = s.seed if s.seed is not None else secrets.randbits(62)
        seeds = [first + i for i in range(s.num_images)]
        accel = _accel(s)
        job.emit({"type": "phase", "phase": "loading", "images": len(seeds)})
        backend = _backend(s)
        for index, seed in enumerate(seeds):
            recorder = _RecordingCloud(backend, job, index)

            def on_step(desc: str, done: int, total: int, index: int = index) -> None:
                phase = "cloud" if desc.startswith("cloud") else "device"
                job.emit({"type": "step", "phase": phase, "done": done, "total": total, "image": index})

            with listen_to_steps(on_step):
                result = generate(
                    s.prompt,
                    large=s.large,
                    small=s.small,
                    steps=s.steps,
                    switch_step=s.switch_step,
                    scheduler=s.scheduler,
                    guidance=s.guidance,
                    seed=seed,
                    max_candidates=s.max_candidates,
                    accel=accel,
                    cloud=recorder,
                    token=s.token,
                    negative_prompt=s.negative_prompt,
                    quiet=True,
                )
            job.emit({"type": "phase", "phase": "decode", "image": index})
            entry = self._keep(s, result, recorder.state)
            job.emit({"type": "image", "image": index, "entry": entry})

    def _keep(self, s: Settings, result: Any, state: Any) -> dict[str, Any]:
        report = result.report.to_dict()
        stem = self.history.new_stem()
        image_name, strip_name = f"{stem}.png", f"{stem}-cloud.png"
        metadata = image_metadata({**report, "negative_prompt": s.negative_prompt})
        save_image(result.image, self.history.directory / image_name, metadata)
        save_image(_cloud_strip(s, state), self.history.directory / strip_name, {})
        entry = {
            "id": stem,
            "created": time.strftime("%Y-%m-%d %H:%M:%S"),
            "prompt": s.prompt,
            "settings": {**s.public(), "seed": report["seed"]},
            "image": f"/files/{image_name}",
            "cloud_strip": f"/files/{strip_name}",
            "yours": result.candidate_set.true_index,
            "report": {key: report[key] for key in ("num_candidates", "accelerations", "notice", "timings", "cloud")},
            "size": [report["width"], report["height"]],
        }
        self.history.add(entry)
        return entry


def accel_choices() -> list[str]:
    """The acceleration presets the page offers (`none` first)."""
    from obclip.accel import AccelConfig

    return ["none", *AccelConfig.PRESETS]


def _accel(s: Settings) -> Any:
    if s.accel == "none":
        return None
    from obclip.accel import AccelConfig

    return AccelConfig.preset(s.accel, s.switch_step).validate(num_steps=s.steps)


def _backend(s: Settings) -> Any:
    if s.cloud == "local":
        from obclip.engine import LocalCloud

        return LocalCloud(s.large, quiet=True)
    from obclip.service.client import HttpCloud

    return HttpCloud(s.cloud, token=s.token, model=s.large)


def _cloud_strip(s: Settings, state: Any) -> Any:
    """The N latents the cloud handed back at step k, decoded by the device's VAE, side by side."""
    from PIL import Image

    from obclip.engine import DeviceEngine, default_small, load_device_model

    model = load_device_model(s.large, s.small or default_small(s.large))
    tiles = DeviceEngine(model).decode(state.latents)
    width, height = tiles[0].size
    strip = Image.new("RGB", (width * len(tiles), height))
    for column, tile in enumerate(tiles):
        strip.paste(tile, (column * width, 0))
    return strip
