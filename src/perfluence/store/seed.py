"""Whole-workspace chores for seeding: ids after a bulk insert, counts, removal.

``executemany`` returns no keys portably, so ids of bulk-inserted conversions
are read back by their natural key.
"""

from __future__ import annotations

from sqlalchemy import Connection, delete, func, select

from perfluence.store.tables import (
    api_keys,
    audit_log,
    campaigns,
    click_rollups_hourly,
    clicks,
    conversions,
    costs,
    creators,
    discount_codes,
    partnerships,
    payout_lines,
    payouts,
    posts,
    social_accounts,
    tracking_links,
    workspaces,
)


def conversion_ids(conn: Connection, workspace_id: int, kind: str) -> dict[str, int]:
    """Ids of a workspace's conversions of one kind, by external id."""
    query = select(conversions.c.external_id, conversions.c.id).where(
        conversions.c.workspace_id == workspace_id, conversions.c.kind == kind
    )
    return {str(ext): int(pk) for ext, pk in conn.execute(query)}


def purge_workspace(conn: Connection, workspace_id: int) -> None:
    """Delete a workspace and everything it owns, children first.

    Explicit order rather than ``ON DELETE CASCADE`` alone: refunds point at
    sales and payout lines at conversions without a cascade of their own.
    """
    conn.execute(delete(payout_lines).where(payout_lines.c.workspace_id == workspace_id))
    conn.execute(delete(payouts).where(payouts.c.workspace_id == workspace_id))
    conn.execute(
        delete(conversions).where(
            conversions.c.workspace_id == workspace_id, conversions.c.reverses_id.is_not(None)
        )
    )
    for table in (
        conversions,
        click_rollups_hourly,
        clicks,
        costs,
        posts,
        discount_codes,
        tracking_links,
        partnerships,
        campaigns,
        social_accounts,
        creators,
        api_keys,
        audit_log,
    ):
        conn.execute(delete(table).where(table.c.workspace_id == workspace_id))
    conn.execute(delete(workspaces).where(workspaces.c.id == workspace_id))


def workspace_counts(conn: Connection, workspace_id: int) -> dict[str, int]:
    """Rows a workspace holds per table, for summaries."""
    out: dict[str, int] = {}
    for table in (creators, campaigns, partnerships, posts, clicks, conversions, costs):
        query = select(func.count()).select_from(table).where(table.c.workspace_id == workspace_id)
        out[table.name] = int(conn.execute(query).scalar_one())
    return out
