"""The demo's events: clicks, conversions, refunds, costs and earned commissions.

Clicks spike after each post and decay (a few per cent are bots, repeat
visitors make the unique flag follow the 24-hour rule of ``core.visitors``);
some unique clicks convert, some sales come by discount code alone, a few
sales are refunded (some partly). Amounts are whole minor units throughout.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Final

from perfluence.core.kpis import Tier
from perfluence.core.model import Platform
from perfluence.core.money import Money, sum_money
from perfluence.core.payouts import AccrualInput, LedgerEntry, accrue_clicks, accrue_conversion
from perfluence.core.visitors import UniqueCandidate, flag_unique
from perfluence.services.demo_world import DEMO_NOW, WINDOW_END, PartnershipPlan
from perfluence.store.events import ClickRow, ConversionRow, CostRow
from perfluence.tracking.clickid import click_id_at

# Clicks per impression before scaling, by tier, for feed posts and videos.
_CTR: Final = {Tier.NANO: 0.02, Tier.MICRO: 0.012, Tier.MACRO: 0.006, Tier.MEGA: 0.003}
_STORY_CTR: Final = 0.015
# Mean hours from a post to a click on it: stories fade fast, videos last.
_DECAY_HOURS: Final = {"story": 6.0, "feed": 16.0, "video": 30.0}
_CONVERSION_BY_TIER: Final = {Tier.NANO: 1.4, Tier.MICRO: 1.2, Tier.MACRO: 0.9, Tier.MEGA: 0.7}
_REFERRER: Final = {
    Platform.INSTAGRAM: "l.instagram.com",
    Platform.TIKTOK: "www.tiktok.com",
    Platform.YOUTUBE: "www.youtube.com",
}
_BOTS: Final = (
    ("facebookexternalhit", "crawler"),
    ("Slackbot", "crawler"),
    ("Googlebot", "crawler"),
    ("bingbot", "crawler"),
    ("TelegramBot", "crawler"),
)
_IN_APP: Final = {Platform.INSTAGRAM: "Instagram", Platform.TIKTOK: "TikTok"}
CLICKS_AT_SCALE_ONE: Final = 75_000
REFUND_SHARE: Final = 0.075


@dataclass(frozen=True, slots=True)
class Linked:
    """A planned partnership with the ids it got in the database."""

    plan: PartnershipPlan
    campaign_id: int
    partnership_id: int
    link_id: int


def _agent(rng: random.Random, platform: Platform) -> tuple[str, str, str]:
    roll = rng.random()
    if roll < 0.80:
        os = "iOS" if rng.random() < 0.56 else "Android"
        if rng.random() < 0.5 and platform in _IN_APP:
            return "mobile", os, _IN_APP[platform]
        return "mobile", os, "Mobile Safari" if os == "iOS" else "Chrome Mobile"
    if roll < 0.96:
        if rng.random() < 0.6:
            return "desktop", "Windows", rng.choices(("Chrome", "Edge", "Firefox"), (6, 3, 1))[0]
        return "desktop", "Mac OS X", rng.choice(("Safari", "Chrome"))
    return "tablet", "iOS", "Mobile Safari"


def _country(rng: random.Random, home: str) -> str:
    roll = rng.random()
    if roll < 0.75:
        return home
    if roll < 0.95:
        return rng.choice([c for c in ("DK", "SE", "NO") if c != home])
    return rng.choice(("DE", "GB", "FI"))


def _expected_clicks(linked: Sequence[Linked]) -> list[list[float]]:
    return [
        [
            post.impressions
            * (_STORY_CTR if post.kind == "story" else _CTR[item.plan.creator.tier])
            for post in item.plan.posts
        ]
        for item in linked
    ]


def plan_clicks(
    rng: random.Random, linked: Sequence[Linked], workspace_id: int, scale: float
) -> list[tuple[int, ClickRow]]:
    """``(index into linked, click)`` in time order, unique flags set."""
    expected = _expected_clicks(linked)
    total = sum(sum(per_post) for per_post in expected) or 1.0
    factor = CLICKS_AT_SCALE_ONE * scale / total
    drafts: list[tuple[datetime, int, str, bool]] = []
    for index, item in enumerate(linked):
        visitors: list[str] = []
        times: list[datetime] = []
        for post, mean in zip(item.plan.posts, expected[index], strict=True):
            n = round(mean * factor * rng.uniform(0.85, 1.15))
            hours = _DECAY_HOURS[post.kind]
            times += [
                post.published_at + timedelta(hours=rng.expovariate(1 / hours)) for _ in range(n)
            ]
        # Link in bio: a trickle between the first post and the campaign's end.
        start = item.plan.posts[0].published_at
        end = min(datetime.combine(item.plan.campaign.ends_on, start.timetz()), WINDOW_END)
        span = max((end - start).total_seconds(), 3600.0)
        times += [start + timedelta(seconds=rng.uniform(0, span)) for _ in range(len(times) // 12)]
        for at in times:
            if visitors and rng.random() < 0.25:
                visitor = rng.choice(visitors)
            else:
                visitor = f"{rng.getrandbits(256):064x}"
                visitors.append(visitor)
            drafts.append((at, index, visitor, False))
        bot_share = rng.uniform(0.03, 0.08)
        for _ in range(round(len(times) * bot_share / (1 - bot_share))):
            post = rng.choice(item.plan.posts)
            at = post.published_at + timedelta(seconds=rng.uniform(0, 72 * 3600))
            drafts.append((at, index, f"{rng.getrandbits(256):064x}", True))
    drafts = [d for d in drafts if d[0] < WINDOW_END]
    drafts.sort(key=lambda d: (d[0], d[1], d[2]))
    flags = flag_unique(
        [UniqueCandidate((linked[i].link_id, v), at, bot) for at, i, v, bot in drafts], {}
    )
    out = []
    for (at, index, visitor, is_bot), unique in zip(drafts, flags, strict=True):
        item = linked[index]
        platform = item.plan.posts[0].platform
        if is_bot:
            device, os, browser = "bot", None, rng.choice(_BOTS)[0]
            referrer = None
        else:
            device, os, browser = _agent(rng, platform)
            referrer = _REFERRER.get(platform) if rng.random() < 0.85 else None
        row: ClickRow = {
            "workspace_id": workspace_id,
            "link_id": item.link_id,
            "click_id": click_id_at(int(at.timestamp() * 1000)),
            "occurred_at": at,
            "visitor_hash": visitor,
            "device": device,
            "os": os,
            "browser": browser,
            "referrer_host": referrer,
            "country": _country(rng, item.plan.creator.country),
            "is_bot": is_bot,
            "is_unique": unique,
        }
        out.append((index, row))
    return out


def _status(at: datetime, hold_days: int) -> str:
    return "approved" if at + timedelta(days=hold_days) <= DEMO_NOW else "pending"


def _conversion(
    workspace_id: int,
    item: Linked,
    kind: str,
    external_id: str,
    at: datetime,
    amount_minor: int,
    *,
    click: ClickRow | None,
    code: str | None,
    customer: str,
) -> ConversionRow:
    seconds = None if click is None else int((at - click["occurred_at"]).total_seconds())
    method = "click_id" if click is not None else "code"
    return {
        "workspace_id": workspace_id,
        "kind": kind,
        "source": "shopify" if kind == "sale" else "api",
        "external_id": external_id,
        "occurred_at": at,
        "amount_minor": amount_minor,
        "currency": item.plan.campaign.currency,
        "click_id": None if click is None else click["click_id"],
        "code": code,
        "customer_ref": customer,
        "reverses_id": None,
        "partnership_id": item.partnership_id,
        "link_id": None if click is None else item.link_id,
        "attribution_method": method,
        "attribution_reason": "last click, by click id" if click else "discount code",
        "seconds_from_click": seconds,
        "status": _status(at, item.plan.terms.hold_days),
        "flags": {},
        "created_at": at,
    }


def _delay(rng: random.Random) -> timedelta:
    if rng.random() < 0.7:
        return timedelta(seconds=rng.randint(60, 7_200))
    return timedelta(seconds=min(rng.expovariate(1 / (3 * 86_400)), 29 * 86_400))


def plan_conversions(
    rng: random.Random,
    linked: Sequence[Linked],
    clicks: Sequence[tuple[int, ClickRow]],
    workspace_id: int,
) -> list[ConversionRow]:
    """Sales and leads from unique clicks, plus sales by discount code alone."""
    out: list[ConversionRow] = []
    for index, click in clicks:
        if not click["is_unique"]:
            continue
        item = linked[index]
        c = item.plan.campaign
        if rng.random() >= c.conversion_rate * _CONVERSION_BY_TIER[item.plan.creator.tier]:
            continue
        at = click["occurred_at"] + _delay(rng)
        customer = f"cust-{rng.getrandbits(48):012x}"
        if at >= WINDOW_END:
            continue
        if c.price_minor is None:
            out.append(
                _conversion(
                    workspace_id,
                    item,
                    "lead",
                    f"lead-{len(out) + 1:06d}",
                    at,
                    0,
                    click=click,
                    code=None,
                    customer=customer,
                )
            )
            continue
        amount = rng.randint(c.price_minor[0] // 100, c.price_minor[1] // 100) * 100
        code = item.plan.code if rng.random() < 0.35 else None
        out.append(
            _conversion(
                workspace_id,
                item,
                "sale",
                f"order-{len(out) + 1:06d}",
                at,
                amount,
                click=click,
                code=code,
                customer=customer,
            )
        )
        if rng.random() < 0.25:
            later = at + timedelta(hours=rng.uniform(1, 240))
            if later < WINDOW_END:
                amount = rng.randint(c.price_minor[0] // 100, c.price_minor[1] // 100) * 100
                out.append(
                    _conversion(
                        workspace_id,
                        item,
                        "sale",
                        f"order-{len(out) + 1:06d}",
                        later,
                        amount,
                        click=None,
                        code=item.plan.code,
                        customer=f"cust-{rng.getrandbits(48):012x}",
                    )
                )
    return out


def plan_refunds(
    rng: random.Random, sales: Sequence[ConversionRow], sale_ids: dict[str, int]
) -> list[ConversionRow]:
    """About ``REFUND_SHARE`` of sales come back, a third of them in part."""
    out: list[ConversionRow] = []
    for sale in sales:
        if sale["kind"] != "sale" or rng.random() >= REFUND_SHARE:
            continue
        at = sale["occurred_at"] + timedelta(days=rng.uniform(2, 21))
        amount = sale["amount_minor"]
        if rng.random() < 0.35:
            amount = rng.randint(amount // 500, amount * 4 // 500) * 100
        if at >= WINDOW_END or amount <= 0:
            continue
        refund: ConversionRow = {
            **sale,
            "kind": "refund",
            "external_id": f"{sale['external_id']}-refund",
            "occurred_at": at,
            "amount_minor": amount,
            "reverses_id": sale_ids[sale["external_id"]],
            "status": "approved",
            "created_at": at,
        }
        out.append(refund)
    return out


def plan_costs(rng: random.Random, linked: Sequence[Linked], workspace_id: int) -> list[CostRow]:
    """Fees, gifts and products per partnership; the agency's fee per campaign."""
    out: list[CostRow] = []

    def cost(item: Linked, kind: str, money: Money, on: date, what: str) -> CostRow:
        return {
            "workspace_id": workspace_id,
            "campaign_id": item.campaign_id,
            "partnership_id": item.partnership_id,
            "kind": kind,
            "amount_minor": money.minor_units,
            "currency": money.currency,
            "incurred_on": on,
            "description": what,
            "created_at": DEMO_NOW,
        }

    agency: dict[int, CostRow] = {}
    for item in linked:
        terms, c = item.plan.terms, item.plan.campaign
        first_post = item.plan.posts[0].published_at.date()
        if terms.flat_fee is not None:
            out.append(cost(item, "fee", terms.flat_fee, first_post, "creator fee"))
        if terms.gifting_value is not None:
            out.append(cost(item, "gifting", terms.gifting_value, c.starts_on, "gifted products"))
        if c.price_minor is not None and rng.random() < 0.5:
            product = Money.from_minor(rng.randint(3, 15) * 10_000, c.currency)
            out.append(cost(item, "product", product, c.starts_on, "products sent for content"))
        agency.setdefault(
            item.campaign_id,
            {
                **cost(
                    item, "agency", Money.from_minor(c.agency_fee_minor, c.currency), c.ends_on, ""
                ),
                "partnership_id": None,
                "description": "agency fee",
            },
        )
    return out + [agency[k] for k in sorted(agency)]


