"""The same FastAPI app (`server.create_app`) as a Ray Serve deployment: replicas, autoscaling, one
GPU per replica where CUDA is present, cross-request batching inside each replica.

Needs the `ray` extra (`pip install 'obclip[ray]'`). `obclip serve --ray` runs it on a local or
existing Ray cluster; `serve run obclip.service.ray_serve:app_builder large=... replicas=2` (or the
config file `deploy/ray-serve.yaml`) hands it to Ray's own CLI.

`obclip serve --ray` starts a local Ray with every port on loopback (a single-machine Ray whose
node address is 127.0.0.1; no dashboard unless asked), puts Serve's HTTP proxy on a loopback
port, and serves the public address with obclip's own front (`service.front` under
`server.uvicorn_config`), so every connection limit of a plain server holds. It refuses a
non-loopback `--host` unless told the Ray cluster is secured.
"""

from __future__ import annotations

import os
import signal
import socket
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, replace
from typing import Any

from obclip.errors import InvalidInputError, ServiceError
from obclip.hosts import is_loopback
from obclip.service.server import ServiceConfig, create_app

DEPLOYMENT = "obclip"


@dataclass(frozen=True)
class RayOptions:
    """How the app is spread over a Ray cluster.

    Args:
        replicas: replicas to run (the minimum when autoscaling).
        max_replicas: above `replicas`, Ray Serve's autoscaler adds replicas up to this many
            while each has more than `target_ongoing_requests` requests in flight.
        target_ongoing_requests: requests in flight per replica the autoscaler aims at.
        max_ongoing_requests: requests one replica takes at once; they queue in its worker
            and batch there. Beyond it Ray Serve holds requests in its proxy.
        num_cpus: CPUs Ray reserves per replica.
        num_gpus: GPUs per replica; None takes 1 where CUDA is present, else 0.
        threads: torch intra-op threads in each replica (None: torch's default).
    """

    replicas: int = 1
    max_replicas: int | None = None
    target_ongoing_requests: float = 16.0
    max_ongoing_requests: int = 64
    num_cpus: float = 1.0
    num_gpus: float | None = None
    threads: int | None = None

    def __post_init__(self) -> None:
        if isinstance(self.replicas, bool) or not isinstance(self.replicas, int) or self.replicas < 1:
            raise InvalidInputError(f"replicas must be an integer >= 1, got {self.replicas!r}")
        if self.max_replicas is not None and self.max_replicas < self.replicas:
            raise InvalidInputError(f"max replicas {self.max_replicas} is below the {self.replicas} replicas")
        if self.max_ongoing_requests < 1 or self.target_ongoing_requests <= 0:
            raise InvalidInputError("max_ongoing_requests and target_ongoing_requests must be positive")
        if self.num_cpus < 0 or (self.num_gpus is not None and self.num_gpus < 0):
            raise InvalidInputError("num_cpus and num_gpus must be >= 0")

    def deployment_options(self) -> dict[str, Any]:
        """Keyword arguments for `serve.deployment(...).options(...)`."""
        num_gpus = self.num_gpus if self.num_gpus is not None else _cuda_gpus()
        options: dict[str, Any] = {
            "name": DEPLOYMENT,
            "max_ongoing_requests": self.max_ongoing_requests,
            "ray_actor_options": {"num_cpus": self.num_cpus, "num_gpus": num_gpus},
            "health_check_period_s": 2,
            "health_check_timeout_s": 30,
        }
        if self.max_replicas is not None and self.max_replicas > self.replicas:
            options["autoscaling_config"] = {
                "min_replicas": self.replicas,
                "initial_replicas": self.replicas,
                "max_replicas": self.max_replicas,
                "target_ongoing_requests": self.target_ongoing_requests,
            }
        else:
            options["num_replicas"] = self.replicas
        return options


def _cuda_gpus() -> float:
    import torch

    return 1.0 if torch.cuda.is_available() else 0.0


class ObclipReplica:
    """One replica: loads the model and serves `create_app(config)` (its own worker and batcher)."""

    def __init__(self, config: ServiceConfig, threads: int | None = None) -> None:
        _bind_replica_grpc_to_node()
        if threads is not None:
            import torch

            torch.set_num_threads(threads)
        self._config = config

    def __serve_build_asgi_app__(self) -> Any:
        return create_app(self._config)


