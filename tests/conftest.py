"""Shared pytest fixtures for the whole suite. Keep each section self-contained and documented.

Database
--------
Every database fixture is parametrized through ``db_backend`` (test ids ``sqlite`` and ``postgres``;
the PostgreSQL cases carry the ``postgres`` marker). PostgreSQL unreachable: those cases are skipped
with the reason, unless ``CI`` is set, then they fail. Server: ``AAJEL_TEST_POSTGRES_URL`` (default
``postgresql+asyncpg://postgres@127.0.0.1:5432/test``). One engine: ``-k sqlite`` / ``-m "not
postgres"``, or ``@pytest.mark.parametrize("db_backend", ["sqlite"], indirect=True)`` on a test.

``db_url``
    A fresh, empty database private to the test: a new SQLite file in ``tmp_path``, or a new
    PostgreSQL schema ``aajel_t_<random>`` on the ``test`` database (selected by ``?search_path=``,
    dropped with CASCADE afterwards) — tests never see each other's rows, also when several pytest
    runs share the server.
``migrated_db_url``
    ``db_url`` at Alembic head, built by the real upgrade path (:func:`bot.db.migrate.upgrade_async`).
    The URL is self-contained: hand it to an out-of-process bot as ``DATABASE_URL`` (see ``db_env``).
``db_env``
    ``os.environ`` plus ``DATABASE_URL=<migrated_db_url>``, for ``subprocess`` calls.
``engine`` / ``session_factory`` / ``session``
    An :class:`~sqlalchemy.ext.asyncio.AsyncEngine` on a migrated database, its sessionmaker, and one
    open session (closed, i.e. rolled back, afterwards). Which database:

    * the test's own ``migrated_db_url`` whenever the test uses ``db_url``/``migrated_db_url``/``db_env``
      (directly or through another fixture) — so seeding through ``session`` and a subprocess bot on
      ``db_env`` meet in the same database;
    * otherwise on SQLite also a private file; on PostgreSQL a schema migrated once per run and emptied
      (every row deleted, id sequences restarted) after each test. Do not change the schema through
      ``engine`` then: ask for ``migrated_db_url`` to get a private one.

    On SQLite a transaction holds the write lock (``BEGIN IMMEDIATE``, see :mod:`bot.db.session`):
    commit or roll back ``session`` before calling code that opens its own session from
    ``session_factory``, or that code waits for the lock.

Shared data
-----------
:func:`shared_path` — a path inside ``../shared`` (the read-only corpus next to the project). Missing:
the test is skipped locally, but fails when ``CI`` is set (a CI run must never pass by skipping it).

Cost (measured on this machine): a private PostgreSQL schema created, migrated and dropped costs
~0.2 s per test, the shared one ~0.01 s; SQLite migrates once per run into a template file (~0.07 s)
that each test copies (~1 ms).
"""

from __future__ import annotations

import asyncio
import os
import shutil
import sys
import threading
import uuid
import warnings
from collections.abc import AsyncIterator, Callable, Coroutine, Iterator
from pathlib import Path
from typing import Any, TypeVar

import pytest

# The project root must be importable when pytest is started as `.venv/bin/pytest` (which, unlike
# `python -m pytest`, does not put the working directory on sys.path) and the package is not installed.
_ROOT = str(Path(__file__).resolve().parents[1])
if _ROOT not in sys.path:
    sys.path.insert(0, _ROOT)

from sqlalchemy.engine import make_url  # noqa: E402
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker  # noqa: E402

from bot.db.migrate import upgrade_async  # noqa: E402
from bot.db.session import create_engine, make_sessionmaker  # noqa: E402

T = TypeVar("T")

pytest_plugins = ["tests.hangs"]  # where a hung test is stuck, written before pytest-timeout ends it

# --- database ------------------------------------------------------------------------------------------

POSTGRES_URL = os.environ.get("AAJEL_TEST_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test")
_pg_problem: list[str | None] = []  # memo of the one reachability check per run: [None] = reachable


