"""The redirect's link cache: slug -> ready-to-send route, kept fresh in the background.

The hot path does one dict lookup and a few attribute reads; everything that
can be computed ahead (the Location split around the click id, the fallback,
the header bytes) is computed here when a link is loaded or changes.

Freshness: a background task asks for links changed since the newest
``updated_at`` it has seen (minus an overlap, so a transaction that committed
late is not missed) every ``link_cache_refresh_ms``, and reloads everything
every ``FULL_RELOAD_SECONDS`` as a safety net against writers whose clocks
disagree. ``links_changed()`` (callable from any thread) starts that refresh at
once instead of at the next tick: on PostgreSQL a listener calls it when the
links service announces a change, so several processes see a change within
milliseconds and the polling is only the fallback. Database calls run in a
worker thread; the loop never waits on them. When the database is unreachable
the cache keeps serving what it has.

Click caps: each process counts the redirects of capped links itself, starting
from the stored count, and raises its count to the stored one every
``CAP_RESYNC_SECONDS``; with several processes a cap can be overshot by about
that long a burst of clicks. Counts are of every recorded click, bots included.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Protocol
from urllib.parse import quote

from perfluence.core.links import LinkTarget, click_id_parts
from perfluence.core.model import LinkStatus

log = logging.getLogger(__name__)

FULL_RELOAD_SECONDS = 60.0
CAP_RESYNC_SECONDS = 5.0
# Links changed up to this long before the newest change seen are asked for again.
OVERLAP = timedelta(seconds=5)
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
# Characters a Location header may carry as they are; anything else is percent-encoded
# (non-ASCII, spaces, control characters: no header injection whatever is stored).
_LOCATION_SAFE = ":/?#[]@!$&'()*+,;=%-._~"


@dataclass(frozen=True, slots=True)
class LinkSnapshot:
    """What the link source returns: link targets and the workspaces' fallback URLs."""

    targets: Sequence[LinkTarget]
    workspace_fallbacks: Mapping[int, str | None]
    click_counts: Mapping[int, int] = field(default_factory=dict)


class LinkSource(Protocol):
    """Where the cache reads links from (implemented over the database by a service)."""

    def everything(self) -> LinkSnapshot:
        """Every link whatever its status, workspace fallbacks and counts of capped links."""

    def changed_since(self, since: datetime) -> LinkSnapshot:
        """Links changed after ``since`` and all workspace fallbacks (counts not needed)."""

    def click_counts(self, caps: Mapping[int, int]) -> Mapping[int, int]:
        """Stored clicks per link (link id -> cap), counted up to at least ``cap + 1``."""


class Route:
    """One slug, ready for the hot path.

    ``head``/``tail`` are the Location around the click id when the link is
    active (``core.links.click_id_parts``: ``head + click_id + tail`` is
    ``tracking_url(destination, click_id)``); ``fallback`` is the Location
    when it is not (or its cap is reached), or ``None`` for the not-found page.
    """

    __slots__ = ("active", "cap", "fallback", "head", "link_id", "tail", "workspace_id")

    def __init__(
        self,
        *,
        link_id: int,
        workspace_id: int,
        active: bool,
        head: bytes,
        tail: bytes,
        cap: int | None,
        fallback: bytes | None,
    ) -> None:
        self.link_id = link_id
        self.workspace_id = workspace_id
        self.active = active
        self.head = head
        self.tail = tail
        self.cap = cap
        self.fallback = fallback

    def location(self, click_id: str) -> bytes:
        return self.head + click_id.encode("ascii") + self.tail


def header_url(url: str) -> bytes:
    """A URL as Location header bytes: percent-encode what a header must not carry raw."""
    return quote(url, safe=_LOCATION_SAFE).encode("ascii")


def usable_fallback(url: str | None) -> bytes | None:
    """A stored fallback URL as header bytes, or ``None`` when it is not an http(s) URL."""
    if not url:
        return None
    lowered = url.strip().lower()
    if not lowered.startswith(("https://", "http://")) or len(lowered) <= len("https://"):
        return None
    return header_url(url.strip())


def build_route(target: LinkTarget, workspace_fallback: str | None) -> Route:
    fallback = usable_fallback(target.fallback_url) or usable_fallback(workspace_fallback)
    active = target.status == LinkStatus.ACTIVE
    head = tail = b""
    if active:
        before, after = click_id_parts(target.destination)
        head, tail = header_url(before), header_url(after)
    return Route(
        link_id=target.link_id,
        workspace_id=target.workspace_id,
        active=active,
        head=head,
        tail=tail,
        cap=target.click_cap,
        fallback=fallback,
    )


