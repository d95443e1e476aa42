"""``perfluence campaigns ...``."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated

import typer
from rich.table import Table

from perfluence.cli.console import cli_context, console, workspace_option_default
from perfluence.cli.kpi_table import render_campaign_kpis
from perfluence.core.attribution import ConflictRule
from perfluence.core.model import Campaign, TargetMetric
from perfluence.core.money import Money, format_money
from perfluence.errors import ErrorCode, PerfluenceError
from perfluence.services import campaigns, reporting
from perfluence.services.context import Context

app = typer.Typer(
    help="Campaigns: goal, dates, budget, markets and KPI targets.", no_args_is_help=True
)

Workspace = Annotated[
    str, typer.Option("--workspace", "-w", help="Workspace slug (default: PERFLUENCE_WORKSPACE).")
]
DATE_FORMATS = ["%Y-%m-%d"]
MONEY_TARGETS = frozenset(campaigns.MONEY_METRICS)
RULES = ", ".join(rule.value for rule in ConflictRule)


def target_text(campaign: Campaign, metric: TargetMetric, value: Decimal) -> str:
    """A target as people read it: money formatted, rates in percent, ROI with %."""
    if metric in MONEY_TARGETS:
        return format_money(Money(value, campaign.currency))
    if metric in campaigns.RATE_METRICS:
        return f"{(value * 100).normalize():f}%"
    if metric is TargetMetric.ROI:
        return f"{value.normalize():f}%"
    if metric in campaigns.COUNT_METRICS:
        return f"{int(value):,}"
    return f"{value.normalize():f}"


@app.command("add")
def add(
    slug: Annotated[str, typer.Argument(help="Short id, e.g. spring-2026.")],
    name: Annotated[str, typer.Option(help="Display name.")],
    goal: Annotated[
        str, typer.Option(help="awareness, traffic, leads, sales, followers or launch.")
    ],
    start: Annotated[datetime, typer.Option(formats=DATE_FORMATS, help="First day (YYYY-MM-DD).")],
    end: Annotated[datetime, typer.Option(formats=DATE_FORMATS, help="Last day (YYYY-MM-DD).")],
    budget: Annotated[str, typer.Option(help="Budget in --currency, e.g. 50000.")] = "0",
    currency: Annotated[
        str | None, typer.Option(help="ISO 4217 code (default: the workspace's).")
    ] = None,
    market: Annotated[
        list[str] | None, typer.Option(help="Market country code; repeat: --market DK --market SE.")
    ] = None,
    target: Annotated[
        list[str] | None,
        typer.Option(help="KPI target metric=value; repeat: --target roas=4 --target cpa=150."),
    ] = None,
    brief: Annotated[str | None, typer.Option(help="The brief given to creators.")] = None,
    window_days: Annotated[
        int | None,
        typer.Option(
            "--window-days",
            "--attribution-window",
            help="Attribution window in days after a click (default from settings).",
        ),
    ] = None,
    conflict_rule: Annotated[
        str, typer.Option(help=f"When click and code disagree: {RULES}.")
    ] = "code_wins",
    reference_cpm: Annotated[
        str | None, typer.Option(help="Reference CPM for EMV in --currency.")
    ] = None,
    status: Annotated[str, typer.Option(help="draft, active, paused or ended.")] = "draft",
    workspace: Workspace = "",
) -> None:
    """Create a campaign."""
    with cli_context() as ctx:
        c = campaigns.create_campaign(
            ctx,
            workspace or workspace_option_default(),
            slug,
            name=name,
            goal=goal,
            starts_on=start.date(),
            ends_on=end.date(),
            budget=budget,
            currency=currency,
            markets=market or [],
            brief=brief,
            targets=target or [],
            attribution_window_days=window_days,
            reference_cpm=reference_cpm,
            status=status,
            conflict_rule=conflict_rule,
        )
    console.print(
        f"added campaign [bold]{c.slug}[/] ({c.goal.value}, {c.starts_on} – {c.ends_on}, "
        f"budget {format_money(c.budget)})"
    )


@app.command("list")
def list_(
    status: Annotated[str | None, typer.Option(help="Only campaigns with this status.")] = None,
    workspace: Workspace = "",
) -> None:
    """List campaigns, newest start first."""
    with cli_context() as ctx:
        found = campaigns.list_campaigns(
            ctx, workspace or workspace_option_default(), status=status
        )
    table = Table(title=f"{len(found)} campaign{'s' if len(found) != 1 else ''}")
    for column in ("slug", "name", "goal", "status", "starts", "ends", "budget", "markets"):
        table.add_column(column, justify="right" if column == "budget" else "left")
    for c in found:
        table.add_row(
            c.slug,
            c.name,
            c.goal.value,
            c.status.value,
            c.starts_on.isoformat(),
            c.ends_on.isoformat(),
            format_money(c.budget),
            " ".join(c.markets) or "-",
        )
    console.print(table)


@app.command("status")
def set_status(
    slug: Annotated[str, typer.Argument(help="Campaign slug.")],
    status: Annotated[str, typer.Argument(help="draft, active, paused or ended.")],
    workspace: Workspace = "",
) -> None:
    """Change a campaign's status."""
    with cli_context() as ctx:
        c = campaigns.set_campaign_status(
            ctx, workspace or workspace_option_default(), slug, status
        )
    console.print(f"campaign [bold]{c.slug}[/] is now {c.status.value}")


