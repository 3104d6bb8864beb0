"""The app's HTTP side: one static page and a JSON API, for this machine only (127.0.0.1) unless
started on another address with a token.

GET /                         the page (static HTML/JS/CSS shipped in the package, no CDN)
GET /api/options              models, schedulers, presets and defaults for the settings
POST /api/candidates          what the cloud will see for a prompt: N, candidates, highlighted words, warnings
POST /api/cost                what the request costs the cloud, against one ordinary image (MAC counts)
POST /api/jobs                start a generation; GET /api/jobs/{id}/events streams its progress (SSE);
                              POST /api/jobs/{id}/cancel stops it
GET /api/history, /files/F    earlier images with their settings; DELETE /api/history/{id} forgets one
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import json
import re
import threading
import webbrowser
from pathlib import Path
from typing import Any, Literal

from fastapi import FastAPI, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, RedirectResponse, Response, StreamingResponse
from fastapi.staticfiles import StaticFiles
from pydantic import BaseModel, ConfigDict, Field
from starlette.middleware.trustedhost import TrustedHostMiddleware

import obclip
from obclip.app.jobs import (
    MAX_IMAGES_PER_JOB,
    History,
    Runner,
    Settings,
    accel_choices,
    app_words,
    error_field,
)
from obclip.defaults import DEFAULT_GUIDANCE, DEFAULT_LARGE, DEFAULT_STEPS, DEFAULT_SWITCH_STEP
from obclip.errors import InvalidInputError, ObclipError
from obclip.hosts import is_loopback
from obclip.options import SCHEDULER_NAMES, GenerationOptions, option_fields

STATIC = Path(__file__).parent / "static"
_FILE_NAME = re.compile(r"^[\w.-]+\.png$")
LOOPBACK_HOSTS = ["127.0.0.1", "localhost", "[::1]", "::1"]
TOKEN_COOKIE = "obclip_ui_token"

# What the page calls each setting, for validation messages in the app's own words: the options'
# labels (`obclip.options`), and the page's own settings.
LABELS = {
    "prompt": "The prompt",
    **{f.name: option.label for f, option in option_fields() if option.label is not None},
    "accel": "Acceleration",
    "seed": "Seed",
    "num_images": "Images",
    "keep_history": "Keep history",
}


class CandidatesRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    prompt: str = Field(max_length=2000)
    large: str = Field(DEFAULT_LARGE, max_length=500)
    max_candidates: int | None = Field(None, ge=1)
    policy: Literal["generalize", "keep-cues"] | None = None  # options.POLICIES
    send_unread: bool = False  # options.PrivateOptions.send_unread: a prompt not in English is refused without it


class CostRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    large: str = Field(DEFAULT_LARGE, max_length=500)
    n: int = Field(ge=1, le=4096)
    steps: int = Field(DEFAULT_STEPS, ge=1, le=1000)
    switch_step: int = Field(DEFAULT_SWITCH_STEP, ge=0, le=1000)
    accel: str = Field("none", max_length=100)
    guidance: float = Field(DEFAULT_GUIDANCE, ge=0, le=50)


def create_app(
    history_dir: str | Path = "out/ui",
    *,
    allowed_hosts: list[str] | None = None,
    token: str | None = None,
    incognito: bool = False,
) -> FastAPI:
    """The app; `allowed_hosts` guards against DNS rebinding (loopback names by default).

    With `token`, every call needs it (a cookie set by opening `/?token=...`, or a bearer header).
    With `incognito`, nothing is kept on disk whatever the page asks.
    """
    # The engine's imports (torch, diffusers) are made here, once, in one thread: diffusers' lazy
    # imports are not safe to race from the request threads, and the page's first call is then quick.
    from obclip import api  # noqa: F401

    app = FastAPI(title="obclip", version=obclip.__version__, docs_url=None, redoc_url=None, openapi_url=None)
    if token is not None:
        _require_token(app, token)
    app.add_middleware(TrustedHostMiddleware, allowed_hosts=allowed_hosts or LOOPBACK_HOSTS)
    history = History(history_dir, keep=not incognito)
    runner = Runner(history)
    app.state.runner = runner

    @app.exception_handler(ObclipError)
    async def _obclip_error(request: Request, exc: ObclipError) -> JSONResponse:
        return _error(exc.http_status, exc.code, app_words(str(exc)), error_field(exc))

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        message, field = validation_message(exc.errors()[0])
        return _error(422, "invalid_input", message, field)

    @app.exception_handler(HTTPException)
    async def _http_error(request: Request, exc: HTTPException) -> JSONResponse:
        return _error(exc.status_code, "not_found", str(exc.detail), None)

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
            "incognito": incognito,
            "history_dir": str(history.directory),
            "defaults": {
                name: value
                for name, value in GenerationOptions().flat().items()
                if name in ("large", "steps", "switch_step", "scheduler", "guidance")
            },
        }

    @app.post("/api/candidates")
    def candidates(request: CandidatesRequest) -> dict[str, Any]:
        from obclip.privacy.correlate import report
        from obclip.prompt_tokens import counter_for
        from obclip.view import check_read, cloud_view

        if not request.prompt.strip():
            return {"n": 0, "candidates": [], "segments": [], "attributes": [], "notice": None, "cannot_draw": []}
        # the function `generate` sends with: what the page shows is what the cloud gets
        try:
            cset = cloud_view(
                request.prompt, large=request.large, max_candidates=request.max_candidates, policy=request.policy
            )
            check_read(request.prompt, send_unread=request.send_unread)  # what generate would refuse
        except ObclipError as exc:
            if error_field(exc) == "prompt" and "max_candidates" in str(exc):
                exc.field = "max_candidates"  # type: ignore[attr-defined]
            raise
        public = cset.public_dict()
        counter = counter_for(request.large)  # the model's own tokenizer files, no torch
        return {
            **public,
            "residual": public.get("residual", []),
            "notice": cset.notice,
            "hidden": list(cset.hidden),
            "segments": prompt_segments(cset),
            "cannot_draw": cannot_draw(cset, request.large),
            **{key: value for key, value in report(cset).items() if key in ("anonymity", "revealed", "generalized")},
            "tokens": None if counter is None else counter.layout(request.prompt).describe(),
        }

    @app.post("/api/cost")
    def cost(request: CostRequest) -> dict[str, Any]:
        from obclip.app.cost import request_cost

        if request.switch_step > request.steps:
            return {"ratio": None, "text": "", "assumed": None}
        accel = None if request.accel == "none" else request.accel
        return request_cost(request.large, request.n, request.steps, request.switch_step, accel, request.guidance)

    @app.post("/api/jobs", status_code=202)
    def start(settings: Settings) -> dict[str, Any]:
        job = runner.submit(settings)
        return {"id": job.id, "events": f"/api/jobs/{job.id}/events", "cancel": f"/api/jobs/{job.id}/cancel"}

    @app.get("/api/jobs/{job_id}")
    def job_state(job_id: str, after: int = 0) -> dict[str, Any]:
        job = _job(runner, job_id)
        return {"id": job.id, "finished": job.finished, "events": job.since(max(after, 0))}

    @app.post("/api/jobs/{job_id}/cancel")
    def cancel(job_id: str) -> dict[str, Any]:
        job = _job(runner, job_id)
        return {"id": job.id, "cancelled": runner.cancel(job)}

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
        return {"entries": list(reversed(history.entries())), "incognito": incognito}

    @app.delete("/api/history/{entry_id}")
    def history_delete(entry_id: str) -> dict[str, Any]:
        if not history.delete(entry_id):
            raise HTTPException(404, "no such history entry")
        return {"deleted": entry_id}

    @app.get("/files/{name}")
    def files(name: str) -> Response:
        found = history.file(name) if _FILE_NAME.match(name) else None
        if found is None:
            raise HTTPException(404, "no such image")
        headers = {"Cache-Control": "no-store"}
        if isinstance(found, bytes):
            return Response(found, media_type="image/png", headers=headers)
        return FileResponse(found, media_type="image/png", headers=headers)

    return app


def _error(status: int, code: str, message: str, field: str | None) -> JSONResponse:
    return JSONResponse({"error": {"code": code, "message": message, "field": field}}, status_code=status)


def validation_message(error: dict[str, Any]) -> tuple[str, str | None]:
    """A pydantic error in the page's words (`Steps T must be at least 1`) and the setting it is about."""
    where = [str(p) for p in error.get("loc", ()) if p != "body"]
    field = where[0] if where else None
    label = LABELS.get(field or "", field or "The request")
    kind, ctx = error.get("type", ""), error.get("ctx") or {}
    if kind == "value_error":
        text = str(ctx.get("error", error.get("msg", "")))
        return text[:1].upper() + text[1:], field
    if kind == "string_too_short" and field == "prompt":
        return "Type a prompt first", field
    phrases = {
        "string_too_short": "is empty",
        "string_too_long": f"is too long (at most {ctx.get('max_length')} characters)",
        "greater_than_equal": f"must be at least {ctx.get('ge')}",
        "greater_than": f"must be more than {ctx.get('gt')}",
        "less_than_equal": f"must be at most {ctx.get('le')}",
        "less_than": f"must be less than {ctx.get('lt')}",
        "int_parsing": "must be a whole number",
        "int_from_float": "must be a whole number",
        "int_type": "must be a whole number",
        "float_parsing": "must be a number",
        "float_type": "must be a number",
        "bool_type": "must be on or off",
        "bool_parsing": "must be on or off",
        "string_type": "must be text",
        "extra_forbidden": "is not a setting of this app",
        "missing": "is missing",
    }
    return f"{label} {phrases.get(kind, 'is not valid')}", field


