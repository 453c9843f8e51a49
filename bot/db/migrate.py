"""Run the Alembic migrations from code: ``aajel db upgrade``, the demo and the tests use this.

The migration scripts live in ``alembic/`` at the project root, next to ``bot/``; they are located
relative to this file, so this works from any working directory — in a source checkout or an editable
install (``pip install -e .``). A regular (non-editable) wheel does not ship ``alembic/`` and is not
supported: :func:`alembic_config` then raises :class:`~bot.exceptions.ConfigError`.

:func:`upgrade_async` runs the migrations on a connection of a fresh engine inside the caller's event
loop (``AsyncConnection.run_sync`` hands ``alembic/env.py`` a synchronous connection through
``config.attributes["connection"]``); :func:`upgrade` is the synchronous entry for code without a
running loop. Failures are wrapped in :class:`~bot.exceptions.AajelError` with the cause chained.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any, TypeVar

from alembic.command import downgrade as alembic_downgrade
from alembic.command import upgrade as alembic_upgrade
from alembic.config import Config
from alembic.script import ScriptDirectory
from alembic.util.exc import CommandError
from sqlalchemy.engine import Connection
from sqlalchemy.exc import SQLAlchemyError

from bot.db.session import create_engine
from bot.exceptions import AajelError, ConfigError

PROJECT_ROOT = Path(__file__).resolve().parents[2]
ALEMBIC_INI = PROJECT_ROOT / "alembic.ini"
SCRIPT_LOCATION = PROJECT_ROOT / "alembic"

T = TypeVar("T")


def alembic_config(url: str | None = None) -> Config:
    """The Alembic config for this checkout; ``url`` (if given) overrides ``DATABASE_URL``."""
    if not (SCRIPT_LOCATION / "env.py").is_file():
        raise ConfigError(
            "DATABASE_URL",
            f"migration scripts not found at {SCRIPT_LOCATION}; run from a source checkout or an "
            "editable install (pip install -e .)",
        )
    config = Config(str(ALEMBIC_INI)) if ALEMBIC_INI.is_file() else Config()
    config.set_main_option("script_location", str(SCRIPT_LOCATION))
    # Called from code: leave the application's (or pytest's) logging configuration alone.
    config.attributes["configure_logging"] = False
    if url is not None:
        config.attributes["url"] = url
    return config


def head_revision() -> str | None:
    """The newest revision id in ``alembic/versions``."""
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


async def _on_connection(url: str, action: Callable[[Config], T]) -> T:
    """Run ``action(config)`` with ``config.attributes["connection"]`` bound to a fresh connection."""
    config = alembic_config(url)
    engine = create_engine(url, sqlite_foreign_keys=False)

    def run(connection: Connection) -> T:
        config.attributes["connection"] = connection
        return action(config)

    try:
        async with engine.connect() as connection:
            result = await connection.run_sync(run)
            await connection.commit()
        return result
    except (SQLAlchemyError, CommandError, OSError) as e:
        raise AajelError(f"database migration failed: {e}") from e
    finally:
        await engine.dispose()


async def upgrade_async(url: str, revision: str = "head") -> None:
    """Migrate the database at ``url`` up to ``revision`` (default: the newest)."""
    await _on_connection(url, lambda config: alembic_upgrade(config, revision))


async def downgrade_async(url: str, revision: str = "base") -> None:
    """Migrate the database at ``url`` down to ``revision`` (default: empty schema)."""
    await _on_connection(url, lambda config: alembic_downgrade(config, revision))


async def current_revision_async(url: str) -> str | None:
    """The revision the database at ``url`` is at (None: never migrated)."""

    def read(config: Config) -> str | None:
        from alembic.runtime.migration import MigrationContext

        connection: Connection = config.attributes["connection"]
        return MigrationContext.configure(connection).get_current_revision()

    return await _on_connection(url, read)


def _run_sync(coroutine: Coroutine[Any, Any, T]) -> T:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coroutine)
    coroutine.close()
    raise RuntimeError("called from a running event loop: await the *_async variant instead")


def upgrade(url: str, revision: str = "head") -> None:
    """Synchronous :func:`upgrade_async`, for code without a running event loop (CLI, fixtures)."""
    _run_sync(upgrade_async(url, revision))


def downgrade(url: str, revision: str = "base") -> None:
    """Synchronous :func:`downgrade_async`."""
    _run_sync(downgrade_async(url, revision))


__all__ = [
    "alembic_config",
    "current_revision_async",
    "downgrade",
    "downgrade_async",
    "head_revision",
    "upgrade",
    "upgrade_async",
]
