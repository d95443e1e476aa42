"""The click writer: enrich a batch, decide uniqueness, insert and roll up in one transaction.

Runs on one dedicated thread (``ClickBuffer`` owns it), so SQLite sees a single
writer and the event loop never waits on the database. When the database is
unreachable the batch goes to the spool and the writer retries with backoff;
once the database answers, spooled files are replayed in order before any
newer click is written.

The writer works on ``ClickFacts`` tuples; the unique flags are
``tracking.uniqueness``'s to decide, which settles a repeat click from memory
without a query (``docs/performance.md`` has the figures that chose this).
"""

from __future__ import annotations

import logging
import time
from bisect import bisect_left
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from itertools import islice
from operator import attrgetter
from typing import TYPE_CHECKING

from sqlalchemy import text
from sqlalchemy.exc import DBAPIError, IntegrityError, InterfaceError, OperationalError

from perfluence.core.visitors import hour_bucket
from perfluence.store.clicks import (
    CLICK_COLUMNS,
    ClicksAlreadyStoredError,
    existing_link_ids,
    insert_clicks,
    insert_new_clicks,
)
from perfluence.store.rollups import HourlyClickCounts, add_hourly_click_counts
from perfluence.tracking.enrich import ClickFacts, Enricher
from perfluence.tracking.events import RawClick
from perfluence.tracking.spool import ClickSpool
from perfluence.tracking.uniqueness import UniqueFlags

if TYPE_CHECKING:
    from datetime import datetime
    from pathlib import Path

    from sqlalchemy import Engine

    from perfluence.config import Settings

log = logging.getLogger(__name__)

_MIN_BACKOFF = 0.1
_CONFLICT_RETRIES = 3
_MAX_BACKOFF = 10.0
# (link, visitor) pairs whose latest human click the writer remembers: ~200 bytes each, so
# about 40 MB at most. Repeat clicks within a day by a visitor it holds need no look-up.
LATEST_CLICKS_KEPT = 200_000
_HOUR = timedelta(hours=1)
_OCCURRED_AT = attrgetter("occurred_at")
_CLICK_ID = attrgetter("click_id")
_LINK_ID = attrgetter("link_id")
_WORKSPACE_ID = attrgetter("workspace_id")
_IS_BOT = attrgetter("is_bot")


@dataclass
class WriterCounters:
    stored: int = 0  # clicks inserted (including replayed ones)
    duplicates: int = 0  # clicks skipped because their click id was already stored
    spooled: int = 0
    replayed: int = 0  # clicks inserted from the spool
    dropped: int = 0  # clicks neither stored nor spooled


@dataclass(frozen=True)
class WriteOutcome:
    """Click ids of the batch that are neither committed nor fsynced to the spool."""

    lost: frozenset[str] = field(default_factory=frozenset)


def _is_conflict(exc: DBAPIError) -> bool:
    """A deadlock or serialization failure: the transaction can simply run again."""
    return str(getattr(exc.orig, "sqlstate", "") or "").startswith("40")


def database_unreachable(exc: BaseException) -> bool:
    """An outage (retry later) rather than a row the database refuses."""
    if isinstance(exc, DBAPIError) and _is_conflict(exc):
        return False
    if isinstance(exc, OperationalError | InterfaceError):
        return True
    return isinstance(exc, DBAPIError) and exc.connection_invalidated


def _chunks(items: Iterable[ClickFacts], size: int) -> Iterator[list[ClickFacts]]:
    iterator = iter(items)
    while chunk := list(islice(iterator, size)):
        yield chunk


