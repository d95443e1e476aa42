"""One test per bug the fuzzers found: the smallest input that showed it, and the clean answer.

Each once raised something other than a ``PerfluenceError`` (a 500 through the
API, a traceback in the CLI), or was accepted when it should not have been,
or named the wrong place in a file.
"""

from __future__ import annotations

import copy
from typing import Any

import pytest
from fuzz.mutators import write_json
from fuzz.webhooks import NOW, SECRET, signed_headers

from perfluence.conversions.outcomes import Accepted, WebhookOutcome
from perfluence.conversions.payload import parse_json
from perfluence.conversions.shopify_csv import parse_orders
from perfluence.conversions.webhooks import receive_webhook
from perfluence.core.csvrows import CsvImportError
from perfluence.core.links import validate_destination
from perfluence.core.model import WebhookSource
from perfluence.core.post_exports import parse_count, parse_instagram, parse_time
from perfluence.errors import ErrorCode, PerfluenceError
from perfluence.services import creator_import, imports, post_metrics
from tests.conftest import DATA
from tests.unit.webhook_fuzz import fixture_dict

ORDER = fixture_dict("shopify", "orders_create")
REFUND = fixture_dict("shopify", "refunds_create")
SESSION = fixture_dict("stripe", "checkout_session_completed")
WOO = fixture_dict("woocommerce", "order_updated")


def deliver(source: WebhookSource, topic: str, payload: object) -> WebhookOutcome:
    body = payload if isinstance(payload, bytes) else write_json(payload)
    return receive_webhook(source, body, signed_headers(source, topic, body), SECRET, NOW)


def refused(source: WebhookSource, topic: str, payload: object) -> PerfluenceError:
    with pytest.raises(PerfluenceError) as info:
        deliver(source, topic, payload)
    assert info.value.code is ErrorCode.INVALID, info.value
    assert info.value.http_status == 422
    return info.value


def with_value(payload: dict[str, Any], path: tuple[str | int, ...], value: object) -> Any:
    out = copy.deepcopy(payload)
    node: Any = out
    for step in path[:-1]:
        node = node[step]
    node[path[-1]] = value
    return out


# -- webhooks -------------------------------------------------------------------------------


def test_a_negative_amount_is_refused_naming_its_field() -> None:
    error = refused(
        WebhookSource.SHOPIFY, "orders/create", {**ORDER, "current_total_tax": "-10.00"}
    )
    assert error.field == "current_total_tax"
    assert "negative" in error.message


def test_line_discounts_larger_than_the_line_are_refused() -> None:
    payload = with_value(ORDER, ("line_items", 0, "discount_allocations", 0, "amount"), "9999.00")
    error = refused(WebhookSource.SHOPIFY, "orders/create", payload)
    assert error.field == "line_items[0].discount_allocations"


def test_a_line_past_what_a_bigint_minor_unit_column_holds_is_refused() -> None:
    # 10^15 - 1 is a readable price; a million of them is not an order.
    line = {**ORDER["line_items"][0], "price": "999999999999999", "quantity": 1_000_000}
    error = refused(WebhookSource.SHOPIFY, "orders/create", {**ORDER, "line_items": [line]})
    assert error.field == "line_items[0].price"


def test_many_large_woocommerce_lines_do_not_add_up_past_the_bound() -> None:
    line = {**WOO["line_items"][0], "total": "999999999999999", "total_tax": "0"}
    error = refused(WebhookSource.WOOCOMMERCE, "order.updated", {**WOO, "line_items": [line] * 20})
    assert error.field == "line_items"


def test_a_stripe_discount_larger_than_the_subtotal_is_refused() -> None:
    session = copy.deepcopy(SESSION)
    session["data"]["object"]["total_details"]["amount_discount"] = 10**9
    error = refused(WebhookSource.STRIPE, "", session)
    assert error.field == "data.object.total_details.amount_discount"


def test_stripe_refunds_in_two_currencies_are_refused_before_any_is_stored() -> None:
    charge = fixture_dict("stripe", "charge_refunded")
    refund = charge["data"]["object"]["refunds"]["data"][0]
    other = {**refund, "id": "re_other", "currency": "eur", "amount": 100}
    charge["data"]["object"]["refunds"]["data"] = [refund, other]
    error = refused(WebhookSource.STRIPE, "", charge)
    assert error.field == "data.object.refunds.data[1].currency"


@pytest.mark.parametrize("digits", [201, 4000])
def test_an_integer_id_longer_than_the_column_is_refused(digits: int) -> None:
    body = write_json(ORDER).replace(b'"id": 5704381366491', b'"id": ' + b"7" * digits, 1)
    error = refused(WebhookSource.SHOPIFY, "orders/create", body)
    assert error.field == "id"


def test_a_number_no_decimal_can_hold_is_refused_not_a_crash() -> None:
    body = b'{"current_total_price": 1E44444444444444444444}'
    with pytest.raises(PerfluenceError) as info:
        parse_json(body)
    assert info.value.code is ErrorCode.INVALID
    assert "exponent" in info.value.message


