"""``perfluence codes ...``."""

from __future__ import annotations

import typer

app = typer.Typer(help="Codes.", no_args_is_help=True)
