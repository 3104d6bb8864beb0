"""Generation jobs for the app: settings, a one-at-a-time worker with a queue and cancel, progress
events, and the history (on disk only when the user keeps it; in memory otherwise).

A job runs `obclip.api.generate` once per seed with the models loaded once (the engine caches
them), reports every cloud and device step, and keeps, beside each image, the N latents the
cloud handed back, decoded: what the cloud held.
"""

from __future__ import annotations

import contextlib
import io
import json
import logging
import os
import secrets
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, create_model, field_validator

from obclip.cli._common import check_hub_access, image_metadata, save_image
from obclip.errors import (
    IncompatibleModelsError,
    InvalidInputError,
    JobCancelledError,
    ModelNotFoundError,
    ObclipError,
    ServiceError,
)
from obclip.options import OPTION_NAMES, PARTS, GenerationOptions, option_types
from obclip.options import option_fields as options_of

log = logging.getLogger("obclip.app")

MAX_IMAGES_PER_JOB = 16
MAX_UNKEPT_ENTRIES = 32
"""Images of the session that the user did not keep: held in memory, the oldest dropped first."""
DEFAULT_CONNECT_TIMEOUT_S = 5.0
"""Seconds to wait for a remote cloud to accept a connection when the page sets none."""


def option_fields() -> dict[str, Any]:
    """The pydantic fields of every option the app offers (those with a label in `obclip.options`):
    type, default, bounds and choices from the one declaration."""
    fields: dict[str, Any] = {}
    for part in PARTS:
        types = option_types(part)
        for f, option in options_of(part):
            if option.label is None:
                continue
            bounds = {key: getattr(option, key) for key in ("ge", "gt", "le", "max_length")}
            extra = {"json_schema_extra": {"enum": list(option.choices)}} if option.choices else {}
            fields[f.name] = (
                types[f.name],
                Field(f.default, title=option.label, description=option.help, **_given(bounds), **extra),
            )
    return fields


def _given(values: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in values.items() if value is not None}


CHOICE_FIELDS: dict[str, tuple[str, ...]] = {
    f.name: option.choices for f, option in options_of() if option.label is not None and option.choices
}
"""The offered options with a closed set of values (scheduler, policy): refused outside it."""


class _SettingsBase(BaseModel):
    """One generation request from the page; the token never reaches the history. The options
    are `obclip.options`' (`option_fields`); the page's own settings are declared here."""

    model_config = ConfigDict(extra="forbid")

    prompt: str = Field(min_length=1, max_length=2000)
    accel: str = Field("none", max_length=100)
    seed: int | None = Field(None, ge=0, lt=2**63)
    num_images: int = Field(1, ge=1, le=MAX_IMAGES_PER_JOB)
    keep_history: bool = False
    """Write the image, its settings, the prompt and which candidate was the user's to the
    history directory. Off: nothing of the job reaches the disk."""

    @field_validator("prompt")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("type a prompt first")
        return value

    @field_validator("small", "token", mode="before", check_fields=False)
    @classmethod
    def _blank_is_none(cls, value: Any) -> Any:
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator(*CHOICE_FIELDS, check_fields=False)
    @classmethod
    def _one_of_its_choices(cls, value: str | None, info: ValidationInfo) -> str | None:
        choices = CHOICE_FIELDS[str(info.field_name)]
        if value is not None and value not in choices:
            name = str(info.field_name).replace("_", " ")
            raise ValueError(f"unknown {name} {value!r} (choose one of: {', '.join(choices)})")
        return value

    @field_validator("cloud", check_fields=False)
    @classmethod
    def _known_cloud(cls, value: str) -> str:
        value = value.strip() or "local"
        if value != "local" and not value.startswith(("http://", "https://")):
            raise ValueError(f"the cloud is 'local' or an address starting with http:// or https://, not {value!r}")
        return value

    def public(self) -> dict[str, Any]:
        """The settings as the history keeps them: no token, no prompt."""
        return self.model_dump(exclude={"token", "prompt"})

    def options(self, accel: Any = None) -> GenerationOptions:
        """The `GenerationOptions` these settings ask for (`accel` parsed by the caller)."""
        given = {name: getattr(self, name) for name in OPTION_NAMES if name in type(self).model_fields}
        return GenerationOptions.of(**{**given, "accel": accel})


