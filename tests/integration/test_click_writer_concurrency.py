"""Several tracking processes on one PostgreSQL: two click writers, the same visitors, at once.

Each writer has its own engine (its own connections), as two ``perfluence serve
--role tracker`` processes would. They write interleaved clicks of the same
visitors from two threads, batch against batch, and the unique flags must come
out as one writer would have set them: one unique click per visitor, link and
visit (clicks within a window of each other), never two.
"""

from __future__ import annotations

import random
import threading
from collections import Counter, defaultdict
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, select

from perfluence.services.context import Context
from perfluence.store.clicks import VISITOR_LOCKS_MAX
from perfluence.store.engine import make_engine
from perfluence.store.tables import clicks
from perfluence.tracking.events import RawClick
from perfluence.tracking.writer import ClickWriter
from tests.integration.click_links import (
    FACEBOOK_PREVIEW,
    IPHONE,
    T0,
    raw_click,
    rollups,
    rollups_from_events,
    seed_links,
)

VISITS = 5
# Visits start two windows apart and last under one: every visit is on its own.
VISIT_EVERY = timedelta(hours=48)
VISIT_LASTS_MINUTES = 20 * 60


@pytest.fixture
def second_engine(ctx: Context, dialect: str) -> Iterator[Engine]:
    if dialect != "postgresql":
        pytest.skip("several writers share PostgreSQL only; SQLite has one writer")
    engine = make_engine(ctx.engine.url.render_as_string(hide_password=False))
    yield engine
    engine.dispose()


def _visits(ws: int, links: list[int], visitors: int, rng: random.Random) -> list[RawClick]:
    """Clicks of ``visitors`` on every link: four per visit, some at the very same moment."""
    made: list[RawClick] = []
    for visit in range(VISITS):
        start = T0 + visit * VISIT_EVERY  # 12:00: a visit runs past midnight (two salt days)
        for visitor in range(visitors):
            for link in links:
                ip = f"198.51.100.{visitor}"
                minutes = [rng.randrange(VISIT_LASTS_MINUTES) for _ in range(3)]
                minutes.append(minutes[0])  # two clicks at once: the closest race there is
                made.extend(
                    raw_click(ws, link, at=start + timedelta(minutes=m), ip=ip, ua=IPHONE)
                    for m in minutes
                )
                made.append(raw_click(ws, link, at=start, ip=ip, ua=FACEBOOK_PREVIEW))
    return made


def _batches(stream: list[RawClick], rng: random.Random) -> list[list[RawClick]]:
    found: list[list[RawClick]] = []
    while stream:
        size = rng.randrange(1, 9)
        found.append(stream[:size])
        stream = stream[size:]
    return found


