"""For the REST resource tests: a workspace with one object of every kind, made through the
same services the CLI calls, and a key for it; and the application served in-process."""

from __future__ import annotations

from dataclasses import dataclass

from perfluence.core.money import Money
from perfluence.services import (
    api_keys,
    campaigns,
    codes,
    conversions,
    costs,
    creators,
    links,
    partnerships,
    payouts,
    posts,
    workspaces,
)
from perfluence.services.context import Context
from perfluence.services.conversions import TrackRequest

ALL_SCOPES = ("read", "write", "track", "privacy")
# Every path parameter of /api/v1 and the object it names (``Objects.path_values``).
PATH_PARAMETERS = frozenset(
    {
        "handle",
        "campaign_slug",
        "partnership_id",
        "link_slug",
        "code",
        "post_id",
        "conversion_id",
        "statement_id",
    }
)


@dataclass(frozen=True)
class Objects:
    """One object of every kind in workspace ``slug``, by the identifiers routes take."""

    slug: str
    token: str
    handle: str
    campaign_slug: str
    partnership_id: int
    link_slug: str
    code: str
    post_id: int
    conversion_id: int
    statement_id: int

    def path_values(self) -> dict[str, str]:
        """What each path parameter of ``/api/v1`` names, for this workspace's objects."""
        return {
            "handle": self.handle,
            "campaign_slug": self.campaign_slug,
            "partnership_id": str(self.partnership_id),
            "link_slug": self.link_slug,
            "code": self.code,
            "post_id": str(self.post_id),
            "conversion_id": str(self.conversion_id),
            "statement_id": str(self.statement_id),
        }


def make_objects(ctx: Context, slug: str, creator: str) -> Objects:
    """Workspace ``slug`` with ``creator`` in campaign ``{slug}-spring``: a link, a code, a post,
    a sale through the code, a cost, and a statement for the sale's commission."""
    workspaces.create_workspace(ctx, slug, slug.title(), currency="DKK")
    creators.add_creator(
        ctx,
        slug,
        creator,
        name=creator.title(),
        country="DK",
        accounts=[creators.NewAccount(platform="instagram", followers=12_000)],
    )
    campaign = f"{slug}-spring"
    campaigns.create_campaign(
        ctx,
        slug,
        campaign,
        name="Spring",
        goal="sales",
        starts_on="2026-03-01",
        ends_on="2026-06-30",
        budget="10000",
    )
    partnership = partnerships.create_partnership(
        ctx, slug, campaign, creator, {"model": "cps", "commission_rate": "10%", "hold_days": 0}
    )
    link = links.create_link(
        ctx, slug, campaign, creator, "https://shop.example/", slug=f"{slug}-link"
    )
    code = codes.create_code(ctx, slug, campaign, creator, code=f"{creator.upper()}15")
    post = posts.add_post(
        ctx, slug, creator, "instagram", f"{slug}-post-1", campaign=campaign, metrics={"likes": 3}
    )
    ws_id = workspaces.get_workspace(ctx, slug).id
    sale = conversions.track(
        ctx,
        ws_id,
        conversions.API_SOURCE,
        TrackRequest(
            kind="sale",
            external_id=f"{slug}-order-1",
            amount=Money("500.00", "DKK"),
            occurred_at=None,
            code=code.code,
        ),
    )
    costs.add_cost(ctx, slug, campaign, kind="fee", amount="250.00", on="2026-03-01")
    statement = payouts.create_statement(ctx, slug, creator, "2026-03-01", "2026-03-31")
    assert statement.id is not None
    token = api_keys.create_api_key(ctx, slug, "everything", ALL_SCOPES).token
    return Objects(
        slug=slug,
        token=token,
        handle=creator,
        campaign_slug=campaign,
        partnership_id=partnership.id,
        link_slug=link.slug,
        code=code.code,
        post_id=post.id,
        conversion_id=sale.conversion_id,
        statement_id=statement.id,
    )


def bearer(token: str) -> dict[str, str]:
    return {"authorization": f"Bearer {token}"}
