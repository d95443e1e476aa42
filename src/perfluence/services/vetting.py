"""Vetting: a creator's engagement against the workspace's benchmarks, fake-follower
signals, audience fit, competitor conflicts, one risk score, and payout holds.

Every figure comes from ``core.vetting``; this module only gathers the sums.
A partnership's payouts are held when its risk score reaches the threshold
or when one of its posts has a non-compliant disclosure verdict
(``services.compliance``). See ``docs/vetting.md``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import Connection

from perfluence.core.disclosure import COMPLIANT_VERDICTS, Verdict
from perfluence.core.kpis import NA, Ratio, Tier, TierThresholds, tier_for
from perfluence.core.vetting import (
    FRAUD_FLAGS,
    HOLD_THRESHOLD,
    AccountEngagement,
    AudienceFit,
    Benchmark,
    Conflict,
    FollowerPoint,
    GrowthAnomaly,
    PastPartnership,
    PostActivity,
    RiskInputs,
    RiskScore,
    audience_fit,
    benchmarks,
    competitor_conflicts,
    growth_anomalies,
    median,
    risk_score,
)
from perfluence.errors import ErrorCode, PerfluenceError
from perfluence.services.context import Context
from perfluence.services.creators import (
    normalise_handle,
    tier_thresholds,
    validate_audience,
)
from perfluence.services.workspaces import get_workspace
from perfluence.store import content
from perfluence.store.campaigns import find_campaign
from perfluence.store.content import AccountPosts, CampaignProfile
from perfluence.store.creators import creator_ids
from perfluence.store.post_metrics import follower_history, list_posts


@dataclass(frozen=True, slots=True)
class AccountVetting:
    platform: str
    followers: int
    tier: Tier
    posts: int
    rate_by_followers: Ratio
    rate_by_reach: Ratio
    benchmark: Benchmark | None
    anomalies: tuple[GrowthAnomaly, ...]


@dataclass(frozen=True, slots=True)
class VettingReport:
    creator: str
    campaign: str | None
    accounts: tuple[AccountVetting, ...]
    audience_fit: AudienceFit | None
    conflicts: tuple[Conflict, ...]
    inputs: RiskInputs
    risk: RiskScore


@dataclass(frozen=True, slots=True)
class PartnershipRisk:
    partnership_id: int
    creator: str
    risk: RiskScore
    non_compliant_posts: int

    @property
    def hold(self) -> bool:
        return self.risk.hold or self.non_compliant_posts > 0


class _Workspace:
    """What every assessment in one workspace shares: accounts and their benchmarks."""

    def __init__(self, conn: Connection, ws_id: int, thresholds: TierThresholds) -> None:
        self.conn = conn
        self.ws_id = ws_id
        self.thresholds = thresholds
        self.accounts = content.account_posts(conn, ws_id)
        self.benchmarks = benchmarks((_engagement(a) for a in self.accounts), thresholds)
        self.profiles = content.campaign_profiles(conn, ws_id)
        self.partnerships = content.partnership_rows(conn, ws_id)
        self.history = follower_history(conn, [a.account_id for a in self.accounts])

    def account(self, a: AccountPosts) -> AccountVetting:
        e = _engagement(a)
        tier = tier_for(a.followers, self.thresholds)
        points = [FollowerPoint(d, f) for d, f in self.history.get(a.account_id, [])]
        activity = [
            PostActivity(d, n)
            for d, n in content.post_activity(self.conn, a.creator_id, a.platform)
        ]
        return AccountVetting(
            platform=a.platform,
            followers=a.followers,
            tier=tier,
            posts=a.posts,
            rate_by_followers=e.rate_by_followers(),
            rate_by_reach=e.rate_by_reach(),
            benchmark=self.benchmarks.get((tier, a.platform)),
            anomalies=tuple(growth_anomalies(points, activity)),
        )

    def assess(
        self, creator_id: int, profile: CampaignProfile | None, partnership_ids: Sequence[int]
    ) -> tuple[tuple[AccountVetting, ...], AudienceFit | None, list[Conflict], RiskInputs]:
        own = [a for a in self.accounts if a.creator_id == creator_id]
        accounts = tuple(self.account(a) for a in own)
        main = max(own, key=lambda a: a.followers, default=None)
        main_vetting = None if main is None else accounts[own.index(main)]
        fit = None
        if profile is not None and profile.audience_target and main is not None:
            fit = audience_fit(_audience(main.audience), profile.audience_target)
        conflicts: list[Conflict] = []
        if profile is not None and profile.competitors:
            past = [
                PastPartnership(p.slug, p.brand, p.starts_on, p.ends_on)
                for pid, cid, who in self.partnerships
                if who == creator_id and cid != profile.campaign_id
                for p in (self.profiles[cid],)
            ]
            conflicts = competitor_conflicts(profile.competitors, past)
        signals = content.conversion_signals(self.conn, self.ws_id, partnership_ids, FRAUD_FLAGS)
        counted = content.click_counts(self.conn, self.ws_id, partnership_ids)
        seconds = [Decimal(s) for sig in signals.values() for s in sig.seconds_from_click]
        q1: Ratio = NA
        rate: Ratio = NA
        if main_vetting is not None:
            rate = main_vetting.rate_by_followers
            spread = None if main_vetting.benchmark is None else main_vetting.benchmark.by_followers
            # A benchmark of one account (the creator alone) compares the creator with itself.
            if spread is not None and spread.n >= 2:
                q1 = spread.q1
        inputs = RiskInputs(
            anomalies=sum(len(a.anomalies) for a in accounts),
            engagement_rate=rate,
            benchmark_q1=q1,
            audience_fit=NA if fit is None else fit.score,
            conversions=sum(s.conversions for s in signals.values()),
            flagged_conversions=sum(s.flagged for s in signals.values()),
            clicks=sum(c for c, _ in counted.values()),
            bot_clicks=sum(b for _, b in counted.values()),
            median_seconds_to_convert=median(seconds) if seconds else None,
        )
        return accounts, fit, conflicts, inputs


def _engagement(a: AccountPosts) -> AccountEngagement:
    return AccountEngagement(a.platform, a.followers, a.posts, a.engagements, a.reach)


def _audience(raw: Mapping[str, object] | None) -> dict[str, dict[str, Decimal]]:
    out: dict[str, dict[str, Decimal]] = {}
    for group, shares in (raw or {}).items():
        if isinstance(shares, dict):
            out[str(group)] = {str(k): Decimal(str(v)) for k, v in shares.items()}
    return out


def _creator_id(conn: Connection, ws_id: int, handle: str) -> tuple[str, int]:
    wanted = normalise_handle(handle, "creator")
    found = creator_ids(conn, ws_id, [wanted])
    if wanted not in found:
        raise PerfluenceError(ErrorCode.NOT_FOUND, f"creator {wanted!r} not found")
    return wanted, found[wanted]


def _campaign(
    conn: Connection, ws_id: int, slug: str, profiles: Mapping[int, CampaignProfile]
) -> CampaignProfile:
    found = find_campaign(conn, ws_id, slug.strip().lower())
    if found is None:
        raise PerfluenceError(ErrorCode.NOT_FOUND, f"campaign {slug!r} not found", field="campaign")
    return profiles[found.id]


def creator_vetting(
    ctx: Context,
    workspace: str,
    handle: str,
    campaign: str | None = None,
    *,
    threshold: Decimal = HOLD_THRESHOLD,
) -> VettingReport:
    """Vet one creator, for a campaign when given (audience fit, conflicts, its conversions)."""
    ws = get_workspace(ctx, workspace)
    with ctx.engine.connect() as conn:
        shared = _Workspace(conn, ws.id, tier_thresholds(ctx.settings))
        wanted, cid = _creator_id(conn, ws.id, handle)
        profile = None if campaign is None else _campaign(conn, ws.id, campaign, shared.profiles)
        pids = [
            p
            for p, camp, who in shared.partnerships
            if who == cid and (profile is None or camp == profile.campaign_id)
        ]
        accounts, fit, conflicts, inputs = shared.assess(cid, profile, pids)
    return VettingReport(
        creator=wanted,
        campaign=None if profile is None else profile.slug,
        accounts=accounts,
        audience_fit=fit,
        conflicts=tuple(conflicts),
        inputs=inputs,
        risk=risk_score(inputs, threshold),
    )


def _non_compliant(conn: Connection, ws_id: int) -> dict[int, int]:
    """Partnership id -> how many of its posts have a non-compliant verdict."""
    bad = {
        v.post_id
        for v in content.load_verdicts(conn, ws_id)
        if Verdict(v.verdict) not in COMPLIANT_VERDICTS
    }
    counts: dict[int, int] = {}
    for post in list_posts(conn, ws_id, post_ids=bad) if bad else []:
        if post.partnership_id is not None:
            counts[post.partnership_id] = counts.get(post.partnership_id, 0) + 1
    return counts


def _risks(
    conn: Connection,
    ws_id: int,
    thresholds: TierThresholds,
    threshold: Decimal,
    campaign_id: int | None,
) -> list[PartnershipRisk]:
    shared = _Workspace(conn, ws_id, thresholds)
    handles = {v: k for k, v in creator_ids(conn, ws_id).items()}
    blocked = _non_compliant(conn, ws_id)
    out = []
    for pid, camp, who in sorted(shared.partnerships):
        if campaign_id is not None and camp != campaign_id:
            continue
        *_, inputs = shared.assess(who, shared.profiles[camp], [pid])
        out.append(
            PartnershipRisk(pid, handles[who], risk_score(inputs, threshold), blocked.get(pid, 0))
        )
    return out


def campaign_risk(
    ctx: Context, workspace: str, campaign: str, *, threshold: Decimal = HOLD_THRESHOLD
) -> list[PartnershipRisk]:
    """The risk of every partnership in the campaign, highest first."""
    ws = get_workspace(ctx, workspace)
    with ctx.engine.connect() as conn:
        found = find_campaign(conn, ws.id, campaign.strip().lower())
        if found is None:
            raise PerfluenceError(ErrorCode.NOT_FOUND, f"campaign {campaign!r} not found")
        risks = _risks(conn, ws.id, tier_thresholds(ctx.settings), threshold, found.id)
    return sorted(risks, key=lambda r: (-r.risk.score, r.creator))


def held_partnerships(
    conn: Connection, ws_id: int, thresholds: TierThresholds, threshold: Decimal = HOLD_THRESHOLD
) -> dict[int, list[str]]:
    """Partnership id -> why its payouts are held, on the caller's connection."""
    held: dict[int, list[str]] = {}
    for r in _risks(conn, ws_id, thresholds, threshold, None):
        reasons = []
        if r.risk.hold:
            reasons.append(f"risk score {r.risk.score} >= {r.risk.threshold}")
        if r.non_compliant_posts:
            reasons.append(f"{r.non_compliant_posts} post(s) without a compliant ad disclosure")
        if reasons:
            held[r.partnership_id] = reasons
    return held


