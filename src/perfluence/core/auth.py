"""Roles and what each may do (pure): one matrix the dashboard, CLI and docs read.

A user holds one role per workspace (a membership). An agency user simply has
memberships in several workspaces. ``owner`` may also manage people and keys;
``member`` runs campaigns; ``read_only`` sees everything and changes nothing.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Final


class Role(StrEnum):
    OWNER = "owner"
    MEMBER = "member"
    READ_ONLY = "read_only"


class Permission(StrEnum):
    VIEW = "view"  # every page and report of the workspace
    EDIT = "edit"  # campaigns, creators, partnerships, links, codes
    PAYOUTS = "payouts"  # create, approve and pay statements
    MANAGE = "manage"  # people, roles, API keys, portal links


PERMISSIONS: Final[dict[Role, frozenset[Permission]]] = {
    Role.OWNER: frozenset(Permission),
    Role.MEMBER: frozenset({Permission.VIEW, Permission.EDIT, Permission.PAYOUTS}),
    Role.READ_ONLY: frozenset({Permission.VIEW}),
}


def parse_role(value: str) -> Role:
    """``owner`` / ``member`` / ``read_only`` (``read-only`` too); ValueError otherwise."""
    cleaned = value.strip().lower().replace("-", "_")
    try:
        return Role(cleaned)
    except ValueError:
        choices = ", ".join(r.value for r in Role)
        raise ValueError(f"role {value!r} is not one of {choices}") from None


def allows(role: Role, permission: Permission) -> bool:
    return permission in PERMISSIONS[role]


def can_write(role: Role) -> bool:
    """Whether the role may send any changing request (every POST needs at least EDIT)."""
    return allows(role, Permission.EDIT)


MIN_PASSWORD_LENGTH: Final = 10


def password_problem(password: str) -> str | None:
    """Why a new password is refused, or None. Length over rules: people pick passphrases."""
    if len(password) < MIN_PASSWORD_LENGTH:
        return f"the password must be at least {MIN_PASSWORD_LENGTH} characters"
    if len(password) > 1024:
        return "the password must be at most 1024 characters"
    if password.strip() != password or not password.strip():
        return "the password must not start or end with spaces"
    return None
