"""Channels set up by the newsroom, and configuration shared with the running bot.

* ``channels.username``, ``level`` (urgent | all), ``signature``, ``managed_by`` (telegram | file),
  ``added_by`` (who added the bot), ``feed_cursor`` (normal stories considered for an "all" channel).
* ``config_state``: small named JSON documents — the channels the sources file declares, and what
  the running bot has scheduled (shown by ``aajel sources list``).

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | Sequence[str] | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("channels") as batch:
        batch.add_column(sa.Column("username", sa.String(length=64), nullable=True))
        batch.add_column(sa.Column("level", sa.String(length=16), server_default="urgent", nullable=False))
        batch.add_column(sa.Column("signature", sa.String(length=256), nullable=True))
        batch.add_column(
            sa.Column("managed_by", sa.String(length=16), server_default="telegram", nullable=False)
        )
        batch.add_column(sa.Column("added_by", sa.BigInteger(), nullable=True))
        batch.add_column(sa.Column("feed_cursor", sa.DateTime(timezone=True), nullable=True))
    op.create_table(
        "config_state",
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("value", sa.JSON(), server_default=sa.text("'{}'"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_config_state")),
    )


def downgrade() -> None:
    op.drop_table("config_state")
    with op.batch_alter_table("channels") as batch:
        batch.drop_column("feed_cursor")
        batch.drop_column("added_by")
        batch.drop_column("managed_by")
        batch.drop_column("signature")
        batch.drop_column("level")
        batch.drop_column("username")
