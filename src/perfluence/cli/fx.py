"""``perfluence fx ...``."""

from __future__ import annotations

import typer

app = typer.Typer(help="Fx.", no_args_is_help=True)
