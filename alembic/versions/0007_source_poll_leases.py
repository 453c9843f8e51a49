"""Source poll leases: several instances share the sources, each due poll is made once.

* ``sources.host``: the URL's host (lower case, with port), for per-host politeness across instances.
* ``sources.poll_due_at``: when the next regular poll is due; claiming a source moves it one interval on,
  so whoever claims it first polls it this interval and nobody else does.
* ``sources.poll_owner`` / ``sources.poll_lease_until``: who is polling it now and until when at most;
  cleared when the poll is done. Counting live leases per host is what caps concurrent requests to a host
  across every instance.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | Sequence[str] | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("sources") as batch:
        batch.add_column(sa.Column("host", sa.String(length=255), nullable=True))
        batch.add_column(sa.Column("poll_due_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("poll_owner", sa.String(length=64), nullable=True))
        batch.add_column(sa.Column("poll_lease_until", sa.DateTime(timezone=True), nullable=True))
    op.create_index("ix_sources_poll_due_at", "sources", ["poll_due_at"])
    op.create_index("ix_sources_host_poll_lease_until", "sources", ["host", "poll_lease_until"])


def downgrade() -> None:
    op.drop_index("ix_sources_host_poll_lease_until", table_name="sources")
    op.drop_index("ix_sources_poll_due_at", table_name="sources")
    with op.batch_alter_table("sources") as batch:
        batch.drop_column("poll_lease_until")
        batch.drop_column("poll_owner")
        batch.drop_column("poll_due_at")
        batch.drop_column("host")
