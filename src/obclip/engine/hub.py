"""Hub ids resolved in about a second: the local cache first, then one bounded, no-retry metadata call.

Model loading asks `resolve(repo_id)` where to read a hub model from before diffusers touches the
network, so an uncached id fails fast through every entry point (CLI, API, app) with no
process-wide setting changed. Torch-free.
"""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any

from obclip.errors import ModelNotFoundError

METADATA_TIMEOUT_S = 3.0
"""Seconds the one metadata call may take (connect and read) before the hub counts as out of reach."""

_resolved: dict[str, str] = {}
_lock = threading.Lock()


def is_hub_id(spec: str) -> bool:
    """Whether `spec` has the shape of a hub id (`org/name`); existing paths are checked by the caller."""
    return spec.count("/") == 1 and not spec.startswith(("/", ".", "~"))


def cached_snapshot(repo_id: str) -> str | None:
    """The local snapshot directory of `repo_id` in the Hugging Face cache, or None (no network)."""
    from huggingface_hub import snapshot_download

    try:
        return str(snapshot_download(repo_id, local_files_only=True))
    except Exception:  # not cached (or a malformed id): the caller says what to do
        return None


def resolve(repo_id: str) -> str:
    """Where to load hub model `repo_id` from: the id itself while the hub answers, its cached
    snapshot directory while it does not, or `ModelNotFoundError` within about a second.

    `HF_HUB_OFFLINE` set by the user means the cache only. Otherwise one metadata call with a
    `METADATA_TIMEOUT_S` deadline and no retries decides: the hub answered (download as usual),
    the hub says there is no such model, or the hub is out of reach (use the cache or refuse).
    The answer is kept for the life of the process.
    """
    with _lock:
        if repo_id in _resolved:
            return _resolved[repo_id]
    where = _resolve(repo_id)
    with _lock:
        _resolved[repo_id] = where
    return where


def _resolve(repo_id: str) -> str:
    from huggingface_hub import HfApi, constants
    from huggingface_hub.errors import HfHubHTTPError, RepositoryNotFoundError

    if constants.HF_HUB_OFFLINE:
        return _cached_or_refuse(repo_id, "HF_HUB_OFFLINE is set")
    try:
        HfApi().model_info(repo_id, timeout=METADATA_TIMEOUT_S)
    except RepositoryNotFoundError:
        raise ModelNotFoundError(f"model {repo_id!r}: the hub has no such model (or it needs a token)") from None
    except HfHubHTTPError as exc:
        status = getattr(exc.response, "status_code", None)
        if status is not None and 400 <= status < 500 and status not in (408, 429):
            raise ModelNotFoundError(f"model {repo_id!r}: the hub refused it (HTTP {status})") from None
        return _cached_or_refuse(repo_id, f"the hub answered HTTP {status}")
    except Exception:  # connection refused, no DNS, timeout: the hub is out of reach
        return _cached_or_refuse(repo_id, f"{_endpoint_host()} cannot be reached")
    return repo_id


def read_json(repo_id: str, filename: str, subfolder: str | None = None) -> dict[str, Any] | None:
    """A JSON file of a hub model (`unet/config.json`), from the cache or the hub; None where the
    model has no such file, or the hub is out of reach and the file is not cached (the caller's
    checks then fall back). A gated or unknown repository is refused (`ModelNotFoundError`), not
    read as a missing file, and so is a file that is not JSON."""
    from huggingface_hub import hf_hub_download
    from huggingface_hub.errors import EntryNotFoundError, GatedRepoError, HfHubHTTPError, RepositoryNotFoundError

    where = f"{subfolder}/{filename}" if subfolder else filename
    try:
        path = hf_hub_download(repo_id, filename, subfolder=subfolder)
    except GatedRepoError:
        raise ModelNotFoundError(f"model {repo_id!r} is gated: log in with a token that has access") from None
    except RepositoryNotFoundError:
        raise ModelNotFoundError(f"model {repo_id!r}: the hub has no such model (or it needs a token)") from None
    except EntryNotFoundError:  # the model has no such file (LocalEntryNotFoundError: offline, not cached)
        return None
    except (HfHubHTTPError, OSError, ValueError):  # the hub out of reach, or a malformed id
        return None
    try:
        return dict(json.loads(Path(path).read_text(encoding="utf-8")))
    except (OSError, ValueError, TypeError) as exc:
        raise ModelNotFoundError(f"model {repo_id!r}: {where} is not a JSON object ({exc})") from None


def _cached_or_refuse(repo_id: str, why: str) -> str:
    snapshot = cached_snapshot(repo_id)
    if snapshot is not None:
        return snapshot
    raise ModelNotFoundError(
        f"model {repo_id!r} is a hub id that is not in the local Hugging Face cache and {why}; "
        "download it on a connected machine, or give a local diffusers directory or an embedded: model"
    )


def _endpoint_host() -> str:
    from urllib.parse import urlparse

    from huggingface_hub import constants

    return urlparse(constants.ENDPOINT).hostname or constants.ENDPOINT


def forget() -> None:
    """Drop the remembered answers (tests; a long-running process whose network changed)."""
    with _lock:
        _resolved.clear()
