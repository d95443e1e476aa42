"""The campaign report: build the one report model, render it as HTML, PDF, CSV or XLSX.

``build_campaign_report`` gathers everything the report shows from the KPI
service (and the insight services), converts money into the report currency
at the ECB rate of the report's last day, and computes every figure; the
renderers in ``perfluence.reports`` only format. The report carries the
SHA-256 of its canonical CSV (``reports.hashing``). See ``docs/reports.md``.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import Final

from perfluence.core import kpis
from perfluence.core.campaign_report import (
    CampaignKpis,
    CreatorKpis,
    KpiFigures,
    KpiRatios,
    ratios_for,
    sum_figures,
)
from perfluence.core.fx import RateTable
from perfluence.core.kpis import NA, Count, MoneyRatio, Ratio, Tier
from perfluence.core.model import TargetMetric
from perfluence.core.money import Money, normalise_currency
from perfluence.errors import ErrorCode, PerfluenceError
from perfluence.reports import insight_sections as sections
from perfluence.reports.hashing import with_hash
from perfluence.reports.html import render_html_bytes
from perfluence.reports.i18n import check_language
from perfluence.reports.model import (
    DayPoint,
    Finding,
    FunnelStep,
    FxUsed,
    Report,
    Section,
    TargetCheck,
    TierRow,
    ValueKind,
)
from perfluence.reports.pdf import render_pdf
from perfluence.reports.tabular import render_csv, render_xlsx
from perfluence.services import fx, insights, reporting
from perfluence.services.campaigns import MONEY_METRICS
from perfluence.services.context import Context

Progress = Callable[[str], None]  # called with the name of each step as it starts
Convert = Callable[[Money], Money]


class ReportFormat(StrEnum):
    HTML = "html"
    PDF = "pdf"
    CSV = "csv"
    XLSX = "xlsx"


STEPS: Final = ("kpis", "currency", "insights", "assemble", "hash")
_LOWER_IS_BETTER: Final = frozenset(
    {TargetMetric.CPC, TargetMetric.CPM, TargetMetric.CPE, TargetMetric.CPA}
)
_TARGET_KINDS: Final = {
    TargetMetric.REACH: ValueKind.COUNT,
    TargetMetric.IMPRESSIONS: ValueKind.COUNT,
    TargetMetric.CONVERSIONS: ValueKind.COUNT,
    TargetMetric.ENGAGEMENT_RATE: ValueKind.FRACTION,
    TargetMetric.CTR: ValueKind.FRACTION,
    TargetMetric.CONVERSION_RATE: ValueKind.FRACTION,
    TargetMetric.ROAS: ValueKind.NUMBER,
    TargetMetric.ROI: ValueKind.PERCENT,
}
_RENDERERS: Final[dict[ReportFormat, Callable[[Report], bytes]]] = {
    ReportFormat.HTML: render_html_bytes,
    ReportFormat.PDF: render_pdf,
    ReportFormat.CSV: render_csv,
    ReportFormat.XLSX: render_xlsx,
}


def report_format(name: str) -> ReportFormat:
    try:
        return ReportFormat(name.strip().lower())
    except ValueError:
        choices = ", ".join(f.value for f in ReportFormat)
        raise PerfluenceError(
            ErrorCode.INVALID, f"report format {name!r} is not one of {choices}", field="format"
        ) from None


def render(report: Report, fmt: ReportFormat | str) -> bytes:
    """The report's bytes in ``fmt`` (html, pdf, csv or xlsx)."""
    chosen = fmt if isinstance(fmt, ReportFormat) else report_format(fmt)
    return _RENDERERS[chosen](report)


def build_campaign_report(
    ctx: Context,
    ws: str,
    campaign: str,
    *,
    lang: str,
    currency: str | None = None,
    progress: Progress | None = None,
    attribution: bool = True,
) -> Report:
    """One campaign's report in ``lang``, its money in ``currency`` (default: the campaign's).

    ``attribution=False`` leaves out the attribution models side by side: they
    replay every click of the campaign, which takes seconds on millions of
    clicks, while the rest of the report reads the hourly rollups.
    """
    step = progress or (lambda _: None)
    language = check_language(lang)
    step("kpis")
    source = reporting.campaign_kpis(ctx, ws, campaign)
    as_of = min(source.ends_on, ctx.now().date())
    step("currency")
    target = source.currency if currency is None else normalise_currency(currency)
    converted, used, money = _in_currency(ctx, source, target, as_of)
    step("insights")
    found = _insights(ctx, ws, campaign, source, money, attribution=attribution)
    step("assemble")
    report = _assemble(converted, used, language, as_of, found)
    step("hash")
    return with_hash(report)


