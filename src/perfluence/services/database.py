"""Schema management as a use case, so shells never touch the store directly."""

from __future__ import annotations

from perfluence.services.context import Context
from perfluence.store import migrate


def upgrade(ctx: Context, revision: str = "head") -> str | None:
    """Bring the schema to ``revision``; return the revision now in place."""
    migrate.upgrade(ctx.engine, revision)
    return migrate.current_revision(ctx.engine)


def status(ctx: Context) -> tuple[str | None, str | None]:
    """(current revision, newest available revision)."""
    return migrate.current_revision(ctx.engine), migrate.head_revision()
