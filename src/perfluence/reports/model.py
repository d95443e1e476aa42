"""The campaign report as one value: every figure computed, nothing left to the renderers.

``services.reports.build_campaign_report`` fills it; the HTML, PDF, CSV and
XLSX renderers only format what is here. Money is already in the report
currency; ratios come from ``core.campaign_report.ratios_for``. Texts that
depend on the language (recommendations, learnings) are message keys with
parameters, so one report can be rendered in any language of the catalog.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum

from perfluence.core.campaign_report import CreatorKpis, KpiFigures, KpiRatios
from perfluence.core.kpis import Count, MoneyRatio, NotAvailable, Ratio, Tier
from perfluence.core.money import Money

LANGUAGES = ("en", "da", "sv", "nb")

# A value a finding or a table cell shows: text, a count, a plain number, money, or n/a.
ReportValue = str | int | Decimal | Money | NotAvailable


class ValueKind(StrEnum):
    """How a number is shown: the renderers pick the format from this, never from the value."""

    COUNT = "count"
    NUMBER = "number"  # a plain ratio such as ROAS
    FRACTION = "fraction"  # shown as a percentage (CTR, conversion rate)
    PERCENT = "percent"  # already in percent (ROI %)
    PROBABILITY = "probability"  # a p-value: three decimals
    MONEY = "money"
    TEXT = "text"
    LABEL = "label"  # a catalog key (``model.last_click``), shown in the report language


@dataclass(frozen=True, slots=True)
class Metric:
    """A named, typed value (``key`` is the catalog's ``metric.*`` key without the prefix)."""

    key: str
    kind: ValueKind
    value: ReportValue


@dataclass(frozen=True, slots=True)
class FxUsed:
    """How the report's money got into its currency."""

    source_currency: str  # the campaign's currency
    currency: str  # the report's currency
    rate: Decimal | None  # units of ``currency`` per unit of ``source_currency``; None: none
    rate_date: date | None  # the ECB publication used; None when nothing was converted
    notes: tuple[str, ...] = ()  # conversions inside the campaign (other currencies)


@dataclass(frozen=True, slots=True)
class TargetCheck:
    """One KPI target of the campaign against the actual value."""

    metric: str  # a ``TargetMetric`` value
    kind: ValueKind
    target: Decimal | Money
    actual: Ratio | MoneyRatio | Count
    lower_is_better: bool
    met: bool | None  # None when the actual value is not available


@dataclass(frozen=True, slots=True)
class TierRow:
    tier: Tier
    creators: int
    figures: KpiFigures  # the sum of the tier's creators
    ratios: KpiRatios


@dataclass(frozen=True, slots=True)
class FunnelStep:
    key: str  # a ``metric.*`` key: impressions, clicks, unique_clicks, conversions
    count: Count
    rate_key: str | None  # the KPI from the step before (``ctr``, ``conversion_rate``), if any
    rate: Ratio | None


@dataclass(frozen=True, slots=True)
class DayPoint:
    day: date
    clicks: int  # human clicks
    unique_clicks: int
    conversions: Count
    revenue: Money  # net of refunds


@dataclass(frozen=True, slots=True)
class Finding:
    """A sentence of the report: a catalog key and the values it names."""

    key: str
    params: Mapping[str, ReportValue]
    kinds: Mapping[str, ValueKind]  # how to show each parameter


@dataclass(frozen=True, slots=True)
class Section:
    """An extra table from the analytics (attribution comparison, uncertainty, ...)."""

    key: str  # the catalog's ``section.<key>``
    columns: tuple[str, ...]  # catalog keys (``column.*``)
    kinds: tuple[ValueKind, ...]
    rows: tuple[tuple[ReportValue, ...], ...]


@dataclass(frozen=True, slots=True)
class Report:
    lang: str
    campaign_slug: str
    campaign_name: str
    goal: str
    currency: str
    starts_on: date
    ends_on: date
    as_of: date  # the last day the figures cover (the end date, or today while it runs)
    duration_days: int
    budget: Money
    budget_used: Ratio  # cost / budget
    fx: FxUsed
    targets: tuple[TargetCheck, ...]
    totals: KpiFigures
    total_ratios: KpiRatios
    campaign_level: KpiFigures
    creators: tuple[CreatorKpis, ...]  # best first (net revenue, conversions, clicks)
    tiers: tuple[TierRow, ...]
    funnel: tuple[FunnelStep, ...]
    days: tuple[DayPoint, ...]
    recommendations: tuple[Finding, ...]
    learnings: tuple[Finding, ...]
    sections: tuple[Section, ...] = ()
    report_hash: str = ""  # SHA-256 of the canonical CSV; see ``reports.hashing``
