"""Retention: raw data past its time is deleted; figures derived from it stay.

What goes (``perfluence retention run``, from cron or a systemd timer):

- raw click rows older than ``PERFLUENCE_RETENTION_CLICKS_DAYS``, never fewer
  days than the longest attribution window of the workspace's campaigns (a
  conversion arriving today can still be attributed to any click inside its
  window), and never the clicks of capped links (the cap counts them);
- sessions past their expiry;
- audit entries older than ``PERFLUENCE_RETENTION_AUDIT_DAYS`` (when set).

What stays: hourly click rollups (every click KPI and per-click payout reads
them), conversions, credits, ledger lines, statements. Deletes run in batches,
one transaction each, so the click writer is never kept waiting for long.
Webhook bodies are never stored, so there are none to expire.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Final

from perfluence.errors import ErrorCode, PerfluenceError
from perfluence.services import audit
from perfluence.services.audit import AuditAction
from perfluence.services.context import Context
from perfluence.store import audit as audit_repo
from perfluence.store import retention as repo
from perfluence.store.conversion_evidence import longest_window_days
from perfluence.store.users import count_expired_sessions, delete_expired_sessions

DEFAULT_BATCH: Final = 5_000
MAX_BATCH: Final = 100_000


@dataclass(frozen=True, slots=True)
class Purge:
    """Rows of one table (and workspace) older than ``before``: deleted, or to be."""

    table: str
    workspace: str | None
    before: datetime
    rows: int
    kept_days: int | None = None


@dataclass(frozen=True, slots=True)
class RetentionReport:
    dry_run: bool
    purges: tuple[Purge, ...]

    @property
    def total(self) -> int:
        return sum(p.rows for p in self.purges)


def _click_purges(ctx: Context, dry_run: bool, batch: int) -> list[Purge]:
    days = ctx.settings.retention_clicks_days
    if days == 0:
        return []
    now = ctx.now()
    found: list[Purge] = []
    with ctx.engine.connect() as conn:
        spaces = [(i, s, longest_window_days(conn, i)) for i, s in repo.workspace_ids(conn)]
    for workspace_id, slug, window in spaces:
        kept = max(days, window)
        before = now - timedelta(days=kept)
        if dry_run:
            with ctx.engine.connect() as conn:
                rows = repo.count_old_clicks(conn, workspace_id, before)
        else:
            rows = 0
            while True:
                with ctx.engine.begin() as conn:
                    done = repo.delete_old_clicks(conn, workspace_id, before, batch)
                rows += done
                if done < batch:
                    break
        found.append(Purge("clicks", slug, before, rows, kept))
    return found


def _session_purge(ctx: Context, dry_run: bool) -> Purge:
    now = ctx.now()
    with ctx.engine.begin() as conn:
        rows = count_expired_sessions(conn, now) if dry_run else delete_expired_sessions(conn, now)
    return Purge("sessions", None, now, rows)


def _audit_purge(ctx: Context, dry_run: bool, batch: int) -> list[Purge]:
    days = ctx.settings.retention_audit_days
    if days == 0:
        return []
    before = ctx.now() - timedelta(days=days)
    if dry_run:
        with ctx.engine.connect() as conn:
            return [
                Purge("audit_log", None, before, audit_repo.count_older_than(conn, before), days)
            ]
    rows = 0
    while True:
        with ctx.engine.begin() as conn:
            done = audit_repo.delete_older_than(conn, before, batch)
        rows += done
        if done < batch:
            break
    return [Purge("audit_log", None, before, rows, days)]


def run_retention(
    ctx: Context,
    *,
    dry_run: bool = False,
    batch_size: int = DEFAULT_BATCH,
    actor: str = audit.CLI_ACTOR,
) -> RetentionReport:
    """Delete (or, with ``dry_run``, count) what is past its retention; see the module doc."""
    if not 1 <= batch_size <= MAX_BATCH:
        raise PerfluenceError(
            ErrorCode.INVALID,
            f"the batch size must be 1-{MAX_BATCH}, not {batch_size}",
            field="batch_size",
        )
    purges = [
        *_click_purges(ctx, dry_run, batch_size),
        _session_purge(ctx, dry_run),
        *_audit_purge(ctx, dry_run, batch_size),
    ]
    report = RetentionReport(dry_run, tuple(purges))
    if not dry_run:
        details: dict[str, object] = {"total": report.total}
        for purge in purges:
            key = purge.table if purge.workspace is None else f"{purge.table}:{purge.workspace}"
            details[key] = purge.rows
        audit.record_now(ctx, AuditAction.RETENTION_RUN, "retention", actor=actor, details=details)
    return report
