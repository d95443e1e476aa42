"""``perfluence init`` and ``perfluence db ...``."""

from __future__ import annotations

from typing import Annotated

import typer

from perfluence.cli.console import cli_context, console, workspace_option_default
from perfluence.services import database, workspaces

app = typer.Typer(help="Database schema management.", no_args_is_help=True)


@app.command("upgrade")
def upgrade(
    revision: Annotated[str, typer.Argument(help="Target revision.")] = "head",
) -> None:
    """Apply migrations up to REVISION (default: the newest)."""
    with cli_context() as ctx:
        now = database.upgrade(ctx, revision)
    console.print(f"database at revision [bold]{now}[/]")


@app.command("status")
def status() -> None:
    """Show the current and the newest schema revision."""
    with cli_context() as ctx:
        current, head = database.status(ctx)
    console.print(f"current: {current or 'none'}  newest: {head}")


def init(
    workspace: Annotated[
        str, typer.Option("--workspace", "-w", help="Slug of the workspace to create.")
    ] = "",
    name: Annotated[str, typer.Option(help="Display name of the workspace.")] = "",
    currency: Annotated[str, typer.Option(help="Default currency (ISO 4217).")] = "EUR",
    language: Annotated[str, typer.Option(help="Report language: en, da, sv or nb.")] = "en",
    fallback: Annotated[
        str | None,
        typer.Option(help="Where clicks on paused or capped links go when they have no fallback."),
    ] = None,
) -> None:
    """Create the database (or upgrade it) and a first workspace."""
    slug = workspace or workspace_option_default()
    with cli_context() as ctx:
        revision = database.upgrade(ctx)
        existing = {w.slug for w in workspaces.list_workspaces(ctx)}
        if slug in existing:
            if fallback is not None:
                workspaces.set_fallback_url(ctx, slug, fallback)
            console.print(f"database at revision {revision}; workspace [bold]{slug}[/] exists")
            return
        ws = workspaces.create_workspace(
            ctx, slug, name or slug, currency=currency, language=language, fallback_url=fallback
        )
    console.print(
        f"database at revision {revision}; created workspace [bold]{ws.slug}[/] "
        f"({ws.default_currency}, {ws.default_language})"
    )
