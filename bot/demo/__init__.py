"""``aajel demo``: the whole product, offline, in one terminal.

Starts the bundled Bot API emulator (Telegram's stand-in), the sample Arabic newsroom (a site and RSS
feed that publish a new headline every few seconds), the real Aajel bot against both, and a few
simulated subscribers on different topics — then prints, live, what each subscriber receives. One
subscriber also taps "full article" on her first push, to show the article-on-demand path.

The HTTP server runs too (on a free loopback port): a simulated editor asks the bot for a console
sign-in link with ``/console``, exactly as a real editor would, and the demo prints the editors'
console's address and that one-time link (valid 5 minutes) so it can be opened in a browser.

Everything runs on 127.0.0.1 with a throw-away SQLite database; Ctrl-C (or ``--duration``) stops it
cleanly.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import socket
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

from bot.app import Aajel
from bot.config import Settings
from bot.demo.newsroom import SampleNewsroom
from bot.emulator import EmulatorServer
from bot.emulator.client import EmulatorClient, MessageView

log = logging.getLogger(__name__)


@dataclass
class SimulatedSubscriber:
    name: str
    language: str
    topics: tuple[str, ...]  # button labels to tap, in the subscriber's language
    user_id: int = 0
    seen: set[int] = field(default_factory=set)


DEMO_EDITOR = SimulatedSubscriber("هدى", "ar", (), user_id=9_000_001)
"""The simulated editor (in ``EDITOR_IDS`` for the demo) whose console sign-in link is printed."""

SUBSCRIBERS = (
    SimulatedSubscriber("ليلى", "ar", ("اقتصاد", "سياسة")),
    SimulatedSubscriber("Omar", "en", ("Sports", "World")),
    SimulatedSubscriber("سارة", "ar", ("صحة", "دولي")),
)


def demo_settings(
    base: Settings, *, emulator: EmulatorServer, database: Path, sources: Path, port: int = 0
) -> Settings:
    """The user's settings, pointed at the emulator, a temporary database and the sample newsroom.

    The HTTP server (CMS API, the editors' console) listens on loopback ``port``; the simulated
    editor is the demo's only editor.
    """
    return base.model_copy(
        update={
            "bot_token": None,
            "telegram_api_url": emulator.url,
            "database_url": f"sqlite+aiosqlite:///{database}",
            "sources_file": sources,
            "editor_ids": [DEMO_EDITOR.user_id],
            "articles": base.articles.model_copy(update={"allow_private_addresses": True}),
            "api": base.api.model_copy(update={"host": "127.0.0.1", "port": port, "public_url": None}),
        }
    ).model_copy(update={"bot_token": _secret(emulator.token)})


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def console_link(tg: EmulatorClient, editor: SimulatedSubscriber) -> str | None:
    """The simulated editor sends /console; returns the sign-in link from the bot's answer."""
    await tg.send(editor.user_id, "/console")
    [answer] = await tg.wait_for_messages(editor.user_id, 1, within=15)
    found = re.search(r"https?://\S+", answer.text or "")
    return found.group(0) if found else None


def _secret(token: str) -> object:
    from pydantic import SecretStr

    return SecretStr(token)


def _first_line(message: MessageView) -> str:
    return (message.text or "").split("\n", 1)[0]


async def _subscribe(tg: EmulatorClient, sub: SimulatedSubscriber) -> None:
    user = await tg.create_user(sub.name, language_code=sub.language)
    sub.user_id = user.id
    await tg.start(user.id)
    [welcome] = await tg.wait_for_messages(user.id, 1, within=10)
    for label in sub.topics:
        button = next(b for b in welcome.buttons if label in b["text"])
        press = await tg.press(user.id, welcome.message_id, data=button["callback_data"])
        await tg.callback(press.id, wait=5)
    sub.seen.add(welcome.message_id)


async def _watch(tg: EmulatorClient, subscribers: tuple[SimulatedSubscriber, ...], out: TextIO) -> None:
    reader = subscribers[0]
    asked_for_article = False
    while True:
        for sub in subscribers:
            for message in await tg.messages(sub.user_id):
                if message.message_id in sub.seen:
                    continue
                sub.seen.add(message.message_id)
                if message.callback_data and any(d.startswith("art:") for d in message.callback_data):
                    print(f"📲 {sub.name:6} ← {_first_line(message)}", file=out, flush=True)
                    if sub is reader and not asked_for_article:
                        asked_for_article = True
                        data = next(d for d in message.callback_data if d.startswith("art:"))
                        await tg.press(sub.user_id, message.message_id, data=data)
                        print(f"   {sub.name} taps «الخبر كاملًا» (full article)…", file=out, flush=True)
                else:
                    body = (message.text or "").replace("\n", " ")
                    print(f"📄 {sub.name:6} ← {body[:220]}…", file=out, flush=True)
        await asyncio.sleep(0.3)


async def run_demo(
    settings: Settings, *, stop: asyncio.Event, interval: float = 4.0, out: TextIO = sys.stdout
) -> None:
    with tempfile.TemporaryDirectory(prefix="aajel-demo-") as tmp:
        async with EmulatorServer() as emulator, SampleNewsroom(interval=interval, initial=3) as newsroom:
            sources = Path(tmp) / "sources.toml"
            sources.write_text(newsroom.sources_toml(interval_seconds=2), encoding="utf-8")
            config = demo_settings(
                settings,
                emulator=emulator,
                database=Path(tmp) / "demo.db",
                sources=sources,
                port=free_port(),
            )
            print(
                "Aajel demo — OFFLINE (no BOT_TOKEN needed): Telegram is the bundled emulator at "
                f"{emulator.url}, the sample newsroom is at {newsroom.url}.\n"
                f"A new headline appears every {interval:g}s; subscribers: "
                + ", ".join(f"{s.name} ({'/'.join(s.topics)})" for s in SUBSCRIBERS)
                + ". Ctrl-C stops.",
                file=out,
                flush=True,
            )
            async with Aajel(config, serve_api=True) as app, EmulatorClient(emulator.url) as tg:
                editor = DEMO_EDITOR
                await tg.create_user(
                    editor.name, user_id=editor.user_id, language_code=editor.language, started=True
                )
                bot_task = asyncio.create_task(app.run(stop), name="aajel")
                watcher: asyncio.Task[None] | None = None
                try:
                    for sub in SUBSCRIBERS:
                        await _subscribe(tg, sub)
                    link = await console_link(tg, DEMO_EDITOR)
                    print(
                        f"editors' console: http://127.0.0.1:{config.api.port}/console — sign in as the "
                        f"simulated editor {DEMO_EDITOR.name} (one-time link, valid 5 minutes):\n  {link}",
                        file=out,
                        flush=True,
                    )
                    print("subscribers ready; waiting for urgent headlines…", file=out, flush=True)
                    watcher = asyncio.create_task(_watch(tg, SUBSCRIBERS, out), name="watcher")
                    stopper = asyncio.create_task(stop.wait())
                    await asyncio.wait({bot_task, watcher, stopper}, return_when=asyncio.FIRST_COMPLETED)
                    stopper.cancel()
                    for task in (bot_task, watcher):
                        if task.done() and task.exception() is not None:
                            raise task.exception()  # type: ignore[misc]
                finally:
                    stop.set()
                    if watcher is not None:
                        watcher.cancel()
                        with contextlib.suppress(asyncio.CancelledError):
                            await watcher
                    with contextlib.suppress(asyncio.CancelledError):
                        await bot_task
                    sent = sum(len(s.seen) for s in SUBSCRIBERS)
                    print(
                        f"demo stopped; {sent} messages reached the simulated subscribers.",
                        file=out,
                        flush=True,
                    )
