"""A link changed through one process reaches the link cache of another within a second.

Two contexts with engines of their own stand for two processes (an app node
and a tracking node). On PostgreSQL the change is announced with NOTIFY and
the other cache refreshes at once, even with polling set to a minute; with the
listener off (and on SQLite) the polling finds it.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

import pytest
from sqlalchemy import text

from perfluence.services import links, tracking
from perfluence.services.context import Context
from perfluence.store.engine import make_engine
from perfluence.store.links import LINK_CHANGES_CHANNEL, announce_link_change
from tests.integration.factories import (
    make_campaign,
    make_creator,
    make_partnership,
    make_workspace,
)

WS = "kaffe"
SLUG = "emma-summer"
WITHIN = 1.0


@pytest.fixture
def one_link(ctx: Context) -> Context:
    with ctx.engine.begin() as conn:
        ws = make_workspace(conn, WS)
        emma = make_creator(conn, ws, "emma")
        summer = make_campaign(conn, ws, "summer")
        make_partnership(conn, ws, summer, emma)
    links.create_link(ctx, WS, "summer", "emma", "https://shop.example/a", slug=SLUG)
    return ctx


@asynccontextmanager
async def other_node(
    ctx: Context, *, refresh_ms: int, listen: bool = True
) -> AsyncIterator[tracking.TrackingRuntime]:
    """A started tracking runtime over an engine of its own (another process, as it were)."""
    settings = ctx.settings.model_copy(update={"link_cache_refresh_ms": refresh_ms})
    engine = make_engine(settings.resolved_database_url)
    runtime = tracking.open_runtime(Context(settings=settings, engine=engine, clock=ctx.clock))
    if not listen:
        runtime.listener = None
    await runtime.start()
    try:
        yield runtime
    finally:
        await runtime.stop()
        engine.dispose()


async def seconds_until(condition: Callable[[], bool], limit: float = 5.0) -> float:
    started = time.monotonic()
    while not condition():
        elapsed = time.monotonic() - started
        if elapsed > limit:
            pytest.fail(f"not seen within {limit} s")
        await asyncio.sleep(0.005)
    return time.monotonic() - started


def needs_postgresql(dialect: str) -> None:
    if dialect != "postgresql":
        pytest.skip("LISTEN/NOTIFY needs PostgreSQL (PERFLUENCE_TEST_DATABASE_URL)")


def test_a_pause_and_an_edit_reach_another_process_at_once_through_notify(
    one_link: Context, dialect: str
) -> None:
    needs_postgresql(dialect)

    async def scenario() -> tuple[float, float, float]:
        # Polling every minute: only the notification can make it within a second.
        async with other_node(one_link, refresh_ms=60_000) as node:
            routes = node.cache.routes
            assert routes[SLUG].active
            await asyncio.sleep(0.2)  # the listener's LISTEN is in place
            await asyncio.to_thread(links.pause_link, one_link, WS, SLUG)
            paused = await seconds_until(lambda: not node.cache.routes[SLUG].active)
            await asyncio.to_thread(links.resume_link, one_link, WS, SLUG)
            await asyncio.to_thread(
                links.update_destination, one_link, WS, SLUG, "https://shop.example/b"
            )
            edited = await seconds_until(
                lambda: node.cache.routes[SLUG].head.startswith(b"https://shop.example/b")
            )
            await asyncio.to_thread(
                links.create_link, one_link, WS, "summer", "emma", "https://x.example/", slug="new"
            )
            created = await seconds_until(lambda: "new" in node.cache.routes)
            return paused, edited, created

    for seconds in asyncio.run(scenario()):
        assert seconds < WITHIN


def test_polling_alone_finds_a_change_within_a_second(one_link: Context) -> None:
    async def scenario() -> float:
        async with other_node(one_link, refresh_ms=200, listen=False) as node:
            assert node.listener is None
            await asyncio.to_thread(links.pause_link, one_link, WS, SLUG)
            return await seconds_until(lambda: not node.cache.routes[SLUG].active)

    assert asyncio.run(scenario()) < WITHIN


def test_the_listener_comes_back_after_losing_its_connection(
    one_link: Context, dialect: str
) -> None:
    needs_postgresql(dialect)

    def kill_listeners() -> int:
        with one_link.engine.connect() as conn:
            killed = conn.execute(
                text(
                    "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND pid <> pg_backend_pid() "
                    "AND query = :listen"
                ),
                {"listen": f"LISTEN {LINK_CHANGES_CHANNEL}"},
            ).scalar_one()
        return int(killed)

    async def scenario() -> tuple[int, float]:
        async with other_node(one_link, refresh_ms=60_000) as node:
            await asyncio.sleep(0.2)
            killed = await asyncio.to_thread(kill_listeners)
            await asyncio.sleep(0.5)  # reconnected by now (first retry after 0.1 s)
            await asyncio.to_thread(links.pause_link, one_link, WS, SLUG)
            return killed, await seconds_until(lambda: not node.cache.routes[SLUG].active)

    killed, seconds = asyncio.run(scenario())
    assert killed == 1
    assert seconds < WITHIN


def test_a_change_rolled_back_announces_nothing(one_link: Context, dialect: str) -> None:
    needs_postgresql(dialect)

    async def scenario() -> None:
        async with other_node(one_link, refresh_ms=60_000) as node:
            await asyncio.sleep(0.2)
            before = node.cache.refreshes
            with one_link.engine.connect() as conn, conn.begin() as transaction:
                announce_link_change(conn)
                transaction.rollback()
            await asyncio.sleep(0.5)
            assert node.cache.refreshes == before
            await asyncio.to_thread(links.pause_link, one_link, WS, SLUG)
            await seconds_until(lambda: node.cache.refreshes > before)

    asyncio.run(scenario())
