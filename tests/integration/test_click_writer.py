"""The click writer and buffer on a real database (each dialect in turn)."""

from __future__ import annotations

import asyncio
import gc
import random
from datetime import UTC, timedelta, timezone
from typing import Any

import pytest
from sqlalchemy import String, Text, event, select

from perfluence.core.visitors import UNIQUE_WINDOW
from perfluence.services.context import Context
from perfluence.store.clicks import (
    CLICK_COLUMNS,
    ClicksAlreadyStoredError,
    human_click_times,
    insert_clicks,
    insert_new_clicks,
)
from perfluence.store.tables import click_rollups_hourly, clicks, metadata
from perfluence.tracking.buffer import ClickBuffer
from perfluence.tracking.events import RawClick
from perfluence.tracking.writer import LATEST_CLICKS_KEPT, ClickWriter
from tests.integration.click_links import (
    FACEBOOK_PREVIEW,
    IPHONE,
    T0,
    raw_click,
    rollups,
    rollups_from_events,
    seed_links,
    stored_click_ids,
)


def _flags(ctx: Context) -> dict[str, tuple[bool, bool]]:
    with ctx.engine.connect() as conn:
        return {
            r.click_id: (r.is_unique, r.is_bot)
            for r in conn.execute(select(clicks.c.click_id, clicks.c.is_unique, clicks.c.is_bot))
        }


def test_unique_window_across_batches(ctx: Context) -> None:
    ws, (link, other_link) = seed_links(ctx.engine)
    writer = ClickWriter(ctx.engine, ctx.settings)
    cases = [
        ("first", link, T0, "203.0.113.7", True),
        ("again-23h", link, T0 + timedelta(hours=23), "203.0.113.7", False),
        ("other-link", other_link, T0 + timedelta(hours=23), "203.0.113.7", True),
        ("other-visitor", link, T0 + timedelta(hours=1), "198.51.100.1", True),
        # 23 h after the last click, still seen; another 24 h + later, unique again.
        ("again-46h", link, T0 + timedelta(hours=46), "203.0.113.7", False),
        ("again-71h", link, T0 + timedelta(hours=71), "203.0.113.7", True),
    ]
    # One click per batch, in time order, so every decision is made against the database.
    for click_id, link_id, at, ip, _ in sorted(cases, key=lambda c: c[2]):
        writer.write([raw_click(ws, link_id, at=at, ip=ip, click_id=click_id)], [])
    flags = _flags(ctx)
    assert {cid: flags[cid][0] for cid, *_ in cases} == {cid: u for cid, *_, u in cases}


def test_unique_window_within_one_batch_and_bots_never_unique(ctx: Context) -> None:
    ws, (link, _) = seed_links(ctx.engine)
    writer = ClickWriter(ctx.engine, ctx.settings)
    writer.write(
        [
            raw_click(ws, link, ua=FACEBOOK_PREVIEW, click_id="bot-1"),
            raw_click(ws, link, ua=FACEBOOK_PREVIEW, click_id="bot-2", at=T0 + timedelta(days=2)),
            raw_click(ws, link, click_id="human-1", at=T0 + timedelta(minutes=1)),
            raw_click(ws, link, click_id="human-2", at=T0 + timedelta(minutes=2)),
        ],
        [],
    )
    assert _flags(ctx) == {
        "bot-1": (False, True),
        "bot-2": (False, True),
        "human-1": (True, False),
        "human-2": (False, False),
    }
    assert writer.counters.stored == 4  # flagged, not dropped


def test_hourly_rollups_equal_counts_from_events(ctx: Context) -> None:
    ws, links = seed_links(ctx.engine, 3)
    writer = ClickWriter(ctx.engine, ctx.settings)
    batch = [
        raw_click(
            ws,
            links[i % 3],
            at=T0 + timedelta(minutes=7 * i),
            ip=f"198.51.100.{i % 5}",
            ua=FACEBOOK_PREVIEW if i % 4 == 0 else "Mozilla/5.0 (Windows NT 10.0) Chrome/124.0",
        )
        for i in range(60)
    ]
    writer.write(batch[:25], [])
    writer.write(batch[25:], [])
    stored = rollups(ctx.engine)
    assert stored == rollups_from_events(ctx.engine)
    assert sum(v[0] for v in stored.values()) == 60
    assert sum(v[2] for v in stored.values()) == 15
    assert 0 < sum(v[1] for v in stored.values()) <= 45


