"""``perfluence posts ...``: post metrics, follower history, disclosure checks."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn
from rich.table import Table

from perfluence.cli.console import cli_context, console, workspace_option_default
from perfluence.core.disclosure import RULES
from perfluence.core.post_exports import METRICS
from perfluence.services import compliance, post_metrics

app = typer.Typer(help="Posts, their metrics and ad disclosure checks.", no_args_is_help=True)

Workspace = Annotated[
    str, typer.Option("--workspace", "-w", help="Workspace slug (default: PERFLUENCE_WORKSPACE).")
]


def _bar() -> Progress:
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        console=console,
        transient=True,
    )


@app.command("import")
def import_(
    file: Annotated[Path, typer.Argument(help="CSV file or a platform's JSON export.")],
    fmt: Annotated[
        str, typer.Option("--format", help="csv, instagram, tiktok or youtube.")
    ] = "csv",
    creator: Annotated[
        str | None, typer.Option(help="Whose posts a JSON export holds (required for JSON).")
    ] = None,
    campaign: Annotated[
        str | None, typer.Option(help="Link the posts to the creator's partnership in it.")
    ] = None,
    workspace: Workspace = "",
) -> None:
    """Import posts and metrics; a post imported again is updated, its history kept."""
    with cli_context() as ctx, _bar() as bar:
        task = bar.add_task("reading", total=None)

        def progress(stage: str, done: int, total: int) -> None:
            bar.update(task, description=stage, completed=done, total=total)

        result = post_metrics.import_posts(
            ctx,
            workspace or workspace_option_default(),
            file,
            fmt=fmt,
            creator=creator,
            campaign=campaign,
            progress=progress,
        )
    console.print(
        f"imported {file.name}: {result.created} posts created, {result.updated} updated, "
        f"{result.unchanged} unchanged"
    )


@app.command("list")
def list_(
    creator: Annotated[str | None, typer.Option(help="Only this creator's posts.")] = None,
    campaign: Annotated[str | None, typer.Option(help="Only this campaign's posts.")] = None,
    workspace: Workspace = "",
) -> None:
    """List posts with their metrics."""
    with cli_context() as ctx:
        found = post_metrics.list_posts(
            ctx, workspace or workspace_option_default(), creator=creator, campaign=campaign
        )
    table = Table(title=f"{len(found)} post{'s' if len(found) != 1 else ''}")
    for column in ("creator", "campaign", "platform", "post", "published"):
        table.add_column(column)
    for column in ("impr.", "reach", "views", "likes", "comm.", "shares", "saves"):
        table.add_column(column, justify="right")
    for p in found:
        published = p.published_at.strftime("%Y-%m-%d %H:%M") if p.published_at else "-"
        table.add_row(
            p.creator_handle,
            p.campaign_slug or "-",
            p.platform,
            p.external_id,
            published,
            *(f"{p.metrics[m]:,}" for m in METRICS),
        )
    console.print(table)


@app.command("history")
def history(
    platform: Annotated[str, typer.Argument(help="Platform, e.g. instagram.")],
    external_id: Annotated[str, typer.Argument(help="The post's id on the platform.")],
    workspace: Workspace = "",
) -> None:
    """Every metric snapshot of one post, oldest first."""
    with cli_context() as ctx:
        found = post_metrics.post_history(
            ctx, workspace or workspace_option_default(), platform, external_id
        )
    table = Table(title=f"{platform} {external_id}")
    table.add_column("recorded (UTC)")
    table.add_column("source")
    for m in METRICS:
        table.add_column(m, justify="right")
    for s in found:
        table.add_row(
            s.recorded_at.strftime("%Y-%m-%d %H:%M"),
            s.source,
            *(f"{s.metrics[m]:,}" for m in METRICS),
        )
    console.print(table)


@app.command("followers")
def followers(
    file: Annotated[Path, typer.Argument(help="CSV: platform, handle, day, followers.")],
    workspace: Workspace = "",
) -> None:
    """Import follower counts per account and day (the history vetting looks at)."""
    with cli_context() as ctx:
        changed = post_metrics.import_follower_snapshots(
            ctx, workspace or workspace_option_default(), file
        )
    console.print(f"imported {file.name}: {changed} follower snapshots added or changed")


@app.command("check")
def check(
    campaign: Annotated[str | None, typer.Option(help="Only this campaign's posts.")] = None,
    market: Annotated[
        list[str] | None,
        typer.Option(help="Check in this market instead of the campaign's (repeatable)."),
    ] = None,
    workspace: Workspace = "",
) -> None:
    """Check sponsored posts' ad disclosure per market and store the verdicts."""
    with cli_context() as ctx:
        found = compliance.check_posts(
            ctx, workspace or workspace_option_default(), campaign=campaign, markets=market
        )
    table = Table(title=f"{len(found)} sponsored post{'s' if len(found) != 1 else ''} checked")
    for column in ("creator", "campaign", "platform", "post", "market", "verdict", "why"):
        table.add_column(column)
    bad = 0
    for c in found:
        if not c.findings:
            table.add_row(
                c.post.creator_handle,
                c.post.campaign_slug or "-",
                c.post.platform,
                c.post.external_id,
                "-",
                "-",
                "no market with a rule",
            )
        for f in c.findings:
            style = "green" if f.compliant else "bold red"
            table.add_row(
                c.post.creator_handle,
                c.post.campaign_slug or "-",
                c.post.platform,
                c.post.external_id,
                f.market,
                f"[{style}]{f.verdict.value}[/]",
                f.reason,
            )
        bad += not c.compliant
    console.print(table)
    markets = ", ".join(r.market for r in RULES)
    console.print(f"{bad} non-compliant; rules for {markets} (docs/compliance.md)")
