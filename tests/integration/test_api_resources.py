"""The REST resources under /api/v1 through the whole application, on both dialects."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import httpx
import pytest

from perfluence.services import api_keys, conversions, links, workspaces
from perfluence.services.context import Context
from perfluence.services.conversions import TrackRequest
from tests.conftest import FrozenClock
from tests.integration.api_resource_world import Objects, bearer, make_objects
from tests.integration.api_world import with_client

Request = tuple[str, str, Any]


def call(ctx: Context, token: str, requests: Sequence[Request]) -> list[httpx.Response]:
    """Each (method, path, json body) in order, in one run of the application."""

    async def scenario(client: httpx.AsyncClient) -> list[httpx.Response]:
        return [
            await client.request(method, path, json=body, headers=bearer(token))
            for method, path, body in requests
        ]

    return with_client(ctx, scenario)


def one(ctx: Context, token: str, method: str, path: str, body: Any = None) -> httpx.Response:
    return call(ctx, token, [(method, path, body)])[0]


@pytest.fixture
def alpha(ctx: Context) -> Objects:
    return make_objects(ctx, "alpha", "anna")


def test_the_key_reads_its_own_workspace(ctx: Context, alpha: Objects) -> None:
    response = one(ctx, alpha.token, "GET", "/api/v1/workspace")
    assert response.status_code == 200
    body = response.json()
    assert body["slug"] == "alpha"
    assert body["default_currency"] == "DKK"
    assert body["created_at"].endswith("Z")


def test_creators_are_created_listed_filtered_and_paged(ctx: Context, alpha: Objects) -> None:
    new = [
        {
            "handle": f"@Creator{n}",
            "name": f"Creator {n}",
            "country": "se",
            "accounts": [{"platform": "tiktok", "followers": 500 * n}],
        }
        for n in (1, 2, 3)
    ]
    responses = call(
        ctx,
        alpha.token,
        [
            *[("POST", "/api/v1/creators", body) for body in new],
            ("GET", "/api/v1/creators?limit=2", None),
            ("GET", "/api/v1/creators?country=SE&platform=tiktok&tier=micro", None),
            ("GET", "/api/v1/creators/creator1", None),
            ("POST", "/api/v1/creators/creator1/accounts", {"platform": "youtube"}),
            ("POST", "/api/v1/creators", new[0]),
        ],
    )
    created, first_page, filtered, got, with_account, again = (
        responses[0],
        responses[3],
        responses[4],
        responses[5],
        responses[6],
        responses[7],
    )
    assert created.status_code == 201, created.text
    assert created.json()["handle"] == "creator1"
    assert created.json()["currency"] == "DKK"
    assert created.json()["tier"] == "nano"
    page = first_page.json()
    assert [c["handle"] for c in page["items"]] == ["anna", "creator1"]
    assert page["next"] == "/api/v1/creators?limit=2&offset=2"
    second = one(ctx, alpha.token, "GET", page["next"]).json()
    assert [c["handle"] for c in second["items"]] == ["creator2", "creator3"]
    assert second["next"] is None
    assert [c["handle"] for c in filtered.json()["items"]] == ["creator2", "creator3"]
    assert got.json()["accounts"][0]["followers"] == 500
    assert with_account.status_code == 201
    assert with_account.json()["platforms"] == ["tiktok", "youtube"]
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "duplicate"


def test_a_list_keeps_its_filters_in_the_next_link(ctx: Context, alpha: Objects) -> None:
    for n in range(3):
        links.create_link(
            ctx, "alpha", alpha.campaign_slug, "anna", "https://shop.example/", slug=f"extra-{n}"
        )
    page = one(ctx, alpha.token, "GET", "/api/v1/links?status=active&limit=1&offset=1").json()
    assert len(page["items"]) == 1
    assert page["offset"] == 1
    assert page["next"] == "/api/v1/links?status=active&limit=1&offset=2"


def test_a_campaign_partnership_link_code_post_and_cost_are_made_through_the_api(
    ctx: Context, alpha: Objects
) -> None:
    token = alpha.token
    responses = call(
        ctx,
        token,
        [
            ("POST", "/api/v1/creators", {"handle": "bo", "name": "Bo", "currency": "SEK"}),
            (
                "POST",
                "/api/v1/campaigns",
                {
                    "slug": "autumn",
                    "name": "Autumn",
                    "goal": "sales",
                    "starts_on": "2026-09-01",
                    "ends_on": "2026-10-31",
                    "budget": "25000.50",
                    "markets": ["dk", "SE"],
                    "targets": {"roas": "4", "ctr": "1.5%", "cpa": "150"},
                },
            ),
            (
                "POST",
                "/api/v1/partnerships",
                {
                    "campaign": "autumn",
                    "creator": "bo",
                    "terms": {
                        "model": "hybrid",
                        "flat_fee": "1000",
                        "commission_rate": "12%",
                        "country_rates": {"SE": "0.15"},
                    },
                },
            ),
            (
                "POST",
                "/api/v1/links",
                {
                    "campaign": "autumn",
                    "creator": "bo",
                    "destination": "https://shop.example/autumn?ref=1",
                    "slug": "bo-autumn",
                    "utm": {"utm_source": "newsletter"},
                },
            ),
            ("POST", "/api/v1/codes", {"campaign": "autumn", "creator": "bo", "code": "bo20"}),
            (
                "POST",
                "/api/v1/posts",
                {
                    "campaign": "autumn",
                    "creator": "bo",
                    "platform": "tiktok",
                    "external_id": "7251",
                    "published_at": "2026-09-02T18:00:00+02:00",
                    "metrics": {"views": 12000, "likes": 800},
                },
            ),
            (
                "POST",
                "/api/v1/costs",
                {"campaign": "autumn", "creator": "bo", "kind": "gifting", "amount": "499.95"},
            ),
        ],
    )
    for response in responses:
        assert response.status_code == 201, response.text
    _, campaign, partnership, link, code, post, cost = (r.json() for r in responses)
    assert campaign["budget"] == {"amount": "25000.50", "currency": "DKK"}
    assert campaign["markets"] == ["DK", "SE"]
    assert campaign["kpi_targets"] == {"roas": "4", "ctr": "0.015", "cpa": "150"}
    assert partnership["currency"] == "SEK"
    assert partnership["terms"]["commission_rate"] == "0.12"
    assert partnership["terms"]["country_rates"] == {"SE": "0.15"}
    assert link["utm"]["utm_source"] == "newsletter"
    assert link["short_url"].endswith("/l/bo-autumn")
    assert "utm_source=newsletter" in link["tracking_destination"]
    assert code["code"] == "bo20"  # kept as typed; look-ups ignore case
    assert post["published_at"] == "2026-09-02T16:00:00Z"
    assert post["metrics"]["views"] == 12000
    assert post["campaign"] == "autumn"
    assert cost["amount"] == {"amount": "499.95", "currency": "DKK"}
    assert cost["creator"] == "bo"
    got = call(
        ctx,
        token,
        [
            ("GET", f"/api/v1/partnerships/{partnership['id']}", None),
            ("GET", "/api/v1/codes/Bo20", None),
            ("GET", "/api/v1/partnerships?campaign=autumn", None),
            ("GET", "/api/v1/costs?kind=gifting", None),
            ("GET", "/api/v1/posts?platform=tiktok", None),
        ],
    )
    assert got[0].json() == partnership
    assert got[1].json() == code
    assert [p["creator"] for p in got[2].json()["items"]] == ["bo"]
    assert [c["amount"]["amount"] for c in got[3].json()["items"]] == ["499.95"]
    assert [p["external_id"] for p in got[4].json()["items"]] == ["7251"]


def test_links_and_posts_change_and_a_refused_change_changes_nothing(
    ctx: Context, alpha: Objects, clock: FrozenClock
) -> None:
    clock.advance(hours=1)
    path = f"/api/v1/links/{alpha.link_slug}"
    paused, refused, capped = call(
        ctx,
        alpha.token,
        [
            ("PATCH", path, {"status": "paused", "destination": "https://shop.example/new"}),
            ("PATCH", path, {"status": "active", "destination": "ftp://nope"}),
            ("PATCH", path, {"click_cap": 100}),
        ],
    )
    assert paused.status_code == 200, paused.text
    assert paused.json()["status"] == "paused"
    assert paused.json()["destination_url"] == "https://shop.example/new"
    assert refused.status_code == 422
    assert refused.json()["error"]["field"] == "destination"
    assert capped.json()["status"] == "paused"  # the refused change did not resume it
    assert capped.json()["click_cap"] == 100
    post = one(
        ctx, alpha.token, "PATCH", f"/api/v1/posts/{alpha.post_id}", {"metrics": {"reach": 7}}
    )
    assert post.json()["metrics"]["reach"] == 7
    assert post.json()["metrics"]["likes"] == 3  # left out: unchanged


def test_conversions_are_listed_by_filter_and_time_and_shown_with_their_ledger(
    ctx: Context, alpha: Objects
) -> None:
    ws = "/api/v1/conversions"
    responses = call(
        ctx,
        alpha.token,
        [
            ("GET", f"{ws}?campaign={alpha.campaign_slug}&creator=anna&kind=sale", None),
            ("GET", f"{ws}?kind=lead", None),
            ("GET", f"{ws}?occurred_from=2026-03-02T12:00:00%2B00:00", None),
            ("GET", f"{ws}?occurred_before=2026-03-02T12:00:00Z", None),
            ("GET", f"{ws}/{alpha.conversion_id}", None),
            ("GET", f"{ws}?kind=gift", None),
            ("GET", f"{ws}?occurred_from=2026-03-02T12:00:00", None),
        ],
    )
    listed, leads, since, before, detail, bad_kind, naive = responses
    assert [c["id"] for c in listed.json()["items"]] == [alpha.conversion_id]
    assert listed.json()["items"][0]["amount"] == {"amount": "500.00", "currency": "DKK"}
    assert leads.json()["items"] == []
    assert len(since.json()["items"]) == 1
    assert before.json()["items"] == []
    body = detail.json()
    assert body["attribution_method"] == "code"
    assert body["creator"] == "anna"
    assert [(line["kind"], line["amount"]["amount"]) for line in body["ledger"]] == [
        ("commission", "50.00")
    ]
    assert bad_kind.status_code == 422
    assert bad_kind.json()["error"]["field"] == "kind"
    assert naive.status_code == 422


def test_a_statement_is_previewed_created_approved_and_paid(ctx: Context, alpha: Objects) -> None:
    base = "/api/v1/payouts"
    period = {"creator": "anna", "period_start": "2026-04-01", "period_end": "2026-04-30"}
    path = f"{base}/{alpha.statement_id}"
    responses = call(
        ctx,
        alpha.token,
        [
            ("GET", f"{base}?creator=anna&status=pending", None),
            ("GET", path, None),
            ("POST", f"{path}/mark-paid", None),
            ("POST", f"{path}/approve", None),
            ("POST", f"{path}/mark-paid", None),
            ("POST", f"{base}/preview", period),
            ("POST", base, period),
        ],
    )
    listed, got, too_early, approved, paid, preview, nothing = responses
    assert [s["id"] for s in listed.json()["items"]] == [alpha.statement_id]
    assert got.json()["total"] == {"amount": "50.00", "currency": "DKK"}
    assert [line["kind"] for line in got.json()["lines"]] == ["commission"]
    assert too_early.status_code == 422
    assert approved.json()["status"] == "approved"
    assert paid.json()["status"] == "paid"
    assert paid.json()["paid_at"] is not None
    assert preview.status_code == 200
    assert preview.json()["id"] is None
    assert preview.json()["lines"] == []
    assert nothing.status_code == 422  # nothing to pay for April


def test_the_campaign_report_and_overview(ctx: Context, alpha: Objects) -> None:
    kpis, overview, investment = call(
        ctx,
        alpha.token,
        [
            ("GET", f"/api/v1/campaigns/{alpha.campaign_slug}/kpis", None),
            ("GET", "/api/v1/reports/campaigns", None),
            ("GET", f"/api/v1/campaigns/{alpha.campaign_slug}/investment", None),
        ],
    )
    report = kpis.json()
    assert report["totals"]["revenue"] == {"amount": "500.00", "currency": "DKK"}
    assert report["totals"]["sales"] == 1
    assert report["creators"][0]["creator"] == "anna"
    # No clicks: CTR and CPC are not available, never 0.
    assert report["total_ratios"]["ctr"] is None
    assert report["total_ratios"]["cpc"] is None
    assert [row["campaign"] for row in overview.json()["items"]] == [alpha.campaign_slug]
    assert investment.json()["costs_by_kind"]["fee"]["amount"] == "250.00"


@pytest.mark.parametrize(
    ("scopes", "method", "path", "status"),
    [
        (["read"], "POST", "/api/v1/costs", 403),
        (["read"], "PATCH", "/api/v1/links/alpha-link", 403),
        (["read"], "POST", "/api/v1/payouts/preview", 403),
        (["write"], "GET", "/api/v1/creators", 403),
        (["track"], "GET", "/api/v1/conversions", 403),
        (["track"], "POST", "/api/v1/creators", 403),
        (["read"], "GET", "/api/v1/creators", 200),
    ],
)
def test_each_route_asks_for_its_scope(
    ctx: Context, alpha: Objects, scopes: list[str], method: str, path: str, status: int
) -> None:
    token = api_keys.create_api_key(ctx, "alpha", "narrow", scopes).token
    body: dict[str, str] | None = {} if method != "GET" else None
    response = one(ctx, token, method, path, body)
    assert response.status_code == status, response.text
    if status == 403:
        assert response.json()["error"]["code"] == "forbidden"


def test_without_a_key_every_resource_is_401(ctx: Context, alpha: Objects) -> None:
    async def scenario(client: httpx.AsyncClient) -> httpx.Response:
        return await client.get("/api/v1/creators")

    response = with_client(ctx, scenario)
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "unauthenticated"


@pytest.mark.parametrize(
    ("method", "path", "body", "field", "status"),
    [
        ("POST", "/api/v1/costs", {"campaign": "x", "kind": "fee", "amount": 1.5}, "amount", 422),
        (
            "POST",
            "/api/v1/costs",
            {"campaign": "alpha-spring", "kind": "fee", "amount": "1e3"},
            "amount",
            422,
        ),
        ("POST", "/api/v1/creators", {"handle": "x", "name": "X", "nick": "y"}, "nick", 422),
        ("POST", "/api/v1/creators", {"handle": "x\u0000", "name": "X"}, "body", 422),
        ("GET", "/api/v1/creators?limit=201", None, "limit", 422),
        ("GET", "/api/v1/posts/99999999999", None, "post_id", 422),
        ("GET", "/api/v1/campaigns/nope", None, None, 404),
        ("GET", "/api/v1/creators/%00", None, "handle", 422),
    ],
)
def test_bad_input_is_refused_with_a_stable_code_and_the_field(
    ctx: Context,
    alpha: Objects,
    method: str,
    path: str,
    body: Any,
    field: str | None,
    status: int,
) -> None:
    response = one(ctx, alpha.token, method, path, body)
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert error["code"] == ("not_found" if status == 404 else "invalid")
    assert error.get("field") == field


def test_the_rendered_report_comes_in_each_format(ctx: Context, alpha: Objects) -> None:
    path = f"/api/v1/campaigns/{alpha.campaign_slug}/report"
    html, csv, bad = call(
        ctx,
        alpha.token,
        [
            ("GET", f"{path}?lang=da", None),
            ("GET", f"{path}?format=csv", None),
            ("GET", f"{path}?format=docx", None),
        ],
    )
    assert html.status_code == 200, html.text
    assert html.headers["content-type"].startswith("text/html")
    assert html.headers["content-disposition"] == 'inline; filename="alpha-spring.html"'
    assert '<html lang="da"' in html.text
    assert csv.headers["content-type"].startswith("text/csv")
    assert "attachment" in csv.headers["content-disposition"]
    assert bad.status_code == 422
    assert bad.json()["error"]["field"] == "format"


def test_an_oversized_body_is_413_before_it_is_parsed(ctx: Context, alpha: Objects) -> None:
    body = {"handle": "big", "name": "Big", "notes": "x" * 300_000}
    response = one(ctx, alpha.token, "POST", "/api/v1/creators", body)
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "payload_too_large"


def test_conversions_page_newest_first(ctx: Context, alpha: Objects, clock: FrozenClock) -> None:
    ws_id = workspaces.get_workspace(ctx, "alpha").id
    for n in range(3):
        clock.advance(hours=1)
        conversions.track(
            ctx,
            ws_id,
            conversions.API_SOURCE,
            TrackRequest(kind="lead", external_id=f"lead-{n}", amount=None, occurred_at=None),
        )
    first = one(ctx, alpha.token, "GET", "/api/v1/conversions?limit=2").json()
    assert [c["external_id"] for c in first["items"]] == ["lead-2", "lead-1"]
    assert first["next"] == "/api/v1/conversions?limit=2&offset=2"
    rest = one(ctx, alpha.token, "GET", first["next"]).json()
    assert [c["external_id"] for c in rest["items"]] == ["lead-0", "alpha-order-1"]
    assert rest["next"] is None
    leads = one(ctx, alpha.token, "GET", "/api/v1/conversions?kind=lead&limit=3").json()
    assert len(leads["items"]) == 3
    assert leads["next"] is None


def test_a_post_is_recorded_once_and_only_for_a_partnership_that_exists(
    ctx: Context, alpha: Objects
) -> None:
    body = {"creator": "anna", "platform": "instagram", "external_id": f"{alpha.slug}-post-1"}
    again, no_partnership, naive = call(
        ctx,
        alpha.token,
        [
            ("POST", "/api/v1/posts", body),
            ("POST", "/api/v1/posts", {**body, "external_id": "p2", "campaign": "nope"}),
            ("POST", "/api/v1/posts", {**body, "published_at": "2026-03-02T10:00:00"}),
        ],
    )
    assert again.status_code == 409
    assert again.json()["error"]["field"] == "external_id"
    assert no_partnership.status_code == 404
    assert no_partnership.json()["error"]["field"] == "campaign"
    assert naive.status_code == 422
    assert naive.json()["error"]["field"] == "published_at"
