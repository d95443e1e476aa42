"""Shopify's order export (Orders → Export → CSV) as conversion events (pure: bytes in).

An order spans one row per line item; only its first row carries the order's
totals, the others repeat ``Name`` and describe one more line item. Every row
is checked (the row number and column name are in each problem) before any
event is produced, and the whole file is refused when one is wrong.

Per order: a sale (``Subtotal`` is the commission basis: merchandise after
discounts, before shipping; ``Total`` what the customer paid), the click id
from ``Note Attributes`` (a ``pf_cid: …`` line), the codes from ``Discount
Code``, the customer from the hashed ``Email``. ``Refunded Amount`` > 0 adds a
refund of the money returned to date (see ``services.conversion_import`` for
how repeated exports are handled). Orders that are not paid (``pending``,
``authorized``, ``voided``) are skipped. Columns the parser does not use are
ignored, so newer exports with more columns still import.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Final, TypeVar

from perfluence.conversions.identity import (
    CLICK_ID_PARAM,
    clean_click_id,
    clean_codes,
    clean_country,
    email_hash,
)
from perfluence.conversions.incoming import IncomingEvent
from perfluence.core.amounts import parse_decimal_text
from perfluence.core.csvrows import HEADER_ROW, CsvImportError, RowErrors, RowProblem, decode
from perfluence.core.model import ConversionKind
from perfluence.core.money import Money, normalise_currency
from perfluence.errors import ErrorCode, PerfluenceError

SOURCE: Final = "csv"
REQUIRED: Final = ("Name", "Currency", "Subtotal", "Total", "Created at")
# Financial statuses whose orders were paid (in full or in part) at some point.
PAID: Final = frozenset({"paid", "partially_paid", "partially_refunded", "refunded"})
UNPAID: Final = frozenset({"pending", "authorized", "voided", "expired", "unpaid"})
_TIME_FORMATS: Final = ("%Y-%m-%d %H:%M:%S %z", "%Y-%m-%d %H:%M %z")
MAX_ID_LENGTH: Final = 200
MAX_QUANTITY: Final = 1_000_000
_QUANTITY: Final = re.compile(r"[0-9]{1,7}", re.ASCII)
T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class CsvOrder:
    row: int  # the order's first row, for messages
    name: str
    sale: IncomingEvent | None  # None: not paid, skipped
    refunded: Money  # money returned to date (gross), zero when none
    line_items: int


def _parse_time(value: str) -> datetime:
    parsed = None
    for fmt in _TIME_FORMATS:
        try:
            parsed = datetime.strptime(value, fmt)
            break
        except ValueError:
            continue
    if parsed is None:
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError:
            raise PerfluenceError(
                ErrorCode.INVALID, "not a time like 2026-03-02 10:15:00 +0100"
            ) from None
    if parsed.tzinfo is None:
        raise PerfluenceError(ErrorCode.INVALID, "the time has no UTC offset")
    try:
        return parsed.astimezone(UTC)
    except OverflowError:
        # 0001-01-01 00:00 +0100 is a valid time whose UTC falls before year 1.
        raise PerfluenceError(ErrorCode.INVALID, "the time is out of range once in UTC") from None


def _amount(value: str) -> Decimal:
    amount = parse_decimal_text(value)
    if amount < 0:
        raise PerfluenceError(ErrorCode.INVALID, "must not be negative")
    return amount


def _quantity(value: str) -> int:
    # ASCII digits only: str.isdigit() is true for '²', which int() refuses.
    if not _QUANTITY.fullmatch(value):
        raise PerfluenceError(ErrorCode.INVALID, f"must be a whole number up to {MAX_QUANTITY}")
    quantity = int(value)
    if quantity > MAX_QUANTITY:
        raise PerfluenceError(ErrorCode.INVALID, f"must be a whole number up to {MAX_QUANTITY}")
    return quantity


def click_id_from_note_attributes(text: str) -> str | None:
    """``pf_cid: XYZ`` from Shopify's ``Note Attributes`` cell (one ``key: value`` per line)."""
    for line in text.splitlines():
        key, sep, value = line.partition(":")
        found = clean_click_id(value) if sep else None
        if found and key.strip().lower() == CLICK_ID_PARAM:
            return found
    return None


