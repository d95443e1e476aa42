"""An index for finding refunds stored before their sale

Revision ID: 0010
Revises: 0009
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Every stored sale looks for refunds that named it before it arrived; without this the
    # lookup reads every conversion of the workspace, and ingest slows as conversions pile up.
    op.create_index(
        "ix_conversions_reverses_external",
        "conversions",
        ["workspace_id", "reverses_external_id"],
    )


def downgrade() -> None:
    op.drop_index("ix_conversions_reverses_external", table_name="conversions")
