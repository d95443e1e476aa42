"""ECB reference rates (``fx_rates``): one row per (date, currency), 1 EUR = rate × currency."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, func, select
from sqlalchemy.dialects import postgresql, sqlite

from perfluence.store.tables import fx_rates

# Three bind parameters a row: far below SQLite's and PostgreSQL's limits.
BATCH_SIZE = 1_000

RateKey = tuple[date, str]


def _insert_for(conn: Connection) -> Any:
    """The dialect's INSERT that knows ON CONFLICT (both dialects spell it the same way)."""
    if conn.dialect.name == "postgresql":
        return postgresql.insert(fx_rates)
    if conn.dialect.name == "sqlite":
        return sqlite.insert(fx_rates)
    raise NotImplementedError(f"fx rate upsert is not written for {conn.dialect.name}")


def upsert_rates(conn: Connection, rates: Sequence[tuple[date, str, Decimal]]) -> None:
    """Insert rates; a rate already stored for the same (date, currency) is replaced."""
    if not rates:
        return
    stmt = _insert_for(conn)
    stmt = stmt.on_conflict_do_update(
        index_elements=[fx_rates.c.rate_date, fx_rates.c.currency],
        set_={"rate": stmt.excluded.rate},
    )
    for start in range(0, len(rates), BATCH_SIZE):
        batch = rates[start : start + BATCH_SIZE]
        conn.execute(stmt, [{"rate_date": d, "currency": c, "rate": r} for d, c, r in batch])


def rates_between(
    conn: Connection, currencies: Collection[str] | None, start: date | None, end: date | None
) -> dict[RateKey, Decimal]:
    """Stored rates in [start, end] (either open), for the currencies given (None: all)."""
    query = select(fx_rates.c.rate_date, fx_rates.c.currency, fx_rates.c.rate)
    if currencies is not None:
        query = query.where(fx_rates.c.currency.in_(sorted(currencies)))
    if start is not None:
        query = query.where(fx_rates.c.rate_date >= start)
    if end is not None:
        query = query.where(fx_rates.c.rate_date <= end)
    return {(row.rate_date, row.currency): row.rate for row in conn.execute(query)}


def rate_coverage(conn: Connection) -> list[tuple[str, date, date, int]]:
    """Per currency: first date, last date and number of rates stored."""
    query = (
        select(
            fx_rates.c.currency,
            func.min(fx_rates.c.rate_date),
            func.max(fx_rates.c.rate_date),
            func.count(),
        )
        .group_by(fx_rates.c.currency)
        .order_by(fx_rates.c.currency)
    )
    return [(cur, first, last, int(n)) for cur, first, last, n in conn.execute(query)]