@dataclass(frozen=True, slots=True)
class _Insights:
    days: tuple[DayPoint, ...]
    sections: tuple[Section, ...]
    recommendations: tuple[Finding, ...]
    learnings: tuple[Finding, ...]


def _insights(
    ctx: Context, ws: str, campaign: str, kpis: CampaignKpis, money: Convert, *, attribution: bool
) -> _Insights:
    """Every insight from the one KPI table the report was built from (in campaign currency)."""
    series = insights.campaign_timeseries(ctx, ws, campaign, kpis=kpis)
    uncertainty = insights.creator_uncertainty(ctx, ws, campaign, kpis=kpis)
    advice = insights.recommendations(ctx, ws, campaign, kpis=kpis)
    tiers = sections.tier_finding(insights.tier_comparison(ctx, ws, campaign, kpis=kpis))
    parts = [sections.uncertainty_section(uncertainty)]
    if attribution:
        compared = insights.attribution_comparison(ctx, ws, campaign, kpis=kpis)
        parts.append(sections.attribution_section(compared, money))
    return _Insights(
        days=sections.days_from(series, money),
        sections=tuple(parts),
        recommendations=sections.recommendation_findings(advice, uncertainty, money),
        learnings=() if tiers is None else (tiers,),
    )


# --- currency ---------------------------------------------------------------------


def _unchanged(m: Money) -> Money:
    return m


def _in_currency(
    ctx: Context, k: CampaignKpis, target: str, on: date
) -> tuple[CampaignKpis, FxUsed, Convert]:
    """``k`` with every amount in ``target`` at one ECB rate; ratios recomputed from the sums."""
    if target == k.currency:
        return k, FxUsed(k.currency, target, None, None, k.fx_notes), _unchanged
    table = fx.rate_table(ctx, {k.currency, target}, on, on)
    try:
        unit = table.convert(Money(1, k.currency), target, on)
    except PerfluenceError as exc:
        raise PerfluenceError(
            exc.code, f"campaign {k.slug!r} cannot be reported in {target}: {exc.message}"
        ) from None

    def money(m: Money) -> Money:
        return _convert(table, m, target, on)

    def figures(f: KpiFigures) -> KpiFigures:
        return replace(
            f, gross_revenue=money(f.gross_revenue), refunds=money(f.refunds), cost=money(f.cost)
        )

    reference_cpm = money(k.reference_cpm)
    creators = tuple(
        replace(c, figures=figures(c.figures), ratios=ratios_for(figures(c.figures), reference_cpm))
        for c in k.creators
    )
    campaign_level = figures(k.campaign_level)
    # Totals are the sum of the converted parts, so they still add up to the minor unit.
    totals = sum_figures([*(c.figures for c in creators), campaign_level], target)
    targets = dict(k.targets)
    for name, value in k.targets.items():
        if TargetMetric(name) in MONEY_METRICS:
            targets[name] = money(Money(value, k.currency)).amount
    converted = replace(
        k,
        currency=target,
        budget=money(k.budget),
        targets=targets,
        reference_cpm=reference_cpm,
        creators=creators,
        campaign_level=campaign_level,
        campaign_level_ratios=ratios_for(campaign_level, reference_cpm),
        totals=totals,
        total_ratios=ratios_for(totals, reference_cpm),
    )
    return converted, FxUsed(k.currency, target, unit.rate, unit.rate_date, k.fx_notes), money


def _convert(table: RateTable, m: Money, target: str, on: date) -> Money:
    return table.convert(m, target, on).money


# --- assembling -------------------------------------------------------------------


def _actual(metric: TargetMetric, f: KpiFigures, k: KpiRatios) -> Ratio | MoneyRatio | Count:
    values: dict[TargetMetric, Ratio | MoneyRatio | Count] = {
        TargetMetric.REACH: f.reach,
        TargetMetric.IMPRESSIONS: f.impressions,
        TargetMetric.ENGAGEMENT_RATE: k.engagement_rate_by_followers,
        TargetMetric.CTR: k.ctr,
        TargetMetric.CPC: k.cpc,
        TargetMetric.CPM: k.cpm,
        TargetMetric.CPE: k.cpe,
        TargetMetric.CONVERSIONS: f.conversions,
        TargetMetric.CONVERSION_RATE: k.conversion_rate,
        TargetMetric.CPA: k.cpa,
        TargetMetric.ROAS: k.roas,
        TargetMetric.ROI: k.roi_percent,
        TargetMetric.REVENUE: f.revenue,
        TargetMetric.EMV: k.emv,
    }
    return values[metric]


