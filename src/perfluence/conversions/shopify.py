"""Shopify order and refund webhooks (REST Admin API payloads) → ``NormalisedEvent``.

Amounts are read in the shop currency (``currency`` and the plain price
fields, which Shopify reports in shop money; ``*_set.presentment_money`` is
what the customer saw in their own currency). See docs/shops.md.
"""

from __future__ import annotations

from collections.abc import Mapping

from perfluence.conversions.identity import (
    CLICK_ID_PARAM,
    clean_click_id,
    clean_codes,
    clean_country,
    click_id_from_url,
    customer_ref,
    email_hash,
)
from perfluence.conversions.outcomes import Accepted, Ignored, WebhookOutcome
from perfluence.conversions.payload import Field, bounded_total
from perfluence.core.model import ConversionKind, NormalisedEvent, NormalisedLine, WebhookSource
from perfluence.core.money import Money, sum_money

SOURCE = WebhookSource.SHOPIFY
TOPIC_HEADER = "X-Shopify-Topic"
SALE_TOPICS = frozenset({"orders/create", "orders/paid"})
REFUND_TOPIC = "refunds/create"
# Orders in these financial states have not moved money yet (or never will);
# orders/paid brings them back once they are paid.
UNPAID_STATUSES = frozenset({"pending", "voided", "expired"})


def normalise_shopify(topic: str, payload: Mapping[str, object]) -> WebhookOutcome:
    root = Field(payload)
    if topic in SALE_TOPICS:
        return _sale(topic, root)
    if topic == REFUND_TOPIC:
        return _refund(root)
    return Ignored(SOURCE, topic, f"Shopify topic {topic!r} is not used by perfluence")


def _first_present(*fields: Field) -> Field:
    """The first field the payload has, else the last (so errors name it)."""
    return next((f for f in fields if f.present), fields[-1])


def _sale(topic: str, root: Field) -> WebhookOutcome:
    status = root["financial_status"].opt_text()
    if status in UNPAID_STATUSES:
        return Ignored(SOURCE, topic, f"order is not paid (financial_status {status!r})")
    currency = root["currency"].currency()
    email = _first_present(root["email"], root["contact_email"], root["customer"]["email"])
    digest = email_hash(email.opt_text())
    event = NormalisedEvent(
        source=SOURCE,
        kind=ConversionKind.SALE,
        external_id=root["id"].ident(),
        occurred_at=root["created_at"].timestamp(),
        amount=_first_present(root["current_subtotal_price"], root["subtotal_price"]).money(
            currency
        ),
        gross_amount=_first_present(root["current_total_price"], root["total_price"]).money(
            currency
        ),
        discount_amount=_first_present(
            root["current_total_discounts"], root["total_discounts"]
        ).money_or_zero(currency),
        tax_amount=_first_present(root["current_total_tax"], root["total_tax"]).money_or_zero(
            currency
        ),
        taxes_included=root["taxes_included"].opt_boolean(),
        order_ref=root["name"].opt_text(),
        click_id=_click_id(root),
        codes=clean_codes(code["code"].loose_text() for code in root["discount_codes"].items()),
        customer_ref=customer_ref(digest, SOURCE, root["customer"]["id"].opt_ident()),
        customer_email_hash=digest,
        country=clean_country(
            _first_present(
                root["shipping_address"]["country_code"], root["billing_address"]["country_code"]
            ).loose_text()
        ),
        lines=tuple(_sale_line(line, currency) for line in root["line_items"].items()),
        test=root["test"].boolean(False),
    )
    return Accepted(SOURCE, topic, (event,))


def _click_id(root: Field) -> str | None:
    # The cart attribute is what the storefront script read from the click
    # cookie at checkout; the landing page only says how the session began.
    for attribute in root["note_attributes"].items():
        is_click_id = attribute["name"].loose_text() == CLICK_ID_PARAM
        if is_click_id and (found := clean_click_id(attribute["value"].loose_text())):
            return found
    return click_id_from_url(root["landing_site"].loose_text())


def _sale_line(line: Field, currency: str) -> NormalisedLine:
    quantity = line["quantity"].count()
    price = line["price"]
    allocations = line["discount_allocations"]
    before = bounded_total(price.money(currency) * quantity, price.path, "price × quantity")
    discounts = bounded_total(
        sum_money([a["amount"].money(currency) for a in allocations.items()], currency),
        allocations.path,
        "the line's discounts",
    )
    return NormalisedLine(
        product_id=line["product_id"].opt_ident(),
        sku=line["sku"].loose_text(),
        quantity=quantity,
        amount=bounded_total(
            before - discounts, allocations.path, "price × quantity less discounts"
        ),
    )


def _refund(root: Field) -> WebhookOutcome:
    lines = root["refund_line_items"].items()
    transactions = [
        t
        for t in root["transactions"].items()
        if t["kind"].opt_text() == "refund" and t["status"].opt_text() == "success"
    ]
    if not transactions:
        return Ignored(SOURCE, REFUND_TOPIC, "refund moves no money (no successful transaction)")
    currency = _first_present(
        *(line["subtotal_set"]["shop_money"]["currency_code"] for line in lines),
        transactions[0]["currency"],
    ).currency()
    subtotal = [_line_subtotal(line, currency) for line in lines]
    lines_total = bounded_total(
        sum_money(subtotal, currency), "refund_line_items", "the refunded lines' subtotals"
    )
    tax = bounded_total(
        sum_money([_line_tax(line, currency) for line in lines], currency),
        "refund_line_items",
        "the refunded lines' tax",
    )
    in_currency = [t for t in transactions if t["currency"].currency() == currency]
    if len(in_currency) == len(transactions):
        gross = sum_money([t["amount"].money(currency) for t in transactions], currency)
    else:
        # Transactions in the customer's currency: shop money from the lines instead.
        gross = lines_total + tax
    gross = bounded_total(gross, "transactions", "the money refunded")
    amount = lines_total if lines else gross
    event = NormalisedEvent(
        source=SOURCE,
        kind=ConversionKind.REFUND,
        external_id=root["id"].ident(),
        reverses_external_id=root["order_id"].ident(),
        occurred_at=root["created_at"].timestamp(),
        amount=amount,
        gross_amount=gross,
        discount_amount=Money.zero(currency),
        tax_amount=tax,
        lines=tuple(
            NormalisedLine(
                product_id=line["line_item"]["product_id"].opt_ident(),
                sku=line["line_item"]["sku"].loose_text(),
                quantity=line["quantity"].count(),
                amount=line_subtotal,
            )
            for line, line_subtotal in zip(lines, subtotal, strict=True)
        ),
    )
    return Accepted(SOURCE, REFUND_TOPIC, (event,))


def _line_subtotal(line: Field, currency: str) -> Money:
    shop_money = line["subtotal_set"]["shop_money"]["amount"]
    return (shop_money if shop_money.present else line["subtotal"]).money(currency)


def _line_tax(line: Field, currency: str) -> Money:
    shop_money = line["total_tax_set"]["shop_money"]["amount"]
    return (shop_money if shop_money.present else line["total_tax"]).money_or_zero(currency)
