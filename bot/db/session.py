"""Engines and sessions: one session/transaction per update or job; repositories never commit.

Whoever opens the session (the aiogram middleware for an update, a scheduler job, an API request)
commits or rolls back; repositories and services only ``add``/``flush``. Sessions come from
:func:`make_sessionmaker` with ``expire_on_commit=False``, so objects stay readable after commit
without an implicit (and, under asyncio, impossible) lazy refresh.

Engines come from :func:`create_engine` only — never call SQLAlchemy's ``create_async_engine`` directly,
because this function adds what each backend needs:

SQLite (``sqlite+aiosqlite:///path``)
    Every connection gets ``PRAGMA foreign_keys=ON`` (SQLite ignores foreign keys otherwise, and
    ``ON DELETE CASCADE`` would silently not happen), ``busy_timeout`` (a writer waits for the lock
    instead of failing at once) and, for file databases, ``journal_mode=WAL`` (readers never block the
    writer) with ``synchronous=NORMAL``.
    The sqlite3 driver's own transaction handling is switched off and SQLAlchemy emits
    ``BEGIN IMMEDIATE`` itself. Why: the driver's legacy mode does not begin on SELECT/SAVEPOINT, which
    breaks savepoints and rollbacks; a plain deferred ``BEGIN`` fails at once with "database is locked"
    when a transaction that read first tries to write after another connection committed (busy_timeout
    does not apply to that case). ``BEGIN IMMEDIATE`` takes the write lock at the start, so transactions
    serialise and merely wait. The price: **an open transaction blocks other writers, even if it only
    read** — commit or roll back before awaiting anything slow, and before handing over to code that
    opens its own session (a test holding the ``session`` fixture open does exactly that).
    SQLite is for development, tests and the demo; production runs PostgreSQL.

PostgreSQL (``postgresql+asyncpg://user@host:port/db``)
    A bounded pool with ``pool_pre_ping`` and recycling. An optional ``?search_path=schema`` query
    parameter (an Aajel extension: asyncpg itself rejects it) is sent as a server setting on every
    connection; tests use it to give each test its own schema, and the URL stays self-contained so an
    out-of-process bot can be handed the very same URL.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as SATimeoutError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.pool import ConnectionPoolEntry

from bot.exceptions import ConfigError

SQLITE_BUSY_TIMEOUT_MS = 10_000
"""How long an SQLite writer waits for the lock before "database is locked"."""

POSTGRES_POOL: dict[str, Any] = {
    "pool_size": 10,
    "max_overflow": 10,
    "pool_timeout": 10,
    "pool_recycle": 1800,
    "pool_pre_ping": True,
}


POSTGRES_CONNECT_TIMEOUT = 5.0
"""Seconds to wait for a new PostgreSQL connection (asyncpg's default, 60 s, would hold requests and
the sender for a minute behind a server that accepts TCP but never answers)."""


def is_database_unavailable(error: BaseException) -> bool:
    """Is ``error`` (or what caused it) the database being unreachable or locked, not a bad statement?

    Used at the edges (CMS API, Telegram updates, health) to answer "temporarily unavailable" instead
    of a generic failure. Constraint violations and programming errors are *not* outages.
    """
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, DBAPIError) and current.connection_invalidated:
            return True
        if isinstance(current, OperationalError | InterfaceError | SATimeoutError):
            return True
        if isinstance(current, OSError | TimeoutError | ConnectionError):
            return True
        if type(current).__module__.startswith("asyncpg") and type(current).__name__ in _ASYNCPG_OUTAGES:
            return True
        current = current.__cause__ or current.__context__
    return False


_ASYNCPG_OUTAGES = frozenset(
    {
        "ConnectionDoesNotExistError",
        "ConnectionFailureError",
        "CannotConnectNowError",
        "InterfaceError",
        "InternalClientError",
        "AdminShutdownError",
        "CrashShutdownError",
    }
)


def _parse(url: str) -> URL:
    try:
        return make_url(url)
    except ArgumentError as e:
        raise ConfigError("DATABASE_URL", f"not a database URL: {e}") from e


def is_sqlite_memory(url: URL) -> bool:
    """True for an in-memory SQLite URL (no WAL possible, one shared connection)."""
    database = url.database or ""
    return database in ("", ":memory:") or url.query.get("mode") == "memory" or ":memory:" in database


def create_engine(url: str, *, echo: bool = False, sqlite_foreign_keys: bool = True) -> AsyncEngine:
    """Build the async engine for ``url`` (``sqlite+aiosqlite://`` or ``postgresql+asyncpg://``).

    ``sqlite_foreign_keys=False`` is only for migrations: SQLite's batch ALTER copies and drops tables,
    which with foreign keys on would cascade-delete the children (see ``alembic/env.py``).
    """
    parsed = _parse(url)
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        if parsed.get_driver_name() != "aiosqlite":
            raise ConfigError("DATABASE_URL", "SQLite needs the async driver: sqlite+aiosqlite://")
        return _sqlite_engine(parsed, echo=echo, foreign_keys=sqlite_foreign_keys)
    if backend == "postgresql":
        if parsed.get_driver_name() != "asyncpg":
            raise ConfigError("DATABASE_URL", "PostgreSQL needs the async driver: postgresql+asyncpg://")
        return _postgres_engine(parsed, echo=echo)
    raise ConfigError("DATABASE_URL", f"unsupported database {backend!r}: use SQLite or PostgreSQL")


def _sqlite_engine(url: URL, *, echo: bool, foreign_keys: bool) -> AsyncEngine:
    engine = create_async_engine(url, echo=echo)
    wal = not is_sqlite_memory(url)

    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: ConnectionPoolEntry) -> None:
        # Take transaction control away from the driver (see module docstring); then pragmas run
        # outside any transaction, which journal_mode and foreign_keys require.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute(f"PRAGMA foreign_keys={'ON' if foreign_keys else 'OFF'}")
            cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
            if wal:
                cursor.execute("PRAGMA journal_mode=WAL")
                cursor.execute("PRAGMA synchronous=NORMAL")
        finally:
            cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(connection: Any) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


def _postgres_engine(url: URL, *, echo: bool) -> AsyncEngine:
    server_settings: dict[str, str] = {"application_name": "aajel"}
    search_path = url.query.get("search_path")
    if search_path is not None:
        if not isinstance(search_path, str) or not search_path:
            raise ConfigError("DATABASE_URL", "search_path must be given once, as a schema name")
        server_settings["search_path"] = search_path
        url = url.difference_update_query(["search_path"])
    return create_async_engine(
        url,
        echo=echo,
        connect_args={"server_settings": server_settings, "timeout": POSTGRES_CONNECT_TIMEOUT},
        **POSTGRES_POOL,
    )


def make_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    """Session factory: ``async with factory() as s, s.begin(): ...`` per update or job."""
    return async_sessionmaker(engine, expire_on_commit=False)


__all__ = ["create_engine", "is_database_unavailable", "is_sqlite_memory", "make_sessionmaker"]
