"""Clicks survive a database outage: spooled to disk, replayed in order, exactly once."""

from __future__ import annotations

import asyncio
import errno
import json
import logging
import os
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, event, select
from sqlalchemy.exc import OperationalError

from perfluence.services.context import Context
from perfluence.store.engine import make_engine
from perfluence.store.tables import clicks
from perfluence.tracking.buffer import ClickBuffer, ClickNotStoredError
from perfluence.tracking.enrich import Enricher
from perfluence.tracking.spool import ClickSpool
from perfluence.tracking.writer import ClickWriter
from tests.integration.click_links import (
    T0,
    raw_click,
    rollups,
    rollups_from_events,
    seed_links,
    stored_click_ids,
)
from tests.integration.test_redirect import serving, with_settings

DEAD_PID = 999_999_999  # above any pid_max: no such process


@pytest.fixture
def unreachable_engine() -> Iterator[Engine]:
    engine = make_engine("postgresql+psycopg://postgres@127.0.0.1:1/perfluence")
    yield engine
    engine.dispose()


class Outage:
    """Makes every statement on an engine fail as if the server had gone away."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.down = False
        event.listen(engine, "before_cursor_execute", self._refuse)

    def _refuse(self, *_: Any) -> None:
        if self.down:
            raise OperationalError("SELECT", {}, ConnectionRefusedError("connection refused"))

    def close(self) -> None:
        event.remove(self.engine, "before_cursor_execute", self._refuse)


@pytest.fixture
def outage(ctx: Context) -> Iterator[Outage]:
    simulated = Outage(ctx.engine)
    yield simulated
    simulated.close()


def _spool_text(directory: Path) -> str:
    return "".join(p.read_text() for p in sorted(directory.iterdir()))


def test_unreachable_database_spools_then_next_start_replays(
    ctx: Context, unreachable_engine: Engine
) -> None:
    ws, (link, other) = seed_links(ctx.engine)
    clicks_in = [
        raw_click(ws, (link, other)[i % 2], at=T0 + timedelta(seconds=i), ip=f"192.0.2.{i % 50}")
        for i in range(500)
    ]

    async def run(engine: Engine, to_put: list[Any]) -> dict[str, int]:
        buffer = ClickBuffer(engine, ctx.settings)
        await buffer.start()
        for click in to_put:
            buffer.put(click)
        await buffer.stop()
        return buffer.stats

    down = asyncio.run(run(unreachable_engine, clicks_in))
    assert (down["stored"], down["spooled"], down["dropped"]) == (0, 500, 0)
    spooled = _spool_text(ctx.settings.spool_dir)
    assert spooled.count("\n") == 500
    assert "192.0.2." not in spooled  # the raw IP never reaches the disk
    assert all("ip" not in json.loads(line) for line in spooled.splitlines())

    up = asyncio.run(run(ctx.engine, []))
    assert (up["stored"], up["replayed"]) == (500, 500)
    assert stored_click_ids(ctx.engine) == [c.click_id for c in clicks_in]
    assert list(ctx.settings.spool_dir.iterdir()) == []
    assert rollups(ctx.engine) == rollups_from_events(ctx.engine)


def test_outage_mid_run_replays_in_order_before_new_clicks(ctx: Context, outage: Outage) -> None:
    ws, (link, _) = seed_links(ctx.engine)
    now = [1_000.0]
    writer = ClickWriter(ctx.engine, ctx.settings, clock=lambda: now[0])
    batches = [
        [raw_click(ws, link, at=T0 + timedelta(minutes=10 * b + i)) for i in range(5)]
        for b in range(4)
    ]
    writer.write(batches[0], [])
    outage.down = True
    writer.write(batches[1], [])
    now[0] += 60  # retry due: the database is still down
    writer.write(batches[2], [])
    assert writer.degraded
    assert writer.counters.spooled == 10
    outage.down = False
    writer.write([], [])  # backoff not over yet: nothing happens
    assert writer.counters.replayed == 0
    now[0] += 60
    writer.write(batches[3], [])
    writer.close()
    assert not writer.degraded
    assert writer.counters.replayed == 10
    assert stored_click_ids(ctx.engine) == [c.click_id for b in batches for c in b]
    with ctx.engine.connect() as conn:
        unique = list(conn.execute(select(clicks.c.is_unique).order_by(clicks.c.id)).scalars())
    assert unique == [True] + [False] * 19  # one visitor, decided against replayed clicks too
    assert rollups(ctx.engine) == rollups_from_events(ctx.engine)


def test_crash_mid_replay_never_duplicates(ctx: Context) -> None:
    ws, (link, _) = seed_links(ctx.engine)
    raws = [raw_click(ws, link, at=T0 + timedelta(minutes=i), ip=f"192.0.2.{i}") for i in range(8)]
    # A replay committed the first half, then the process died holding the claimed file.
    ClickWriter(ctx.engine, ctx.settings).write(raws[:4], [])
    enricher = Enricher(ctx.settings)
    spool = ClickSpool(ctx.settings.spool_dir)
    spool.append([enricher.enrich(r) for r in raws])
    spool.close_segment()
    (segment,) = ctx.settings.spool_dir.iterdir()
    segment.rename(segment.with_name(f"{segment.name}.{DEAD_PID}.replaying"))

    writer = ClickWriter(ctx.engine, ctx.settings)
    writer.request_replay()
    writer.write([], [])
    assert stored_click_ids(ctx.engine) == [r.click_id for r in raws]
    assert (writer.counters.replayed, writer.counters.duplicates) == (4, 4)
    assert rollups(ctx.engine) == {(link, T0): (8, 8, 0)}
    assert list(ctx.settings.spool_dir.iterdir()) == []


def test_damaged_spool_line_is_skipped(ctx: Context) -> None:
    ws, (link, _) = seed_links(ctx.engine)
    raws = [raw_click(ws, link, at=T0 + timedelta(minutes=i)) for i in range(3)]
    spool = ClickSpool(ctx.settings.spool_dir)
    spool.append([Enricher(ctx.settings).enrich(r) for r in raws])
    spool.close_segment()
    (segment,) = ctx.settings.spool_dir.iterdir()
    with segment.open("ab") as handle:
        handle.write(b'{"click_id": "half-writ')  # a crash in the middle of an append

    writer = ClickWriter(ctx.engine, ctx.settings)
    writer.request_replay()
    writer.write([], [])
    assert stored_click_ids(ctx.engine) == [r.click_id for r in raws]


def test_an_append_cut_short_by_a_full_disk_leaves_nothing_of_its_batch(
    ctx: Context, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The writer counts a failed batch as dropped; lines of it left in the file would be
    # replayed later and counted twice.
    ws, (link, _) = seed_links(ctx.engine)
    enricher = Enricher(ctx.settings)
    kept = [enricher.enrich(raw_click(ws, link, at=T0 + timedelta(minutes=i))) for i in range(3)]
    lost = [
        enricher.enrich(raw_click(ws, link, at=T0 + timedelta(hours=1, minutes=i)))
        for i in range(40)
    ]
    spool = ClickSpool(ctx.settings.spool_dir)
    spool.append(kept)
    (segment,) = ctx.settings.spool_dir.iterdir()
    size_before = segment.stat().st_size
    real_write = os.write
    calls = 0

    def fills_up(fd: int, data: Any) -> int:
        nonlocal calls
        calls += 1
        if calls == 1:
            return real_write(fd, bytes(data)[: len(data) // 2])  # complete lines, then a half
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "write", fills_up)
    with pytest.raises(OSError, match="No space left"):
        spool.append(lost)
    monkeypatch.setattr(os, "write", real_write)

    assert segment.stat().st_size == size_before
    assert [c.click_id for c in spool.read(segment)] == [c.click_id for c in kept]
    spool.append(lost[:1])  # the next append starts a new file
    spool.close_segment()
    assert len(list(ctx.settings.spool_dir.iterdir())) == 2


def test_segments_of_live_processes_are_left_alone(tmp_path: Path) -> None:
    spool = ClickSpool(tmp_path)
    ours = tmp_path / f"clicks-{1:020d}-{os.getpid()}-000001.jsonl"
    orphan = tmp_path / f"clicks-{2:020d}-{DEAD_PID}-000001.jsonl"
    alive = tmp_path / f"clicks-{3:020d}-1-000001.jsonl"  # pid 1 always runs
    claimed_by_dead = tmp_path / f"clicks-{4:020d}-7-000001.jsonl.{DEAD_PID}.replaying"
    for path in (ours, orphan, alive, claimed_by_dead, tmp_path / "notes.txt"):
        path.write_text("")
    assert spool.pending() == [ours, orphan, claimed_by_dead]
    claimed = spool.claim(orphan)
    assert claimed is not None
    assert claimed.name.endswith(f".{os.getpid()}.replaying")
    assert spool.claim(orphan) is None  # already taken


def test_spool_failure_counts_dropped_and_never_raises(
    ctx: Context, unreachable_engine: Engine
) -> None:
    ws, (link, _) = seed_links(ctx.engine)
    ctx.settings.spool_dir.write_text("a file where the spool directory should be")

    async def run() -> dict[str, int]:
        buffer = ClickBuffer(unreachable_engine, ctx.settings)
        await buffer.start()
        for i in range(10):
            buffer.put(raw_click(ws, link, at=T0 + timedelta(seconds=i)))
        with pytest.raises(ClickNotStoredError):
            await buffer.put_durable(raw_click(ws, link))
        await buffer.stop()
        return buffer.stats

    stats = asyncio.run(run())
    assert (stats["enqueued"], stats["dropped"], stats["spooled"]) == (11, 11, 0)


def test_put_durable_while_database_is_down_returns_once_fsynced(
    ctx: Context, unreachable_engine: Engine
) -> None:
    ws, (link, _) = seed_links(ctx.engine)

    async def run() -> str:
        buffer = ClickBuffer(unreachable_engine, ctx.settings)
        await buffer.start()
        await buffer.put_durable(raw_click(ws, link, click_id="kept-on-disk"))
        on_disk = _spool_text(ctx.settings.spool_dir)
        await buffer.stop()
        return on_disk

    assert '"click_id":"kept-on-disk"' in asyncio.run(run())


def test_a_full_disk_keeps_redirecting_counts_drops_logs_once_and_recovers(
    ctx: Context, outage: Outage, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    seed_links(ctx.engine)
    fast = with_settings(ctx, click_flush_interval_ms=10)
    write_spool = ClickSpool.append

    def disk_full(self: ClickSpool, clicks: Any) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    async def wait_for(check: Any) -> None:
        for _ in range(300):
            if check():
                return
            await asyncio.sleep(0.01)
        pytest.fail("not seen within 3 s")

    async def scenario() -> tuple[dict[str, Any], dict[str, int]]:
        async with serving(fast) as (app, client):
            outage.down = True  # the database is away: clicks need the spool, which is full
            monkeypatch.setattr(ClickSpool, "append", disk_full)
            for _ in range(4):
                for _ in range(5):
                    assert (await client.get("/l/emma-0")).status_code == 302
                await asyncio.sleep(0.03)  # a few flushes, each refused by the disk
            await wait_for(lambda: app.buffer.stats["dropped"] == 20)
            health = (await client.get("/healthz")).json()
            monkeypatch.setattr(ClickSpool, "append", write_spool)  # space again
            for _ in range(5):
                assert (await client.get("/l/emma-0")).status_code == 302
            await wait_for(lambda: app.buffer.stats["spooled"] == 5)
            after = app.buffer.stats
            outage.down = False
            return health, after

    with caplog.at_level(logging.WARNING, logger="perfluence.tracking.writer"):
        health, after = asyncio.run(scenario())
    assert (health["clicks"]["dropped"], health["clicks"]["spool_failing"]) == (20, 1)
    assert (after["dropped"], after["spool_failing"], after["spooled"]) == (20, 0, 5)
    assert caplog.text.count("cannot write the click spool") == 1
    assert caplog.text.count("takes clicks again") == 1
