"""What the campaign page shows, built from the campaign's KPI report.

KPI cards compare each figure with its target (lower is better for the cost
metrics); the funnel and the creator table are views of the same report. No
KPI is computed here: the values come from ``core.kpis`` through the report.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from math import isqrt
from typing import Final

from perfluence.core.campaign_report import CampaignKpis, CreatorKpis, KpiFigures, KpiRatios
from perfluence.core.insights_model import AttributionComparison, ModelCredit, Timeseries
from perfluence.core.kpis import NotAvailable
from perfluence.core.money import Money

CardValue = Money | Decimal | int | NotAvailable


@dataclass(frozen=True, slots=True)
class Metric:
    key: str  # an i18n key, and the target's name
    kind: str  # money | count | ratio (a fraction) | times | percent
    lower_is_better: bool
    value: Callable[[KpiFigures, KpiRatios], CardValue]


METRICS: Final[tuple[Metric, ...]] = (
    Metric("revenue", "money", False, lambda f, _r: f.revenue),
    Metric("roas", "times", False, lambda _f, r: r.roas),
    Metric("cpa", "money", True, lambda _f, r: r.cpa),
    Metric("conversions", "count", False, lambda f, _r: f.conversions),
    Metric("clicks", "count", False, lambda f, _r: f.human_clicks),
    Metric("conversion_rate", "ratio", False, lambda _f, r: r.conversion_rate),
    Metric("ctr", "ratio", False, lambda _f, r: r.ctr),
    Metric("roi", "percent", False, lambda _f, r: r.roi_percent),
    Metric("emv", "money", False, lambda _f, r: r.emv),
    Metric("impressions", "count", False, lambda f, _r: f.impressions),
    Metric("reach", "count", False, lambda f, _r: f.reach),
    Metric("engagement_rate", "ratio", False, lambda _f, r: r.engagement_rate_by_followers),
    Metric("cpc", "money", True, lambda _f, r: r.cpc),
    Metric("cpm", "money", True, lambda _f, r: r.cpm),
    Metric("cpe", "money", True, lambda _f, r: r.cpe),
)
ALWAYS_SHOWN: Final = frozenset(
    {"revenue", "roas", "cpa", "conversions", "clicks", "conversion_rate", "ctr", "roi"}
)


@dataclass(frozen=True, slots=True)
class Card:
    key: str
    kind: str
    value: CardValue
    target: Money | Decimal | None
    status: str  # met | missed | none


def _number(value: CardValue) -> Decimal | None:
    if isinstance(value, NotAvailable):
        return None
    return value.amount if isinstance(value, Money) else Decimal(value)


def target_status(value: CardValue, target: Decimal | None, lower_is_better: bool) -> str:
    actual = _number(value)
    if target is None or actual is None:
        return "none"
    met = actual <= target if lower_is_better else actual >= target
    return "met" if met else "missed"


def cards(report: CampaignKpis) -> list[Card]:
    out: list[Card] = []
    for metric in METRICS:
        target = report.targets.get(metric.key)
        if target is None and metric.key not in ALWAYS_SHOWN:
            continue
        value = metric.value(report.totals, report.total_ratios)
        shown_target: Money | Decimal | None = target
        if target is not None and metric.kind == "money":
            shown_target = Money(target, report.currency)
        out.append(
            Card(
                metric.key,
                metric.kind,
                value,
                shown_target,
                target_status(value, target, metric.lower_is_better),
            )
        )
    return out


def budget_status(report: CampaignKpis) -> str:
    if not report.budget.amount:
        return "none"
    return "met" if report.totals.cost.amount <= report.budget.amount else "missed"


def budget_used_percent(report: CampaignKpis) -> int:
    """How much of the budget is spent, 0-100, for the progress bar."""
    budget = report.budget.minor_units
    if budget <= 0:
        return 0
    return min(100, max(0, report.totals.cost.minor_units * 100 // budget))


@dataclass(frozen=True, slots=True)
class FunnelStep:
    key: str
    count: int
    width: int  # percent of the bar, square-root scaled so small steps stay visible


def funnel(figures: KpiFigures) -> list[FunnelStep]:
    steps: list[tuple[str, int]] = [
        ("impressions", figures.impressions),
        ("clicks", figures.human_clicks),
        ("unique_clicks", figures.unique_clicks),
        ("conversions", int(figures.conversions)),
        ("sales", int(figures.sales)),
    ]
    top = max((count for _key, count in steps), default=0)
    return [
        FunnelStep(key, count, 0 if top == 0 else max(2, isqrt(count * 10_000 // top)))
        for key, count in steps
    ]


SORT_KEYS: Final[dict[str, Callable[[CreatorKpis], object]]] = {
    "handle": lambda c: c.handle,
    "tier": lambda c: c.tier.value,
    "platform": lambda c: c.platform or "",
    "clicks": lambda c: c.figures.human_clicks,
    "conversions": lambda c: c.figures.conversions,
    "revenue": lambda c: c.figures.revenue.amount,
    "cost": lambda c: c.figures.cost.amount,
    "roas": lambda c: _number(c.ratios.roas),
    "cpa": lambda c: _number(c.ratios.cpa),
    "conversion_rate": lambda c: _number(c.ratios.conversion_rate),
}


@dataclass(frozen=True, slots=True)
class TableQuery:
    tier: str | None = None
    platform: str | None = None
    market: str | None = None
    sort: str = "revenue"
    descending: bool = True


def creator_rows(
    report: CampaignKpis, countries: Mapping[str, str | None], query: TableQuery
) -> list[CreatorKpis]:
    """The creator table: filtered by tier/platform/market, sorted; "n/a" always sorts last."""
    rows: Sequence[CreatorKpis] = [
        c
        for c in report.creators
        if (query.tier is None or c.tier.value == query.tier)
        and (query.platform is None or c.platform == query.platform)
        and (query.market is None or countries.get(c.handle) == query.market)
    ]
    key = SORT_KEYS.get(query.sort, SORT_KEYS["revenue"])
    present = [c for c in rows if key(c) is not None]
    missing = [c for c in rows if key(c) is None]
    present.sort(key=key, reverse=query.descending)  # type: ignore[arg-type]
    return present + missing


CHART_WIDTH: Final = 640
CHART_HEIGHT: Final = 160


@dataclass(frozen=True, slots=True)
class Bar:
    x: int
    y: int
    width: int
    height: int
    title: str


@dataclass(frozen=True, slots=True)
class Chart:
    """Clicks per day as bars, conversions as a line, in SVG user units."""

    width: int
    height: int
    bars: tuple[Bar, ...]
    line: str  # the polyline's points
    first_day: date
    last_day: date
    max_clicks: int


def chart(series: Timeseries) -> Chart | None:
    points = series.points
    if not points or not any(p.clicks or p.conversions for p in points):
        return None
    n = len(points)
    step = Decimal(CHART_WIDTH) / n
    top_clicks = max(p.clicks for p in points) or 1
    top_conversions = max(Decimal(p.conversions) for p in points) or Decimal(1)
    bars = []
    line = []
    for i, p in enumerate(points):
        height = p.clicks * (CHART_HEIGHT - 10) // top_clicks
        x = int(step * i)
        bars.append(
            Bar(
                x,
                CHART_HEIGHT - height,
                max(1, int(step) - 1),
                height,
                f"{p.day.isoformat()}: {p.clicks} clicks, {p.conversions} conversions",
            )
        )
        y = CHART_HEIGHT - int(Decimal(p.conversions) * (CHART_HEIGHT - 10) / top_conversions)
        line.append(f"{int(step * i + step / 2)},{y}")
    return Chart(
        CHART_WIDTH,
        CHART_HEIGHT,
        tuple(bars),
        " ".join(line),
        points[0].day,
        points[-1].day,
        top_clicks,
    )


@dataclass(frozen=True, slots=True)
class ModelRow:
    handle: str
    credited: ModelCredit  # as the stored attribution says
    chosen: ModelCredit


def model_rows(comparison: AttributionComparison | None, model: str) -> list[ModelRow] | None:
    """Each creator's revenue and commission under ``model`` beside the stored attribution."""
    if comparison is None or model not in comparison.models:
        return None
    at = comparison.models.index(model)
    base = comparison.models.index("as_credited") if "as_credited" in comparison.models else 0
    return [
        ModelRow(c.handle, c.by_model[base], c.by_model[at])
        for c in comparison.creators
        if c.by_model
    ]