def test_same_click_id_twice_is_stored_and_counted_once(ctx: Context) -> None:
    ws, (link, _) = seed_links(ctx.engine)
    writer = ClickWriter(ctx.engine, ctx.settings)
    click = raw_click(ws, link, click_id="dup")
    writer.write([click, click], [])
    writer.write([click], [])
    assert stored_click_ids(ctx.engine) == ["dup"]
    assert rollups(ctx.engine) == {(link, T0): (1, 1, 0)}
    assert writer.counters.stored == 1
    assert writer.counters.duplicates == 2


def test_clicks_of_a_deleted_link_are_dropped_not_the_batch(ctx: Context) -> None:
    ws, (link, _) = seed_links(ctx.engine)
    writer = ClickWriter(ctx.engine, ctx.settings)
    outcome = writer.write(
        [raw_click(ws, link, click_id="ok"), raw_click(ws, 999, click_id="x")], []
    )
    assert stored_click_ids(ctx.engine) == ["ok"]
    assert outcome.lost == {"x"}
    assert writer.counters.dropped == 1


def test_no_raw_ip_anywhere_in_the_database(ctx: Context) -> None:
    ws, (link, _) = seed_links(ctx.engine)
    ips = ["203.0.113.77", "2001:db8::abcd"]
    writer = ClickWriter(ctx.engine, ctx.settings)
    writer.write(
        [raw_click(ws, link, ip=ip, at=T0 + timedelta(seconds=i)) for i, ip in enumerate(ips)], []
    )
    with ctx.engine.connect() as conn:
        for table in (clicks, click_rollups_hourly):
            assert conn.execute(select(table)).first() is not None
        for table in metadata.sorted_tables:
            text_columns = [c for c in table.c if isinstance(c.type, String | Text)]
            for row in conn.execute(select(*text_columns)) if text_columns else []:
                for value in row:
                    assert not any(ip in str(value) for ip in ips), (table.name, value)


def test_buffer_drains_everything_on_stop(ctx: Context) -> None:
    ws, (link, other) = seed_links(ctx.engine)
    clicks_in = [
        raw_click(ws, (link, other)[i % 2], at=T0 + timedelta(seconds=i), ip=f"10.0.{i % 7}.1")
        for i in range(5_000)
    ]

    async def run() -> dict[str, int]:
        buffer = ClickBuffer(ctx.engine, ctx.settings)
        await buffer.start()
        for click in clicks_in:
            buffer.put(click)
        await buffer.stop()
        return buffer.stats

    stats = asyncio.run(run())
    assert stored_click_ids(ctx.engine) == [c.click_id for c in clicks_in]
    assert stats["enqueued"] == stats["stored"] == 5_000
    assert stats["dropped"] == stats["spooled"] == 0
    assert stats["flushes"] >= 3  # batch size 2 000
    assert rollups(ctx.engine) == rollups_from_events(ctx.engine)


def test_put_durable_returns_after_commit(ctx: Context) -> None:
    ws, (link, _) = seed_links(ctx.engine)

    async def run() -> list[str]:
        buffer = ClickBuffer(ctx.engine, ctx.settings)
        await buffer.start()
        await buffer.put_durable(raw_click(ws, link, click_id="durable-1"))
        seen = stored_click_ids(ctx.engine)
        await buffer.stop()
        return seen

    assert asyncio.run(run()) == ["durable-1"]


def test_a_full_buffer_spills_to_the_spool_and_keeps_every_click(ctx: Context) -> None:
    ws, (link, _) = seed_links(ctx.engine)
    settings = ctx.settings.model_copy(update={"click_buffer_size": 1_000, "click_batch_size": 300})
    clicks_in = [raw_click(ws, link, at=T0 + timedelta(seconds=i)) for i in range(2_400)]

    async def run() -> dict[str, int]:
        buffer = ClickBuffer(ctx.engine, settings)
        for click in clicks_in:  # before the writer runs: 1 000 queued, 1 000 spilled, 400 lost
            buffer.put(click)
        await buffer.start()
        await buffer.stop()
        return buffer.stats

    stats = asyncio.run(run())
    assert stats["spooled"] == 1_000
    assert stats["replayed"] == 1_000
    assert stats["dropped"] == 400
    assert stored_click_ids(ctx.engine) == [c.click_id for c in clicks_in[:2_000]]
    assert list(settings.spool_dir.iterdir()) == []


