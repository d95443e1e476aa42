"""``perfluence report CAMPAIGN``: the campaign report as HTML, PDF, CSV or XLSX."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from perfluence.cli.console import cli_context, console, err_console, workspace_option_default
from perfluence.services import reports


def report(
    campaign: Annotated[str, typer.Argument(help="Campaign slug.")],
    fmt: Annotated[str, typer.Option("--format", "-f", help="html, pdf, csv or xlsx.")] = "html",
    lang: Annotated[str, typer.Option("--lang", help="Report language: en, da, sv or nb.")] = "en",
    currency: Annotated[
        str | None,
        typer.Option(help="Report currency (default: the campaign's), converted at the ECB rate."),
    ] = None,
    out: Annotated[
        Path | None,
        typer.Option("--out", "-o", help="File to write (default: CAMPAIGN-LANG.FORMAT)."),
    ] = None,
    attribution: Annotated[
        bool,
        typer.Option(
            help="Include the attribution models side by side (replays every click: slow on "
            "millions of clicks)."
        ),
    ] = True,
    workspace: Annotated[
        str,
        typer.Option("--workspace", "-w", help="Workspace slug (default: PERFLUENCE_WORKSPACE)."),
    ] = "",
) -> None:
    """Write a campaign report: goals and KPIs against targets, charts, tiers, top creators."""
    chosen = reports.report_format(fmt)
    target = out or Path(f"{campaign}-{lang}.{chosen.value}")
    steps = [*reports.STEPS, "render"]
    with (
        cli_context() as ctx,
        Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            TimeElapsedColumn(),
            console=err_console,
            transient=True,
        ) as bar,
    ):
        task = bar.add_task("report", total=len(steps))

        def advance(step: str) -> None:
            bar.update(task, completed=steps.index(step), description=step)

        built = reports.build_campaign_report(
            ctx,
            workspace or workspace_option_default(),
            campaign,
            lang=lang,
            currency=currency,
            progress=advance,
            attribution=attribution,
        )
        advance("render")
        data = reports.render(built, chosen)
        bar.update(task, completed=len(steps))
    target.write_bytes(data)
    console.print(
        f"wrote [bold]{target}[/] ({chosen.value}, {built.lang}, {built.currency}, "
        f"{len(data):,} bytes); report hash {built.report_hash}"
    )
