"""WooCommerce order webhooks (REST API v3 order objects) → ``NormalisedEvent``.

An order counts as a sale once it is paid (``processing`` or ``completed``,
or later ``refunded``); ``order.created`` for an unpaid order is ignored and
the ``order.updated`` that follows payment brings it in. Every delivery of a
paid order yields the sale again plus one refund per entry of ``refunds``;
the ingest keeps the first of each external id. See docs/shops.md.
"""

from __future__ import annotations

from collections.abc import Mapping

from perfluence.conversions.identity import (
    CLICK_ID_PARAM,
    clean_click_id,
    clean_codes,
    clean_country,
    customer_ref,
    email_hash,
)
from perfluence.conversions.outcomes import Accepted, Ignored, WebhookOutcome
from perfluence.conversions.payload import Field, bounded_total
from perfluence.core.model import ConversionKind, NormalisedEvent, NormalisedLine, WebhookSource
from perfluence.core.money import Money, sum_money

SOURCE = WebhookSource.WOOCOMMERCE
TOPIC_HEADER = "X-WC-Webhook-Topic"
ORDER_TOPICS = frozenset({"order.created", "order.updated"})
PAID_STATUSES = frozenset({"processing", "completed"})
REFUNDED_STATUS = "refunded"
CLICK_ID_META_KEYS = frozenset({CLICK_ID_PARAM, f"_{CLICK_ID_PARAM}"})
FULL_REFUND_SUFFIX = "-full-refund"


def normalise_woocommerce(topic: str, payload: Mapping[str, object]) -> WebhookOutcome:
    if topic not in ORDER_TOPICS:
        return Ignored(SOURCE, topic, f"WooCommerce topic {topic!r} is not used by perfluence")
    root = Field(payload)
    status = root["status"].text()
    if status not in PAID_STATUSES and status != REFUNDED_STATUS:
        return Ignored(SOURCE, topic, f"order is not paid (status {status!r})")
    sale = _sale(root)
    refunds = [_refund(root, entry, sale) for entry in root["refunds"].items()]
    if status == REFUNDED_STATUS and not refunds:
        refunds.append(_full_refund(root, sale))
    return Accepted(SOURCE, topic, (sale, *refunds))


def _sale(root: Field) -> NormalisedEvent:
    currency = root["currency"].currency()
    with_tax = root["prices_include_tax"].boolean(False)
    digest = email_hash(root["billing"]["email"].loose_text())
    lines = root["line_items"].items()
    line_values = [_line_amount(line, currency, with_tax) for line in lines]
    discount = root["discount_total"].money_or_zero(currency)
    if with_tax:
        discount = bounded_total(
            discount + root["discount_tax"].money_or_zero(currency),
            "discount_tax",
            "the discount with its tax",
        )
    shipping_country = clean_country(root["shipping"]["country"].loose_text())
    return NormalisedEvent(
        source=SOURCE,
        kind=ConversionKind.SALE,
        external_id=root["id"].ident(),
        occurred_at=root["date_created_gmt"].timestamp(naive_is_utc=True),
        amount=bounded_total(sum_money(line_values, currency), "line_items", "the line totals"),
        gross_amount=root["total"].money(currency),
        discount_amount=discount,
        tax_amount=root["total_tax"].money_or_zero(currency),
        taxes_included=with_tax,
        order_ref=root["number"].loose_text(),
        click_id=_click_id(root),
        codes=clean_codes(c["code"].loose_text() for c in root["coupon_lines"].items()),
        customer_ref=customer_ref(digest, SOURCE, _customer_id(root["customer_id"])),
        customer_email_hash=digest,
        country=shipping_country or clean_country(root["billing"]["country"].loose_text()),
        lines=tuple(
            NormalisedLine(
                product_id=line["product_id"].opt_ident(),
                sku=line["sku"].loose_text(),
                quantity=line["quantity"].count(),
                amount=value,
            )
            for line, value in zip(lines, line_values, strict=True)
        ),
    )


def _line_amount(line: Field, currency: str, with_tax: bool) -> Money:
    # ``total`` is after discounts and always without tax in WooCommerce.
    amount = line["total"].money(currency)
    if not with_tax:
        return amount
    tax = line["total_tax"]
    return bounded_total(amount + tax.money_or_zero(currency), tax.path, "the line total with tax")


def _click_id(root: Field) -> str | None:
    for meta in root["meta_data"].items():
        is_click_id = meta["key"].loose_text() in CLICK_ID_META_KEYS
        if is_click_id and (found := clean_click_id(meta["value"].loose_text())):
            return found
    return None


def _customer_id(field: Field) -> str | None:
    # 0 is WooCommerce's guest customer.
    if field.present and field.value == 0:
        return None
    return field.opt_ident()


def _refund_time(root: Field) -> Field:
    # The order's refund list has no dates; the order changed when it was refunded.
    modified = root["date_modified_gmt"]
    return modified if modified.present else root["date_created_gmt"]


def _revenue_share(gross: Money, sale: NormalisedEvent) -> Money:
    """The part of the sale's revenue basis that ``gross`` refunds, pro rata.

    A refund cannot give back more than the order took, so the share is capped
    at the whole sale (which also bounds the arithmetic).
    """
    if gross >= sale.gross_amount:
        return sale.amount
    return (sale.amount * gross.ratio_to(sale.gross_amount)).quantize()


def _refund(root: Field, entry: Field, sale: NormalisedEvent) -> NormalisedEvent:
    # WooCommerce lists refund totals as negative strings ("-10.00").
    gross = abs(entry["total"].signed_money(sale.currency))
    return NormalisedEvent(
        source=SOURCE,
        kind=ConversionKind.REFUND,
        external_id=entry["id"].ident(),
        reverses_external_id=sale.external_id,
        occurred_at=_refund_time(root).timestamp(naive_is_utc=True),
        amount=_revenue_share(gross, sale),
        gross_amount=gross,
        discount_amount=Money.zero(sale.currency),
        tax_amount=Money.zero(sale.currency),
        order_ref=sale.order_ref,
    )


def _full_refund(root: Field, sale: NormalisedEvent) -> NormalisedEvent:
    """Status ``refunded`` without a refund entry: the whole order went back."""
    return NormalisedEvent(
        source=SOURCE,
        kind=ConversionKind.REFUND,
        external_id=f"{sale.external_id}{FULL_REFUND_SUFFIX}",
        reverses_external_id=sale.external_id,
        occurred_at=_refund_time(root).timestamp(naive_is_utc=True),
        amount=sale.amount,
        gross_amount=sale.gross_amount,
        discount_amount=Money.zero(sale.currency),
        tax_amount=sale.tax_amount,
        order_ref=sale.order_ref,
    )
