"""Alert kind, editor progress message, digest bookkeeping.

* ``alerts.kind``: story (from a source), editor (/alert or the CMS API) or digest (a bundle of
  non-urgent headlines for one "all news" subscriber).
* ``alerts.status_chat_id`` / ``alerts.status_message_id``: the editor's status message that is
  edited live with delivery progress.
* ``subscribers.last_digest_at``: when the chat last got a digest (digests go at most every N minutes).

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-29
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("alerts") as batch:
        batch.add_column(sa.Column("kind", sa.String(length=16), server_default="story", nullable=False))
        batch.add_column(sa.Column("status_chat_id", sa.BigInteger(), nullable=True))
        batch.add_column(sa.Column("status_message_id", sa.BigInteger(), nullable=True))
    with op.batch_alter_table("subscribers") as batch:
        batch.add_column(sa.Column("last_digest_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("subscribers") as batch:
        batch.drop_column("last_digest_at")
    with op.batch_alter_table("alerts") as batch:
        batch.drop_column("status_message_id")
        batch.drop_column("status_chat_id")
        batch.drop_column("kind")
