"""``perfluence retention run``: delete raw data past its retention (run it daily from cron)."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from perfluence.cli.console import cli_context, console
from perfluence.services import retention

app = typer.Typer(
    help="Retention: raw clicks, expired sessions and old audit entries.",
    no_args_is_help=True,
)


@app.command("run")
def run(
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Count what would be deleted; delete nothing.")
    ] = False,
    batch_size: Annotated[
        int, typer.Option("--batch-size", help="Rows deleted per transaction.")
    ] = retention.DEFAULT_BATCH,
) -> None:
    """Delete raw clicks, expired sessions and audit entries past their retention."""
    with cli_context() as ctx:
        report = retention.run_retention(ctx, dry_run=dry_run, batch_size=batch_size)
    verb = "would delete" if dry_run else "deleted"
    table = Table(title=f"{verb} {report.total} row{'s' if report.total != 1 else ''}")
    table.add_column("table")
    table.add_column("workspace")
    table.add_column("older than")
    table.add_column("kept days", justify="right")
    table.add_column("rows", justify="right")
    for purge in report.purges:
        table.add_row(
            purge.table,
            purge.workspace or "-",
            purge.before.strftime("%Y-%m-%d %H:%M UTC"),
            "-" if purge.kept_days is None else str(purge.kept_days),
            str(purge.rows),
        )
    console.print(table)
