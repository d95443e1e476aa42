"""The click writer and buffer on a real database (each dialect in turn)."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from sqlalchemy import String, Text, select

from perfluence.services.context import Context
from perfluence.store.tables import click_rollups_hourly, clicks, metadata
from perfluence.tracking.buffer import ClickBuffer
from perfluence.tracking.writer import ClickWriter
from tests.integration.click_links import (
    FACEBOOK_PREVIEW,
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
    writer.write([raw_click(ws, link, at=T0, click_id="at-0h")], [])  # late: replayed
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
    assert flags == {"at-2h": True, "at-0h": True, "at-1h": False, "at-26h": False, "at-51h": True}
