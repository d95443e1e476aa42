"""``perfluence insights ...``: funnel, breakdowns, lift, uncertainty, tiers, advice, models.

Only formatting here; every figure comes from ``services.insights``.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from perfluence.cli.console import cli_context, console, import_progress, workspace_option_default
from perfluence.core.formatting import format_money_or_na, format_number, format_ratio_percent
from perfluence.core.kpis import Count, NotAvailable
from perfluence.core.money import Money, format_money
from perfluence.core.stats import Interval
from perfluence.services import insights

app = typer.Typer(
    help="Campaign insights: funnel, KPIs by dimension, lift, uncertainty, advice.",
    no_args_is_help=True,
)

Workspace = Annotated[
    str, typer.Option("--workspace", "-w", help="Workspace slug (default: PERFLUENCE_WORKSPACE).")
]
Campaign = Annotated[str, typer.Argument(help="Campaign slug.")]
Locale = Annotated[str, typer.Option(help="Number format: en, da, sv or nb.")]


def _ws(workspace: str) -> str:
    return workspace or workspace_option_default()


def _n(value: Count, locale: str) -> str:
    whole = isinstance(value, int) or value == value.to_integral_value()
    return format_number(value, locale, 0 if whole else 2)


def _value(value: object, locale: str) -> str:
    if isinstance(value, NotAvailable):
        return str(value)
    if isinstance(value, Money):
        return format_money(value, locale)
    if isinstance(value, int):
        return _n(value, locale)
    if isinstance(value, Decimal):
        return format_number(value, locale, 4)
    return "-" if value is None else str(value)


def _rate_interval(interval: Interval | None, locale: str) -> str:
    if interval is None:
        return "-"
    high = "∞" if interval.upper is None else format_ratio_percent(interval.upper, locale, 1)
    return f"{format_ratio_percent(interval.lower, locale, 1)}–{high}"


def _plain_interval(interval: Interval | None, locale: str) -> str:
    if interval is None:
        return "-"
    high = "∞" if interval.upper is None else format_number(interval.upper, locale, 2)
    return f"{format_number(interval.lower, locale, 2)}–{high}"


RATES = frozenset({"engagement_rate", "ctr", "conversion_rate"})


def _funnel_value(metric: str, value: object, locale: str) -> str:
    if isinstance(value, Decimal) and metric in RATES:
        return format_ratio_percent(value, locale, 2)
    if isinstance(value, Decimal) and metric == "roi":
        return f"{format_number(value, locale, 1)} %"
    if isinstance(value, Decimal) and metric == "roas":
        return format_number(value, locale, 2)
    return _value(value, locale)


@app.command("funnel")
def funnel(campaign: Campaign, workspace: Workspace = "", locale: Locale = "en") -> None:
    """Top, middle and bottom of the campaign's funnel against its targets."""
    with cli_context() as ctx:
        result = insights.campaign_funnel(ctx, _ws(workspace), campaign)
    table = Table(title=f"Funnel of {result.campaign_slug} ({result.currency})")
    for column in ("stage", "metric", "value", "target", "status"):
        table.add_column(column, justify="right" if column in ("value", "target") else "left")
    for m in result.metrics:
        colour = {"met": "green", "missed": "red"}.get(m.status.value, "dim")
        table.add_row(
            m.stage.value,
            m.metric,
            _funnel_value(m.metric, m.value, locale),
            _funnel_value(m.metric, m.target, locale),
            f"[{colour}]{m.status.value}[/]",
        )
    console.print(table)


@app.command("by")
def by(
    campaign: Campaign,
    dimension: Annotated[
        str, typer.Argument(help="creator, tier, platform, market, link or day.")
    ] = "creator",
    workspace: Workspace = "",
    locale: Locale = "en",
) -> None:
    """The campaign's KPIs grouped by one dimension, with totals that add up."""
    with cli_context() as ctx:
        result = insights.kpis_by(ctx, _ws(workspace), campaign, dimension)
    table = Table(title=f"{result.campaign_slug} by {result.dimension.value} ({result.currency})")
    heads = ("group", "impressions", "clicks", "unique", "conv.", "revenue", "cost", "CPA", "ROAS")
    for column in heads:
        table.add_column(column, justify="left" if column == "group" else "right")
    rows = [(r.label, r.figures, r.ratios) for r in result.rows]
    last = rows[-1][0] if rows else ""
    rows.append(("total", result.totals, result.total_ratios))
    for label, f, r in rows:
        table.add_row(
            label,
            _n(f.impressions, locale),
            _n(f.human_clicks, locale),
            _n(f.unique_clicks, locale),
            _n(f.conversions, locale),
            format_money(f.revenue, locale),
            format_money(f.cost, locale),
            format_money_or_na(r.cpa, locale),
            format_number(r.roas, locale, 2),
            end_section=label == last,
        )
    console.print(table)


@app.command("lift")
def lift(
    campaign: Campaign,
    series: Annotated[str, typer.Option(help="sales, leads or an imported series.")] = "sales",
    baseline_days: Annotated[
        int, typer.Option(help="Days before the campaign to learn from.")
    ] = 56,
    workspace: Workspace = "",
) -> None:
    """Lift over the pre-campaign baseline, with a 95 % interval (or why none can be shown)."""
    with cli_context() as ctx:
        result = insights.baseline_lift(
            ctx, _ws(workspace), campaign, series, baseline_days=baseline_days
        )
    console.print(f"[bold]{result.series}[/]: {result.verdict}")
    console.print(
        f"baseline {result.baseline_days} days, campaign {result.campaign_days} days, "
        f"actual {result.actual}"
        + ("" if result.counterfactual is None else f", expected {result.counterfactual:.2f}")
    )


