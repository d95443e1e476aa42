"""Fuzz every file importer's parsing and row validation (no database).

Input layout: byte 0 picks the importer (``IMPORTERS``), the rest is the file.
The importers validate every row before anything is written, so this covers
everything a file decides; what the database adds (existing records) is
covered by tests/fuzz. A finding is any exception but a ``PerfluenceError``
with a 4xx code, a problem that names a row outside the file or no row at
all for a row-level problem, or a parsed value that breaks its promise
(negative or float amounts, rows out of order).

    python fuzz/csv_import.py -max_total_time=120 -dict=fuzz/csv.dict fuzz/corpus/csv_import
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Collection
from decimal import Decimal
from typing import Final

from perfluence.conversions.shopify_csv import parse_orders
from perfluence.core.csvrows import CsvImportError, CsvRow, RowErrors
from perfluence.core.ecb import parse_eurofxref
from perfluence.core.post_exports import parse_instagram, parse_tiktok, parse_youtube
from perfluence.errors import ErrorCode, PerfluenceError
from perfluence.services import baselines, codes, creator_import, imports, post_metrics, sentiment

SOURCE: Final = "fuzz.csv"
CLEAN_CODES: Final = frozenset(
    {ErrorCode.IMPORT_FAILED, ErrorCode.INVALID, ErrorCode.PAYLOAD_TOO_LARGE}
)

RowReader = Callable[[CsvRow, RowErrors], object]


def _rows(
    required: Collection[str], optional: Collection[str], read: RowReader
) -> Callable[[bytes], object]:
    """An importer's validation step: every row checked, every problem raised at once."""

    def run(data: bytes) -> object:
        parsed, errors = imports.validate_rows(
            data, source=SOURCE, required=required, optional=optional, validate_row=read
        )
        errors.raise_if_any(SOURCE)
        return parsed

    return run


def _creators(data: bytes) -> object:
    lines, errors = imports.validate_rows(
        data,
        source=SOURCE,
        required=creator_import.REQUIRED,
        optional=creator_import.OPTIONAL,
        validate_row=creator_import._read_line,
    )
    groups = creator_import._group(lines, errors)
    errors.raise_if_any(SOURCE)
    return groups


def _orders(data: bytes) -> object:
    orders = parse_orders(data, SOURCE)
    rows = [order.row for order in orders]
    assert rows == sorted(rows), rows
    for order in orders:
        assert type(order.refunded.amount) is Decimal, order
        assert order.refunded.amount >= 0, order
        if order.sale is not None:
            assert order.sale.amount is not None, order
            assert order.sale.amount.amount >= 0, order
            assert 0 < len(order.sale.external_id) <= 200, order
            assert order.sale.occurred_at.utcoffset() is not None, order
    return orders


def _ecb(data: bytes) -> object:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return None  # the service refuses undecodable files before the parser sees them
    return parse_eurofxref(text)


def _instagram_comments(data: bytes) -> object:
    return sentiment._read_instagram(data, SOURCE, ("instagram", "p1"))


IMPORTERS: Final[tuple[Callable[[bytes], object], ...]] = (
    _creators,
    _orders,
    _rows(
        post_metrics.REQUIRED,
        post_metrics.OPTIONAL,
        post_metrics._read_csv_row,
    ),
    lambda data: parse_instagram(data, SOURCE),
    lambda data: parse_tiktok(data, SOURCE),
    lambda data: parse_youtube(data, SOURCE),
    _rows(post_metrics.FOLLOWER_COLUMNS, (), post_metrics._read_follower_row),
    _rows(codes.REQUIRED, codes.OPTIONAL, codes._read_line),
    _rows(("date", "value"), (), baselines._read_line),
    _rows(sentiment.REQUIRED, sentiment.OPTIONAL, sentiment._read_row),
    _instagram_comments,
    _ecb,
)
NAMES: Final = (
    "creators",
    "shopify-orders",
    "posts",
    "instagram-posts",
    "tiktok-posts",
    "youtube-posts",
    "followers",
    "codes",
    "baselines",
    "comments",
    "instagram-comments",
    "ecb-rates",
)


def check_refusal(error: PerfluenceError, data: bytes) -> None:
    assert error.code in CLEAN_CODES, f"unexpected code {error.code}: {error}"
    assert error.message.strip(), "an empty message"
    # An upper bound on any row or line number: str.splitlines() breaks at more than \r and \n.
    lines = len(data.decode("utf-8", "replace").splitlines()) + data.count(b"\r") + 1
    if isinstance(error, CsvImportError):
        assert error.problems, "an import error that lists no problem"
        for problem in error.problems:
            assert problem.row is None or 1 <= problem.row <= lines, (problem, lines)
            assert problem.message.strip(), problem
    elif error.row is not None:
        assert 1 <= error.row <= lines, (error, lines)


def check(data: bytes) -> None:
    """One input; raises on a finding."""
    if not data:
        return
    importer = IMPORTERS[data[0] % len(IMPORTERS)]
    body = data[1:]
    try:
        importer(body)
    except PerfluenceError as error:
        check_refusal(error, body)


def main() -> None:
    import atheris  # type: ignore[import-untyped]  # noqa: PLC0415

    from fuzz.instrument import instrument_packages  # noqa: PLC0415

    instrument_packages()
    atheris.Setup(sys.argv, check)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
