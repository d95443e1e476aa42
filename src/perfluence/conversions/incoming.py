"""A conversion event from any source (API, webhook, CSV), validated and ready to store."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from perfluence.core.model import ConversionKind, NormalisedEvent, NormalisedLine
from perfluence.core.money import Money
from perfluence.store.conversions import lines_json


@dataclass(frozen=True, slots=True)
class IncomingEvent:
    """A lead, sale or refund from any source, validated, before it is stored."""

    source: str
    kind: ConversionKind
    external_id: str
    occurred_at: datetime
    amount: Money | None  # None only for a lead without a value
    gross_amount: Money | None = None
    discount_amount: Money | None = None
    click_id: str | None = None
    codes: tuple[str, ...] = ()
    customer_ref: str | None = None
    customer_email_hash: str | None = None
    reverses_external_id: str | None = None
    payment_ref: str | None = None
    order_ref: str | None = None
    country: str | None = None
    product_ids: tuple[str, ...] = ()
    lines: tuple[NormalisedLine, ...] = ()  # order lines, for per-product commission rates
    test: bool = False
    amount_from_gross: bool = False


def from_normalised(event: NormalisedEvent) -> IncomingEvent:
    """A webhook's event as the ingest takes it."""
    products = tuple(
        dict.fromkeys(line.product_id for line in event.lines if line.product_id is not None)
    )
    return IncomingEvent(
        source=str(event.source),
        kind=event.kind,
        external_id=event.external_id,
        occurred_at=event.occurred_at,
        amount=event.amount,
        gross_amount=event.gross_amount,
        discount_amount=event.discount_amount,
        click_id=event.click_id,
        codes=event.codes,
        customer_ref=event.customer_ref,
        customer_email_hash=event.customer_email_hash,
        reverses_external_id=event.reverses_external_id,
        payment_ref=event.payment_ref,
        order_ref=event.order_ref,
        country=event.country,
        product_ids=products,
        lines=event.lines,
        test=event.test,
        amount_from_gross=event.amount_from_gross,
    )


def with_source(event: IncomingEvent, source: str) -> IncomingEvent:
    return replace(event, source=source)


def conversion_row(
    workspace_id: int, event: IncomingEvent, amount: Money, now: datetime
) -> dict[str, Any]:
    """The columns every conversion fills from its event; attribution columns are added."""
    gross = event.gross_amount
    discount = event.discount_amount
    return {
        "workspace_id": workspace_id,
        "kind": str(event.kind),
        "source": event.source,
        "external_id": event.external_id,
        "occurred_at": event.occurred_at,
        "amount_minor": amount.minor_units,
        "currency": amount.currency,
        "gross_amount_minor": None if gross is None else gross.quantize().minor_units,
        "discount_minor": None if discount is None else discount.quantize().minor_units,
        "click_id": event.click_id,
        "customer_ref": event.customer_ref,
        "country": event.country,
        "payment_ref": event.payment_ref,
        "order_ref": event.order_ref,
        "reverses_external_id": event.reverses_external_id,
        "lines": lines_json(event.lines),
        "status": "rejected" if event.test else "pending",
        "created_at": now,
    }