Settings = create_model("Settings", __base__=_SettingsBase, __module__=__name__, **option_fields())
Settings.__doc__ = _SettingsBase.__doc__


TERMINAL = ("done", "error", "cancelled")


@dataclass
class Job:
    """One request's progress: an append-only list of events the page reads as they come.

    After a terminal event (`done`, `error`, `cancelled`) nothing more is recorded, so a job
    cancelled while its thread still finishes a step reports nothing after "cancelled".
    """

    id: str
    settings: Settings
    events: list[dict[str, Any]] = field(default_factory=list)
    finished: bool = False
    cancelled: threading.Event = field(default_factory=threading.Event, repr=False)
    settled: threading.Event = field(default_factory=threading.Event, repr=False)
    _on_cancel: list[Callable[[], None]] = field(default_factory=list, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def emit(self, event: dict[str, Any]) -> bool:
        """Record `event`; False (and nothing recorded) once the job has finished."""
        with self._lock:
            if self.finished:
                return False
            self.events.append({"at": round(time.time(), 3), **event})
            if event["type"] in TERMINAL:
                self.finished = True
            return True

    def since(self, index: int) -> list[dict[str, Any]]:
        with self._lock:
            return list(self.events[index:])

    def on_cancel(self, callback: Callable[[], None]) -> None:
        """Run `callback` when the job is cancelled (now, if it already is)."""
        with self._lock:
            if not self.cancelled.is_set():
                self._on_cancel.append(callback)
                return
        callback()

    def cancel(self) -> bool:
        """Stop the job: it reports "cancelled" now; its work stops at the next step. False if it had finished."""
        with self._lock:
            if self.finished:
                return False
            self.cancelled.set()
            # recorded before the callbacks run: closing the cloud's connection makes the job's
            # thread fail at once, and that failure must not be reported in place of the cancel
            self.events.append({"at": round(time.time(), 3), "type": "cancelled"})
            self.finished = True
            callbacks, self._on_cancel = self._on_cancel, []
        for callback in callbacks:
            with contextlib.suppress(Exception):
                callback()
        self.settled.set()
        return True

    def check(self) -> None:
        """Raise `JobCancelledError` if the user cancelled the job."""
        if self.cancelled.is_set():
            raise JobCancelledError("cancelled")


class History:
    """The images of this app and their settings, newest last.

    Entries the user keeps live on disk (`history.jsonl` beside the PNGs, the directory made on
    the first one); the others only in this process's memory, their images too, so a private
    job leaves nothing on disk. `keep=False` (`obclip ui --incognito`) refuses keeping at all.
    """

    def __init__(self, directory: str | Path, *, keep: bool = True) -> None:
        self.directory = Path(directory)
        self.keep = keep
        self._file = self.directory / "history.jsonl"
        self._lock = threading.Lock()
        self._entries: list[dict[str, Any]] = []
        self._memory: dict[str, bytes] = {}
        if keep and self._file.exists():
            for line in self._file.read_text().splitlines():
                try:
                    self._entries.append({**json.loads(line), "kept": True})
                except json.JSONDecodeError:
                    log.warning("skipping an unreadable history line in %s", self._file)

    def entries(self) -> list[dict[str, Any]]:
        with self._lock:
            return list(self._entries)

    def new_stem(self) -> str:
        return f"{time.strftime('%Y%m%d-%H%M%S')}-{secrets.token_hex(3)}"

    def add(self, entry: dict[str, Any], images: dict[str, Any], metadata: dict[str, dict[str, str]]) -> None:
        """Add `entry` with its PIL `images` by file name: on disk if `entry["kept"]`, else in memory."""
        if entry["kept"]:
            if not self.keep:
                raise InvalidInputError("this app was started with --incognito: it keeps no history")
            for name, image in images.items():
                save_image(image, self.directory / name, metadata.get(name, {}))
            record = {key: value for key, value in entry.items() if key != "kept"}
            with self._lock:
                self._entries.append(entry)
                with self._file.open("a") as f:
                    f.write(json.dumps(record, ensure_ascii=False) + "\n")
            return
        encoded = {name: _png_bytes(image, metadata.get(name, {})) for name, image in images.items()}
        with self._lock:
            self._entries.append({**entry, "files": list(encoded)})
            self._memory.update(encoded)
            unkept = [e for e in self._entries if not e["kept"]]
            for old in unkept[: max(len(unkept) - MAX_UNKEPT_ENTRIES, 0)]:
                self._forget(old)

    def delete(self, entry_id: str) -> bool:
        """Remove an entry and its images, from disk too; False if there is none by that id."""
        with self._lock:
            entry = next((e for e in self._entries if e.get("id") == entry_id), None)
            if entry is None:
                return False
            self._forget(entry)
            if entry["kept"]:
                kept = [{k: v for k, v in e.items() if k != "kept"} for e in self._entries if e["kept"]]
                self._rewrite(kept)
                for url in (entry.get("image"), entry.get("cloud_strip")):
                    if isinstance(url, str):
                        with contextlib.suppress(OSError):
                            (self.directory / Path(url).name).unlink()
            return True

    def file(self, name: str) -> Path | bytes | None:
        """An image by file name: its path on disk, its bytes in memory, or None."""
        with self._lock:
            if name in self._memory:
                return self._memory[name]
        path = self.directory / name
        return path if self.keep and path.is_file() else None

    def _forget(self, entry: dict[str, Any]) -> None:
        self._entries.remove(entry)
        for name in entry.get("files", ()):
            self._memory.pop(name, None)

    def _rewrite(self, records: list[dict[str, Any]]) -> None:
        if not records:
            self._file.unlink(missing_ok=True)
            return
        scratch = self._file.with_name(f".{self._file.name}.{secrets.token_hex(3)}")
        scratch.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records))
        os.replace(scratch, self._file)


