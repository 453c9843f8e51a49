"""The ``aajel`` command line.

    aajel run [--duration S] [--webhook]   the bot (long polling, or webhook); needs BOT_TOKEN
    aajel demo [--duration S]       everything offline: emulator + sample newsroom + bot + subscribers
    aajel emulator [--port N]       the Bot API emulator alone
    aajel db upgrade                apply database migrations
    aajel sources import|list|check the news sources (bot/cli_sources.py)
    aajel news compare A B | --pairs F  same story or not, and why (bot/cli_news.py)

A configuration problem ends the command with one line naming the key (exit status 2), never a
traceback.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import logging
import signal
import sys
from collections.abc import Sequence

from bot.config import Settings, load_settings
from bot.exceptions import AajelError, ConfigError
from bot.logging_setup import configured_secrets, setup_logging


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="aajel",
        description="Aajel (عاجل): urgent news headlines to Telegram subscribers, by topic.",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    run = sub.add_parser(
        "run", help="run the bot (long polling); needs BOT_TOKEN", description="Run the bot."
    )
    run.add_argument("--duration", type=float, default=None, metavar="S", help="stop after S seconds")
    run.add_argument(
        "--webhook",
        action="store_true",
        help="receive updates by webhook on the HTTP server (API__WEBHOOK_URL, API__WEBHOOK_SECRET) "
        "instead of long polling: setWebhook on start, deleteWebhook on stop",
    )

    demo = sub.add_parser(
        "demo",
        help="run fully offline: emulator, sample newsroom, bot, simulated subscribers",
        description="Start the Bot API emulator, a sample Arabic newsroom that publishes a new urgent "
        "headline every few seconds, the bot, and simulated subscribers; show what each receives.",
    )
    demo.add_argument("--duration", type=float, default=None, metavar="S", help="stop after S seconds")
    demo.add_argument(
        "--interval", type=float, default=4.0, metavar="S", help="seconds between new headlines"
    )

    emulator = sub.add_parser(
        "emulator", help="run the Telegram Bot API emulator", description="Run the Bot API emulator."
    )
    emulator.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    emulator.add_argument("--port", type=int, default=8081, help="port to listen on (default 8081)")
    emulator.add_argument("--token", default="123456:AajelEmulatorToken", help="the bot token it accepts")

    db = sub.add_parser("db", help="database commands", description="Database commands.")
    db_sub = db.add_subparsers(dest="db_command", required=True, metavar="DB_COMMAND")
    upgrade = db_sub.add_parser(
        "upgrade", help="apply migrations up to head", description="Apply migrations."
    )
    upgrade.add_argument("--revision", default="head")

    from bot.cli_sources import add_sources_parser  # aajel sources import | list | check

    add_sources_parser(sub)
    from bot.cli_news import add_news_parser  # aajel news compare

    add_news_parser(sub)
    return parser


async def _until(stop: asyncio.Event, duration: float | None) -> None:
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
    if duration is not None:
        loop.call_later(duration, stop.set)


async def _run(settings: Settings, duration: float | None, webhook: bool = False) -> None:
    from bot.app import GIL_SWITCH_SECONDS, Aajel

    sys.setswitchinterval(GIL_SWITCH_SECONDS)
    stop = asyncio.Event()
    await _until(stop, duration)
    async with Aajel(settings, serve_api=True) as app:
        await app.run(stop, webhook=webhook)


async def _demo(settings: Settings, duration: float | None, interval: float) -> None:
    from bot.demo import run_demo

    stop = asyncio.Event()
    await _until(stop, duration)
    await run_demo(settings, stop=stop, interval=interval)


async def _emulator(host: str, port: int, token: str) -> None:
    from bot.emulator import serve

    stop = asyncio.Event()
    await _until(stop, None)
    task = asyncio.create_task(serve(host, port, token))
    await stop.wait()
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task


def _secrets(settings: Settings) -> list[str]:
    """Configured secrets the log formatter must never print, whatever their shape."""
    return configured_secrets(settings)


def main(argv: Sequence[str] | None = None) -> int:
    try:
        return _main(argv)
    finally:
        # A failed start leaves the app's objects in reference cycles through the caught exception's
        # traceback; collected at interpreter shutdown, one of their finalizers was seen to hang the
        # process after its one-line error. Collect them here, while the runtime is whole.
        gc.collect()


def _main(argv: Sequence[str] | None) -> int:
    args = _parser().parse_args(argv)
    if args.command == "news":  # pure: needs no settings, logging or database
        from bot.cli_news import run_news

        return run_news(args)
    try:
        settings = load_settings()
        # the demo's terminal shows what subscribers receive; only problems are logged there
        quiet = args.command == "demo" and settings.log_level != "DEBUG"
        setup_logging(
            "WARNING" if quiet else settings.log_level, fmt=settings.log_format, secrets=_secrets(settings)
        )
        if args.command == "run":
            if settings.bot_token is None:
                print(
                    "aajel: BOT_TOKEN is not set. Put the token from @BotFather in the environment or .env, "
                    "or run `aajel demo` to try Aajel offline against the bundled emulator.",
                    file=sys.stderr,
                )
                return 2
            if args.webhook and not settings.api.webhook_url:
                raise ConfigError(
                    "API__WEBHOOK_URL", "required for --webhook (the public HTTPS URL of the bot)"
                )
            asyncio.run(_run(settings, args.duration, args.webhook))
        elif args.command == "demo":
            asyncio.run(_demo(settings, args.duration, args.interval))
        elif args.command == "emulator":
            asyncio.run(_emulator(args.host, args.port, args.token))
        elif args.command == "db" and args.db_command == "upgrade":
            from bot.db.migrate import upgrade

            upgrade(settings.database_url, args.revision)
            print(f"database at revision {args.revision}")
        elif args.command == "sources":
            from bot.cli_sources import run_sources

            return run_sources(args, settings)
    except ConfigError as e:
        print(f"aajel: configuration error: {e}", file=sys.stderr)
        return 2
    except AajelError as e:  # e.g. the database cannot be reached, a task gave up: one line
        print(f"aajel: {e}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    except Exception as e:  # never a traceback on the terminal: one line, the details in the log
        logging.getLogger("aajel").debug("unexpected failure", exc_info=True)
        print(f"aajel: {_one_line(e)}", file=sys.stderr)
        return 1
    return 0


def _one_line(error: BaseException) -> str:
    """A library's exception as one line that names the cause (and the key, when it is a setting)."""
    from bot.db.session import is_database_unavailable

    text = " ".join(str(error).split()) or type(error).__name__
    if is_database_unavailable(error):
        return f"the database cannot be reached (DATABASE_URL): {text[:300]}"
    return f"failed: {type(error).__name__}: {text[:300]} (LOG_LEVEL=DEBUG logs the traceback)"


if __name__ == "__main__":
    raise SystemExit(main())
