"""The ECB euro foreign exchange reference rates file, parsed (pure: text in, rates out).

``eurofxref-hist.csv`` (from ``eurofxref-hist.zip``) looks like::

    Date,USD,JPY,BGN,CYP,...,ZAR,
    2026-01-02,1.1721,183.12,N/A,N/A,...,19.2543,

one row per TARGET business day, newest first, "1 EUR = x currency", ``N/A``
where a currency had no rate that day, and an empty column after the trailing
comma. The single-day ``eurofxref.csv`` (``Date, USD, ...`` with dates like
``2 January 2026``) is read too. Errors name the line (``row``; the header is
line 1) and the column (``field``, by name, and its number); a file with an
error yields nothing.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation

from perfluence.core.money import normalise_currency
from perfluence.errors import ErrorCode, PerfluenceError

BOM = "\ufeff"
_LINE_END = re.compile(r"\r\n|\r|\n")
MISSING_CELLS = frozenset({"", "N/A", "NA", "-"})
_CODE = re.compile(r"^[A-Z]{3}$")
_ISO_DATE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")
_LONG_DATE = re.compile(r"^(\d{1,2}) ([A-Za-z]+) (\d{4})$")
_MONTHS = (
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
)


@dataclass(frozen=True, slots=True)
class EcbRate:
    rate_date: date
    currency: str
    rate: Decimal  # 1 EUR = rate × currency


@dataclass(frozen=True, slots=True)
class EcbRates:
    """Everything a reference-rate file holds, oldest date first."""

    currencies: tuple[str, ...]  # columns in file order, even those with only N/A
    rates: tuple[EcbRate, ...]

    @property
    def dates(self) -> tuple[date, ...]:
        return tuple(sorted({r.rate_date for r in self.rates}))

    @property
    def rated_currencies(self) -> tuple[str, ...]:
        """Currencies with at least one rate, in file order."""
        seen = {r.currency for r in self.rates}
        return tuple(c for c in self.currencies if c in seen)


def _fail(line: int, column: int | None, name: str | None, message: str) -> PerfluenceError:
    """An import error at a line (``row``, the header is 1) and a column (``field``, by name)."""
    where = "" if column is None else f" (column {column})"
    return PerfluenceError(ErrorCode.IMPORT_FAILED, f"{message}{where}", field=name, row=line)


def _lines(text: str) -> Iterator[tuple[int, list[str]]]:
    """Non-blank lines as (line number, stripped cells)."""
    # Only CR/LF end a line: splitlines() also breaks at \x0b, \x0c, \x85..., miscounting rows.
    for number, line in enumerate(_LINE_END.split(text.removeprefix(BOM)), start=1):
        if line.strip():
            yield number, [cell.strip() for cell in line.split(",")]


def _header(number: int, cells: list[str]) -> tuple[str, ...]:
    if not cells or cells[0].lower() != "date":
        raise _fail(
            number,
            None,
            None,
            "expected an ECB reference-rate header 'Date,USD,JPY,...' separated by commas",
        )
    names = cells[1:]
    while names and names[-1] == "":
        names.pop()  # the trailing comma's empty column
    if not names:
        raise _fail(number, None, None, "the header names no currencies")
    seen: set[str] = set()
    for index, name in enumerate(names, start=2):
        if not _CODE.match(name):
            raise _fail(number, index, name or "(empty)", "not a three-letter currency code")
        try:
            normalise_currency(name)
        except PerfluenceError as exc:
            raise _fail(number, index, name, exc.message) from None
        if name in seen:
            raise _fail(number, index, name, "currency appears twice in the header")
        seen.add(name)
    return tuple(names)


def _parse_date(number: int, cell: str) -> date:
    try:
        iso = _ISO_DATE.match(cell)
        if iso:
            return date(int(iso[1]), int(iso[2]), int(iso[3]))
        # Month names by hand: strptime's %B follows the process locale.
        long = _LONG_DATE.match(cell)
        if long and long[2].lower() in _MONTHS:
            return date(int(long[3]), _MONTHS.index(long[2].lower()) + 1, int(long[1]))
    except ValueError:
        pass
    raise _fail(number, 1, "Date", f"{cell!r} is not a date (expected YYYY-MM-DD)")


def _parse_rate(number: int, column: int, currency: str, cell: str) -> Decimal | None:
    if cell.upper() in MISSING_CELLS:
        return None
    try:
        value = Decimal(cell)
    except InvalidOperation:
        value = Decimal("NaN")
    if not value.is_finite() or value <= 0:
        raise _fail(number, column, currency, f"{cell!r} is not a positive rate")
    return value


def parse_eurofxref(text: str) -> EcbRates:
    """Parse an ECB reference-rate CSV (history or single day)."""
    lines = _lines(text)
    first = next(lines, None)
    if first is None:
        raise PerfluenceError(ErrorCode.IMPORT_FAILED, "the file is empty")
    currencies = _header(*first)
    width = len(currencies) + 1
    rates: list[EcbRate] = []
    seen_dates: dict[date, int] = {}
    for number, cells in lines:
        while len(cells) > width and cells[-1] == "":
            cells.pop()
        if len(cells) != width:
            raise _fail(
                number, None, None, f"{len(cells)} cells, but the header has {width} columns"
            )
        day = _parse_date(number, cells[0])
        if day in seen_dates:
            raise _fail(
                number,
                1,
                "Date",
                f"{day.isoformat()} appears twice (first on line {seen_dates[day]})",
            )
        seen_dates[day] = number
        for column, (currency, cell) in enumerate(zip(currencies, cells[1:], strict=True), 2):
            value = _parse_rate(number, column, currency, cell)
            if value is not None:
                rates.append(EcbRate(day, currency, value))
    if not seen_dates:
        raise PerfluenceError(ErrorCode.IMPORT_FAILED, "the file has a header but no rates")
    rates.sort(key=lambda r: r.rate_date)
    return EcbRates(currencies=currencies, rates=tuple(rates))


@dataclass(frozen=True, slots=True)
class ImportSummary:
    """What an import of a reference-rate file did to the stored rates."""

    dates: int  # business days in the file
    currencies: tuple[str, ...]  # currencies with at least one rate in the file
    rates: int  # (date, currency) rates in the file
    first_date: date
    last_date: date
    inserted: int  # rates that were not stored before
    replaced: int  # stored rates the file changed
    unchanged: int  # stored rates the file repeated exactly