@app.command("set")
def set_(
    slug: Annotated[str, typer.Argument(help="Campaign slug.")],
    conflict_rule: Annotated[
        str | None, typer.Option(help=f"When click and code disagree: {RULES}.")
    ] = None,
    window_days: Annotated[
        int | None, typer.Option(help="Attribution window in days after a click (1-365).")
    ] = None,
    status: Annotated[str | None, typer.Option(help="draft, active, paused or ended.")] = None,
    workspace: Workspace = "",
) -> None:
    """Change a campaign's conflict rule, attribution window or status."""
    if conflict_rule is None and window_days is None and status is None:
        raise PerfluenceError(
            ErrorCode.INVALID, "nothing to change: give --conflict-rule, --window-days or --status"
        )
    with cli_context() as ctx:
        c = campaigns.update_campaign(
            ctx,
            workspace or workspace_option_default(),
            slug,
            status=status,
            conflict_rule=conflict_rule,
            attribution_window_days=window_days,
        )
    console.print(
        f"campaign [bold]{c.slug}[/]: {c.status.value}, conflict rule {c.conflict_rule.value}, "
        f"attribution window {c.attribution_window_days} days"
    )


def _print_details(c: Campaign) -> None:
    console.print(f"[bold]{c.name}[/] ({c.slug})")
    details = Table(show_header=False, box=None)
    details.add_column("field", style="dim")
    details.add_column("value")
    details.add_row("goal", c.goal.value)
    details.add_row("status", c.status.value)
    details.add_row("dates", f"{c.starts_on.isoformat()} – {c.ends_on.isoformat()}")
    details.add_row("budget", format_money(c.budget))
    details.add_row("markets", " ".join(c.markets) or "-")
    details.add_row("attribution window", f"{c.attribution_window_days} days")
    details.add_row("conflict rule", c.conflict_rule.value)
    details.add_row(
        "reference CPM", format_money(c.reference_cpm) if c.reference_cpm else "workspace default"
    )
    details.add_row("brief", c.brief or "-")
    console.print(details)
    if c.kpi_targets:
        targets = Table(title="KPI targets")
        targets.add_column("metric")
        targets.add_column("target", justify="right")
        for metric, value in c.kpi_targets.items():
            targets.add_row(metric.value, target_text(c, metric, value))
        console.print(targets)


def _print_kpis(ctx: Context, workspace: str, slug: str, locale: str) -> None:
    """The campaign's KPI table (actuals against targets), computed by the reporting service."""
    render_campaign_kpis(console, reporting.campaign_kpis(ctx, workspace, slug), locale)


@app.command("show")
def show(
    slug: Annotated[str, typer.Argument(help="Campaign slug.")],
    workspace: Workspace = "",
    locale: Annotated[str, typer.Option(help="Number format: en, da, sv or nb.")] = "en",
) -> None:
    """Show a campaign's details, its KPI targets and its KPIs so far."""
    ws = workspace or workspace_option_default()
    with cli_context() as ctx:
        c = campaigns.get_campaign(ctx, ws, slug)
        _print_details(c)
        _print_kpis(ctx, ws, slug, locale)
