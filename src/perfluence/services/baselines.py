"""Baseline series and lift: import a daily series, compare a campaign with its baseline.

A series is either imported (``import_baseline_csv``: columns ``date,value``,
all rows or none) or derived from the store (``sales`` and ``leads``: the
workspace's conversions per day). An imported series of the same name wins
over the derived one. The statistics are ``core.lift``; ``docs/insights.md``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Final

from perfluence.analytics import baseline as bq
from perfluence.analytics import campaign_roster as roster_q
from perfluence.core.csvrows import CsvRow, RowErrors
from perfluence.core.lift import LiftResult, estimate_lift
from perfluence.errors import ErrorCode, PerfluenceError
from perfluence.services import imports
from perfluence.services.context import Context
from perfluence.store.workspaces import find_workspace

DEFAULT_BASELINE_DAYS: Final = 56
MAX_BASELINE_DAYS: Final = 730
_SERIES_NAME: Final = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")


def _series_name(series: str) -> str:
    name = series.strip().lower()
    if not _SERIES_NAME.match(name):
        raise PerfluenceError(
            ErrorCode.INVALID,
            f"series name {series!r}: use 1-64 of a-z, 0-9, - and _ (starting with a letter "
            "or digit)",
            field="series",
        )
    return name


def _workspace_id(ctx: Context, slug: str) -> int:
    with ctx.engine.connect() as conn:
        found = find_workspace(conn, slug)
    if found is None:
        raise PerfluenceError(ErrorCode.NOT_FOUND, f"workspace {slug!r} not found")
    return found.id


def baseline_lift(
    ctx: Context,
    workspace: str,
    campaign: str,
    series: str = "sales",
    *,
    baseline_days: int = DEFAULT_BASELINE_DAYS,
) -> LiftResult:
    """Lift of ``series`` over the campaign's days against the ``baseline_days`` before it.

    Campaign days run from the first day to the last, or to yesterday while
    the campaign runs (today is not complete).
    """
    name = _series_name(series)
    if not 14 <= baseline_days <= MAX_BASELINE_DAYS:
        raise PerfluenceError(
            ErrorCode.INVALID,
            f"baseline_days must be 14 to {MAX_BASELINE_DAYS}, not {baseline_days}",
            field="baseline_days",
        )
    with ctx.engine.connect() as conn:
        found = find_workspace(conn, workspace)
        if found is None:
            raise PerfluenceError(ErrorCode.NOT_FOUND, f"workspace {workspace!r} not found")
        campaigns = roster_q.fetch_campaigns(conn, found.id, campaign)
        if not campaigns:
            raise PerfluenceError(
                ErrorCode.NOT_FOUND, f"campaign {campaign!r} not found in workspace {workspace!r}"
            )
        c = campaigns[0]
        last = min(c.ends_on, ctx.now().date() - timedelta(days=1))
        before = bq.SeriesParams(
            found.id, name, c.starts_on - timedelta(days=baseline_days), c.starts_on - timedelta(1)
        )
        during = bq.SeriesParams(found.id, name, c.starts_on, last)
        if bq.imported_series_exists(conn, found.id, name):
            label = f"{name} (imported)"
            baseline = bq.fetch_imported_series(conn, before)
            actual = bq.fetch_imported_series(conn, during) if last >= c.starts_on else {}
        elif name in bq.STORE_SERIES:
            label = f"{name} (from the store)"
            first = bq.first_event_day(conn, found.id)
            start = before.first_day if first is None else max(before.first_day, first)
            baseline = bq.fetch_store_series(
                conn, bq.SeriesParams(found.id, name, start, before.last_day)
            )
            actual = bq.fetch_store_series(conn, during) if last >= c.starts_on else {}
        else:
            known = ", ".join(sorted(bq.STORE_SERIES))
            raise PerfluenceError(
                ErrorCode.NOT_FOUND,
                f"no series {name!r}: import it with `perfluence insights baseline-import` "
                f"or use one the store derives ({known})",
                field="series",
            )
    return estimate_lift(label, baseline, actual)


def _read_day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise PerfluenceError(ErrorCode.INVALID, f"{text!r} is not a date (YYYY-MM-DD)") from None


def _read_value(text: str) -> Decimal:
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise PerfluenceError(ErrorCode.INVALID, f"{text!r} is not a number") from None
    if not value.is_finite():
        raise PerfluenceError(ErrorCode.INVALID, f"{text!r} is not a finite number")
    return value


def _read_line(row: CsvRow, errors: RowErrors) -> tuple[int, date, Decimal] | None:
    day = errors.check(row, "date", _read_day)
    value = errors.check(row, "value", _read_value)
    if day is None or value is None:
        return None
    return row.number, day, value


def import_baseline_csv(
    ctx: Context,
    workspace: str,
    series: str,
    path: Path | str,
    *,
    progress: imports.Progress | None = None,
) -> int:
    """Import daily values of ``series`` (columns ``date,value``); return the days written.

    All rows or none: every problem is reported with its row and column
    (``import_failed``). A day already stored for the series is replaced.
    """
    name = _series_name(series)
    workspace_id = _workspace_id(ctx, workspace)
    data, source = imports.read_file(path)
    lines, errors = imports.validate_rows(
        data,
        source=source,
        required=("date", "value"),
        optional=(),
        validate_row=_read_line,
        progress=progress,
    )
    seen: dict[date, int] = {}
    for number, day, _ in lines:
        if day in seen:
            errors.add(number, "date", day.isoformat(), f"{day} is also on row {seen[day]}")
        seen.setdefault(day, number)
    if not lines and not errors:
        errors.add(None, None, None, "the file has no rows")
    errors.raise_if_any(source)
    values = [(day, value) for _, day, value in lines]
    with ctx.engine.begin() as conn:

        def write(chunk: Sequence[tuple[date, Decimal]]) -> None:
            bq.replace_imported_days(conn, workspace_id, name, chunk, ctx.now())

        imports.write_in_steps(values, write, progress)
    return len(values)
