"""Load ``tests/data/kpi_small/*.csv`` into a workspace through the bulk store functions."""

from __future__ import annotations

import csv
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import Connection

from perfluence.core.model import (
    CampaignGoal,
    CampaignStatus,
    PartnershipStatus,
    Platform,
    TargetMetric,
)
from perfluence.core.money import Money
from perfluence.core.terms import ContractTerms, PaymentModel
from perfluence.store import campaigns as campaign_store
from perfluence.store import creators as creator_store
from perfluence.store import events, seed
from perfluence.store import links as link_store
from perfluence.store import partnerships as partnership_store
from perfluence.store.fx import upsert_rates
from perfluence.store.workspaces import insert_workspace

DATA = Path(__file__).parent.parent / "data" / "kpi_small"
CREATED = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


def read(name: str) -> list[dict[str, str]]:
    with (DATA / f"{name}.csv").open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def _at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def _terms(model: str, currency: str) -> ContractTerms:
    m = PaymentModel(model)
    fee = Money("1000", currency)
    parts: dict[PaymentModel, dict[str, Any]] = {
        PaymentModel.HYBRID: {"flat_fee": fee, "commission_rate": Decimal("0.10")},
        PaymentModel.GIFTING: {"gifting_value": Money("500", currency)},
        PaymentModel.FLAT_FEE: {"flat_fee": fee},
        PaymentModel.CPS: {"commission_rate": Decimal("0.10")},
    }
    return ContractTerms(m, currency, **parts[m])


