"""``perfluence costs ...``: book and list the costs of campaigns."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated

import typer
from rich.table import Table

from perfluence.cli.console import cli_context, console, workspace_option_default
from perfluence.core.money import format_money
from perfluence.services import costs

app = typer.Typer(help="Costs: fees, gifts, products, discounts, agency and other spend.")

Workspace = Annotated[
    str, typer.Option("--workspace", "-w", help="Workspace slug (default: PERFLUENCE_WORKSPACE).")
]
Locale = Annotated[str, typer.Option(help="Number format: en, da, sv or nb.")]


@app.command("add")
def add(
    campaign: Annotated[str, typer.Argument(help="Campaign slug.")],
    kind: Annotated[
        str, typer.Option(help="fee, commission, gifting, product, discount, agency or other.")
    ],
    amount: Annotated[str, typer.Option(help="Amount, e.g. 1250.00.")],
    currency: Annotated[
        str | None, typer.Option(help="Currency (default: the campaign's).")
    ] = None,
    creator: Annotated[
        str | None, typer.Option(help="Book it on this creator's partnership.")
    ] = None,
    on: Annotated[
        str | None, typer.Option(help="Date incurred, YYYY-MM-DD (default today).")
    ] = None,
    description: Annotated[str | None, typer.Option(help="What it was.")] = None,
    workspace: Workspace = "",
    locale: Locale = "en",
) -> None:
    """Book a cost on a campaign (or on one creator in it)."""
    with cli_context() as ctx:
        cost = costs.add_cost(
            ctx,
            workspace or workspace_option_default(),
            campaign,
            kind=kind,
            amount=amount,
            currency=currency,
            creator=creator,
            on=on,
            description=description,
        )
    who = f" for {cost.creator_handle}" if cost.creator_handle else ""
    console.print(
        f"booked {cost.kind} {format_money(cost.amount, locale)} on {cost.campaign_slug}{who} "
        f"({cost.incurred_on.isoformat()})"
    )


@app.command("list")
def list_(
    campaign: Annotated[str | None, typer.Option(help="Only this campaign.")] = None,
    workspace: Workspace = "",
    locale: Locale = "en",
) -> None:
    """List costs; with --campaign also its investment, ROI and margin-true ROI."""
    ws = workspace or workspace_option_default()
    with cli_context() as ctx:
        found = costs.list_costs(ctx, ws, campaign)
        summary = None if campaign is None else costs.campaign_investment(ctx, ws, campaign)
    table = Table(title=f"{len(found)} cost{'s' if len(found) != 1 else ''}")
    for column in ("date", "campaign", "creator", "kind", "amount", "description"):
        table.add_column(column, justify="right" if column == "amount" else "left")
    for c in found:
        table.add_row(
            c.incurred_on.isoformat(),
            c.campaign_slug,
            c.creator_handle or "",
            c.kind,
            format_money(c.amount, locale),
            c.description or "",
        )
    console.print(table)
    if summary is not None:
        console.print(
            f"creator pay {format_money(summary.creator_pay, locale)} · investment "
            f"{format_money(summary.investment, locale)} · net revenue "
            f"{format_money(summary.net_revenue, locale)} · ROI {_percent(summary.roi)} · "
            f"margin-true ROI {_percent(summary.roi_margin)} (COGS "
            f"{format_money(summary.cogs, locale)}, discounts "
            f"{format_money(summary.discounts, locale)})"
        )


def _percent(value: object) -> str:
    return f"{value.quantize(Decimal('0.1'))} %" if isinstance(value, Decimal) else str(value)
