"""Creators and their social accounts.

Handles are normalised (no leading ``@``, lower-case) so ``@Emma`` and
``emma`` are one creator. The tier is derived from the largest follower count
and the configured thresholds every time a creator is read; it is never stored.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from functools import cache
from typing import Final

from babel.core import Locale
from sqlalchemy.exc import IntegrityError

from perfluence.config import Settings
from perfluence.core.kpis import Tier, TierThresholds
from perfluence.core.model import Creator, Platform
from perfluence.core.money import normalise_currency
from perfluence.errors import ErrorCode, PerfluenceError
from perfluence.services.context import Context
from perfluence.services.workspaces import get_workspace
from perfluence.store import creators as repo
from perfluence.store.creators import AccountRow, CreatorRow

HANDLE_RE: Final = re.compile(r"^[a-z0-9._-]{1,100}$")
EMAIL_RE: Final = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s.]+$")
# Babel's territories include regions and reserved codes that are no country.
_NOT_COUNTRIES: Final = frozenset(
    {"AC", "CP", "CQ", "DG", "EA", "EU", "EZ", "IC", "QO", "TA", "UN", "XA", "XB", "ZZ"}
)


def _invalid(field: str, message: str) -> PerfluenceError:
    return PerfluenceError(ErrorCode.INVALID, message, field=field)


def normalise_handle(value: str, field: str = "handle") -> str:
    """``" @Emma.Eats "`` -> ``"emma.eats"``; refuse anything a platform would not allow."""
    handle = value.strip().removeprefix("@").strip().lower()
    if not handle:
        raise _invalid(field, f"{field} is required")
    if not HANDLE_RE.match(handle):
        raise _invalid(
            field, f"{field} {value!r} may only hold letters, digits, '.', '_' and '-' (max 100)"
        )
    return handle


def validate_email(value: str) -> str:
    email = value.strip()
    if len(email) > 320 or not EMAIL_RE.match(email):
        raise _invalid("email", f"{value!r} is not a valid e-mail address")
    local, domain = email.rsplit("@", 1)
    return f"{local}@{domain.lower()}"


@cache
def _countries() -> frozenset[str]:
    codes = [str(c) for c in Locale.parse("en").territories]
    return frozenset(c for c in codes if len(c) == 2 and c.isalpha()) - _NOT_COUNTRIES


def normalise_country(value: str, field: str = "country") -> str:
    """An ISO 3166-1 alpha-2 code, upper-cased (``dk`` -> ``DK``)."""
    code = value.strip().upper()
    if code not in _countries():
        raise _invalid(field, f"{value!r} is not an ISO 3166 country code (e.g. DK, SE, NO)")
    return code


def parse_platform(value: str) -> Platform:
    try:
        return Platform(value.strip().lower())
    except ValueError:
        choices = ", ".join(p.value for p in Platform)
        raise _invalid("platform", f"platform {value!r} is not one of {choices}") from None


def parse_followers(value: str | int) -> int:
    """A non-negative whole number; spaces and '_' as thousands separators are fine."""
    if isinstance(value, int) and not isinstance(value, bool):
        count = value
    else:
        text = re.sub(r"[\s_\u00a0\u202f]", "", str(value))
        if not (text.isascii() and text.isdigit()):  # "²".isdigit() is true
            raise _invalid("followers", f"followers {value!r} must be a whole number >= 0")
        count = int(text)
    if count < 0:
        raise _invalid("followers", f"followers {value!r} must be a whole number >= 0")
    return count


def validate_url(value: str) -> str:
    url = value.strip()
    if not re.match(r"^https?://[^\s/]+\S*$", url):
        raise _invalid("url", f"url {value!r} must start with http:// or https://")
    return url


def validate_audience(
    audience: Mapping[str, Mapping[str, object]],
) -> dict[str, dict[str, Decimal]]:
    """Shares per group (``age``, ``gender``, ``country``...), each 0..1, summing to <= 1."""
    out: dict[str, dict[str, Decimal]] = {}
    for group, shares in audience.items():
        parsed: dict[str, Decimal] = {}
        for key, raw in shares.items():
            if isinstance(raw, bool | float):
                raise _invalid("audience", f"audience {group}/{key} must be a decimal string")
            try:
                share = Decimal(str(raw).strip())
            except InvalidOperation:
                raise _invalid("audience", f"audience {group}/{key} {raw!r} is no number") from None
            if not share.is_finite() or not 0 <= share <= 1:
                raise _invalid("audience", f"audience {group}/{key} must be a share from 0 to 1")
            parsed[str(key)] = share
        if sum(parsed.values(), Decimal(0)) > 1:
            raise _invalid("audience", f"audience shares of {group!r} add up to more than 1")
        out[str(group)] = parsed
    return out


def tier_thresholds(settings: Settings) -> TierThresholds:
    return TierThresholds(
        micro_from=settings.tier_micro_from,
        macro_from=settings.tier_macro_from,
        mega_from=settings.tier_mega_from,
    )


@dataclass(frozen=True, slots=True)
class NewAccount:
    """A social account to add: ``handle`` defaults to the creator's handle."""

    platform: Platform | str
    handle: str | None = None
    followers: int | str = 0
    url: str | None = None
    audience: Mapping[str, Mapping[str, object]] | None = None

    def validated(self, creator_handle: str) -> AccountRow:
        return AccountRow(
            platform=parse_platform(str(self.platform)),
            handle=normalise_handle(self.handle or creator_handle, "account_handle"),
            url=validate_url(self.url) if self.url else None,
            followers=parse_followers(self.followers),
            audience=validate_audience(self.audience) if self.audience is not None else None,
        )