@app.command("creators")
def creators(
    campaign: Campaign,
    min_clicks: Annotated[int, typer.Option(help="Unique clicks below which data is thin.")] = 100,
    workspace: Workspace = "",
    locale: Locale = "en",
) -> None:
    """Creators ranked by shrunk conversion rate, with 95 % intervals for CR, CPA and ROAS."""
    with cli_context() as ctx:
        result = insights.creator_uncertainty(
            ctx, _ws(workspace), campaign, min_unique_clicks=min_clicks
        )
    prior = "-" if result.prior_mean is None else format_ratio_percent(result.prior_mean, locale, 2)
    table = Table(title=f"Creators of {result.campaign_slug}, shrunk towards {prior}")
    heads = ("#", "creator", "tier", "unique", "conv.", "CR", "CR 95 %", "shrunk CR", "CPA 95 %")
    for column in (*heads, "ROAS 95 %", "note"):
        left = column in ("creator", "tier", "note")
        table.add_column(column, justify="left" if left else "right")
    for e in result.creators:
        cpa = "-"
        if e.cpa_interval is not None:
            low, high = e.cpa_interval
            top = "∞" if high is None else format_money(high, locale)
            cpa = f"{format_money(low, locale)}–{top}"
        shrunk = e.shrunk_conversion_rate
        table.add_row(
            str(e.rank),
            f"@{e.handle}",
            e.tier.value,
            _n(e.unique_clicks, locale),
            _n(e.conversions, locale),
            format_ratio_percent(e.conversion_rate, locale, 1),
            _rate_interval(e.conversion_rate_interval, locale),
            "-" if shrunk is None else format_ratio_percent(shrunk, locale, 2),
            cpa,
            _plain_interval(e.roas_interval, locale),
            f"[yellow]{e.note}[/]" if e.not_enough_data else e.note,
        )
    console.print(table)


@app.command("tiers")
def tiers(campaign: Campaign, workspace: Workspace = "", locale: Locale = "en") -> None:
    """Conversion rate per tier and a chi-square test of whether tier matters."""
    with cli_context() as ctx:
        result = insights.tier_comparison(ctx, _ws(workspace), campaign)
    table = Table(title=f"Tiers of {result.campaign_slug}")
    for column in ("tier", "creators", "unique clicks", "conversions", "CR", "CR 95 %"):
        table.add_column(column, justify="left" if column == "tier" else "right")
    for r in result.rows:
        table.add_row(
            r.tier.value,
            str(r.creators),
            _n(r.unique_clicks, locale),
            _n(r.conversions, locale),
            format_ratio_percent(r.conversion_rate, locale, 2),
            _rate_interval(r.interval, locale),
        )
    console.print(table)
    console.print(result.verdict)


@app.command("recommend")
def recommend(
    campaign: Campaign,
    shift: Annotated[
        str, typer.Option(help="Share of a below-target creator's cost to move, e.g. 0.5.")
    ] = "0.5",
    workspace: Workspace = "",
    locale: Locale = "en",
) -> None:
    """Keep, scale, renegotiate or drop each creator, and where budget should move."""
    with cli_context() as ctx:
        result = insights.recommendations(ctx, _ws(workspace), campaign, shift=Decimal(shift))
    table = Table(title=f"Recommendations for {result.campaign_slug}")
    for column in ("creator", "action", "reason"):
        table.add_column(column)
    colours = {"scale": "green", "keep": "cyan", "renegotiate": "yellow", "drop": "red"}
    for r in result.creators:
        colour = colours[r.action.value]
        table.add_row(f"@{r.handle}", f"[{colour}]{r.action.value}[/]", r.reason)
    console.print(table)
    if result.moves:
        moves = Table(title=f"Budget reallocation: {format_money(result.movable, locale)}")
        moves.add_column("creator")
        moves.add_column("amount", justify="right")
        moves.add_column("why")
        for m in result.moves:
            moves.add_row(f"@{m.handle}", format_money(m.amount, locale), m.reason)
        console.print(moves)
    console.print(result.reallocation_note)


@app.command("attribution")
def attribution(campaign: Campaign, workspace: Workspace = "", locale: Locale = "en") -> None:
    """Credited revenue and commission per creator under every attribution model."""
    with cli_context() as ctx:
        result = insights.attribution_comparison(ctx, _ws(workspace), campaign)
    table = Table(title=f"{result.campaign_slug}: {result.conversions} sales, revenue / commission")
    table.add_column("creator")
    for model in result.models:
        table.add_column(model.replace("_", " "), justify="right")
    for row in (*result.creators, None):
        credits = result.totals if row is None else row.by_model
        cells = [
            f"{format_money(c.revenue, locale)} / {format_money(c.payout, locale)}"
            + ("" if c.payout_change.is_zero() else f" ({format_money(c.payout_change, locale)})")
            for c in credits
        ]
        table.add_row("total" if row is None else f"@{row.handle}", *cells)
    console.print(table)
    console.print(f"[dim]{result.note}[/]")


@app.command("baseline-import")
def baseline_import(
    series: Annotated[str, typer.Argument(help="Series name, e.g. sessions or signups.")],
    file: Annotated[Path, typer.Argument(help="CSV with columns date,value.")],
    workspace: Workspace = "",
) -> None:
    """Import a daily series (date,value) for lift; every row is checked first."""
    with cli_context() as ctx, import_progress() as progress:
        count = insights.import_baseline_csv(ctx, _ws(workspace), series, file, progress=progress)
    console.print(f"imported {count} days of series [bold]{series}[/] from {file.name}")
