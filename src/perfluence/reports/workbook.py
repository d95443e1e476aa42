"""The XLSX workbook of a report: a sheet per table, headers in the report language.

Cells hold numbers with number formats (money to the currency's minor unit,
percentages, whole counts) so a spreadsheet can sum and chart them; a KPI
with a zero denominator is an empty cell. Values are rounded like the CSV's
before they are written, so the workbook never shows more than the CSV holds.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from xlsxwriter.workbook import Workbook  # type: ignore[import-untyped]
from xlsxwriter.worksheet import Worksheet  # type: ignore[import-untyped]

from perfluence.core.campaign_report import KpiFigures, KpiRatios
from perfluence.core.kpis import NotAvailable
from perfluence.core.money import Money
from perfluence.reports.i18n import Texts
from perfluence.reports.model import Report, ReportValue, ValueKind

_PLACES = Decimal("0.000001")


class _Formats:
    def __init__(self, book: Workbook, currency_digits: int) -> None:
        money = "#,##0" + ("." + "0" * currency_digits if currency_digits else "")
        self.header = book.add_format({"bold": True, "bottom": 1})
        self.by_kind = {
            ValueKind.COUNT: book.add_format({"num_format": "#,##0"}),
            ValueKind.NUMBER: book.add_format({"num_format": "0.00"}),
            ValueKind.FRACTION: book.add_format({"num_format": "0.00%"}),
            ValueKind.PERCENT: book.add_format({"num_format": "0.0"}),
            ValueKind.MONEY: book.add_format({"num_format": money}),
            ValueKind.TEXT: book.add_format({}),
        }


def _cell(sheet: Worksheet, row: int, col: int, value: Any, kind: ValueKind, f: _Formats) -> None:
    if value is None or isinstance(value, NotAvailable):
        sheet.write_blank(row, col, None, f.by_kind[kind])
    elif isinstance(value, Money):
        sheet.write_number(row, col, value.quantize().amount, f.by_kind[ValueKind.MONEY])
    elif isinstance(value, bool):
        sheet.write_boolean(row, col, value)
    elif isinstance(value, int):
        sheet.write_number(row, col, value, f.by_kind[kind])
    elif isinstance(value, Decimal):
        sheet.write_number(row, col, value.quantize(_PLACES, ROUND_HALF_UP), f.by_kind[kind])
    else:
        sheet.write_string(row, col, str(value))


Column = tuple[str, ValueKind, Callable[[Any], Any]]


def _table(
    book: Workbook, name: str, columns: Sequence[Column], items: Sequence[Any], f: _Formats
) -> None:
    sheet = book.add_worksheet(name)
    for col, (title, _, _) in enumerate(columns):
        sheet.write_string(0, col, title, f.header)
        sheet.set_column(col, col, 14 if col else 24)
    for row, item in enumerate(items, start=1):
        for col, (_, kind, get) in enumerate(columns):
            _cell(sheet, row, col, get(item), kind, f)
    sheet.freeze_panes(1, 1)


def _kpi_columns(t: Texts) -> list[Column]:
    def fig(name: str) -> Callable[[tuple[KpiFigures, KpiRatios]], Any]:
        return lambda pair: getattr(pair[0], name)

    def ratio(name: str) -> Callable[[tuple[KpiFigures, KpiRatios]], Any]:
        return lambda pair: getattr(pair[1], name)

    count, money = ValueKind.COUNT, ValueKind.MONEY
    return [
        (t("metric.followers"), count, fig("followers")),
        (t("metric.impressions"), count, fig("impressions")),
        (t("metric.reach"), count, fig("reach")),
        (t("metric.engagements"), count, fig("engagements")),
        (t("metric.engagement_rate"), ValueKind.FRACTION, ratio("engagement_rate_by_followers")),
        (t("metric.clicks"), count, fig("human_clicks")),
        (t("metric.unique_clicks"), count, fig("unique_clicks")),
        (t("metric.ctr"), ValueKind.FRACTION, ratio("ctr")),
        (t("metric.sales"), count, fig("sales")),
        (t("metric.leads"), count, fig("leads")),
        (t("metric.conversions"), count, fig("conversions")),
        (t("metric.conversion_rate"), ValueKind.FRACTION, ratio("conversion_rate")),
        (t("metric.revenue"), money, fig("revenue")),
        (t("metric.refunds"), money, fig("refunds")),
        (t("metric.cost"), money, fig("cost")),
        (t("metric.cpc"), money, ratio("cpc")),
        (t("metric.cpa"), money, ratio("cpa")),
        (t("metric.roas"), ValueKind.NUMBER, ratio("roas")),
        (t("metric.roi") + " %", ValueKind.PERCENT, ratio("roi_percent")),
        (t("metric.emv"), money, ratio("emv")),
    ]


def _summary(book: Workbook, r: Report, t: Texts, f: _Formats) -> None:
    sheet = book.add_worksheet(t("section.summary"))
    sheet.set_column(0, 0, 34)
    sheet.set_column(1, 3, 18)
    lines: list[tuple[str, ReportValue, ValueKind]] = [
        (t("report.title"), r.campaign_name, ValueKind.TEXT),
        (t("field.goal"), t(f"goal.{r.goal}"), ValueKind.TEXT),
        (t("field.period"), f"{r.starts_on.isoformat()} – {r.ends_on.isoformat()}", ValueKind.TEXT),
        (t("field.currency"), r.currency, ValueKind.TEXT),
        (t("field.budget"), r.budget, ValueKind.MONEY),
        (t("field.budget_used"), r.budget_used, ValueKind.FRACTION),
    ]
    row = 0
    for label, value, kind in lines:
        sheet.write_string(row, 0, label, f.header if row == 0 else None)
        _cell(sheet, row, 1, value, kind, f)
        row += 1
    row += 1
    for col, key in enumerate(("column.metric", "column.target", "column.actual")):
        sheet.write_string(row, col, t(key), f.header)
    for check in r.targets:
        row += 1
        sheet.write_string(row, 0, t(f"metric.{check.metric}"))
        _cell(sheet, row, 1, check.target, check.kind, f)
        _cell(sheet, row, 2, check.actual, check.kind, f)
    row += 2
    sheet.write_string(row, 0, t("section.kpis"), f.header)
    for title, kind, get in _kpi_columns(t):
        row += 1
        sheet.write_string(row, 0, title)
        _cell(sheet, row, 1, get((r.totals, r.total_ratios)), kind, f)
    sheet.write_string(row + 2, 0, t("report.hash"))
    sheet.write_string(row + 2, 1, r.report_hash)


def write_workbook(book: Workbook, r: Report) -> None:
    t = Texts(r.lang)
    f = _Formats(book, r.budget.exponent)
    _summary(book, r, t, f)
    creator_rows = [(c, (c.figures, c.ratios)) for c in r.creators]
    kpis = _kpi_columns(t)
    _table(
        book,
        t("section.creators"),
        [
            (t("column.creator"), ValueKind.TEXT, lambda x: x[0].handle),
            (t("column.tier"), ValueKind.TEXT, lambda x: t(f"tier.{x[0].tier.value}")),
            (t("column.platform"), ValueKind.TEXT, lambda x: x[0].platform or ""),
            *((title, kind, lambda x, g=get: g(x[1])) for title, kind, get in kpis),
        ],
        creator_rows,
        f,
    )
    _table(
        book,
        t("section.tiers"),
        [
            (t("column.tier"), ValueKind.TEXT, lambda x: t(f"tier.{x.tier.value}")),
            (t("field.creators"), ValueKind.COUNT, lambda x: x.creators),
            *(
                (title, kind, lambda x, g=get: g((x.figures, x.ratios)))
                for title, kind, get in kpis
            ),
        ],
        r.tiers,
        f,
    )
    _table(
        book,
        t("column.day"),
        [
            (t("column.day"), ValueKind.TEXT, lambda d: d.day.isoformat()),
            (t("metric.clicks"), ValueKind.COUNT, lambda d: d.clicks),
            (t("metric.unique_clicks"), ValueKind.COUNT, lambda d: d.unique_clicks),
            (t("metric.conversions"), ValueKind.COUNT, lambda d: d.conversions),
            (t("metric.revenue"), ValueKind.MONEY, lambda d: d.revenue),
        ],
        r.days,
        f,
    )
    _table(
        book,
        t("section.funnel"),
        [
            (t("column.step"), ValueKind.TEXT, lambda s: t(f"metric.{s.key}")),
            (t("column.count"), ValueKind.COUNT, lambda s: s.count),
            (t("column.rate"), ValueKind.FRACTION, lambda s: s.rate),
        ],
        r.funnel,
        f,
    )
