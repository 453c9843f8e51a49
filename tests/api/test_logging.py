"""Logs never contain a token — tested with a real aiogram error whose text carries the bot token
(aiohttp's InvalidUrlClientError puts the whole ``/bot<token>/getMe`` URL into it), also when it is
only a *cause* in the traceback, and in JSON format with a configured secret of any shape."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import pytest
from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.exceptions import TelegramNetworkError

from bot.exceptions import FetchError
from bot.logging_setup import setup_logging

TOKEN = "123456789:AAEhBP0av28ZtuWSSNyfnZ6-SECRETxyz"
CMS = "cms secret with spaces!"


@pytest.fixture
def captured() -> Iterator[io.StringIO]:
    root = logging.getLogger()
    saved, level = root.handlers[:], root.level
    stream = io.StringIO()
    try:
        yield stream
    finally:
        root.handlers[:] = saved
        root.setLevel(level)


def _point(stream: io.StringIO) -> None:
    handler = logging.getLogger().handlers[0]
    assert isinstance(handler, logging.StreamHandler)
    handler.setStream(stream)


async def _real_aiogram_error() -> TelegramNetworkError:
    # port 99999 is not a port: aiohttp refuses the URL before any traffic, quoting it in full
    bot = Bot(TOKEN, session=AiohttpSession(api=TelegramAPIServer.from_base("http://127.0.0.1:99999")))
    try:
        await bot.get_me()
    except TelegramNetworkError as e:
        assert TOKEN in str(e)  # the premise: the library's error text carries the token
        return e
    finally:
        await bot.session.close()
    raise AssertionError("expected a network error")


async def test_a_real_aiogram_error_with_the_token_is_logged_redacted_with_its_traceback(
    captured: io.StringIO,
) -> None:
    setup_logging("INFO", secrets=[TOKEN])
    _point(captured)
    error = await _real_aiogram_error()
    log = logging.getLogger("aajel.test")
    try:
        raise error
    except TelegramNetworkError:
        log.exception("getMe failed: %s", error)
    log.warning("calling %s", f"http://127.0.0.1/bot{TOKEN}/sendMessage")
    output = captured.getvalue()
    assert TOKEN not in output and TOKEN.split(":")[1] not in output
    assert "<redacted-token>" in output
    assert "Traceback" in output and "InvalidUrlClientError" in output  # diagnostics kept


async def test_a_token_only_in_a_chained_cause_does_not_leak(captured: io.StringIO) -> None:
    setup_logging("INFO")
    _point(captured)
    error = await _real_aiogram_error()
    try:
        try:
            raise error
        except TelegramNetworkError as e:
            raise FetchError("telegram", "could not reach the Bot API") from e
    except FetchError:
        logging.getLogger("aajel.test").exception("startup check failed")
    output = captured.getvalue()
    assert "direct cause" in output  # the chain is printed …
    assert TOKEN not in output  # … without the token


async def test_json_logs_are_one_object_per_line_and_redact_configured_secrets(captured: io.StringIO) -> None:
    setup_logging("INFO", fmt="json", secrets=[TOKEN, CMS])
    _point(captured)
    log = logging.getLogger("aajel.api")
    log.info("auth header was %s", f"Bearer {CMS}")
    error = await _real_aiogram_error()
    try:
        raise error
    except TelegramNetworkError:
        log.exception("failed")
    lines = [json.loads(line) for line in captured.getvalue().splitlines()]
    assert [entry["level"] for entry in lines] == ["INFO", "ERROR"]
    assert {"ts", "level", "logger", "msg"} <= set(lines[0]) and lines[0]["logger"] == "aajel.api"
    assert "exc" in lines[1]
    assert CMS not in captured.getvalue() and TOKEN not in captured.getvalue()