class ClickWriter:
    """Writes batches of clicks. Not thread-safe by design: one writer thread calls it."""

    def __init__(
        self,
        engine: Engine,
        settings: Settings,
        *,
        clock: Callable[[], float] = time.time,
        spool_dir: Path | None = None,
        latest_clicks_kept: int = LATEST_CLICKS_KEPT,
    ) -> None:
        self._engine = engine
        self._clock = clock
        self._batch_size = settings.click_batch_size
        self._unique = UniqueFlags(latest_clicks_kept, clock)
        self._enricher = Enricher(settings)
        self.spool = ClickSpool(spool_dir or settings.spool_dir)
        self.counters = WriterCounters()
        self.degraded = False
        # The last spool write failed (disk full, read-only, …): clicks that need it are dropped.
        self.spool_failing = False
        self._retry_at = 0.0
        self._backoff = _MIN_BACKOFF
        # Files in the spool (replay when the database answers and nothing is spilling).
        self._replay_needed = False
        # The spool holds clicks older than the queue: new clicks must wait behind them.
        self._backlog = False

    def request_replay(self) -> None:
        """Replay whatever a previous run left in the spool before anything new."""
        if self.spool.has_pending():
            self._replay_needed = True
            self._backlog = True

    def wants_work(self, replay_allowed: bool) -> bool:
        """Whether an empty flush should still run (a replay is due)."""
        if not (replay_allowed and self._replay_needed):
            return False
        return not self.degraded or self._clock() >= self._retry_at

    def write(
        self, batch: Sequence[RawClick], spill: Sequence[RawClick], replay_allowed: bool = True
    ) -> WriteOutcome:
        """Store ``batch`` (or spool it), then spool ``spill``, which is newer than ``batch``."""
        lost: set[str] = set()
        rows = self._enrich_all(batch, lost)
        spilled = self._enrich_all(spill, lost)
        if replay_allowed and self._replay_needed and self._database_available():
            self._replay()
        if rows:
            if self._backlog or not self._database_available():
                self._to_spool(rows, lost)
                self._backlog = self._replay_needed = True
            else:
                self._store_or_spool(rows, lost)
        if spilled:
            self._to_spool(spilled, lost)
            self._replay_needed = True
        return WriteOutcome(frozenset(lost))

    def close(self) -> None:
        self.spool.close_segment()
        self._enricher.close()

    # -- enrichment -------------------------------------------------------------

    def _enrich_all(self, raws: Sequence[RawClick], lost: set[str]) -> list[ClickFacts]:
        try:
            return self._enricher.facts_of(raws)
        except Exception:  # one odd click must not sink its batch: again, one by one
            return self._enrich_one_by_one(raws, lost)

    def _enrich_one_by_one(self, raws: Sequence[RawClick], lost: set[str]) -> list[ClickFacts]:
        rows: list[ClickFacts] = []
        for raw in raws:
            try:
                rows.append(self._enricher.facts(raw))
            except Exception:
                log.exception("click %s could not be enriched; dropped", raw.click_id)
                self.counters.dropped += 1
                lost.add(raw.click_id)
        return rows

    # -- the database -----------------------------------------------------------

    def _database_available(self) -> bool:
        if not self.degraded:
            return True
        if self._clock() < self._retry_at:
            return False
        try:
            with self._engine.connect() as conn:
                conn.execute(text("SELECT 1"))
        except Exception as exc:
            self._enter_degraded(exc)
            return False
        log.info("database reachable again; replaying spooled clicks")
        self.degraded = False
        self._backoff = _MIN_BACKOFF
        return True

    def _enter_degraded(self, exc: BaseException) -> None:
        if not self.degraded:
            log.error("database unreachable (%s); spooling clicks to %s", exc, self.spool.directory)
        else:
            self._backoff = min(self._backoff * 2, _MAX_BACKOFF)
        self.degraded = True
        self._retry_at = self._clock() + self._backoff

    def _store_or_spool(self, rows: list[ClickFacts], lost: set[str]) -> None:
        try:
            self._store_retrying_conflicts(rows, lost)
        except Exception as exc:
            if not database_unreachable(exc):
                log.exception("the database refused %d clicks; dropped", len(rows))
                self.counters.dropped += len(rows)
                lost.update(r.click_id for r in rows)
                return
            self._enter_degraded(exc)
            self._to_spool(rows, lost)
            self._backlog = self._replay_needed = True

    def _store_retrying_conflicts(self, rows: list[ClickFacts], lost: set[str]) -> int:
        """Store; a transaction PostgreSQL aborted for a conflict (a deadlock) runs again."""
        for _ in range(_CONFLICT_RETRIES):
            try:
                return self._store_dropping_orphans(rows, lost)
            except DBAPIError as exc:
                if not _is_conflict(exc):
                    raise
                log.warning("click batch conflicted with another transaction (%s); again", exc)
        return self._store_dropping_orphans(rows, lost)

    def _store_dropping_orphans(self, rows: list[ClickFacts], lost: set[str]) -> int:
        try:
            return self._store(rows)
        except IntegrityError:
            # Most likely a link deleted while its clicks waited: drop those, keep the rest.
            with self._engine.connect() as conn:
                alive = existing_link_ids(conn, (r.link_id for r in rows))
            orphans = [r for r in rows if r.link_id not in alive]
            if not orphans:
                raise
            log.warning("dropping %d clicks of deleted links", len(orphans))
            self.counters.dropped += len(orphans)
            lost.update(r.click_id for r in orphans)
            return self._store([r for r in rows if r.link_id in alive])

    def _store(self, rows: list[ClickFacts]) -> int:
        """One transaction: decide uniqueness, insert new clicks, add them to the rollups."""
        if len(set(map(_CLICK_ID, rows))) != len(rows):
            rows_once = list({r.click_id: r for r in reversed(rows)}.values())
        else:
            rows_once = rows
        unique_rows = sorted(rows_once, key=_OCCURRED_AT)  # stable: equal times keep their order
        if not unique_rows:
            return 0
        try:
            inserted = self._store_in_one_transaction(unique_rows, all_new=True)
        except ClicksAlreadyStoredError:
            # Some clicks were written before (a replay after a crash): do it again, exactly.
            inserted = self._store_in_one_transaction(unique_rows, all_new=False)
        # Only now that the transaction is committed are these clicks proof for later batches.
        self._unique.remember(unique_rows)
        self.counters.stored += inserted
        self.counters.duplicates += len(rows) - inserted
        return inserted

    def _store_in_one_transaction(self, rows: list[ClickFacts], *, all_new: bool) -> int:
        with self._engine.begin() as conn:
            flags = self._unique.flags(conn, rows)
            # A stored row is the click's first twelve fields and its unique flag.
            columns = [*list(zip(*rows, strict=True))[:12], flags]
            if all_new:
                insert_new_clicks(conn, columns)
                new, new_flags = rows, flags
            else:
                values = zip(*columns, strict=True)
                stored = insert_clicks(
                    conn, [dict(zip(CLICK_COLUMNS, v, strict=True)) for v in values]
                )
                kept = [i for i, r in enumerate(rows) if r.click_id in stored]
                new = [rows[i] for i in kept]
                new_flags = [flags[i] for i in kept]
            add_hourly_click_counts(conn, _hourly_counts(new, new_flags))
        return len(new)

    # -- the spool --------------------------------------------------------------

    def _to_spool(self, rows: list[ClickFacts], lost: set[str]) -> None:
        try:
            self.spool.append([r.to_enriched() for r in rows])
        except OSError as exc:
            # One line when the spool stops taking clicks (a full disk, say), not one a flush.
            if not self.spool_failing:
                log.error(
                    "cannot write the click spool in %s (%s): clicks are dropped, and "
                    "counted, until it can be written again",
                    self.spool.directory,
                    exc,
                )
            self.spool_failing = True
            self.counters.dropped += len(rows)
            lost.update(r.click_id for r in rows)
            return
        if self.spool_failing:
            log.warning(
                "the click spool in %s takes clicks again; %d clicks were dropped in all",
                self.spool.directory,
                self.counters.dropped,
            )
            self.spool_failing = False
        self.counters.spooled += len(rows)

    def _replay(self) -> bool:
        """Replay every spooled file in order; False when the database went away meanwhile."""
        self.spool.close_segment()
        for path in self.spool.pending():
            claimed = self.spool.claim(path)
            if claimed is None:
                continue
            try:
                spooled = map(ClickFacts.from_enriched, self.spool.read(claimed))
                for chunk in _chunks(spooled, self._batch_size):
                    self.counters.replayed += self._store_retrying_conflicts(chunk, set())
            except OSError as exc:
                log.error("cannot read spool file %s (%s)", claimed.name, exc)
                continue
            except Exception as exc:
                if database_unreachable(exc):
                    self._enter_degraded(exc)
                    return False
                log.exception("replaying spool file %s failed", claimed.name)
                self.spool.quarantine(claimed)
                continue
            self.spool.finish(claimed)
            log.info("replayed spool file %s", claimed.name)
        self._replay_needed = False
        self._backlog = False
        return True


