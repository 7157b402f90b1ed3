"""History: investigations, their agents, stored payloads and feedback.

Revision ID: 0001
Revises:
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "investigations",
        sa.Column("execution_id", sa.String(64), nullable=False),
        sa.Column("trigger", sa.String(20), nullable=False),
        sa.Column("requested_by", sa.String(255), nullable=True),
        sa.Column("origin", sa.String(255), nullable=True),
        sa.Column("deployment_id", sa.Text(), nullable=False),
        sa.Column("service", sa.Text(), nullable=True),
        sa.Column("environment", sa.Text(), nullable=True),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("engine_version", sa.String(64), nullable=False),
        sa.Column("top_label", sa.Text(), nullable=True),
        sa.Column("top_category", sa.String(64), nullable=True),
        sa.Column("top_score", sa.Float(), nullable=True),
        sa.Column("hypotheses", sa.Integer(), nullable=False),
        sa.Column("requires_human_review", sa.Boolean(), nullable=False),
        sa.Column("prompt_tokens", sa.Integer(), nullable=False),
        sa.Column("completion_tokens", sa.Integer(), nullable=False),
        sa.Column("llm_calls", sa.Integer(), nullable=False),
        sa.Column("cost_usd", sa.Float(), nullable=True),
        sa.Column("execution_time_ms", sa.Float(), nullable=False),
        sa.Column("slack_channel", sa.String(64), nullable=True),
        sa.Column("slack_ts", sa.String(64), nullable=True),
        sa.Column("slack_permalink", sa.Text(), nullable=True),
        sa.Column("replay_of", sa.String(64), nullable=True),
        sa.Column("result_json", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("execution_id", name="pk_investigations"),
    )
    op.create_index(
        "ix_investigations_started_at", "investigations", ["started_at", "execution_id"]
    )
    op.create_index(
        "ix_investigations_deployment", "investigations", ["deployment_id", "started_at"]
    )
    op.create_index("ix_investigations_service", "investigations", ["service", "started_at"])
    op.create_index("ix_investigations_slack", "investigations", ["slack_channel", "slack_ts"])

    op.create_table(
        "agent_runs",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("execution_id", sa.String(64), nullable=False),
        sa.Column("agent_name", sa.String(128), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("execution_time_ms", sa.Float(), nullable=False),
        sa.Column("hypotheses_produced", sa.Integer(), nullable=False),
        sa.Column("hypotheses_accepted", sa.Integer(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("fallback_reason", sa.Text(), nullable=True),
        sa.Column("model", sa.String(255), nullable=True),
        sa.Column("prompt_tokens", sa.Integer(), nullable=False),
        sa.Column("completion_tokens", sa.Integer(), nullable=False),
        sa.Column("cost_usd", sa.Float(), nullable=True),
        sa.ForeignKeyConstraint(
            ["execution_id"],
            ["investigations.execution_id"],
            name="fk_agent_runs_execution_id_investigations",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_agent_runs"),
    )
    op.create_index("ix_agent_runs_execution_id", "agent_runs", ["execution_id"])

    op.create_table(
        "payloads",
        sa.Column("execution_id", sa.String(64), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("caps_json", sa.Text(), nullable=False),
        sa.Column("cuts_json", sa.Text(), nullable=False),
        sa.Column("fingerprint", sa.String(64), nullable=False),
        sa.Column("original_bytes", sa.Integer(), nullable=False),
        sa.Column("stored_bytes", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["execution_id"],
            ["investigations.execution_id"],
            name="fk_payloads_execution_id_investigations",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("execution_id", name="pk_payloads"),
    )

    op.create_table(
        "feedback",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("execution_id", sa.String(64), nullable=False),
        sa.Column("verdict", sa.String(16), nullable=False),
        sa.Column("rank", sa.Integer(), nullable=False),
        sa.Column("category", sa.String(64), nullable=True),
        sa.Column("suspects_json", sa.Text(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("user", sa.String(255), nullable=True),
        sa.Column("source", sa.String(16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["execution_id"],
            ["investigations.execution_id"],
            name="fk_feedback_execution_id_investigations",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_feedback"),
    )
    op.create_index("ix_feedback_execution_id", "feedback", ["execution_id"])


def downgrade() -> None:
    op.drop_table("feedback")
    op.drop_table("payloads")
    op.drop_table("agent_runs")
    op.drop_table("investigations")
