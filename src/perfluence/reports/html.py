"""The report as one self-contained HTML page (inline CSS and SVG, nothing fetched).

This module turns the report into strings in its language; the Jinja2
template only places them. The same page, printed by WeasyPrint, is the PDF.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from markupsafe import Markup

from perfluence.core.campaign_report import KpiFigures, KpiRatios
from perfluence.core.formatting import format_number
from perfluence.reports import charts
from perfluence.reports.i18n import Texts
from perfluence.reports.model import Report, ValueKind

TOP_CREATORS = 10


@cache
def _environment() -> Environment:
    return Environment(
        loader=PackageLoader("perfluence.reports", "templates"),
        autoescape=select_autoescape(["html"]),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


def _safe_svg(svg: str) -> Markup:
    # ``reports.charts`` escapes every text it puts into the SVG, so it can go in unescaped.
    return Markup(svg)  # noqa: S704


@dataclass(frozen=True, slots=True)
class Cell:
    text: str
    numeric: bool = True


def _kpi_cells(t: Texts, f: KpiFigures, k: KpiRatios) -> list[Cell]:
    lang = t.lang
    return [
        Cell(t.count(f.impressions)),
        Cell(t.count(f.human_clicks)),
        Cell(t.count(f.conversions)),
        Cell(t.money(f.revenue)),
        Cell(t.money(f.cost)),
        Cell(t.money(k.cpa)),
        Cell(format_number(k.roas, lang, 2)),
    ]


KPI_HEADERS = (
    "metric.impressions",
    "metric.clicks",
    "metric.conversions",
    "metric.revenue",
    "metric.cost",
    "metric.cpa",
    "metric.roas",
)


def _key_figures(t: Texts, r: Report) -> list[tuple[str, str]]:
    f, k = r.totals, r.total_ratios
    pairs: list[tuple[str, Any, ValueKind]] = [
        ("metric.revenue", f.revenue, ValueKind.MONEY),
        ("metric.cost", f.cost, ValueKind.MONEY),
        ("metric.roas", k.roas, ValueKind.NUMBER),
        ("metric.roi", k.roi_percent, ValueKind.PERCENT),
        ("metric.cpa", k.cpa, ValueKind.MONEY),
        ("metric.conversions", f.conversions, ValueKind.COUNT),
        ("metric.clicks", f.human_clicks, ValueKind.COUNT),
        ("metric.unique_clicks", f.unique_clicks, ValueKind.COUNT),
        ("metric.ctr", k.ctr, ValueKind.FRACTION),
        ("metric.conversion_rate", k.conversion_rate, ValueKind.FRACTION),
        ("metric.impressions", f.impressions, ValueKind.COUNT),
        ("metric.reach", f.reach, ValueKind.COUNT),
        ("metric.engagement_rate", k.engagement_rate_by_followers, ValueKind.FRACTION),
        ("metric.aov", k.aov, ValueKind.MONEY),
        ("metric.return_rate", k.return_rate, ValueKind.FRACTION),
        ("metric.emv", k.emv, ValueKind.MONEY),
    ]
    return [(t(key), t.value(value, kind)) for key, value, kind in pairs]


def _charts(t: Texts, r: Report) -> dict[str, Markup]:
    labels = [t.short_day(d.day) for d in r.days]
    peak_clicks = max((d.clicks for d in r.days), default=0)
    peak_revenue = max((d.revenue.amount for d in r.days), default=Decimal(0))
    top = r.creators[:TOP_CREATORS]
    return {
        "clicks": _safe_svg(
            charts.line_chart(
                t("chart.clicks_per_day"),
                labels,
                [
                    charts.Line(t("metric.clicks"), tuple(d.clicks for d in r.days)),
                    charts.Line(t("metric.unique_clicks"), tuple(d.unique_clicks for d in r.days)),
                ],
                t.count(peak_clicks),
                t("empty.timeseries"),
            )
        ),
        "revenue": _safe_svg(
            charts.line_chart(
                t("chart.revenue_per_day"),
                labels,
                [charts.Line(t("metric.revenue"), tuple(d.revenue.amount for d in r.days))],
                t.value(peak_revenue, ValueKind.COUNT),
                t("empty.timeseries"),
            )
        ),
        "funnel": _safe_svg(
            charts.bar_chart(
                t("chart.funnel"),
                [
                    charts.Bar(t(f"metric.{s.key}"), s.count, t.count(s.count))
                    for s in r.funnel
                    if s.key != "impressions"  # thousands of times the rest: bars would vanish
                ],
                t("empty.data"),
            )
        ),
        "tiers": _safe_svg(
            charts.bar_chart(
                t("chart.tiers"),
                [
                    charts.Bar(
                        t(f"tier.{row.tier.value}"),
                        row.figures.revenue.amount,
                        t.money(row.figures.revenue),
                    )
                    for row in r.tiers
                ],
                t("empty.data"),
            )
        ),
        "creators": _safe_svg(
            charts.bar_chart(
                t("chart.creators"),
                [
                    charts.Bar(c.handle, c.figures.revenue.amount, t.money(c.figures.revenue))
                    for c in top
                ],
                t("empty.data"),
            )
        ),
    }


def _targets(t: Texts, r: Report) -> list[dict[str, str]]:
    status = {True: "status.met", False: "status.missed", None: "status.na"}
    return [
        {
            "metric": t(f"metric.{c.metric}"),
            "target": t.value(c.target, c.kind),
            "actual": t.value(c.actual, c.kind),
            "status": t(status[c.met]),
            "class": {True: "met", False: "missed", None: "na"}[c.met],
        }
        for c in r.targets
    ]


def _duration(t: Texts, days: int) -> str:
    return t("duration.one" if days == 1 else "duration.other", days=t.count(days))


def _fx_text(t: Texts, r: Report) -> str:
    fx = r.fx
    if fx.rate is not None and fx.rate_date is not None:
        return t(
            "fx.converted",
            source=fx.source_currency,
            target=fx.currency,
            rate=format_number(fx.rate, t.lang, 6),
            date=t.day(fx.rate_date),
        )
    if fx.notes:
        return t("fx.mixed", currency=r.currency, date=t.day(r.as_of))
    return t("fx.none", currency=r.currency)


def _table_rows(t: Texts, r: Report) -> tuple[list[list[Cell]], list[list[Cell]]]:
    creators = [
        [
            Cell(c.handle, numeric=False),
            Cell(t(f"tier.{c.tier.value}"), numeric=False),
            *_kpi_cells(t, c.figures, c.ratios),
        ]
        for c in r.creators[:TOP_CREATORS]
    ]
    tiers = [
        [
            Cell(t(f"tier.{row.tier.value}"), numeric=False),
            Cell(t.count(row.creators)),
            *_kpi_cells(t, row.figures, row.ratios),
        ]
        for row in r.tiers
    ]
    return creators, tiers


def _sections(t: Texts, r: Report) -> list[dict[str, Any]]:
    return [
        {
            "title": t(f"section.{s.key}"),
            "columns": [t(c) for c in s.columns],
            "rows": [
                [
                    Cell(t.value(v, kind), kind not in (ValueKind.TEXT, ValueKind.LABEL))
                    for v, kind in zip(row, s.kinds, strict=True)
                ]
                for row in s.rows
            ],
        }
        for s in r.sections
    ]


def render_html(r: Report) -> str:
    t = Texts(r.lang)
    creators, tiers = _table_rows(t, r)
    funnel = [
        (
            t(f"metric.{s.key}"),
            t.count(s.count),
            ""
            if s.rate is None
            else f"{t(f'metric.{s.rate_key}')} {t.value(s.rate, ValueKind.FRACTION)}",
        )
        for s in r.funnel
    ]
    return (
        _environment()
        .get_template("report.html")
        .render(
            t=t,
            r=r,
            goal=t(f"goal.{r.goal}"),
            period=f"{t.day(r.starts_on)} – {t.day(r.ends_on)}",
            duration=_duration(t, r.duration_days),
            as_of=t("report.as_of", date=t.day(r.as_of)),
            budget=t.money(r.budget),
            budget_used=t.value(r.budget_used, ValueKind.FRACTION),
            fx_text=_fx_text(t, r),
            key_figures=_key_figures(t, r),
            targets=_targets(t, r),
            charts=_charts(t, r),
            kpi_headers=[t(k) for k in KPI_HEADERS],
            creators=creators,
            tiers=tiers,
            more_creators=max(len(r.creators) - TOP_CREATORS, 0),
            total=_kpi_cells(t, r.totals, r.total_ratios),
            funnel=funnel,
            recommendations=[t.finding(f) for f in r.recommendations],
            learnings=[t.finding(f) for f in r.learnings],
            sections=_sections(t, r),
        )
    )


def render_html_bytes(r: Report) -> bytes:
    return render_html(r).encode("utf-8")