def _write_concurrently(
    writers: list[ClickWriter], clicks_in: list[RawClick], rng: random.Random
) -> None:
    """Deal the clicks to the writers; each writes its share in time order, in small batches."""
    streams: list[list[RawClick]] = [[] for _ in writers]
    for click in clicks_in:
        streams[rng.randrange(len(writers))].append(click)
    plans = [_batches(sorted(s, key=lambda c: c.occurred_at), rng) for s in streams]
    start = threading.Barrier(len(writers))
    failures: list[BaseException] = []

    def run(writer: ClickWriter, batches: list[list[RawClick]]) -> None:
        try:
            start.wait(10)
            for batch in batches:
                assert writer.write(batch, []).lost == frozenset()
        except BaseException as exc:  # reported by the main thread
            failures.append(exc)

    threads = [
        threading.Thread(target=run, args=(w, p)) for w, p in zip(writers, plans, strict=True)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not failures, failures
    assert not any(t.is_alive() for t in threads)


def _unique_clicks_per_visit(
    ctx: Context, clicks_in: list[RawClick]
) -> Counter[tuple[object, ...]]:
    """Unique clicks per (visitor, link, visit), from the stored rows."""
    raw = {c.click_id: c for c in clicks_in}
    with ctx.engine.connect() as conn:
        rows = conn.execute(select(clicks.c.click_id, clicks.c.is_unique, clicks.c.is_bot)).all()
    per_visit: Counter[tuple[object, ...]] = Counter()
    for click_id, is_unique, is_bot in rows:
        click = raw[click_id]
        visit = int((click.occurred_at - T0.timestamp()) // VISIT_EVERY.total_seconds())
        key = (click.ip, click.user_agent, click.link_id, visit)
        per_visit[key] += int(is_unique)
        assert not (is_bot and is_unique)
    return per_visit


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_two_writers_store_every_click_once_with_one_unique_per_visit(
    ctx: Context, second_engine: Engine, tmp_path: Path, seed: int
) -> None:
    ws, links = seed_links(ctx.engine)
    rng = random.Random(seed)
    clicks_in = _visits(ws, links, visitors=6, rng=rng)
    writers = [
        ClickWriter(engine, ctx.settings, spool_dir=tmp_path / name)
        for engine, name in ((ctx.engine, "a"), (second_engine, "b"))
    ]
    _write_concurrently(writers, clicks_in, rng)

    with ctx.engine.connect() as conn:
        stored = Counter(conn.execute(select(clicks.c.click_id)).scalars())
    assert stored == Counter(c.click_id for c in clicks_in)  # each once, none lost
    assert sum(w.counters.stored for w in writers) == len(clicks_in)
    assert sum(w.counters.duplicates + w.counters.dropped for w in writers) == 0
    per_visit = _unique_clicks_per_visit(ctx, clicks_in)
    human_visits = {k for k in per_visit if k[1] == IPHONE}
    assert len(human_visits) == VISITS * 6 * len(links)
    assert {k: per_visit[k] for k in human_visits} == dict.fromkeys(human_visits, 1)
    assert all(per_visit[k] == 0 for k in per_visit if k[1] == FACEBOOK_PREVIEW)
    assert rollups(ctx.engine) == rollups_from_events(ctx.engine)


def test_a_batch_of_many_new_visitors_takes_the_coarse_lock(
    ctx: Context, second_engine: Engine, tmp_path: Path
) -> None:
    # More visitors in a batch than fine-grained locks allow: one writer at a time decides.
    ws, links = seed_links(ctx.engine)
    rng = random.Random(4)
    visitors = VISITOR_LOCKS_MAX  # two keys each (today's and yesterday's hash)
    clicks_in = [
        raw_click(ws, links[0], at=T0 + timedelta(seconds=rng.randrange(60)), ip=f"10.1.{n}.{i}")
        for n in range(visitors // 200 + 1)
        for i in range(200)
        for _ in range(2)
    ]
    writers = [
        ClickWriter(engine, ctx.settings, spool_dir=tmp_path / name)
        for engine, name in ((ctx.engine, "a"), (second_engine, "b"))
    ]
    streams: dict[int, list[RawClick]] = defaultdict(list)
    for i, click in enumerate(clicks_in):
        streams[i % 2].append(click)
    failures: list[BaseException] = []

    def run(writer: ClickWriter, stream: list[RawClick]) -> None:
        try:
            writer.write(sorted(stream, key=lambda c: c.occurred_at), [])
        except BaseException as exc:  # reported by the main thread
            failures.append(exc)

    threads = [threading.Thread(target=run, args=(writers[i], streams[i])) for i in (0, 1)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not failures, failures
    with ctx.engine.connect() as conn:
        rows = conn.execute(select(clicks.c.visitor_hash, clicks.c.is_unique)).all()
    assert len(rows) == len(clicks_in)
    uniques = Counter(hash_ for hash_, is_unique in rows if is_unique)
    assert set(uniques.values()) == {1}
    assert len(uniques) == len({c.ip for c in clicks_in})
    assert rollups(ctx.engine) == rollups_from_events(ctx.engine)
