"""The wire between the halves: protocol (pydantic request, safetensors answer), FastAPI server, HTTP client.

obclip serve --large MODEL --port 8000              # cloud machine
obclip generate "..." --cloud http://HOST:8000      # device machine (uses `HttpCloud`)
"""

from typing import Any

from obclip.service.limits import Limits

__all__ = ["HttpCloud", "Limits", "ServiceConfig", "create_app"]


def __getattr__(name: str) -> Any:
    # The server and client pull in torch, FastAPI and httpx; import them only when asked for.
    if name == "HttpCloud":
        from obclip.service.client import HttpCloud

        return HttpCloud
    if name in ("ServiceConfig", "create_app"):
        from obclip.service import server

        return getattr(server, name)
    raise AttributeError(f"module 'obclip.service' has no attribute {name!r}")
