"""The campaign funnel: top (reach), middle (traffic), bottom (conversion), against targets.

Built from the campaign's KPI report (``services.reporting.campaign_kpis``),
so every value is the same number the KPI table shows; the funnel only
arranges them by stage and compares each with the campaign's target. Money
targets (CPC, CPM, CPE, CPA, revenue, EMV) are amounts in the campaign
currency; rates are fractions; ROI is a percentage.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Final

from perfluence.core.campaign_report import CampaignKpis
from perfluence.core.insights_model import Funnel, FunnelMetric, Stage, TargetStatus
from perfluence.core.kpis import NotAvailable
from perfluence.core.money import Money

# Metrics where less is better: the cost of one unit of something.
LOWER_IS_BETTER: Final = frozenset({"cpc", "cpm", "cpe", "cpa"})
MONEY_METRICS: Final = frozenset({"cpc", "cpm", "cpe", "cpa", "revenue", "emv", "cost"})

FunnelValue = Decimal | Money | int | NotAvailable


def _values(k: CampaignKpis) -> list[tuple[Stage, str, FunnelValue]]:
    f, r = k.totals, k.total_ratios
    return [
        (Stage.TOP, "impressions", f.impressions),
        (Stage.TOP, "reach", f.reach),
        (Stage.TOP, "engagements", f.engagements),
        (Stage.TOP, "engagement_rate", r.engagement_rate_by_reach),
        (Stage.TOP, "cpm", r.cpm),
        (Stage.TOP, "emv", r.emv),
        (Stage.MIDDLE, "clicks", f.human_clicks),
        (Stage.MIDDLE, "unique_clicks", f.unique_clicks),
        (Stage.MIDDLE, "ctr", r.ctr),
        (Stage.MIDDLE, "cpc", r.cpc),
        (Stage.BOTTOM, "conversions", f.conversions),
        (Stage.BOTTOM, "conversion_rate", r.conversion_rate),
        (Stage.BOTTOM, "revenue", f.revenue),
        (Stage.BOTTOM, "cost", f.cost),
        (Stage.BOTTOM, "cpa", r.cpa),
        (Stage.BOTTOM, "roas", r.roas),
        (Stage.BOTTOM, "roi", r.roi_percent),
    ]


def _status(value: FunnelValue, target: Decimal | Money | None, lower: bool) -> TargetStatus:
    if target is None:
        return TargetStatus.NO_TARGET
    if isinstance(value, NotAvailable):
        return TargetStatus.NOT_AVAILABLE
    actual = value.amount if isinstance(value, Money) else Decimal(value)
    goal = target.amount if isinstance(target, Money) else target
    met = actual <= goal if lower else actual >= goal
    return TargetStatus.MET if met else TargetStatus.MISSED


def campaign_funnel(k: CampaignKpis) -> Funnel:
    """Every funnel metric of the campaign's totals with its target and whether it is met."""
    metrics: list[FunnelMetric] = []
    for stage, name, value in _values(k):
        raw = k.targets.get(name)
        target: Decimal | Money | None = raw
        if raw is not None and name in MONEY_METRICS:
            target = Money(raw, k.currency)
        lower = name in LOWER_IS_BETTER
        metrics.append(
            FunnelMetric(stage, name, value, target, _status(value, target, lower), not lower)
        )
    return Funnel(k.slug, k.currency, tuple(metrics))
