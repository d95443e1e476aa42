"""``perfluence creators ...``."""

from __future__ import annotations

import typer

app = typer.Typer(help="Creators.", no_args_is_help=True)