def _png_bytes(image: Any, metadata: dict[str, str]) -> bytes:
    from PIL.PngImagePlugin import PngInfo

    info = PngInfo()
    for key, value in metadata.items():
        info.add_itxt(key, value)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", pnginfo=info)
    return buffer.getvalue()


class _RecordingCloud:
    """A cloud backend that tells the job when the cloud starts and ends, and keeps its answer."""

    def __init__(self, backend: Any, job: Job, image: int) -> None:
        self.backend = backend
        self.job = job
        self.image = image
        self.state: Any = None

    @property
    def reports_steps(self) -> bool:
        return bool(getattr(self.backend, "reports_steps", False))

    def denoise(self, spec: Any, **steps: Any) -> Any:
        self.job.check()
        where = "here" if self.job.settings.cloud == "local" else self.job.settings.cloud
        event = {"type": "phase", "phase": "cloud", "image": self.image, "n": spec.num_candidates, "where": where}
        self.job.emit(event)
        self.state = self.backend.denoise(spec, **steps)
        self.job.check()
        self.job.emit({"type": "phase", "phase": "device", "image": self.image})
        return self.state


class Runner:
    """Runs jobs one at a time (one model set in memory, one CPU budget); waiting jobs learn their
    place in the queue. A cancelled job frees the queue at once: its own thread stops at its next
    step (the local cloud) or when its connection is closed (a remote one, which then drops the job)."""

    def __init__(self, history: History) -> None:
        self.history = history
        self.jobs: dict[str, Job] = {}
        self._pending: list[Job] = []
        self._ready = threading.Condition()
        self._worker = threading.Thread(target=self._work, name="obclip-app-worker", daemon=True)
        self._worker.start()

    def submit(self, settings: Settings) -> Job:
        if settings.switch_step > settings.steps:
            raise refusal(f"cloud steps k={settings.switch_step} exceed the steps T={settings.steps}", "switch_step")
        if settings.keep_history and not self.history.keep:
            raise refusal("this app was started with --incognito: it keeps no history", "keep_history")
        from obclip.view import check_read

        try:  # a prompt not in English is refused now (HTTP 400), before the job or any model exists
            check_read(settings.prompt, send_unread=settings.send_unread)
        except ObclipError as exc:
            raise refusal(app_words(str(exc)), "prompt") from None
        try:
            _accel(settings)  # an unknown preset or one that does not fit T is refused now, not in the job
        except ObclipError as exc:
            exc.field = "accel"  # type: ignore[attr-defined]
            raise
        job = Job(id=secrets.token_hex(8), settings=settings)
        self.jobs[job.id] = job
        with self._ready:
            job.emit({"type": "queued", "ahead": len(self._pending) + (1 if self._busy() else 0)})
            self._pending.append(job)
            self._ready.notify()
        return job

    def cancel(self, job: Job) -> bool:
        """Cancel a queued or running job; False if it had finished."""
        with self._ready:
            if job in self._pending:
                self._pending.remove(job)
                self._tell_places()
        return job.cancel()

    def _busy(self) -> bool:
        return getattr(self, "_current", None) is not None

    def _tell_places(self) -> None:
        for index, waiting in enumerate(self._pending):
            waiting.emit({"type": "queued", "ahead": index + (1 if self._busy() else 0)})

    def _work(self) -> None:
        while True:
            with self._ready:
                while not self._pending:
                    self._ready.wait()
                job = self._pending.pop(0)
                self._current = job
                self._tell_places()
            thread = threading.Thread(target=self._execute, args=(job,), name=f"obclip-job-{job.id}", daemon=True)
            thread.start()
            job.settled.wait()  # done, failed, or cancelled (then the thread winds down on its own)
            with self._ready:
                self._current = None
                self._tell_places()

    def _execute(self, job: Job) -> None:
        try:
            self._run(job)
            job.emit({"type": "done"})
        except JobCancelledError:
            job.cancel()
        except ObclipError as exc:
            job.emit(error_event(exc, job.settings))
        except Exception as exc:  # the app stays up whatever a model library raises
            if not job.cancelled.is_set():
                log.exception("job %s failed", job.id)
            job.emit({"type": "error", "code": "internal", "message": f"{type(exc).__name__}: {exc}", "field": None})
        finally:
            job.settled.set()

    def _run(self, job: Job) -> None:
        from obclip.pipeline import DeviceHalf, ObclipPipeline

        s = job.settings
        first = s.seed if s.seed is not None else secrets.randbits(62)
        seeds = [first + i for i in range(s.num_images)]
        options = s.options(_accel(s))
        job.emit({"type": "phase", "phase": "loading", "images": len(seeds)})
        check_hub_access([s.large, s.small])  # an uncached hub id without a hub: refused in seconds
        job.check()
        recorder = _RecordingCloud(_backend(s, job), job, 0)
        pipe = ObclipPipeline(DeviceHalf(s.large, s.small), recorder, cloud_name=s.cloud)
        k, steps = s.switch_step, s.steps
        for index, seed in enumerate(seeds):
            job.check()
            recorder.image = index

            def on_step(pipe: Any, step: int, timestep: Any, values: dict[str, Any], index: int = index) -> None:
                job.check()  # the local cloud and the device stop between steps
                phase = values["phase"]
                done, total = (step + 1, k) if phase == "cloud" else (step + 1 - k, steps - k)
                job.emit({"type": "step", "phase": phase, "done": done, "total": total, "image": index})

            result = pipe.generate(s.prompt, options, seed=seed, callback=on_step)
            job.check()
            job.emit({"type": "phase", "phase": "decode", "image": index})
            entry = self._keep(s, result, recorder.state, pipe)
            if not job.emit({"type": "image", "image": index, "entry": entry}):
                self.history.delete(entry["id"])  # cancelled while it was being kept: nothing stays
                job.check()

    def _keep(self, s: Any, result: Any, state: Any, pipe: Any) -> dict[str, Any]:
        report = result.report.to_dict()
        stem = self.history.new_stem()
        image_name, strip_name = f"{stem}.png", f"{stem}-cloud.png"
        metadata = image_metadata(report)
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
            "kept": s.keep_history,
        }
        for key in ("anonymity", "revealed"):  # the plan report's privacy figures, where the engine gives them
            if key in report:
                entry["report"][key] = report[key]
        images = {image_name: result.image, strip_name: _cloud_strip(pipe.device_half.engine(), state)}
        self.history.add(entry, images, {image_name: metadata})
        return entry


