"""Disclosure compliance: check sponsored posts against each campaign market's rule.

A post is sponsored when it belongs to a partnership; it is checked in every
market of that partnership's campaign that has a rule in
``core.disclosure.RULES`` (or in the markets given). The verdicts are stored
per post and market, replacing the previous check; the worst one decides.
A non-compliant post holds its partnership's payouts (``services.vetting``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from perfluence.core.disclosure import (
    COMPLIANT_VERDICTS,
    Finding,
    Verdict,
    check_markets,
    rule_for,
    worst,
)
from perfluence.errors import ErrorCode, PerfluenceError
from perfluence.services.context import Context
from perfluence.services.workspaces import get_workspace
from perfluence.store import content
from perfluence.store.campaigns import find_campaign
from perfluence.store.post_metrics import PostView, list_posts


@dataclass(frozen=True, slots=True)
class PostCompliance:
    post: PostView
    findings: tuple[Finding, ...]

    @property
    def verdict(self) -> Finding | None:
        return worst(self.findings)

    @property
    def compliant(self) -> bool:
        return all(f.compliant for f in self.findings)


def check_posts(
    ctx: Context,
    workspace: str,
    *,
    campaign: str | None = None,
    markets: Sequence[str] | None = None,
) -> list[PostCompliance]:
    """Check every sponsored post (of ``campaign`` when given) and store the verdicts."""
    for market in markets or ():
        rule_for(market)  # refuse an unknown market before anything is checked
    ws = get_workspace(ctx, workspace)
    with ctx.engine.begin() as conn:
        campaign_id = None
        if campaign is not None:
            found = find_campaign(conn, ws.id, campaign.strip().lower())
            if found is None:
                raise PerfluenceError(ErrorCode.NOT_FOUND, f"campaign {campaign!r} not found")
            campaign_id = found.id
        profiles = {p.slug: p for p in content.campaign_profiles(conn, ws.id).values()}
        out = []
        for post in list_posts(conn, ws.id, campaign_id=campaign_id):
            if post.campaign_slug is None:
                continue
            wanted = markets or profiles[post.campaign_slug].markets
            findings = tuple(
                check_markets(post.caption, wanted, platform_label=post.paid_partnership_label)
            )
            content.save_verdicts(
                conn,
                ws.id,
                post.id,
                [(f.market, f.verdict.value, f.reason) for f in findings],
                ctx.now(),
            )
            out.append(PostCompliance(post, findings))
    return out


def non_compliant_posts(
    ctx: Context, workspace: str, *, campaign: str | None = None
) -> list[PostCompliance]:
    """Posts whose last check found a market's disclosure wanting (for the dashboard)."""
    ws = get_workspace(ctx, workspace)
    with ctx.engine.connect() as conn:
        verdicts = content.load_verdicts(conn, ws.id)
        bad: dict[int, list[Finding]] = {}
        for v in verdicts:
            bad.setdefault(v.post_id, []).append(Finding(Verdict(v.verdict), v.market, v.reason))
        flagged = {
            pid
            for pid, found in bad.items()
            if any(f.verdict not in COMPLIANT_VERDICTS for f in found)
        }
        posts = list_posts(conn, ws.id, post_ids=flagged) if flagged else []
    wanted = None if campaign is None else campaign.strip().lower()
    return [
        PostCompliance(p, tuple(bad[p.id]))
        for p in posts
        if wanted is None or p.campaign_slug == wanted
    ]
