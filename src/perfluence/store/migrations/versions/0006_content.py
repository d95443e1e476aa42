"""Post metrics history, follower snapshots, comments and disclosure verdicts

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import perfluence.store.types

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_TIME = perfluence.store.types.UTCDateTime(length=32)


def _workspace_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["workspace_id"],
        ["workspaces.id"],
        name=op.f(f"fk_{table}_workspace_id_workspaces"),
        ondelete="CASCADE",
    )


def _post_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["post_id"], ["posts.id"], name=op.f(f"fk_{table}_post_id_posts"), ondelete="CASCADE"
    )


def upgrade() -> None:
    with op.batch_alter_table("posts") as batch:
        batch.add_column(sa.Column("paid_partnership_label", sa.Boolean(), nullable=True))
    with op.batch_alter_table("campaigns") as batch:
        batch.add_column(sa.Column("brand", sa.String(length=200), nullable=True))
        batch.add_column(sa.Column("competitors", sa.JSON(), nullable=True))
        batch.add_column(sa.Column("audience_target", sa.JSON(), nullable=True))
    op.create_table(
        "post_metric_snapshots",
        sa.Column("id", _BIG_ID, nullable=False),
        sa.Column("workspace_id", sa.Integer(), nullable=False),
        sa.Column("post_id", sa.Integer(), nullable=False),
        sa.Column("recorded_at", _TIME, nullable=False),
        sa.Column("source", sa.String(length=20), nullable=False),
        *(
            sa.Column(name, sa.BigInteger(), nullable=False)
            for name in ("impressions", "reach", "views", "likes", "comments", "shares", "saves")
        ),
        _workspace_fk("post_metric_snapshots"),
        _post_fk("post_metric_snapshots"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_post_metric_snapshots")),
    )
    op.create_index(
        "ix_post_metric_snapshots_post_time", "post_metric_snapshots", ["post_id", "recorded_at"]
    )
    op.create_table(
        "follower_snapshots",
        sa.Column("social_account_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("workspace_id", sa.Integer(), nullable=False),
        sa.Column("followers", sa.BigInteger(), nullable=False),
        sa.Column("recorded_at", _TIME, nullable=False),
        sa.CheckConstraint(
            "followers >= 0", name=op.f("ck_follower_snapshots_followers_non_negative")
        ),
        sa.ForeignKeyConstraint(
            ["social_account_id"],
            ["social_accounts.id"],
            name=op.f("fk_follower_snapshots_social_account_id_social_accounts"),
            ondelete="CASCADE",
        ),
        _workspace_fk("follower_snapshots"),
        sa.PrimaryKeyConstraint("social_account_id", "day", name=op.f("pk_follower_snapshots")),
    )
    op.create_table(
        "post_comments",
        sa.Column("id", _BIG_ID, nullable=False),
        sa.Column("workspace_id", sa.Integer(), nullable=False),
        sa.Column("post_id", sa.Integer(), nullable=False),
        sa.Column("external_id", sa.String(length=200), nullable=False),
        sa.Column("language", sa.String(length=5), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("published_at", _TIME, nullable=True),
        sa.Column("created_at", _TIME, nullable=False),
        _workspace_fk("post_comments"),
        _post_fk("post_comments"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_post_comments")),
        sa.UniqueConstraint(
            "post_id", "external_id", name=op.f("uq_post_comments_post_id_external_id")
        ),
    )
    op.create_table(
        "post_disclosures",
        sa.Column("post_id", sa.Integer(), nullable=False),
        sa.Column("market", sa.String(length=2), nullable=False),
        sa.Column("workspace_id", sa.Integer(), nullable=False),
        sa.Column("verdict", sa.String(length=20), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("checked_at", _TIME, nullable=False),
        _workspace_fk("post_disclosures"),
        _post_fk("post_disclosures"),
        sa.PrimaryKeyConstraint("post_id", "market", name=op.f("pk_post_disclosures")),
    )


def downgrade() -> None:
    op.drop_table("post_disclosures")
    op.drop_table("post_comments")
    op.drop_table("follower_snapshots")
    op.drop_index("ix_post_metric_snapshots_post_time", table_name="post_metric_snapshots")
    op.drop_table("post_metric_snapshots")
    with op.batch_alter_table("campaigns") as batch:
        batch.drop_column("audience_target")
        batch.drop_column("competitors")
        batch.drop_column("brand")
    with op.batch_alter_table("posts") as batch:
        batch.drop_column("paid_partnership_label")
