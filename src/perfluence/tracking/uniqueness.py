"""The unique flag of the clicks a writer stores: from memory where it can, else the database.

The rule is ``core.visitors``' (a human click is unique when its visitor has
no human click on the link in the window before it); this module applies it to
a batch inside the writer's transaction (``docs/click-capture.md``):

- a click whose visitor has a stored click in its window in the writer's
  memory (``LatestHumanClicks``) is not unique, with no query;
- the others are checked against the database's history in one look-back per
  batch and workspace, the settled clicks' times joining that history;
- on PostgreSQL, where several processes write at once, the visitors to look
  up are locked first (``lock_visitors``): a concurrent writer's clicks of the
  same visitors are then either committed and seen, or wait for this
  transaction;
- a click that would be unique but finds a click of its visitor stored up to
  a window *after* it (it arrived late: a replayed spool, or another process
  that stored a later click first) is not unique either, so a visit has one
  unique click whichever click is stored first.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from perfluence.core.visitors import UNIQUE_WINDOW, LatestHumanClicks, UniqueCandidate, flag_unique
from perfluence.store.clicks import human_click_times, lock_visitors

if TYPE_CHECKING:
    from sqlalchemy import Connection

    from perfluence.tracking.enrich import ClickFacts

VisitorTimes = dict[tuple[int, str], list[datetime]]

_DAY = timedelta(days=1)
# How far ahead another tracking process's clock may be, for the next day's hashes.
_CLOCK_SKEW = 300.0


class UniqueFlags:
    """Decides unique flags for one writer. Not thread-safe: the writer thread owns it."""

    def __init__(self, latest_clicks_kept: int, clock: Callable[[], float]) -> None:
        self._latest = LatestHumanClicks(latest_clicks_kept)
        self._clock = clock

    def flags(self, conn: Connection, rows: list[ClickFacts]) -> list[bool]:
        """Unique flags of ``rows`` (in time order), decided inside the caller's transaction.

        The settled clicks' proof times join the database's history, which is
        exact: a settled click is never later than a click it would make
        non-unique unless their times are equal, and then both are settled.
        """
        flags = [False] * len(rows)
        settles = self._latest.settles_human
        open_positions: list[int] = []
        candidates: list[UniqueCandidate] = []
        known: VisitorTimes = {}
        for position, r in enumerate(rows):
            if r.is_bot:
                continue
            key = (r.link_id, r.visitor_hash)
            alias = (r.link_id, r.previous_visitor_hash)
            if settles(key, alias, r.occurred_at):
                # Not unique, whatever the database holds; still an earlier click for the rest.
                known.setdefault(key, []).append(r.occurred_at)
                continue
            open_positions.append(position)
            candidates.append(UniqueCandidate(key, r.occurred_at, False, (alias,)))
        if not candidates:
            return flags
        open_rows = [rows[i] for i in open_positions]
        lock_visitors(conn, _visitor_keys(open_rows))
        stored = self._stored_history(conn, open_rows)
        history = dict(stored)  # ``stored`` itself stays what the database holds
        for key, moments in known.items():
            history[key] = [*history.get(key, ()), *moments]
        for position, is_unique in zip(
            open_positions, flag_unique(candidates, history), strict=True
        ):
            flags[position] = is_unique and not _stored_after(stored, rows[position])
        return flags

    def remember(self, rows: list[ClickFacts]) -> None:
        """``rows`` (in time order) are committed: their human clicks are proof from now on."""
        latest: dict[tuple[int, str], datetime] = {}
        for r in rows:  # in time order: the last one per key wins
            if not r.is_bot:
                latest[r.link_id, r.visitor_hash] = r.occurred_at
        record = self._latest.record
        for key, moment in latest.items():
            record(key, moment)

    def _stored_history(self, conn: Connection, rows: list[ClickFacts]) -> VisitorTimes:
        """The stored human clicks the unique check of ``rows`` (in time order) needs."""
        first, until = rows[0].occurred_at, rows[-1].occurred_at
        # Clicks stored under the next day's hashes exist only once that day has begun
        # (anywhere: other processes' clocks may be a little ahead); before, why look.
        next_day = first.replace(hour=0, minute=0, second=0, microsecond=0) + _DAY
        next_day_begun = next_day.timestamp() <= self._clock() + _CLOCK_SKEW
        hashes_by_workspace: dict[int, set[str]] = defaultdict(set)
        links_by_workspace: dict[int, set[int]] = defaultdict(set)
        for r in rows:
            hashes = hashes_by_workspace[r.workspace_id]
            hashes.update((r.visitor_hash, r.previous_visitor_hash))
            if next_day_begun and r.next_visitor_hash:
                hashes.add(r.next_visitor_hash)
            links_by_workspace[r.workspace_id].add(r.link_id)
        history: VisitorTimes = {}
        for workspace_id, hashes in hashes_by_workspace.items():
            history.update(
                human_click_times(
                    conn,
                    workspace_id,
                    links_by_workspace[workspace_id],
                    hashes,
                    first - UNIQUE_WINDOW,
                    first,
                    # A window past the batch: clicks stored before earlier ones arrived.
                    until + UNIQUE_WINDOW,
                )
            )
        return history


def _visitor_keys(rows: list[ClickFacts]) -> Iterator[tuple[int, str]]:
    """Every (link, visitor) a row's unique check reads: its own and its previous day's."""
    for r in rows:
        yield r.link_id, r.visitor_hash
        yield r.link_id, r.previous_visitor_hash


def _stored_after(stored: VisitorTimes, row: ClickFacts) -> bool:
    """Whether a click of this visitor was stored up to a window after ``row``'s time."""
    moment = row.occurred_at
    end = moment + UNIQUE_WINDOW
    for hash_ in (row.visitor_hash, row.next_visitor_hash):
        if any(moment < at <= end for at in stored.get((row.link_id, hash_), ())):
            return True
    return False
