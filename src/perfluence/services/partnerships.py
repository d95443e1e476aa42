"""Partnerships: a creator in a campaign, paid under contract terms.

Terms come as a ``ContractTerms`` or as its dict form (``core.terms``); when
the dict names no currency the creator's currency is used.
"""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy import Connection
from sqlalchemy.exc import IntegrityError

from perfluence.core.model import Campaign, Partnership, PartnershipStatus
from perfluence.core.terms import ContractTerms, terms_from_dict
from perfluence.errors import ErrorCode, PerfluenceError
from perfluence.services.context import Context
from perfluence.services.creators import normalise_handle, tier_thresholds
from perfluence.services.workspaces import get_workspace
from perfluence.store import campaigns as campaign_repo
from perfluence.store import creators as creator_repo
from perfluence.store import partnerships as repo


def _campaign(conn: Connection, workspace_id: int, slug: str) -> Campaign:
    found = campaign_repo.find_campaign(conn, workspace_id, slug)
    if found is None:
        raise PerfluenceError(ErrorCode.NOT_FOUND, f"campaign {slug!r} not found", field="campaign")
    return found


def _creator_id_and_currency(
    conn: Connection, workspace_id: int, handle: str, ctx: Context
) -> tuple[int, str]:
    wanted = normalise_handle(handle, "creator")
    found = creator_repo.load_creators(
        conn, workspace_id, tier_thresholds(ctx.settings), handle=wanted
    )
    if not found:
        raise PerfluenceError(ErrorCode.NOT_FOUND, f"creator {wanted!r} not found", field="creator")
    return found[0].id, found[0].currency


def _status(value: PartnershipStatus | str) -> PartnershipStatus:
    try:
        return PartnershipStatus(str(value).strip().lower())
    except ValueError:
        choices = ", ".join(s.value for s in PartnershipStatus)
        raise PerfluenceError(
            ErrorCode.INVALID, f"status {value!r} is not one of {choices}", field="status"
        ) from None


def create_partnership(
    ctx: Context,
    workspace: str,
    campaign: str,
    creator: str,
    terms: ContractTerms | Mapping[str, object],
    *,
    status: PartnershipStatus | str = PartnershipStatus.ACTIVE,
) -> Partnership:
    """Put ``creator`` (handle) into ``campaign`` (slug) under ``terms``; once per pair."""
    ws = get_workspace(ctx, workspace)
    wanted_status = _status(status)
    try:
        with ctx.engine.begin() as conn:
            found = _campaign(conn, ws.id, campaign)
            creator_id, creator_currency = _creator_id_and_currency(conn, ws.id, creator, ctx)
            contract = (
                terms
                if isinstance(terms, ContractTerms)
                else terms_from_dict(terms, currency=creator_currency)
            )
            if repo.find_partnership(conn, ws.id, found.id, creator_id) is not None:
                raise PerfluenceError(
                    ErrorCode.DUPLICATE,
                    f"creator {normalise_handle(creator)!r} is already in campaign {campaign!r}",
                )
            pid = repo.insert_partnership(
                conn,
                workspace_id=ws.id,
                campaign_id=found.id,
                creator_id=creator_id,
                terms=contract,
                status=wanted_status,
                created_at=ctx.now(),
            )
            created = repo.partnership_by_id(conn, ws.id, pid)
    except IntegrityError:
        raise PerfluenceError(
            ErrorCode.DUPLICATE,
            f"creator {normalise_handle(creator)!r} is already in campaign {campaign!r}",
        ) from None
    assert created is not None
    return created


def get_partnership(ctx: Context, workspace: str, campaign: str, creator: str) -> Partnership:
    ws = get_workspace(ctx, workspace)
    with ctx.engine.connect() as conn:
        found = _campaign(conn, ws.id, campaign)
        creator_id, _ = _creator_id_and_currency(conn, ws.id, creator, ctx)
        partnership = repo.find_partnership(conn, ws.id, found.id, creator_id)
    if partnership is None:
        raise PerfluenceError(
            ErrorCode.NOT_FOUND,
            f"creator {normalise_handle(creator)!r} has no partnership in campaign {campaign!r}",
        )
    return partnership


def get_partnership_by_id(ctx: Context, workspace: str, partnership_id: int) -> Partnership:
    ws = get_workspace(ctx, workspace)
    with ctx.engine.connect() as conn:
        found = repo.partnership_by_id(conn, ws.id, partnership_id)
    if found is None:
        raise PerfluenceError(ErrorCode.NOT_FOUND, f"partnership {partnership_id} not found")
    return found


def list_partnerships(
    ctx: Context, workspace: str, *, campaign: str | None = None, creator: str | None = None
) -> list[Partnership]:
    """Partnerships ordered by campaign and creator, optionally of one of each."""
    ws = get_workspace(ctx, workspace)
    with ctx.engine.connect() as conn:
        campaign_id = None if campaign is None else _campaign(conn, ws.id, campaign).id
        creator_id = (
            None if creator is None else _creator_id_and_currency(conn, ws.id, creator, ctx)[0]
        )
        return repo.list_partnerships(conn, ws.id, campaign_id=campaign_id, creator_id=creator_id)
