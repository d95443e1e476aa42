"""The report as data: one long CSV for machines, an XLSX workbook for people with a spreadsheet.

CSV is the canonical form (and what the report hash covers): columns
``section,item,metric,value,unit`` in a fixed order, rows in report order,
``.`` as the decimal separator, ISO dates, money rounded to the currency's
minor unit, ratios to six decimals, ``NA`` where a KPI has a zero denominator,
``\\n`` line ends, UTF-8 without BOM, whatever the report language. The last row
is the hash of every row before it (``reports.hashing``).

XLSX has a sheet per table (summary, creators, tiers, days, funnel) with
number formats; its file properties carry a fixed date, so the same report
gives the same bytes.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import fields
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Final

import xlsxwriter  # type: ignore[import-untyped]

from perfluence.core.campaign_report import KpiFigures, KpiRatios
from perfluence.core.kpis import NotAvailable
from perfluence.core.money import Money
from perfluence.reports.model import Report, ReportValue
from perfluence.reports.workbook import write_workbook

COLUMNS: Final = ("section", "item", "metric", "value", "unit")
NOT_AVAILABLE: Final = "NA"
RATIO_PLACES: Final = Decimal("0.000001")
HASH_METRIC: Final = "report_hash"
# The workbook's "created" property: fixed, so equal reports give equal bytes.
WORKBOOK_DATE: Final = datetime(2000, 1, 1)

CsvRow = tuple[str, str, str, str, str]
_DERIVED_COUNTS: Final = ("engagements", "human_clicks", "conversions")


def _machine_number(value: int | Decimal) -> str:
    if isinstance(value, int) or value == value.to_integral_value():
        return f"{Decimal(value).quantize(Decimal(1)):f}"  # a whole count stays whole
    return f"{value.quantize(RATIO_PLACES, rounding=ROUND_HALF_UP):f}"


def machine_value(value: ReportValue | date | bool | None) -> tuple[str, str]:
    """(value, unit) as the CSV writes them, independent of any locale."""
    text: str
    if value is None:
        text = ""
    elif isinstance(value, NotAvailable):
        text = NOT_AVAILABLE
    elif isinstance(value, bool):
        text = "true" if value else "false"
    elif isinstance(value, Money):
        return f"{value.quantize().amount:f}", value.currency
    elif isinstance(value, int | Decimal):
        text = _machine_number(value)
    elif isinstance(value, date):
        text = value.isoformat()
    else:
        text = value
    return text, ""


def _row(section: str, item: str, metric: str, value: ReportValue | date | bool | None) -> CsvRow:
    text, unit = machine_value(value)
    return (section, item, metric, text, unit)


def figure_items(figures: KpiFigures) -> Iterator[tuple[str, ReportValue]]:
    for f in fields(figures):
        yield f.name, getattr(figures, f.name)
    for name in _DERIVED_COUNTS:
        yield name, getattr(figures, name)
    yield "revenue", figures.revenue


def ratio_items(ratios: KpiRatios) -> Iterator[tuple[str, ReportValue]]:
    for f in fields(ratios):
        yield f.name, getattr(ratios, f.name)


def _meta_rows(r: Report) -> Iterator[CsvRow]:
    meta: list[tuple[str, ReportValue | date | None]] = [
        ("campaign", r.campaign_slug),
        ("name", r.campaign_name),
        ("goal", r.goal),
        ("language", r.lang),
        ("currency", r.currency),
        ("source_currency", r.fx.source_currency),
        ("fx_rate", r.fx.rate),
        ("fx_rate_date", r.fx.rate_date),
        ("starts_on", r.starts_on),
        ("ends_on", r.ends_on),
        ("as_of", r.as_of),
        ("duration_days", r.duration_days),
        ("budget", r.budget),
        ("budget_used", r.budget_used),
    ]
    for name, value in meta:
        yield _row("meta", "", name, value)
    for i, note in enumerate(r.fx.notes, start=1):
        yield _row("meta", str(i), "fx_note", note)


def _finding_rows(section: str, r: Report) -> Iterator[CsvRow]:
    found = r.recommendations if section == "recommendation" else r.learnings
    for i, finding in enumerate(found, start=1):
        yield _row(section, str(i), "key", finding.key)
        for name in sorted(finding.params):
            yield _row(section, str(i), name, finding.params[name])


def _kpi_rows(r: Report) -> Iterator[CsvRow]:
    for name, value in (*figure_items(r.totals), *ratio_items(r.total_ratios)):
        yield _row("total", "", name, value)
    for name, value in figure_items(r.campaign_level):
        yield _row("campaign_level", "", name, value)
    for c in r.creators:
        yield _row("creator", c.handle, "name", c.name)
        yield _row("creator", c.handle, "tier", c.tier.value)
        yield _row("creator", c.handle, "platform", c.platform)
        yield _row("creator", c.handle, "payment_model", c.payment_model)
        for name, value in (*figure_items(c.figures), *ratio_items(c.ratios)):
            yield _row("creator", c.handle, name, value)
    for t in r.tiers:
        yield _row("tier", t.tier.value, "creators", t.creators)
        for name, value in (*figure_items(t.figures), *ratio_items(t.ratios)):
            yield _row("tier", t.tier.value, name, value)


def _series_rows(r: Report) -> Iterator[CsvRow]:
    for step in r.funnel:
        yield _row("funnel", step.key, "count", step.count)
        if step.rate_key is not None:
            yield _row("funnel", step.key, step.rate_key, step.rate)
    for d in r.days:
        day = d.day.isoformat()
        yield _row("day", day, "clicks", d.clicks)
        yield _row("day", day, "unique_clicks", d.unique_clicks)
        yield _row("day", day, "conversions", d.conversions)
        yield _row("day", day, "revenue", d.revenue)


def data_rows(r: Report) -> Iterator[CsvRow]:
    """Every figure of the report as (section, item, metric, value, unit), in report order."""
    yield from _meta_rows(r)
    for check in r.targets:
        yield _row("target", check.metric, "target", check.target)
        yield _row("target", check.metric, "actual", check.actual)
        yield _row("target", check.metric, "met", check.met)
    yield from _kpi_rows(r)
    yield from _series_rows(r)
    yield from _finding_rows("recommendation", r)
    yield from _finding_rows("learning", r)
    for s in r.sections:
        for i, cells in enumerate(s.rows, start=1):
            for column, value in zip(s.columns, cells, strict=True):
                yield _row(s.key, str(i), column.removeprefix("column."), value)


def _csv_text(rows: Iterator[CsvRow] | list[CsvRow]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerows(rows)
    return out.getvalue()


def canonical_csv(r: Report) -> bytes:
    """Header and data rows without the hash row: what the report hash is computed over."""
    return _csv_text([COLUMNS, *data_rows(r)]).encode("utf-8")


def render_csv(r: Report) -> bytes:
    """The canonical CSV followed by one row carrying the report hash."""
    hash_row = _csv_text([("meta", "", HASH_METRIC, r.report_hash, "sha256")])
    return canonical_csv(r) + hash_row.encode("utf-8")


def render_xlsx(r: Report) -> bytes:
    out = io.BytesIO()
    book = xlsxwriter.Workbook(out, {"in_memory": True})
    book.set_properties({"created": WORKBOOK_DATE, "title": r.campaign_name})
    write_workbook(book, r)
    book.close()
    return out.getvalue()
