"""Portable "insert, ignoring rows that hit a unique key" for SQLite and PostgreSQL.

Dedup and delivery planning rely on the database as the final judge of "new": we insert and let
``ON CONFLICT DO NOTHING`` drop what already exists, instead of read-then-write races.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Select, Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession


def _insert(session: AsyncSession, table: Table) -> Any:
    dialect = session.bind.dialect.name if session.bind is not None else "sqlite"
    if dialect == "postgresql":
        return postgresql.insert(table)
    return sqlite.insert(table)


async def insert_ignore_from_select(
    session: AsyncSession, table: Table, columns: Sequence[str], query: Select[Any]
) -> int:
    """``INSERT INTO table (columns) SELECT … ON CONFLICT DO NOTHING``; returns rows inserted."""
    statement = _insert(session, table).from_select(list(columns), query).on_conflict_do_nothing()
    result = await session.execute(statement)
    return int(getattr(result, "rowcount", 0) or 0)


async def insert_ignore(session: AsyncSession, table: Table, rows: Sequence[dict[str, Any]]) -> int:
    """Insert ``rows``, silently skipping those that violate a unique key; returns rows inserted."""
    if not rows:
        return 0
    statement = _insert(session, table).values(list(rows)).on_conflict_do_nothing()
    result = await session.execute(statement)
    return int(getattr(result, "rowcount", 0) or 0)
