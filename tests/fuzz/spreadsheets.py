"""Spreadsheet files as people really send them: any subset and order of columns, three
delimiters, quoting, CRLF, a BOM, the wrong encoding, blank and ragged rows, awkward cells."""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping, Sequence

from hypothesis import strategies as st

AWKWARD_CELLS = (
    "",
    " ",
    '"',
    "a,b",
    "a;b",
    "line\nbreak",
    "\u00a0",
    "²",
    "-1",
    "1e9",
    "NaN",
    "99999999999999999999999",
    "0001-01-01 00:00:00 +0100",
    "9999-12-31 23:59:59 -0100",
    '=HYPERLINK("http://x")',
    "\u202eevil",
    "x" * 300,
    "\x00",
)
ENCODINGS = ("utf-8", "utf-8", "utf-8-sig", "utf-16", "cp1252")


@st.composite
def spreadsheets(
    draw: st.DrawFn,
    required: Sequence[str],
    optional: Sequence[str],
    valid: Mapping[str, Sequence[str]],
    max_rows: int = 6,
    *,
    any_case: bool = True,
    delimiters: Sequence[str] = (",", ";", "\t"),
) -> bytes:
    """A CSV file whose columns come from ``required`` and ``optional``.

    Half the files are tidy: every cell one of the first two ``valid[column]`` values (list
    good ones first), so imports succeed often enough to meet what earlier ones stored. The
    others mix in the rest of ``valid``, any text and awkward values. With ``any_case`` the
    header's names change case now and then.
    """
    tidy = draw(st.booleans())
    # Now and then a required column is missing.
    chosen = [c for c in required if tidy or draw(st.integers(0, 19)) > 0]
    chosen += draw(st.lists(st.sampled_from(optional), unique=True, max_size=len(optional)))
    if not tidy and draw(st.integers(0, 19)) == 0:
        chosen.append(draw(st.sampled_from(["unknown", "", chosen[0] if chosen else "x"])))
    header = draw(st.permutations(chosen))
    if any_case and draw(st.booleans()):
        header = [name.upper() if draw(st.booleans()) else name for name in header]

    def cell(column: str) -> st.SearchStrategy[str]:
        good = valid.get(column.lower(), ("",))
        if tidy:
            return st.sampled_from(good[:2])
        return st.one_of(
            st.sampled_from(good),
            st.sampled_from(good),
            st.sampled_from(good),
            st.text(max_size=12),
            st.sampled_from(AWKWARD_CELLS),
        )

    rows: list[list[str]] = []
    for _ in range(draw(st.integers(0, max_rows))):
        shape = draw(st.integers(0, 19)) if not tidy else 19
        if shape == 0:
            rows.append([])  # a blank line
            continue
        row = [draw(cell(name)) for name in header]
        if shape == 1:
            row.append(draw(st.sampled_from(["extra", ""])))  # a ragged row
        elif shape == 2 and row:
            row.pop()
        rows.append(row)
    out = io.StringIO()
    writer = csv.writer(
        out,
        delimiter=draw(st.sampled_from(delimiters)),
        quoting=draw(st.sampled_from([csv.QUOTE_MINIMAL, csv.QUOTE_ALL])),
        lineterminator=draw(st.sampled_from(["\n", "\r\n"])),
    )
    writer.writerow(header)
    writer.writerows(rows)
    encoding = "utf-8" if tidy else draw(st.sampled_from(ENCODINGS))
    return out.getvalue().encode(encoding, errors="replace")
