"""The ECB reference-rate CSV parser (tests/data/eurofxref-hist.csv is in the real format;
its values are illustrative, not the published rates)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from perfluence.core.ecb import EcbRate, parse_eurofxref
from perfluence.errors import ErrorCode, PerfluenceError
from tests.conftest import DATA

HIST = (DATA / "eurofxref-hist.csv").read_text(encoding="utf-8")


def test_parses_the_history_excerpt() -> None:
    parsed = parse_eurofxref(HIST)
    assert parsed.currencies == ("USD", "JPY", "CYP", "DKK", "GBP", "SEK", "NOK")
    # CYP is all N/A: a column, but no rates.
    assert parsed.rated_currencies == ("USD", "JPY", "DKK", "GBP", "SEK", "NOK")
    assert len(parsed.dates) == 17
    assert parsed.dates[0] == date(2025, 12, 15)
    assert parsed.dates[-1] == date(2026, 1, 9)
    assert len(parsed.rates) == 17 * 6
    # Oldest first, whatever the file's order.
    assert [r.rate_date for r in parsed.rates] == sorted(r.rate_date for r in parsed.rates)
    assert EcbRate(date(2026, 1, 2), "DKK", Decimal("7.4676")) in parsed.rates
    assert EcbRate(date(2026, 1, 2), "GBP", Decimal("0.87666")) in parsed.rates
    # Weekends and TARGET holidays have no row.
    for closed in (date(2026, 1, 3), date(2026, 1, 1), date(2025, 12, 25), date(2025, 12, 26)):
        assert closed not in parsed.dates


def test_rates_keep_the_published_digits() -> None:
    parsed = parse_eurofxref(HIST)
    gbp = next(r for r in parsed.rates if r.currency == "GBP" and r.rate_date == date(2026, 1, 9))
    assert str(gbp.rate) == "0.87700"


def test_bom_crlf_blank_lines_and_missing_trailing_comma() -> None:
    text = (
        "\ufeffDate,USD,DKK,\r\n\r\n2026-01-02,1.1733,7.4676,\r\n"
        "   \r\n2026-01-05,1.1750,7.4677\r\n"
    )
    parsed = parse_eurofxref(text)
    assert parsed.currencies == ("USD", "DKK")
    assert parsed.dates == (date(2026, 1, 2), date(2026, 1, 5))
    assert len(parsed.rates) == 4


def test_na_and_empty_cells_are_missing_rates() -> None:
    parsed = parse_eurofxref("Date,USD,ISK,\n2026-01-02,1.1733,N/A,\n2026-01-05,1.1750,,\n")
    assert parsed.rated_currencies == ("USD",)
    assert {r.currency for r in parsed.rates} == {"USD"}


def test_the_single_day_file() -> None:
    text = "Date, USD, JPY, DKK, \n02 January 2026, 1.1733, 183.71, 7.4676, \n"
    parsed = parse_eurofxref(text)
    assert parsed.dates == (date(2026, 1, 2),)
    assert EcbRate(date(2026, 1, 2), "JPY", Decimal("183.71")) in parsed.rates


@pytest.mark.parametrize(
    ("text", "row", "field", "message"),
    [
        ("", None, None, "empty"),
        ("\ufeff\n\n", None, None, "empty"),
        ("Date,USD,\n", None, None, "no rates"),
        ("Datum;USD;DKK\n2026-01-02;1,17;7,46\n", 1, None, "header"),
        ("Date,\n2026-01-02,\n", 1, None, "no currencies"),
        ("Date,USD,Danish krone,\n", 1, "Danish krone", "three-letter"),
        ("Date,USD,,DKK,\n", 1, "(empty)", "three-letter"),
        ("Date,USD,XYZ,\n", 1, "XYZ", "unknown currency"),
        ("Date,USD,USD,\n", 1, "USD", "twice"),
        ("Date,USD,DKK,\n2026-01-02,1.1733,7.4676,\n2026-01-05,1.1750,abc,\n", 3, "DKK", "abc"),
        ("Date,USD,DKK,\n\n2026-01-02,1.1733,-7.4676,\n", 3, "DKK", "positive"),
        ("Date,USD,DKK,\n2026-01-02,0,7.4676,\n", 2, "USD", "positive"),
        ("Date,USD,DKK,\n2026-01-02,NaN,7.4676,\n", 2, "USD", "positive"),
        ("Date,USD,DKK,\n02/01/2026,1.1733,7.4676,\n", 2, "Date", "not a date"),
        ("Date,USD,DKK,\n2026-02-30,1.1733,7.4676,\n", 2, "Date", "not a date"),
        ("Date,USD,DKK,\n2026-01-02,1.1733\n", 2, None, "2 cells"),
        ("Date,USD,DKK,\n2026-01-02,1.1733,7.4676,9.1,\n", 2, None, "4 cells"),
        ("Date,USD,\n2026-01-02,1.17,\n2026-01-02,1.17,\n", 3, "Date", "first on line 2"),
    ],
)
def test_errors_name_line_and_column(
    text: str, row: int | None, field: str | None, message: str
) -> None:
    with pytest.raises(PerfluenceError) as info:
        parse_eurofxref(text)
    error = info.value
    assert error.code is ErrorCode.IMPORT_FAILED
    assert error.row == row
    assert error.field == field
    assert message in error.message


def test_error_message_names_the_column_number() -> None:
    with pytest.raises(PerfluenceError) as info:
        parse_eurofxref("Date,USD,DKK,\n2026-01-02,1.1733,x,\n")
    assert str(info.value) == "row 2, field 'DKK': 'x' is not a positive rate (column 3)"


rates = st.decimals(min_value=Decimal("0.0001"), max_value=Decimal("99999"), places=4)


@given(
    table=st.dictionaries(
        st.dates(min_value=date(1999, 1, 4), max_value=date(2030, 12, 31)),
        st.tuples(rates, rates | st.none()),
        min_size=1,
        max_size=30,
    )
)
def test_round_trip_of_generated_files(table: dict[date, tuple[Decimal, Decimal | None]]) -> None:
    lines = ["Date,USD,SEK,"]
    for day in sorted(table, reverse=True):
        usd, sek = table[day]
        lines.append(f"{day.isoformat()},{usd},{'N/A' if sek is None else sek},")
    parsed = parse_eurofxref("\n".join(lines) + "\n")
    expected = {(d, "USD", u) for d, (u, _) in table.items()}
    expected |= {(d, "SEK", s) for d, (_, s) in table.items() if s is not None}
    assert {(r.rate_date, r.currency, r.rate) for r in parsed.rates} == expected
    assert parsed.dates == tuple(sorted(table))
