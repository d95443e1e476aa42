"""``perfluence links ...``."""

from __future__ import annotations

import typer

app = typer.Typer(help="Links.", no_args_is_help=True)