def _in_fresh_loop(make: Callable[[], Coroutine[Any, Any, T]]) -> T:
    """Run a coroutine to completion in a new event loop on a helper thread.

    Why: sync fixtures may be set up while pytest-asyncio's loop is running; asyncpg connections and
    engines must not leak between loops, so database bookkeeping gets a private, short-lived loop.
    """
    box: dict[str, Any] = {}

    def work() -> None:
        try:
            box["value"] = asyncio.run(make())
        except BaseException as e:  # re-raised in the caller's thread
            box["error"] = e

    thread = threading.Thread(target=work, name="db-fixture")
    thread.start()
    thread.join()
    if "error" in box:
        raise box["error"]
    return box["value"]  # type: ignore[no-any-return]


def _asyncpg_dsn() -> str:
    return make_url(POSTGRES_URL).set(drivername="postgresql").render_as_string(hide_password=False)


async def _pg_execute(sql: str, *, timeout: float = 5.0) -> None:
    import asyncpg

    connection = await asyncpg.connect(_asyncpg_dsn(), timeout=timeout)
    try:
        await connection.execute(sql)
    finally:
        await connection.close()


def _postgres_problem() -> str | None:
    """Why PostgreSQL cannot be used (None if it can); checked once per run."""
    if not _pg_problem:
        try:
            _in_fresh_loop(lambda: _pg_execute("SELECT 1", timeout=3.0))
            _pg_problem.append(None)
        except Exception as e:
            _pg_problem.append(
                f"PostgreSQL at {make_url(POSTGRES_URL)!r} unreachable: {type(e).__name__}: {e}"
            )
    return _pg_problem[0]


def _in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


def _skip_or_fail(problem: str) -> None:
    """Skip locally; under ``CI`` a missing prerequisite is an error, never a silent skip."""
    if _in_ci():
        pytest.fail(f"{problem} (CI is set, so this is an error, not a skip)", pytrace=False)
    pytest.skip(problem)


def _require_postgres() -> None:
    problem = _postgres_problem()
    if problem is None:
        return
    _skip_or_fail(problem)


# --- shared data ---------------------------------------------------------------------------------------

SHARED = Path(__file__).resolve().parents[1].parent / "shared"
"""``../shared``: the corpus and seed pages, read in place (never copied into the project)."""


def shared_path(*parts: str) -> Path:
    """``../shared/<parts>``; if it is missing, skip the test — or fail it when ``CI`` is set."""
    path = SHARED.joinpath(*parts)
    if not path.exists():
        _skip_or_fail(f"shared data not present: {path}")
    return path


def postgres_schema_url(schema: str) -> str:
    """The test server's URL narrowed to one schema (``?search_path=``, understood by create_engine)."""
    url = make_url(POSTGRES_URL).update_query_dict({"search_path": schema})
    return url.render_as_string(hide_password=False)


@pytest.fixture(
    params=[
        pytest.param("sqlite", id="sqlite"),
        pytest.param("postgres", id="postgres", marks=pytest.mark.postgres),
    ]
)
def db_backend(request: pytest.FixtureRequest) -> str:
    """``"sqlite"`` or ``"postgres"``: the parametrization behind every database fixture.

    One engine only: ``@pytest.mark.parametrize("db_backend", ["sqlite"], indirect=True)``.
    """
    backend = str(request.param)
    if backend == "postgres":
        _require_postgres()
    return backend


async def _create_schema(schema: str) -> None:
    await _pg_execute(f'CREATE SCHEMA "{schema}"')


def _drop_schema(schema: str) -> None:
    try:
        _in_fresh_loop(
            lambda: _pg_execute(f"SET lock_timeout = '10s'; DROP SCHEMA IF EXISTS \"{schema}\" CASCADE")
        )
    except Exception as e:  # a leftover schema must not fail the test that used it
        warnings.warn(f"could not drop test schema {schema}: {e}", stacklevel=1)


@pytest.fixture
def db_url(db_backend: str, tmp_path: Path) -> Iterator[str]:
    """A fresh, empty database of ``db_backend``, private to this test (see module docstring)."""
    if db_backend == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'aajel.db'}"
        return
    schema = f"aajel_t_{uuid.uuid4().hex[:12]}"
    _in_fresh_loop(lambda: _create_schema(schema))
    try:
        yield postgres_schema_url(schema)
    finally:
        _drop_schema(schema)


