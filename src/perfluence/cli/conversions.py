"""``perfluence conversions ...``."""

from __future__ import annotations

import typer

app = typer.Typer(help="Conversions.", no_args_is_help=True)
