"""Rich tables of campaign KPIs, shared by ``perfluence demo`` and ``campaigns show``.

Only formatting happens here: every figure comes from ``services.reporting``
already computed. ``n/a`` marks a KPI whose denominator is zero.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from rich.console import Console
from rich.table import Table

from perfluence.core.campaign_report import (
    CampaignKpis,
    CampaignOverviewRow,
    CreatorKpis,
    KpiFigures,
    KpiRatios,
)
from perfluence.core.formatting import (
    format_money_or_na,
    format_number,
    format_percent,
    format_ratio_percent,
)
from perfluence.core.kpis import Count, MoneyRatio, Ratio
from perfluence.core.money import Money, format_money


def _n(value: Count, locale: str) -> str:
    # A split conversion counts as a share: show its decimals rather than round them away.
    whole = isinstance(value, int) or value == value.to_integral_value()
    return format_number(value, locale, 0 if whole else None)


def _roas(value: Ratio, locale: str) -> str:
    return format_number(value, locale, 2)


def _m(value: Money | MoneyRatio, locale: str) -> str:
    return format_money_or_na(value, locale)


def _versus(actual: MoneyRatio, target: Money | None, locale: str) -> str:
    """CPA next to its target, green when at or under it."""
    shown = _m(actual, locale)
    if target is None:
        return shown
    if isinstance(actual, Money):
        colour = "green" if actual <= target else "red"
        return f"[{colour}]{shown}[/] / {format_money(target, locale)}"
    return f"{shown} / {format_money(target, locale)}"


def render_campaign_overview(
    console: Console, rows: Sequence[CampaignOverviewRow], locale: str = "en"
) -> None:
    table = Table(title="Campaigns", title_justify="left")
    for name in ("campaign", "goal", "creators", "spend", "revenue", "ROAS", "ROI %"):
        table.add_column(name, justify="left" if name in ("campaign", "goal") else "right")
    for name in ("clicks", "unique", "conversions", "CPA / target"):
        table.add_column(name, justify="right")
    for r in rows:
        f, k = r.figures, r.ratios
        table.add_row(
            f"{r.name}\n[dim]{r.slug} · {r.currency}[/]",
            r.goal,
            _n(r.creators, locale),
            _m(f.cost, locale),
            _m(f.revenue, locale),
            _roas(k.roas, locale),
            format_percent(k.roi_percent, locale),
            _n(f.human_clicks, locale),
            _n(f.unique_clicks, locale),
            _n(f.conversions, locale),
            _versus(k.cpa, r.target_cpa, locale),
        )
    console.print(table)


def _reach_cells(name: str, f: KpiFigures, k: KpiRatios, locale: str) -> list[str]:
    return [
        name,
        _n(f.followers, locale),
        _n(f.posts, locale),
        _n(f.impressions, locale),
        _n(f.reach, locale),
        _n(f.engagements, locale),
        format_ratio_percent(k.engagement_rate_by_followers, locale, 2),
        format_ratio_percent(k.engagement_rate_by_reach, locale, 2),
        _m(k.emv, locale),
    ]


def _performance_cells(name: str, f: KpiFigures, k: KpiRatios, locale: str) -> list[str]:
    return [
        name,
        _n(f.human_clicks, locale),
        _n(f.unique_clicks, locale),
        format_ratio_percent(k.ctr, locale, 2),
        _n(f.sales, locale),
        _n(f.leads, locale),
        _m(f.revenue, locale),
        _m(f.refunds, locale),
        format_ratio_percent(k.return_rate, locale, 1),
        _m(f.cost, locale),
        _m(k.cpm, locale),
        _m(k.cpc, locale),
        _m(k.cpa, locale),
        _roas(k.roas, locale),
        format_percent(k.roi_percent, locale, 0),
    ]


def _creator_label(c: CreatorKpis) -> str:
    platform = c.platform or "-"
    return f"{c.handle}\n[dim]{c.tier.value} · {platform} · {c.payment_model}[/]"


def render_campaign_kpis(
    console: Console, kpis: CampaignKpis, locale: str = "en", limit: int | None = None
) -> None:
    """Two tables (reach and engagement; traffic, sales and return), best creators first.

    Creators come in the order of ``services.reporting``: net revenue, then
    conversions, then clicks.

    With ``limit`` only the top creators are listed; the totals row always
    covers every creator and the campaign-level costs.
    """
    shown = kpis.creators if limit is None else kpis.creators[:limit]
    more = len(kpis.creators) - len(shown)
    suffix = f" (top {len(shown)} of {len(kpis.creators)})" if more else ""
    title = f"{kpis.name} · {kpis.goal} · {kpis.currency}{suffix}"

    reach = Table(title=f"{title}: reach and engagement", title_justify="left")
    reach.add_column("creator")
    for name in ("followers", "posts", "impr.", "reach", "eng.", "ER/fol.", "ER/reach", "EMV"):
        reach.add_column(name, justify="right")
    performance = Table(title=f"{title}: traffic, sales and return", title_justify="left")
    performance.add_column("creator")
    for name in ("clicks", "unique", "CTR", "sales", "leads", "revenue", "refunds", "ret."):
        performance.add_column(name, justify="right")
    for name in ("cost", "CPM", "CPC", "CPA", "ROAS", "ROI %"):
        performance.add_column(name, justify="right")

    for c in shown:
        reach.add_row(*_reach_cells(_creator_label(c), c.figures, c.ratios, locale))
        performance.add_row(*_performance_cells(_creator_label(c), c.figures, c.ratios, locale))
    level = kpis.campaign_level
    if level.cost.amount != Decimal(0):
        label = "[italic]campaign level[/]\n[dim]costs without a creator[/]"
        performance.add_row(
            *_performance_cells(label, level, kpis.campaign_level_ratios, locale), style="dim"
        )
    total_label = "[bold]total[/]" + (f"\n[dim]incl. {more} more[/]" if more else "")
    reach.add_section()
    performance.add_section()
    reach.add_row(*_reach_cells(total_label, kpis.totals, kpis.total_ratios, locale), style="bold")
    performance.add_row(
        *_performance_cells(total_label, kpis.totals, kpis.total_ratios, locale), style="bold"
    )
    console.print(reach)
    console.print(performance)
    for note in kpis.fx_notes:
        console.print(f"[dim]{note}[/]")