def test_a_nul_character_is_refused_in_text_and_dropped_from_free_text() -> None:
    # JSON carries U+0000 ("\u0000"); a PostgreSQL text column cannot store it.
    error = refused(WebhookSource.SHOPIFY, "orders/create", {**ORDER, "name": "#10\x0001"})
    assert error.field == "name"
    payload = with_value(ORDER, ("line_items", 0, "sku"), "KB-ESP\x00-500")
    outcome = deliver(WebhookSource.SHOPIFY, "orders/create", payload)
    assert isinstance(outcome, Accepted)
    assert outcome.events[0].lines[0].sku is None


# -- destinations -----------------------------------------------------------------------------


def test_an_ipv6_zone_is_refused_in_a_destination() -> None:
    with pytest.raises(PerfluenceError, match="zone") as info:
        validate_destination("http://[2001:DB8::%2001:DB8::zz]:8080/p")
    assert info.value.field == "destination"


# -- platform exports -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value", [10**20, "99999999999999999999", "0001-01-01T00:00:00+01:00", "²", -(10**18)]
)
def test_a_time_out_of_range_is_refused_naming_the_field(value: object) -> None:
    with pytest.raises(PerfluenceError) as info:
        parse_time(value, "timestamp")
    assert info.value.field == "timestamp"


@pytest.mark.parametrize("value", ["²", "1" * 30, 10**30])
def test_a_count_that_is_no_count_is_refused(value: object) -> None:
    with pytest.raises(PerfluenceError) as info:
        parse_count(value, "like_count")
    assert info.value.field == "like_count"


def test_a_nul_in_an_export_caption_is_refused_with_its_item() -> None:
    data = b'{"data": [{"id": "1", "caption": "new beans\\u0000"}]}'
    with pytest.raises(CsvImportError) as info:
        parse_instagram(data, "media.json")
    (problem,) = info.value.problems
    assert (problem.row, problem.column) == (1, "caption")


# -- spreadsheets -----------------------------------------------------------------------------


def shopify_export(replace: bytes, by: bytes, count: int = 1) -> bytes:
    data = (DATA / "shopify_orders_export.csv").read_bytes()
    assert replace in data
    return data.replace(replace, by, count)


def only_problem(data: bytes) -> tuple[int | None, str | None, str]:
    with pytest.raises(CsvImportError) as info:
        parse_orders(data, "orders.csv")
    (problem,) = info.value.problems
    return problem.row, problem.column, problem.message


def test_a_time_whose_utc_falls_before_year_one_is_refused() -> None:
    data = shopify_export(b"2026-03-01 10:15:40 +0100", b"0001-01-01 00:00:00 +0100")
    assert only_problem(data)[:2] == (2, "Created at")


def test_a_quantity_in_superscript_digits_is_refused() -> None:
    data = shopify_export(b",2,Espresso", ",²,Espresso".encode())
    assert only_problem(data)[:2] == (2, "Lineitem quantity")


def test_a_long_order_name_is_blamed_on_the_name_not_the_id() -> None:
    data = shopify_export(b"#1001,", b"#" + b"1" * 250 + b",", count=-1)
    row, column, _ = only_problem(data)
    assert (row, column) == (2, "Name")


def test_a_nul_byte_refuses_the_file_with_its_line() -> None:
    with pytest.raises(CsvImportError) as info:
        imports.validate_rows(
            b"handle,name\nemma,Emma\nanna,An\x00na\n",
            source="creators.csv",
            required=creator_import.REQUIRED,
            optional=creator_import.OPTIONAL,
            validate_row=creator_import._read_line,
        )
    (problem,) = info.value.problems
    assert problem.row == 3
    assert "NUL" in problem.message


def creators_problems(text: str) -> list[tuple[int | None, str | None]]:
    lines, errors = imports.validate_rows(
        text.encode(),
        source="creators.csv",
        required=creator_import.REQUIRED,
        optional=creator_import.OPTIONAL,
        validate_row=creator_import._read_line,
    )
    creator_import._group(lines, errors)
    return [(p.row, p.column) for p in errors.problems]


@pytest.mark.parametrize("followers", ["²", "1854²1", "99999999999999999999999"])
def test_followers_that_are_no_whole_number_are_a_row_problem(followers: str) -> None:
    text = f"handle,name,platform,followers\nemma,Emma,instagram,{followers}\n"
    assert creators_problems(text) == [(2, "followers")]


def test_an_account_named_by_the_creators_handle_is_blamed_on_the_handle() -> None:
    text = "handle,name,platform\nemma,Emma,instagram\nemma,,instagram\n"
    assert creators_problems(text) == [(3, "handle")]


def test_a_bad_handle_is_not_also_blamed_on_a_missing_platform_handle() -> None:
    text = "handle,name,platform\n!!,Emma,instagram\n"
    assert creators_problems(text) == [(2, "handle")]


def test_follower_snapshots_with_superscript_digits_are_a_row_problem() -> None:
    _, errors = imports.validate_rows(
        "platform,handle,day,followers\ninstagram,emma,2026-03-08,1854²1\n".encode(),
        source="followers.csv",
        required=post_metrics.FOLLOWER_COLUMNS,
        optional=(),
        validate_row=post_metrics._read_follower_row,
    )
    assert [(p.row, p.column) for p in errors.problems] == [(2, "followers")]
