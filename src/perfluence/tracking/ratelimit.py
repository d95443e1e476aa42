"""Requests per client address per minute on ``/l/{slug}``: a fixed-window counter in memory.

One dict of counts for the current minute, cleared when the next minute
starts: a dict look-up and a store per request, well under a microsecond, and
no timer. A client gets at most ``limit`` requests in a minute (twice that
across the boundary of two windows, the known price of fixed windows).

Keys are client addresses as the server saw them (the forwarded address
behind a trusted proxy). An IPv6 client is keyed by its /64 network: one
subscriber usually holds a whole /64 and could otherwise rotate through it.
Addresses live in memory only, for a minute at most, and never reach the disk.

Loopback addresses are never limited: a peer on the same host is a local
reverse proxy or a local tool, not a visitor (behind a local proxy that is not
trusted with ``--forwarded-allow-ips`` every visitor would otherwise share
127.0.0.1 and one minute's limit).
The table is bounded: past ``max_clients`` addresses in one minute, new ones
are let through uncounted (and that is logged once a minute), so a flood of
spoofed sources costs bounded memory and never blocks real visitors.
"""

from __future__ import annotations

import ipaddress
import logging
import math

log = logging.getLogger(__name__)

WINDOW_SECONDS = 60
MAX_CLIENTS = 100_000
_UNLIMITED = -math.inf


def client_key(address: str) -> str:
    """What a client is counted by: its IPv4 address, or the /64 network of an IPv6 one."""
    if ":" not in address:
        return address
    try:
        network = ipaddress.IPv6Address(address.split("%", 1)[0]).packed[:8]
    except ValueError:
        return address
    return network.hex()


def is_loopback(address: str) -> bool:
    return address.startswith(("127.", "::ffff:127.")) or address == "::1"


class RateLimiter:
    """At most ``limit`` requests per client per minute. Used from the event loop's thread only."""

    __slots__ = ("_counts", "_limit", "_max_clients", "_overflow_logged", "_window_end")

    def __init__(self, limit: int, *, max_clients: int = MAX_CLIENTS) -> None:
        if limit < 1:
            raise ValueError("a rate limit is at least one request a minute")
        self._limit = limit
        self._max_clients = max_clients
        self._counts: dict[str, float] = {}
        self._window_end = 0.0
        self._overflow_logged = False

    def retry_after(self, address: str, now: float) -> int:
        """Count a request at ``now`` (epoch seconds): 0 when admitted, else seconds to wait."""
        if now >= self._window_end:
            self._new_window(now)
        key = address if ":" not in address else client_key(address)
        counts = self._counts
        count = counts.get(key, 0)
        if count >= self._limit:
            if is_loopback(address):
                # Counted from minus infinity from now on: never over, and never asked again.
                counts[key] = _UNLIMITED
                return 0
            return max(1, math.ceil(self._window_end - now))
        if count == 0 and len(counts) >= self._max_clients:
            self._full()
            return 0
        counts[key] = count + 1
        return 0

    def _new_window(self, now: float) -> None:
        self._counts = {}
        self._window_end = (now // WINDOW_SECONDS + 1) * WINDOW_SECONDS
        self._overflow_logged = False

    def _full(self) -> None:
        if not self._overflow_logged:
            self._overflow_logged = True
            log.warning(
                "tracking rate limit: more than %d client addresses this minute; "
                "further new addresses are not limited until the next minute",
                self._max_clients,
            )

    def __len__(self) -> int:
        return len(self._counts)
