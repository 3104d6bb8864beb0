"""`obclip serve --ray`'s deployment on a local Ray instance (CPU, 2 CPUs, two replicas of the tiny model).

Slow (Ray itself takes 20-30 s to start on 2 cores), so one module-scoped deployment serves
every test here.
"""

from __future__ import annotations

import ipaddress
import os
import socket
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import torch

from obclip.engine import DenoiseSpec, LocalCloud
from obclip.service.client import HttpCloud
from obclip.service.limits import Limits
from obclip.service.server import ServiceConfig

from .conftest import TINY

ray = pytest.importorskip("ray")
serve = pytest.importorskip("ray.serve")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def deployment():
    from obclip.service.ray_serve import RayOptions, start

    options = RayOptions(replicas=2, num_cpus=0.5, threads=1)
    # a 10-minute job deadline: the 100-step job resent after its replica is killed runs past the
    # default 120 s on a loaded 2-core machine (seen: 504 deadline_exceeded)
    limits = Limits(job_deadline_s=600.0)
    url = start(ServiceConfig(large=TINY, limits=limits), options, port=_free_port(), num_cpus=2)
    try:
        yield url
    finally:
        serve.shutdown()
        ray.shutdown()


def spec(seed: int) -> DenoiseSpec:
    return DenoiseSpec(("a photo of an old man", "a photo of a young woman"), steps=4, switch_step=2, seed=seed)


def replicas() -> list[dict]:
    return [a for a in ray.util.list_named_actors(all_namespaces=True) if a["name"].startswith("SERVE_REPLICA::")]


@pytest.mark.slow
def test_two_replicas_serve_the_local_result(deployment):
    assert len(replicas()) == 2
    cloud = HttpCloud(deployment, model=TINY)
    for seed in (1, 2):
        remote = cloud.denoise(spec(seed))
        local = LocalCloud(TINY).denoise(spec(seed))
        assert torch.equal(remote.latents, local.latents)
        assert remote.history.keys() == local.history.keys()


@pytest.mark.slow
def test_a_request_survives_its_replica_being_killed_while_it_runs(deployment):
    """Issue 11.4. The replica running the request dies mid-job: Serve's proxy answers a plain-text
    500, not obclip's JSON error, so the client resends the identical bytes and the other replica
    answers; later requests go to the survivor while Serve replaces the dead one."""
    long = DenoiseSpec(("a photo of an old man", "a photo of a young woman"), steps=100, switch_step=100, seed=7)
    want_long = LocalCloud(TINY).denoise(long).latents
    want = LocalCloud(TINY).denoise(spec(5)).latents
    waits: list[float] = []

    def sleep(seconds: float) -> None:
        waits.append(seconds)
        time.sleep(seconds)

    cloud = HttpCloud(deployment, model=TINY, sleep=sleep)
    handles = {a["name"]: ray.get_actor(a["name"], namespace=a["namespace"]) for a in replicas()}
    with ThreadPoolExecutor(1) as pool:
        answer = pool.submit(cloud.denoise, long)
        # A replica counts a request as ongoing from the moment Serve's router reserves a slot on it;
        # killed before it accepts the request, the router itself routes it to the other replica and
        # no client ever resends. So the victim is the replica that has held it for half a second (the job
        # runs for several), which has long accepted it.
        victim, since = "", time.monotonic()
        while not answer.done():
            busy = [name for name, h in handles.items() if ray.get(h.get_num_ongoing_requests.remote())]
            if busy != [victim]:
                victim, since = (busy[0] if len(busy) == 1 else ""), time.monotonic()
            elif time.monotonic() - since >= 0.5:
                break
            time.sleep(0.02)
        assert victim and not answer.done(), "the request finished before its replica could be killed"
        ray.kill(handles[victim], no_restart=True)
        assert torch.equal(answer.result(timeout=600).latents, want_long)
    assert waits, "the answer came without a resend: the killed replica was not the one running it"
    for _ in range(4):
        assert torch.equal(cloud.denoise(spec(5)).latents, want)
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        names = {a["name"] for a in replicas()}
        if len(names) == 2 and victim not in names:
            break
        time.sleep(0.5)
    else:
        pytest.fail("Serve did not replace the killed replica within 180 s")
    assert torch.equal(cloud.denoise(spec(5)).latents, want)


def _loopback(ip: str) -> bool:
    address = ipaddress.ip_address(ip.split("%")[0])
    mapped = getattr(address, "ipv4_mapped", None)  # ::ffff:127.0.0.1, IPv4 on a dual-stack socket
    return (mapped or address).is_loopback