def _target_checks(k: CampaignKpis) -> tuple[TargetCheck, ...]:
    checks = []
    for name in sorted(k.targets, key=lambda n: list(TargetMetric).index(TargetMetric(n))):
        metric = TargetMetric(name)
        actual = _actual(metric, k.totals, k.total_ratios)
        kind = _TARGET_KINDS.get(metric, ValueKind.MONEY)
        target: Decimal | Money = (
            Money(k.targets[name], k.currency) if kind is ValueKind.MONEY else k.targets[name]
        )
        lower = metric in _LOWER_IS_BETTER
        met: bool | None = None
        if kpis.is_available(actual):
            number = actual.amount if isinstance(actual, Money) else Decimal(actual)  # type: ignore[arg-type]
            goal = target.amount if isinstance(target, Money) else target
            met = number <= goal if lower else number >= goal
        checks.append(TargetCheck(name, kind, target, actual, lower, met))
    return tuple(checks)


def _tiers(k: CampaignKpis) -> tuple[TierRow, ...]:
    groups: dict[Tier, list[CreatorKpis]] = defaultdict(list)
    for c in k.creators:
        groups[c.tier].append(c)
    rows = []
    for tier in Tier:
        members = groups.get(tier)
        if not members:
            continue
        figures = sum_figures((c.figures for c in members), k.currency)
        rows.append(TierRow(tier, len(members), figures, ratios_for(figures, k.reference_cpm)))
    return tuple(rows)


def _funnel(k: CampaignKpis) -> tuple[FunnelStep, ...]:
    f, r = k.totals, k.total_ratios
    return (
        FunnelStep("impressions", f.impressions, None, None),
        FunnelStep("clicks", f.human_clicks, "ctr", r.ctr),
        FunnelStep("unique_clicks", f.unique_clicks, None, None),
        FunnelStep("conversions", f.conversions, "conversion_rate", r.conversion_rate),
    )


def _learnings(
    k: CampaignKpis, budget_used: Ratio, tiers: Sequence[TierRow], checks: Sequence[TargetCheck]
) -> tuple[Finding, ...]:
    found: list[Finding] = []
    if kpis.is_available(budget_used):
        found.append(
            Finding("learning.budget_used", {"share": budget_used}, {"share": ValueKind.FRACTION})
        )
    if k.creators and k.creators[0].figures.revenue.amount > 0:
        top = k.creators[0]
        found.append(
            Finding(
                "learning.top_creator",
                {"creator": top.handle, "revenue": top.figures.revenue},
                {"creator": ValueKind.TEXT, "revenue": ValueKind.MONEY},
            )
        )
    ranked = [t for t in tiers if kpis.is_available(t.ratios.roas)]
    if len(ranked) > 1:
        best = max(ranked, key=lambda t: (t.ratios.roas, -list(Tier).index(t.tier)))
        found.append(
            Finding(
                "learning.best_tier_roas",
                {"tier": best.tier.value, "roas": best.ratios.roas},
                {"tier": ValueKind.TEXT, "roas": ValueKind.NUMBER},
            )
        )
    if k.totals.conversions == 0:
        found.append(Finding("learning.no_conversions", {}, {}))
    for check in checks:
        if check.met is None:
            continue
        found.append(
            Finding(
                "learning.target_met" if check.met else "learning.target_missed",
                {"metric": check.metric, "actual": check.actual, "target": check.target},
                {"metric": ValueKind.TEXT, "actual": check.kind, "target": check.kind},
            )
        )
    return tuple(found)


def _assemble(k: CampaignKpis, used: FxUsed, lang: str, as_of: date, found: _Insights) -> Report:
    checks = _target_checks(k)
    tiers = _tiers(k)
    # The share of the budget spent; not a KPI of its own, so it is plain Money arithmetic.
    budget_used: Ratio = NA if k.budget.is_zero() else k.totals.cost.ratio_to(k.budget)
    return Report(
        lang=lang,
        campaign_slug=k.slug,
        campaign_name=k.name,
        goal=k.goal,
        currency=k.currency,
        starts_on=k.starts_on,
        ends_on=k.ends_on,
        as_of=as_of,
        duration_days=(k.ends_on - k.starts_on).days + 1,
        budget=k.budget,
        budget_used=budget_used,
        fx=used,
        targets=checks,
        totals=k.totals,
        total_ratios=k.total_ratios,
        campaign_level=k.campaign_level,
        creators=k.creators,
        tiers=tiers,
        funnel=_funnel(k),
        days=found.days,
        recommendations=found.recommendations,
        learnings=_learnings(k, budget_used, tiers, checks) + found.learnings,
        sections=found.sections,
    )