def load(conn: Connection, slug: str = "kpi") -> int:
    """Insert the whole data set into a new workspace; return its id."""
    ws = insert_workspace(
        conn,
        slug=slug,
        name="KPI",
        default_currency="DKK",
        default_language="en",
        fallback_url=None,
        created_at=CREATED,
    )
    creator_ids = creator_store.insert_creators(
        conn,
        ws,
        [
            creator_store.CreatorRow(
                r["handle"], r["name"], None, r["country"], r["currency"], None
            )
            for r in read("creators")
        ],
        CREATED,
    )
    creator_store.insert_accounts(
        conn,
        ws,
        [
            (
                creator_ids[r["handle"]],
                creator_store.AccountRow(
                    Platform(r["platform"]), r["handle"], None, int(r["followers"]), None
                ),
            )
            for r in read("accounts")
        ],
        CREATED,
    )
    campaign_rows = read("campaigns")
    currency = {r["slug"]: r["currency"] for r in campaign_rows}
    campaign_ids = {
        r["slug"]: campaign_store.insert_campaign(
            conn,
            ws,
            campaign_store.CampaignRow(
                slug=r["slug"],
                name=r["name"],
                goal=CampaignGoal(r["goal"]),
                status=CampaignStatus.ACTIVE,
                starts_on=date.fromisoformat(r["starts_on"]),
                ends_on=date.fromisoformat(r["ends_on"]),
                budget=Money.from_minor(int(r["budget_minor"]), r["currency"]),
                markets=("DK",),
                brief=None,
                kpi_targets={
                    TargetMetric(k): Decimal(r[f"target_{k}"])
                    for k in ("cpa", "roas")
                    if r[f"target_{k}"]
                },
                attribution_window_days=30,
                reference_cpm=Money.from_minor(int(r["reference_cpm_minor"]), r["currency"])
                if r["reference_cpm_minor"]
                else None,
            ),
            CREATED,
        )
        for r in campaign_rows
    }
    ship_rows = read("partnerships")
    partnership_ids = {
        (r["campaign"], r["handle"]): partnership_store.insert_partnership(
            conn,
            workspace_id=ws,
            campaign_id=campaign_ids[r["campaign"]],
            creator_id=creator_ids[r["handle"]],
            terms=_terms(r["payment_model"], currency[r["campaign"]]),
            status=PartnershipStatus.ACTIVE,
            created_at=CREATED,
        )
        for r in ship_rows
    }

    def pid(campaign: str, handle: str) -> int | None:
        return partnership_ids[(campaign, handle)] if campaign else None

    link_ids = {
        r["link"]: link_store.insert_link(
            conn,
            workspace_id=ws,
            partnership_id=partnership_ids[(r["campaign"], r["handle"])],
            slug=r["link"],
            destination_url="https://shop.example/",
            utm={},
            click_cap=None,
            fallback_url=None,
            now=CREATED,
        )
        for r in ship_rows
    }
    events.insert_posts(
        conn,
        [
            {
                "workspace_id": ws,
                "partnership_id": pid(r["campaign"], r["handle"]),
                "creator_id": creator_ids[r["handle"]],
                "platform": r["platform"],
                "external_id": r["external_id"],
                "url": None,
                "published_at": CREATED,
                "caption": "Reklame",
                **{
                    k: int(r[k])
                    for k in (
                        "impressions",
                        "reach",
                        "views",
                        "likes",
                        "comments",
                        "shares",
                        "saves",
                    )
                },
                "updated_at": CREATED,
            }
            for r in read("posts")
        ],
    )
    events.insert_clicks(
        conn,
        [
            {
                "workspace_id": ws,
                "link_id": link_ids[r["link"]],
                "click_id": f"{slug}-{r['click_id']}",
                "occurred_at": _at(r["occurred_at"]),
                "visitor_hash": r["visitor"],
                "device": "mobile",
                "os": "iOS",
                "browser": "Mobile Safari",
                "referrer_host": None,
                "country": "DK",
                "is_bot": r["is_bot"] == "1",
                "is_unique": r["is_unique"] == "1",
            }
            for r in read("clicks")
        ],
    )
    _load_conversions(conn, ws, pid)
    events.insert_costs(
        conn,
        [
            {
                "workspace_id": ws,
                "campaign_id": campaign_ids[r["campaign"]],
                "partnership_id": pid(r["campaign"], r["handle"]) if r["handle"] else None,
                "kind": r["kind"],
                "amount_minor": int(r["amount_minor"]),
                "currency": r["currency"],
                "incurred_on": date.fromisoformat(r["incurred_on"]),
                "description": None,
                "created_at": CREATED,
            }
            for r in read("costs")
        ],
    )
    events.insert_payout_lines(
        conn,
        [
            {
                "workspace_id": ws,
                "partnership_id": pid(r["campaign"], r["handle"]),
                "conversion_id": None,
                "kind": r["kind"],
                "description": r["kind"],
                "amount_minor": int(r["amount_minor"]),
                "currency": r["currency"],
                "payable_on": date(2026, 3, 31),
                "created_at": CREATED,
            }
            for r in read("payout_lines")
        ],
    )
    upsert_rates(
        conn,
        [
            (date.fromisoformat(r["rate_date"]), r["currency"], Decimal(r["rate"]))
            for r in read("fx_rates")
        ],
    )
    return ws


def _load_conversions(conn: Connection, ws: int, pid: Any) -> None:
    rows = read("conversions")

    def row(r: dict[str, str], reverses_id: int | None) -> events.ConversionRow:
        return {
            "workspace_id": ws,
            "kind": r["kind"],
            "source": "csv",
            "external_id": r["external_id"],
            "occurred_at": _at(r["occurred_at"]),
            "amount_minor": int(r["amount_minor"]),
            "currency": r["currency"],
            "click_id": None,
            "code": None,
            "customer_ref": None,
            "reverses_id": reverses_id,
            "partnership_id": pid(r["campaign"], r["handle"]),
            "link_id": None,
            "attribution_method": "code" if r["campaign"] else "none",
            "attribution_reason": None,
            "seconds_from_click": None,
            "status": r["status"],
            "flags": {},
            "created_at": CREATED,
        }

    events.insert_conversions(conn, [row(r, None) for r in rows if not r["reverses"]])
    sale_ids = seed.conversion_ids(conn, ws, "sale")
    events.insert_conversions(
        conn, [row(r, sale_ids[r["reverses"]]) for r in rows if r["reverses"]]
    )
