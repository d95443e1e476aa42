"""The click buffer: an O(1) ``put`` for the redirect, one writer behind it.

The hot path appends a ``RawClick`` to a bounded deque and returns. A single
writer task on the event loop wakes when a batch is full or every
``click_flush_interval_ms``, hands the batch to one dedicated writer thread
(the database never blocks the loop, and SQLite sees exactly one writer) and
resolves the futures of ``put_durable`` callers when their batch is safe.

Order is kept end to end. When the deque is full the buffer *spills*: every
new click goes to an overflow deque, which the writer spools to disk (enriched,
no raw IP) after the older clicks still in the deque; spilling ends only once
the deque is empty, and spooled files are replayed before anything newer.
Beyond twice ``click_buffer_size`` clicks in memory a click is dropped and
counted; the hot path never waits and never raises.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import gc
import logging
import time
from collections import deque
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING

from perfluence.tracking.enrich import warm_up
from perfluence.tracking.events import RawClick
from perfluence.tracking.writer import ClickWriter, WriteOutcome

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from perfluence.config import Settings

log = logging.getLogger(__name__)


@functools.cache
def _freeze_once() -> None:
    gc.freeze()


def _warm_up_and_freeze() -> None:
    """Load the user agent parsers, then freeze what the process holds (once per process).

    What is alive by then (the framework, SQLAlchemy, the parsers' patterns)
    lives as long as the process. Frozen, a full garbage collection no longer
    walks it: in ``perfluence serve`` under load those collections took
    90-150 ms every few seconds (most of the p99), frozen they take about 1 ms.
    """
    warm_up()
    _freeze_once()


class ClickNotStoredError(Exception):
    """A durable click was neither committed nor spooled (database down and disk failing)."""


class ClickBuffer:
    """Bounded in-memory click queue with a single batching writer.

    ``put`` is for the default mode (the 302 does not wait); ``put_durable``
    returns once the click's batch is committed, or spooled to disk with
    fsync while the database is unreachable (both survive a crash).
    """

    def __init__(
        self, engine: Engine, settings: Settings, *, clock: Callable[[], float] = time.time
    ) -> None:
        self._settings = settings
        self._capacity = settings.click_buffer_size
        self._batch_size = settings.click_batch_size
        self._interval = settings.click_flush_interval_ms / 1000
        self._writer = ClickWriter(engine, settings, clock=clock)
        self._queue: deque[RawClick] = deque()
        self._overflow: deque[RawClick] = deque()
        self._spilling = False
        self._waiters: dict[str, asyncio.Future[None]] = {}
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._executor: ThreadPoolExecutor | None = None
        self._stopping = False
        self._enqueued = 0
        self._dropped = 0
        self._flushes = 0

    # -- hot path -------------------------------------------------------------

    def put(self, click: RawClick) -> None:
        """Queue a click. Non-blocking, O(1); never raises. Call it on the event loop's thread."""
        try:
            queue = self._queue
            if not self._spilling and len(queue) < self._capacity:
                queue.append(click)
                if len(queue) == self._batch_size:
                    self._wake.set()
            elif len(self._overflow) < self._capacity:
                if not self._spilling:
                    self._spilling = True
                    self._wake.set()
                self._overflow.append(click)
            else:
                self._dropped += 1
                return
            self._enqueued += 1
        except Exception:  # the redirect must answer whatever happens here
            self._dropped += 1
            log.exception("click buffer refused a click")

    async def put_durable(self, click: RawClick) -> None:
        """Queue a click and return once its batch is committed (or fsynced to the spool).

        Raises ``ClickNotStoredError`` when the click could be kept neither way,
        or when the buffer is not running.
        """
        if self._task is None or self._stopping:
            raise ClickNotStoredError("the click buffer is not running")
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiters[click.click_id] = future
        self.put(click)
        await future

    # -- lifecycle ------------------------------------------------------------

    async def start(self) -> None:
        """Start the writer on the running loop; leftover spool files are replayed first."""
        if self._task is not None:
            return
        self._stopping = False
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="perfluence-clicks")
        # First in the writer thread's queue, so the first batch does not pay for it.
        self._executor.submit(_warm_up_and_freeze)
        self._writer.request_replay()
        self._task = asyncio.get_running_loop().create_task(
            self._run(), name="perfluence-click-writer"
        )

    async def stop(self) -> None:
        """Graceful drain: write (or spool) everything buffered, then stop the writer."""
        if self._task is None:
            return
        self._stopping = True
        self._wake.set()
        try:
            await self._task
        finally:
            self._task = None
            if self._executor is not None:
                await asyncio.get_running_loop().run_in_executor(self._executor, self._writer.close)
                self._executor.shutdown(wait=True)
                self._executor = None
            for future in self._waiters.values():
                if not future.done():
                    future.set_exception(ClickNotStoredError("the click buffer stopped"))
            self._waiters.clear()

    @property
    def settings(self) -> Settings:
        return self._settings

    @property
    def stats(self) -> dict[str, int]:
        """Counters since start (enqueued, stored, spooled, replayed, dropped, flushes, …)."""
        counters = self._writer.counters
        return {
            "enqueued": self._enqueued,
            "stored": counters.stored,
            "duplicates": counters.duplicates,
            "spooled": counters.spooled,
            "replayed": counters.replayed,
            "dropped": self._dropped + counters.dropped,
            "flushes": self._flushes,
            "pending": len(self._queue) + len(self._overflow),
            "degraded": int(self._writer.degraded),
            # 1 while the spool cannot be written (disk full): clicks needing it are dropped.
            "spool_failing": int(self._writer.spool_failing),
        }

    # -- the writer task --------------------------------------------------------

    async def _run(self) -> None:
        while True:
            if not self._stopping and len(self._queue) < self._batch_size and not self._overflow:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), self._interval)
            self._wake.clear()
            try:
                await self._flush_once()
            except Exception:  # the writer task must outlive any one bad batch
                log.exception("click flush failed")
                await asyncio.sleep(self._interval)
            if (
                self._stopping
                and not self._queue
                and not self._overflow
                # A drain also replays what it spilled, when the database answers.
                and not self._writer.wants_work(not self._spilling)
            ):
                return

    async def _flush_once(self) -> None:
        # Replaying spooled clicks while spilling would put newer clicks before older ones.
        replay_allowed = not self._spilling
        batch = [self._queue.popleft() for _ in range(min(self._batch_size, len(self._queue)))]
        spill = list(self._overflow)
        self._overflow.clear()
        if self._spilling and not self._queue:
            # Every click put from now on is newer than everything spilled so far.
            self._spilling = False
        if not batch and not spill and not self._writer.wants_work(replay_allowed):
            return
        assert self._executor is not None
        try:
            outcome = await asyncio.get_running_loop().run_in_executor(
                self._executor, self._writer.write, batch, spill, replay_allowed
            )
        except Exception:  # a writer bug must not kill the writer task
            log.exception("click writer failed; %d clicks lost", len(batch) + len(spill))
            self._dropped += len(batch) + len(spill)
            outcome = WriteOutcome(lost=frozenset(c.click_id for c in (*batch, *spill)))
        self._flushes += 1
        if self._waiters:
            self._resolve_waiters(batch, spill, outcome)

    def _resolve_waiters(
        self, batch: list[RawClick], spill: list[RawClick], outcome: WriteOutcome
    ) -> None:
        for click in (*batch, *spill):
            future = self._waiters.pop(click.click_id, None)
            if future is None or future.done():
                continue
            if click.click_id in outcome.lost:
                future.set_exception(ClickNotStoredError(f"click {click.click_id} was not stored"))
            else:
                future.set_result(None)