def _bind_replica_grpc_to_node() -> None:
    """On a loopback node, bind this replica's inter-deployment gRPC server to loopback, not every interface.

    Ray Serve starts that server in each replica, after the replica's class is constructed, on the
    hard-coded address `[::]:0` (all interfaces, any port), with no setting to change it, while Ray's
    own servers bind the node's address (127.0.0.1 under `obclip serve --ray`). On such a node
    every caller is local, so the server binds the node's address too; on a cluster's node (any
    other address) Serve's own bind is kept, as other nodes and local callers may both reach it.
    """
    try:
        import ray
        from ray.serve._private import replica
    except ImportError:
        return
    original = getattr(replica, "add_port_to_grpc_server", None)
    if original is None or getattr(original, "obclip_node_bound", False):
        return
    node = ray.util.get_node_ip_address()
    if not is_loopback(node):
        return
    shown = f"[{node}]" if ":" in node else node

    def bind_node(server: Any, address: str) -> Any:
        return original(server, f"{shown}:0" if address == "[::]:0" else address)

    bind_node.obclip_node_bound = True  # type: ignore[attr-defined]
    replica.add_port_to_grpc_server = bind_node


def build_app(config: ServiceConfig, options: RayOptions | None = None) -> Any:
    """The Ray Serve application (`serve.run(build_app(...))`)."""
    from ray import serve

    options = options or RayOptions()
    deployment = serve.deployment(serve.ingress()(ObclipReplica)).options(**options.deployment_options())
    return deployment.bind(config, options.threads)


def app_builder(args: Mapping[str, str]) -> Any:
    """Entry point for Ray's CLI: `serve run obclip.service.ray_serve:app_builder large=M replicas=2`.

    Keys: `large`, `replicas`, `max_replicas`, `num_cpus`, `num_gpus`, `threads`, `token_file`.
    """
    from obclip.service.tokens import read_tokens

    known = {"large", "replicas", "max_replicas", "num_cpus", "num_gpus", "threads", "token_file"}
    unknown = sorted(set(args) - known)
    if unknown:
        raise InvalidInputError(f"unknown argument(s) {', '.join(unknown)}; known: {', '.join(sorted(known))}")
    config = ServiceConfig(large=args.get("large", ServiceConfig.large))
    if "token_file" in args:
        config = replace(config, tokens=read_tokens(args["token_file"]))
    options = RayOptions(
        replicas=int(args.get("replicas", 1)),
        max_replicas=int(args["max_replicas"]) if "max_replicas" in args else None,
        num_cpus=float(args.get("num_cpus", 1)),
        num_gpus=float(args["num_gpus"]) if "num_gpus" in args else None,
        threads=int(args["threads"]) if "threads" in args else None,
    )
    return build_app(config, options)


def start(
    config: ServiceConfig,
    options: RayOptions,
    *,
    host: str = "127.0.0.1",
    port: int = 8000,
    address: str | None = None,
    num_cpus: int | None = None,
    dashboard: bool = False,
) -> str:
    """Connect to (or start) Ray, deploy the app behind Serve's HTTP proxy; returns its URL.

    A local Ray (no `address`) started for a loopback `host` binds every port of its own (GCS,
    raylet, object manager, workers, agents, metrics) to 127.0.0.1, or is shut down again with a
    `ServiceError`; it runs no dashboard unless `dashboard` (then on 127.0.0.1). Ray's token
    authentication is kept on (refused if disabled).
    """
    try:
        import ray
        from ray import serve
    except ImportError:
        raise InvalidInputError("--ray needs Ray Serve: pip install 'obclip[ray]'") from None
    if os.environ.get("RAY_AUTH_MODE", "").strip().lower() == "disabled":
        raise InvalidInputError(
            "RAY_AUTH_MODE=disabled: obclip does not start Ray without its token authentication "
            "(anyone reaching Ray's ports could run code in the cluster); unset it"
        )
    if not ray.is_initialized():
        local = address is None and is_loopback(host)
        with _loopback_only(local):
            ray.init(
                address=address,
                num_cpus=num_cpus if address is None else None,
                include_dashboard=dashboard,
                dashboard_host="127.0.0.1",
                configure_logging=False,
                log_to_driver=False,
                **({"_node_ip_address": "127.0.0.1"} if local else {}),
            )
        node_ip = ray.util.get_node_ip_address()
        if local and not is_loopback(node_ip):
            ray.shutdown()
            raise ServiceError(
                f"the local Ray started on {node_ip}, not on loopback, so its ports would be reachable from "
                f"the network; obclip does not serve --ray that way (set {_LOCAL_ONLY}=0 before starting)"
            )
    serve.start(http_options={"host": host, "port": port})
    serve.run(build_app(config, options), name=DEPLOYMENT, route_prefix="/")
    shown = f"[{host}]" if ":" in host else host
    return f"http://{shown}:{port}"


