"""Indexes the campaign report reads by

Revision ID: 0009
Revises: 0008
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # A campaign's links are found from its partnerships; without this SQLite builds an
    # automatic index on every report and PostgreSQL scans every link.
    op.create_index("ix_tracking_links_partnership", "tracking_links", ["partnership_id"])
    # The report sums a campaign's rollups link by link: with the counts in the index it reads
    # the index alone, in key order, instead of one table look-up per (link, hour).
    op.create_index(
        "ix_click_rollups_hourly_counts",
        "click_rollups_hourly",
        ["link_id", "hour", "clicks", "unique_clicks", "bot_clicks"],
    )
    # Revenue is summed from the credit rows of a campaign's partnerships.
    op.create_index("ix_conversion_credits_partnership", "conversion_credits", ["partnership_id"])


def downgrade() -> None:
    op.drop_index("ix_conversion_credits_partnership", table_name="conversion_credits")
    op.drop_index("ix_click_rollups_hourly_counts", table_name="click_rollups_hourly")
    op.drop_index("ix_tracking_links_partnership", table_name="tracking_links")
