"""What "nothing stored, nothing changed" means in a test: every table's rows, hashed."""

from __future__ import annotations

import hashlib

from sqlalchemy import Engine, select

from perfluence.store.tables import metadata


def fingerprint(engine: Engine) -> dict[str, str]:
    """Per table: row count and a hash of every row (ordered by primary key)."""
    out: dict[str, str] = {}
    with engine.connect() as conn:
        for table in metadata.sorted_tables:
            order = list(table.primary_key.columns) or list(table.columns)
            rows = conn.execute(select(table).order_by(*order)).all()
            digest = hashlib.sha256(repr([tuple(r) for r in rows]).encode()).hexdigest()[:16]
            out[table.name] = f"{len(rows)}:{digest}"
    return out


def changed_tables(before: dict[str, str], after: dict[str, str]) -> set[str]:
    return {name for name in before if before[name] != after.get(name)}
