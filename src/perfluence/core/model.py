"""Domain values: plain frozen dataclasses that services return and shells show.

They are neither table rows nor API schemas (those live in ``store`` and
``web``); they carry exact types (``Money``, ``date``) and no behaviour that
needs I/O.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum

from perfluence.core.attribution import ConflictRule
from perfluence.core.kpis import Tier
from perfluence.core.money import Money
from perfluence.core.terms import ContractTerms, PaymentModel


@dataclass(frozen=True, slots=True)
class Workspace:
    id: int
    slug: str
    name: str
    default_currency: str
    default_language: str
    fallback_url: str | None
    created_at: datetime


class Platform(StrEnum):
    INSTAGRAM = "instagram"
    TIKTOK = "tiktok"
    YOUTUBE = "youtube"
    FACEBOOK = "facebook"
    X = "x"
    TWITCH = "twitch"
    SNAPCHAT = "snapchat"
    LINKEDIN = "linkedin"
    PINTEREST = "pinterest"


@dataclass(frozen=True, slots=True)
class SocialAccount:
    id: int
    creator_id: int
    platform: Platform
    handle: str
    url: str | None
    followers: int
    # {"age": {"18-24": Decimal("0.31")}, "country": {"DK": Decimal("0.7")}}: shares, not counts.
    audience: Mapping[str, Mapping[str, Decimal]]
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class Creator:
    id: int
    workspace_id: int
    handle: str
    name: str
    email: str | None
    country: str | None
    currency: str
    notes: str | None
    created_at: datetime
    accounts: tuple[SocialAccount, ...]
    # Derived from the largest follower count and the configured thresholds; never stored.
    tier: Tier

    @property
    def followers(self) -> int:
        """The largest audience on any one platform (what the tier is based on)."""
        return max((a.followers for a in self.accounts), default=0)

    @property
    def platforms(self) -> tuple[Platform, ...]:
        return tuple(dict.fromkeys(a.platform for a in self.accounts))


class CampaignGoal(StrEnum):
    AWARENESS = "awareness"
    TRAFFIC = "traffic"
    LEADS = "leads"
    SALES = "sales"
    FOLLOWERS = "followers"
    LAUNCH = "launch"


class CampaignStatus(StrEnum):
    DRAFT = "draft"
    ACTIVE = "active"
    PAUSED = "paused"
    ENDED = "ended"


class TargetMetric(StrEnum):
    """KPIs a campaign may set a target for (definitions in ``core.kpis``)."""

    REACH = "reach"
    IMPRESSIONS = "impressions"
    ENGAGEMENT_RATE = "engagement_rate"
    CTR = "ctr"
    CPC = "cpc"
    CPM = "cpm"
    CPE = "cpe"
    CONVERSIONS = "conversions"
    CONVERSION_RATE = "conversion_rate"
    CPA = "cpa"
    ROAS = "roas"
    ROI = "roi"
    REVENUE = "revenue"
    EMV = "emv"


@dataclass(frozen=True, slots=True)
class Campaign:
    id: int
    workspace_id: int
    slug: str
    name: str
    goal: CampaignGoal
    status: CampaignStatus
    starts_on: date
    ends_on: date
    budget: Money
    markets: tuple[str, ...]
    brief: str | None
    # Exact targets: money metrics in the campaign currency, rates as fractions, ROI in %.
    kpi_targets: Mapping[TargetMetric, Decimal]
    attribution_window_days: int
    reference_cpm: Money | None
    created_at: datetime
    # Who earns a conversion whose click and code name different partnerships.
    conflict_rule: ConflictRule = ConflictRule.CODE_WINS

    @property
    def currency(self) -> str:
        return self.budget.currency


class PartnershipStatus(StrEnum):
    ACTIVE = "active"
    PAUSED = "paused"
    ENDED = "ended"


@dataclass(frozen=True, slots=True)
class Partnership:
    id: int
    workspace_id: int
    campaign_id: int
    campaign_slug: str
    creator_id: int
    creator_handle: str
    terms: ContractTerms
    status: PartnershipStatus
    created_at: datetime

    @property
    def payment_model(self) -> PaymentModel:
        return self.terms.model

    @property
    def currency(self) -> str:
        return self.terms.currency

    @property
    def hold_days(self) -> int:
        return self.terms.hold_days


class ConversionKind(StrEnum):
    LEAD = "lead"
    SALE = "sale"
    REFUND = "refund"


class WebhookSource(StrEnum):
    SHOPIFY = "shopify"
    WOOCOMMERCE = "woocommerce"
    STRIPE = "stripe"


@dataclass(frozen=True, slots=True)
class NormalisedLine:
    """One order line, for per-product commission: ``amount`` is after discounts."""

    product_id: str | None
    sku: str | None
    quantity: int
    amount: Money


@dataclass(frozen=True, slots=True)
class NormalisedEvent:
    """A shop's webhook said: this sale (or refund) happened.

    Amounts are positive magnitudes; ``kind`` says which way they go. ``amount``
    is the revenue basis commission is computed on (merchandise after
    discounts, before shipping, in the shop's own price basis: with VAT when
    ``taxes_included``); ``gross_amount`` is what the customer paid or got back.
    ``amount_from_gross`` marks a refund whose platform gave only the money
    returned (Stripe): its ``amount`` equals ``gross_amount`` and the ingest
    scales it by the linked sale's ``amount / gross_amount``.
    ``(source, kind, external_id)`` is stable across redeliveries.
    """

    source: WebhookSource
    kind: ConversionKind
    external_id: str
    occurred_at: datetime
    amount: Money
    gross_amount: Money
    discount_amount: Money
    tax_amount: Money
    taxes_included: bool | None = None
    reverses_external_id: str | None = None
    payment_ref: str | None = None
    order_ref: str | None = None
    click_id: str | None = None
    codes: tuple[str, ...] = ()
    customer_ref: str | None = None
    customer_email_hash: str | None = None
    country: str | None = None
    lines: tuple[NormalisedLine, ...] = ()
    test: bool = False
    amount_from_gross: bool = False

    @property
    def currency(self) -> str:
        return self.amount.currency


class LinkStatus(StrEnum):
    ACTIVE = "active"
    PAUSED = "paused"


@dataclass(frozen=True, slots=True)
class TrackingLink:
    id: int
    workspace_id: int
    partnership_id: int
    campaign_slug: str
    creator_handle: str
    slug: str
    # The destination as validated; ``tracking_destination`` is it with the UTM parameters merged.
    destination_url: str
    utm: Mapping[str, str]
    tracking_destination: str
    status: LinkStatus
    click_cap: int | None
    # This link's own fallback; when it has none the workspace's fallback applies.
    fallback_url: str | None
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class DiscountCode:
    id: int
    workspace_id: int
    partnership_id: int
    campaign_slug: str
    creator_handle: str
    code: str
    description: str | None
    created_at: datetime

    @property
    def code_key(self) -> str:
        """What uniqueness and look-ups compare: codes are case-insensitive."""
        return self.code.upper()