def payout_holds(
    ctx: Context, workspace: str, *, threshold: Decimal = HOLD_THRESHOLD
) -> dict[int, list[str]]:
    """Every partnership whose payouts are held, with the reasons."""
    ws = get_workspace(ctx, workspace)
    with ctx.engine.connect() as conn:
        return held_partnerships(conn, ws.id, tier_thresholds(ctx.settings), threshold)


def is_payout_blocked(ctx: Context, workspace: str, partnership_id: int) -> list[str]:
    """Why the partnership's payouts are held (empty: they are not)."""
    return payout_holds(ctx, workspace).get(partnership_id, [])


def set_campaign_profile(
    ctx: Context,
    workspace: str,
    campaign: str,
    *,
    brand: str | None = None,
    competitors: Sequence[str] = (),
    audience_target: Mapping[str, Mapping[str, object]] | None = None,
) -> CampaignProfile:
    """Set the brand a campaign is for, its competitors and its target audience shares."""
    target = validate_audience(audience_target or {})
    names = [c.strip() for c in competitors if c.strip()]
    if brand is not None and len(brand.strip()) > 200:
        raise PerfluenceError(
            ErrorCode.INVALID, "brand is longer than 200 characters", field="brand"
        )
    ws = get_workspace(ctx, workspace)
    with ctx.engine.begin() as conn:
        found = find_campaign(conn, ws.id, campaign.strip().lower())
        if found is None:
            raise PerfluenceError(ErrorCode.NOT_FOUND, f"campaign {campaign!r} not found")
        content.set_campaign_profile(
            conn,
            found.id,
            brand=brand.strip() if brand and brand.strip() else None,
            competitors=names,
            audience_target=target,
        )
        return content.campaign_profiles(conn, ws.id)[found.id]


def parse_share_arg(text: str) -> tuple[str, str, str]:
    """``country:DK=0.7`` -> ``("country", "DK", "0.7")`` (the CLI's --target form)."""
    group, sep, rest = text.partition(":")
    key, eq, value = rest.partition("=")
    if not sep or not eq or not group.strip() or not key.strip():
        raise PerfluenceError(
            ErrorCode.INVALID,
            f"{text!r} is not GROUP:KEY=SHARE (e.g. country:DK=0.7)",
            field="target",
        )
    return group.strip().lower(), key.strip(), value.strip()
