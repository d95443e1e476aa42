"""Costs of campaigns and what a campaign's investment, ROI and margin-true ROI are.

Investment is every cost of the campaign except the cost of the goods sold
(kind ``product``) and discounts (kind ``discount``), plus the variable creator
pay in the ledger (clicks, leads, commissions, reversals, adjustments). Flat
fees and gifts are costs (``fee``, ``gifting``); their payout lines only
settle them and are not counted again. See ``docs/payouts.md``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum

from perfluence.core.fx import RateTable
from perfluence.core.kpis import Ratio, roi_margin_percent, roi_percent
from perfluence.core.money import Money, normalise_currency
from perfluence.errors import ErrorCode, PerfluenceError
from perfluence.services import reporting
from perfluence.services.context import Context
from perfluence.services.fx import rate_table
from perfluence.services.payouts import creator_id, workspace_id
from perfluence.store import costs as repo
from perfluence.store.campaigns import find_campaign
from perfluence.store.partnerships import find_partnership


class CostKind(StrEnum):
    FEE = "fee"
    COMMISSION = "commission"
    GIFTING = "gifting"
    PRODUCT = "product"
    DISCOUNT = "discount"
    AGENCY = "agency"
    OTHER = "other"


MARGIN_KINDS = frozenset({CostKind.PRODUCT, CostKind.DISCOUNT})


@dataclass(frozen=True, slots=True)
class CampaignInvestment:
    campaign: str
    currency: str
    on: date  # the date of the FX rates used
    costs_by_kind: dict[str, Money]
    creator_pay: Money
    investment: Money
    cogs: Money
    discounts: Money
    net_revenue: Money
    roi: Ratio
    roi_margin: Ratio


def _kind(value: str) -> CostKind:
    try:
        return CostKind(value.strip().lower())
    except ValueError:
        choices = ", ".join(k.value for k in CostKind)
        raise PerfluenceError(
            ErrorCode.INVALID, f"cost kind {value!r} is not one of {choices}", field="kind"
        ) from None


def add_cost(
    ctx: Context,
    workspace: str,
    campaign: str,
    *,
    kind: str,
    amount: str | Decimal | int,
    currency: str | None = None,
    creator: str | None = None,
    on: date | str | None = None,
    description: str | None = None,
) -> repo.StoredCost:
    """Book a cost on a campaign, or on one creator's partnership in it."""
    cost_kind = _kind(kind)
    try:
        day = on if isinstance(on, date) else date.fromisoformat(on) if on else ctx.now().date()
    except ValueError:
        raise PerfluenceError(ErrorCode.INVALID, "--on must be YYYY-MM-DD", field="on") from None
    with ctx.engine.begin() as conn:
        ws_id = workspace_id(conn, workspace)
        found = find_campaign(conn, ws_id, campaign)
        if found is None:
            raise PerfluenceError(ErrorCode.NOT_FOUND, f"campaign {campaign!r} not found")
        money = Money(amount, normalise_currency(currency) if currency else found.currency)
        if money.amount <= 0 or money.quantize() != money:
            raise PerfluenceError(
                ErrorCode.INVALID,
                f"amount {money.amount} must be above zero with at most {money.exponent} decimals",
                field="amount",
            )
        pid = None
        if creator is not None:
            p = find_partnership(conn, ws_id, found.id, creator_id(conn, ws_id, creator))
            if p is None:
                raise PerfluenceError(
                    ErrorCode.NOT_FOUND, f"creator {creator!r} is not in campaign {campaign!r}"
                )
            pid = p.id
        new_id = repo.insert_cost(
            conn,
            workspace_id=ws_id,
            campaign_id=found.id,
            partnership_id=pid,
            kind=cost_kind.value,
            amount=money,
            incurred_on=day,
            description=description.strip() if description and description.strip() else None,
            created_at=ctx.now(),
        )
        return next(c for c in repo.list_costs(conn, ws_id, found.id) if c.id == new_id)


def list_costs(ctx: Context, workspace: str, campaign: str | None = None) -> list[repo.StoredCost]:
    with ctx.engine.connect() as conn:
        ws_id = workspace_id(conn, workspace)
        campaign_id = None
        if campaign is not None:
            found = find_campaign(conn, ws_id, campaign)
            if found is None:
                raise PerfluenceError(ErrorCode.NOT_FOUND, f"campaign {campaign!r} not found")
            campaign_id = found.id
        return repo.list_costs(conn, ws_id, campaign_id)


def _in(currency: str, rates: RateTable, on: date, amounts: Iterable[Money]) -> Money:
    total = Money.zero(currency)
    for m in amounts:
        total = total + rates.convert(m, currency, on).money
    return total


def campaign_investment(ctx: Context, workspace: str, campaign: str) -> CampaignInvestment:
    """Investment, plain ROI and margin-true ROI of a campaign, in its currency.

    Amounts in other currencies are converted at the ECB rate of the campaign's
    last day (or today while it runs), as in the campaign report.
    """
    report = reporting.campaign_kpis(ctx, workspace, campaign)
    with ctx.engine.connect() as conn:
        ws_id = workspace_id(conn, workspace)
        found = find_campaign(conn, ws_id, campaign)
        assert found is not None  # the report found it
        stored = repo.list_costs(conn, ws_id, found.id)
        pay = repo.creator_pay(conn, found.id)
    cur = found.currency
    on = min(found.ends_on, ctx.now().date())
    wanted = {m.currency for m in pay} | {c.amount.currency for c in stored}
    rates = rate_table(ctx, wanted | {cur}, on, on) if wanted - {cur} else RateTable({})
    by_kind = {
        k.value: _in(cur, rates, on, (c.amount for c in stored if c.kind == k.value))
        for k in CostKind
    }
    creator_pay = _in(cur, rates, on, pay)
    investment = creator_pay
    for kind, money in by_kind.items():
        if kind not in MARGIN_KINDS:
            investment = investment + money
    cogs, discounts = by_kind[CostKind.PRODUCT.value], by_kind[CostKind.DISCOUNT.value]
    revenue = report.totals.revenue
    return CampaignInvestment(
        campaign=campaign,
        currency=cur,
        on=on,
        costs_by_kind=by_kind,
        creator_pay=creator_pay,
        investment=investment,
        cogs=cogs,
        discounts=discounts,
        net_revenue=revenue,
        roi=roi_percent(revenue, investment),
        roi_margin=roi_margin_percent(revenue, investment, cogs=cogs, discounts=discounts),
    )
