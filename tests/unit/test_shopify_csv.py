"""Shopify order export parsing: grouping line items, totals, click ids, problems by row."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from perfluence.conversions.identity import email_hash
from perfluence.conversions.shopify_csv import click_id_from_note_attributes, parse_orders
from perfluence.core.csvrows import CsvImportError
from perfluence.core.money import Money
from tests.conftest import DATA

GOOD = (DATA / "shopify_orders_export.csv").read_bytes()
BAD = (DATA / "shopify_orders_export_bad.csv").read_bytes()


def _dkk(amount: str) -> Money:
    return Money(Decimal(amount), "DKK")


def test_orders_group_their_line_items_and_take_totals_from_the_first_row() -> None:
    orders = {o.name: o for o in parse_orders(GOOD, "orders.csv")}
    assert list(orders) == ["#1001", "#1002", "#1003", "#1004", "#1005"]
    first = orders["#1001"]
    assert (first.row, first.line_items) == (2, 2)
    sale = first.sale
    assert sale is not None
    assert (sale.source, sale.kind, sale.external_id, sale.order_ref) == (
        "csv", "sale", "5550001001", "#1001",
    )  # fmt: skip
    assert (sale.amount, sale.gross_amount, sale.discount_amount) == (
        _dkk("400.00"), _dkk("449.00"), _dkk("70.59"),
    )  # fmt: skip
    assert sale.codes == ("EMMA15",)
    assert sale.customer_ref == email_hash("anna@example.com")
    # "Paid at" in the shop's offset, stored in UTC.
    assert sale.occurred_at == datetime(2026, 3, 1, 9, 16, 2, tzinfo=UTC)
    assert sale.country == "DK"


def test_click_id_codes_refunds_and_unpaid_orders() -> None:
    orders = {o.name: o for o in parse_orders(GOOD, "orders.csv")}
    assert orders["#1002"].sale is not None
    assert orders["#1002"].sale.click_id == "pfcidInstagramStory001"
    refunded = orders["#1003"]
    assert refunded.sale is not None
    assert refunded.sale.codes == ("NOAH10", "WELCOME5")
    assert refunded.refunded == _dkk("125.00")
    assert orders["#1004"].sale is None  # pending: skipped
    assert orders["#1001"].refunded.is_zero()


def test_every_bad_row_is_reported_with_its_column() -> None:
    with pytest.raises(CsvImportError) as err:
        parse_orders(BAD, "orders.csv")
    found = {(p.row, p.column) for p in err.value.problems}
    assert found == {(3, "Lineitem quantity"), (7, "Total")}
    assert "nothing imported from orders.csv" in err.value.message


def _csv(*lines: str) -> bytes:
    return ("\n".join(lines) + "\n").encode()


HEADER = "Name,Currency,Subtotal,Total,Created at,Id,Lineitem quantity,Some New Column"


def test_unknown_columns_are_ignored_and_missing_ones_named() -> None:
    ok = _csv(HEADER, "#1,DKK,10.00,12.00,2026-03-01 10:00:00 +0000,77,1,whatever")
    [order] = parse_orders(ok, "x.csv")
    assert order.sale is not None
    assert order.sale.external_id == "77"
    with pytest.raises(CsvImportError, match=r"missing column.*Subtotal"):
        parse_orders(_csv("Name,Currency,Total,Created at", "#1,DKK,1,2026"), "x.csv")


@pytest.mark.parametrize(
    ("rows", "problem"),
    [
        (["#1,DKK,10.00,12.00,2026-03-01 10:00:00 +0000,7,1,", "#1,,,13.00,,,1,"], (3, "Total")),
        (["#1,DKK,10.00,12.00,2026-03-01 10:00,7,1,"], (2, "Created at")),
        (["#1,DKR,10.00,12.00,2026-03-01 10:00:00 +0000,7,1,"], (2, "Currency")),
        (["#1,DKK,-1.00,12.00,2026-03-01 10:00:00 +0000,7,1,"], (2, "Subtotal")),
        (
            [
                "#1,DKK,10.00,12.00,2026-03-01 10:00:00 +0000,7,1,",
                "#2,DKK,10.00,12.00,2026-03-01 10:00:00 +0000,7,1,",
            ],
            (3, "Id"),
        ),
        ([",DKK,10.00,12.00,2026-03-01 10:00:00 +0000,7,1,"], (2, "Name")),
    ],
)
def test_row_problems(rows: list[str], problem: tuple[int, str]) -> None:
    with pytest.raises(CsvImportError) as err:
        parse_orders(_csv(HEADER, *rows), "x.csv")
    assert [(p.row, p.column) for p in err.value.problems] == [problem]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("pf_cid: pfcidInstagramStory001", "pfcidInstagramStory001"),
        ("gift: yes\nPF_CID:pfcidInstagramStory001 ", "pfcidInstagramStory001"),
        ("pf_cid: too-short", None),
        ("note: pf_cid: pfcidInstagramStory001", None),
        ("", None),
    ],
)
def test_click_id_from_note_attributes(text: str, expected: str | None) -> None:
    assert click_id_from_note_attributes(text) == expected
