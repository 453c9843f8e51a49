"""``python -m bot.emulator [--host H] [--port N] [--token T]``: run a standalone emulator.

The project CLI's ``aajel emulator --port N`` calls the same :func:`bot.emulator.server.serve`; this
entry point exists so the emulator can be started before (or without) the rest of the application.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib

from bot.emulator.server import serve


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bot.emulator", description="Telegram Bot API emulator")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8081)
    parser.add_argument("--token", default=None, help="bot token to accept (default: a fresh random one)")
    args = parser.parse_args(argv)
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve(args.host, args.port, args.token))


if __name__ == "__main__":
    main()
