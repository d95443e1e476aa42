"""``perfluence audit list``: read the audit log, newest first."""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich.table import Table
from rich.text import Text

from perfluence.cli.console import cli_context, console
from perfluence.services import audit

app = typer.Typer(
    help="The audit log: keys, webhooks, users, logins, privacy, retention.", no_args_is_help=True
)


@app.command("list")
def list_(
    workspace: Annotated[
        str | None, typer.Option("--workspace", "-w", help="Only this workspace's entries.")
    ] = None,
    action: Annotated[
        str | None,
        typer.Option("--action", help="Only actions starting with this, e.g. user. or api_key."),
    ] = None,
    limit: Annotated[int, typer.Option("--limit", help="How many entries (1-1000).")] = 50,
) -> None:
    """List audit entries, newest first."""
    with cli_context() as ctx:
        found = audit.list_entries(ctx, workspace=workspace, action=action, limit=limit)
    table = Table(title=f"{len(found)} audit entr{'ies' if len(found) != 1 else 'y'}")
    for column in ("when", "workspace", "actor", "action", "subject"):
        table.add_column(column, no_wrap=column in {"action", "when"})
    table.add_column("details")
    for entry in found:
        # Plain Text cells: a subject or detail is never read as markup.
        table.add_row(
            entry.created_at.strftime("%Y-%m-%d %H:%M:%S UTC"),
            Text(entry.workspace_slug or "-"),
            Text(entry.actor),
            Text(entry.action),
            Text(entry.subject),
            Text(json.dumps(entry.details, sort_keys=True, ensure_ascii=False)),
        )
    console.print(table)