@dataclass(frozen=True, slots=True)
class DemoLedgerLine:
    """A ledger entry the core accrued, with what it belongs to."""

    partnership_id: int
    conversion_id: int | None
    entry: LedgerEntry
    covers: tuple[date, date] | None = None


def plan_ledger(
    linked: Sequence[Linked],
    clicks: Sequence[tuple[int, ClickRow]],
    conversions: Sequence[ConversionRow],
    conversion_ids: dict[tuple[str, str], int],
) -> list[DemoLedgerLine]:
    """What the terms earned, accrued by ``core.payouts`` exactly as ingest and statements do.

    Sales and leads through ``accrue_conversion``; a refund reverses its
    share of what its sale earned (the demo refunds a sale at most once);
    pay per click through ``accrue_clicks`` for the days with unique clicks,
    as a statement would write it.
    """
    by_partnership = {item.partnership_id: item for item in linked}
    unique_days: dict[int, list[date]] = {}
    for index, click in clicks:
        if click["is_unique"]:
            unique_days.setdefault(index, []).append(click["occurred_at"].date())
    out: list[DemoLedgerLine] = []
    for index, item in enumerate(linked):
        days = unique_days.get(index)
        if days:
            span = (min(days), max(days))
            out += [
                DemoLedgerLine(item.partnership_id, None, entry, span)
                for entry in accrue_clicks(item.plan.terms, len(days), *span)
            ]
    earned: dict[int, tuple[Money, Money]] = {}  # sale id -> (commission, its basis)
    for conv in conversions:
        item = by_partnership[conv["partnership_id"] or 0]
        conv_id = conversion_ids[(conv["kind"], conv["external_id"])]
        event = _accrual_input(conv, earned)
        if event is None:
            continue
        entries = accrue_conversion(item.plan.terms, event)
        if event.kind == "sale":
            earned[conv_id] = (
                sum_money((e.amount for e in entries), event.amount.currency),
                event.amount,
            )
        out += [DemoLedgerLine(item.partnership_id, conv_id, entry) for entry in entries]
    return out


def _accrual_input(
    conv: ConversionRow, earned: dict[int, tuple[Money, Money]]
) -> AccrualInput | None:
    """The event as ``conversions.accrual`` hands it to the core; ``None``: nothing to accrue."""
    amount = Money.from_minor(conv["amount_minor"], conv["currency"])
    if conv["kind"] == "sale":
        return AccrualInput("sale", amount, conv["occurred_at"], None)
    if conv["kind"] == "lead":
        return AccrualInput("lead", amount, conv["occurred_at"], None)
    sale = earned.get(conv["reverses_id"] or 0)
    if sale is None or sale[0].is_zero():
        return None  # the sale earned nothing, so there is nothing to take back
    commission, basis = sale
    return AccrualInput(
        "refund",
        amount,
        conv["occurred_at"],
        None,
        reverses_commission=commission,
        reverses_amount=basis,
        refunded_before=Money.zero(amount.currency),
    )
