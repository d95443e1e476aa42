"""``perfluence comments ...``: comments on posts, their sentiment and brand mentions."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from perfluence.cli.console import cli_context, console, workspace_option_default
from perfluence.core.sentiment import SentimentSummary
from perfluence.services import sentiment

app = typer.Typer(help="Comments on posts: sentiment and brand mentions.", no_args_is_help=True)

Workspace = Annotated[
    str, typer.Option("--workspace", "-w", help="Workspace slug (default: PERFLUENCE_WORKSPACE).")
]


@app.command("import")
def import_(
    file: Annotated[Path, typer.Argument(help="CSV file or Instagram comments JSON.")],
    fmt: Annotated[str, typer.Option("--format", help="csv or instagram.")] = "csv",
    platform: Annotated[str | None, typer.Option(help="The post's platform (JSON).")] = None,
    post: Annotated[str | None, typer.Option(help="The post's id on the platform (JSON).")] = None,
    language: Annotated[
        str | None, typer.Option(help="da, sv, nb or en (default: the workspace's).")
    ] = None,
    workspace: Workspace = "",
) -> None:
    """Import comments; comments already stored are skipped."""
    with cli_context() as ctx:
        result = sentiment.import_comments(
            ctx,
            workspace or workspace_option_default(),
            file,
            fmt=fmt,
            platform=platform,
            post=post,
            language=language,
        )
    console.print(
        f"imported {file.name}: {result.created} comments added, "
        f"{result.already_stored} already stored"
    )


def _pct(value: object) -> str:
    return f"{value * 100:+.0f} %" if isinstance(value, Decimal) else "n/a"


def _row(table: Table, name: str, s: SentimentSummary) -> None:
    mean = s.mean_score
    table.add_row(
        name,
        str(s.comments),
        str(s.positive),
        str(s.negative),
        str(s.neutral),
        f"{mean:.2f}" if isinstance(mean, Decimal) else "n/a",
        _pct(s.net),
    )


@app.command("sentiment")
def sentiment_(
    campaign: Annotated[
        str | None, typer.Option(help="Comments on this campaign's creators' posts.")
    ] = None,
    creator: Annotated[str | None, typer.Option(help="Only this creator's posts.")] = None,
    brand: Annotated[
        list[str] | None,
        typer.Option(help="Brand name or handle to count (default: the campaign's brand)."),
    ] = None,
    workspace: Workspace = "",
) -> None:
    """Comment sentiment per language, brand mentions, and before vs during a campaign."""
    with cli_context() as ctx:
        report = sentiment.comment_sentiment(
            ctx,
            workspace or workspace_option_default(),
            campaign=campaign,
            creator=creator,
            brand_terms=brand or (),
        )
    table = Table(title="comment sentiment (word lists, docs/sentiment.md)")
    for column in ("", "comments", "positive", "negative", "neutral", "mean score", "net"):
        table.add_column(column, justify="left" if not column else "right")
    _row(table, "all", report.overall)
    for lang, s in report.by_language.items():
        _row(table, lang, s)
    if report.comparison is not None:
        _row(table, "before campaign", report.comparison.before)
        _row(table, "during campaign", report.comparison.during)
    console.print(table)
    if report.comparison is not None:
        console.print(
            f"net sentiment change, during vs before: {_pct(report.comparison.net_change)}"
        )
    if report.brand_terms:
        console.print(
            f"brand mentions ({', '.join(report.brand_terms)}): {report.brand_mentions} in "
            f"{report.comments_mentioning_brand} comments"
        )
