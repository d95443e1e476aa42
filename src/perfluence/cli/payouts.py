"""``perfluence payouts ...``."""

from __future__ import annotations

import typer

app = typer.Typer(help="Payouts.", no_args_is_help=True)