def _require_token(app: FastAPI, token: str) -> None:
    """Every request needs the token: the page's cookie (set by opening `/?token=...`) or a bearer header."""

    def good(given: str | None) -> bool:
        return given is not None and hmac.compare_digest(given.encode(), token.encode())

    @app.middleware("http")
    async def _auth(request: Request, call_next: Any) -> Response:
        if request.url.path == "/" and good(request.query_params.get("token")):
            response = RedirectResponse("/", status_code=303)  # the token leaves the address bar and history
            response.set_cookie(TOKEN_COOKIE, token, httponly=True, samesite="strict")
            return response
        bearer = request.headers.get("authorization", "")
        given = bearer[7:] if bearer.lower().startswith("bearer ") else request.cookies.get(TOKEN_COOKIE)
        if good(given):
            return await call_next(request)
        message = "this obclip app needs its token: open the address `obclip ui` printed (it ends in ?token=...)"
        if request.url.path == "/":
            return HTMLResponse(f"<!doctype html><title>obclip</title><p>{message}</p>", status_code=401)
        return _error(401, "unauthorized", message, None)


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


def cannot_draw(cset: Any, large: str) -> list[dict[str, str]]:
    """Varied attributes that `large` was not trained to draw, with the prompt's words for them.

    A model that comes with its own taxonomy (the embedded portrait world) knows only its
    attributes: the cloud still sees the attribute varied, but the image will not show it.
    """
    from obclip.privacy import load_taxonomy
    from obclip.view import model_taxonomy

    try:
        own = model_taxonomy(large)
    except ObclipError:
        return []
    if own is None:
        return []
    known = {a.name for a in load_taxonomy(own).attributes}
    missing: dict[str, list[str]] = {}
    for segment in prompt_segments(cset):
        kind = segment.get("attribute")
        if kind not in (None, "article") and kind not in known:
            missing.setdefault(kind, []).append(segment["text"].strip())
    return [
        {"attribute": kind, "words": ", ".join(words), "model": large, "knows": ", ".join(sorted(known))}
        for kind, words in missing.items()
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


def _warm_cost() -> None:
    """Count the default model's forwards once, so the page's first cost line comes quickly."""
    from obclip.app.cost import request_cost

    with contextlib.suppress(Exception):  # only a warm-up: the page's own call reports any problem
        request_cost(DEFAULT_LARGE, 1, DEFAULT_STEPS, DEFAULT_SWITCH_STEP, None, DEFAULT_GUIDANCE)


def serve(
    *,
    host: str = "127.0.0.1",
    port: int = 7870,
    history: str = "out/ui",
    open_browser: bool = False,
    quiet: bool = False,
    token: str | None = None,
    incognito: bool = False,
) -> int:
    """Run the app until interrupted; the address is bound first, so a port in use is one clear error.

    An address other than loopback needs `token`: the app shows prompts, images and which
    candidate was the user's to whoever can reach it.
    """
    import socket

    import uvicorn

    loopback = is_loopback(host)
    if not loopback and token is None:
        raise InvalidInputError(
            f"--host {host} lets anyone on the network use this app and read its history (prompts, and which "
            "candidate was yours); give --new-token (or --token-file FILE) to require a token, or keep 127.0.0.1"
        )
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
    app = create_app(history, allowed_hosts=None if loopback else ["*"], token=token, incognito=incognito)
    threading.Thread(target=_warm_cost, name="obclip-cost-warm-up", daemon=True).start()
    shown = "127.0.0.1" if host in ("0.0.0.0", "::") else host
    url = f"http://{shown}:{sock.getsockname()[1]}/"
    kept = "nothing kept on disk (--incognito)" if incognito else f"history kept in {history} when asked"
    print(f"obclip ui: {url} ({kept}; Ctrl-C stops)", flush=True)
    if token is not None:
        print(
            f"open {url}?token={token} (from another device: this machine's address instead of {shown}); "
            "the connection is plain HTTP, so use it on a network you trust",
            flush=True,
        )
    if open_browser:
        webbrowser.open(url if token is None else f"{url}?token={token}")
    config = uvicorn.Config(app, log_level="warning" if quiet else "info", access_log=not quiet)
    uvicorn.Server(config).run(sockets=[sock])
    return 0
