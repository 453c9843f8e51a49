"""Browser tests of the editors' console: real headless Chromium (Debian's, /usr/bin/chromium) driven
by Playwright for Python, against the real Aajel app, the Bot API emulator and the sample newsroom.

* ``browser`` is session-scoped: one Chromium per test run; each test gets a fresh context (its own
  cookies) and page. Playwright never downloads a browser here (``scripts/setup-browser.sh``
  installs Debian's). Without Chromium the tests skip — except under ``CI=true``, where they fail.
* ``room`` runs the whole app in a background thread with its own event loop (Playwright's sync API
  owns the test's thread), on a free port, on SQLite and PostgreSQL. ``room.run(coro)`` runs a
  coroutine there. Time is a :class:`ShiftedClock`: the real clock plus an offset a test can advance
  (an expired link without waiting five minutes).
* Every test saves screenshots under ``tests/console/artifacts/`` (gitignored) via ``shot``.
* Waits are on page conditions (``expect``/``wait_for_function``) or the emulator's long-poll; no sleeps.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import socket
import threading
import time
from collections.abc import Awaitable, Callable, Coroutine, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

import pytest
from sqlalchemy import select

from bot.app import Aajel
from bot.config import Settings, load_settings
from bot.db.models import Subscriber, Subscription, Topic
from bot.demo.newsroom import SampleNewsroom
from bot.emulator import EmulatorServer
from bot.emulator.client import EmulatorClient, MessageView

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
]
ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
EDITOR = 6_000_001
"""The admin editor (EDITOR_IDS)."""
T = TypeVar("T")


def _in_ci() -> bool:
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

    def run(self, coro: Coroutine[Any, Any, T], timeout: float = 60) -> T:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def close(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(10)
        self.loop.close()


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


async def _start(
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
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.wait_for(task, timeout=15)

    stack.push_async_callback(finish)
    deadline = asyncio.get_running_loop().time() + 20
    while app.api is None or app.api.port is None:
        if task.done():
            task.result()
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("the HTTP server did not start")
        await asyncio.sleep(0.05)
    return Room(app, tg, settings, clock, loop, f"http://127.0.0.1:{port}"), stack


@pytest.fixture
def room(migrated_db_url: str, tmp_path: Path) -> Iterator[Room]:
    loop = LoopThread()
    clock = ShiftedClock()
    try:
        room, stack = loop.run(_start(migrated_db_url, tmp_path, clock, loop))
        try:
            yield room
        finally:
            loop.run(stack.aclose())
    finally:
        loop.close()


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    if not CHROMIUM.exists():
        problem = f"{CHROMIUM} is missing: run scripts/setup-browser.sh (as root) to install Chromium"
        if _in_ci():
            pytest.fail(f"{problem} (CI is set, so this is an error, not a skip)", pytrace=False)
        pytest.skip(problem)
    try:
        from playwright.sync_api import sync_playwright
    except ImportError as e:  # pragma: no cover - the dev extra installs it
        if _in_ci():
            pytest.fail(f"playwright is not installed: {e}", pytrace=False)
        pytest.skip(f"playwright is not installed: {e}")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
        )
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def page(browser: Any, request: pytest.FixtureRequest) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1100, "height": 900}, locale="ar")
    context.set_default_timeout(20_000)
    tab = context.new_page()
    try:
        yield tab
    finally:
        context.close()


@pytest.fixture
def shot(request: pytest.FixtureRequest) -> Callable[[Any, str], Path]:
    """``shot(page, "name")`` saves a full-page screenshot as a test artefact; returns its path."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    test = re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.name)

    def take(tab: Any, name: str) -> Path:
        path = ARTIFACTS / f"{test}-{name}.png"
        tab.screenshot(path=str(path), full_page=True)
        assert path.stat().st_size > 0
        return path

    return take


Wait = Callable[[], Awaitable[bool]]
