"""The editors' console: one-time sign-in links and browser sessions (hashes only).

* ``console_sessions``: one row per sign-in. The bot's ``/console`` creates it with the SHA-256 of
  a one-time link token (valid 5 minutes); redeeming the link stores the SHA-256 of the session
  cookie's token. Neither token itself is ever stored. See bot/console/auth.py.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | Sequence[str] | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC_DATETIME = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "console_sessions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("editor_telegram_id", sa.BigInteger(), nullable=False),
        sa.Column("link_hash", sa.String(length=64), nullable=False),
        sa.Column("link_expires_at", UTC_DATETIME, nullable=False),
        sa.Column("redeemed_at", UTC_DATETIME, nullable=True),
        sa.Column("session_hash", sa.String(length=64), nullable=True),
        sa.Column("session_expires_at", UTC_DATETIME, nullable=True),
        sa.Column("last_seen_at", UTC_DATETIME, nullable=True),
        sa.Column("ended_at", UTC_DATETIME, nullable=True),
        sa.Column("created_at", UTC_DATETIME, server_default=sa.func.now(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_console_sessions")),
        sa.UniqueConstraint("link_hash", name=op.f("uq_console_sessions_link_hash")),
        sa.UniqueConstraint("session_hash", name=op.f("uq_console_sessions_session_hash")),
    )


def downgrade() -> None:
    op.drop_table("console_sessions")
