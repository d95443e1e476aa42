"""``perfluence keys ...``: workspace API keys for the S2S track API.

The key is printed once, on stdout by itself (so ``KEY=$(perfluence keys
create ...)`` captures it); everything else goes to stderr.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import typer
from rich.table import Table

from perfluence.cli.console import cli_context, console, err_console, workspace_option_default
from perfluence.services import api_keys
from perfluence.services.api_keys import ApiScope

app = typer.Typer(
    help="API keys: hashed at rest, scoped (read, write, track, privacy), revocable.",
    no_args_is_help=True,
)

Workspace = Annotated[
    str, typer.Option("--workspace", "-w", help="Workspace slug (default: PERFLUENCE_WORKSPACE).")
]


def _when(moment: datetime | None) -> str:
    return "-" if moment is None else moment.strftime("%Y-%m-%d %H:%M UTC")


@app.command("create")
def create(
    name: Annotated[str, typer.Option("--name", help="What the key is for, e.g. shop.")],
    scope: Annotated[
        list[ApiScope],
        typer.Option("--scope", help="read, write, track or privacy. Repeatable."),
    ],
    workspace: Workspace = "",
) -> None:
    """Create a key and print it once; only its hash is kept."""
    ws = workspace or workspace_option_default()
    with cli_context() as ctx:
        new = api_keys.create_api_key(ctx, ws, name, [s.value for s in scope])
    scopes = ", ".join(s.value for s in new.key.scopes)
    err_console.print(
        f"created key [bold]{new.key.prefix}[/] ({new.key.name}; {scopes}) in workspace {ws}. "
        "Copy it now: it is not stored and cannot be shown again.",
        soft_wrap=True,
    )
    console.print(new.token, soft_wrap=True, markup=False, highlight=False)


@app.command("list")
def list_(workspace: Workspace = "") -> None:
    """List the workspace's keys (prefix, name, scopes, dates); never the keys."""
    with cli_context() as ctx:
        found = api_keys.list_api_keys(ctx, workspace or workspace_option_default())
    table = Table(title=f"{len(found)} API key{'s' if len(found) != 1 else ''}")
    table.add_column("prefix", style="bold")
    table.add_column("name")
    table.add_column("scopes")
    table.add_column("created")
    table.add_column("revoked")
    for key in found:
        table.add_row(
            key.prefix,
            key.name,
            ", ".join(s.value for s in key.scopes),
            _when(key.created_at),
            f"[red]{_when(key.revoked_at)}[/]" if key.revoked else "-",
        )
    console.print(table)


@app.command("revoke")
def revoke(
    prefix: Annotated[str, typer.Argument(help="The key's prefix, as `keys list` shows it.")],
    workspace: Workspace = "",
) -> None:
    """Revoke a key: requests with it are refused (401) from now on."""
    with cli_context() as ctx:
        key = api_keys.revoke_api_key(ctx, workspace or workspace_option_default(), prefix)
    console.print(f"revoked [bold]{key.prefix}[/] ({key.name}) at {_when(key.revoked_at)}")
