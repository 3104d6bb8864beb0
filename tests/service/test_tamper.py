"""Issue 10.7 end to end: a real server whose answers are tampered with, and `obclip generate` against
it. Every tampered answer is refused with one line on stderr and exit status 2, and no image is written."""

from __future__ import annotations

import json
import socket
import struct
import threading
import time
from collections.abc import Callable, Iterator

import httpx
import pytest
import torch
import uvicorn
from safetensors.torch import load as st_load
from safetensors.torch import save as st_save

from obclip import cli
from obclip.service.limits import Limits
from obclip.service.server import ServiceConfig, create_app, uvicorn_config

from .conftest import PROMPT, TINY

Edit = Callable[[dict, dict], None]  # (header, tensors) -> None, in place


def retamper(body: bytes, edit: Edit) -> bytes:
    """`body` (a DenoiseState's bytes) with its obclip header and tensors edited by `edit`."""
    (size,) = struct.unpack("<Q", body[:8])
    header = json.loads(json.loads(body[8 : 8 + size])["__metadata__"]["obclip"])
    tensors = dict(st_load(body))
    edit(header, tensors)
    return st_save(tensors, metadata={"obclip": json.dumps(header)})


def _config(key: str, value) -> Edit:
    return lambda header, tensors: header["scheduler_config"].__setitem__(key, value)


def _lower_order_nums(value: int) -> Edit:
    return lambda header, tensors: header["history_meta"]["ints"].__setitem__("lower_order_nums", value)


def _history(change: Callable[[torch.Tensor], torch.Tensor]) -> Edit:
    def edit(header: dict, tensors: dict) -> None:
        tensors["history.model_outputs.1"] = change(tensors["history.model_outputs.1"]).contiguous()

    return edit


def _extra(name: str) -> Edit:
    return lambda header, tensors: tensors.__setitem__(name, torch.zeros_like(tensors["latents"]))


def _scale_latents(factor: float) -> Edit:
    return lambda header, tensors: tensors.__setitem__("latents", tensors["latents"] * factor)


TAMPERED: dict[str, Edit] = {
    "prediction_type=sample": _config("prediction_type", "sample"),
    "beta_schedule=linear": _config("beta_schedule", "linear"),
    "algorithm_type=sde-dpmsolver++": _config("algorithm_type", "sde-dpmsolver++"),
    "timestep_spacing=trailing": _config("timestep_spacing", "trailing"),
    "num_train_timesteps=lots": _config("num_train_timesteps", "lots"),
    "num_train_timesteps=5000000": _config("num_train_timesteps", 5_000_000),
    "lower_order_nums=0": _lower_order_nums(0),
    "lower_order_nums=-7": _lower_order_nums(-7),
    "history int64": _history(lambda t: t.to(torch.int64)),
    "history wrong shape": _history(lambda t: t[:, :, :4]),
    "extra history tensor": _extra("history.model_outputs.7"),
    "extra tensor": _extra("bonus"),
    "latents x 1e30": _scale_latents(1e30),
}


class TamperingEngine:
    """The real engine, with every answer passed through `edit` before it is sent."""

    def __init__(self, engine) -> None:
        self.engine = engine
        self.model = engine.model
        self.edit: Edit | None = None

    def check(self, spec) -> None:
        self.engine.check(spec)

    def run(self, spec, **options):
        state = self.engine.run(spec, **options)
        edit = self.edit

        class Answer:
            @staticmethod
            def to_bytes() -> bytes:
                body = state.to_bytes()
                return retamper(body, edit) if edit is not None else body

        return Answer()


@pytest.fixture(scope="module")
def tampering(tiny_engine) -> Iterator[tuple[str, TamperingEngine]]:
    engine = TamperingEngine(tiny_engine)
    limits = Limits(throughput_gmacs=1.0)
    app = create_app(ServiceConfig(large=TINY, limits=limits), engine=engine)
    sock = socket.create_server(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn_config(app, limits, log_level="warning"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    deadline = time.monotonic() + 120
    while True:
        assert time.monotonic() < deadline, "the tampering server never answered /healthz"
        try:
            if httpx.get(url + "/healthz", timeout=10).status_code == 200:
                break
        except httpx.TransportError:
            time.sleep(0.05)
    try:
        yield url, engine
    finally:
        server.should_exit = True
        thread.join(10)
        sock.close()


ARGV = ["generate", PROMPT, "--large", TINY, "--steps", "4", "--switch-step", "2", "--seed", "1", "--quiet"]


def test_untampered_answers_make_an_image(tampering, tmp_path, capsys):
    url, engine = tampering
    engine.edit = None
    out = tmp_path / "fine.png"
    assert cli.main([*ARGV, "--cloud", url, "--out", str(out)]) == 0 and out.exists()
    engine.edit = lambda header, tensors: None  # a re-serialised but unchanged answer is fine too
    out = tmp_path / "same.png"
    assert cli.main([*ARGV, "--cloud", url, "--out", str(out)]) == 0 and out.exists()


@pytest.mark.parametrize("name", sorted(TAMPERED))
def test_every_tampered_answer_is_refused_with_one_line(tampering, tmp_path, capsys, name):
    url, engine = tampering
    engine.edit = TAMPERED[name]
    out = tmp_path / "tampered.png"
    capsys.readouterr()
    code = cli.main([*ARGV, "--cloud", url, "--out", str(out)])
    err = capsys.readouterr().err.strip()
    assert code == 2, err
    assert err.startswith("obclip: error:") and "\n" not in err and "Traceback" not in err, err
    assert not out.exists()
