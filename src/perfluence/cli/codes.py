"""``perfluence codes ...``: discount codes per creator and campaign."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from perfluence.cli.console import cli_context, console, import_progress, workspace_option_default
from perfluence.services import codes

app = typer.Typer(
    help="Discount codes (unique per workspace, ignoring case).", no_args_is_help=True
)

Workspace = Annotated[
    str, typer.Option("--workspace", "-w", help="Workspace slug (default: PERFLUENCE_WORKSPACE).")
]


@app.command("create")
def create(
    campaign: Annotated[str, typer.Argument(help="Campaign slug.")],
    creator: Annotated[str, typer.Argument(help="Creator handle.")],
    code: Annotated[str | None, typer.Option(help="The code itself, e.g. EMMA15.")] = None,
    pattern: Annotated[
        str | None,
        typer.Option(
            help="Make the code: {HANDLE} is the handle, {RAND4} four random characters "
            f"(default: {codes.DEFAULT_PATTERN})."
        ),
    ] = None,
    description: Annotated[str | None, typer.Option(help="What the code gives.")] = None,
    workspace: Workspace = "",
) -> None:
    """Create a discount code for CREATOR in CAMPAIGN."""
    if code is not None and pattern is not None:
        raise typer.BadParameter("--code and --pattern exclude each other")
    with cli_context() as ctx:
        made = codes.create_code(
            ctx,
            workspace or workspace_option_default(),
            campaign,
            creator,
            code=code,
            pattern=pattern,
            description=description,
        )
    console.print(
        f"created code [bold]{made.code}[/] for {made.creator_handle} in {made.campaign_slug}"
    )


@app.command("list")
def list_(
    campaign: Annotated[str | None, typer.Option(help="Only this campaign.")] = None,
    creator: Annotated[str | None, typer.Option(help="Only this creator.")] = None,
    workspace: Workspace = "",
) -> None:
    """List discount codes."""
    with cli_context() as ctx:
        found = codes.list_codes(
            ctx, workspace or workspace_option_default(), campaign=campaign, creator=creator
        )
    table = Table(title=f"{len(found)} code{'s' if len(found) != 1 else ''}")
    table.add_column("code", style="bold")
    table.add_column("campaign")
    table.add_column("creator")
    table.add_column("description")
    for c in found:
        table.add_row(c.code, c.campaign_slug, c.creator_handle, c.description or "-")
    console.print(table)


@app.command("import")
def import_(
    file: Annotated[
        Path, typer.Argument(help="CSV with columns code, campaign, creator[, description].")
    ],
    workspace: Workspace = "",
) -> None:
    """Import codes from CSV: every row is checked first; any problem and nothing is stored."""
    with cli_context() as ctx, import_progress() as progress:
        result = codes.import_codes(
            ctx, workspace or workspace_option_default(), file, progress=progress
        )
    console.print(f"imported {file.name}: {result.created} codes created")
