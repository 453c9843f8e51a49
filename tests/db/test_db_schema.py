"""The Alembic migrations build exactly the models, on both engines, and can be undone."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.command import upgrade as alembic_upgrade
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.db.migrate import (
    alembic_config,
    current_revision_async,
    downgrade_async,
    head_revision,
    upgrade,
    upgrade_async,
)
from bot.db.models import Base
from bot.db.session import create_engine


def _diff(connection: Connection) -> list[Any]:
    context = MigrationContext.configure(connection, opts={"compare_type": True})
    return list(compare_metadata(context, Base.metadata))


def _table_names(connection: Connection) -> set[str]:
    return set(inspect(connection).get_table_names()) - {"alembic_version"}


async def test_migrated_schema_matches_the_models(engine: AsyncEngine) -> None:
    async with engine.connect() as connection:
        diff = await connection.run_sync(_diff)
    assert diff == []


async def test_migrated_schema_has_every_model_table_and_stable_constraint_names(engine: AsyncEngine) -> None:
    def names(connection: Connection) -> tuple[set[str], set[str], set[str]]:
        inspector = inspect(connection)
        uniques = {u["name"] for u in inspector.get_unique_constraints("articles")}
        indexes = {i["name"] for i in inspector.get_indexes("deliveries")}
        fks = {fk["name"] for fk in inspector.get_foreign_keys("subscriptions")}
        return uniques, indexes, fks

    async with engine.connect() as connection:
        tables = await connection.run_sync(_table_names)
        uniques, indexes, fks = await connection.run_sync(names)
    assert tables == set(Base.metadata.tables)
    assert {
        "uq_articles_source_id_guid",
        "uq_articles_source_id_canonical_url",
        "uq_articles_source_id_title_key",
    } <= uniques
    assert "ix_deliveries_status_priority_next_attempt_at" in indexes
    assert "fk_subscriptions_subscriber_id_subscribers" in fks


ROOT = Path(__file__).resolve().parents[2]


async def test_database_is_at_head_after_upgrade(migrated_db_url: str) -> None:
    newest = max(p.name.split("_", 1)[0] for p in (ROOT / "alembic" / "versions").glob("[0-9]*_*.py"))
    assert head_revision() == newest  # one linear history, the newest file is head
    assert await current_revision_async(migrated_db_url) == head_revision()


async def test_downgrade_to_base_then_upgrade_again_rebuilds_the_same_schema(migrated_db_url: str) -> None:
    await downgrade_async(migrated_db_url, "base")
    engine = create_engine(migrated_db_url)
    try:
        async with engine.connect() as connection:
            assert await connection.run_sync(_table_names) == set()
        assert await current_revision_async(migrated_db_url) is None

        await upgrade_async(migrated_db_url)
        async with engine.connect() as connection:
            assert await connection.run_sync(_diff) == []
    finally:
        await engine.dispose()


async def test_sync_upgrade_refuses_to_run_inside_an_event_loop(db_url: str) -> None:
    with pytest.raises(RuntimeError, match="_async variant"):
        upgrade(db_url)


def test_sync_upgrade_migrates_from_plain_code(db_url: str) -> None:
    upgrade(db_url)
    upgrade(db_url)  # idempotent: already at head

    import asyncio

    assert asyncio.run(current_revision_async(db_url)) == head_revision()


async def test_migrations_are_transactional_so_a_failure_leaves_the_schema_untouched(db_url: str) -> None:
    """Run the whole upgrade inside an outer transaction and roll it back: nothing may remain."""
    config = alembic_config(db_url)
    engine = create_engine(db_url, sqlite_foreign_keys=False)

    def run(connection: Connection) -> None:
        config.attributes["connection"] = connection
        alembic_upgrade(config, "head")

    try:
        async with engine.connect() as connection:
            await connection.begin()
            await connection.run_sync(run)
            assert "articles" in await connection.run_sync(_table_names)
            await connection.rollback()
            assert await connection.run_sync(_table_names) == set()
    finally:
        await engine.dispose()
