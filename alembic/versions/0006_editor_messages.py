"""Editors' preview/status messages and the ops chat's last notices get their own tables.

The audit log is only a record; these are state features read.

``editor_messages`` maps a Telegram message the bot showed an editor (an alert's preview or status
message) to its alert, so /correct and /retract by reply no longer scan audit JSON. Existing previews
are not copied from the audit log: drafts and previews are short-lived, and an older alert is still
found by its id or its status message (``alerts.status_message_id``).

``ops_notices`` keeps, per subject (``source:<id>``, ``alert:<id>``), the state last notified to the
ops chat, so a restart or a second instance does not repeat a notice. It is seeded once, here, from
the newest ``ops.*`` audit rows per subject (what the notifier read until now), so upgrading does not
repeat a notice already sent; from then on the audit log is never read for it.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | Sequence[str] | None = "0005"
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
    op.create_table(
        "ops_notices",
        sa.Column("target", sa.String(length=64), nullable=False),
        sa.Column("state", sa.String(length=64), nullable=False),
        sa.Column("notified_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.PrimaryKeyConstraint("target", name=op.f("pk_ops_notices")),
    )
    op.execute(
        sa.text(
            "INSERT INTO ops_notices (target, state, notified_at) "
            "SELECT a.target, a.action, a.created_at FROM audit_log a "
            "WHERE a.id IN (SELECT max(b.id) FROM audit_log b "
            "WHERE b.action IN ('ops.source_unhealthy', 'ops.source_stale', 'ops.source_recovered', "
            "'ops.bulk_failures') AND b.result = 'ok' AND b.target IS NOT NULL GROUP BY b.target)"
        )
    )


def downgrade() -> None:
    op.drop_table("ops_notices")
    op.drop_index(op.f("ix_editor_messages_alert_id"), table_name="editor_messages")
    op.drop_table("editor_messages")
