"""``perfluence vetting ...``: creator vetting, campaign risk, payout holds."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated

import typer
from rich.table import Table

from perfluence.cli.console import cli_context, console, workspace_option_default
from perfluence.core.kpis import Ratio
from perfluence.core.vetting import Spread
from perfluence.services import vetting

app = typer.Typer(help="Vetting: engagement, fake followers, fit, risk.", no_args_is_help=True)

Workspace = Annotated[
    str, typer.Option("--workspace", "-w", help="Workspace slug (default: PERFLUENCE_WORKSPACE).")
]


def _rate(value: Ratio) -> str:
    return f"{value * 100:.2f} %" if isinstance(value, Decimal) else "n/a"


def _spread(s: Spread | None) -> str:
    if s is None:
        return "n/a"
    return f"{_rate(s.median)} (IQR {_rate(s.q1)}–{_rate(s.q3)}, n={s.n})"


@app.command("show")
def show(
    handle: Annotated[str, typer.Argument(help="Creator handle.")],
    campaign: Annotated[
        str | None, typer.Option(help="Vet for this campaign: audience fit, conflicts.")
    ] = None,
    workspace: Workspace = "",
) -> None:
    """A creator's engagement vs benchmarks, growth anomalies, fit, conflicts and risk."""
    with cli_context() as ctx:
        r = vetting.creator_vetting(ctx, workspace or workspace_option_default(), handle, campaign)
    table = Table(title=f"{r.creator}: engagement against the workspace's benchmarks")
    for column in (
        "platform",
        "followers",
        "tier",
        "posts",
        "ER/followers",
        "benchmark",
        "ER/reach",
        "benchmark",
        "anomalies",
    ):
        table.add_column(column)
    for a in r.accounts:
        b = a.benchmark
        table.add_row(
            a.platform,
            f"{a.followers:,}",
            a.tier.value,
            str(a.posts),
            _rate(a.rate_by_followers),
            _spread(None if b is None else b.by_followers),
            _rate(a.rate_by_reach),
            _spread(None if b is None else b.by_reach),
            ", ".join(f"{x.day} +{x.gained:,}" for x in a.anomalies) or "-",
        )
    console.print(table)
    if r.audience_fit is not None:
        parts = ", ".join(f"{d} {_rate(v)}" for d, v in r.audience_fit.by_dimension.items())
        console.print(
            f"audience fit: {_rate(r.audience_fit.score)} ({parts or 'nothing to compare'})"
        )
    for c in r.conflicts:
        console.print(
            f"[bold red]competitor conflict[/]: {c.brand} ({c.campaign}, ended {c.ends_on})"
        )
    risk = Table(title=f"risk {r.risk.score} / 100 (hold at {r.risk.threshold})")
    for column in ("component", "value", "points"):
        risk.add_column(column, justify="left" if column == "component" else "right")
    for part in r.risk.components:
        risk.add_row(part.name, f"{part.value:.2f}", f"{part.points:.1f}")
    console.print(risk)
    if r.risk.hold:
        console.print("[bold red]payouts would be held[/]")


@app.command("risk")
def risk(
    campaign: Annotated[str, typer.Argument(help="Campaign slug.")],
    workspace: Workspace = "",
) -> None:
    """The risk score of every partnership in a campaign, highest first."""
    with cli_context() as ctx:
        found = vetting.campaign_risk(ctx, workspace or workspace_option_default(), campaign)
    table = Table(title=f"{campaign}: risk per creator")
    for column in ("creator", "risk", "non-compliant posts", "payouts"):
        table.add_column(column)
    for r in found:
        table.add_row(
            r.creator,
            str(r.risk.score),
            str(r.non_compliant_posts),
            "[bold red]held[/]" if r.hold else "ok",
        )
    console.print(table)


@app.command("holds")
def holds(workspace: Workspace = "") -> None:
    """Partnerships whose payouts are held, and why."""
    with cli_context() as ctx:
        found = vetting.payout_holds(ctx, workspace or workspace_option_default())
    if not found:
        console.print("no payouts are held")
    for pid, reasons in sorted(found.items()):
        console.print(f"partnership {pid}: {'; '.join(reasons)}")


@app.command("profile")
def profile(
    campaign: Annotated[str, typer.Argument(help="Campaign slug.")],
    brand: Annotated[str | None, typer.Option(help="The brand the campaign is for.")] = None,
    competitor: Annotated[
        list[str] | None, typer.Option(help="A competing brand (repeatable).")
    ] = None,
    target: Annotated[
        list[str] | None,
        typer.Option(help="Target audience share GROUP:KEY=SHARE, e.g. country:DK=0.8."),
    ] = None,
    workspace: Workspace = "",
) -> None:
    """Set a campaign's brand, competitors and target audience (replaces the previous)."""
    shares: dict[str, dict[str, str]] = {}
    for item in target or []:
        group, key, value = vetting.parse_share_arg(item)
        shares.setdefault(group, {})[key] = value
    with cli_context() as ctx:
        p = vetting.set_campaign_profile(
            ctx,
            workspace or workspace_option_default(),
            campaign,
            brand=brand,
            competitors=competitor or [],
            audience_target=shares,
        )
    console.print(
        f"{p.slug}: brand {p.brand or '-'}; competitors {', '.join(p.competitors) or '-'}; "
        f"target {', '.join(sorted(p.audience_target)) or '-'}"
    )
