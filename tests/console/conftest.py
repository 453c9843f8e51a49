"""Browser tests of the editors' console: real headless Chromium (Debian's, /usr/bin/chromium) driven
by Playwright for Python, against the real Aajel app, the Bot API emulator and the sample newsroom.

* One event loop on a background thread (:func:`shared_loop`) hosts Playwright's *async* API and
  each test's app. The tests themselves are plain synchronous functions: :class:`Sync` runs any
  Playwright call on that loop and waits for it (why not Playwright's sync API: it keeps an event
  loop marked "running" on the main thread for as long as the browser lives, which would break every
  async test that runs after these in the same session).
* ``browser`` is session-scoped: one Chromium per test run; each test gets a fresh context (its own
  cookies) and page. Playwright never downloads a browser here (``scripts/setup-browser.sh``
  installs Debian's). Without Chromium the tests skip — except under ``CI=true``, where they fail.
* ``room`` runs the whole app on that loop, on a free port, on SQLite and PostgreSQL.
  ``room.run(coro)`` runs a coroutine there. Time is a :class:`ShiftedClock`: the real clock plus
  an offset a test can advance (an expired link without waiting five minutes).
* Every test saves screenshots under ``tests/console/artifacts/`` (gitignored) via ``shot``.
* Waits are on page conditions (``expect``/``wait_for_function``) or the emulator's long-poll; no sleeps.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.console.harness import (
    ARTIFACTS,
    CHROMIUM,
    CHROMIUM_ARGS,
    Room,
    ShiftedClock,
    Sync,
    in_ci,
    shared_loop,
    start_room,
)


@pytest.fixture
def room(migrated_db_url: str, tmp_path: Path) -> Iterator[Room]:
    loop = shared_loop()
    room, stack = loop.run(start_room(migrated_db_url, tmp_path, ShiftedClock(), loop))
    try:
        yield room
    finally:
        loop.run(stack.aclose())


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    if not CHROMIUM.exists():
        problem = f"{CHROMIUM} is missing: run scripts/setup-browser.sh (as root) to install Chromium"
        if in_ci():
            pytest.fail(f"{problem} (CI is set, so this is an error, not a skip)", pytrace=False)
        pytest.skip(problem)
    try:
        from playwright.async_api import async_playwright
        from playwright.async_api import expect as async_expect
    except ImportError as e:  # pragma: no cover - the dev extra installs it
        if in_ci():
            pytest.fail(f"playwright is not installed: {e}", pytrace=False)
        pytest.skip(f"playwright is not installed: {e}")
    loop = shared_loop()

    async def launch() -> tuple[Any, Any]:
        playwright = await async_playwright().start()
        chromium = await playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
        )
        return playwright, chromium

    async_expect.set_options(timeout=20_000)  # a loaded CI machine is slow; waits end as soon as true
    playwright, chromium = loop.run(launch())
    try:
        yield Sync(chromium)
    finally:
        loop.run(chromium.close())
        loop.run(playwright.stop())


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
