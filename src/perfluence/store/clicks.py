"""Click rows: idempotent batch insert and the look-back the unique rule needs.

Two inserts. ``insert_new_clicks`` is the writer's fast path: INSERTs of many
rows compiled once per dialect and handed to the driver with plain values
(SQLAlchemy's per-row parameter building cost twice the insert itself), and it
fails with ``ClicksAlreadyStoredError`` when any click id was stored before.
``insert_clicks`` tells exactly which rows were inserted (``RETURNING``); the
writer uses it when the fast path fails, which only happens when clicks are
written twice (a replay after a crash).
"""

from __future__ import annotations

import hashlib
import sqlite3
from collections import defaultdict
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from itertools import chain
from typing import Any, cast

from sqlalchemy import (
    Boolean,
    Connection,
    Dialect,
    Insert,
    bindparam,
    case,
    func,
    select,
)
from sqlalchemy.dialects import postgresql, sqlite

from perfluence.store.tables import clicks, tracking_links

# Keeps every IN (...) list well under SQLite's bound-parameter limit.
_IN_CHUNK = 5_000
# The look-back must run on ix_clicks_visitor. Without statistics SQLite picks
# ix_clicks_link_time instead, which reads every click of the link in the last 24 hours
# (150 000 rows for a popular link, every batch); "link_id + 0" cannot use that index.
_LINK_ID_UNINDEXED = clicks.c.link_id + 0


def _insert_ignoring_duplicates(conn: Connection) -> Insert:
    """INSERT … ON CONFLICT (click_id) DO NOTHING in the connection's dialect."""
    if conn.dialect.name == "postgresql":
        return postgresql.insert(clicks).on_conflict_do_nothing(index_elements=["click_id"])
    if conn.dialect.name == "sqlite":
        return sqlite.insert(clicks).on_conflict_do_nothing(index_elements=["click_id"])
    raise NotImplementedError(f"no idempotent click insert for {conn.dialect.name}")


CLICK_COLUMNS = (
    "workspace_id",
    "link_id",
    "click_id",
    "occurred_at",
    "visitor_hash",
    "device",
    "os",
    "browser",
    "referrer_host",
    "country",
    "sub_id",
    "is_bot",
    "is_unique",
)
"""The stored columns of a click, in the order ``insert_new_clicks`` takes them."""


class ClicksAlreadyStoredError(Exception):
    """Some rows of a batch had a click id stored before; the transaction must be rolled back."""


# Rows per INSERT statement, largest first. One statement of many rows instead of an
# executemany of one-row statements: SQLite's driver lets go of the interpreter lock around
# every statement it steps, and with the event loop on the same core each of those hand-offs
# costs a thread switch. 256 rows x 13 values stays under every bound-parameter limit; the
# few statement shapes stay in the driver's statement cache.
_ROWS_PER_STATEMENT = (256, 32, 4, 1)


ColumnConverter = Callable[[Sequence[Any]], Iterable[Any]]


@dataclass(frozen=True)
class _CompiledInsert:
    sql_for_rows: dict[int, str]
    # (position, converter of all of a column's values) of the columns the driver cannot take
    # as they are.
    converters: tuple[tuple[int, ColumnConverter], ...]


# SQLite's driver binds an int, str or float at once, and anything else (None, a bool) only
# after looking for an adapter: two attribute look-ups that each raise and format an
# AttributeError, more than all the rest of a row's binding. So the fast insert hands it
# 1/0 for booleans, and None is given an adapter that returns it unchanged (``{}.get``, in
# C): still NULL, now found at the first look-up. That adapter is the sqlite3 module's,
# so it serves every SQLite statement in the process, none of which can tell.
def _bind_none_directly() -> None:
    nothing: dict[None, None] = {}
    sqlite3.register_adapter(type(None), cast("Callable[[None], None]", nothing.get))


def _processed(process: Callable[[Any], Any]) -> ColumnConverter:
    return lambda values: map(process, values)


_compiled_inserts: dict[str, _CompiledInsert] = {}


_SECOND = timedelta(seconds=1)
_THREE_DIGITS = [f"{n:03d}" for n in range(1000)]


