"""``GET /api/v1/workspace``: the workspace the key belongs to."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Request
from pydantic import BaseModel

from perfluence.core.model import Workspace
from perfluence.services import workspaces
from perfluence.web.api.resources.access import ERRORS, RESOURCE_DEPENDENCIES, Reader
from perfluence.web.api.state import context_of

router = APIRouter(
    prefix="/api/v1", tags=["workspace"], dependencies=RESOURCE_DEPENDENCIES, responses=ERRORS
)


class WorkspaceOut(BaseModel):
    id: int
    slug: str
    name: str
    default_currency: str
    default_language: str
    fallback_url: str | None
    created_at: datetime

    @classmethod
    def of(cls, ws: Workspace) -> WorkspaceOut:
        return cls(
            id=ws.id,
            slug=ws.slug,
            name=ws.name,
            default_currency=ws.default_currency,
            default_language=ws.default_language,
            fallback_url=ws.fallback_url,
            created_at=ws.created_at,
        )


@router.get("/workspace", response_model=WorkspaceOut)
def get_workspace(request: Request, principal: Reader) -> WorkspaceOut:
    """The key's own workspace (a key never sees another)."""
    return WorkspaceOut.of(workspaces.get_workspace(context_of(request), principal.workspace_slug))
