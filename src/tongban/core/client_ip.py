"""The client's address: the one rule used by the sign-in lockout, the throttles and the logs.

Without ``TRUSTED_PROXIES`` the address is the TCP peer (``REMOTE_ADDR``) and any
``X-Forwarded-For`` header is ignored: anyone can send one. Behind a reverse proxy or load
balancer, ``TRUSTED_PROXIES`` says which hops to believe:

- a number N: the last N entries of the chain (the peer and the N−1 nearest forwarders) are
  our own proxies; the client is the entry before them;
- a list of networks (``10.0.0.0/8,192.168.1.10``): walking back from the peer, every address
  inside them is one of our proxies; the first one outside is the client.

Without it, behind a proxy every citizen would share the proxy's address, and a stranger
could lock anyone out by failing to sign in as them.
"""

from __future__ import annotations

import ipaddress
from functools import lru_cache

from django.conf import settings
from django.http import HttpRequest

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def _address(text: str) -> str | None:
    try:
        return str(ipaddress.ip_address(text.strip()))
    except ValueError:
        return None


@lru_cache(maxsize=8)
def _networks(spec: tuple[str, ...]) -> tuple[Network, ...]:
    return tuple(ipaddress.ip_network(item, strict=False) for item in spec)


def trusted_proxies_parse(value: str) -> int | tuple[str, ...]:
    """``TRUSTED_PROXIES`` from the environment: "" → 0, "2" → 2, "10.0.0.0/8,…" → networks."""
    value = value.strip()
    if not value:
        return 0
    if value.isdigit():
        return int(value)
    items = tuple(item.strip() for item in value.split(",") if item.strip())
    _networks(items)  # a typo is a start-up error, not a silent "trust nobody"
    return items


def client_ip(request: HttpRequest) -> str:
    """The client's address for ``request`` (see the module docstring); "unknown" if none."""
    peer = _address(request.META.get("REMOTE_ADDR", "")) or ""
    trusted = settings.TRUSTED_PROXIES
    if not trusted or not peer:
        return peer or "unknown"
    forwarded = [_address(item) for item in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
    chain = [a for a in forwarded if a] + [peer]
    if isinstance(trusted, int):
        return chain[-(trusted + 1)] if len(chain) > trusted else chain[0]
    networks = _networks(tuple(trusted))
    for address in reversed(chain):
        if not any(ipaddress.ip_address(address) in network for network in networks):
            return address
    return chain[0]
