"""Engines get what each backend needs; sessions never lazy-load behind the caller's back."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import InvalidRequestError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot.db.models import Alert, Subscriber, Subscription, Topic
from bot.db.session import create_engine
from bot.domain import ChatKind, Urgency
from bot.exceptions import ConfigError

NOW = datetime(2026, 1, 1, tzinfo=UTC)


@pytest.mark.parametrize("db_backend", ["sqlite"], indirect=True)
async def test_sqlite_connections_enforce_foreign_keys_and_use_wal(engine: AsyncEngine) -> None:
    async with engine.connect() as connection:
        foreign_keys = (await connection.exec_driver_sql("PRAGMA foreign_keys")).scalar_one()
        journal = (await connection.exec_driver_sql("PRAGMA journal_mode")).scalar_one()
        busy = (await connection.exec_driver_sql("PRAGMA busy_timeout")).scalar_one()
    assert (foreign_keys, journal.lower()) == (1, "wal")
    assert busy >= 1000


@pytest.mark.postgres
@pytest.mark.parametrize("db_backend", ["postgres"], indirect=True)
async def test_postgres_engine_lives_in_the_schema_named_by_search_path(
    engine: AsyncEngine, migrated_db_url: str
) -> None:
    async with engine.connect() as connection:
        schema = (await connection.execute(text("SELECT current_schema()"))).scalar_one()
    assert migrated_db_url.endswith(f"search_path={schema}")


async def test_rolling_back_undoes_a_released_savepoint(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    """SQLite's driver would commit a first-statement SAVEPOINT on its own; we emit BEGIN ourselves."""
    async with session_factory() as session:
        async with session.begin_nested():
            session.add(Topic(slug="t", name_ar="ت", name_en="T"))
        await session.rollback()
    async with session_factory() as session:
        assert (await session.execute(select(func.count()).select_from(Topic))).scalar_one() == 0


async def test_commit_in_one_session_is_seen_by_the_next(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    async with session_factory() as writer, writer.begin():
        writer.add(Subscriber(chat_id=10, kind=ChatKind.GROUP, title="غرفة"))
    async with session_factory() as reader:
        subscriber = (await reader.scalars(select(Subscriber))).one()
    assert subscriber.title == "غرفة"  # readable after the session closed: expire_on_commit=False


async def test_unloaded_relationship_raises_instead_of_lazy_loading(session: AsyncSession) -> None:
    subscriber = Subscriber(chat_id=11, kind=ChatKind.PRIVATE)
    topic = Topic(slug="x", name_ar="س", name_en="X")
    session.add_all([subscriber, topic])
    await session.flush()
    session.add(Subscription(subscriber_id=subscriber.id, topic_id=topic.id))
    await session.commit()
    session.expunge_all()

    loaded = (await session.scalars(select(Subscriber))).one()
    with pytest.raises(InvalidRequestError, match="lazy='raise'"):
        _ = loaded.subscriptions


async def test_topic_sets_are_loaded_with_their_owner(session: AsyncSession) -> None:
    politics = Topic(slug="politics", name_ar="سياسة", name_en="Politics")
    session.add(Alert(headline="عاجل", urgency=Urgency.FLASH, detected_at=NOW, topics=[politics]))
    await session.commit()
    session.expunge_all()

    alert = (await session.scalars(select(Alert))).one()
    assert [t.slug for t in alert.topics] == ["politics"]


@pytest.mark.parametrize(
    "url",
    [
        "mysql+aiomysql://u@h/db",
        "sqlite:///plain-driver.db",
        "postgresql://u@h/db",
        "not a url",
    ],
    ids=["mysql", "sync-lite-driver", "sync-pg-driver", "garbage"],
)
def test_unsupported_database_urls_are_a_config_error_naming_the_key(url: str) -> None:
    with pytest.raises(ConfigError) as caught:
        create_engine(url)
    assert caught.value.key == "DATABASE_URL"


@pytest.mark.parametrize("attempt", [1, 2])
async def test_every_test_starts_with_empty_tables_and_fresh_ids(session: AsyncSession, attempt: int) -> None:
    """Run twice in a row: on PostgreSQL the second run reuses the shared schema the first one filled."""
    assert (await session.execute(select(func.count()).select_from(Topic))).scalar_one() == 0
    topic = Topic(slug=f"t{attempt}", name_ar="ت", name_en="T")
    session.add(topic)
    await session.commit()
    assert topic.id == 1