@pytest.fixture(scope="session")
def _sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One SQLite file migrated to head per run; tests get byte copies of it (~1 ms instead of ~65 ms)."""
    path = tmp_path_factory.mktemp("db-template") / "aajel.db"
    _in_fresh_loop(lambda: upgrade_async(f"sqlite+aiosqlite:///{path}"))
    leftovers = [p.name for p in path.parent.iterdir() if p != path]
    assert not leftovers, f"template not checkpointed into one file: {leftovers}"
    return path


@pytest.fixture
def migrated_db_url(request: pytest.FixtureRequest, db_url: str) -> str:
    """``db_url`` with the schema at Alembic head; usable in-process or by a subprocess.

    PostgreSQL: migrated per test (~0.15 s). SQLite: a copy of the per-run migrated template.
    """
    database = make_url(db_url).database
    if make_url(db_url).get_backend_name() == "sqlite" and database:
        shutil.copyfile(request.getfixturevalue("_sqlite_template"), database)
    else:
        _in_fresh_loop(lambda: upgrade_async(db_url))
    return db_url


@pytest.fixture
def db_env(migrated_db_url: str) -> dict[str, str]:
    """Environment for an out-of-process bot that must use the test database."""
    return {**os.environ, "DATABASE_URL": migrated_db_url}


class _SharedSchema:
    """A PostgreSQL schema migrated once per run and emptied after each test that used it."""

    def __init__(self) -> None:
        self.schema: str | None = None

    def url(self) -> str:
        if self.schema is None:
            schema = f"aajel_s_{uuid.uuid4().hex[:12]}"
            _in_fresh_loop(lambda: _create_schema(schema))
            self.schema = schema  # before migrating: a failed migration still gets dropped
            _in_fresh_loop(lambda: upgrade_async(postgres_schema_url(schema)))
        return postgres_schema_url(self.schema)

    def discard(self) -> None:
        """Forget the schema (dropped now); the next test gets a new one."""
        if self.schema is not None:
            schema, self.schema = self.schema, None
            _drop_schema(schema)


@pytest.fixture(scope="session")
def _pg_shared_schema() -> Iterator[_SharedSchema]:
    shared = _SharedSchema()
    try:
        yield shared
    finally:
        shared.discard()


async def _empty_all_tables(engine: AsyncEngine) -> None:
    """DELETE every row and restart the id sequences: ~3 ms, where TRUNCATE takes ~35 ms."""
    from bot.db.models import Base

    async with engine.begin() as connection:
        await connection.exec_driver_sql("SET LOCAL lock_timeout = '5s'")
        for table in reversed(Base.metadata.sorted_tables):
            await connection.execute(table.delete())
        await connection.exec_driver_sql(
            "SELECT setval(format('%I.%I', sequence_schema, sequence_name)::regclass, 1, false) "
            "FROM information_schema.sequences WHERE sequence_schema = current_schema()"
        )


@pytest.fixture
def _engine_target(request: pytest.FixtureRequest, db_backend: str) -> tuple[str, bool]:
    """(URL, shared?) for ``engine``: the test's own database if it has one, else the shared one."""
    if db_backend == "sqlite" or "db_url" in request.fixturenames:
        return request.getfixturevalue("migrated_db_url"), False
    shared: _SharedSchema = request.getfixturevalue("_pg_shared_schema")
    return shared.url(), True


@pytest.fixture
async def engine(
    _engine_target: tuple[str, bool], _pg_shared_schema: _SharedSchema
) -> AsyncIterator[AsyncEngine]:
    """An engine on a migrated database of ``db_backend`` (see module docstring for which one)."""
    url, shared = _engine_target
    engine = create_engine(url)
    try:
        yield engine
        if shared:
            await _empty_all_tables(engine)
    except BaseException:
        if shared:
            _pg_shared_schema.discard()  # rows may be left: never hand it to the next test
        raise
    finally:
        await engine.dispose()


@pytest.fixture
def session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return make_sessionmaker(engine)


@pytest.fixture
async def session(session_factory: async_sessionmaker[AsyncSession]) -> AsyncIterator[AsyncSession]:
    async with session_factory() as session:
        yield session
