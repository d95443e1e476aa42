"""``perfluence links ...``: tracking links per creator and campaign, and their QR codes."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from perfluence.cli.console import cli_context, console, workspace_option_default
from perfluence.core.model import TrackingLink
from perfluence.errors import ErrorCode, PerfluenceError
from perfluence.services import links, workspaces
from perfluence.services.links import QrFormat

app = typer.Typer(
    help="Tracking links: short URLs with UTM parameters, and QR codes.", no_args_is_help=True
)

Workspace = Annotated[
    str, typer.Option("--workspace", "-w", help="Workspace slug (default: PERFLUENCE_WORKSPACE).")
]
Slug = Annotated[str, typer.Argument(help="The link's slug (the part after /l/).")]


def parse_utm_options(pairs: list[str], source: str | None) -> dict[str, str]:
    """``--utm key=value`` options (``key=`` removes a default) plus ``--utm-source``."""
    overrides: dict[str, str] = {}
    for pair in pairs:
        key, equals, value = pair.partition("=")
        if not equals or not key.strip():
            raise PerfluenceError(
                ErrorCode.INVALID, f"--utm {pair!r} must look like key=value", field="utm"
            )
        overrides[key.strip()] = value
    if source is not None:
        overrides["utm_source"] = source
    return overrides


def _show(link: TrackingLink, short_url: str) -> None:
    # soft_wrap: a long URL stays one line a terminal can copy, not one Rich breaks up.
    console.print(f"[bold]{short_url}[/] ({link.status.value})", soft_wrap=True)
    console.print(f"  → {link.tracking_destination}", soft_wrap=True, markup=False)
    if link.click_cap is not None:
        then = link.fallback_url or "the workspace fallback"
        console.print(f"  cap {link.click_cap:,} clicks, then {then}", soft_wrap=True, markup=False)


@app.command("create")
def create(
    campaign: Annotated[str, typer.Argument(help="Campaign slug.")],
    creator: Annotated[str, typer.Argument(help="Creator handle.")],
    destination: Annotated[str, typer.Argument(help="Where the link sends people (http/https).")],
    slug: Annotated[
        str | None, typer.Option(help="Your own slug (3-64 of A-Z a-z 0-9 _ -); random if unset.")
    ] = None,
    utm_source: Annotated[
        str | None, typer.Option(help="utm_source (default: the creator's biggest platform).")
    ] = None,
    utm: Annotated[
        list[str] | None,
        typer.Option(help="Set a parameter: key=value; key= removes a default. Repeatable."),
    ] = None,
    cap: Annotated[
        int | None, typer.Option(min=1, help="Send people to the fallback after N clicks.")
    ] = None,
    fallback: Annotated[
        str | None, typer.Option(help="Where a capped or paused link sends people.")
    ] = None,
    workspace: Workspace = "",
) -> None:
    """Create a tracking link for CREATOR in CAMPAIGN."""
    overrides = parse_utm_options(utm or [], utm_source)
    with cli_context() as ctx:
        link = links.create_link(
            ctx,
            workspace or workspace_option_default(),
            campaign,
            creator,
            destination,
            slug=slug,
            utm=overrides,
            click_cap=cap,
            fallback_url=fallback,
        )
        short_url = links.public_url(ctx, link.slug)
    _show(link, short_url)


@app.command("list")
def list_(
    campaign: Annotated[str | None, typer.Option(help="Only this campaign.")] = None,
    creator: Annotated[str | None, typer.Option(help="Only this creator.")] = None,
    status: Annotated[str | None, typer.Option(help="Only active or paused links.")] = None,
    workspace: Workspace = "",
) -> None:
    """List links (paused ones too unless --status says otherwise)."""
    with cli_context() as ctx:
        found = links.list_links(
            ctx,
            workspace or workspace_option_default(),
            campaign=campaign,
            creator=creator,
            status=status,
        )
        base = links.public_url(ctx, "")
    table = Table(title=f"{len(found)} link{'s' if len(found) != 1 else ''}")
    table.add_column("slug", style="bold")
    table.add_column("campaign")
    table.add_column("creator")
    table.add_column("status")
    table.add_column("cap", justify="right")
    table.add_column("destination", overflow="fold")
    for link in found:
        table.add_row(
            link.slug,
            link.campaign_slug,
            link.creator_handle,
            link.status.value if link.status.value == "active" else f"[yellow]{link.status}[/]",
            "-" if link.click_cap is None else f"{link.click_cap:,}",
            link.destination_url,
        )
    console.print(table)
    if found:
        console.print(f"short URLs: {base}<slug>")


@app.command("show")
def show(slug: Slug, workspace: Workspace = "") -> None:
    """Show one link: short URL, status, where it sends people."""
    with cli_context() as ctx:
        link = links.get_link(ctx, workspace or workspace_option_default(), slug)
        short_url = links.public_url(ctx, link.slug)
    _show(link, short_url)


@app.command("pause")
def pause(slug: Slug, workspace: Workspace = "") -> None:
    """Pause a link: clicks go to its fallback (or the workspace's) instead."""
    with cli_context() as ctx:
        link = links.pause_link(ctx, workspace or workspace_option_default(), slug)
    console.print(f"paused [bold]{link.slug}[/]")


@app.command("resume")
def resume(slug: Slug, workspace: Workspace = "") -> None:
    """Resume a paused link."""
    with cli_context() as ctx:
        link = links.resume_link(ctx, workspace or workspace_option_default(), slug)
    console.print(f"resumed [bold]{link.slug}[/]")


@app.command("set")
def set_(
    slug: Slug,
    destination: Annotated[str | None, typer.Option(help="A new destination URL.")] = None,
    cap: Annotated[int | None, typer.Option(min=1, help="A click cap.")] = None,
    no_cap: Annotated[bool, typer.Option("--no-cap", help="Remove the click cap.")] = False,
    fallback: Annotated[str | None, typer.Option(help="The link's own fallback URL.")] = None,
    no_fallback: Annotated[
        bool, typer.Option("--no-fallback", help="Use the workspace's fallback.")
    ] = False,
    utm: Annotated[
        list[str] | None, typer.Option(help="Change a parameter: key=value; key= removes it.")
    ] = None,
    workspace: Workspace = "",
) -> None:
    """Change a link's destination, UTM parameters, click cap or fallback."""
    if cap is not None and no_cap:
        raise typer.BadParameter("--cap and --no-cap exclude each other")
    if fallback is not None and no_fallback:
        raise typer.BadParameter("--fallback and --no-fallback exclude each other")
    ws = workspace or workspace_option_default()
    with cli_context() as ctx:
        link = links.get_link(ctx, ws, slug)
        if destination is not None:
            link = links.update_destination(ctx, ws, slug, destination)
        if utm:
            link = links.update_utm(ctx, ws, slug, parse_utm_options(utm, None))
        if cap is not None or no_cap or fallback is not None or no_fallback:
            link = links.set_click_cap(
                ctx,
                ws,
                slug,
                None if no_cap else (cap if cap is not None else link.click_cap),
                None if no_fallback else (fallback if fallback is not None else link.fallback_url),
            )
        short_url = links.public_url(ctx, link.slug)
    _show(link, short_url)


@app.command("fallback")
def fallback(
    url: Annotated[
        str | None, typer.Argument(help="Where clicks on paused or capped links go (http/https).")
    ] = None,
    none: Annotated[bool, typer.Option("--none", help="Remove the workspace fallback.")] = False,
    workspace: Workspace = "",
) -> None:
    """Set the workspace's fallback URL, used by links that have none of their own."""
    if (url is None) == (not none):
        raise typer.BadParameter("give a URL or --none (not both)")
    ws = workspace or workspace_option_default()
    with cli_context() as ctx:
        found = workspaces.set_fallback_url(ctx, ws, None if none else url)
    if found.fallback_url is None:
        console.print(f"workspace [bold]{found.slug}[/] has no fallback: such clicks get a 404")
    else:
        console.print(
            f"workspace {found.slug} falls back to {found.fallback_url}",
            soft_wrap=True,
            markup=False,
        )


@app.command("qr")
def qr(
    slug: Slug,
    out: Annotated[Path, typer.Option("--out", "-o", help="File to write.")],
    fmt: Annotated[QrFormat, typer.Option("--format", help="svg or png.")] = QrFormat.SVG,
    workspace: Workspace = "",
) -> None:
    """Write a QR code of the link's short URL."""
    with cli_context() as ctx:
        data = links.link_qr(ctx, workspace or workspace_option_default(), slug, fmt)
        short_url = links.public_url(ctx, slug)
    try:
        out.write_bytes(data)
    except OSError as exc:
        raise PerfluenceError(
            ErrorCode.INVALID, f"cannot write {out}: {exc.strerror}", field="out"
        ) from None
    console.print(f"wrote {out} ({fmt.value}, {len(data):,} bytes) for {short_url}")