def _utc_text(general: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """``UTCDateTime``'s SQLite text for a UTC time, at a fraction of the general conversion.

    The column holds the naive UTC time in ISO form with microseconds. A batch's
    clicks fall within a second or two, so the text up to the second is made
    once per second (``isoformat`` formats through ``printf``, the costliest
    step of an insert) and the microseconds are appended from a table. Any
    other value takes the general way (tests check that both agree).
    """
    # (start of the second, its end, its text up to the dot): one tuple, replaced whole, so
    # two threads inserting at once can never mix two seconds' parts.
    current = [(datetime.min.replace(tzinfo=UTC), datetime.min.replace(tzinfo=UTC), "")]
    digits = _THREE_DIGITS

    def convert(value: Any) -> Any:
        if type(value) is datetime and value.tzinfo is UTC:
            start, end, prefix = current[0]
            if not start <= value < end:
                start = value.replace(microsecond=0)
                prefix = start.isoformat(" ")[:-6] + "."
                current[0] = (start, start + _SECOND, prefix)
            thousands, units = divmod(value.microsecond, 1000)
            return prefix + digits[thousands] + digits[units]
        return general(value)

    return convert


def _compiled_insert(dialect: Dialect) -> _CompiledInsert:
    compiled = _compiled_inserts.get(dialect.name)
    if compiled is None:
        if dialect.name not in {"sqlite", "postgresql"}:
            raise NotImplementedError(f"no idempotent click insert for {dialect.name}")
        sqlite_ = dialect.name == "sqlite"
        if sqlite_:
            _bind_none_directly()
        quote = dialect.identifier_preparer.quote
        marker = "?" if dialect.paramstyle == "qmark" else "%s"
        converters: list[tuple[int, ColumnConverter]] = []
        for position, name in enumerate(CLICK_COLUMNS):
            column = clicks.c[name]
            processor: Callable[[Any], Any] | None = column.type.dialect_impl(
                dialect
            ).bind_processor(dialect)
            if sqlite_ and isinstance(column.type, Boolean):
                processor = int  # what SQLAlchemy's processor makes of a bool, in C
            if name == "occurred_at" and sqlite_ and processor is not None:
                processor = _utc_text(processor)
            if processor is not None:
                converters.append((position, _processed(processor)))
        names = ", ".join(quote(name) for name in CLICK_COLUMNS)
        values = "(" + ", ".join(marker for _ in CLICK_COLUMNS) + ")"
        table = dialect.identifier_preparer.format_table(clicks)
        conflict = f"ON CONFLICT ({quote('click_id')}) DO NOTHING"
        # Only names from the table's metadata, quoted by the dialect; values are bound.
        sql_for_rows = {
            n: f"INSERT INTO {table} ({names}) VALUES {', '.join([values] * n)} {conflict}"  # noqa: S608
            for n in _ROWS_PER_STATEMENT
        }
        compiled = _compiled_inserts[dialect.name] = _CompiledInsert(
            sql_for_rows, tuple(converters)
        )
    return compiled


def insert_new_clicks(conn: Connection, columns: Sequence[Sequence[Any]]) -> None:
    """Insert clicks that are all expected to be new, given column by column.

    ``columns`` holds one sequence per ``CLICK_COLUMNS`` entry, in that order
    (``list(zip(*rows))`` of row tuples). The writer has its clicks as tuples
    and their unique flags apart: turning them into columns and back into
    parameters happens in C (``zip``), where building a row tuple per click in
    Python would cost more than the insert.

    Raises ``ClicksAlreadyStoredError`` when the database skipped any row
    because its click id was already stored (``ON CONFLICT DO NOTHING``): the
    caller rolls back and uses ``insert_clicks``, which says which rows were new.
    """
    width = len(CLICK_COLUMNS)
    if len(columns) != width or len({len(column) for column in columns}) > 1:
        raise ValueError(f"{width} columns of equal length, in CLICK_COLUMNS order")
    count = len(columns[0])
    if not count:
        return
    compiled = _compiled_insert(conn.dialect)
    converted: list[Iterable[Any]] = list(columns)
    for position, convert in compiled.converters:
        converted[position] = convert(columns[position])
    flat = list(chain.from_iterable(zip(*converted, strict=True)))
    inserted = done = 0
    for size in _ROWS_PER_STATEMENT:
        sql = compiled.sql_for_rows[size]
        while count - done >= size:
            params = tuple(flat[done * width : (done + size) * width])
            inserted += conn.exec_driver_sql(sql, params).rowcount
            done += size
    if inserted != count:
        raise ClicksAlreadyStoredError(f"{count - inserted} clicks were stored before")


def insert_clicks(conn: Connection, rows: Sequence[Mapping[str, Any]]) -> set[str]:
    """Insert click rows, skipping click ids already stored; return the ids actually inserted.

    Replaying a batch that was already committed therefore inserts nothing,
    and the caller counts rollups from the returned ids only.
    """
    if not rows:
        return set()
    stmt = _insert_ignoring_duplicates(conn).returning(clicks.c.click_id)
    result = conn.execute(stmt, list(rows))
    return {str(click_id) for click_id in result.scalars()}


def human_click_times(
    conn: Connection,
    workspace_id: int,
    link_ids: Collection[int],
    visitor_hashes: Collection[str],
    since: datetime,
    first: datetime,
    until: datetime,
) -> dict[tuple[int, str], list[datetime]]:
    """Stored human click times per (link, visitor) that a batch's unique check needs.

    Only those links and visitors; a superset of the pairs in the batch is fine.

    For a batch starting at ``first`` whose window starts at ``since``: the
    latest click in ``[since, first)`` (enough for every click of the batch,
    since any earlier click in its window is at most that one) and every click
    in ``[first, until]``, where ``until`` may reach a window past the batch's
    last click (rare: replayed or late clicks, or a later click stored before an
    earlier one arrived). One pass over ``ix_clicks_visitor`` (workspace_id,
    visitor_hash, occurred_at) finds both the latest earlier click and whether
    any click lies in the span; only the pairs that have one are read again.
    """
    found: dict[tuple[int, str], list[datetime]] = defaultdict(list)
    hashes = sorted(set(visitor_hashes))
    human = (
        clicks.c.workspace_id == workspace_id,
        _LINK_ID_UNINDEXED.in_(sorted(set(link_ids))),
        clicks.c.visitor_hash.in_(bindparam("hashes", expanding=True)),
        clicks.c.is_bot.is_(False),
    )
    moment = clicks.c.occurred_at
    summary = (
        select(
            clicks.c.link_id,
            clicks.c.visitor_hash,
            func.max(case((moment < first, moment))),
            func.count(case((moment >= first, 1))),
        )
        .where(*human, moment >= since, moment <= until)
        .group_by(clicks.c.link_id, clicks.c.visitor_hash)
    )
    in_span: set[str] = set()
    for start in range(0, len(hashes), _IN_CHUNK):
        chunk = hashes[start : start + _IN_CHUNK]
        for link_id, hash_, latest_before, clicks_in_span in conn.execute(
            summary, {"hashes": chunk}
        ):
            if latest_before is not None:
                found[(int(link_id), str(hash_))].append(latest_before)
            if clicks_in_span:
                in_span.add(str(hash_))
    if in_span:
        during = select(clicks.c.link_id, clicks.c.visitor_hash, moment).where(
            *human, moment >= first, moment <= until
        )
        spanning = sorted(in_span)
        for start in range(0, len(spanning), _IN_CHUNK):
            chunk = spanning[start : start + _IN_CHUNK]
            for link_id, hash_, at in conn.execute(during, {"hashes": chunk}):
                found[(int(link_id), str(hash_))].append(at)
    return dict(found)


# Advisory locks that serialize unique decisions between processes (PostgreSQL). Every
# writer takes the key for all visitors first, shared when it then locks its visitors one
# by one, exclusive when it has too many visitors for that (the lock table is shared by
# every connection and holds 64 x max_connections entries by default).
_LOCK_SPACE = b"perfluence.clicks.unique"
VISITOR_LOCKS_MAX = 256


def _lock_key(material: bytes) -> int:
    digest = hashlib.blake2b(material, digest_size=8, person=_LOCK_SPACE[:16]).digest()
    return int.from_bytes(digest, "big", signed=True)


# Even, while every visitor key is odd: the two kinds never meet.
_ALL_VISITORS_KEY = _lock_key(b"all visitors") & ~1


def visitor_lock_key(link_id: int, visitor_hash: str) -> int:
    """The advisory lock key of one (link, visitor): a signed 64-bit hash, always odd."""
    return _lock_key(f"{link_id}:{visitor_hash}".encode()) | 1


def lock_visitors(conn: Connection, keys: Iterable[tuple[int, str]]) -> None:
    """Hold, until the transaction ends, the right to decide these visitors' unique flags.

    On PostgreSQL several processes write clicks at once: two of them must not
    both read the history of the same (link, visitor) before either commits.
    A ``pg_advisory_xact_lock`` per key, taken in sorted order (so two writers
    never wait on each other in a circle), makes the second wait until the
    first has committed; its look-back then sees the first's clicks. SQLite
    has one writer, which needs no lock.
    """
    if conn.dialect.name != "postgresql":
        return
    wanted = sorted({visitor_lock_key(link_id, hash_) for link_id, hash_ in keys})
    if not wanted:
        return
    if len(wanted) > VISITOR_LOCKS_MAX:
        conn.exec_driver_sql("SELECT pg_advisory_xact_lock(%s)", (_ALL_VISITORS_KEY,))
        return
    conn.exec_driver_sql("SELECT pg_advisory_xact_lock_shared(%s)", (_ALL_VISITORS_KEY,))
    # unnest() yields the array in order, so the locks are taken in that order.
    conn.exec_driver_sql(
        "SELECT count(pg_advisory_xact_lock(key)) FROM unnest(%s::bigint[]) AS key", (wanted,)
    )


def existing_link_ids(conn: Connection, link_ids: Iterable[int]) -> set[int]:
    """Which of these tracking links still exist (a link can be deleted while clicks wait)."""
    wanted = sorted(set(link_ids))
    if not wanted:
        return set()
    stmt = select(tracking_links.c.id).where(tracking_links.c.id.in_(wanted))
    return {int(link_id) for link_id in conn.execute(stmt).scalars()}


def count_clicks(conn: Connection) -> int:
    return int(conn.execute(select(func.count()).select_from(clicks)).scalar_one())
