"""``creators import``: many creators and their social accounts from one CSV file.

One row per creator and platform. A creator's later rows may leave name,
email, country, currency and notes empty; when they fill them in they must
agree with the creator's first row. Nothing is written unless every row is
valid; duplicates inside the file or against stored creators are problems too,
except that ``update=True`` updates creators that already exist (their name,
the fields given, and the followers and URL of their accounts).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Final

from sqlalchemy import Connection
from sqlalchemy.exc import IntegrityError

from perfluence.core.csvrows import CsvRow, RowErrors
from perfluence.core.model import Creator
from perfluence.core.money import normalise_currency
from perfluence.errors import ErrorCode, PerfluenceError
from perfluence.services import imports
from perfluence.services.context import Context
from perfluence.services.creators import (
    normalise_country,
    normalise_handle,
    parse_followers,
    parse_platform,
    tier_thresholds,
    validate_email,
    validate_url,
)
from perfluence.services.workspaces import get_workspace
from perfluence.store import creators as repo
from perfluence.store.creators import AccountRow, CreatorRow

REQUIRED: Final = ("handle", "name")
OPTIONAL: Final = (
    "email", "country", "currency", "platform", "platform_handle", "followers", "url", "notes",
)  # fmt: skip
_CREATOR_FIELDS: Final = ("name", "email", "country", "currency", "notes")
MAX_FOLLOWERS: Final = 10**12  # as the API allows; far past any account, far inside BIGINT
_SEPARATORS: Final = re.compile(r"[\s_\u00a0\u202f]")


@dataclass(frozen=True, slots=True)
class CreatorImport:
    created: int
    updated: int
    accounts_created: int
    accounts_updated: int


@dataclass(frozen=True, slots=True)
class _Line:
    row: int
    handle: str
    fields: dict[str, str | None]  # creator fields as given on this row (None = empty)
    account: AccountRow | None
    # Where the account's handle came from: its own cell, or the creator's handle.
    account_column: str = "platform_handle"


def _read_line(row: CsvRow, errors: RowErrors) -> _Line | None:
    handle = errors.check(row, "handle", normalise_handle)
    given: dict[str, str | None] = {
        "name": row.get("name") or None,
        "email": errors.check(row, "email", lambda v: validate_email(v) if v else None),
        "country": errors.check(row, "country", lambda v: normalise_country(v) if v else None),
        "currency": errors.check(row, "currency", lambda v: normalise_currency(v) if v else None),
        "notes": row.get("notes") or None,
    }
    if given["name"] and len(given["name"]) > 200:
        errors.add(row.number, "name", given["name"][:20], "name is longer than 200 characters")
    account = _read_account(row, errors, handle)
    # A row with a readable handle still joins its creator's group even when other cells
    # are bad, so the cross-row checks report real problems only (nothing is written anyway).
    column = "platform_handle" if row.get("platform_handle") else "handle"
    return None if handle is None else _Line(row.number, handle, given, account, column)


def _read_account(row: CsvRow, errors: RowErrors, handle: str | None) -> AccountRow | None:
    if not row.get("platform"):
        for column in ("platform_handle", "followers", "url"):
            if row.get(column):
                errors.add(row.number, column, row.get(column), "needs a platform on the same row")
        return None
    platform = errors.check(row, "platform", parse_platform)
    if row.get("platform_handle"):
        account_handle = errors.check(
            row, "platform_handle", lambda v: normalise_handle(v, "platform_handle")
        )
    else:
        # The account takes the creator's handle; when that is bad, its own problem says so.
        account_handle = handle
    followers = errors.check(row, "followers", _followers)
    url = errors.check(row, "url", lambda v: validate_url(v) if v else None)
    if platform is None or account_handle is None or followers is None:
        return None
    return AccountRow(platform, account_handle, url, followers, None)


def _followers(value: str) -> int:
    """``parse_followers`` for a cell, bounded and in ASCII digits.

    ``str.isdigit()`` is true for '²', which ``int()`` then refuses with a
    ValueError; and a count past 2^63 does not fit the column.
    """
    digits = _SEPARATORS.sub("", value)
    if not digits.isascii():
        raise PerfluenceError(
            ErrorCode.INVALID, f"followers {value!r} must be a whole number >= 0", field="followers"
        )
    count = parse_followers(digits or "0")
    if count > MAX_FOLLOWERS:
        raise PerfluenceError(
            ErrorCode.INVALID,
            f"followers {value!r} is more than {MAX_FOLLOWERS}",
            field="followers",
        )
    return count


def _group(lines: Sequence[_Line], errors: RowErrors) -> dict[str, list[_Line]]:
    """Lines by creator; checks that repeated creator fields agree and accounts are unique."""
    by_handle: dict[str, list[_Line]] = {}
    seen_accounts: dict[tuple[str, str], int] = {}
    for line in lines:
        group = by_handle.setdefault(line.handle, [])
        if group:
            first = group[0]
            for name in _CREATOR_FIELDS:
                mine, theirs = line.fields[name], first.fields[name]
                if mine is not None and mine != theirs:
                    errors.add(
                        line.row,
                        name,
                        mine,
                        f"creator {line.handle!r} has {theirs!r} on row {first.row}",
                    )
        elif line.fields["name"] is None:
            errors.add(
                line.row, "name", None, f"name is required on creator {line.handle!r}'s first row"
            )
        group.append(line)
        if line.account is not None:
            key = (line.account.platform.value, line.account.handle)
            if key in seen_accounts:
                errors.add(
                    line.row,
                    line.account_column,
                    line.account.handle,
                    f"{key[0]} account {key[1]!r} is already on row {seen_accounts[key]}",
                )
            seen_accounts.setdefault(key, line.row)
    return by_handle


def import_creators(
    ctx: Context,
    workspace: str,
    source: Path | str | bytes,
    *,
    update: bool = False,
    progress: imports.Progress | None = None,
    source_name: str = "upload.csv",
) -> CreatorImport:
    """Import creators from a CSV file (path) or its bytes; all rows or none.

    Raises ``CsvImportError`` (code ``import_failed``) listing every problem
    with its row number (the header is row 1) and column.
    """
    ws = get_workspace(ctx, workspace)
    data, name = (source, source_name) if isinstance(source, bytes) else imports.read_file(source)
    lines, errors = imports.validate_rows(
        data,
        source=name,
        required=REQUIRED,
        optional=OPTIONAL,
        validate_row=_read_line,
        progress=progress,
    )
    by_handle = _group(lines, errors)
    try:
        with ctx.engine.begin() as conn:
            return _check_and_write(
                ctx, conn, ws.id, ws.default_currency, name, by_handle, errors, update, progress
            )
    except IntegrityError:
        # Another writer added one of these creators or accounts meanwhile; nothing was written.
        raise PerfluenceError(
            ErrorCode.DUPLICATE, f"{name}: a creator or account was added meanwhile; import again"
        ) from None


def _check_and_write(
    ctx: Context,
    conn: Connection,
    workspace_id: int,
    default_currency: str,
    name: str,
    by_handle: dict[str, list[_Line]],
    errors: RowErrors,
    update: bool,
    progress: imports.Progress | None,
) -> CreatorImport:
    existing = {
        c.handle: c
        for c in repo.load_creators(conn, workspace_id, tier_thresholds(ctx.settings))
        if c.handle in by_handle
    }
    owners = repo.account_owners(conn, workspace_id)
    ids = repo.creator_ids(conn, workspace_id, by_handle)
    for handle, group in by_handle.items():
        if handle in existing and not update:
            errors.add(
                group[0].row,
                "handle",
                handle,
                f"creator {handle!r} already exists; import with --update to update it",
            )
        for line in group:
            if line.account is None:
                continue
            owner = owners.get((line.account.platform.value, line.account.handle))
            if owner is not None and owner[1] != ids.get(handle):
                errors.add(
                    line.row,
                    line.account_column,
                    line.account.handle,
                    f"{line.account.platform} account {line.account.handle!r} "
                    "belongs to another creator",
                )
    errors.raise_if_any(name)
    return _write(ctx, conn, workspace_id, default_currency, by_handle, existing, owners, progress)


def _merged(handle: str, group: Sequence[_Line], base: CreatorRow) -> CreatorRow:
    """The creator's row: fields from the file where given, else ``base``."""
    row = base
    for line in reversed(group):
        for name in _CREATOR_FIELDS:
            value = line.fields[name]
            if value is not None:
                row = replace(row, **{name: value})
    return replace(row, handle=handle)


