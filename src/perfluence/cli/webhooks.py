"""``perfluence webhooks ...``: the signing secret of each shop that sends webhooks.

``set`` reads the secret from ``--secret``, else from stdin when it is piped,
else from a hidden prompt, so it need not land in the shell's history.
"""

from __future__ import annotations

import sys
from datetime import datetime
from typing import Annotated

import typer
from rich.table import Table

from perfluence.cli.console import cli_context, console, err_console, workspace_option_default
from perfluence.core.model import WebhookSource
from perfluence.services import webhook_endpoints
from perfluence.services.webhook_endpoints import WebhookEndpoint

app = typer.Typer(
    help="Shop webhooks (Shopify, WooCommerce, Stripe): signing secrets and the URLs to use.",
    no_args_is_help=True,
)

Workspace = Annotated[
    str, typer.Option("--workspace", "-w", help="Workspace slug (default: PERFLUENCE_WORKSPACE).")
]
Source = Annotated[WebhookSource, typer.Argument(help="shopify, woocommerce or stripe.")]


def _when(moment: datetime | None) -> str:
    return "-" if moment is None else moment.strftime("%Y-%m-%d %H:%M UTC")


def _read_secret(source: WebhookSource) -> str:
    if not sys.stdin.isatty():
        return sys.stdin.readline().strip()
    value: str = typer.prompt(f"{source.value} signing secret", hide_input=True)
    return value


def _show(endpoint: WebhookEndpoint) -> None:
    console.print(
        f"[bold]{endpoint.source.value}[/] webhooks for {endpoint.workspace_slug}: "
        f"secret {endpoint.masked_secret}",
        soft_wrap=True,
    )
    console.print(f"  URL for the shop: {endpoint.url}", soft_wrap=True, markup=False)


@app.command("set")
def set_(
    source: Source,
    secret: Annotated[
        str | None,
        typer.Option(help="The signing secret (omit it to type it hidden, or pipe it in)."),
    ] = None,
    workspace: Workspace = "",
) -> None:
    """Set or rotate the signing secret the shop signs its webhooks with."""
    value = secret if secret is not None else _read_secret(source)
    with cli_context() as ctx:
        endpoint = webhook_endpoints.set_webhook_secret(
            ctx, workspace or workspace_option_default(), source.value, value
        )
    _show(endpoint)
    if endpoint.rotated_at is not None:
        err_console.print("the previous secret no longer verifies deliveries")


@app.command("list")
def list_(workspace: Workspace = "") -> None:
    """List the shops set up to send webhooks, with masked secrets and their URLs."""
    with cli_context() as ctx:
        found = webhook_endpoints.list_webhook_endpoints(
            ctx, workspace or workspace_option_default()
        )
    table = Table(title=f"{len(found)} webhook endpoint{'s' if len(found) != 1 else ''}")
    table.add_column("source", style="bold")
    table.add_column("secret")
    table.add_column("URL for the shop", overflow="fold")
    table.add_column("created")
    table.add_column("rotated")
    for endpoint in found:
        table.add_row(
            endpoint.source.value,
            endpoint.masked_secret,
            endpoint.url,
            _when(endpoint.created_at),
            _when(endpoint.rotated_at),
        )
    console.print(table)


@app.command("remove")
def remove(source: Source, workspace: Workspace = "") -> None:
    """Forget a shop's secret: its deliveries are refused (404) from now on."""
    ws = workspace or workspace_option_default()
    with cli_context() as ctx:
        webhook_endpoints.remove_webhook_endpoint(ctx, ws, source.value)
    console.print(f"removed the {source.value} webhook endpoint of {ws}")
