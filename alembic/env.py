"""Alembic environment for Aajel (async engines, SQLite and PostgreSQL).

Where the database comes from, first match wins:

1. ``config.attributes["connection"]``: a synchronous Connection handed in by
   :mod:`bot.db.migrate` from inside ``AsyncConnection.run_sync`` — migrations run on it, in the
   caller's event loop, and the caller owns the engine;
2. ``config.attributes["url"]``: a URL handed in by code;
3. ``DATABASE_URL`` read through :func:`bot.config.load_settings` (so ``alembic upgrade head`` from
   the project root migrates the bot's database).

Engines are built by :func:`bot.db.session.create_engine` (so ``?search_path=`` works on PostgreSQL)
with SQLite foreign keys **off**: batch-mode table rebuilds drop the old table, which with foreign keys
on would cascade-delete child rows. After migrating, ``PRAGMA foreign_key_check`` proves nothing broke.
``render_as_batch`` is on for SQLite, which cannot ALTER most things in place.
"""

from __future__ import annotations

import asyncio
from logging.config import fileConfig
from typing import Any, Literal

from alembic.util.exc import CommandError
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.types import TypeDecorator

from alembic import context
from bot.db.models import Base
from bot.db.session import create_engine

config = context.config

if config.config_file_name is not None and config.attributes.get("configure_logging", True):
    fileConfig(config.config_file_name, disable_existing_loggers=False)

target_metadata = Base.metadata


def _database_url() -> str:
    url = config.attributes.get("url")
    if url:
        return str(url)
    from bot.config import load_settings

    return load_settings().database_url


def render_item(type_: str, obj: Any, autogen_context: Any) -> str | Literal[False]:
    """Autogenerate renders our TypeDecorators as their plain implementation type.

    Why: a migration must not import application code that may change or disappear later.
    """
    if type_ == "type" and isinstance(obj, TypeDecorator):
        return f"sa.{obj.impl!r}"
    return False


def run_migrations_offline() -> None:
    """``alembic upgrade head --sql``: print the SQL instead of running it."""
    url = make_url(_database_url()).difference_update_query(["search_path"])
    context.configure(
        url=url,
        target_metadata=target_metadata,
        literal_binds=True,
        dialect_opts={"paramstyle": "named"},
        render_as_batch=url.get_backend_name() == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()


def do_run_migrations(connection: Connection) -> None:
    is_sqlite = connection.dialect.name == "sqlite"
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=is_sqlite,
        compare_type=True,
        render_item=render_item,
        # bot.db.session emits BEGIN itself on SQLite, so its DDL is transactional too: a failing
        # migration leaves the schema as it was, on both engines.
        transactional_ddl=True,
    )
    with context.begin_transaction():
        context.run_migrations()
        if is_sqlite:
            # Still inside the migration's transaction, so a violation rolls everything back.
            broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
            if broken:
                raise CommandError(f"migration left rows violating foreign keys: {broken[:5]}")


async def run_async_migrations(url: str) -> None:
    engine = create_engine(url, sqlite_foreign_keys=False)
    try:
        async with engine.connect() as connection:
            await connection.run_sync(do_run_migrations)
            await connection.commit()
    finally:
        await engine.dispose()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        do_run_migrations(connection)
        return
    asyncio.run(run_async_migrations(_database_url()))


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
