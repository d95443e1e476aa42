from __future__ import annotations

import pytest

from perfluence.core.csvrows import CsvImportError, RowErrors, read_rows, sniff_delimiter
from perfluence.errors import ErrorCode, PerfluenceError

REQUIRED = ("handle", "name")
OPTIONAL = ("email", "followers")


def _read(text: str | bytes) -> list[tuple[int, dict[str, str]]]:
    data = text.encode() if isinstance(text, str) else text
    rows = read_rows(data, source="t.csv", required=REQUIRED, optional=OPTIONAL)
    return [(r.number, dict(r.values)) for r in rows]


@pytest.mark.parametrize("delimiter", [",", ";", "\t"])
def test_delimiter_is_read_off_the_header(delimiter: str) -> None:
    text = (
        delimiter.join(["handle", "name", "email"])
        + "\n"
        + delimiter.join(["a", '"A, B"', "a@x.dk"])
    )
    assert sniff_delimiter(text) == delimiter
    [(number, values)] = _read(text)
    assert number == 2
    assert values == {"handle": "a", "name": "A, B", "email": "a@x.dk"}


def test_bom_and_crlf_and_header_case_are_handled() -> None:
    data = "\ufeffHandle;Name\r\nemma;Emma Ø\r\n".encode()
    assert _read(data) == [(2, {"handle": "emma", "name": "Emma Ø"})]


def test_blank_rows_are_skipped_but_keep_spreadsheet_numbering() -> None:
    rows = _read("handle,name\na,A\n\n,\nb,B\n")
    assert [n for n, _ in rows] == [2, 5]


def test_quoted_newline_counts_as_one_spreadsheet_row() -> None:
    rows = _read('handle,name\na,"two\nlines"\nb,B\n')
    assert [n for n, _ in rows] == [2, 3]


def test_unknown_and_missing_columns_are_all_named() -> None:
    with pytest.raises(CsvImportError) as err:
        _read("handle,shoe_size,colour\na,1,2\n")
    message = err.value.message
    assert err.value.code is ErrorCode.IMPORT_FAILED
    assert "shoe_size, colour" in message
    assert "missing required column(s): name" in message
    assert err.value.row == 1


def test_duplicate_column_is_refused() -> None:
    with pytest.raises(CsvImportError, match="column 'name'"):
        _read("handle,name,name\na,A,B\n")


def test_too_many_cells_names_the_row() -> None:
    with pytest.raises(CsvImportError) as err:
        _read("handle,name\na,A\nb,B,extra\n")
    assert err.value.problems[0].row == 3


def test_not_utf8_is_refused_with_advice() -> None:
    with pytest.raises(CsvImportError, match="CSV UTF-8"):
        _read("handle,name\nø,Ø\n".encode("latin-1"))


def test_empty_file_is_refused() -> None:
    with pytest.raises(CsvImportError, match="header row is empty"):
        _read(b"")


def test_report_lists_first_twenty_problems_and_counts_the_rest() -> None:
    errors = RowErrors()
    for row in range(2, 32):
        errors.add(row, "email", "x", "not an e-mail")
    with pytest.raises(CsvImportError) as err:
        errors.raise_if_any("big.csv")
    text = str(err.value)
    assert "30 problems" in text
    assert "row 21, column 'email'" in text
    assert "row 22," not in text
    assert "... and 10 more" in text
    assert len(err.value.problems) == 30


def test_check_turns_a_perfluence_error_into_a_problem() -> None:
    [row] = read_rows(b"handle,name\na,A\n", source="t.csv", required=REQUIRED)
    errors = RowErrors()

    def refuse(value: str) -> str:
        raise PerfluenceError(ErrorCode.INVALID, "no")

    assert errors.check(row, "name", refuse) is None
    assert errors.check(row, "handle", str.upper) == "A"
    assert [(p.row, p.column, p.value) for p in errors.problems] == [(2, "name", "A")]