class _Rows:
    """The file's rows as ``{column: cell}``, with the header checked."""

    def __init__(self, data: bytes, source: str) -> None:
        text = decode(data, source)
        records = list(csv.reader(io.StringIO(text, newline="")))
        if not records or not any(c.strip() for c in records[0]):
            raise CsvImportError(
                source, [RowProblem(HEADER_ROW, None, None, "the header is empty")]
            )
        self.header = [c.strip() for c in records[0]]
        missing = [c for c in REQUIRED if c not in self.header]
        if missing:
            raise CsvImportError(
                source,
                [
                    RowProblem(
                        HEADER_ROW,
                        None,
                        None,
                        f"missing column(s) of a Shopify order export: {', '.join(missing)}",
                    )
                ],
            )
        self.rows = [
            (number, dict(zip(self.header, (c.strip() for c in cells), strict=False)))
            for number, cells in enumerate(records[1:], start=HEADER_ROW + 1)
            if any(c.strip() for c in cells)
        ]


def _check(
    errors: RowErrors, number: int, row: dict[str, str], column: str, parse: Callable[[str], T]
) -> T | None:
    value = row.get(column, "")
    try:
        return parse(value)
    except PerfluenceError as exc:
        errors.add(number, column, value, exc.message)
        return None


def _order(number: int, row: dict[str, str], errors: RowErrors, items: int) -> CsvOrder | None:
    name = row["Name"]
    before = len(errors.problems)
    currency = _check(errors, number, row, "Currency", normalise_currency)
    subtotal = _check(errors, number, row, "Subtotal", _amount)
    total = _check(errors, number, row, "Total", _amount)
    discount = _check(errors, number, row, "Discount Amount", lambda v: _amount(v) if v else None)
    refunded = _check(errors, number, row, "Refunded Amount", lambda v: _amount(v) if v else None)
    created = _check(errors, number, row, "Created at", _parse_time)
    paid_at = _check(errors, number, row, "Paid at", lambda v: _parse_time(v) if v else None)
    status = row.get("Financial Status", "").lower()
    if status and status not in PAID | UNPAID:
        errors.add(number, "Financial Status", status, "is not a Shopify financial status")
    order_id = row.get("Id", "")
    for column, value in (("Id", order_id), ("Name", name)):
        if len(value) > MAX_ID_LENGTH:
            errors.add(number, column, value[:20], f"is longer than {MAX_ID_LENGTH} characters")
    if (
        len(errors.problems) > before
        or currency is None
        or subtotal is None
        or total is None
        or created is None
    ):
        return None
    returned = Money(refunded or Decimal(0), currency)
    if status in UNPAID:
        return CsvOrder(number, name, None, returned, items)
    email = email_hash(row.get("Email") or None)
    country = clean_country(row.get("Billing Country") or None) or clean_country(
        row.get("Shipping Country") or None
    )
    sale = IncomingEvent(
        source=SOURCE,
        kind=ConversionKind.SALE,
        external_id=order_id or name,
        occurred_at=paid_at or created,
        amount=Money(subtotal, currency),
        gross_amount=Money(total, currency),
        discount_amount=None if discount is None else Money(discount, currency),
        click_id=click_id_from_note_attributes(row.get("Note Attributes", "")),
        codes=clean_codes(row.get("Discount Code", "").split(",")),
        customer_ref=email,
        customer_email_hash=email,
        payment_ref=row.get("Payment Reference") or None,
        order_ref=name,
        country=country,
    )
    return CsvOrder(number, name, sale, returned, items)


def _line_item(number: int, row: dict[str, str], errors: RowErrors) -> None:
    if row.get("Lineitem quantity"):
        _check(errors, number, row, "Lineitem quantity", _quantity)
    if row.get("Lineitem price"):
        _check(errors, number, row, "Lineitem price", _amount)


def parse_orders(data: bytes, source: str) -> list[CsvOrder]:
    """Every order of the export, in file order; ``CsvImportError`` lists every problem."""
    rows = _Rows(data, source)
    errors = RowErrors()
    firsts: dict[str, tuple[int, dict[str, str]]] = {}
    items: dict[str, int] = {}
    for number, row in rows.rows:
        name = row.get("Name", "")
        if not name:
            errors.add(number, "Name", None, "is empty; every row names its order")
            continue
        _line_item(number, row, errors)
        items[name] = items.get(name, 0) + 1
        if name not in firsts:
            firsts[name] = (number, row)
        elif row.get("Total") and row["Total"] != firsts[name][1].get("Total"):
            errors.add(number, "Total", row["Total"], f"differs from the first row of order {name}")
    orders = [_order(number, row, errors, items[name]) for name, (number, row) in firsts.items()]
    ids: dict[str, int] = {}
    for order in orders:
        if order is None or order.sale is None:
            continue
        seen = ids.setdefault(order.sale.external_id, order.row)
        if seen != order.row:
            errors.add(order.row, "Id", order.sale.external_id, f"also the id of row {seen}")
    errors.raise_if_any(source)
    return [o for o in orders if o is not None]
