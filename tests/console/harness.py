"""The harness of the console's browser tests (fixtures are in conftest.py, which explains the design).

Kept apart from conftest.py so that the tests and the fixtures share one copy of it: pytest may
import a conftest under a second module name, and :class:`Sync` must be one class.
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import inspect
import os
import re
import socket
import threading
import time
from collections.abc import Coroutine, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import select

from bot.app import Aajel
from bot.config import Settings, load_settings
from bot.db.models import Subscriber, Subscription, Topic
from bot.demo.newsroom import SampleNewsroom
from bot.emulator import EmulatorServer
from bot.emulator.client import EmulatorClient, MessageView
from tests.hangs import app_stopped

CHROMIUM = Path(os.environ.get("AAJEL_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    # the tests' own servers are on 127.0.0.1: every other name resolves to nothing, so no request of
    # the browser's (a page's stray link, a Google service) can leave the loopback, not even by mistake
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1, EXCLUDE localhost",
    "--no-proxy-server",
]
ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
EDITOR = 6_000_001
"""The admin editor (EDITOR_IDS)."""
T = TypeVar("T")


def in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


class ShiftedClock:
    """The system clock plus an offset the test controls (time only moves forward)."""

    def __init__(self) -> None:
        self._offset = 0.0

    def now(self) -> datetime:
        return datetime.now(UTC) + timedelta(seconds=self._offset)

    def monotonic(self) -> float:
        return time.monotonic() + self._offset

    def advance(self, seconds: float) -> None:
        self._offset += seconds


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class LoopThread:
    """An event loop on its own thread, for the app under test."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_forever, name="console-app", daemon=True)
        self._thread.start()

    def run(self, coro: Coroutine[Any, Any, T], timeout: float = 90) -> T:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def close(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(10)
        self.loop.close()


_shared: list[LoopThread] = []


def shared_loop() -> LoopThread:
    """The one background loop of this test session (browser and apps)."""
    if not _shared:
        _shared.append(LoopThread())
        atexit.register(_shared[0].close)
    return _shared[0]


class Sync:
    """A synchronous view of a Playwright async object: calls run on the shared loop, results are
    wrapped again (a page's locator, a context's pages…), plain values come back as they are."""

    __slots__ = ("_obj",)

    def __init__(self, obj: Any) -> None:
        object.__setattr__(self, "_obj", obj)

    @staticmethod
    def wrap(value: Any) -> Any:
        if isinstance(value, list):
            return [Sync.wrap(v) for v in value]
        if type(value).__module__.startswith("playwright."):
            return Sync(value)
        return value

    @staticmethod
    def unwrap(value: Any) -> Any:
        return object.__getattribute__(value, "_obj") if isinstance(value, Sync) else value

    def __getattr__(self, name: str) -> Any:
        value = getattr(object.__getattribute__(self, "_obj"), name)
        if not callable(value):
            return Sync.wrap(value)

        def call(*args: Any, **kwargs: Any) -> Any:
            async def invoke() -> Any:  # on the loop, also for plain calls (event handlers need it)
                result = value(*map(Sync.unwrap, args), **{k: Sync.unwrap(v) for k, v in kwargs.items()})
                return await result if inspect.isawaitable(result) else result

            return Sync.wrap(shared_loop().run(invoke()))

        return call


def expect(target: Any) -> Any:
    """Playwright's web-first assertions (they retry until the page gets there), synchronously."""
    from playwright.async_api import expect as async_expect

    return Sync(async_expect(Sync.unwrap(target)))


@dataclass
class Room:
    """The running newsroom: app, emulator client, clock, and the console's address."""

    app: Aajel
    tg: EmulatorClient
    settings: Settings
    clock: ShiftedClock
    loop: LoopThread
    base: str  # http://127.0.0.1:PORT

    def run(self, coro: Coroutine[Any, Any, T], timeout: float = 60) -> T:
        return self.loop.run(coro, timeout)

    async def topic_id(self, slug: str) -> int:
        async with self.app.sessionmaker() as session:
            value = await session.scalar(select(Topic.id).where(Topic.slug == slug))
        assert value is not None, slug
        return int(value)

    def subscribers(
        self, count: int, topics: Sequence[str], *, first_id: int = 7_200_000, language: str = "ar"
    ) -> list[int]:
        """``count`` started emulator users subscribed to ``topics`` (seeded in the database)."""

        async def seed() -> list[int]:
            ids = [first_id + i for i in range(count)]
            for user_id in ids:
                await self.tg.create_user(
                    f"reader{user_id}", user_id=user_id, language_code=language, started=True
                )
            topic_ids = [await self.topic_id(slug) for slug in topics]
            now = self.clock.now()
            async with self.app.sessionmaker() as session, session.begin():
                for user_id in ids:
                    row = Subscriber(
                        chat_id=user_id, kind="private", language=language, created_at=now, updated_at=now
                    )
                    session.add(row)
                    await session.flush()
                    for topic_id in topic_ids:
                        session.add(Subscription(subscriber_id=row.id, topic_id=topic_id, created_at=now))
            return ids

        return self.run(seed())

    def bot_messages(self, chat_id: int, count: int, *, within: float = 20) -> list[MessageView]:
        return self.run(self.tg.wait_for_messages(chat_id, count, within=within), timeout=within + 10)

    def sign_in_link(self, user_id: int = EDITOR, *, nth: int | None = None) -> str:
        """Drive /console through the emulator as ``user_id``; returns the link in the bot's answer."""

        async def ask() -> str:
            before = len(await self.tg.messages(user_id))
            await self.tg.send(user_id, "/console")
            messages = await self.tg.wait_for_messages(user_id, before + 1, within=20)
            text = messages[before].text or ""
            found = re.search(r"https?://\S+", text)
            assert found, f"no link in the bot's answer: {text!r}"
            return found.group(0)

        return self.run(ask())


async def start_room(
    database_url: str, tmp: Path, clock: ShiftedClock, loop: LoopThread
) -> tuple[Room, contextlib.AsyncExitStack]:
    stack = contextlib.AsyncExitStack()
    emulator = await stack.enter_async_context(EmulatorServer())
    newsroom = await stack.enter_async_context(SampleNewsroom(initial=3))
    sources = tmp / "sources.toml"
    sources.write_text(newsroom.sources_toml(interval_seconds=2), encoding="utf-8")
    port = free_port()
    settings = load_settings(
        bot_token=emulator.token,
        telegram_api_url=emulator.url,
        database_url=database_url,
        sources_file=sources,
        editor_ids=[EDITOR],
        articles={"allow_private_addresses": True},
        delivery={"global_rate": 40},
        api={"host": "127.0.0.1", "port": port},
        _env_file=None,
    )
    app = await stack.enter_async_context(Aajel(settings, clock=clock, migrate=False, serve_api=True))
    tg = await stack.enter_async_context(EmulatorClient(emulator.url))
    await tg.create_user("Editor", user_id=EDITOR, language_code="ar", started=True)
    stop = asyncio.Event()
    task = asyncio.create_task(app.run(stop))

    async def finish() -> None:
        stop.set()
        await app_stopped(task)

    stack.push_async_callback(finish)
    deadline = asyncio.get_running_loop().time() + 20
    while app.api is None or app.api.port is None:
        if task.done():
            task.result()
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("the HTTP server did not start")
        await asyncio.sleep(0.05)
    return Room(app, tg, settings, clock, loop, f"http://127.0.0.1:{port}"), stack
