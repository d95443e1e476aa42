"""``perfluence conversions ...``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from perfluence.cli.console import cli_context, console, import_progress, workspace_option_default
from perfluence.core.money import format_money
from perfluence.services import conversions
from perfluence.services.conversion_import import import_conversions_csv

app = typer.Typer(help="Conversions: leads, sales and refunds.", no_args_is_help=True)

Workspace = Annotated[
    str, typer.Option("--workspace", "-w", help="Workspace slug (default: PERFLUENCE_WORKSPACE).")
]


def _who(view: conversions.ConversionView) -> str:
    if view.creator_handle is None:
        return "-"
    return f"@{view.creator_handle} ({view.campaign_slug})"


@app.command("import")
def import_(
    file: Annotated[Path, typer.Argument(help="Shopify order export (Orders → Export → CSV).")],
    workspace: Workspace = "",
) -> None:
    """Import a Shopify order export: every row is checked first; any problem, nothing stored."""
    with cli_context() as ctx, import_progress() as progress:
        result = import_conversions_csv(
            ctx, workspace or workspace_option_default(), file, progress=progress
        )
    console.print(
        f"imported {file.name}: {result.orders} orders; {result.sales_created} sales and "
        f"{result.refunds_created} refunds stored ({result.unattributed} sales unattributed); "
        f"{result.already_stored} already stored, {result.skipped_unpaid} not paid (skipped)"
    )


@app.command("list")
def list_(
    campaign: Annotated[str | None, typer.Option(help="Only this campaign (slug).")] = None,
    creator: Annotated[str | None, typer.Option(help="Only this creator (handle).")] = None,
    kind: Annotated[str | None, typer.Option(help="Only lead, sale or refund.")] = None,
    limit: Annotated[int, typer.Option(min=1, max=10_000, help="At most this many.")] = 100,
    workspace: Workspace = "",
) -> None:
    """List conversions, newest first, with who was credited and how."""
    with cli_context() as ctx:
        found = conversions.list_conversions(
            ctx,
            workspace or workspace_option_default(),
            campaign=campaign,
            creator=creator,
            kind=kind,
            limit=limit,
        )
    table = Table(title=f"{len(found)} conversion{'s' if len(found) != 1 else ''}")
    for column in ("time (UTC)", "kind", "source", "external id", "amount", "credited", "method"):
        # Fold rather than cut: ids and handles must stay whole on a narrow terminal.
        table.add_column(column, justify="right" if column == "amount" else "left", overflow="fold")
    table.add_column("flags", overflow="fold")
    for v in found:
        table.add_row(
            v.occurred_at.strftime("%Y-%m-%d %H:%M"),
            v.kind,
            v.source,
            v.external_id,
            format_money(v.amount),
            _who(v),
            v.attribution_method,
            ", ".join(v.flags) or "-",
        )
    console.print(table)


@app.command("show")
def show(
    external_id: Annotated[str, typer.Argument(help="The shop's order or event id.")],
    source: Annotated[
        str | None, typer.Option(help="Only from this source: api, csv, shopify, ...")
    ] = None,
    workspace: Workspace = "",
) -> None:
    """Show a conversion: its attribution and the reason, its flags and its ledger lines."""
    with cli_context() as ctx:
        found = conversions.show_conversion(
            ctx, workspace or workspace_option_default(), external_id, source=source
        )
    for detail in found:
        v = detail.conversion
        console.print(
            f"[bold]{v.kind} {v.external_id}[/] from {v.source}, "
            f"{v.occurred_at.isoformat()} — {format_money(v.amount)} ({v.status})"
        )
        console.print(f"credited: {_who(v)} by {v.attribution_method}")
        console.print(f"reason: {v.reason or '-'}")
        if v.seconds_from_click is not None:
            console.print(f"click to conversion: {v.seconds_from_click} s")
        console.print(f"flags: {', '.join(v.flags) or '-'}")
        if detail.ledger:
            table = Table(title="ledger lines")
            for column in ("kind", "amount", "payable on", "description", "statement"):
                table.add_column(column, justify="right" if column == "amount" else "left")
            for line in detail.ledger:
                table.add_row(
                    line.kind,
                    format_money(line.amount),
                    line.payable_on.isoformat(),
                    line.description,
                    "yes" if line.on_statement else "no",
                )
            console.print(table)


@app.command("reaccrue")
def reaccrue(workspace: Workspace = "") -> None:
    """Write ledger lines that conversions flagged fx_rate_missing wait for (safe to rerun)."""
    with cli_context() as ctx:
        done = conversions.reaccrue(ctx, workspace or workspace_option_default())
    console.print(f"{done} conversion{'s' if done != 1 else ''} got their ledger lines")
