"""Who clicked, and was it the first time: visitor hashing and the unique-click rule.

Pure functions. The visitor hash is an HMAC of IP and user agent under a salt
that rotates every UTC day, so stored hashes of different days do not match
each other, and the raw IP is never stored.

A click is *unique* when the same visitor has not clicked the same link in the
``UNIQUE_WINDOW`` before it. Bots are never unique. The window spans two salt
days at most, so a click is also checked under the visitor's hash of the day
before (computed in memory from the same IP, never stored).
"""

from __future__ import annotations

import hashlib
import hmac
from bisect import bisect_left, insort
from collections.abc import Iterable, Mapping, MutableMapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from urllib.parse import urlsplit

UNIQUE_WINDOW = timedelta(hours=24)
VISITOR_HASH_LENGTH = 32


def daily_salt(secret: bytes, day: date) -> bytes:
    """The salt for one UTC day: HMAC-SHA256(secret, "visitor-salt:" + ISO date)."""
    return hmac.new(secret, f"visitor-salt:{day.isoformat()}".encode(), hashlib.sha256).digest()


def visitor_hash(salt: bytes, ip: str, user_agent: str) -> str:
    """HMAC-SHA256(salt, ip + "\\n" + user agent), hex, truncated to 32 characters."""
    message = f"{ip}\n{user_agent}".encode("utf-8", "surrogateescape")
    return hmac.digest(salt, message, "sha256").hex()[:VISITOR_HASH_LENGTH]


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
