"""The CLI's console and the context its commands run in."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

from perfluence.config import get_settings
from perfluence.services.context import Context, open_context

console = Console(highlight=False)
err_console = Console(stderr=True, highlight=False)


@contextmanager
def cli_context() -> Iterator[Context]:
    """Open the configured store for one command and close it afterwards."""
    ctx = open_context(get_settings())
    try:
        yield ctx
    finally:
        ctx.close()


def workspace_option_default() -> str:
    return get_settings().workspace


@contextmanager
def import_progress() -> Iterator[Callable[[str, int, int], None]]:
    """A transient progress bar for the CSV importers' ``(stage, done, total)`` callback."""
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        console=console,
        transient=True,
    ) as bar:
        task = bar.add_task("reading", total=None)

        def progress(stage: str, done: int, total: int) -> None:
            bar.update(task, description=stage, completed=done, total=total)

        yield progress
