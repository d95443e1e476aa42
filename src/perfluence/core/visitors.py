"""Who clicked, and was it the first time: visitor hashing and the unique-click rule.

Pure functions and values. The visitor hash is a keyed hash (a MAC) of IP and
user agent under a salt that rotates every UTC day, so stored hashes of
different days do not match each other, and the raw IP is never stored.

A click is *unique* when the same visitor has not clicked the same link in the
``UNIQUE_WINDOW`` before it. Bots are never unique. The window spans two salt
days at most, so a click is also checked under the visitor's hash of the day
before (computed in memory from the same IP, never stored).

``LatestHumanClicks`` is the single writer's memory of the latest human click
it stored per (link, visitor): a click it proves non-unique needs no look-up.
"""

from __future__ import annotations

import hashlib
import hmac
from bisect import bisect_left, insort
from collections import OrderedDict
from collections.abc import Iterable, Mapping, MutableMapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from urllib.parse import urlsplit

UNIQUE_WINDOW = timedelta(hours=24)
VISITOR_HASH_LENGTH = 32
_DIGEST_BYTES = VISITOR_HASH_LENGTH // 2
_blake2b = hashlib.blake2b


def daily_salt(secret: bytes, day: date) -> bytes:
    """The salt for one UTC day: HMAC-SHA256(secret, "visitor-salt:" + ISO date)."""
    return hmac.new(secret, f"visitor-salt:{day.isoformat()}".encode(), hashlib.sha256).digest()


def visitor_hash(salt: bytes, ip: str, user_agent: str) -> str:
    """Keyed BLAKE2b(key=salt, ip + "\\n" + user agent), 16 bytes, as 32 hex characters.

    BLAKE2b with a key is a MAC in its own right (RFC 7693), like an HMAC but
    without HMAC's two passes: 0.6 µs against 1.6 µs for HMAC-SHA256, and the
    writer computes two per click.
    """
    message = f"{ip}\n{user_agent}".encode("utf-8", "surrogateescape")
    return _blake2b(message, key=salt, digest_size=_DIGEST_BYTES).hexdigest()


def visitor_hashes(salts: tuple[bytes, bytes], ip: str, user_agent: str) -> tuple[str, str]:
    """``visitor_hash`` under two salts (a day's and the day before's), encoding once."""
    message = f"{ip}\n{user_agent}".encode("utf-8", "surrogateescape")
    return (
        _blake2b(message, key=salts[0], digest_size=_DIGEST_BYTES).hexdigest(),
        _blake2b(message, key=salts[1], digest_size=_DIGEST_BYTES).hexdigest(),
    )


def hour_bucket(moment: datetime) -> datetime:
    """The start of the hour ``moment`` falls in (same time zone)."""
    return moment.replace(minute=0, second=0, microsecond=0)


_DEFAULT_PORTS = {"http": "80", "https": "443"}


def referrer_host(referrer: str) -> str | None:
    """Lower-cased host of an absolute http(s) Referer; None for empty or invalid values."""
    try:
        parts = urlsplit(referrer.strip())
        host = parts.hostname
    except ValueError:
        return None
    if parts.scheme.lower() not in _DEFAULT_PORTS or not host:
        return None
    host = host.rstrip(".")
    if not host or len(host) > 255 or any(ch.isspace() or ch in "\\<>\"'" for ch in host):
        return None
    return host


VisitorKey = tuple[int, str]
"""(link id, visitor hash): the unit the unique rule counts in."""


@dataclass(frozen=True, slots=True)
class UniqueCandidate:
    """A click to flag: its own key, and the keys the same visitor had under earlier salts."""

    key: VisitorKey
    occurred_at: datetime
    is_bot: bool
    aliases: tuple[VisitorKey, ...] = ()


def _seen_within(times: list[datetime], start: datetime, moment: datetime) -> bool:
    index = bisect_left(times, start)
    return index < len(times) and times[index] <= moment


def flag_unique(
    clicks: Sequence[UniqueCandidate],
    history: Mapping[VisitorKey, Iterable[datetime]],
    window: timedelta = UNIQUE_WINDOW,
) -> list[bool]:
    """Decide the unique flag of each click, in the order given.

    ``history`` holds the times of earlier human clicks already stored, per key.
    A click is unique unless a human click with its key (or one of its aliases:
    the same visitor under the previous day's salt) happened in
    ``[occurred_at - window, occurred_at]`` — in the history or earlier in
    ``clicks`` (an earlier position with the same time counts as earlier).
    Clicks are checked in the order given, which is the order they happened.
    """
    seen: MutableMapping[VisitorKey, list[datetime]] = {}

    def times_for(key: VisitorKey) -> list[datetime]:
        times = seen.get(key)
        if times is None:
            times = seen[key] = sorted(history.get(key, ()))
        return times

    flags: list[bool] = []
    for click in clicks:
        if click.is_bot:
            flags.append(False)
            continue
        start = click.occurred_at - window
        earlier = any(
            _seen_within(times_for(key), start, click.occurred_at)
            for key in (click.key, *click.aliases)
        )
        flags.append(not earlier)
        insort(times_for(click.key), click.occurred_at)
    return flags


class LatestHumanClicks:
    """The latest human click time per (link, visitor), for at most ``capacity`` keys.

    Only ever told about clicks that are stored, so a time it holds is proof:
    a click with the same key (or an alias) within the window after it is not
    unique, whatever else is stored. It proves nothing the other way (a key it
    does not hold may have clicks it never saw: before a restart, evicted, or
    stored by another process), so a click it cannot settle is checked against
    the database. Keys are kept in order of their last update; past
    ``capacity`` the least recently updated goes first, and so does any key
    whose time is a full window older than the newest time recorded.
    """

    def __init__(self, capacity: int, window: timedelta = UNIQUE_WINDOW) -> None:
        if capacity < 1:
            raise ValueError("capacity must be at least 1")
        self._capacity = capacity
        self._window = window
        self._latest: OrderedDict[VisitorKey, datetime] = OrderedDict()
        self._newest: datetime | None = None

    def __len__(self) -> int:
        return len(self._latest)

    def get(self, key: VisitorKey) -> datetime | None:
        return self._latest.get(key)

    def settles(self, click: UniqueCandidate) -> datetime | None:
        """A stored human click time in ``click``'s window (it is then not unique), or None."""
        if click.is_bot:
            return None
        start = click.occurred_at - self._window
        latest = self._latest
        for key in (click.key, *click.aliases):
            moment = latest.get(key)
            if moment is not None and start <= moment <= click.occurred_at:
                return moment
        return None

    def settles_human(self, key: VisitorKey, alias: VisitorKey, at: datetime) -> bool:
        """``settles`` for a human click with one alias, without building a candidate."""
        start = at - self._window
        moment = self._latest.get(key)
        if moment is not None and start <= moment <= at:
            return True
        moment = self._latest.get(alias)
        return moment is not None and start <= moment <= at

    def record(self, key: VisitorKey, moment: datetime) -> None:
        """A human click with ``key`` at ``moment`` is stored."""
        latest = self._latest
        known = latest.get(key)
        if known is not None:
            if known >= moment:
                return
            latest.move_to_end(key)
        latest[key] = moment
        newest = self._newest
        if newest is None or moment > newest:
            newest = self._newest = moment
        if len(latest) > self._capacity:
            latest.popitem(last=False)
        horizon = newest - self._window
        while latest:
            oldest_key = next(iter(latest))
            if latest[oldest_key] >= horizon:
                break
            del latest[oldest_key]
