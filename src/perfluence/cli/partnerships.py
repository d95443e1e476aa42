"""``perfluence partnerships ...``."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from perfluence.cli.console import cli_context, console, workspace_option_default
from perfluence.core.terms import describe_terms
from perfluence.errors import ErrorCode, PerfluenceError
from perfluence.services import partnerships

app = typer.Typer(
    help="Partnerships: a creator in a campaign under contract terms.", no_args_is_help=True
)

Workspace = Annotated[
    str, typer.Option("--workspace", "-w", help="Workspace slug (default: PERFLUENCE_WORKSPACE).")
]


def _pairs(values: list[str] | None, option: str, *, last: bool = False) -> list[tuple[str, str]]:
    out = []
    for text in values or []:
        # A SKU may itself hold "=": product rates split at the last one.
        key, sep, value = text.rpartition("=") if last else text.partition("=")
        if not sep or not key.strip() or not value.strip():
            raise PerfluenceError(
                ErrorCode.INVALID, f"{option} {text!r} must look like KEY=VALUE", field=option
            )
        out.append((key.strip(), value.strip()))
    return out


@app.command("add")
def add(
    campaign: Annotated[str, typer.Argument(help="Campaign slug.")],
    creator: Annotated[str, typer.Argument(help="Creator handle.")],
    model: Annotated[str, typer.Option(help="flat_fee, cpc, cpl, cps, gifting or hybrid.")],
    flat_fee: Annotated[str | None, typer.Option(help="Flat fee, e.g. 5000.")] = None,
    instalment: Annotated[
        list[str] | None,
        typer.Option(help="Flat-fee instalment DATE=AMOUNT; repeat; must sum to the fee."),
    ] = None,
    cpc: Annotated[
        str | None, typer.Option(help="Pay per unique non-bot click, e.g. 0.40.")
    ] = None,
    cpl: Annotated[str | None, typer.Option(help="Pay per lead, e.g. 25.")] = None,
    commission: Annotated[
        str | None, typer.Option(help="Commission on net revenue: 12% or 0.12.")
    ] = None,
    country_rate: Annotated[
        list[str] | None, typer.Option(help="Commission for one market, e.g. SE=10%; repeat.")
    ] = None,
    product_rate: Annotated[
        list[str] | None,
        typer.Option(help="Commission for one product id or SKU, e.g. EMMA-TEE=15%; repeat."),
    ] = None,
    gift_value: Annotated[str | None, typer.Option(help="Value of the gifted products.")] = None,
    cap_total: Annotated[str | None, typer.Option(help="Most the contract ever pays.")] = None,
    cap_per_period: Annotated[
        str | None, typer.Option(help="Most it pays per --cap-period.")
    ] = None,
    cap_period: Annotated[str | None, typer.Option(help="week or month.")] = None,
    min_payout: Annotated[
        str | None, typer.Option(help="Earnings below this roll over to the next payout.")
    ] = None,
    hold_days: Annotated[
        int, typer.Option(help="Days earnings are held before payout (refund window).")
    ] = 30,
    currency: Annotated[
        str | None, typer.Option(help="Contract currency (default: the creator's).")
    ] = None,
    exclusivity: Annotated[str | None, typer.Option(help="Exclusivity clause.")] = None,
    usage_rights: Annotated[str | None, typer.Option(help="Content usage rights.")] = None,
    workspace: Workspace = "",
) -> None:
    """Put a creator into a campaign under contract terms."""
    terms: dict[str, object] = {"model": model, "hold_days": hold_days}
    options = {
        "currency": currency,
        "flat_fee": flat_fee,
        "cpc_rate": cpc,
        "cpl_rate": cpl,
        "commission_rate": commission,
        "gifting_value": gift_value,
        "cap_total": cap_total,
        "cap_per_period": cap_per_period,
        "cap_period": cap_period,
        "minimum_payout": min_payout,
        "exclusivity": exclusivity,
        "usage_rights": usage_rights,
    }
    terms.update({k: v for k, v in options.items() if v is not None})
    if instalment:
        terms["fee_schedule"] = [
            {"due_on": d, "amount": a} for d, a in _pairs(instalment, "--instalment")
        ]
    if country_rate:
        terms["country_rates"] = dict(_pairs(country_rate, "--country-rate"))
    if product_rate:
        pairs = _pairs(product_rate, "--product-rate", last=True)
        keys = [key for key, _ in pairs]
        if len(set(keys)) != len(keys):
            raise PerfluenceError(
                ErrorCode.INVALID, "--product-rate names a product twice", field="--product-rate"
            )
        terms["product_rates"] = dict(pairs)
    with cli_context() as ctx:
        p = partnerships.create_partnership(
            ctx, workspace or workspace_option_default(), campaign, creator, terms
        )
    console.print(
        f"added [bold]{p.creator_handle}[/] to [bold]{p.campaign_slug}[/]: "
        f"{describe_terms(p.terms)}"
    )


@app.command("list")
def list_(
    campaign: Annotated[str | None, typer.Option(help="Only this campaign.")] = None,
    creator: Annotated[str | None, typer.Option(help="Only this creator.")] = None,
    workspace: Workspace = "",
) -> None:
    """List partnerships with their payment model and terms."""
    with cli_context() as ctx:
        found = partnerships.list_partnerships(
            ctx, workspace or workspace_option_default(), campaign=campaign, creator=creator
        )
    table = Table(title=f"{len(found)} partnership{'s' if len(found) != 1 else ''}")
    for column in ("campaign", "creator", "model", "currency", "status", "terms"):
        table.add_column(column)
    for p in found:
        table.add_row(
            p.campaign_slug,
            p.creator_handle,
            p.payment_model.value,
            p.currency,
            p.status.value,
            describe_terms(p.terms),
        )
    console.print(table)
