"""A keyed rate limiter, in memory: at most ``limit`` events per ``period`` seconds per key.

The algorithm is GCRA, the token bucket written as one number per key: the
"theoretical arrival time" (TAT). Each allowed event pushes the key's TAT
``period / limit`` seconds further; an event is refused while that would put
the TAT more than ``period`` ahead of now. A burst of ``limit`` events is
allowed at once, then one every ``period / limit`` seconds.

Memory is bounded: at most ``max_keys`` keys are kept, least recently used
first out, and a key whose TAT has passed (a full bucket) is forgotten, since
it behaves exactly like a key never seen. The clock is injected (seconds as a
float, any origin), so tests move time by hand. Keys are whatever the caller
chooses; callers hash personal values such as IP addresses before passing them.

``address_key`` says what a client address is counted by: an IPv6 client by
its /64 network (one subscriber usually holds a whole /64 and could rotate
through it), and a loopback peer not at all (it is a local proxy or tool; behind
a local proxy that is not trusted, every client would share 127.0.0.1).
"""

from __future__ import annotations

import ipaddress
import math
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Final

DEFAULT_MAX_KEYS: Final = 50_000


@dataclass(frozen=True, slots=True)
class Verdict:
    """Whether an event may happen now and, if not, after how many seconds it may."""

    allowed: bool
    retry_after: float = 0.0

    @property
    def retry_after_seconds(self) -> int:
        """Whole seconds for a ``Retry-After`` header: rounded up, at least 1 when refused."""
        return 0 if self.allowed else max(1, math.ceil(self.retry_after))


ALLOWED: Final = Verdict(allowed=True)


def address_key(address: str) -> str | None:
    """IPv4 as given, IPv6 by its /64 network; ``None`` for loopback and for no address."""
    try:
        parsed = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return address or None
    if isinstance(parsed, ipaddress.IPv6Address) and parsed.ipv4_mapped is not None:
        parsed = parsed.ipv4_mapped
    if parsed.is_loopback:
        return None
    if isinstance(parsed, ipaddress.IPv6Address):
        return parsed.packed[:8].hex() + "::/64"
    return str(parsed)


class RateLimiter:
    """``limit`` events per ``period`` seconds per key; ``limit == 0`` means no limit."""

    def __init__(
        self,
        limit: int,
        period: float,
        *,
        clock: Callable[[], float],
        max_keys: int = DEFAULT_MAX_KEYS,
    ) -> None:
        if limit < 0 or period <= 0 or max_keys < 1:
            raise ValueError("limit must be >= 0, period > 0 and max_keys >= 1")
        self.limit = limit
        self.period = float(period)
        self.max_keys = max_keys
        self._interval = self.period / limit if limit else 0.0
        self._clock = clock
        self._tat: OrderedDict[Hashable, float] = OrderedDict()
        # Web routes run in a thread pool: check-and-update must not interleave.
        self._lock = threading.Lock()

    @property
    def enabled(self) -> bool:
        return self.limit > 0

    def __len__(self) -> int:
        return len(self._tat)

    def _verdict(self, tat: float, now: float) -> Verdict:
        over = max(tat, now) + self._interval - now - self.period
        # A hair of tolerance: float steps must not refuse the limit-th event of a burst.
        if over > 1e-9:
            return Verdict(allowed=False, retry_after=over)
        return ALLOWED

    def check(self, key: Hashable) -> Verdict:
        """Would one more event for ``key`` be allowed now? Changes nothing."""
        if not self.enabled:
            return ALLOWED
        with self._lock:
            tat = self._tat.get(key)
            return ALLOWED if tat is None else self._verdict(tat, self._clock())

    def hit(self, key: Hashable) -> Verdict:
        """Count one event for ``key`` if it is allowed; a refused event is not counted."""
        if not self.enabled:
            return ALLOWED
        with self._lock:
            now = self._clock()
            tat = self._tat.get(key, now)
            verdict = self._verdict(tat, now)
            if verdict.allowed:
                self._tat[key] = max(tat, now) + self._interval
                self._tat.move_to_end(key)
                self._evict(now)
            return verdict

    def reset(self, key: Hashable) -> None:
        """Forget ``key`` (for example after a successful login)."""
        with self._lock:
            self._tat.pop(key, None)

    def _evict(self, now: float) -> None:
        tats = self._tat
        # Oldest entries first: drop those already back to a full bucket, then any over the cap.
        while tats:
            oldest_key, oldest_tat = next(iter(tats.items()))
            if oldest_tat <= now or len(tats) > self.max_keys:
                del tats[oldest_key]
            else:
                break
