"""The client IP: one rule for the sign-in lockout, the throttles and the logs.

``settings.TRUSTED_PROXIES`` decides whether X-Forwarded-For counts:

* empty (the default): it is ignored, the client is ``REMOTE_ADDR`` — a client cannot
  claim another address by sending the header;
* a number N: N reverse proxies stand in front, each appending the address it saw; the client
  is the N-th address from the right of X-Forwarded-For;
* a list of networks (CIDR): the header counts only when ``REMOTE_ADDR`` is in one of them;
  walking from the right, the first address outside them is the client.
"""

from __future__ import annotations

import ipaddress
from functools import lru_cache
from typing import Any

from django.conf import settings
from django.http import HttpRequest

Network = ipaddress.IPv4Network | ipaddress.IPv6Network

UNKNOWN = "unknown"


def trusted_proxies_parse(value: Any) -> int | tuple[Network, ...] | None:
    """The setting as a hop count, a tuple of networks, or None (X-Forwarded-For ignored)."""
    if value in (None, "", 0, "0", [], ()):
        return None
    if isinstance(value, int):
        return value if value > 0 else None
    if isinstance(value, str):
        text = value.strip()
        if text.isdigit():
            return int(text) or None
        value = [part for part in text.replace(";", ",").split(",") if part.strip()]
    return tuple(ipaddress.ip_network(str(part).strip(), strict=False) for part in value)


@lru_cache(maxsize=8)
def _parsed(value: Any) -> int | tuple[Network, ...] | None:
    return trusted_proxies_parse(value)


def _address(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    text = text.strip()
    if text.startswith("[") and "]" in text:  # [v6]:port
        text = text[1 : text.index("]")]
    elif text.count(":") == 1:  # v4:port
        text = text.split(":", 1)[0]
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        return None


def client_ip(request: HttpRequest) -> str:
    """The client's address as text; ``"unknown"`` when there is none usable."""
    remote = _address(str(request.META.get("REMOTE_ADDR") or ""))
    raw = getattr(settings, "TRUSTED_PROXIES", None)
    trusted = _parsed(tuple(raw) if isinstance(raw, list) else raw)
    forwarded = str(request.META.get("HTTP_X_FORWARDED_FOR") or "")
    if trusted is None or not forwarded or remote is None:
        return str(remote) if remote is not None else UNKNOWN
    hops = [part for part in forwarded.split(",") if part.strip()]
    if isinstance(trusted, int):
        if not hops:
            return str(remote)
        candidate = _address(hops[-min(trusted, len(hops))])
        return str(candidate) if candidate is not None else str(remote)
    if not any(remote in net for net in trusted):
        return str(remote)
    client = remote
    for part in reversed(hops):
        address = _address(part)
        if address is None:
            break
        client = address
        if not any(address in net for net in trusted):
            break
    return str(client)


def client_ip_for_axes(request: HttpRequest, *args: Any, **kwargs: Any) -> str | None:
    """``AXES_CLIENT_IP_CALLABLE``: the same rule for the sign-in lockout.

    None (not "unknown") when the request has no usable address, e.g. a sign-in made in
    process by a command or a test: axes stores the address in an IP column, which
    PostgreSQL refuses to fill with a word.
    """
    address = client_ip(request)
    return None if address == UNKNOWN else address