# Ray on Linux replaces a loopback node address by the machine's own (so that other nodes can join)
# unless told it is a single-machine Ray, as on macOS and Windows, by this variable; with it, the
# GCS, raylet, object manager, workers' gRPC servers, the agents and the metrics servers bind the
# node address, 127.0.0.1. Ray reads it when `ray._private.ray_constants` is imported, and every
# process Ray starts inherits the driver's environment.
_LOCAL_ONLY = "RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER"
# Serve kills an HTTP proxy that is not ready within 5 s (then `serve.start` fails with the proxy
# "killed by ray.kill"), which a busy 2-core machine can take; a local Ray gets more patience.
_PATIENT_PROXY = {"RAY_SERVE_PROXY_READY_CHECK_TIMEOUT_S": "60", "RAY_SERVE_PROXY_HEALTH_CHECK_TIMEOUT_S": "30"}


@contextmanager
def _loopback_only(local: bool) -> Iterator[None]:
    """While Ray starts: a single-machine Ray whose node address stays 127.0.0.1, and a patient
    check of Serve's proxy (if `local`)."""
    if not local:
        yield
        return
    # Ray's constants module, looked up by name (Ray reads as `Any`): its flag is set by assignment
    constants: Any = sys.modules.get("ray._private.ray_constants")
    was_env = os.environ.get(_LOCAL_ONLY)
    was_constant = getattr(constants, "ENABLE_RAY_CLUSTER", None)
    os.environ[_LOCAL_ONLY] = "0"
    patient = {k: os.environ.get(k) for k in _PATIENT_PROXY}
    for name, value in _PATIENT_PROXY.items():
        os.environ.setdefault(name, value)
    if constants is not None:  # imported before this call: it read the variable already
        constants.ENABLE_RAY_CLUSTER = False
    try:
        yield
    finally:
        if was_env is None:
            os.environ.pop(_LOCAL_ONLY, None)
        else:
            os.environ[_LOCAL_ONLY] = was_env
        for name, before in patient.items():
            if before is None:
                os.environ.pop(name, None)
        loaded: Any = sys.modules.get("ray._private.ray_constants")
        if constants is not None:
            constants.ENABLE_RAY_CLUSTER = was_constant
        elif loaded is not None:  # first imported inside: what it would have read outside
            loaded.ENABLE_RAY_CLUSTER = was_env.lower() in ("1", "true") if was_env else not loaded.IS_WINDOWS_OR_OSX


def public_ray_refusal(host: str) -> str:
    """Why `serve --ray` refuses a non-loopback `host`, and how to secure Ray first."""
    return (
        f"--ray with --host {host} is refused: Ray's own ports (GCS, raylet, workers) would be reachable "
        "from that network, and anyone who reaches them can run code in the cluster and read the tokens. "
        "Serve on 127.0.0.1 behind a TLS reverse proxy, or start Ray yourself on a private network with "
        "its token authentication on and its ports firewalled (docs/service.md, Ray), then pass "
        "--ray-address and --ray-secured"
    )


def serve_ray(
    config: ServiceConfig,
    options: RayOptions,
    *,
    host: str = "127.0.0.1",
    port: int = 8000,
    address: str | None = None,
    secured: bool = False,
    dashboard: bool = False,
    log_level: str = "info",
) -> int:
    """`obclip serve --ray`: deploy behind a loopback Serve proxy, serve `host:port` through obclip's
    front with the connection limits, until interrupted; then shut Serve (and a local Ray) down."""
    if not 1 <= port <= 65535:
        raise InvalidInputError(f"--ray needs a fixed port in [1, 65535], got {port}")
    if not is_loopback(host) and not secured:
        raise InvalidInputError(public_ray_refusal(host))
    import uvicorn

    from obclip.service.front import front_app
    from obclip.service.server import _listen, uvicorn_config

    sock = _listen(host, port)  # the public port first: a busy one fails before Ray starts
    inner = _free_loopback_port()
    upstream = start(config, options, host="127.0.0.1", port=inner, address=address, dashboard=dashboard)
    import ray
    from ray import serve

    signal.signal(signal.SIGTERM, _interrupt)  # a plain stop also shuts Serve and a local Ray down
    shown = f"[{host}]" if ":" in host else host
    print(
        f"obclip: serving {config.large} on http://{shown}:{port} (Ray Serve, {options.replicas} replicas)",
        file=sys.stderr,
        flush=True,
    )
    try:
        server = uvicorn.Server(uvicorn_config(front_app(upstream, config.limits), config.limits, log_level))
        server.run(sockets=[sock])
    except KeyboardInterrupt:
        pass
    finally:
        sock.close()
        serve.shutdown()
        ray.shutdown()
    return 0


def _free_loopback_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _interrupt(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt
