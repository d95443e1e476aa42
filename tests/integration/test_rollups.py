"""Rebuilding hourly click rollups from click events (both dialects)."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta
from itertools import count

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Connection, select

from perfluence.analytics.rollups import rebuild_click_rollups
from perfluence.services.context import Context
from perfluence.store import events, seed
from perfluence.store import links as link_store
from perfluence.store.events import ClickRow
from perfluence.store.rollups import HourlyClickCounts, add_hourly_click_counts
from perfluence.store.tables import click_rollups_hourly
from tests.integration.factories import (
    make_campaign,
    make_creator,
    make_partnership,
    make_workspace,
)

START = datetime(2026, 3, 2, 0, 0, tzinfo=UTC)
Bucket = tuple[int, datetime]
_ids = count()


def make_link(conn: Connection, ws: int, slug: str) -> int:
    creator = make_creator(conn, ws, f"{slug}-creator")
    campaign = make_campaign(conn, ws, f"{slug}-campaign")
    partnership = make_partnership(conn, ws, campaign, creator)
    return link_store.insert_link(
        conn,
        workspace_id=ws,
        partnership_id=partnership,
        slug=slug,
        destination_url="https://shop.example/",
        utm={},
        click_cap=None,
        fallback_url=None,
        now=START,
    )


def click(ws: int, link: int, at: datetime, *, bot: bool = False, unique: bool = True) -> ClickRow:
    return {
        "workspace_id": ws,
        "link_id": link,
        "click_id": f"r{next(_ids):08d}",
        "occurred_at": at,
        "visitor_hash": "v",
        "device": "bot" if bot else "mobile",
        "os": None,
        "browser": None,
        "referrer_host": None,
        "country": None,
        "is_bot": bot,
        "is_unique": unique and not bot,
    }


def expected(rows: list[ClickRow]) -> dict[Bucket, tuple[int, int, int]]:
    clicks: Counter[Bucket] = Counter()
    unique: Counter[Bucket] = Counter()
    bots: Counter[Bucket] = Counter()
    for r in rows:
        key = (r["link_id"], r["occurred_at"].replace(minute=0, second=0, microsecond=0))
        clicks[key] += 1
        unique[key] += r["is_unique"]
        bots[key] += r["is_bot"]
    return {k: (clicks[k], unique[k], bots[k]) for k in clicks}


def stored(conn: Connection, ws: int) -> dict[Bucket, tuple[int, int, int]]:
    t = click_rollups_hourly
    query = select(t.c.link_id, t.c.hour, t.c.clicks, t.c.unique_clicks, t.c.bot_clicks).where(
        t.c.workspace_id == ws
    )
    return {
        (r.link_id, r.hour): (r.clicks, r.unique_clicks, r.bot_clicks) for r in conn.execute(query)
    }


def test_rebuild_buckets_by_utc_hour_and_counts_unique_and_bots(ctx: Context) -> None:
    with ctx.engine.begin() as conn:
        ws = make_workspace(conn)
        a, b = make_link(conn, ws, "a"), make_link(conn, ws, "b")
        rows = [
            click(ws, a, START.replace(hour=9, minute=0)),
            click(ws, a, START.replace(hour=9, minute=59, second=59, microsecond=999_999)),
            click(ws, a, START.replace(hour=9, minute=30), unique=False),
            click(ws, a, START.replace(hour=9, minute=31), bot=True),
            click(ws, a, START.replace(hour=10)),
            click(ws, b, START.replace(hour=9, minute=5), bot=True),
            click(ws, b, START + timedelta(days=1, hours=23, minutes=59)),
        ]
        events.insert_clicks(conn, rows)
        written = rebuild_click_rollups(conn, ws)
        got = stored(conn, ws)
    assert written == 4
    assert got == {
        (a, START.replace(hour=9)): (4, 2, 1),
        (a, START.replace(hour=10)): (1, 1, 0),
        (b, START.replace(hour=9)): (1, 0, 1),
        (b, START + timedelta(days=1, hours=23)): (1, 1, 0),
    }


def test_rebuild_matches_what_the_live_writer_adds(ctx: Context) -> None:
    """Same clicks, two paths: the rebuild must produce the live writer's rows, hour format too."""
    with ctx.engine.begin() as conn:
        rebuilt_ws, live_ws = make_workspace(conn, "rebuilt"), make_workspace(conn, "live")
        rebuilt_link, live_link = make_link(conn, rebuilt_ws, "x"), make_link(conn, live_ws, "y")
        times = [START + timedelta(minutes=17 * i) for i in range(40)]
        rows = [
            click(rebuilt_ws, rebuilt_link, t, bot=i % 7 == 0, unique=i % 3 != 0)
            for i, t in enumerate(times)
        ]
        events.insert_clicks(conn, rows)
        rebuild_click_rollups(conn, rebuilt_ws)
        add_hourly_click_counts(
            conn,
            [
                HourlyClickCounts(live_link, hour, live_ws, n, u, b)
                for (_, hour), (n, u, b) in expected(rows).items()
            ],
        )
        rebuilt = {hour: v for (_, hour), v in stored(conn, rebuilt_ws).items()}
        live = {hour: v for (_, hour), v in stored(conn, live_ws).items()}
        # A live upsert on the rebuilt rows must hit the same (link, hour) keys, not add new ones.
        add_hourly_click_counts(
            conn, [HourlyClickCounts(rebuilt_link, h, rebuilt_ws, 1, 0, 0) for h in rebuilt]
        )
        after = stored(conn, rebuilt_ws)
    assert rebuilt == live
    assert len(after) == len(rebuilt)


def test_rebuild_replaces_stale_rows_and_leaves_other_workspaces(ctx: Context) -> None:
    with ctx.engine.begin() as conn:
        ws, other = make_workspace(conn, "one"), make_workspace(conn, "two")
        link, other_link = make_link(conn, ws, "one"), make_link(conn, other, "two")
        events.insert_clicks(conn, [click(ws, link, START), click(other, other_link, START)])
        add_hourly_click_counts(
            conn,
            [
                HourlyClickCounts(link, START - timedelta(hours=5), ws, 99, 99, 0),
                HourlyClickCounts(other_link, START, other, 7, 7, 0),
            ],
        )
        rebuild_click_rollups(conn, ws)
        first = stored(conn, ws)
        rebuild_click_rollups(conn, ws)
        assert stored(conn, ws) == first == {(link, START): (1, 1, 0)}
        assert stored(conn, other) == {(other_link, START): (7, 7, 0)}


clicks_strategy = st.lists(
    st.tuples(
        st.integers(0, 1),  # which link
        st.integers(0, 3 * 24 * 3600 - 1),  # seconds after START
        st.booleans(),  # bot
        st.booleans(),  # unique (ignored for bots)
    ),
    max_size=60,
)


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(drawn=clicks_strategy)
def test_rebuild_agrees_with_a_count_in_python(
    ctx: Context, drawn: list[tuple[int, int, bool, bool]]
) -> None:
    with ctx.engine.begin() as conn:
        ws = make_workspace(conn, "prop")
        links = [make_link(conn, ws, "p0"), make_link(conn, ws, "p1")]
        rows = [
            click(ws, links[which], START + timedelta(seconds=s), bot=bot, unique=unique)
            for which, s, bot, unique in drawn
        ]
        events.insert_clicks(conn, rows)
        rebuild_click_rollups(conn, ws)
        got = stored(conn, ws)
        seed.purge_workspace(conn, ws)
    assert got == expected(rows)
    assert sum(v[0] for v in got.values()) == len(rows)
    assert all(unique + bots <= total for total, unique, bots in got.values())