def refusal(message: str, field: str) -> InvalidInputError:
    """An `InvalidInputError` the page shows beside the setting `field`."""
    error = InvalidInputError(message)
    error.field = field  # type: ignore[attr-defined]
    return error


def error_event(exc: ObclipError, s: Settings) -> dict[str, Any]:
    """A job's error as the page shows it: the app's words, and the setting it belongs beside."""
    message = app_words(str(exc))
    return {"type": "error", "code": exc.code, "message": message, "field": error_field(exc, s)}


def error_field(exc: ObclipError, s: Settings | None = None) -> str | None:
    """The page's control an error belongs beside (None: beside Generate)."""
    named = getattr(exc, "field", None)
    if isinstance(named, str):
        return named
    message = str(exc)
    if isinstance(exc, ModelNotFoundError | IncompatibleModelsError):
        if s is not None and s.small and s.small in message and s.large not in message:
            return "small"
        return "large"
    if "bearer token" in message:
        return "token"
    if isinstance(exc, ServiceError) or "the cloud at" in message:
        return "cloud"
    if message.startswith("the negative prompt"):
        return "negative_prompt"
    if isinstance(exc, InvalidInputError):
        return "prompt"
    return None


_SEND_UNREAD = "tick the setting “Send a prompt obclip cannot read”"
_CLI_WORDS = (
    ("; pass the right --token-file", "; check the Token setting"),
    ("pass send_unread=True", _SEND_UNREAD),
    ("pass --send-unread", _SEND_UNREAD),
    ("(--max-candidates)", "(the N budget setting)"),
    ("--max-candidates", "the N budget setting"),
    ("--connect-timeout", "the connect timeout setting"),
    ("--cloud", "the cloud setting"),
    ("--large", "the cloud model setting"),
    ("--small", "the device model setting"),
)


