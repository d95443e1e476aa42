"""``perfluence demo``: seed a deterministic demo workspace, show its KPIs, serve it."""

from __future__ import annotations

import importlib.util
from typing import Annotated

import typer
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from perfluence.cli import serve as serve_command
from perfluence.cli.console import cli_context, console, err_console
from perfluence.cli.kpi_table import render_campaign_kpis, render_campaign_overview
from perfluence.config import get_settings
from perfluence.core.money import parse_locale
from perfluence.services import demo as demo_service
from perfluence.services import reporting, users

TOP_CREATORS = 10


def _server_available() -> bool:
    """Whether this build has the web app that ``perfluence serve`` runs."""
    return importlib.util.find_spec("perfluence.web.app") is not None


def demo(
    seed: Annotated[int, typer.Option("--seed", help="Seed of the generated data.")] = (
        demo_service.DEFAULT_SEED
    ),
    workspace: Annotated[
        str, typer.Option("--workspace", "-w", help="Slug of the demo workspace.")
    ] = demo_service.DEFAULT_WORKSPACE,
    reset: Annotated[
        bool, typer.Option("--reset", help="Delete the workspace first and seed it again.")
    ] = False,
    serve: Annotated[
        bool, typer.Option("--serve/--no-serve", help="Start the server after seeding.")
    ] = False,
    scale: Annotated[
        float,
        typer.Option("--scale", min=0.001, max=10.0, help="Traffic volume; 1.0 is ~75,000 clicks."),
    ] = 1.0,
    locale: Annotated[
        str | None,
        typer.Option("--locale", help="Number format: en, da, sv or nb (default: settings)."),
    ] = None,
) -> None:
    """Create the demo workspace from a fixed seed and show its campaign KPIs.

    An existing demo workspace is reused as it is; --reset recreates it.
    """
    with cli_context() as ctx:
        locale = locale or ctx.settings.default_language
        parse_locale(locale)  # refuse an unknown locale before seeding, not after
        with Progress(
            SpinnerColumn(),
            TextColumn("[progress.description]{task.description}"),
            BarColumn(),
            TimeElapsedColumn(),
            console=console,
            transient=True,
        ) as bar:
            task = bar.add_task("migrating", total=len(demo_service.STEPS))

            def step(name: str) -> None:
                bar.update(task, description=f"seeding {name}", advance=1)

            summary = demo_service.seed_demo(
                ctx, workspace=workspace, seed_value=seed, scale=scale, reset=reset, progress=step
            )
        if summary.created:
            console.print(
                f"Seeded workspace [bold]{summary.workspace}[/] (seed {summary.seed}): "
                f"{summary.creators} creators, {summary.campaigns} campaigns, "
                f"{summary.partnerships} partnerships, {summary.posts} posts, "
                f"{summary.clicks:,} clicks, {summary.conversions:,} conversions."
            )
        else:
            console.print(
                f"Workspace [bold]{summary.workspace}[/] already exists; showing it as it is "
                "(use --reset to seed it again)."
            )
        password = users.ensure_demo_user(ctx, workspace)
        if password:
            console.print(
                f"Dashboard user [bold]{users.DEMO_EMAIL}[/], password [bold]{password}[/] "
                "(shown once; 'perfluence users password' sets a new one)."
            )
        overview = reporting.campaign_overview(ctx, workspace)
        console.print()
        render_campaign_overview(console, overview, locale)
        for row in overview:
            console.print()
            kpis = reporting.campaign_kpis(ctx, workspace, row.slug)
            render_campaign_kpis(console, kpis, locale, limit=TOP_CREATORS)
    if not serve:
        return
    if not _server_available():
        err_console.print(
            "The web server is not available in this build yet; the tables above are the demo."
        )
        raise typer.Exit(0)
    settings = get_settings()
    hint = "'Demo login' on the login page" if settings.env == "dev" else users.DEMO_EMAIL
    console.print(f"\nDashboard: [bold]{settings.public_base_url}/[/] (log in: {hint})")
    console.print(f"Serving workspace [bold]{workspace}[/] (Ctrl+C stops).")
    serve_command.serve()
