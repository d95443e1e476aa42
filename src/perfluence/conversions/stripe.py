"""Stripe Checkout and refund events (Event objects) → ``NormalisedEvent``.

Sales come from ``checkout.session.completed`` (paid at once) or
``checkout.session.async_payment_succeeded`` (bank debits paid later); both
name the same session, so the ingest keeps one. Refunds come from
``charge.refunded`` (each entry of the charge's ``refunds`` list) or
``refund.created``; a refund knows its charge's ``payment_intent``, not the
Checkout Session, so the ingest links a refund to its sale by
``payment_ref`` (the PaymentIntent id both carry). See docs/shops.md.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from perfluence.conversions.identity import (
    CLICK_ID_PARAM,
    CODE_META_KEY,
    clean_click_id,
    clean_codes,
    clean_country,
    customer_ref,
    email_hash,
)
from perfluence.conversions.outcomes import Accepted, Ignored, WebhookOutcome
from perfluence.conversions.payload import Field, bounded_total
from perfluence.core.model import ConversionKind, NormalisedEvent, WebhookSource
from perfluence.core.money import Money
from perfluence.errors import ErrorCode, PerfluenceError

SOURCE = WebhookSource.STRIPE
SESSION_TYPES = frozenset(
    {"checkout.session.completed", "checkout.session.async_payment_succeeded"}
)
CHARGE_REFUNDED = "charge.refunded"
REFUND_CREATED = "refund.created"
PAID_SESSION_STATUSES = frozenset({"paid", "no_payment_required"})
# A pending refund is money on its way back; failed and canceled ones are not.
COUNTED_REFUND_STATUSES = frozenset({"succeeded", "pending"})


def event_type(payload: Mapping[str, object]) -> str:
    root = Field(payload)
    if root["object"].opt_text() != "event":
        raise PerfluenceError(ErrorCode.INVALID, "not a Stripe event object", field="object")
    return root["type"].text()


def normalise_stripe(payload: Mapping[str, object]) -> WebhookOutcome:
    kind = event_type(payload)
    root = Field(payload)
    obj = root["data"]["object"]
    if kind in SESSION_TYPES:
        return _session(kind, root, obj)
    if kind == CHARGE_REFUNDED:
        return _charge_refunded(root, obj)
    if kind == REFUND_CREATED:
        event = _refund(obj, _id_or_none(obj["charge"]), _id_or_none(obj["payment_intent"]), root)
        if event is None:
            return Ignored(SOURCE, kind, "refund has failed or was canceled")
        return Accepted(SOURCE, kind, (event,))
    return Ignored(SOURCE, kind, f"Stripe event type {kind!r} is not used by perfluence")


def _expect_object(obj: Field, name: str) -> None:
    if obj["object"].opt_text() != name:
        raise PerfluenceError(
            ErrorCode.INVALID, f"expected a {name} object", field=f"{obj.path}.object"
        )


def _session(kind: str, root: Field, obj: Field) -> WebhookOutcome:
    _expect_object(obj, "checkout.session")
    payment_status = obj["payment_status"].text()
    if payment_status not in PAID_SESSION_STATUSES:
        return Ignored(SOURCE, kind, f"session is not paid (payment_status {payment_status!r})")
    currency = obj["currency"].currency()
    totals = obj["total_details"]
    discount = totals["amount_discount"].stripe_money_or_zero(currency)
    tax = totals["amount_tax"].stripe_money_or_zero(currency)
    shipping = totals["amount_shipping"].stripe_money_or_zero(currency)
    subtotal = obj["amount_subtotal"].stripe_money(currency)
    gross = obj["amount_total"].stripe_money(currency)
    details = obj["customer_details"]
    digest = email_hash(details["email"].loose_text())
    event = NormalisedEvent(
        source=SOURCE,
        kind=ConversionKind.SALE,
        external_id=obj["id"].ident(),
        # The event's time is when the session completed; the session's own
        # ``created`` is when checkout began.
        occurred_at=root["created"].unix_time(),
        amount=bounded_total(
            subtotal - discount, totals["amount_discount"].path, "the subtotal less discounts"
        ),
        gross_amount=gross,
        discount_amount=discount,
        tax_amount=tax,
        taxes_included=_taxes_included(subtotal, discount, shipping, tax, gross),
        payment_ref=_id_or_none(obj["payment_intent"]),
        click_id=_click_id(obj),
        codes=_codes(obj),
        customer_ref=customer_ref(digest, SOURCE, _id_or_none(obj["customer"])),
        customer_email_hash=digest,
        country=clean_country(details["address"]["country"].loose_text()),
        test=not root["livemode"].boolean(True),
    )
    return Accepted(SOURCE, kind, (event,))


def _taxes_included(
    subtotal: Money, discount: Money, shipping: Money, tax: Money, gross: Money
) -> bool | None:
    """Inclusive tax is inside the subtotal; exclusive tax is added on top of it."""
    if tax.is_zero():
        return None
    before_tax = subtotal - discount + shipping
    if gross == before_tax:
        return True
    if gross == before_tax + tax:
        return False
    return None


def _id_or_none(field: Field) -> str | None:
    # An id arrives as a string, or as the whole object when the field was expanded.
    if isinstance(field.value, dict):
        return field["id"].opt_ident()
    return field.opt_ident()


def _click_id(obj: Field) -> str | None:
    # Metadata is set on purpose; client_reference_id is often a shop's own cart id.
    explicit = clean_click_id(obj["metadata"][CLICK_ID_PARAM].loose_text())
    return explicit or clean_click_id(obj["client_reference_id"].loose_text())


def _codes(obj: Field) -> tuple[str, ...]:
    from_metadata = (obj["metadata"][CODE_META_KEY].loose_text() or "").split(",")
    # Only an expanded promotion code carries the text the customer typed;
    # unexpanded it is an id (promo_…), which is not a code.
    promotion_codes = [
        entry["discount"]["promotion_code"]["code"].loose_text()
        for entry in obj["total_details"]["breakdown"]["discounts"].items()
        if isinstance(entry["discount"]["promotion_code"].value, dict)
    ]
    return clean_codes([*from_metadata, *promotion_codes])


def _charge_refunded(root: Field, charge: Field) -> WebhookOutcome:
    _expect_object(charge, "charge")
    refunds = charge["refunds"]
    if not refunds.present:
        return Ignored(
            SOURCE,
            CHARGE_REFUNDED,
            "charge carries no refunds list (API versions from 2022-11-15 omit it); "
            "subscribe to refund.created",
        )
    charge_id = charge["id"].ident()
    payment_ref = _id_or_none(charge["payment_intent"])
    entries = refunds["data"].items()
    if charge["currency"].present:
        # Stripe refunds in the charge's currency; a list that mixes currencies would be
        # stored in part before the odd one out was refused.
        currency = charge["currency"].currency()
        for entry in entries:
            if entry["currency"].present and entry["currency"].currency() != currency:
                raise PerfluenceError(
                    ErrorCode.INVALID,
                    f"refund is in {entry['currency'].currency()} but its charge is in {currency}",
                    field=f"{entry.path}.currency",
                )
    events = tuple(
        event
        for entry in entries
        if (event := _refund(entry, charge_id, payment_ref, root)) is not None
    )
    if not events:
        return Ignored(SOURCE, CHARGE_REFUNDED, "no succeeded or pending refund on the charge")
    return Accepted(SOURCE, CHARGE_REFUNDED, events)


def _refund(
    refund: Field, charge_id: str | None, payment_ref: str | None, root: Field
) -> NormalisedEvent | None:
    _expect_object(refund, "refund")
    if refund["status"].text() not in COUNTED_REFUND_STATUSES:
        return None
    currency = refund["currency"].currency()
    amount = refund["amount"].stripe_money(currency)
    occurred: datetime = (
        refund["created"] if refund["created"].present else root["created"]
    ).unix_time()
    return NormalisedEvent(
        source=SOURCE,
        kind=ConversionKind.REFUND,
        external_id=refund["id"].ident(),
        occurred_at=occurred,
        amount=amount,
        gross_amount=amount,
        discount_amount=Money.zero(currency),
        tax_amount=Money.zero(currency),
        payment_ref=payment_ref or _id_or_none(refund["payment_intent"]),
        order_ref=charge_id,
        amount_from_gross=True,
        test=not root["livemode"].boolean(True),
    )