def test_repeat_click_across_midnight_is_not_unique(ctx: Context) -> None:
    ws, (link, _) = seed_links(ctx.engine)
    writer = ClickWriter(ctx.engine, ctx.settings)
    midnight = T0.replace(hour=0) + timedelta(days=1)
    writer.write([raw_click(ws, link, at=midnight - timedelta(minutes=10), click_id="late")], [])
    writer.write([raw_click(ws, link, at=midnight + timedelta(minutes=10), click_id="early")], [])
    flags = _flags(ctx)
    assert (flags["late"][0], flags["early"][0]) == (True, False)
    with ctx.engine.connect() as conn:
        hashes = set(conn.execute(select(clicks.c.visitor_hash)).scalars())
    assert len(hashes) == 2  # the stored hashes of two days do not match each other


def test_unique_check_sees_stored_clicks_inside_the_batch_span(ctx: Context) -> None:
    ws, (link, _) = seed_links(ctx.engine)
    writer = ClickWriter(ctx.engine, ctx.settings)
    h = timedelta(hours=1)
    writer.write([raw_click(ws, link, at=T0 + 2 * h, click_id="at-2h")], [])
    # Late (replayed, or stored by a slower process): "at-2h", stored already, is the visit's
    # unique click, so this one is not; either way the visit counts one unique click.
    writer.write([raw_click(ws, link, at=T0, click_id="at-0h")], [])
    # This batch spans stored clicks: "at-26h" is only seen through "at-2h", stored within it.
    writer.write(
        [
            raw_click(ws, link, at=T0 + 1 * h, click_id="at-1h"),
            raw_click(ws, link, at=T0 + 26 * h, click_id="at-26h"),
            raw_click(ws, link, at=T0 + 51 * h, click_id="at-51h"),
        ],
        [],
    )
    flags = {cid: unique for cid, (unique, _) in _flags(ctx).items()}
    assert flags == {"at-2h": True, "at-0h": False, "at-1h": False, "at-26h": False, "at-51h": True}


def _reference_unique_flags(
    batches: list[list[RawClick]], facebook: str = FACEBOOK_PREVIEW
) -> dict[str, bool]:
    """The unique rule from its definition, over raw clicks, batch by batch.

    A human click is unique unless a human click of the same visitor on the
    same link lies in the window before it (stored, or earlier in its batch),
    or was stored (in an earlier batch) up to a window after it.
    """
    window = UNIQUE_WINDOW.total_seconds()
    stored: list[RawClick] = []
    flags: dict[str, bool] = {}

    def same_visit(click: RawClick, other: RawClick) -> bool:
        return other.user_agent != facebook and (other.link_id, other.ip, other.user_agent) == (
            click.link_id,
            click.ip,
            click.user_agent,
        )

    for batch in batches:
        done: list[RawClick] = []
        for click in sorted(batch, key=lambda c: c.occurred_at):
            human = click.user_agent != facebook
            moment = click.occurred_at
            earlier = any(
                same_visit(click, other) and moment - window <= other.occurred_at <= moment
                for other in (*stored, *done)
            )
            later = any(
                same_visit(click, other) and moment < other.occurred_at <= moment + window
                for other in stored
            )
            flags[click.click_id] = human and not earlier and not later
            done.append(click)
        stored.extend(done)
    return flags


@pytest.mark.parametrize("kept", [1, 3, LATEST_CLICKS_KEPT])
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_unique_flags_are_exact_whatever_the_writer_remembers(
    ctx: Context, seed: int, kept: int
) -> None:
    # Repeat visitors, two links, bots, midnight, late (replayed) clicks and batches spanning
    # more than a day: the flags equal the definition with one remembered key or thousands.
    ws, links = seed_links(ctx.engine)
    rng = random.Random(seed)
    writer = ClickWriter(ctx.engine, ctx.settings, latest_clicks_kept=kept)
    batches = [
        [
            raw_click(
                ws,
                rng.choice(links),
                at=T0 + timedelta(minutes=rng.randrange(0, 60 * 60)),
                ip=f"198.51.100.{rng.randrange(4)}",
                ua=FACEBOOK_PREVIEW if rng.random() < 0.15 else IPHONE,
            )
            for _ in range(rng.randrange(1, 12))
        ]
        for _ in range(12)
    ]
    for batch in batches:
        writer.write(batch, [])
    flags = {cid: unique for cid, (unique, _) in _flags(ctx).items()}
    assert flags == _reference_unique_flags(batches)
    assert rollups(ctx.engine) == rollups_from_events(ctx.engine)