def app_words(message: str) -> str:
    """An engine or client message with the command line's flags put as the page's settings."""
    for flag, setting in _CLI_WORDS:
        message = message.replace(flag, setting)
    return message


def accel_choices() -> list[str]:
    """The acceleration presets the page offers (`none` first)."""
    from obclip.accel import AccelConfig

    return ["none", *AccelConfig.PRESETS]


def _accel(s: Settings) -> Any:
    if s.accel == "none":
        return None
    from obclip.accel import AccelConfig

    return AccelConfig.preset(s.accel, s.switch_step).validate(num_steps=s.steps)


def _backend(s: Settings, job: Job) -> Any:
    if s.cloud == "local":
        from obclip.engine import LocalCloud

        return LocalCloud(s.large, quiet=True)
    from obclip.service.client import HttpCloud, HttpOptions

    def sleep(seconds: float) -> None:  # a wait between tries ends when the user cancels
        job.cancelled.wait(seconds)
        job.check()

    job.emit({"type": "phase", "phase": "connecting", "where": s.cloud})
    cloud = HttpCloud(
        s.cloud,
        token=s.token,
        model=s.large,
        options=HttpOptions.of(connect_timeout=s.connect_timeout or DEFAULT_CONNECT_TIMEOUT_S),
        sleep=sleep,
    )
    _close_on_cancel(cloud, job)
    cloud.health()  # one quick call first: a wrong address or a refused connection is said in seconds
    return cloud


def _close_on_cancel(cloud: Any, job: Job) -> None:
    """Shut the cloud's connections when the job is cancelled: the server drops a job whose client
    has gone, and the read waiting for the answer ends at once."""
    network = getattr(cloud, "_deadline", None)  # the client's httpcore network backend
    if network is None or not hasattr(network, "connect_tcp"):
        job.on_cancel(cloud.close)
        return
    connect = network.connect_tcp

    def connect_tcp(*args: Any, **kwargs: Any) -> Any:
        stream = connect(*args, **kwargs)
        job.on_cancel(lambda: _shut(stream))
        return stream

    network.connect_tcp = connect_tcp


def _shut(stream: Any) -> None:
    sock = stream.get_extra_info("socket")
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)


def _cloud_strip(device: Any, state: Any) -> Any:
    """The N latents the cloud handed back at step k, decoded by the device's VAE, side by side."""
    from PIL import Image

    tiles = device.decode(state.latents)
    width, height = tiles[0].size
    strip = Image.new("RGB", (width * len(tiles), height))
    for column, tile in enumerate(tiles):
        strip.paste(tile, (column * width, 0))
    return strip
