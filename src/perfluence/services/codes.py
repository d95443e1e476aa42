"""Discount codes: one per creator and campaign or many, typed, generated or imported.

Codes are unique per workspace regardless of case (``emma15`` is ``EMMA15``):
that is how a conversion that carries a code finds its partnership
(``find_code``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from random import Random
from typing import Final

from sqlalchemy import Connection
from sqlalchemy.exc import IntegrityError

from perfluence.core.codes import code_key, generate_code, has_random_part, validate_code
from perfluence.core.csvrows import CsvRow, RowErrors
from perfluence.core.model import DiscountCode
from perfluence.errors import ErrorCode, PerfluenceError
from perfluence.services import imports
from perfluence.services.context import Context
from perfluence.services.creators import normalise_handle
from perfluence.services.links import find_partnership
from perfluence.services.workspaces import get_workspace
from perfluence.store import codes as repo
from perfluence.store import links as link_repo
from perfluence.store.codes import CodeRow

DEFAULT_PATTERN: Final = "{HANDLE}-{RAND4}"
CODE_ATTEMPTS: Final = 20
MAX_DESCRIPTION: Final = 500
REQUIRED: Final = ("code", "campaign", "creator")
OPTIONAL: Final = ("description",)


def _duplicate(code: str) -> PerfluenceError:
    return PerfluenceError(
        ErrorCode.DUPLICATE,
        f"code {code!r} already exists in this workspace (codes ignore case)",
        field="code",
    )


def _description(value: str | None) -> str | None:
    text = (value or "").strip()
    if len(text) > MAX_DESCRIPTION:
        raise PerfluenceError(
            ErrorCode.INVALID,
            f"description is longer than {MAX_DESCRIPTION} characters",
            field="description",
        )
    return text or None


def create_code(
    ctx: Context,
    workspace: str,
    campaign: str,
    creator: str,
    *,
    code: str | None = None,
    pattern: str | None = None,
    description: str | None = None,
    rng: Random | None = None,
) -> DiscountCode:
    """A code for ``creator`` in ``campaign``: ``code`` as given, or made from ``pattern``.

    Without either the pattern is ``DEFAULT_PATTERN``. A pattern with a random
    part is drawn again when the code is taken; a fixed code that is taken is
    ``DUPLICATE``.
    """
    if code is not None and pattern is not None:
        raise PerfluenceError(ErrorCode.INVALID, "give a code or a pattern, not both", field="code")
    text = _description(description)
    fixed = None if code is None else validate_code(code)
    ws = get_workspace(ctx, workspace)
    try:
        with ctx.engine.begin() as conn:
            ref = find_partnership(conn, ws.id, campaign, creator)
            if fixed is not None:
                chosen = fixed
                if repo.existing_keys(conn, ws.id, [code_key(chosen)]):
                    raise _duplicate(chosen)
            else:
                chosen = _free_code(
                    conn, ws.id, pattern or DEFAULT_PATTERN, ref.creator_handle, rng
                )
            repo.insert_codes(conn, ws.id, [CodeRow(ref.id, chosen, text)], ctx.now())
            found = repo.find_code(conn, ws.id, chosen)
    except IntegrityError:
        # Another writer stored the same code between our check and our insert.
        raise _duplicate(code or pattern or DEFAULT_PATTERN) from None
    assert found is not None
    return found


def _free_code(
    conn: Connection, workspace_id: int, pattern: str, handle: str, rng: Random | None
) -> str:
    attempts = CODE_ATTEMPTS if has_random_part(pattern) else 1
    for _ in range(attempts):
        candidate = generate_code(pattern, handle, rng)
        if not repo.existing_keys(conn, workspace_id, [code_key(candidate)]):
            return candidate
    if attempts == 1:
        raise _duplicate(candidate)
    raise PerfluenceError(
        ErrorCode.DUPLICATE,
        f"pattern {pattern!r} gave only codes that exist; add more random characters",
        field="pattern",
    )


def find_code(ctx: Context, workspace_id: int, code: str) -> DiscountCode | None:
    """The code ``code`` of the workspace, ignoring case; ``None`` when there is none."""
    if not code.strip():
        return None
    with ctx.engine.connect() as conn:
        return repo.find_code(conn, workspace_id, code)


def get_code(ctx: Context, workspace: str, code: str) -> DiscountCode:
    ws = get_workspace(ctx, workspace)
    found = find_code(ctx, ws.id, code)
    if found is None:
        raise PerfluenceError(ErrorCode.NOT_FOUND, f"code {code!r} not found", field="code")
    return found


def list_codes(
    ctx: Context, workspace: str, *, campaign: str | None = None, creator: str | None = None
) -> list[DiscountCode]:
    ws = get_workspace(ctx, workspace)
    handle = None if creator is None else normalise_handle(creator, "creator")
    with ctx.engine.connect() as conn:
        return repo.list_codes(conn, ws.id, campaign_slug=campaign, creator_handle=handle)


@dataclass(frozen=True, slots=True)
class CodeImport:
    created: int


@dataclass(frozen=True, slots=True)
class _Line:
    row: int
    code: str
    campaign: str
    creator: str
    description: str | None


def _read_line(row: CsvRow, errors: RowErrors) -> _Line | None:
    before = len(errors.problems)
    code = errors.check(row, "code", validate_code)
    campaign = row.get("campaign")
    if not campaign:
        errors.add(row.number, "campaign", None, "campaign is required")
    creator = errors.check(row, "creator", lambda v: normalise_handle(v, "creator"))
    description = errors.check(row, "description", _description)
    if code is None or creator is None or len(errors.problems) > before:
        return None
    return _Line(row.number, code, campaign, creator, description)


def import_codes(
    ctx: Context,
    workspace: str,
    file: Path | str,
    *,
    progress: imports.Progress | None = None,
) -> CodeImport:
    """Import codes from a CSV file (columns: code, campaign, creator, description)."""
    data, source = imports.read_file(file)
    return import_codes_data(ctx, workspace, data, source=source, progress=progress)


def import_codes_data(
    ctx: Context,
    workspace: str,
    data: bytes,
    *,
    source: str = "codes.csv",
    progress: imports.Progress | None = None,
) -> CodeImport:
    """``import_codes`` for bytes already read: all rows or none.

    Every problem is reported at once with its row and column: bad codes,
    unknown campaigns or creators, creators not in the campaign, codes that
    repeat within the file or exist already (ignoring case).
    """
    ws = get_workspace(ctx, workspace)
    lines, errors = imports.validate_rows(
        data,
        source=source,
        required=REQUIRED,
        optional=OPTIONAL,
        validate_row=_read_line,
        progress=progress,
    )
    now = ctx.now()
    try:
        with ctx.engine.begin() as conn:
            refs = link_repo.partnership_refs(conn, ws.id)
            known_campaigns = link_repo.campaign_slugs(conn, ws.id)
            known_creators = link_repo.creator_handles(conn, ws.id)
            taken = repo.existing_keys(conn, ws.id, {code_key(line.code) for line in lines})
            rows = _check_lines(lines, errors, refs, known_campaigns, known_creators, taken)
            # Row checks and file-wide checks ran apart; report in spreadsheet order.
            errors.problems.sort(key=lambda p: p.row or 0)
            errors.raise_if_any(source)
            imports.write_in_steps(
                rows, lambda chunk: repo.insert_codes(conn, ws.id, chunk, now), progress
            )
    except IntegrityError:
        raise PerfluenceError(
            ErrorCode.DUPLICATE, f"nothing imported from {source}: a code was stored meanwhile"
        ) from None
    return CodeImport(created=len(rows))


def _check_lines(
    lines: Sequence[_Line],
    errors: RowErrors,
    refs: dict[tuple[str, str], link_repo.PartnershipRef],
    known_campaigns: set[str],
    known_creators: set[str],
    taken: set[str],
) -> list[CodeRow]:
    rows: list[CodeRow] = []
    first_row: dict[str, int] = {}
    for line in lines:
        key = code_key(line.code)
        if key in taken:
            errors.add(line.row, "code", line.code, "code already exists (codes ignore case)")
        elif key in first_row:
            errors.add(
                line.row,
                "code",
                line.code,
                f"same code as row {first_row[key]} (codes ignore case)",
            )
        first_row.setdefault(key, line.row)
        ref = refs.get((line.campaign, line.creator))
        if ref is not None:
            rows.append(CodeRow(ref.id, line.code, line.description))
        elif line.campaign not in known_campaigns:
            errors.add(line.row, "campaign", line.campaign, "campaign not found")
        elif line.creator not in known_creators:
            errors.add(line.row, "creator", line.creator, "creator not found")
        else:
            errors.add(
                line.row, "creator", line.creator, f"creator is not in campaign {line.campaign!r}"
            )
    return rows
