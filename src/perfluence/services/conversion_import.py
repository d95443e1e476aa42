"""``conversions import``: a Shopify order export into conversions, all or nothing.

Every row is validated first (``conversions.shopify_csv``); then every order
is stored in ONE transaction through the same ingest as the API and the
webhooks, so attribution, flags and ledger lines are identical. Any failure
while storing rolls the whole file back and names the order's row.

Importing the same export again stores nothing new. ``Refunded Amount`` is
what the order has returned to date: when a later export shows more, the
difference is stored as a new refund (``<order id>-refund-<total in minor
units>``), so refunds are never counted twice.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Final

from sqlalchemy import Connection

from perfluence.conversions import ingest
from perfluence.conversions.incoming import IncomingEvent
from perfluence.conversions.shopify_csv import SOURCE, CsvOrder, parse_orders
from perfluence.core.model import ConversionKind
from perfluence.core.money import Money
from perfluence.errors import ErrorCode, PerfluenceError
from perfluence.services import imports
from perfluence.services.context import Context
from perfluence.services.workspaces import get_workspace
from perfluence.store import conversion_views as views
from perfluence.store import conversions as repo

Progress = Callable[[str, int, int], None]
UPLOAD_NAME: Final = "upload.csv"
# A refusal from the ingest names a field of the sale; the file's user knows its columns.
_SALE_COLUMNS: Final = {
    "amount": "Subtotal",
    "gross_amount": "Total",
    "discount_amount": "Discount Amount",
    "currency": "Currency",
    "external_id": "Id",
    "occurred_at": "Paid at",
    "click_id": "Note Attributes",
    "code": "Discount Code",
    "codes": "Discount Code",
    "customer_ref": "Email",
    "country": "Billing Country",
    "payment_ref": "Payment Reference",
}


@dataclass(frozen=True, slots=True)
class ImportSummary:
    orders: int  # orders in the file
    sales_created: int
    refunds_created: int
    already_stored: int  # orders imported before (nothing new)
    skipped_unpaid: int
    unattributed: int  # new sales no partnership could be credited with


def _read(path_or_bytes: Path | str | bytes) -> tuple[bytes, str]:
    if isinstance(path_or_bytes, bytes):
        return path_or_bytes, UPLOAD_NAME
    return imports.read_file(path_or_bytes)


def _refund_event(
    conn: Connection, ws: int, order: CsvOrder, now: datetime
) -> IncomingEvent | None:
    """The part of ``Refunded Amount`` not stored yet, as a refund of the order's sale.

    The export has no refund date, so the refund is dated when it is imported.
    """
    sale = order.sale
    if sale is None or order.refunded.is_zero():
        return None
    stored = repo.find_sale(conn, ws, SOURCE, sale.external_id)
    already = 0 if stored is None else repo.refunded_gross_minor(conn, ws, stored.id)
    missing = order.refunded - Money.from_minor(already, order.refunded.currency)
    if missing.amount <= 0:
        return None
    return IncomingEvent(
        source=SOURCE,
        kind=ConversionKind.REFUND,
        external_id=f"{sale.external_id}-refund-{order.refunded.minor_units}",
        occurred_at=max(now, sale.occurred_at),
        amount=missing,
        gross_amount=missing,
        reverses_external_id=sale.external_id,
        customer_ref=sale.customer_ref,
        order_ref=sale.order_ref,
        amount_from_gross=True,
    )


def import_conversions_csv(
    ctx: Context,
    workspace_slug: str,
    path_or_bytes: Path | str | bytes,
    *,
    progress: Progress | None = None,
) -> ImportSummary:
    """Import a Shopify order export; on any problem raise and store nothing."""
    report = progress or (lambda stage, done, total: None)
    data, source = _read(path_or_bytes)
    report(imports.VALIDATING, 0, 1)
    orders = parse_orders(data, source)
    report(imports.VALIDATING, 1, 1)
    ws = get_workspace(ctx, workspace_slug).id
    now = ctx.now()
    counts = {"sales": 0, "refunds": 0, "old": 0, "unpaid": 0, "none": 0}
    with ctx.engine.begin() as conn:
        report(imports.WRITING, 0, len(orders))
        for done, order in enumerate(orders, start=1):
            try:
                _store(conn, ws, order, now, counts)
            except PerfluenceError as exc:
                raise PerfluenceError(
                    exc.code,
                    f"order {order.name}: {exc.message}; nothing was imported",
                    field=_SALE_COLUMNS.get(exc.field or "", exc.field),
                    row=order.row,
                ) from None
            report(imports.WRITING, done, len(orders))
    return ImportSummary(
        orders=len(orders),
        sales_created=counts["sales"],
        refunds_created=counts["refunds"],
        already_stored=counts["old"],
        skipped_unpaid=counts["unpaid"],
        unattributed=counts["none"],
    )


def _store(
    conn: Connection, ws: int, order: CsvOrder, now: datetime, counts: dict[str, int]
) -> None:
    sale = order.sale
    if sale is None:
        counts["unpaid"] += 1
        return
    existing = views.find_view(conn, ws, SOURCE, "sale", sale.external_id)
    if existing is None:
        conversion_id = ingest.ingest_event(conn, ws, sale, now)
        counts["sales"] += 1
        view = views.view_by_id(conn, ws, conversion_id)
        counts["none"] += int(view.partnership_id is None)
    refund = _refund_event(conn, ws, order, now)
    if refund is not None:
        try:
            ingest.ingest_event(conn, ws, refund, now)
        except PerfluenceError as exc:
            # A refund of an order stored before in another currency, or with no amount.
            column = "Currency" if exc.code is ErrorCode.CURRENCY_MISMATCH else "Refunded Amount"
            raise PerfluenceError(exc.code, exc.message, field=column) from None
        counts["refunds"] += 1
    if existing is not None and refund is None:
        counts["old"] += 1