def creator_row(
    handle: str,
    *,
    name: str,
    email: str | None,
    country: str | None,
    currency: str,
    notes: str | None,
) -> CreatorRow:
    """Validate a creator's own fields (shared by ``add_creator`` and the CSV import)."""
    if not name.strip():
        raise _invalid("name", "name is required")
    if len(name.strip()) > 200:
        raise _invalid("name", "name is longer than 200 characters")
    return CreatorRow(
        handle=normalise_handle(handle),
        name=name.strip(),
        email=validate_email(email) if email and email.strip() else None,
        country=normalise_country(country) if country and country.strip() else None,
        currency=normalise_currency(currency),
        notes=notes.strip() if notes and notes.strip() else None,
    )


def add_creator(
    ctx: Context,
    workspace: str,
    handle: str,
    *,
    name: str,
    email: str | None = None,
    country: str | None = None,
    currency: str | None = None,
    notes: str | None = None,
    accounts: Sequence[NewAccount] = (),
) -> Creator:
    ws = get_workspace(ctx, workspace)
    row = creator_row(
        handle,
        name=name,
        email=email,
        country=country,
        currency=currency or ws.default_currency,
        notes=notes,
    )
    account_rows = [a.validated(row.handle) for a in accounts]
    keys = [(a.platform.value, a.handle) for a in account_rows]
    if len(set(keys)) != len(keys):
        raise PerfluenceError(ErrorCode.DUPLICATE, "the same account is given twice")
    try:
        with ctx.engine.begin() as conn:
            if repo.creator_ids(conn, ws.id, [row.handle]):
                raise PerfluenceError(
                    ErrorCode.DUPLICATE, f"creator {row.handle!r} already exists", field="handle"
                )
            owners = repo.account_owners(conn, ws.id)
            for platform, account_handle in keys:
                if (platform, account_handle) in owners:
                    raise PerfluenceError(
                        ErrorCode.DUPLICATE,
                        f"{platform} account {account_handle!r} already belongs to a creator",
                        field="account_handle",
                    )
            ids = repo.insert_creators(conn, ws.id, [row], ctx.now())
            repo.insert_accounts(
                conn, ws.id, [(ids[row.handle], a) for a in account_rows], ctx.now()
            )
    except IntegrityError:
        # Another writer got there between the check and the insert.
        raise PerfluenceError(
            ErrorCode.DUPLICATE, f"creator {row.handle!r} or one of its accounts already exists"
        ) from None
    return get_creator(ctx, workspace, row.handle)


def add_account(ctx: Context, workspace: str, creator: str, account: NewAccount) -> Creator:
    """Add a social account to an existing creator."""
    ws = get_workspace(ctx, workspace)
    handle = normalise_handle(creator)
    row = account.validated(handle)
    try:
        with ctx.engine.begin() as conn:
            ids = repo.creator_ids(conn, ws.id, [handle])
            if not ids:
                raise PerfluenceError(ErrorCode.NOT_FOUND, f"creator {handle!r} not found")
            if (row.platform.value, row.handle) in repo.account_owners(conn, ws.id):
                raise PerfluenceError(
                    ErrorCode.DUPLICATE,
                    f"{row.platform} account {row.handle!r} already belongs to a creator",
                    field="account_handle",
                )
            repo.insert_accounts(conn, ws.id, [(ids[handle], row)], ctx.now())
    except IntegrityError:
        raise PerfluenceError(
            ErrorCode.DUPLICATE, f"{row.platform} account {row.handle!r} already exists"
        ) from None
    return get_creator(ctx, workspace, handle)


def get_creator(ctx: Context, workspace: str, handle: str) -> Creator:
    ws = get_workspace(ctx, workspace)
    wanted = normalise_handle(handle)
    with ctx.engine.connect() as conn:
        found = repo.load_creators(conn, ws.id, tier_thresholds(ctx.settings), handle=wanted)
    if not found:
        raise PerfluenceError(
            ErrorCode.NOT_FOUND, f"creator {wanted!r} not found in workspace {workspace!r}"
        )
    return found[0]


def list_creators(
    ctx: Context,
    workspace: str,
    *,
    tier: Tier | str | None = None,
    platform: Platform | str | None = None,
    country: str | None = None,
) -> list[Creator]:
    """Creators ordered by handle, optionally only one tier, platform or country."""
    ws = get_workspace(ctx, workspace)
    wanted_tier = _parse_tier(tier) if tier is not None else None
    wanted_platform = parse_platform(str(platform)) if platform is not None else None
    wanted_country = normalise_country(country) if country is not None else None
    with ctx.engine.connect() as conn:
        found = repo.load_creators(
            conn, ws.id, tier_thresholds(ctx.settings), country=wanted_country
        )
    return [
        c
        for c in found
        if (wanted_tier is None or c.tier is wanted_tier)
        and (wanted_platform is None or wanted_platform in c.platforms)
    ]


def _parse_tier(value: Tier | str) -> Tier:
    try:
        return Tier(str(value).strip().lower())
    except ValueError:
        choices = ", ".join(t.value for t in Tier)
        raise _invalid("tier", f"tier {value!r} is not one of {choices}") from None
