"""The newsroom's pulse (issue 9): no source succeeding for N minutes, or due deliveries waiting M seconds
with nothing sent, tells the ops chat (once per change) and degrades /healthz. Time is the injected
clock's."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import update

from bot.clock import FrozenClock
from bot.config import PulseSettings
from bot.db.models import Source
from bot.workers.ops import NO_SOURCES, PULSE_OK, PulseFacts, PulseMonitor, judge_pulse
from tests.delivery.conftest import World
from tests.pipeline.helpers import import_sources, source_toml

SETTINGS = PulseSettings(sources_minutes=10, deliveries_seconds=60)
NOW = datetime(2026, 3, 1, 12, tzinfo=UTC)


def facts(**kw: object) -> PulseFacts:
    base: dict[str, object] = {
        "now": NOW,
        "sources": 3,
        "last_source_success": NOW - timedelta(minutes=1),
        "oldest_due": None,
        "last_send": NOW - timedelta(seconds=5),
    }
    return PulseFacts(**{**base, **kw})  # type: ignore[arg-type]


def test_the_pulse_decider() -> None:
    assert judge_pulse(facts(), SETTINGS).weak == []
    reading = judge_pulse(facts(last_source_success=NOW - timedelta(minutes=11)), SETTINGS)
    assert reading.sources == "no source succeeded for 11m" and reading.weak == ["pulse_sources"]
    assert judge_pulse(facts(sources=0, last_source_success=None), SETTINGS).sources == NO_SOURCES
    assert judge_pulse(facts(sources=0, last_source_success=None), SETTINGS).weak == []
    # due for 2 minutes, but something was sent 5 s ago: the sender is moving, just busy
    assert judge_pulse(facts(oldest_due=NOW - timedelta(minutes=2)), SETTINGS).deliveries == PULSE_OK
    stuck = judge_pulse(
        facts(oldest_due=NOW - timedelta(minutes=2), last_send=NOW - timedelta(minutes=5)), SETTINGS
    )
    assert stuck.deliveries == "due deliveries waiting 2m with no send"
    assert stuck.weak == ["pulse_deliveries"]


async def test_the_ops_chat_hears_when_the_pulse_weakens_and_recovers_once_each(world: World) -> None:
    ops_chat = 4242
    world.emulator.add_user("ops", user_id=ops_chat, started=True)
    clock = FrozenClock(NOW)
    ids = await import_sources(world.sessionmaker, clock, source_toml("s", "http://127.0.0.1:9/feed.xml"))
    async with world.sessionmaker() as session, session.begin():
        await session.execute(update(Source).values(last_success_at=NOW, created_at=NOW))
    sent: list[datetime | None] = [None]
    from aiogram import Bot
    from aiogram.client.session.aiohttp import AiohttpSession
    from aiogram.client.telegram import TelegramAPIServer

    tg = Bot(world.server.token, session=AiohttpSession(api=TelegramAPIServer.from_base(world.server.url)))
    try:
        pulse = PulseMonitor(
            sessionmaker=world.sessionmaker,
            clock=clock,
            settings=SETTINGS,
            last_send=lambda: sent[0],
            bot=tg,
            chat_id=ops_chat,
            lang="en",
        )
        assert (await pulse.check()).weak == []
        clock.advance(11 * 60)  # no source succeeded for 11 minutes
        assert (await pulse.check()).weak == ["pulse_sources"]
        assert (await pulse.check()).weak == ["pulse_sources"]  # still weak: told once
        texts = [m.text or "" for m in world.emulator.bot_messages(ops_chat)]
        assert len(texts) == 1 and "No source has succeeded for 11m" in texts[0]

        async with world.sessionmaker() as session, session.begin():
            await session.execute(
                update(Source).where(Source.id == ids["s"]).values(last_success_at=clock.now())
            )
        assert (await pulse.check()).weak == []
        texts = [m.text or "" for m in world.emulator.bot_messages(ops_chat)]
        assert len(texts) == 2 and "Pulse back" in texts[1]
    finally:
        await tg.session.close()