def _hourly_counts(rows: list[ClickFacts], flags: list[bool]) -> list[HourlyClickCounts]:
    """What these (inserted) clicks, in time order, add to each link's hour."""
    counts: dict[tuple[int, datetime], list[int]] = {}
    moments = list(map(_OCCURRED_AT, rows))
    start, end = 0, len(rows)
    while start < end:
        # Rows come in time order: one hour's rows are a slice, counted in C by a Counter.
        hour = hour_bucket(moments[start])
        stop = bisect_left(moments, hour + _HOUR, start)
        part = rows[start:stop]
        links, workspaces, bots = map(_LINK_ID, part), map(_WORKSPACE_ID, part), map(_IS_BOT, part)
        tally = Counter(zip(links, workspaces, flags[start:stop], bots, strict=True))
        for (link_id, workspace_id, is_unique, is_bot), n in tally.items():
            entry = counts.get((link_id, hour))
            if entry is None:
                entry = counts[link_id, hour] = [workspace_id, 0, 0, 0]
            entry[1] += n
            entry[2] += n * is_unique
            entry[3] += n * is_bot
        start = stop
    # In key order: concurrent writers then lock the rows they share in the same order.
    return [
        HourlyClickCounts(link_id, hour, ws, n, unique, bots)
        for (link_id, hour), (ws, n, unique, bots) in sorted(counts.items())
    ]
