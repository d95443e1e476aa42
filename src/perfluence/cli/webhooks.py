"""``perfluence webhooks ...``."""

from __future__ import annotations

import typer

app = typer.Typer(help="Webhooks.", no_args_is_help=True)
