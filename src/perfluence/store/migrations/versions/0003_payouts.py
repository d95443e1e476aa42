"""Payout ledger and statements

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import perfluence.store.types

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Batch mode: SQLite cannot add a foreign key with ALTER TABLE; PostgreSQL alters in place.
    with op.batch_alter_table("creators") as batch:
        batch.add_column(sa.Column("iban", sa.String(length=34), nullable=True))
        batch.add_column(sa.Column("bic", sa.String(length=11), nullable=True))
        batch.add_column(sa.Column("account_holder", sa.String(length=70), nullable=True))
    with op.batch_alter_table("payouts") as batch:
        batch.add_column(
            sa.Column("carried_in_minor", sa.BigInteger(), server_default="0", nullable=False)
        )
        batch.add_column(sa.Column("carried_into_id", sa.Integer(), nullable=True))
        batch.create_foreign_key(
            op.f("fk_payouts_carried_into_id_payouts"), "payouts", ["carried_into_id"], ["id"]
        )
    with op.batch_alter_table("payout_lines") as batch:
        batch.add_column(sa.Column("basis_minor", sa.BigInteger(), nullable=True))
        batch.add_column(
            sa.Column("rate", perfluence.store.types.DecimalText(length=40), nullable=True)
        )
        batch.add_column(sa.Column("covers_from", sa.Date(), nullable=True))
        batch.add_column(sa.Column("covers_to", sa.Date(), nullable=True))
        batch.add_column(sa.Column("statement_amount_minor", sa.BigInteger(), nullable=True))
        batch.add_column(
            sa.Column("fx_rate", perfluence.store.types.DecimalText(length=40), nullable=True)
        )
        batch.create_index(
            "ix_payout_lines_partnership", ["partnership_id", "payout_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("payout_lines") as batch:
        batch.drop_index("ix_payout_lines_partnership")
        for name in (
            "fx_rate", "statement_amount_minor", "covers_to", "covers_from", "rate", "basis_minor",
        ):  # fmt: skip
            batch.drop_column(name)
    with op.batch_alter_table("payouts") as batch:
        batch.drop_constraint(op.f("fk_payouts_carried_into_id_payouts"), type_="foreignkey")
        batch.drop_column("carried_into_id")
        batch.drop_column("carried_in_minor")
    with op.batch_alter_table("creators") as batch:
        batch.drop_column("account_holder")
        batch.drop_column("bic")
        batch.drop_column("iban")
