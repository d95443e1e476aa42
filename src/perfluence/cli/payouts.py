"""``perfluence payouts ...``: statements per creator and period, exports, simulator."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from perfluence.cli.console import cli_context, console, workspace_option_default
from perfluence.core.money import Money, format_money
from perfluence.errors import ErrorCode, PerfluenceError
from perfluence.services import payout_exports, payouts, simulator

app = typer.Typer(
    help="Payouts: statements per creator and period, exports, simulator.", no_args_is_help=True
)

Workspace = Annotated[
    str, typer.Option("--workspace", "-w", help="Workspace slug (default: PERFLUENCE_WORKSPACE).")
]
Creator = Annotated[str, typer.Argument(help="Creator handle.")]
Start = Annotated[str, typer.Option("--from", help="First day of the period (YYYY-MM-DD).")]
End = Annotated[str, typer.Option("--to", help="Last day of the period (YYYY-MM-DD).")]
Locale = Annotated[str, typer.Option(help="Number format: en, da, sv or nb.")]


def _show(view: payouts.StatementView, locale: str) -> None:
    s = view.statement
    title = "preview" if view.id is None else f"statement {view.id}"
    table = Table(
        title=f"{title}: {view.creator}, {s.period_start.isoformat()} to "
        f"{s.period_end.isoformat()}, in {s.currency}"
    )
    for column in ("campaign", "kind", "payable", "description", "amount", s.currency):
        table.add_column(column, justify="right" if column in ("amount", s.currency) else "left")
    for line in s.lines:
        src = line.source
        table.add_row(
            view.campaigns.get(src.partnership_id, ""),
            str(src.kind),
            src.payable_on.isoformat(),
            src.description,
            format_money(src.amount, locale),
            format_money(line.converted, locale),
        )
    if not s.carried_in.is_zero():
        table.add_row(
            "", "carried", "", "balance carried in", "", format_money(s.carried_in, locale)
        )
    table.add_row("", "[bold]total[/]", "", "", "", f"[bold]{format_money(s.total, locale)}[/]")
    console.print(table)
    rate = (
        f"ECB reference rate of {s.fx_rate_date.isoformat()}"
        if s.fx_rate_date is not None
        else "no conversion"
    )
    console.print(f"status: [bold]{s.status}[/] ({s.note}); rates: {rate}")
    for campaign, reasons in sorted(view.held.items()):
        console.print(f"[yellow]held[/] {campaign}: {'; '.join(reasons)} (not on this statement)")


@app.command("preview")
def preview(
    creator: Creator, start: Start, end: End, workspace: Workspace = "", locale: Locale = "en"
) -> None:
    """Show the statement a creator would get for a period; writes nothing."""
    with cli_context() as ctx:
        view = payouts.preview_statement(
            ctx, workspace or workspace_option_default(), creator, start, end
        )
    _show(view, locale)


@app.command("create")
def create(
    creator: Creator, start: Start, end: End, workspace: Workspace = "", locale: Locale = "en"
) -> None:
    """Write the statement and put its lines on it (pending, or carried below the minimum)."""
    with cli_context() as ctx:
        view = payouts.create_statement(
            ctx, workspace or workspace_option_default(), creator, start, end
        )
    _show(view, locale)


@app.command("approve")
def approve(
    statement: Annotated[int, typer.Argument(help="Statement id.")], workspace: Workspace = ""
) -> None:
    """Approve a pending statement."""
    with cli_context() as ctx:
        row = payouts.approve_statement(ctx, workspace or workspace_option_default(), statement)
    console.print(f"statement {row.id} ({row.creator_handle}, {row.total}) is approved")


@app.command("paid")
def paid(
    statement: Annotated[int, typer.Argument(help="Statement id.")], workspace: Workspace = ""
) -> None:
    """Mark an approved statement as paid."""
    with cli_context() as ctx:
        row = payouts.mark_paid(ctx, workspace or workspace_option_default(), statement)
    console.print(f"statement {row.id} ({row.creator_handle}, {row.total}) is paid")


@app.command("list")
def list_(
    creator: Annotated[str | None, typer.Option(help="Only this creator.")] = None,
    status: Annotated[str | None, typer.Option(help="pending, approved, paid or carried.")] = None,
    workspace: Workspace = "",
    locale: Locale = "en",
) -> None:
    """List statements, oldest period first."""
    with cli_context() as ctx:
        rows = payouts.list_statements(
            ctx, workspace or workspace_option_default(), creator=creator, status=status
        )
    table = Table(title=f"{len(rows)} statement{'s' if len(rows) != 1 else ''}")
    for column in ("id", "creator", "from", "to", "status", "total", "rate date"):
        table.add_column(column, justify="right" if column in ("id", "total") else "left")
    for r in rows:
        table.add_row(
            str(r.id),
            r.creator_handle,
            r.period_start.isoformat(),
            r.period_end.isoformat(),
            r.status.value,
            format_money(r.total, locale),
            "" if r.fx_rate_date is None else r.fx_rate_date.isoformat(),
        )
    console.print(table)


@app.command("show")
def show(
    statement: Annotated[int, typer.Argument(help="Statement id.")],
    workspace: Workspace = "",
    locale: Locale = "en",
) -> None:
    """Show a stored statement line by line."""
    with cli_context() as ctx:
        row, lines = payouts.statement_lines(
            ctx, workspace or workspace_option_default(), statement
        )
    cur = row.total.currency
    table = Table(
        title=f"statement {row.id}: {row.creator_handle}, {row.period_start.isoformat()} to "
        f"{row.period_end.isoformat()}, in {cur} ({row.status})"
    )
    for column in ("campaign", "kind", "payable", "description", "amount", cur):
        table.add_column(column, justify="right" if column in ("amount", cur) else "left")
    for ln in lines:
        table.add_row(
            ln.campaign_slug,
            ln.kind,
            ln.payable_on.isoformat(),
            ln.description,
            format_money(ln.amount, locale),
            format_money(ln.converted, locale),
        )
    if not row.carried_in.is_zero():
        table.add_row(
            "", "carried", "", "balance carried in", "", format_money(row.carried_in, locale)
        )
    table.add_row("", "[bold]total[/]", "", "", "", f"[bold]{format_money(row.total, locale)}[/]")
    console.print(table)
    if row.fx_rate_date is not None:
        console.print(f"rates: ECB reference rate of {row.fx_rate_date.isoformat()}")


@app.command("export")
def export(
    statements: Annotated[list[int], typer.Argument(help="Statement ids.")],
    out: Annotated[Path, typer.Option("--out", "-o", help="File to write.")],
    format_: Annotated[str, typer.Option("--format", help="csv or sepa.")] = "csv",
    debtor_name: Annotated[
        str | None, typer.Option(help="SEPA: the paying account's holder.")
    ] = None,
    debtor_iban: Annotated[str | None, typer.Option(help="SEPA: the paying IBAN.")] = None,
    debtor_bic: Annotated[str | None, typer.Option(help="SEPA: the paying bank's BIC.")] = None,
    execution_date: Annotated[
        str | None, typer.Option(help="SEPA: requested execution date (default today).")
    ] = None,
    workspace: Workspace = "",
) -> None:
    """Export statements as CSV, or approved EUR statements as a SEPA pain.001 file."""
    ws = workspace or workspace_option_default()
    with cli_context() as ctx:
        if format_ == "csv":
            data = payout_exports.export_csv(ctx, ws, statements)
        elif format_ == "sepa":
            if not debtor_name or not debtor_iban:
                raise PerfluenceError(
                    ErrorCode.INVALID, "a SEPA file needs --debtor-name and --debtor-iban"
                )
            try:
                when = None if execution_date is None else date.fromisoformat(execution_date)
            except ValueError:
                raise PerfluenceError(
                    ErrorCode.INVALID, "--execution-date must be YYYY-MM-DD"
                ) from None
            data = payout_exports.export_sepa(
                ctx,
                ws,
                statements,
                debtor_name=debtor_name,
                debtor_iban=debtor_iban,
                debtor_bic=debtor_bic,
                execution_date=when,
            )
        else:
            raise PerfluenceError(ErrorCode.INVALID, "--format must be csv or sepa", field="format")
    out.write_bytes(data)
    console.print(f"wrote {len(statements)} statement(s) to {out}")


@app.command("bank")
def bank(
    creator: Creator,
    iban: Annotated[str, typer.Option(help="The creator's IBAN.")],
    bic: Annotated[str | None, typer.Option(help="The bank's BIC (optional in SEPA).")] = None,
    holder: Annotated[
        str | None, typer.Option(help="Account holder, if not the creator's name.")
    ] = None,
    workspace: Workspace = "",
) -> None:
    """Store a creator's bank details for SEPA credit transfers."""
    with cli_context() as ctx:
        found = payouts.set_bank_details(
            ctx, workspace or workspace_option_default(), creator, iban, bic, holder
        )
    console.print(
        f"{found.handle}: IBAN {found.iban}" + (f", BIC {found.bic}" if found.bic else "")
    )


