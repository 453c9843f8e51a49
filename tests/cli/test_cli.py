"""The ``aajel`` command line, run as a real subprocess."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import inspect, text

from bot.db.session import create_engine

ROOT = Path(__file__).resolve().parents[2]


def aajel(
    *args: str, cwd: Path, env: dict[str, str] | None = None, timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if k not in ("BOT_TOKEN", "DATABASE_URL")}
    base["PYTHONPATH"] = str(ROOT)
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        cwd=cwd,
        env={**base, **(env or {})},
        capture_output=True,
        text=True,
        timeout=timeout,
    )


@pytest.mark.parametrize(
    "command",
    [[], ["run"], ["demo"], ["emulator"], ["db"], ["db", "upgrade"]],
    ids=lambda c: " ".join(c) or "aajel",
)
def test_every_command_has_help(command: list[str], tmp_path: Path) -> None:
    result = aajel(*command, "--help", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "usage: aajel" in result.stdout


def test_run_without_token_exits_nonzero_and_points_at_the_demo(tmp_path: Path) -> None:
    result = aajel("run", cwd=tmp_path)
    assert result.returncode == 2
    assert "BOT_TOKEN" in result.stderr and "aajel demo" in result.stderr
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_a_malformed_setting_stops_startup_with_one_line(tmp_path: Path) -> None:
    result = aajel("run", cwd=tmp_path, env={"BOT_TOKEN": "123:abc", "DELIVERY__GLOBAL_RATE": "-3"})
    assert result.returncode == 2
    assert result.stderr.startswith("aajel: configuration error: DELIVERY__GLOBAL_RATE:")
    assert "Traceback" not in result.stderr


async def test_db_upgrade_builds_the_schema(db_url: str, tmp_path: Path) -> None:
    result = aajel("db", "upgrade", cwd=tmp_path, env={"DATABASE_URL": db_url})
    assert result.returncode == 0, result.stderr
    engine = create_engine(db_url)
    try:
        async with engine.connect() as connection:
            tables = await connection.run_sync(lambda c: set(inspect(c).get_table_names()))
            version = await connection.scalar(text("SELECT version_num FROM alembic_version"))
    finally:
        await engine.dispose()
    assert {"sources", "articles", "subscribers", "deliveries", "alerts", "audit_log"} <= tables
    assert version


@pytest.mark.slow
def test_demo_runs_offline_shows_pushes_and_stops_after_duration(tmp_path: Path) -> None:
    result = aajel("demo", "--duration", "14", "--interval", "2", cwd=tmp_path, timeout=90)
    assert result.returncode == 0, result.stderr[-2000:]
    out = result.stdout
    assert "OFFLINE" in out
    assert "📲" in out  # at least one subscriber received a push
    assert "📄" in out  # and one opened a full article
    assert "demo stopped" in out
    assert "Traceback" not in result.stderr


def test_an_unreachable_database_is_one_line_not_a_traceback(tmp_path: Path) -> None:
    result = aajel(
        "run",
        "--duration",
        "1",
        cwd=tmp_path,
        env={"BOT_TOKEN": "123:abc", "DATABASE_URL": "postgresql+asyncpg://postgres@127.0.0.1:1/none"},
    )
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert result.stderr.strip().splitlines()[-1].startswith("aajel: database migration failed")
