"""The REST resources under ``/api/v1``: one module per resource, one router each.

Every route takes its workspace from the principal (the API key), never from
the request, and hands it to the services, which filter every query by it:
an object of another workspace is simply ``404 not_found``.
"""

from __future__ import annotations

from typing import Final

from fastapi import APIRouter

from perfluence.web.api.resources import (
    campaigns,
    codes,
    conversions,
    costs,
    creators,
    links,
    partnerships,
    payouts,
    posts,
    privacy,
    reports,
    workspace,
)

# Far above any real body (a creator with twenty accounts, a long caption).
MAX_BODY_BYTES: Final = 256 * 1024

ROUTERS: tuple[APIRouter, ...] = (
    workspace.router,
    creators.router,
    campaigns.router,
    partnerships.router,
    links.router,
    codes.router,
    posts.router,
    conversions.router,
    costs.router,
    payouts.router,
    reports.router,
    privacy.router,
)
