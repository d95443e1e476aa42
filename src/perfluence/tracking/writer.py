"""The click writer: enrich a batch, decide uniqueness, insert and roll up in one transaction.

Runs on one dedicated thread (``ClickBuffer`` owns it), so SQLite sees a single
writer and the event loop never waits on the database. When the database is
unreachable the batch goes to the spool and the writer retries with backoff;
once the database answers, spooled files are replayed in order before any
newer click is written.
"""

from __future__ import annotations

import logging
import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from itertools import islice
from typing import TYPE_CHECKING, Any

from sqlalchemy import text
from sqlalchemy.exc import DBAPIError, IntegrityError, InterfaceError, OperationalError

from perfluence.core.visitors import UNIQUE_WINDOW, UniqueCandidate, flag_unique, hour_bucket
from perfluence.store.clicks import existing_link_ids, human_click_times, insert_clicks
from perfluence.store.rollups import HourlyClickCounts, add_hourly_click_counts
from perfluence.tracking.enrich import Enricher
from perfluence.tracking.events import EnrichedClick, RawClick
from perfluence.tracking.spool import ClickSpool

if TYPE_CHECKING:
    from datetime import datetime
    from pathlib import Path

    from sqlalchemy import Connection, Engine

    from perfluence.config import Settings

log = logging.getLogger(__name__)

_MIN_BACKOFF = 0.1
_MAX_BACKOFF = 10.0


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


def database_unreachable(exc: BaseException) -> bool:
    """An outage (retry later) rather than a row the database refuses."""
    if isinstance(exc, OperationalError | InterfaceError):
        return True
    return isinstance(exc, DBAPIError) and exc.connection_invalidated


def _chunks(items: Iterable[EnrichedClick], size: int) -> Iterator[list[EnrichedClick]]:
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
    ) -> None:
        self._engine = engine
        self._clock = clock
        self._batch_size = settings.click_batch_size
        self._enricher = Enricher(settings)
        self.spool = ClickSpool(spool_dir or settings.spool_dir)
        self.counters = WriterCounters()
        self.degraded = False
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

    def _enrich_all(self, raws: Sequence[RawClick], lost: set[str]) -> list[EnrichedClick]:
        rows: list[EnrichedClick] = []
        for raw in raws:
            try:
                rows.append(self._enricher.enrich(raw))
            except Exception:  # one odd click must not sink its batch
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

    def _store_or_spool(self, rows: list[EnrichedClick], lost: set[str]) -> None:
        try:
            self._store_dropping_orphans(rows, lost)
        except Exception as exc:
            if not database_unreachable(exc):
                log.exception("the database refused %d clicks; dropped", len(rows))
                self.counters.dropped += len(rows)
                lost.update(r.click_id for r in rows)
                return
            self._enter_degraded(exc)
            self._to_spool(rows, lost)
            self._backlog = self._replay_needed = True

    def _store_dropping_orphans(self, rows: list[EnrichedClick], lost: set[str]) -> int:
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

    def _store(self, rows: list[EnrichedClick]) -> int:
        """One transaction: decide uniqueness, insert new clicks, add them to the rollups."""
        unique_rows = list({r.click_id: r for r in reversed(rows)}.values())
        unique_rows.sort(key=lambda r: r.occurred_at)
        if not unique_rows:
            return 0
        with self._engine.begin() as conn:
            flags = self._unique_flags(conn, unique_rows)
            inserted = insert_clicks(
                conn, [_row(r, is_unique) for r, is_unique in zip(unique_rows, flags, strict=True)]
            )
            counts: dict[tuple[int, Any], list[int]] = defaultdict(lambda: [0, 0, 0, 0])
            for r, is_unique in zip(unique_rows, flags, strict=True):
                if r.click_id not in inserted:
                    continue
                entry = counts[(r.link_id, hour_bucket(r.occurred_at))]
                entry[0] = r.workspace_id
                entry[1] += 1
                entry[2] += int(is_unique)
                entry[3] += int(r.is_bot)
            add_hourly_click_counts(
                conn,
                (
                    HourlyClickCounts(link_id, hour, ws, n, unique, bots)
                    for (link_id, hour), (ws, n, unique, bots) in counts.items()
                ),
            )
        self.counters.stored += len(inserted)
        self.counters.duplicates += len(rows) - len(inserted)
        return len(inserted)

    def _unique_flags(self, conn: Connection, rows: list[EnrichedClick]) -> list[bool]:
        since = rows[0].occurred_at - UNIQUE_WINDOW
        until = rows[-1].occurred_at
        hashes_by_workspace: dict[int, set[str]] = defaultdict(set)
        links_by_workspace: dict[int, set[int]] = defaultdict(set)
        for r in rows:
            if not r.is_bot:
                hashes_by_workspace[r.workspace_id].update(
                    (r.visitor_hash, r.previous_visitor_hash)
                )
                links_by_workspace[r.workspace_id].add(r.link_id)
        history: dict[tuple[int, str], list[datetime]] = {}
        for workspace_id, hashes in hashes_by_workspace.items():
            history.update(
                human_click_times(
                    conn,
                    workspace_id,
                    links_by_workspace[workspace_id],
                    hashes,
                    since,
                    rows[0].occurred_at,
                    until,
                )
            )
        return flag_unique(
            [
                UniqueCandidate(
                    (r.link_id, r.visitor_hash),
                    r.occurred_at,
                    r.is_bot,
                    ((r.link_id, r.previous_visitor_hash),),
                )
                for r in rows
            ],
            history,
        )

    # -- the spool --------------------------------------------------------------

    def _to_spool(self, rows: list[EnrichedClick], lost: set[str]) -> None:
        try:
            self.spool.append(rows)
        except OSError as exc:
            log.error(
                "cannot spool %d clicks to %s (%s); they are lost",
                len(rows),
                self.spool.directory,
                exc,
            )
            self.counters.dropped += len(rows)
            lost.update(r.click_id for r in rows)
            return
        self.counters.spooled += len(rows)

    def _replay(self) -> bool:
        """Replay every spooled file in order; False when the database went away meanwhile."""
        self.spool.close_segment()
        for path in self.spool.pending():
            claimed = self.spool.claim(path)
            if claimed is None:
                continue
            try:
                for chunk in _chunks(self.spool.read(claimed), self._batch_size):
                    self.counters.replayed += self._store_dropping_orphans(chunk, set())
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


def _row(click: EnrichedClick, is_unique: bool) -> dict[str, Any]:
    return {
        "workspace_id": click.workspace_id,
        "link_id": click.link_id,
        "click_id": click.click_id,
        "occurred_at": click.occurred_at,
        "visitor_hash": click.visitor_hash,
        "device": click.device,
        "os": click.os,
        "browser": click.browser,
        "referrer_host": click.referrer_host,
        "country": click.country,
        "sub_id": click.sub_id,
        "is_bot": click.is_bot,
        "is_unique": is_unique,
    }
