"""``perfluence users ...`` and ``perfluence portal-link``: dashboard accounts and creator links.

Passwords are read from a prompt (hidden) or, with ``--password-stdin``, from
the first line of stdin, never from the command line (it would end up in the
shell history and the process list).
"""

from __future__ import annotations

import sys
from typing import Annotated

import typer
from rich.table import Table

from perfluence.cli.console import cli_context, console, err_console, workspace_option_default
from perfluence.core.auth import Role
from perfluence.services import users

app = typer.Typer(
    help="Dashboard users: accounts, roles per workspace (owner, member, read_only).",
    no_args_is_help=True,
)

Workspace = Annotated[
    str, typer.Option("--workspace", "-w", help="Workspace slug (default: PERFLUENCE_WORKSPACE).")
]
RoleOption = Annotated[
    Role, typer.Option("--role", help="owner, member or read_only.", case_sensitive=False)
]
PasswordStdin = Annotated[
    bool, typer.Option("--password-stdin", help="Read the password from the first line of stdin.")
]


def _password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    first: str = typer.prompt("Password", hide_input=True)
    again: str = typer.prompt("Repeat it", hide_input=True)
    if first != again:
        err_console.print("[bold red]error[/]: the two passwords differ")
        raise typer.Exit(2)
    return first


@app.command("add")
def add(
    email: Annotated[str, typer.Argument(help="The user's e-mail address (their login).")],
    role: RoleOption = Role.MEMBER,
    workspace: Workspace = "",
    name: Annotated[str | None, typer.Option("--name", help="Display name.")] = None,
    password_stdin: PasswordStdin = False,
) -> None:
    """Create a user with a role in one workspace."""
    ws = workspace or workspace_option_default()
    password = _password(password_stdin)
    with cli_context() as ctx:
        user = users.create_user(ctx, email, password, name=name, workspace=ws, role=role)
    console.print(f"added [bold]{user.email}[/] as {role.value} in workspace {ws}")


@app.command("grant")
def grant(
    email: Annotated[str, typer.Argument(help="An existing user's e-mail address.")],
    role: RoleOption = Role.MEMBER,
    workspace: Workspace = "",
) -> None:
    """Give a user a role in another workspace (or change their role in it)."""
    ws = workspace or workspace_option_default()
    with cli_context() as ctx:
        user = users.grant(ctx, email, ws, role)
    console.print(f"[bold]{user.email}[/] is now {role.value} in workspace {ws}")


@app.command("password")
def password(
    email: Annotated[str, typer.Argument(help="An existing user's e-mail address.")],
    password_stdin: PasswordStdin = False,
) -> None:
    """Set a new password; the user's open sessions end."""
    new = _password(password_stdin)
    with cli_context() as ctx:
        users.set_password(ctx, email, new)
    console.print(f"password of [bold]{email}[/] changed; their sessions have ended")


@app.command("list")
def list_() -> None:
    """Every user with their workspaces and roles."""
    with cli_context() as ctx:
        found = users.list_users(ctx)
    table = Table(title=f"{len(found)} user{'s' if len(found) != 1 else ''}")
    table.add_column("e-mail")
    table.add_column("name")
    table.add_column("workspaces (role)")
    for user in found:
        roles = ", ".join(f"{m.workspace_slug} ({m.role.value})" for m in user.memberships)
        table.add_row(user.email, user.name, roles or "-")
    console.print(table)


def portal_link(
    creator: Annotated[str, typer.Argument(help="The creator's handle.")],
    workspace: Workspace = "",
    revoke: Annotated[
        bool, typer.Option("--revoke", help="Invalidate every portal link issued before.")
    ] = False,
) -> None:
    """Print a signed link to the creator's own portal page (valid 30 days)."""
    ws = workspace or workspace_option_default()
    with cli_context() as ctx:
        if revoke:
            users.revoke_portal_links(ctx, ws, creator)
            err_console.print("earlier portal links of this creator no longer work")
        url = users.portal_url(ctx, ws, creator)
    console.print(url, soft_wrap=True, markup=False, highlight=False)
