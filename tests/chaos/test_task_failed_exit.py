"""A task that cannot come back ends ``aajel run`` with a non-zero exit (issue 9, item 1), end to end.

A real ``aajel run`` process (the CLI's ``main``, as ``python -m bot run`` calls it) against the Bot API
emulator and a SQLite file, with one supervised task that crashes every time it starts. Two things are
changed in that process, and only these: the supervisor gives up after 2 crashes with a 50 ms backoff
(instead of 10 crashes over minutes), and the scheduler's watchdog task raises at once. The process
must then stop by itself — long before its ``--duration`` — with exit status 1 and one last line
naming the task, so a service manager restarts it rather than leaving a bot that only looks alive.
"""

from __future__ import annotations

import asyncio
import os
import sys
import textwrap
from pathlib import Path

import pytest

from bot.emulator import EmulatorServer

ROOT = Path(__file__).resolve().parents[2]

SCRIPT = textwrap.dedent(
    """
    import sys

    from bot import supervisor
    from bot.workers import runner

    original = supervisor.Supervisor.__init__

    def impatient(self, **kw):
        original(self, **{**kw, "base_delay": 0.05, "max_delay": 0.05, "max_restarts": 2})

    async def broken(self):
        raise RuntimeError("the poll jobs' watchdog is broken (chaos test)")

    supervisor.Supervisor.__init__ = impatient
    runner.Workers._watch_scheduler = broken

    from bot.cli import main

    sys.exit(main(["run", "--duration", "120"]))
    """
)


@pytest.mark.parametrize("db_backend", ["sqlite"], indirect=True)  # an already migrated file: quicker start
async def test_a_task_that_cannot_come_back_ends_aajel_run_with_a_non_zero_exit(
    migrated_db_url: str, tmp_path: Path
) -> None:
    async with EmulatorServer() as server:
        base = {
            k: v for k, v in os.environ.items() if not k.startswith(("BOT_", "DATABASE", "API__", "SOURCES"))
        }
        env = {
            **base,
            "PYTHONPATH": str(ROOT),
            "BOT_TOKEN": server.token,
            "TELEGRAM_API_URL": server.url,
            "DATABASE_URL": migrated_db_url,
            "API__PORT": "0",
        }
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-c",
            SCRIPT,
            cwd=tmp_path,
            env=env,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        # far below --duration 120: the process stops because the task gave up, not because time ran out
        _, stderr_bytes = await asyncio.wait_for(process.communicate(), 90)
    stderr = stderr_bytes.decode()
    assert process.returncode == 1, stderr[-3000:]
    last = stderr.strip().splitlines()[-1]
    assert last.startswith("aajel: ") and "scheduler" in last, stderr[-3000:]
    assert stderr.count("the poll jobs' watchdog is broken") >= 3  # logged on each of its crashes
