"""``perfluence keys ...``."""

from __future__ import annotations

import typer

app = typer.Typer(help="Keys.", no_args_is_help=True)
