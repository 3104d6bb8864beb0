"""Host names and addresses the local app and the cloud service listen on: whether one is loopback.

Standard library only, so the app and the service share it without importing each other."""

from __future__ import annotations

import ipaddress


def is_loopback(host: str) -> bool:
    """Whether `host` (a name or an IPv4/IPv6 address, brackets allowed) is reachable from this machine only."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False