@pytest.mark.slow
def test_no_ray_port_listens_outside_loopback(deployment):
    """Issue 23.1: every listening socket of this process and of every process Ray started under it
    (GCS, raylet, object manager, workers, agents, the metrics servers, Serve's proxy and replicas)
    is on loopback; none on 0.0.0.0, ::, or the machine's own address."""
    import psutil

    port = int(deployment.rsplit(":", 1)[1])
    me = psutil.Process()
    tree = {me.pid: me.name()} | {child.pid: child.name() for child in me.children(recursive=True)}
    listening = [c for c in psutil.net_connections("inet") if c.status == psutil.CONN_LISTEN and c.pid in tree]
    names = {tree[c.pid] for c in listening}
    assert {"gcs_server", "raylet"} <= names, f"Ray's own processes not found listening: {names}"
    assert sum(name.startswith("ray::") for name in names) >= 2, names  # agents and replicas
    assert port in {c.laddr.port for c in listening}  # Serve's HTTP proxy
    outside = sorted(f"{tree[c.pid]} on {c.laddr.ip}:{c.laddr.port}" for c in listening if not _loopback(c.laddr.ip))
    assert not outside, f"listening outside loopback: {outside}"
    assert ray.util.get_node_ip_address() == "127.0.0.1"


def test_the_loopback_switch_reaches_ray_and_is_put_back():
    """What makes Ray keep 127.0.0.1 as its node address on Linux, in a fresh interpreter (as under
    `obclip serve --ray`, where Ray is imported only then), and nothing of it left afterwards."""
    import json
    import subprocess
    import sys

    code = (
        "import json, os\n"
        "from obclip.service.ray_serve import _LOCAL_ONLY, _loopback_only\n"
        "with _loopback_only(True):\n"
        "    from ray._private import ray_constants, services\n"
        "    inside = [ray_constants.ENABLE_RAY_CLUSTER, services.resolve_ip_for_localhost('127.0.0.1')]\n"
        "outside = [ray_constants.ENABLE_RAY_CLUSTER, os.environ.get(_LOCAL_ONLY)]\n"
        "print(json.dumps([inside, outside]))\n"
    )
    env = {k: v for k, v in os.environ.items() if k != "RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER"}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    assert json.loads(done.stdout.splitlines()[-1]) == [[False, "127.0.0.1"], [True, None]]


def test_a_public_bind_under_ray_is_refused_with_how_to_secure_it(capsys):
    from obclip.cli import main

    assert main(["serve", "--ray", "--large", TINY, "--host", "0.0.0.0", "--port", "8123"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1
    assert "--ray with --host 0.0.0.0 is refused" in err and "token authentication" in err and "--ray-secured" in err


def test_options_validate_and_map_to_serve():
    from obclip.errors import InvalidInputError
    from obclip.service.ray_serve import RayOptions

    fixed = RayOptions(replicas=3, num_gpus=1).deployment_options()
    assert fixed["num_replicas"] == 3 and fixed["ray_actor_options"]["num_gpus"] == 1
    scaled = RayOptions(replicas=1, max_replicas=4).deployment_options()
    assert "num_replicas" not in scaled
    assert scaled["autoscaling_config"]["min_replicas"] == 1 and scaled["autoscaling_config"]["max_replicas"] == 4
    with pytest.raises(InvalidInputError):
        RayOptions(replicas=0)
    with pytest.raises(InvalidInputError):
        RayOptions(replicas=3, max_replicas=2)


def test_the_shipped_serve_config_builds_an_application():
    """`serve run deploy/ray-serve.yaml` calls `app_builder` with the file's args."""
    from pathlib import Path

    import yaml

    from obclip.errors import InvalidInputError
    from obclip.service.ray_serve import app_builder

    config = yaml.safe_load((Path(__file__).parents[2] / "deploy" / "ray-serve.yaml").read_text())
    (application,) = config["applications"]
    assert application["import_path"] == "obclip.service.ray_serve:app_builder"
    assert isinstance(app_builder(application["args"]), serve.Application)
    with pytest.raises(InvalidInputError, match="unknown argument"):
        app_builder({"replica": 2})


@pytest.mark.parametrize(
    ("flags", "fragment"),
    [
        (["--port", "0"], "fixed port"),
        (["--ray-replicas", "0"], "replicas must be"),
        (["--ray-replicas", "3", "--ray-max-replicas", "2"], "below the 3 replicas"),
        (["--max-batch-latent-pixels", "0"], "max_latent_pixels"),
    ],
)
def test_bad_ray_flags_are_one_line_and_status_2(capsys, flags, fragment):
    from obclip.cli import main

    assert main(["serve", "--ray", "--large", TINY, *flags]) == 2
    err = capsys.readouterr().err.strip()
    assert fragment in err and len(err.splitlines()) == 1
