"""The tracking runtime: link cache + click buffer + redirect, wired from a ``Context``.

Shells (the web app, ``perfluence serve``) get everything the redirect needs
from here, so they never touch the store. ``TrackingRuntime.start``/``stop``
belong in the web app's lifespan: stop drains the click buffer.

On PostgreSQL a ``LinkChangeListener`` thread hears the links service's change
notifications and has the link cache refresh at once, so a link paused through
one process stops redirecting in every process within milliseconds; polling
every ``link_cache_refresh_ms`` stays as the fallback (and is all SQLite has).
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from sqlalchemy import text

from perfluence.services import links
from perfluence.services.context import Context
from perfluence.store import links as link_store
from perfluence.store import linkstats
from perfluence.tracking.buffer import ClickBuffer
from perfluence.tracking.cache import LinkCache, LinkSnapshot
from perfluence.tracking.redirect import ASGIApp, RedirectApp


class StoreLinkSource:
    """The link cache's source: the links service plus fallbacks and click counts."""

    def __init__(self, ctx: Context) -> None:
        self._ctx = ctx

    def everything(self) -> LinkSnapshot:
        # Every status, despite the name: a paused link still has a fallback to serve.
        targets = links.active_links_snapshot(self._ctx)
        with self._ctx.engine.connect() as conn:
            fallbacks = linkstats.workspace_fallbacks(conn)
            caps = {t.link_id: t.click_cap for t in targets if t.click_cap is not None}
            counts = linkstats.capped_click_counts(conn, caps)
        return LinkSnapshot(targets=targets, workspace_fallbacks=fallbacks, click_counts=counts)

    def changed_since(self, since: datetime) -> LinkSnapshot:
        targets = links.links_changed_since(self._ctx, since)
        with self._ctx.engine.connect() as conn:
            fallbacks = linkstats.workspace_fallbacks(conn)
        return LinkSnapshot(targets=targets, workspace_fallbacks=fallbacks)

    def click_counts(self, caps: Mapping[int, int]) -> Mapping[int, int]:
        with self._ctx.engine.connect() as conn:
            return linkstats.capped_click_counts(conn, caps)


class LinkChangeListener:
    """A thread that calls ``on_change`` whenever a link change is announced (PostgreSQL)."""

    def __init__(self, ctx: Context, on_change: Callable[[], None]) -> None:
        self._ctx = ctx
        self._on_change = on_change
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if self._thread is not None:
            return
        self._stopping.clear()
        self._thread = threading.Thread(
            target=link_store.listen_for_link_changes,
            args=(self._ctx.engine, self._on_change, self._stopping),
            name="perfluence-link-changes",
            # A process that exits without stop() must not wait for it.
            daemon=True,
        )
        self._thread.start()

    async def stop(self) -> None:
        thread, self._thread = self._thread, None
        if thread is None:
            return
        self._stopping.set()
        await asyncio.to_thread(thread.join, 10)


@dataclass
class TrackingRuntime:
    """The running pieces of the tracking path for one process."""

    ctx: Context
    cache: LinkCache
    buffer: ClickBuffer
    listener: LinkChangeListener | None = field(default=None)

    def wrap(self, app: ASGIApp) -> RedirectApp:
        """``app`` behind the redirect handler (which answers ``/l/{slug}`` itself)."""
        settings = self.ctx.settings
        return RedirectApp(
            app,
            self.cache,
            self.buffer,
            durable=settings.durable,
            country_header=settings.trusted_country_header,
        )

    async def start(self) -> None:
        """Start the click writer (replaying any spool), then load the links."""
        await self.buffer.start()
        try:
            await self.cache.start()
        except BaseException:
            await self.buffer.stop()
            raise
        if self.listener is not None:
            self.listener.start()

    async def stop(self) -> None:
        """Stop refreshing links and drain every buffered click to the database (or spool)."""
        try:
            await self.cache.stop()
            await self.buffer.stop()
        finally:
            # Last: joining the thread can take half a second; the drain must not wait on it.
            if self.listener is not None:
                await self.listener.stop()

    async def health(self) -> dict[str, object]:
        """Whether the database answers, and the cache's and buffer's counters."""
        return {
            "database": await database_health(self.ctx),
            "links": len(self.cache.routes),
            "link_cache_refresh_failures": self.cache.refresh_failures,
            "clicks": self.buffer.stats,
        }


def open_runtime(ctx: Context) -> TrackingRuntime:
    """A tracking runtime over ``ctx`` (not started; see ``TrackingRuntime.start``)."""
    refresh_seconds = ctx.settings.link_cache_refresh_ms / 1000
    cache = LinkCache(StoreLinkSource(ctx), refresh_seconds)
    listens = link_store.can_listen(ctx.engine)
    return TrackingRuntime(
        ctx=ctx,
        cache=cache,
        buffer=ClickBuffer(ctx.engine, ctx.settings),
        listener=LinkChangeListener(ctx, cache.links_changed) if listens else None,
    )


def sqlite_database_file(ctx: Context) -> Path | None:
    """The SQLite database file of ``ctx``, or ``None`` on any other database."""
    url = ctx.engine.url
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
        return None
    return Path(url.database).resolve()


async def database_health(ctx: Context) -> bool:
    """``database_ok`` from a worker thread, for a health check on the event loop."""
    return await asyncio.to_thread(database_ok, ctx)


def database_ok(ctx: Context) -> bool:
    """Whether the database answers a trivial query."""
    try:
        with ctx.engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except Exception:  # health reports the failure, it does not raise it
        return False
    return True


@dataclass(frozen=True, slots=True)
class StoredClick:
    """A click as stored (no raw IP exists to show)."""

    click_id: str
    link_id: int
    workspace_id: int
    occurred_at: datetime
    device: str | None
    os: str | None
    browser: str | None
    referrer_host: str | None
    country: str | None
    sub_id: str | None
    is_bot: bool
    is_unique: bool


def find_click(ctx: Context, click_id: str) -> StoredClick | None:
    """The stored click with this click id, or ``None`` (not written yet, or never)."""
    with ctx.engine.connect() as conn:
        row = linkstats.find_click(conn, click_id)
    if row is None:
        return None
    return StoredClick(
        click_id=row["click_id"],
        link_id=row["link_id"],
        workspace_id=row["workspace_id"],
        occurred_at=row["occurred_at"],
        device=row["device"],
        os=row["os"],
        browser=row["browser"],
        referrer_host=row["referrer_host"],
        country=row["country"],
        sub_id=row["sub_id"],
        is_bot=bool(row["is_bot"]),
        is_unique=bool(row["is_unique"]),
    )


def count_stored_clicks(ctx: Context, click_ids: Collection[str]) -> int:
    """How many of these click ids are stored."""
    with ctx.engine.connect() as conn:
        return linkstats.count_clicks_for(conn, sorted(set(click_ids)))
