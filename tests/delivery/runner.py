"""A sender in its own process, for the crash tests: ``python -m tests.delivery.runner``.

Reads the usual settings from the environment (``DATABASE_URL``, ``BOT_TOKEN``, ``TELEGRAM_API_URL``,
``DELIVERY__…``). Runs until SIGTERM, or with ``RUNNER_UNTIL_IDLE=1`` until nothing is left to send.
Prints ``ready <owner>`` once it holds its liveness lock, and ``done <sent>`` on a clean exit.
"""

from __future__ import annotations

import asyncio
import os
import signal

from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer

from bot.clock import SystemClock
from bot.config import load_settings
from bot.db.session import create_engine, make_sessionmaker
from bot.delivery.sender import Sender


async def main() -> None:
    settings = load_settings(_env_file=None)
    assert settings.bot_token is not None
    engine = create_engine(settings.database_url)
    bot = Bot(
        settings.bot_token.get_secret_value(),
        session=AiohttpSession(api=TelegramAPIServer.from_base(settings.telegram_api_url)),
    )
    sender = Sender(sessionmaker=make_sessionmaker(engine), bot=bot, settings=settings, clock=SystemClock())
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    print(f"ready {sender.owner}", flush=True)
    try:
        await sender.run(stop, until_idle=os.environ.get("RUNNER_UNTIL_IDLE") == "1")
    finally:
        await bot.session.close()
        await engine.dispose()
    print(f"done {sender.stats.sent} recovered={sender.stats.recovered}", flush=True)


if __name__ == "__main__":
    asyncio.run(main())
