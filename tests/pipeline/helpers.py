"""Shared setup for polling tests: a newsroom imported into the test database and a Poller over a
real aiohttp session. Nothing here is a mock: the poller, fetcher, parsers and storage are the real ones.
"""

from __future__ import annotations

from typing import Any

import aiohttp
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.clock import Clock
from bot.config import PollingSettings
from bot.db.models import Source
from bot.domain import ChatKind
from bot.pipeline import Poller
from bot.services.newsroom import import_newsroom
from bot.services.subscriptions import find_topic, register_chat, set_subscription
from bot.sources.fetch import Fetcher
from bot.sources.spec import parse_newsroom

TOPICS = """
[[topics]]
slug = "politics"
name_ar = "سياسة"
name_en = "Politics"
keywords = ["سياسة", "حكومة", "برلمان", "politics"]

[[topics]]
slug = "economy"
name_ar = "اقتصاد"
name_en = "Economy"
keywords = ["اقتصاد", "جمارك", "رسوم جمركية", "فائدة", "economy"]

[[topics]]
slug = "world"
name_ar = "دولي"
name_en = "World"
keywords = ["زلزال", "فيضانات", "world"]
"""


def source_toml(name: str, url: str, kind: str = "rss", **extra: Any) -> str:
    """One ``[[sources]]`` table; ``html=``/``json=`` dicts become the sub-tables."""
    lines = ["[[sources]]", f'name = "{name}"', f'kind = "{kind}"', f'url = "{url}"']
    tables: list[str] = []
    for key, value in extra.items():
        if isinstance(value, dict):
            tables.append(f"[sources.{key}]")
            tables += [f"{k} = {_toml(v)}" for k, v in value.items()]
        else:
            lines.append(f"{key} = {_toml(value)}")
    return "\n".join(lines + tables) + "\n"


def _toml(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, list):
        return "[" + ", ".join(_toml(v) for v in value) + "]"
    return '"' + str(value).replace("\\", "\\\\").replace('"', '\\"') + '"'


async def import_sources(
    session_factory: async_sessionmaker[AsyncSession],
    clock: Clock,
    *sources: str,
    subscribers: dict[int, str] | None = None,
) -> dict[str, int]:
    """Import topics + the given ``[[sources]]`` tables; subscribe chats to topics; name → source id."""
    async with session_factory() as session, session.begin():
        await import_newsroom(session, parse_newsroom(TOPICS + "\n".join(sources)), clock)
        for chat_id, slug in (subscribers or {}).items():
            await register_chat(session, chat_id=chat_id, kind=ChatKind.PRIVATE, language="ar", clock=clock)
            topic = await find_topic(session, slug=slug)
            await set_subscription(session, chat_id=chat_id, topic_id=topic.id, subscribed=True, clock=clock)
        rows = (await session.execute(select(Source.name, Source.id))).all()
    return {name: source_id for name, source_id in rows}


def make_poller(
    session_factory: async_sessionmaker[AsyncSession],
    http: aiohttp.ClientSession,
    clock: Clock,
    **settings: Any,
) -> Poller:
    polling = PollingSettings(**settings)
    return Poller(
        sessionmaker=session_factory, fetcher=Fetcher(http, polling, clock), clock=clock, settings=polling
    )


async def count(session_factory: async_sessionmaker[AsyncSession], model: type) -> int:
    async with session_factory() as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)


async def source_row(session_factory: async_sessionmaker[AsyncSession], source_id: int) -> Source:
    async with session_factory() as session:
        row = await session.get(Source, source_id)
        assert row is not None
        return row