def test_repeat_visitors_are_settled_without_a_look_back(ctx: Context) -> None:
    ws, (link, _) = seed_links(ctx.engine)
    writer = ClickWriter(ctx.engine, ctx.settings)
    writer.write([raw_click(ws, link, at=T0)], [])
    statements: list[str] = []

    def seen(*args: object) -> None:
        statements.append(str(args[2]))

    event.listen(ctx.engine, "before_cursor_execute", seen)
    try:
        writer.write([raw_click(ws, link, at=T0 + timedelta(minutes=i)) for i in range(1, 4)], [])
    finally:
        event.remove(ctx.engine, "before_cursor_execute", seen)
    assert not any(s.lstrip().upper().startswith("SELECT") for s in statements)
    assert [u for u, _ in _flags(ctx).values()] == [True, False, False, False]


def _stored_rows(ctx: Context) -> list[tuple[object, ...]]:
    with ctx.engine.connect() as conn:
        columns = [clicks.c[name] for name in CLICK_COLUMNS]
        return [tuple(r) for r in conn.execute(select(*columns).order_by(clicks.c.click_id))]


def test_fast_insert_stores_what_the_exact_insert_stores(ctx: Context) -> None:
    # 263 rows: statements of 256, 4 and 1 rows; times in UTC and in another zone, out of
    # order, many in one second, microseconds from 0 to 999 999.
    ws, (link, _) = seed_links(ctx.engine)
    copenhagen = timezone(timedelta(hours=1))
    rows = [
        (
            ws,
            link,
            f"fast{i:04d}",
            (T0 + timedelta(seconds=(i * 37) % 11, microseconds=(i * 7919) % 1_000_000)).astimezone(
                copenhagen if i % 2 else UTC
            ),
            f"{i:032x}",
            "mobile",
            "iOS" if i % 3 else None,
            "Mobile Safari",
            "www.instagram.com" if i % 5 else None,
            "DK" if i % 7 else None,
            "story" if i % 11 else None,
            i % 4 == 0,
            i % 2 == 0,
        )
        for i in range(263)
    ]
    with ctx.engine.begin() as conn:
        insert_new_clicks(conn, list(zip(*rows, strict=True)))
    fast = _stored_rows(ctx)
    with ctx.engine.begin() as conn:
        conn.execute(clicks.delete())
        inserted = insert_clicks(conn, [dict(zip(CLICK_COLUMNS, r, strict=True)) for r in rows])
    assert len(inserted) == 263
    assert fast == _stored_rows(ctx)
    assert len(fast) == 263
    again = list(zip(*rows[:1], (*rows[1][:2], "new-one", *rows[1][3:]), strict=True))
    with pytest.raises(ClicksAlreadyStoredError), ctx.engine.begin() as conn:
        insert_new_clicks(conn, again)
    assert len(_stored_rows(ctx)) == 263  # rolled back: not even the new row


def test_look_back_runs_on_the_visitor_index(ctx: Context, dialect: str) -> None:
    if dialect != "sqlite":
        pytest.skip("the plan is SQLite's; PostgreSQL plans from its statistics")
    ws, (link, other) = seed_links(ctx.engine)
    ClickWriter(ctx.engine, ctx.settings).write([raw_click(ws, link, click_id="stored")], [])
    with ctx.engine.connect() as conn:
        stored_hash = conn.execute(select(clicks.c.visitor_hash)).scalar_one()
    plans: list[str] = []

    def explain(conn: Any, cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        if statement.lstrip().startswith("SELECT"):
            plan = cursor.connection.execute(f"EXPLAIN QUERY PLAN {statement}", parameters)
            plans.extend(str(row[-1]) for row in plan.fetchall())

    event.listen(ctx.engine, "before_cursor_execute", explain)
    try:
        with ctx.engine.connect() as conn:
            span = timedelta(minutes=1)
            # The stored click lies inside the batch's span: both look-ups run.
            found = human_click_times(
                conn, ws, [link, other], [stored_hash, "b"], T0 - UNIQUE_WINDOW, T0 - span, T0
            )
    finally:
        event.remove(ctx.engine, "before_cursor_execute", explain)
    assert found == {(link, stored_hash): [T0]}
    searches = [p for p in plans if p.startswith(("SEARCH", "SCAN"))]
    assert len(searches) == 2
    assert all("ix_clicks_visitor" in p for p in searches), searches


def test_starting_the_buffer_freezes_what_the_process_holds(ctx: Context) -> None:
    async def run() -> int:
        buffer = ClickBuffer(ctx.engine, ctx.settings)
        await buffer.start()
        await buffer.stop()  # the writer thread has run the warm-up and the freeze by now
        return gc.get_freeze_count()

    assert asyncio.run(run()) > 0
