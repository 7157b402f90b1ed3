"""Dedup keys: the bot's at-most-once claims move from memory to the database.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "dedup_keys",
        sa.Column("key", sa.String(255), nullable=False),
        sa.Column("expires_at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("key", name="pk_dedup_keys"),
    )
    op.create_index("ix_dedup_keys_expires_at", "dedup_keys", ["expires_at"])


def downgrade() -> None:
    op.drop_table("dedup_keys")
