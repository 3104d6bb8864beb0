"""The app's HTTP side: one static page and a JSON API, for this machine only (127.0.0.1).

GET /                         the page (static HTML/JS/CSS shipped in the package, no CDN)
GET /api/options              models, schedulers, presets and defaults for the settings
POST /api/candidates          what the cloud will see for a prompt: N, candidates, highlighted words
POST /api/jobs                start a generation; GET /api/jobs/{id}/events streams its progress (SSE)
GET /api/history, /files/F    earlier images with their settings; the images themselves
"""

from __future__ import annotations

import asyncio
import json
import re
import webbrowser
from pathlib import Path
from typing import Any

from fastapi import FastAPI, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, JSONResponse, StreamingResponse
from fastapi.staticfiles import StaticFiles
from pydantic import BaseModel, ConfigDict, Field
from starlette.middleware.trustedhost import TrustedHostMiddleware

import obclip
from obclip.app.jobs import MAX_IMAGES_PER_JOB, History, Runner, Settings, accel_choices
from obclip.cli._common import DEFAULT_SCHEDULER, SCHEDULER_NAMES
from obclip.defaults import DEFAULT_GUIDANCE, DEFAULT_LARGE, DEFAULT_STEPS, DEFAULT_SWITCH_STEP
from obclip.errors import InvalidInputError, ObclipError

STATIC = Path(__file__).parent / "static"
_FILE_NAME = re.compile(r"^[\w.-]+\.png$")
LOOPBACK_HOSTS = ["127.0.0.1", "localhost", "[::1]", "::1"]


class CandidatesRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    prompt: str = Field(max_length=2000)
    large: str = Field(DEFAULT_LARGE, max_length=500)
    max_candidates: int | None = Field(None, ge=1)


def create_app(history_dir: str | Path = "out/ui", *, allowed_hosts: list[str] | None = None) -> FastAPI:
    """The app; `allowed_hosts` guards against DNS rebinding (loopback names by default)."""
    # The engine's imports (torch, diffusers) are made here, once, in one thread: diffusers' lazy
    # imports are not safe to race from the request threads, and the page's first call is then quick.
    from obclip import api  # noqa: F401

    app = FastAPI(title="obclip", version=obclip.__version__, docs_url=None, redoc_url=None, openapi_url=None)
    app.add_middleware(TrustedHostMiddleware, allowed_hosts=allowed_hosts or LOOPBACK_HOSTS)
    history = History(history_dir)
    runner = Runner(history)
    app.state.runner = runner

    @app.exception_handler(ObclipError)
    async def _obclip_error(request: Request, exc: ObclipError) -> JSONResponse:
        return JSONResponse({"error": {"code": exc.code, "message": str(exc)}}, status_code=exc.http_status)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first.get("loc", ()) if p != "body")
        message = f"{where}: {first.get('msg')}" if where else str(first.get("msg"))
        return JSONResponse({"error": {"code": "invalid_input", "message": message}}, status_code=422)

    @app.get("/", include_in_schema=False)
    def index() -> FileResponse:
        return FileResponse(STATIC / "index.html", headers={"Cache-Control": "no-store"})

    app.mount("/static", StaticFiles(directory=STATIC), name="static")

    @app.get("/api/options")
    def options() -> dict[str, Any]:
        return {
            "version": obclip.__version__,
            "models": _embedded_models(),
            "schedulers": list(SCHEDULER_NAMES),
            "accel": accel_choices(),
            "max_images": MAX_IMAGES_PER_JOB,
            "defaults": {
                "large": DEFAULT_LARGE,
                "steps": DEFAULT_STEPS,
                "switch_step": DEFAULT_SWITCH_STEP,
                "scheduler": DEFAULT_SCHEDULER,
                "guidance": DEFAULT_GUIDANCE,
            },
        }

    @app.post("/api/candidates")
    def candidates(request: CandidatesRequest) -> dict[str, Any]:
        from obclip.view import cloud_view

        if not request.prompt.strip():
            return {"n": 0, "candidates": [], "segments": [], "attributes": [], "notice": None}
        # the function `generate` sends with: what the page shows is what the cloud gets
        cset = cloud_view(request.prompt, large=request.large, max_candidates=request.max_candidates)
        public = cset.public_dict()
        return {
            **public,
            "residual": public.get("residual", []),
            "notice": cset.notice,
            "hidden": list(cset.hidden),
            "segments": prompt_segments(cset),
        }

    @app.post("/api/jobs", status_code=202)
    def start(settings: Settings) -> dict[str, Any]:
        job = runner.submit(settings)
        return {"id": job.id, "events": f"/api/jobs/{job.id}/events"}

    @app.get("/api/jobs/{job_id}")
    def job_state(job_id: str, after: int = 0) -> dict[str, Any]:
        job = _job(runner, job_id)
        return {"id": job.id, "finished": job.finished, "events": job.since(max(after, 0))}

    @app.get("/api/jobs/{job_id}/events")
    async def job_events(job_id: str) -> StreamingResponse:
        job = _job(runner, job_id)

        async def stream():
            sent = 0
            while True:
                events = job.since(sent)
                for event in events:
                    yield f"data: {json.dumps(event, ensure_ascii=False)}\n\n"
                sent += len(events)
                if job.finished and not job.since(sent):
                    return
                await asyncio.sleep(0.05)

        return StreamingResponse(stream(), media_type="text/event-stream", headers={"Cache-Control": "no-store"})

    @app.get("/api/history")
    def history_list() -> dict[str, Any]:
        return {"entries": list(reversed(history.entries()))}

    @app.get("/files/{name}")
    def files(name: str) -> FileResponse:
        path = history.directory / name
        if not _FILE_NAME.match(name) or not path.is_file():
            raise HTTPException(404, "no such image")
        return FileResponse(path, media_type="image/png")

    @app.exception_handler(HTTPException)
    async def _http_error(request: Request, exc: HTTPException) -> JSONResponse:
        return JSONResponse({"error": {"code": "not_found", "message": str(exc.detail)}}, status_code=exc.status_code)

    return app


