"""``perfluence partnerships ...``."""

from __future__ import annotations

import typer

app = typer.Typer(help="Partnerships.", no_args_is_help=True)
