"""File imports fed generated spreadsheets, against the database (each dialect).

Whatever the file: either it is imported and the summary says what was
stored, or it is refused with every problem naming its row (the header is
row 1) and, for a cell, its column; and then not one table has changed.
Successful imports stay in the database, so later examples meet existing
creators, orders and posts.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from perfluence.core.csvrows import CsvImportError
from perfluence.errors import ErrorCode, PerfluenceError
from perfluence.services import creator_import, post_metrics
from perfluence.services.context import Context
from perfluence.services.conversion_import import import_conversions_csv
from tests.fuzz.db_state import changed_tables, fingerprint
from tests.fuzz.spreadsheets import spreadsheets
from tests.fuzz.strategies import examples
from tests.integration.api_world import conversion_count, make_world

WORKSPACE = "kaffe"
# The cell-count problem names a row but no single column.
WHOLE_ROW = "cells but the header has"


def slow(count: int) -> Callable[[Callable[..., None]], Callable[..., None]]:
    return settings(
        max_examples=examples(count),
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )


@pytest.fixture
def shop(ctx: Context) -> Context:
    make_world(ctx, WORKSPACE, "0PnjEGiWL0i0cjr0lZmIfG", "EMMA15")
    return ctx


def header_of(data: bytes) -> set[str]:
    text = data.decode("utf-8-sig", "replace")
    first = text.splitlines()[0] if text else ""
    for delimiter in (",", ";", "\t"):
        first = first.replace(delimiter, "\x1f")
    return {name.strip().strip('"').lower() for name in first.split("\x1f")}


def check_refusal(error: PerfluenceError, data: bytes, extra_columns: Sequence[str] = ()) -> None:
    """Every problem says where: a row, and for a cell its column."""
    event(f"refused: {type(error).__name__}")
    assert error.http_status < 500, error
    assert error.message.strip(), error
    assert "Traceback" not in error.message
    columns = header_of(data) | {c.lower() for c in extra_columns}
    if not isinstance(error, CsvImportError):
        # Found while storing (one transaction, rolled back): still a row and a column.
        assert error.code in {ErrorCode.INVALID, ErrorCode.CURRENCY_MISMATCH}, error
        assert error.row is not None, error
        assert error.field is not None, error
        assert error.field.lower() in columns, (error.field, columns)
        return
    assert error.code is ErrorCode.IMPORT_FAILED
    for problem in error.problems:
        assert problem.message.strip(), problem
        if problem.row is None:
            assert "UTF-8" in problem.message, problem  # only the file itself has no row
            continue
        assert problem.row >= 1, problem
        if problem.row > 1 and WHOLE_ROW not in problem.message and "NUL" not in problem.message:
            assert problem.column is not None, problem
            assert problem.column.lower() in columns, (problem, columns)


CREATOR_CELLS = {
    "handle": ("emma", "@anna.k", "ole_1", "Emma", "bo"),
    "name": ("Emma Holm", "Anna Ørsted", "Ole"),
    "email": ("emma@example.dk", "anna@example.se", "not-an-email"),
    "country": ("DK", "se", "XX"),
    "currency": ("DKK", "eur", "XXX"),
    "platform": ("instagram", "tiktok", "youtube", "myspace"),
    "platform_handle": ("emma.eats", "anna_k", ""),
    "followers": ("12500", "12 500", "0", "-5", "²", "1_000"),
    "url": ("https://www.instagram.com/emma.eats", "javascript:alert(1)", ""),
    "notes": ("likes coffee", ""),
}


@pytest.mark.slow
@slow(40)
@given(
    data=spreadsheets(creator_import.REQUIRED, creator_import.OPTIONAL, CREATOR_CELLS),
    update=st.booleans(),
)
def test_a_creators_file_is_imported_whole_or_not_at_all(
    shop: Context, data: bytes, update: bool
) -> None:
    before = fingerprint(shop.engine)
    try:
        result = creator_import.import_creators(shop, WORKSPACE, data, update=update)
    except PerfluenceError as error:
        check_refusal(error, data)
        assert changed_tables(before, fingerprint(shop.engine)) == set()
        return
    event("imported")
    changed = changed_tables(before, fingerprint(shop.engine))
    assert changed <= {"creators", "social_accounts", "follower_snapshots", "audit_log"}, changed
    if result.created + result.updated + result.accounts_created == 0:
        assert result.accounts_updated > 0 or changed == set(), result


ORDER_COLUMNS = (
    "Name", "Email", "Financial Status", "Paid at", "Currency", "Subtotal", "Total",
    "Discount Code", "Discount Amount", "Created at", "Lineitem quantity", "Lineitem price",
    "Billing Country", "Note Attributes", "Refunded Amount", "Id", "Payment Reference",
)  # fmt: skip
ORDER_CELLS = {
    "name": ("#1001", "#1002", "#1003"),
    "email": ("anna@example.com", "", "BO@example.com"),
    "financial status": ("paid", "partially_refunded", "refunded", "pending", "weird"),
    "paid at": ("2026-03-01 10:16:02 +0100", ""),
    "currency": ("DKK", "EUR", "dkk"),
    "subtotal": ("400.00", "0", "12.5", "-3"),
    "total": ("449.00", "400.00", "1,5"),
    "discount code": ("EMMA15", "", "emma15, x"),
    "discount amount": ("70.59", "", "1e3"),
    "created at": ("2026-03-01 10:15:40 +0100", "2026-03-01T10:15:40+01:00", "yesterday"),
    "lineitem quantity": ("2", "1", "0", "x"),
    "lineitem price": ("185.00", "100.59"),
    "billing country": ("DK", "", "Denmark"),
    "note attributes": ("pf_cid: 0PnjEGiWL0i0cjr0lZmIfG", "", "pf_cid: nope"),
    "refunded amount": ("0.00", "100.00", "500.00", ""),
    "id": ("5550001001", "5550001002", ""),
    "payment reference": ("c5550001001.1", ""),
}


ORDER_REQUIRED = ("Name", "Currency", "Subtotal", "Total", "Created at")
ORDER_OPTIONAL = tuple(c for c in ORDER_COLUMNS if c not in ORDER_REQUIRED)


@pytest.mark.slow
@slow(40)
@given(
    data=spreadsheets(
        ORDER_REQUIRED, ORDER_OPTIONAL, ORDER_CELLS, any_case=False, delimiters=(",",)
    )
)
def test_a_shopify_export_is_imported_whole_or_not_at_all(shop: Context, data: bytes) -> None:
    before = fingerprint(shop.engine)
    stored = conversion_count(shop)
    try:
        summary = import_conversions_csv(shop, WORKSPACE, data)
    except PerfluenceError as error:
        check_refusal(error, data)
        assert changed_tables(before, fingerprint(shop.engine)) == set()
        return
    event("imported")
    created = summary.sales_created + summary.refunds_created
    assert conversion_count(shop) == stored + created, summary
    if created == 0:
        assert changed_tables(before, fingerprint(shop.engine)) <= {"audit_log"}, summary


POST_CELLS = {
    "creator": ("emma", "@emma", "nobody"),
    "platform": ("instagram", "tiktok", "myspace"),
    "external_id": ("p1", "p2", "p3", ""),
    "campaign": ("spring", "", "autumn"),
    "url": ("https://www.instagram.com/p/1", ""),
    "published_at": ("2026-03-01T10:00:00Z", "1772452800", "99999999999999999999", "²"),
    "caption": ("new beans #ad", ""),
    "impressions": ("1200", "12 500", "-1", "1e3"),
    "reach": ("900", ""),
    "views": ("0", "99999999999999999999"),
    "likes": ("12", "²"),
    "comments": ("3",),
    "shares": ("1",),
    "saves": ("2",),
    "paid_partnership_label": ("yes", "nej", "maybe", ""),
}


@pytest.mark.slow
@slow(40)
@given(data=spreadsheets(post_metrics.REQUIRED, post_metrics.OPTIONAL, POST_CELLS))
def test_a_posts_file_is_imported_whole_or_not_at_all(shop: Context, data: bytes) -> None:
    before = fingerprint(shop.engine)
    try:
        result = post_metrics.import_posts(shop, WORKSPACE, data)
    except PerfluenceError as error:
        check_refusal(error, data)
        assert changed_tables(before, fingerprint(shop.engine)) == set()
        return
    event("imported")
    changed = changed_tables(before, fingerprint(shop.engine))
    assert changed <= {"posts", "post_metric_snapshots", "post_disclosures", "audit_log"}, changed
    assert result.created + result.updated + result.unchanged >= 0
