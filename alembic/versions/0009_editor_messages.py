"""Editors' preview and status messages get their own table (the audit log is only a record).

``editor_messages`` maps a Telegram message the bot showed an editor (an alert's preview or status
message) to its alert, so /correct and /retract by reply no longer scan audit JSON. Existing previews
are not copied from the audit log: drafts and previews are short-lived, and an older alert is still
found by its id or its status message (``alerts.status_message_id``).

Revision ID: 0009
Revises: 0002
Create Date: 2026-12-02
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "editor_messages",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("alert_id", sa.Integer(), nullable=False),
        sa.Column("chat_id", sa.BigInteger(), nullable=False),
        sa.Column("message_id", sa.BigInteger(), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.ForeignKeyConstraint(
            ["alert_id"], ["alerts.id"], name=op.f("fk_editor_messages_alert_id_alerts"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_editor_messages")),
        sa.UniqueConstraint("chat_id", "message_id", name=op.f("uq_editor_messages_chat_id_message_id")),
    )
    op.create_index(op.f("ix_editor_messages_alert_id"), "editor_messages", ["alert_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_editor_messages_alert_id"), table_name="editor_messages")
    op.drop_table("editor_messages")
