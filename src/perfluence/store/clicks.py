"""Click rows: idempotent batch insert and the look-back the unique rule needs.

Two inserts. ``insert_new_clicks`` is the writer's fast path: one INSERT
compiled once per dialect and handed to the driver's ``executemany`` with
plain tuples (SQLAlchemy's per-row parameter building cost twice the insert
itself), and it fails with ``ClicksAlreadyStoredError`` when any click id was
stored before. ``insert_clicks`` tells exactly which rows were inserted
(``RETURNING``); the writer uses it when the fast path fails, which only
happens when clicks are written twice (a replay after a crash).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from itertools import chain
from typing import Any

from sqlalchemy import Connection, Dialect, Insert, bindparam, case, func, select
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
"""The order of the values in a click row tuple (``insert_new_clicks``)."""

ClickRow = tuple[Any, ...]


class ClicksAlreadyStoredError(Exception):
    """Some rows of a batch had a click id stored before; the transaction must be rolled back."""


# Rows per INSERT statement, largest first. One statement of many rows instead of an
# executemany of one-row statements: SQLite's driver lets go of the interpreter lock around
# every statement it steps, and with the event loop on the same core each of those hand-offs
# costs a thread switch. 256 rows x 13 values stays under every bound-parameter limit; the
# few statement shapes stay in the driver's statement cache.
_ROWS_PER_STATEMENT = (256, 32, 4, 1)


@dataclass(frozen=True)
class _CompiledInsert:
    sql_for_rows: dict[int, str]
    # (position, bind processor) of the columns whose values the dialect converts.
    processors: tuple[tuple[int, Callable[[Any], Any]], ...]


_compiled_inserts: dict[str, _CompiledInsert] = {}


def _utc_text(general: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """``UTCDateTime``'s SQLite text for a UTC time, at a quarter of the general conversion.

    The column holds the naive UTC time in ISO form; a time whose zone is UTC
    already is that text followed by "+00:00". Any other value takes the
    general way (tests check that both agree).
    """

    def convert(value: Any) -> Any:
        if type(value) is datetime and value.tzinfo is UTC:
            return value.isoformat(" ", "microseconds")[:-6]
        return general(value)

    return convert


def _compiled_insert(dialect: Dialect) -> _CompiledInsert:
    compiled = _compiled_inserts.get(dialect.name)
    if compiled is None:
        if dialect.name not in {"sqlite", "postgresql"}:
            raise NotImplementedError(f"no idempotent click insert for {dialect.name}")
        quote = dialect.identifier_preparer.quote
        marker = "?" if dialect.paramstyle == "qmark" else "%s"
        names = ", ".join(quote(name) for name in CLICK_COLUMNS)
        values = "(" + ", ".join(marker for _ in CLICK_COLUMNS) + ")"
        table = dialect.identifier_preparer.format_table(clicks)
        conflict = f"ON CONFLICT ({quote('click_id')}) DO NOTHING"
        # Only names from the table's metadata, quoted by the dialect; values are bound.
        sql_for_rows = {
            n: f"INSERT INTO {table} ({names}) VALUES {', '.join([values] * n)} {conflict}"  # noqa: S608
            for n in _ROWS_PER_STATEMENT
        }
        processors = []
        for position, name in enumerate(CLICK_COLUMNS):
            processor: Callable[[Any], Any] | None = (
                clicks.c[name].type.dialect_impl(dialect).bind_processor(dialect)
            )
            if name == "occurred_at" and dialect.name == "sqlite" and processor is not None:
                processor = _utc_text(processor)
            if processor is not None:
                processors.append((position, processor))
        compiled = _compiled_inserts[dialect.name] = _CompiledInsert(
            sql_for_rows, tuple(processors)
        )
    return compiled


def insert_new_clicks(conn: Connection, rows: Sequence[ClickRow]) -> None:
    """Insert click rows (values in ``CLICK_COLUMNS`` order) that are all expected to be new.

    Raises ``ClicksAlreadyStoredError`` when the database skipped any row
    because its click id was already stored (``ON CONFLICT DO NOTHING``): the
    caller rolls back and uses ``insert_clicks``, which says which rows were new.
    """
    if not rows:
        return
    compiled = _compiled_insert(conn.dialect)
    width = len(CLICK_COLUMNS)
    flat = list(chain.from_iterable(rows))
    if len(flat) != width * len(rows):
        raise ValueError(f"click rows have {width} values each, in CLICK_COLUMNS order")
    # Column by column over the flat list: map() and slice assignment loop in C.
    for position, process in compiled.processors:
        flat[position::width] = map(process, flat[position::width])
    inserted = done = 0
    for size in _ROWS_PER_STATEMENT:
        sql = compiled.sql_for_rows[size]
        while len(rows) - done >= size:
            params = tuple(flat[done * width : (done + size) * width])
            inserted += conn.exec_driver_sql(sql, params).rowcount
            done += size
    if inserted != len(rows):
        raise ClicksAlreadyStoredError(f"{len(rows) - inserted} clicks were stored before")


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

    For a batch spanning ``[first, until]`` whose window starts at ``since``:
    the latest click in ``[since, first)`` (enough for every click of the
    batch, since any earlier click in its window is at most that one) and
    every click in ``[first, until]`` (rare: replayed or late clicks). One
    pass over ``ix_clicks_visitor`` (workspace_id, visitor_hash, occurred_at)
    finds both the latest earlier click and whether any click lies in the
    span; only the pairs that have one are read again for those clicks.
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


def existing_link_ids(conn: Connection, link_ids: Iterable[int]) -> set[int]:
    """Which of these tracking links still exist (a link can be deleted while clicks wait)."""
    wanted = sorted(set(link_ids))
    if not wanted:
        return set()
    stmt = select(tracking_links.c.id).where(tracking_links.c.id.in_(wanted))
    return {int(link_id) for link_id in conn.execute(stmt).scalars()}


def count_clicks(conn: Connection) -> int:
    return int(conn.execute(select(func.count()).select_from(clicks)).scalar_one())