def _write(
    ctx: Context,
    conn: Connection,
    workspace_id: int,
    default_currency: str,
    by_handle: dict[str, list[_Line]],
    existing: dict[str, Creator],
    owners: dict[tuple[str, str], tuple[int, int]],
    progress: imports.Progress | None,
) -> CreatorImport:
    now = ctx.now()
    counts = {"created": 0, "updated": 0, "accounts_created": 0, "accounts_updated": 0}

    def write(handles: Sequence[str]) -> None:
        new_rows = []
        for handle in handles:
            old = existing.get(handle)
            if old is None:
                blank = CreatorRow(handle, "", None, None, default_currency, None)
                new_rows.append(_merged(handle, by_handle[handle], blank))
                continue
            base = CreatorRow(handle, old.name, old.email, old.country, old.currency, old.notes)
            repo.update_creator(
                conn, workspace_id, old.id, _merged(handle, by_handle[handle], base)
            )
            counts["updated"] += 1
        ids = repo.insert_creators(conn, workspace_id, new_rows, now)
        ids.update(repo.creator_ids(conn, workspace_id, handles))
        counts["created"] += len(new_rows)
        fresh: list[tuple[int, AccountRow]] = []
        for handle in handles:
            for line in by_handle[handle]:
                if line.account is None:
                    continue
                owner = owners.get((line.account.platform.value, line.account.handle))
                if owner is None:
                    fresh.append((ids[handle], line.account))
                else:
                    repo.update_account(conn, workspace_id, owner[0], line.account, now)
                    counts["accounts_updated"] += 1
        repo.insert_accounts(conn, workspace_id, fresh, now)
        counts["accounts_created"] += len(fresh)

    imports.write_in_steps(list(by_handle), write, progress)
    return CreatorImport(**counts)
