"""``perfluence fx ...``: import ECB reference rates, convert amounts, show what is stored."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn
from rich.table import Table

from perfluence.cli.console import cli_context, console
from perfluence.core.money import Money, format_money
from perfluence.errors import ErrorCode, PerfluenceError
from perfluence.services import fx

app = typer.Typer(help="Foreign exchange: ECB reference rates.", no_args_is_help=True)


def _parse_day(value: str, option: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise PerfluenceError(
            ErrorCode.INVALID, f"{value!r} is not a date (YYYY-MM-DD)", field=option
        ) from None


@app.command("import")
def import_rates(
    file: Annotated[
        Path,
        typer.Argument(help="eurofxref-hist.csv or .zip from the ECB (or the daily file)."),
    ],
) -> None:
    """Import ECB reference rates; re-importing is safe, changed rates replace stored ones."""
    with (
        cli_context() as ctx,
        Progress(
            TextColumn("importing rates"),
            BarColumn(),
            MofNCompleteColumn(),
            console=console,
            transient=True,
        ) as progress,
    ):
        task = progress.add_task("rates", total=None)

        def advance(done: int, total: int) -> None:
            progress.update(task, completed=done, total=total)

        summary = fx.import_ecb_rates(ctx, file, progress=advance)
    console.print(
        f"imported {summary.rates} rates: {summary.dates} dates, "
        f"{len(summary.currencies)} currencies, "
        f"{summary.first_date.isoformat()} to {summary.last_date.isoformat()}"
    )
    console.print(
        f"{summary.inserted} new, {summary.replaced} replaced, {summary.unchanged} unchanged"
    )


@app.command("convert")
def convert(
    amount: Annotated[str, typer.Argument(help="Amount, e.g. 1000 or 1234.50.")],
    from_currency: Annotated[str, typer.Argument(metavar="FROM", help="ISO 4217 code.")],
    to_currency: Annotated[str, typer.Argument(metavar="TO", help="ISO 4217 code.")],
    on: Annotated[
        str | None, typer.Option("--on", help="Date of the rate (YYYY-MM-DD); default today.")
    ] = None,
    locale: Annotated[
        str | None, typer.Option(help="Number format: en, da, sv or nb (default: settings).")
    ] = None,
) -> None:
    """Convert AMOUNT from one currency to another at the ECB rate of a day."""
    with cli_context() as ctx:
        day = _parse_day(on, "--on") if on else ctx.now().date()
        money = Money(amount, from_currency)
        result = fx.convert(ctx, money, to_currency, day)
        shown_in = locale or ctx.settings.default_language
    console.print(
        f"{format_money(money, shown_in)} = [bold]{format_money(result.money, shown_in)}[/]"
    )
    console.print(result.describe())


@app.command("status")
def status() -> None:
    """Show which currencies and dates the stored rates cover."""
    with cli_context() as ctx:
        coverage = fx.rate_coverage(ctx)
    if not coverage:
        console.print("no rates stored; import them with 'perfluence fx import FILE'")
        return
    table = Table("currency", "from", "to", "rates")
    for c in coverage:
        table.add_row(c.currency, c.first_date.isoformat(), c.last_date.isoformat(), str(c.rates))
    console.print(table)