def _job(runner: Runner, job_id: str):
    job = runner.jobs.get(job_id)
    if job is None:
        raise HTTPException(404, f"no job {job_id!r}")
    return job


def _embedded_models() -> list[dict[str, str]]:
    from obclip.engine.embedded import PREFIX, REGISTRY

    return [
        {"name": PREFIX + name, "description": entry.description, "small": PREFIX + entry.small if entry.small else ""}
        for name, entry in REGISTRY.items()
        if entry.available
    ]


def prompt_segments(cset: Any) -> list[dict[str, Any]]:
    """The user's prompt (canonical form) cut into what stays in clear and what each candidate varies.

    Each segment is `{"text", "attribute"}`; `attribute` names the sensitive attribute a word
    states (e.g. "gender"), or is None for text every candidate shares.
    """
    from obclip.privacy.template import Slot

    template = cset.template
    prompt = cset.true_prompt
    kinds = [a.kind for a in template.attributes]
    segments: list[dict[str, Any]] = []
    position = 0
    pending: list[Slot] = []

    def flush(end: int) -> None:
        nonlocal position
        if pending and end > position:
            named = [s for s in pending if s.attribute is not None]
            kind = kinds[named[0].attribute] if named else "article"
            segments.append({"text": prompt[position:end], "attribute": kind})
            position = end
        pending.clear()

    for part in template.parts:
        if isinstance(part, Slot):
            pending.append(part)
            continue
        if not part:
            continue
        found = prompt.find(part, position) if pending else position
        if found < 0 or not prompt.startswith(part, found):  # cannot align; show the prompt as one plain segment
            return [{"text": prompt, "attribute": None}]
        flush(found)
        segments.append({"text": part, "attribute": None})
        position = found + len(part)
    flush(len(prompt))
    return _mark_residual([s for s in segments if s["text"]], cset.public_dict().get("residual", []))


def _mark_residual(segments: list[dict[str, Any]], residual: list[dict[str, str]]) -> list[dict[str, Any]]:
    """Split the clear text around residual-risk words: sent as they are, yet they may reveal an attribute."""
    reasons = {r["word"]: r["reason"] for r in residual if r.get("word")}
    if not reasons:
        return segments
    words = "|".join(re.escape(w) for w in sorted(reasons, key=len, reverse=True))
    pattern = re.compile(rf"(?<![\w-])({words})(?![\w-])")
    marked: list[dict[str, Any]] = []
    for segment in segments:
        if segment["attribute"] is not None:
            marked.append(segment)
            continue
        for index, piece in enumerate(pattern.split(segment["text"])):
            if piece:
                marked.append({"text": piece, "attribute": None, **({"residual": reasons[piece]} if index % 2 else {})})
    return marked


def serve(
    *,
    host: str = "127.0.0.1",
    port: int = 7870,
    history: str = "out/ui",
    open_browser: bool = False,
    quiet: bool = False,
) -> int:
    """Run the app until interrupted; the address is bound first, so a port in use is one clear error."""
    import socket

    import uvicorn

    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
        sock.listen(128)  # connections wait in the backlog while the app starts
    except OSError as exc:
        sock.close()
        raise InvalidInputError(
            f"cannot listen on {host}:{port}: {exc.strerror or exc} (choose another --port)"
        ) from None
    loopback = host in ("127.0.0.1", "localhost", "::1")
    app = create_app(history, allowed_hosts=None if loopback else ["*"])
    shown = "127.0.0.1" if host in ("0.0.0.0", "::") else host
    url = f"http://{shown}:{sock.getsockname()[1]}/"
    print(f"obclip ui: {url} (history in {history}; Ctrl-C stops)", flush=True)
    if open_browser:
        webbrowser.open(url)
    config = uvicorn.Config(app, log_level="warning" if quiet else "info", access_log=not quiet)
    uvicorn.Server(config).run(sockets=[sock])
    return 0
