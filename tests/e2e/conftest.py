"""End-to-end harness: the real Aajel app (aiogram bot, scheduler, sender) against the bundled Bot
API emulator over HTTP and the sample newsroom over HTTP, on SQLite and PostgreSQL.

Nothing of ours is mocked: the only stand-ins are Telegram (the emulator) and the news site (the
sample newsroom), both reached over real sockets.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from bot.app import Aajel
from bot.clock import SystemClock
from bot.config import Settings, load_settings
from bot.demo.newsroom import SampleNewsroom
from bot.emulator import EmulatorServer
from bot.emulator.client import EmulatorClient
from tests.hangs import app_stopped


@dataclass
class Stack:
    app: Aajel
    tg: EmulatorClient
    newsroom: SampleNewsroom
    settings: Settings


async def wait_until(
    predicate: Callable[[], Awaitable[bool]], *, within: float = 10.0, what: str = ""
) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while not await predicate():
        if loop.time() > deadline:
            raise AssertionError(f"timed out after {within}s waiting for {what or predicate}")
        await asyncio.sleep(0.05)


@pytest.fixture
async def stack(migrated_db_url: str, tmp_path: Path) -> AsyncIterator[Stack]:
    async with EmulatorServer() as server, SampleNewsroom(initial=3) as newsroom:
        sources = tmp_path / "sources.toml"
        sources.write_text(newsroom.sources_toml(interval_seconds=2), encoding="utf-8")
        settings = load_settings(
            bot_token=server.token,
            telegram_api_url=server.url,
            database_url=migrated_db_url,
            sources_file=sources,
            articles={"allow_private_addresses": True},
            delivery={"global_rate": 200},
            _env_file=None,
        )
        stop = asyncio.Event()
        async with (
            Aajel(settings, clock=SystemClock(), migrate=False) as app,
            EmulatorClient(server.url) as tg,
        ):
            task = asyncio.create_task(app.run(stop))
            try:
                yield Stack(app, tg, newsroom, settings)
            finally:
                stop.set()
                await app_stopped(task)
