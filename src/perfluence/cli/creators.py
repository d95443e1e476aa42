"""``perfluence creators ...``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from perfluence.cli.console import cli_context, console, import_progress, workspace_option_default
from perfluence.core.model import Creator
from perfluence.services import creators
from perfluence.services.creator_import import import_creators

app = typer.Typer(help="Creators and their social accounts.", no_args_is_help=True)

Workspace = Annotated[
    str, typer.Option("--workspace", "-w", help="Workspace slug (default: PERFLUENCE_WORKSPACE).")
]


def _followers(count: int) -> str:
    return f"{count:,}"


def _platforms(creator: Creator) -> str:
    return ", ".join(p.value for p in creator.platforms) or "-"


@app.command("add")
def add(
    handle: Annotated[str, typer.Argument(help="Creator handle, e.g. @emma.eats.")],
    name: Annotated[str, typer.Option(help="Display name.")],
    email: Annotated[str | None, typer.Option(help="E-mail address.")] = None,
    country: Annotated[str | None, typer.Option(help="ISO 3166 country code, e.g. DK.")] = None,
    currency: Annotated[
        str | None, typer.Option(help="Payout currency (default: the workspace's).")
    ] = None,
    notes: Annotated[str | None, typer.Option(help="Free-text notes.")] = None,
    platform: Annotated[
        str | None, typer.Option(help="Add a social account on this platform, e.g. instagram.")
    ] = None,
    followers: Annotated[int, typer.Option(min=0, help="Followers on --platform.")] = 0,
    account_handle: Annotated[
        str | None, typer.Option(help="Handle on --platform (default: HANDLE).")
    ] = None,
    url: Annotated[str | None, typer.Option(help="Profile URL on --platform.")] = None,
    workspace: Workspace = "",
) -> None:
    """Register a creator, optionally with one social account."""
    if platform is None and (account_handle or url or followers):
        raise typer.BadParameter("--followers, --account-handle and --url need --platform")
    accounts = [creators.NewAccount(platform, account_handle, followers, url)] if platform else []
    with cli_context() as ctx:
        creator = creators.add_creator(
            ctx,
            workspace or workspace_option_default(),
            handle,
            name=name,
            email=email,
            country=country,
            currency=currency,
            notes=notes,
            accounts=accounts,
        )
    console.print(
        f"added creator [bold]{creator.handle}[/] ({creator.name}, {creator.currency}, "
        f"{creator.tier.value})"
    )


@app.command("list")
def list_(
    tier: Annotated[
        str | None, typer.Option(help="Only this tier: nano, micro, macro, mega.")
    ] = None,
    platform: Annotated[str | None, typer.Option(help="Only creators on this platform.")] = None,
    country: Annotated[str | None, typer.Option(help="Only creators from this country.")] = None,
    workspace: Workspace = "",
) -> None:
    """List creators with their platforms, largest audience and tier."""
    with cli_context() as ctx:
        found = creators.list_creators(
            ctx,
            workspace or workspace_option_default(),
            tier=tier,
            platform=platform,
            country=country,
        )
    table = Table(title=f"{len(found)} creator{'s' if len(found) != 1 else ''}")
    table.add_column("handle", style="bold")
    table.add_column("name")
    table.add_column("country")
    table.add_column("platforms")
    table.add_column("followers", justify="right")
    table.add_column("tier")
    for c in found:
        table.add_row(
            c.handle, c.name, c.country or "-", _platforms(c), _followers(c.followers), c.tier.value
        )
    console.print(table)


@app.command("show")
def show(
    handle: Annotated[str, typer.Argument(help="Creator handle.")],
    workspace: Workspace = "",
) -> None:
    """Show one creator and their social accounts."""
    with cli_context() as ctx:
        c = creators.get_creator(ctx, workspace or workspace_option_default(), handle)
    console.print(f"[bold]{c.handle}[/] — {c.name}")
    console.print(f"e-mail: {c.email or '-'}  country: {c.country or '-'}  currency: {c.currency}")
    console.print(f"tier: {c.tier.value} ({_followers(c.followers)} followers at most)")
    if c.notes:
        console.print(f"notes: {c.notes}")
    table = Table(title="social accounts")
    for column in ("platform", "handle", "followers", "url"):
        table.add_column(column, justify="right" if column == "followers" else "left")
    for a in c.accounts:
        table.add_row(a.platform.value, a.handle, _followers(a.followers), a.url or "-")
    console.print(table)


@app.command("import")
def import_(
    file: Annotated[Path, typer.Argument(help="CSV file (see docs/import-formats.md).")],
    update: Annotated[
        bool, typer.Option("--update", help="Update creators that already exist.")
    ] = False,
    workspace: Workspace = "",
) -> None:
    """Import creators from CSV: every row is checked first; any problem and nothing is stored."""
    with cli_context() as ctx, import_progress() as progress:
        result = import_creators(
            ctx, workspace or workspace_option_default(), file, update=update, progress=progress
        )
    console.print(
        f"imported {file.name}: {result.created} creators created, {result.updated} updated; "
        f"{result.accounts_created} social accounts created, {result.accounts_updated} updated"
    )
