"""Roles, permissions and password rules (pure)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from perfluence.core.auth import (
    MIN_PASSWORD_LENGTH,
    PERMISSIONS,
    Permission,
    Role,
    allows,
    can_write,
    parse_role,
    password_problem,
)


def test_every_role_has_a_row_and_every_role_can_view() -> None:
    assert set(PERMISSIONS) == set(Role)
    assert all(allows(role, Permission.VIEW) for role in Role)


def test_the_matrix() -> None:
    assert PERMISSIONS[Role.OWNER] == frozenset(Permission)
    assert allows(Role.MEMBER, Permission.EDIT)
    assert allows(Role.MEMBER, Permission.PAYOUTS)
    assert not allows(Role.MEMBER, Permission.MANAGE)
    assert PERMISSIONS[Role.READ_ONLY] == {Permission.VIEW}


def test_only_read_only_cannot_write() -> None:
    assert [r for r in Role if not can_write(r)] == [Role.READ_ONLY]


def test_roles_are_nested() -> None:
    """Each role can do everything the role below it can."""
    assert PERMISSIONS[Role.READ_ONLY] < PERMISSIONS[Role.MEMBER] < PERMISSIONS[Role.OWNER]


@pytest.mark.parametrize(
    ("text", "role"),
    [("owner", Role.OWNER), (" Member ", Role.MEMBER), ("read-only", Role.READ_ONLY),
     ("READ_ONLY", Role.READ_ONLY)],
)  # fmt: skip
def test_parse_role(text: str, role: Role) -> None:
    assert parse_role(text) is role


def test_unknown_role_names_the_choices() -> None:
    with pytest.raises(ValueError, match="owner, member, read_only"):
        parse_role("admin")


def test_password_rules() -> None:
    assert password_problem("x" * (MIN_PASSWORD_LENGTH - 1)) is not None
    assert password_problem("correct horse") is None
    assert password_problem(" correct horse") is not None
    assert password_problem("x" * 1025) is not None


@given(st.text(min_size=MIN_PASSWORD_LENGTH, max_size=200))
def test_long_enough_unpadded_passwords_pass(text: str) -> None:
    if text.strip() == text and text.strip():
        assert password_problem(text) is None
    else:
        assert password_problem(text) is not None
