"""Campaign rows (every query is filtered by workspace)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Connection, Row, insert, select, update

from perfluence.core.attribution import ConflictRule
from perfluence.core.model import Campaign, CampaignGoal, CampaignStatus, TargetMetric
from perfluence.core.money import Money
from perfluence.store.tables import campaigns


@dataclass(frozen=True, slots=True)
class CampaignRow:
    slug: str
    name: str
    goal: CampaignGoal
    status: CampaignStatus
    starts_on: date
    ends_on: date
    budget: Money
    markets: tuple[str, ...]
    brief: str | None
    kpi_targets: Mapping[TargetMetric, Decimal]
    attribution_window_days: int
    reference_cpm: Money | None
    conflict_rule: ConflictRule = ConflictRule.CODE_WINS


def insert_campaign(
    conn: Connection, workspace_id: int, row: CampaignRow, created_at: datetime
) -> int:
    result = conn.execute(
        insert(campaigns).values(
            workspace_id=workspace_id,
            slug=row.slug,
            name=row.name,
            goal=row.goal.value,
            status=row.status.value,
            starts_on=row.starts_on,
            ends_on=row.ends_on,
            budget_minor=row.budget.minor_units,
            currency=row.budget.currency,
            markets=list(row.markets),
            brief=row.brief,
            # Exact strings: JSON numbers would come back as floats.
            kpi_targets={m.value: format(v, "f") for m, v in row.kpi_targets.items()},
            attribution_window_days=row.attribution_window_days,
            reference_cpm_minor=None
            if row.reference_cpm is None
            else row.reference_cpm.minor_units,
            conflict_rule=row.conflict_rule.value,
            created_at=created_at,
        )
    )
    pk = result.inserted_primary_key
    assert pk is not None
    return int(pk[0])


def set_status(
    conn: Connection, workspace_id: int, campaign_id: int, status: CampaignStatus
) -> None:
    update_settings(conn, workspace_id, campaign_id, status=status)


def update_settings(
    conn: Connection,
    workspace_id: int,
    campaign_id: int,
    *,
    status: CampaignStatus | None = None,
    conflict_rule: ConflictRule | None = None,
    attribution_window_days: int | None = None,
) -> None:
    """Change the settings that are given; the others stay as they are."""
    values: dict[str, object] = {}
    if status is not None:
        values["status"] = status.value
    if conflict_rule is not None:
        values["conflict_rule"] = conflict_rule.value
    if attribution_window_days is not None:
        values["attribution_window_days"] = attribution_window_days
    if not values:
        return
    conn.execute(
        update(campaigns)
        .where(campaigns.c.workspace_id == workspace_id, campaigns.c.id == campaign_id)
        .values(**values)
    )


def _to_campaign(row: Row[tuple[object, ...]]) -> Campaign:
    m = row._mapping
    currency = m["currency"]
    targets = m["kpi_targets"] or {}
    reference = m["reference_cpm_minor"]
    return Campaign(
        id=m["id"],
        workspace_id=m["workspace_id"],
        slug=m["slug"],
        name=m["name"],
        goal=CampaignGoal(m["goal"]),
        status=CampaignStatus(m["status"]),
        starts_on=m["starts_on"],
        ends_on=m["ends_on"],
        budget=Money.from_minor(int(m["budget_minor"]), currency),
        markets=tuple(m["markets"] or ()),
        brief=m["brief"],
        kpi_targets={
            metric: Decimal(str(targets[metric.value]))
            for metric in TargetMetric
            if metric.value in targets
        },
        attribution_window_days=m["attribution_window_days"],
        reference_cpm=None if reference is None else Money.from_minor(int(reference), currency),
        created_at=m["created_at"],
        conflict_rule=ConflictRule(m["conflict_rule"]),
    )


def find_campaign(conn: Connection, workspace_id: int, slug: str) -> Campaign | None:
    row = conn.execute(
        select(campaigns).where(campaigns.c.workspace_id == workspace_id, campaigns.c.slug == slug)
    ).first()
    return None if row is None else _to_campaign(row)


def list_campaigns(
    conn: Connection, workspace_id: int, status: CampaignStatus | None = None
) -> list[Campaign]:
    query = select(campaigns).where(campaigns.c.workspace_id == workspace_id)
    if status is not None:
        query = query.where(campaigns.c.status == status.value)
    rows = conn.execute(query.order_by(campaigns.c.starts_on.desc(), campaigns.c.slug))
    return [_to_campaign(r) for r in rows]
