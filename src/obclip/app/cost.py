"""What a request costs the cloud, said before Generate: its UNet MACs over one ordinary image's.

Counted by `obclip.engine.flops.count_request` on the `meta` device (the project's MAC model: every
acceleration counted as it runs); one ordinary image is one prompt for all T steps, no acceleration.
"""

from __future__ import annotations

import functools
import json
import threading
from pathlib import Path
from typing import Any

from obclip.defaults import EMBEDDED_PREFIX

_lock = threading.Lock()  # the meta UNet is hooked while it is counted


def request_cost(
    large: str, n: int, steps: int, switch_step: int, accel: str | None, guidance: float
) -> dict[str, Any]:
    """`{"ratio", "text", "assumed"}`: this request's cloud MACs over one ordinary image's with `large`.

    `assumed` names the architecture counted when `large`'s own configuration is not on this
    machine (an uncached hub id): SD-1.5's.
    """
    config, assumed = _unet_config(large)
    ratio = _ratio(json.dumps(config, sort_keys=True), n, steps, switch_step, accel or "none", guidance > 1.0)
    with_accel = f" with `{accel}`" if accel and accel != "none" else ""
    text = f"{n} candidate{'s' if n != 1 else ''} ≈ {_times(ratio)} the cloud work of one image{with_accel}"
    return {"ratio": ratio, "text": text, "assumed": assumed}


def _times(ratio: float) -> str:
    if ratio >= 10:
        return f"{ratio:.0f}×"
    return f"{ratio:.1f}×".replace(".0×", "×")


@functools.lru_cache(maxsize=256)
def _ratio(config_json: str, n: int, steps: int, switch_step: int, accel: str, guided: bool) -> float:
    from obclip.accel import AccelConfig, BatchLayout
    from obclip.engine.flops import count_request

    config = AccelConfig() if accel == "none" else AccelConfig.preset(accel, switch_step).validate(num_steps=steps)
    with _lock:
        unet, memo = _meta_unet(config_json)
        one = count_request(unet, AccelConfig(), BatchLayout(1, guidance=guided), 0, steps, memo=memo).total
        ours = count_request(unet, config, BatchLayout(n, guidance=guided), 0, switch_step, memo=memo).total
    return ours.total / max(one.total, 1)


@functools.lru_cache(maxsize=4)
def _meta_unet(config_json: str) -> tuple[Any, Any]:
    from obclip.engine.flops import ForwardMemo, build_meta_unet

    return build_meta_unet(json.loads(config_json)), ForwardMemo()


def _unet_config(large: str) -> tuple[dict[str, Any], str | None]:
    """`large`'s UNet configuration without loading weights, or SD-1.5's (named) when unknown here."""
    found = _local_config(large)
    if found is not None:
        return {k: v for k, v in found.items() if not k.startswith("_")}, None
    from obclip.engine.flops import SD15_UNET_CONFIG

    return dict(SD15_UNET_CONFIG), "SD-1.5"


@functools.lru_cache(maxsize=32)
def _local_config(large: str) -> dict[str, Any] | None:
    path: Path | None = None
    if large.startswith(EMBEDDED_PREFIX):
        from obclip.engine import embedded

        try:
            entry = embedded.lookup(large)
        except Exception:
            return None
        if entry.path() is not None:
            path = entry.path() / "unet" / "config.json"
        elif entry.build is not None:
            return dict(entry.build().unet.config)
    elif (Path(large).expanduser() / "unet" / "config.json").is_file():
        path = Path(large).expanduser() / "unet" / "config.json"
    elif large.count("/") == 1:
        from huggingface_hub import try_to_load_from_cache

        cached = try_to_load_from_cache(large, "unet/config.json")
        path = Path(cached) if isinstance(cached, str) else None
    if path is None:
        return None
    try:
        return dict(json.loads(path.read_text()))
    except (OSError, ValueError):
        return None
