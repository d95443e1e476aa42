"""Conversion ingest, API keys and webhook endpoints

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import perfluence.store.types

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_CONVERSION_TEXT = (
    ("payment_ref", 200),
    ("order_ref", 200),
    ("reverses_external_id", 200),
)


def upgrade() -> None:
    with op.batch_alter_table("campaigns") as batch:
        batch.add_column(
            sa.Column(
                "conflict_rule", sa.String(length=20), server_default="code_wins", nullable=False
            )
        )
    with op.batch_alter_table("conversions") as batch:
        batch.add_column(sa.Column("gross_amount_minor", sa.BigInteger(), nullable=True))
        batch.add_column(sa.Column("discount_minor", sa.BigInteger(), nullable=True))
        batch.add_column(sa.Column("country", sa.String(length=2), nullable=True))
        for name, length in _CONVERSION_TEXT:
            batch.add_column(sa.Column(name, sa.String(length=length), nullable=True))
        batch.create_index(
            "ix_conversions_customer", ["workspace_id", "customer_ref", "occurred_at"], unique=False
        )
        batch.create_index(
            "ix_conversions_payment_ref", ["workspace_id", "payment_ref"], unique=False
        )
        batch.create_index("ix_conversions_reverses", ["reverses_id"], unique=False)
    op.create_table(
        "conversion_credits",
        sa.Column("conversion_id", sa.BigInteger(), nullable=False),
        sa.Column("partnership_id", sa.Integer(), nullable=False),
        sa.Column("workspace_id", sa.Integer(), nullable=False),
        sa.Column("share", perfluence.store.types.DecimalText(length=40), nullable=False),
        sa.Column("amount_minor", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.ForeignKeyConstraint(
            ["conversion_id"],
            ["conversions.id"],
            name=op.f("fk_conversion_credits_conversion_id_conversions"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["partnership_id"],
            ["partnerships.id"],
            name=op.f("fk_conversion_credits_partnership_id_partnerships"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_conversion_credits_workspace_id_workspaces"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "conversion_id", "partnership_id", name=op.f("pk_conversion_credits")
        ),
    )


def downgrade() -> None:
    op.drop_table("conversion_credits")
    with op.batch_alter_table("conversions") as batch:
        batch.drop_index("ix_conversions_reverses")
        batch.drop_index("ix_conversions_payment_ref")
        batch.drop_index("ix_conversions_customer")
        for name, _ in reversed(_CONVERSION_TEXT):
            batch.drop_column(name)
        batch.drop_column("country")
        batch.drop_column("discount_minor")
        batch.drop_column("gross_amount_minor")
    with op.batch_alter_table("campaigns") as batch:
        batch.drop_column("conflict_rule")
