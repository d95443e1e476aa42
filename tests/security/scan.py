"""Look for values anywhere in the database: every column of every table, as the schema is now.

The tables are reflected from the database (not taken from ``tables.py``), so a
table or column added later is searched too.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable

from sqlalchemy import Engine, MetaData, select


def _as_text(value: object) -> str:
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False, default=str)
    return str(value)


def dump(engine: Engine) -> dict[str, list[tuple[str, ...]]]:
    """Every row of every table as text, sorted: two dumps are equal when nothing changed."""
    reflected = MetaData()
    with engine.connect() as conn:
        reflected.reflect(conn)
        return {
            table.name: sorted(
                tuple(_as_text(v) for v in row) for row in conn.execute(select(table))
            )
            for table in reflected.sorted_tables
        }


def find(engine: Engine, needles: Iterable[str]) -> list[tuple[str, str, str]]:
    """``(table, column, needle)`` for each column holding a needle (case-insensitive)."""
    wanted = [n for n in needles if n]
    reflected = MetaData()
    hits: set[tuple[str, str, str]] = set()
    with engine.connect() as conn:
        reflected.reflect(conn)
        for table in reflected.sorted_tables:
            for row in conn.execute(select(table)):
                for column, value in zip(table.columns, row, strict=True):
                    if value is None:
                        continue
                    text = _as_text(value).lower()
                    hits.update((table.name, column.name, n) for n in wanted if n.lower() in text)
    return sorted(hits)


def sha256(text: str) -> str:
    return hashlib.sha256(text.strip().lower().encode()).hexdigest()