class LinkCache:
    """slug -> ``Route``, plus the per-link click counts caps are checked against."""

    def __init__(self, source: LinkSource, refresh_seconds: float) -> None:
        self.routes: dict[str, Route] = {}
        self.clicks: dict[int, int] = {}
        self._source = source
        self._refresh_seconds = refresh_seconds
        self._targets: dict[str, LinkTarget] = {}
        self._slug_of: dict[int, str] = {}
        self._fallbacks: dict[int, str | None] = {}
        self._newest = EPOCH
        self._task: asyncio.Task[None] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._changed = asyncio.Event()
        self._last_full = 0.0
        self._last_resync = 0.0
        self.refreshes = 0
        self.refresh_failures = 0

    # -- the hot path's one helper ------------------------------------------------

    def cap_reached(self, route: Route) -> bool:
        """Count one redirect of a capped link; whether it is past the cap."""
        clicks = self.clicks
        count = clicks.get(route.link_id, 0) + 1
        clicks[route.link_id] = count
        return count > (route.cap or 0)

    # -- lifecycle ------------------------------------------------------------------

    async def start(self) -> None:
        """Load every link (in a thread), then keep the cache fresh in the background."""
        await self.reload()
        if self._task is None:
            self._loop = asyncio.get_running_loop()
            # Made here, on the loop that waits on it (a cache may be started again elsewhere).
            self._changed = asyncio.Event()
            self._task = self._loop.create_task(self._run(), name="perfluence-link-cache")

    def links_changed(self) -> None:
        """Refresh as soon as possible (thread-safe; calls close together make one refresh)."""
        loop = self._loop
        if loop is None or loop.is_closed():
            return
        with contextlib.suppress(RuntimeError):  # the loop closed meanwhile: nothing to refresh
            loop.call_soon_threadsafe(self._changed.set)

    async def stop(self) -> None:
        self._loop = None
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def reload(self) -> None:
        """Replace the whole cache with what the source holds now."""
        snapshot = await asyncio.to_thread(self._source.everything)
        self._replace(snapshot)
        self._last_full = self._last_resync = time.monotonic()

    async def refresh(self) -> None:
        """Apply the links changed since the newest change seen (and resync cap counts)."""
        since = max(self._newest - OVERLAP, EPOCH)
        snapshot = await asyncio.to_thread(self._source.changed_since, since)
        self._apply(snapshot)
        now = time.monotonic()
        if now - self._last_resync >= CAP_RESYNC_SECONDS:
            self._last_resync = now
            capped = {r.link_id: r.cap for r in self.routes.values() if r.cap is not None}
            if capped:
                stored = await asyncio.to_thread(self._source.click_counts, capped)
                self._raise_counts(stored)
        self.refreshes += 1

    async def _run(self) -> None:
        while True:
            # Not wait_for: on Python 3.11 it swallows a cancel that lands just as the event is
            # set (a change announced by another thread), and stop() would wait forever.
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self._refresh_seconds):
                    await self._changed.wait()
            # Cleared before the query: a change announced while it runs triggers another.
            self._changed.clear()
            try:
                if time.monotonic() - self._last_full >= FULL_RELOAD_SECONDS:
                    await self.reload()
                else:
                    await self.refresh()
            except Exception:  # keep serving the links we have; try again next tick
                self.refresh_failures += 1
                if self.refresh_failures == 1 or self.refresh_failures % 100 == 0:
                    log.warning("link cache refresh failed", exc_info=True)

    # -- applying snapshots ------------------------------------------------------------

    def _replace(self, snapshot: LinkSnapshot) -> None:
        self._fallbacks = dict(snapshot.workspace_fallbacks)
        self._targets = {t.slug: t for t in snapshot.targets}
        self._slug_of = {t.link_id: t.slug for t in snapshot.targets}
        self._newest = max((t.updated_at for t in snapshot.targets), default=EPOCH)
        # Built aside and swapped in one assignment, so a request never sees half a cache.
        self.routes = self._build_all()
        self._raise_counts(snapshot.click_counts)

    def _apply(self, snapshot: LinkSnapshot) -> None:
        renamed: list[str] = []
        for target in snapshot.targets:
            old_slug = self._slug_of.get(target.link_id)
            if old_slug is not None and old_slug != target.slug:
                renamed.append(old_slug)
                self._targets.pop(old_slug, None)
            self._targets[target.slug] = target
            self._slug_of[target.link_id] = target.slug
            self._newest = max(self._newest, target.updated_at)
        fallbacks = dict(snapshot.workspace_fallbacks)
        if fallbacks != self._fallbacks:
            self._fallbacks = fallbacks
            self.routes = self._build_all()
            return
        routes = self.routes
        for slug in renamed:
            routes.pop(slug, None)
        for target in snapshot.targets:
            route = self._build(target)
            if route is None:
                routes.pop(target.slug, None)
            else:
                routes[target.slug] = route

    def _build_all(self) -> dict[str, Route]:
        routes = {}
        for slug, target in self._targets.items():
            route = self._build(target)
            if route is not None:
                routes[slug] = route
        return routes

    def _build(self, target: LinkTarget) -> Route | None:
        try:
            return build_route(target, self._fallbacks.get(target.workspace_id))
        except Exception:  # one bad row must not keep every other link from loading
            log.exception("link %s cannot be served; it answers not found", target.link_id)
            return None

    def _raise_counts(self, stored: Mapping[int, int]) -> None:
        clicks = self.clicks
        for link_id, count in stored.items():
            if count > clicks.get(link_id, 0):
                clicks[link_id] = count
