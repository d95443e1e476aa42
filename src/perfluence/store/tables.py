"""All tables, one MetaData. Money is integer minor units + ISO 4217 code.

Events (clicks, conversions, ledger lines) are append-only: a refund is a new
conversion row that points at the one it reverses; a payout correction is a
new line. Rollups are derived and can be rebuilt from events.
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    Date,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from perfluence.store.types import BigId, DecimalText, UTCDateTime

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)


def _ws() -> Column[int]:
    return Column(
        "workspace_id", Integer, ForeignKey("workspaces.id", ondelete="CASCADE"), nullable=False
    )


def _created() -> Column[object]:
    return Column("created_at", UTCDateTime, nullable=False)


workspaces = Table(
    "workspaces",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("slug", String(64), nullable=False, unique=True),
    Column("name", String(200), nullable=False),
    Column("default_currency", String(3), nullable=False),
    Column("default_language", String(5), nullable=False, server_default="en"),
    Column("fallback_url", Text),
    _created(),
)

api_keys = Table(
    "api_keys",
    metadata,
    Column("id", Integer, primary_key=True),
    _ws(),
    Column("name", String(100), nullable=False),
    Column("prefix", String(16), nullable=False),
    Column("key_hash", String(128), nullable=False, unique=True),
    Column("scopes", JSON, nullable=False),
    _created(),
    Column("revoked_at", UTCDateTime),
)

creators = Table(
    "creators",
    metadata,
    Column("id", Integer, primary_key=True),
    _ws(),
    Column("handle", String(100), nullable=False),
    Column("name", String(200), nullable=False),
    Column("email", String(320)),
    Column("country", String(2)),
    Column("currency", String(3), nullable=False),
    Column("notes", Text),
    _created(),
    # Bank details for SEPA credit transfers (payouts); all optional.
    Column("iban", String(34)),
    Column("bic", String(11)),
    Column("account_holder", String(70)),
    UniqueConstraint("workspace_id", "handle"),
)

social_accounts = Table(
    "social_accounts",
    metadata,
    Column("id", Integer, primary_key=True),
    _ws(),
    Column("creator_id", Integer, ForeignKey("creators.id", ondelete="CASCADE"), nullable=False),
    Column("platform", String(20), nullable=False),
    Column("handle", String(100), nullable=False),
    Column("url", Text),
    Column("followers", BigInteger, nullable=False, server_default="0"),
    # {"age": {"18-24": "0.31", ...}, "gender": {...}, "country": {"DK": "0.7", ...}}
    Column("audience", JSON),
    Column("updated_at", UTCDateTime, nullable=False),
    UniqueConstraint("workspace_id", "platform", "handle"),
    CheckConstraint("followers >= 0", name="followers_non_negative"),
)

campaigns = Table(
    "campaigns",
    metadata,
    Column("id", Integer, primary_key=True),
    _ws(),
    Column("slug", String(64), nullable=False),
    Column("name", String(200), nullable=False),
    Column("goal", String(20), nullable=False),
    Column("status", String(20), nullable=False, server_default="draft"),
    Column("starts_on", Date, nullable=False),
    Column("ends_on", Date, nullable=False),
    Column("budget_minor", BigInteger, nullable=False, server_default="0"),
    Column("currency", String(3), nullable=False),
    Column("markets", JSON, nullable=False),
    Column("brief", Text),
    # {"roas": "4.0", "cpa": "150.00", "ctr": "0.01", ...} as exact strings
    Column("kpi_targets", JSON, nullable=False),
    Column("attribution_window_days", Integer, nullable=False, server_default="30"),
    Column("reference_cpm_minor", BigInteger),
    _created(),
    # Who wins when a conversion's click and code name different partnerships (core.attribution).
    Column("conflict_rule", String(20), nullable=False, server_default="code_wins"),
    UniqueConstraint("workspace_id", "slug"),
    CheckConstraint("ends_on >= starts_on", name="dates_ordered"),
)

partnerships = Table(
    "partnerships",
    metadata,
    Column("id", Integer, primary_key=True),
    _ws(),
    Column("campaign_id", Integer, ForeignKey("campaigns.id", ondelete="CASCADE"), nullable=False),
    Column("creator_id", Integer, ForeignKey("creators.id", ondelete="CASCADE"), nullable=False),
    Column("payment_model", String(20), nullable=False),
    # Contract terms with exact decimal strings; schema in core.terms.
    Column("terms", JSON, nullable=False),
    Column("currency", String(3), nullable=False),
    Column("hold_days", Integer, nullable=False, server_default="30"),
    Column("exclusivity", Text),
    Column("usage_rights", Text),
    Column("status", String(20), nullable=False, server_default="active"),
    _created(),
    UniqueConstraint("campaign_id", "creator_id"),
)

tracking_links = Table(
    "tracking_links",
    metadata,
    Column("id", Integer, primary_key=True),
    _ws(),
    Column(
        "partnership_id", Integer, ForeignKey("partnerships.id", ondelete="CASCADE"), nullable=False
    ),
    # Slugs are global: /l/{slug} carries no workspace.
    Column("slug", String(64), nullable=False, unique=True),
    Column("destination_url", Text, nullable=False),
    Column("utm", JSON, nullable=False),
    Column("status", String(20), nullable=False, server_default="active"),
    Column("click_cap", BigInteger),
    Column("fallback_url", Text),
    _created(),
    Column("updated_at", UTCDateTime, nullable=False),
    Index("ix_tracking_links_partnership", "partnership_id"),
)

discount_codes = Table(
    "discount_codes",
    metadata,
    Column("id", Integer, primary_key=True),
    _ws(),
    Column(
        "partnership_id", Integer, ForeignKey("partnerships.id", ondelete="CASCADE"), nullable=False
    ),
    Column("code", String(64), nullable=False),
    # Upper-cased code: uniqueness is per workspace and case-insensitive.
    Column("code_key", String(64), nullable=False),
    Column("description", Text),
    _created(),
    UniqueConstraint("workspace_id", "code_key"),
)

posts = Table(
    "posts",
    metadata,
    Column("id", Integer, primary_key=True),
    _ws(),
    Column("partnership_id", Integer, ForeignKey("partnerships.id", ondelete="SET NULL")),
    Column("creator_id", Integer, ForeignKey("creators.id", ondelete="CASCADE"), nullable=False),
    Column("platform", String(20), nullable=False),
    Column("external_id", String(200), nullable=False),
    Column("url", Text),
    Column("published_at", UTCDateTime),
    Column("caption", Text),
    Column("impressions", BigInteger, nullable=False, server_default="0"),
    Column("reach", BigInteger, nullable=False, server_default="0"),
    Column("views", BigInteger, nullable=False, server_default="0"),
    Column("likes", BigInteger, nullable=False, server_default="0"),
    Column("comments", BigInteger, nullable=False, server_default="0"),
    Column("shares", BigInteger, nullable=False, server_default="0"),
    Column("saves", BigInteger, nullable=False, server_default="0"),
    Column("updated_at", UTCDateTime, nullable=False),
    UniqueConstraint("workspace_id", "platform", "external_id"),
)

clicks = Table(
    "clicks",
    metadata,
    Column("id", BigId, primary_key=True),
    _ws(),
    Column("link_id", Integer, ForeignKey("tracking_links.id", ondelete="CASCADE"), nullable=False),
    Column("click_id", String(32), nullable=False, unique=True),
    Column("occurred_at", UTCDateTime, nullable=False),
    Column("visitor_hash", String(64), nullable=False),
    Column("device", String(20)),
    Column("os", String(40)),
    Column("browser", String(40)),
    Column("referrer_host", String(255)),
    Column("country", String(2)),
    Column("sub_id", String(100)),
    Column("is_bot", Boolean, nullable=False),
    Column("is_unique", Boolean, nullable=False),
    Index("ix_clicks_link_time", "link_id", "occurred_at"),
    Index("ix_clicks_visitor", "workspace_id", "visitor_hash", "occurred_at"),
)

click_rollups_hourly = Table(
    "click_rollups_hourly",
    metadata,
    Column(
        "link_id", Integer, ForeignKey("tracking_links.id", ondelete="CASCADE"), primary_key=True
    ),
    Column("hour", UTCDateTime, primary_key=True),
    _ws(),
    Column("clicks", BigInteger, nullable=False),
    Column("unique_clicks", BigInteger, nullable=False),
    Column("bot_clicks", BigInteger, nullable=False),
    Index(
        "ix_click_rollups_hourly_counts", "link_id", "hour", "clicks", "unique_clicks", "bot_clicks"
    ),
)

conversions = Table(
    "conversions",
    metadata,
    Column("id", BigId, primary_key=True),
    _ws(),
    Column("kind", String(10), nullable=False),  # lead | sale | refund
    Column("source", String(20), nullable=False),  # api | shopify | woocommerce | stripe | csv
    Column("external_id", String(200), nullable=False),
    Column("occurred_at", UTCDateTime, nullable=False),
    Column("amount_minor", BigInteger, nullable=False, server_default="0"),
    Column("currency", String(3), nullable=False),
    Column("click_id", String(32)),
    Column("code", String(64)),
    Column("customer_ref", String(200)),
    Column("reverses_id", BigInteger, ForeignKey("conversions.id")),
    Column("partnership_id", Integer, ForeignKey("partnerships.id", ondelete="SET NULL")),
    Column("link_id", Integer, ForeignKey("tracking_links.id", ondelete="SET NULL")),
    Column("attribution_method", String(20)),  # click_id | code | customer | none
    Column("attribution_reason", Text),
    Column("seconds_from_click", BigInteger),
    Column("status", String(20), nullable=False, server_default="pending"),
    Column("flags", JSON, nullable=False),
    _created(),
    # What the customer paid (or got back) and the discount; ``amount`` is the commission basis.
    Column("gross_amount_minor", BigInteger),
    Column("discount_minor", BigInteger),
    Column("country", String(2)),
    # Stripe links a refund to its sale by the PaymentIntent id; shops by the order id.
    Column("payment_ref", String(200)),
    Column("order_ref", String(200)),
    Column("reverses_external_id", String(200)),
    # Order lines for per-product rates: [{"product_id", "sku", "quantity", "amount_minor",
    # "currency"}], amounts after discounts; empty when the source gave none.
    Column("lines", JSON),
    UniqueConstraint("workspace_id", "source", "kind", "external_id"),
    Index("ix_conversions_partnership_time", "partnership_id", "occurred_at"),
    Index("ix_conversions_customer", "workspace_id", "customer_ref", "occurred_at"),
    Index("ix_conversions_payment_ref", "workspace_id", "payment_ref"),
    Index("ix_conversions_reverses", "reverses_id"),
    Index("ix_conversions_reverses_external", "workspace_id", "reverses_external_id"),
)

# Who a conversion credits and with what share: one row per partnership (two under the
# ``split`` conflict rule); ``amount`` is the credited part in the conversion's currency.
conversion_credits = Table(
    "conversion_credits",
    metadata,
    Column(
        "conversion_id",
        BigInteger,
        ForeignKey("conversions.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column(
        "partnership_id",
        Integer,
        ForeignKey("partnerships.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    _ws(),
    Column("share", DecimalText, nullable=False),
    Column("amount_minor", BigInteger, nullable=False),
    Column("currency", String(3), nullable=False),
    Index("ix_conversion_credits_partnership", "partnership_id"),
)

costs = Table(
    "costs",
    metadata,
    Column("id", Integer, primary_key=True),
    _ws(),
    Column("campaign_id", Integer, ForeignKey("campaigns.id", ondelete="CASCADE"), nullable=False),
    Column("partnership_id", Integer, ForeignKey("partnerships.id", ondelete="CASCADE")),
    # fee | commission | gifting | product | discount | agency | other
    Column("kind", String(20), nullable=False),
    Column("amount_minor", BigInteger, nullable=False),
    Column("currency", String(3), nullable=False),
    Column("incurred_on", Date, nullable=False),
    Column("description", Text),
    _created(),
)

payouts = Table(
    "payouts",
    metadata,
    Column("id", Integer, primary_key=True),
    _ws(),
    Column("creator_id", Integer, ForeignKey("creators.id", ondelete="CASCADE"), nullable=False),
    Column("period_start", Date, nullable=False),
    Column("period_end", Date, nullable=False),
    Column("currency", String(3), nullable=False),
    Column("total_minor", BigInteger, nullable=False),
    Column("fx_rate_date", Date),
    # pending -> approved -> paid; or carried (below the minimum payout, or negative)
    Column("status", String(20), nullable=False, server_default="pending"),
    _created(),
    Column("approved_at", UTCDateTime),
    Column("paid_at", UTCDateTime),
    # The balance of earlier carried statements this one took over (statement currency).
    Column("carried_in_minor", BigInteger, nullable=False, server_default="0"),
    # Set on a carried statement: the statement its total rolled into.
    Column("carried_into_id", Integer, ForeignKey("payouts.id")),
    UniqueConstraint("creator_id", "period_start", "period_end"),
)

payout_lines = Table(
    "payout_lines",
    metadata,
    Column("id", BigId, primary_key=True),
    _ws(),
    Column("payout_id", Integer, ForeignKey("payouts.id", ondelete="CASCADE")),
    Column(
        "partnership_id", Integer, ForeignKey("partnerships.id", ondelete="CASCADE"), nullable=False
    ),
    Column("conversion_id", BigInteger, ForeignKey("conversions.id")),
    # flat_fee | click | lead | commission | reversal | gifting | adjustment
    Column("kind", String(20), nullable=False),
    Column("description", Text, nullable=False),
    Column("amount_minor", BigInteger, nullable=False),
    Column("currency", String(3), nullable=False),
    Column("payable_on", Date, nullable=False),
    _created(),
    # Commission and reversal lines: the (signed) revenue they were computed on and the rate.
    Column("basis_minor", BigInteger),
    Column("rate", DecimalText),
    # Click lines: the days whose unique clicks they pay for.
    Column("covers_from", Date),
    Column("covers_to", Date),
    # Set with payout_id: the line in the statement's currency and the rate used.
    Column("statement_amount_minor", BigInteger),
    Column("fx_rate", DecimalText),
    Index("ix_payout_lines_partnership", "partnership_id", "payout_id"),
)

fx_rates = Table(
    "fx_rates",
    metadata,
    Column("rate_date", Date, primary_key=True),
    Column("currency", String(3), primary_key=True),
    # 1 EUR = rate × currency (ECB reference rate)
    Column("rate", DecimalText, nullable=False),
)

audit_log = Table(
    "audit_log",
    metadata,
    Column("id", BigId, primary_key=True),
    Column("workspace_id", Integer, ForeignKey("workspaces.id", ondelete="CASCADE")),
    Column("actor", String(100), nullable=False),
    Column("action", String(60), nullable=False),
    Column("subject", String(100), nullable=False),
    Column("details", JSON, nullable=False),
    _created(),
)

webhook_endpoints = Table(
    "webhook_endpoints",
    metadata,
    Column("id", Integer, primary_key=True),
    _ws(),
    Column("source", String(20), nullable=False),  # shopify | woocommerce | stripe
    # Kept as given: an HMAC can only be checked with the secret itself (docs/api.md).
    Column("secret", Text, nullable=False),
    _created(),
    Column("rotated_at", UTCDateTime),
    UniqueConstraint("workspace_id", "source"),
)

# Users of the dashboard; a membership gives one role in one workspace.
users = Table(
    "users",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("email", String(254), nullable=False, unique=True),
    Column("name", String(200), nullable=False),
    Column("password_hash", String(255), nullable=False),
    _created(),
    Column("disabled_at", UTCDateTime),
)

memberships = Table(
    "memberships",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    _ws(),
    Column("role", String(20), nullable=False),  # owner | member | read_only
    _created(),
    UniqueConstraint("user_id", "workspace_id"),
)

# Server-side sessions: the cookie holds only the random id; its hash is the key.
sessions = Table(
    "sessions",
    metadata,
    Column("id_hash", String(64), primary_key=True),
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("csrf_token", String(64), nullable=False),
    _created(),
    Column("expires_at", UTCDateTime, nullable=False),
    Index("ix_sessions_user", "user_id"),
)

# Bumping a creator's version revokes every portal link issued before.
portal_tokens = Table(
    "portal_tokens",
    metadata,
    Column("creator_id", Integer, ForeignKey("creators.id", ondelete="CASCADE"), primary_key=True),
    Column("version", Integer, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
)

# --- content: post metric history, follower history, comments, disclosure verdicts ---

# Whether the platform showed its own paid-partnership label on the post (None: not known).
posts.append_column(Column("paid_partnership_label", Boolean))
# Vetting profile of a campaign: the brand it is for, the brands it competes with, and the
# audience it wants ({"country": {"DK": "0.8"}, "age": {...}, "gender": {...}}, shares).
campaigns.append_column(Column("brand", String(200)))
campaigns.append_column(Column("competitors", JSON))
campaigns.append_column(Column("audience_target", JSON))

# Append-only: one row each time an import changed a post's metrics.
post_metric_snapshots = Table(
    "post_metric_snapshots",
    metadata,
    Column("id", BigId, primary_key=True),
    _ws(),
    Column("post_id", Integer, ForeignKey("posts.id", ondelete="CASCADE"), nullable=False),
    Column("recorded_at", UTCDateTime, nullable=False),
    Column("source", String(20), nullable=False),  # csv | instagram | tiktok | youtube
    Column("impressions", BigInteger, nullable=False),
    Column("reach", BigInteger, nullable=False),
    Column("views", BigInteger, nullable=False),
    Column("likes", BigInteger, nullable=False),
    Column("comments", BigInteger, nullable=False),
    Column("shares", BigInteger, nullable=False),
    Column("saves", BigInteger, nullable=False),
    Index("ix_post_metric_snapshots_post_time", "post_id", "recorded_at"),
)

# One follower count per account and day (the last one recorded that day wins).
follower_snapshots = Table(
    "follower_snapshots",
    metadata,
    Column(
        "social_account_id",
        Integer,
        ForeignKey("social_accounts.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("day", Date, primary_key=True),
    _ws(),
    Column("followers", BigInteger, nullable=False),
    Column("recorded_at", UTCDateTime, nullable=False),
    CheckConstraint("followers >= 0", name="followers_non_negative"),
)

# Public comments on posts, for sentiment; no author is stored (docs/sentiment.md).
post_comments = Table(
    "post_comments",
    metadata,
    Column("id", BigId, primary_key=True),
    _ws(),
    Column("post_id", Integer, ForeignKey("posts.id", ondelete="CASCADE"), nullable=False),
    Column("external_id", String(200), nullable=False),
    Column("language", String(5), nullable=False),
    Column("text", Text, nullable=False),
    Column("published_at", UTCDateTime),
    _created(),
    UniqueConstraint("post_id", "external_id"),
)

# The latest disclosure verdict of a post in one market (core.disclosure).
post_disclosures = Table(
    "post_disclosures",
    metadata,
    Column("post_id", Integer, ForeignKey("posts.id", ondelete="CASCADE"), primary_key=True),
    Column("market", String(2), primary_key=True),
    _ws(),
    Column("verdict", String(20), nullable=False),
    Column("reason", Text, nullable=False),
    Column("checked_at", UTCDateTime, nullable=False),
)

# Daily values of an imported series (sales, sessions, signups, ...) for lift against a baseline.
baseline_series = Table(
    "baseline_series",
    metadata,
    Column(
        "workspace_id",
        Integer,
        ForeignKey("workspaces.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("series", String(64), primary_key=True),
    Column("day", Date, primary_key=True),
    Column("value", DecimalText, nullable=False),
    _created(),
)
