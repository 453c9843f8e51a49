"""Story follow-ups: escalations and material updates.

* ``alerts.parent_alert_id``: an ``update`` alert names the push it replies to (``alerts.kind`` gains
  the values ``escalation`` and ``update``; the column has no CHECK, so no change is needed there).
* ``deliveries.reply_to_id``: the earlier delivery in the same chat that an update replies to; the
  sender reads that copy's ``telegram_message_id`` when it sends.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-02
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("alerts") as batch:
        batch.add_column(sa.Column("parent_alert_id", sa.Integer(), nullable=True))
        batch.create_foreign_key(
            "fk_alerts_parent_alert_id_alerts", "alerts", ["parent_alert_id"], ["id"], ondelete="SET NULL"
        )
        batch.create_index("ix_alerts_parent_alert_id", ["parent_alert_id"], unique=False)
    with op.batch_alter_table("deliveries") as batch:
        batch.add_column(sa.Column("reply_to_id", sa.BigInteger(), nullable=True))
        batch.create_foreign_key(
            "fk_deliveries_reply_to_id_deliveries", "deliveries", ["reply_to_id"], ["id"], ondelete="SET NULL"
        )
        batch.create_index("ix_deliveries_reply_to_id", ["reply_to_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("deliveries") as batch:
        batch.drop_index("ix_deliveries_reply_to_id")
        batch.drop_constraint("fk_deliveries_reply_to_id_deliveries", type_="foreignkey")
        batch.drop_column("reply_to_id")
    with op.batch_alter_table("alerts") as batch:
        batch.drop_index("ix_alerts_parent_alert_id")
        batch.drop_constraint("fk_alerts_parent_alert_id_alerts", type_="foreignkey")
        batch.drop_column("parent_alert_id")
