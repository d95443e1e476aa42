"""CSV import machinery shared by every importer.

The shape: read and check the header, validate EVERY row collecting all
problems, refuse the whole file if there is any, and only then write
everything in one transaction. Importers supply the columns, a row validator
and a writer; progress is reported through an optional callback so the CLI
can draw a bar without the service knowing about terminals.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from pathlib import Path
from typing import Final, TypeVar

from perfluence.core.csvrows import CsvRow, RowErrors, read_rows
from perfluence.errors import ErrorCode, PerfluenceError

T = TypeVar("T")

VALIDATING: Final = "validating"
WRITING: Final = "writing"

# (stage, done, total): stage is VALIDATING or WRITING.
Progress = Callable[[str, int, int], None]

# Big enough that a real spreadsheet fits, small enough to refuse a wrong file early.
MAX_FILE_BYTES: Final = 50 * 1024 * 1024


def _no_progress(stage: str, done: int, total: int) -> None:
    return None


def read_file(path: Path | str) -> tuple[bytes, str]:
    """The file's bytes and the name errors call it by."""
    file = Path(path)
    try:
        size = file.stat().st_size
        if size > MAX_FILE_BYTES:
            raise PerfluenceError(
                ErrorCode.PAYLOAD_TOO_LARGE,
                f"{file.name} is {size} bytes; the limit is {MAX_FILE_BYTES}",
            )
        return file.read_bytes(), file.name
    except FileNotFoundError:
        raise PerfluenceError(ErrorCode.NOT_FOUND, f"file {str(file)!r} not found") from None
    except IsADirectoryError:
        raise PerfluenceError(ErrorCode.INVALID, f"{str(file)!r} is a directory") from None


def validate_rows(
    data: bytes,
    *,
    source: str,
    required: Collection[str],
    optional: Collection[str],
    validate_row: Callable[[CsvRow, RowErrors], T | None],
    progress: Progress | None = None,
) -> tuple[list[T], RowErrors]:
    """Parse ``data`` and run ``validate_row`` on every row.

    ``validate_row`` records problems in the ``RowErrors`` it is given and
    returns ``None`` for a row it could not read. The caller adds cross-row
    checks (duplicates, existing records) to the same ``RowErrors`` and then
    calls ``errors.raise_if_any(source)`` before writing anything.
    """
    report = progress or _no_progress
    rows = read_rows(data, source=source, required=required, optional=optional)
    errors = RowErrors()
    parsed: list[T] = []
    report(VALIDATING, 0, len(rows))
    for done, row in enumerate(rows, start=1):
        value = validate_row(row, errors)
        if value is not None:
            parsed.append(value)
        report(VALIDATING, done, len(rows))
    return parsed, errors


def write_in_steps(
    items: Sequence[T], write: Callable[[Sequence[T]], None], progress: Progress | None = None
) -> None:
    """Call ``write`` on chunks of ``items`` (inside the caller's transaction) with progress."""
    report = progress or _no_progress
    chunk = 500
    report(WRITING, 0, len(items))
    for start in range(0, len(items), chunk):
        write(items[start : start + chunk])
        report(WRITING, min(start + chunk, len(items)), len(items))
