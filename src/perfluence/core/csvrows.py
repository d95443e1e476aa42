"""CSV files as people export them from spreadsheets (pure: bytes in, rows out).

UTF-8 with or without a BOM (Excel writes one); the delimiter is ``,``, ``;``
(Scandinavian Excel) or a tab, read off the header line. Rows are numbered as
the spreadsheet shows them: the header is row 1. Problems are collected rather
than raised one at a time, so a user fixes a file in one pass.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from typing import Final, TypeVar

from perfluence.errors import ErrorCode, PerfluenceError

DELIMITERS: Final = (",", ";", "\t")
MAX_REPORTED: Final = 20
HEADER_ROW: Final = 1

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class RowProblem:
    row: int | None
    column: str | None
    value: str | None
    message: str

    def __str__(self) -> str:
        where = []
        if self.row is not None:
            where.append(f"row {self.row}")
        if self.column is not None:
            where.append(f"column '{self.column}'")
        shown = f" (value {self.value!r})" if self.value else ""
        prefix = ", ".join(where)
        return f"{prefix}{shown}: {self.message}" if prefix else self.message


class CsvImportError(PerfluenceError):
    """Nothing was imported; ``problems`` lists every row and column at fault."""

    def __init__(self, source: str, problems: Collection[RowProblem]) -> None:
        listed = list(problems)
        first = listed[0]
        lines = [
            f"nothing imported from {source}: "
            f"{len(listed)} problem{'s' if len(listed) != 1 else ''}"
        ]
        lines += [f"  {p}" for p in listed[:MAX_REPORTED]]
        if len(listed) > MAX_REPORTED:
            lines.append(f"  ... and {len(listed) - MAX_REPORTED} more")
        super().__init__(
            ErrorCode.IMPORT_FAILED, "\n".join(lines), field=first.column, row=first.row
        )
        self.problems = tuple(listed)

    def __str__(self) -> str:
        # The message already names every row and column; no single-location prefix.
        return self.message


@dataclass(frozen=True, slots=True)
class CsvRow:
    number: int
    values: Mapping[str, str]

    def get(self, column: str) -> str:
        """The stripped cell, ``""`` when empty or when the column is absent."""
        return self.values.get(column, "").strip()


@dataclass
class RowErrors:
    """Collects problems while rows are validated."""

    problems: list[RowProblem] = field(default_factory=list)

    def add(self, row: int | None, column: str | None, value: str | None, message: str) -> None:
        self.problems.append(RowProblem(row, column, value, message))

    def check(self, row: CsvRow, column: str, parse: Callable[[str], T]) -> T | None:
        """``parse`` the cell; a ``PerfluenceError`` becomes a problem and gives ``None``."""
        value = row.get(column)
        try:
            return parse(value)
        except PerfluenceError as exc:
            self.add(row.number, column, value, exc.message)
            return None

    def __bool__(self) -> bool:
        return bool(self.problems)

    def raise_if_any(self, source: str) -> None:
        if self.problems:
            raise CsvImportError(source, self.problems)


def decode(data: bytes, source: str) -> str:
    """The file's text; refused unless it is UTF-8 text (a NUL byte means it is not text)."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise CsvImportError(
            source,
            [
                RowProblem(
                    None,
                    None,
                    None,
                    f"not UTF-8 (byte {exc.start}); save the file as 'CSV UTF-8' and try again",
                )
            ],
        ) from None
    nul = text.find("\x00")
    if nul >= 0:
        # Python's csv reads NUL bytes since 3.11, but no database text column can store one.
        line = text.count("\n", 0, nul) + 1
        raise CsvImportError(
            source,
            [
                RowProblem(
                    line,
                    None,
                    None,
                    "contains a NUL byte: this is not a text file; export it again as CSV UTF-8",
                )
            ],
        )
    return text


def sniff_delimiter(text: str) -> str:
    """The delimiter that splits the header line most; ``,`` when none does."""
    header = text.split("\n", 1)[0]
    counts = {d: header.count(d) for d in DELIMITERS}
    best = max(DELIMITERS, key=lambda d: counts[d])
    return best if counts[best] else ","


def read_rows(
    data: bytes,
    *,
    source: str,
    required: Collection[str],
    optional: Collection[str] = (),
) -> list[CsvRow]:
    """Parse a CSV file into rows keyed by lower-cased column name.

    The header must name every ``required`` column and nothing outside
    ``required`` and ``optional``. Blank rows are skipped but still counted, so
    row numbers match the spreadsheet.
    """
    text = decode(data, source)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=sniff_delimiter(text))
    records = list(reader)
    if not records or not any(cell.strip() for cell in records[0]):
        raise CsvImportError(
            source, [RowProblem(HEADER_ROW, None, None, "the header row is empty")]
        )
    header = [cell.strip().lower() for cell in records[0]]
    _check_header(header, source, required, optional)
    errors = RowErrors()
    rows: list[CsvRow] = []
    for index, cells in enumerate(records[1:], start=HEADER_ROW + 1):
        if not any(cell.strip() for cell in cells):
            continue
        if len(cells) > len(header) and any(c.strip() for c in cells[len(header) :]):
            errors.add(
                index,
                None,
                None,
                f"{len(cells)} cells but the header has {len(header)} columns",
            )
            continue
        rows.append(CsvRow(index, dict(zip(header, cells, strict=False))))
    errors.raise_if_any(source)
    return rows


def _check_header(
    header: list[str], source: str, required: Collection[str], optional: Collection[str]
) -> None:
    problems: list[RowProblem] = []
    known = set(required) | set(optional)
    seen: set[str] = set()
    for name in header:
        if not name:
            problems.append(RowProblem(HEADER_ROW, None, None, "a column has no name"))
        elif name in seen:
            problems.append(RowProblem(HEADER_ROW, name, None, "column appears twice"))
        seen.add(name)
    unknown = [n for n in header if n and n not in known]
    if unknown:
        problems.append(
            RowProblem(
                HEADER_ROW,
                None,
                None,
                f"unknown column(s): {', '.join(unknown)}; "
                f"allowed: {', '.join([*required, *optional])}",
            )
        )
    missing = [n for n in required if n not in seen]
    if missing:
        problems.append(
            RowProblem(HEADER_ROW, None, None, f"missing required column(s): {', '.join(missing)}")
        )
    if problems:
        raise CsvImportError(source, problems)