@app.command("simulate")
def simulate(
    campaign: Annotated[str, typer.Argument(help="Campaign slug.")],
    creator: Creator,
    model: Annotated[
        list[str] | None,
        typer.Option(help="flat:500, cpc:0.40, cpl:25, cps:12% or a sum (flat:500+cps:5%)."),
    ] = None,
    workspace: Workspace = "",
    locale: Locale = "en",
) -> None:
    """What the partnership's real events would have cost under other payment models."""
    with cli_context() as ctx:
        sim = simulator.simulate(
            ctx, workspace or workspace_option_default(), campaign, creator, model or []
        )
    table = Table(
        title=f"{sim.creator} in {sim.campaign}: {sim.unique_clicks} unique clicks, "
        f"{sim.sales} sales, {sim.leads} leads, {sim.refunds} refunds to {sim.through}"
    )
    for column in ("model", "total", "per conversion", "per click", "vs current"):
        table.add_column(column, justify="left" if column == "model" else "right")

    def money(value: object) -> str:
        return format_money(value, locale) if isinstance(value, Money) else str(value)

    for row in sim.rows:
        table.add_row(
            row.label,
            money(row.total),
            money(row.per_conversion),
            money(row.per_click),
            money(row.vs_current),
        )
    console.print(table)
    console.print(f"ledger so far: {format_money(sim.ledger_total, locale)}")
    for note in sim.notes:
        console.print(note)
