"""``perfluence demo``."""

from __future__ import annotations

import typer


def demo(serve: bool = typer.Option(False, "--serve", help="Serve after seeding.")) -> None:
    """Create the demo workspace from a fixed seed."""
    raise typer.Exit(1)
