"""Secrets never reach the log in any escaping: raw, repr of text or bytes, JSON, percent-encoded.

The secrets are chosen to be escaped differently by every layer: a backslash, a double quote, a
percent sign and non-ASCII letters. The end-to-end case sends a real malformed header line to a real
aiohttp server on 127.0.0.1 — aiohttp logs the rejected line as Python bytes (``b'…\\xd8\\xa7…'``).
"""

from __future__ import annotations

import asyncio
import io
import json
import logging
import re
from collections.abc import Callable, Iterator
from urllib.parse import quote, quote_plus

import pytest
from aiohttp import web

from bot.config import Settings
from bot.logging_setup import REDACTED, configured_secrets, redact, secret_forms, setup_logging

SECRETS = [
    'cms\\to"ken%41-سر',  # backslash, quote, percent, Arabic
    "wEbhook_sec-ret_zz",  # Telegram allows only A-Z a-z 0-9 _ - here (config refuses anything else)
    'pässwörd\\%2F"x',
]

RENDERINGS: dict[str, Callable[[str], str]] = {
    "raw": lambda s: s,
    "repr": repr,
    "repr-bytes": lambda s: repr(s.encode()),
    "unicode-escape": lambda s: s.encode("unicode_escape").decode(),
    "json-ascii": json.dumps,
    "json-utf8": lambda s: json.dumps(s, ensure_ascii=False),
    "percent": lambda s: quote(s, safe=""),
    "percent-lower": lambda s: re.sub(r"%[0-9A-F]{2}", lambda m: m.group(0).lower(), quote(s, safe="")),
    "percent-plus": quote_plus,
    "repr-bytes-in-json": lambda s: json.dumps(repr(s.encode())),
    "repr-in-json-utf8": lambda s: json.dumps(repr(s), ensure_ascii=False),
}


def _visible(secret: str, text: str) -> list[str]:
    """Which renderings of ``secret`` (minus their quotes) still appear in ``text``."""
    found = []
    for name, render in RENDERINGS.items():
        shown = render(secret).strip("'\"")
        if shown.startswith("b'") or shown.startswith('b"'):
            shown = shown[2:]
        if shown and shown in text:
            found.append(name)
    return found


@pytest.mark.parametrize("secret", SECRETS)
@pytest.mark.parametrize("rendering", sorted(RENDERINGS))
def test_every_escaping_of_a_secret_is_redacted(secret: str, rendering: str) -> None:
    line = f"header was {RENDERINGS[rendering](secret)} and more"
    out = redact(line, [secret])
    assert REDACTED in out
    assert _visible(secret, out) == []
    assert out.startswith("header was ") and out.endswith(" and more")  # nothing else removed


def test_the_password_of_any_url_is_redacted_however_short() -> None:
    line = "connect failed: postgresql+asyncpg://aajel:pw@127.0.0.1:5432/aajel; see https://x.example/a:b@c"
    out = redact(line)
    assert ":pw@" not in out and "postgresql+asyncpg://aajel:" in out and "@127.0.0.1:5432/aajel" in out
    assert "https://x.example/a:b@c" in out  # a path is not a password


def test_short_secrets_are_not_searched_and_forms_are_longest_first() -> None:
    assert redact("the word abc stays", ["abc"]) == "the word abc stays"
    forms = secret_forms(SECRETS[0])
    assert list(forms) == sorted(forms, key=len, reverse=True)


def test_the_database_password_is_a_configured_secret() -> None:
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        database_url="postgresql+asyncpg://aajel:p%40ss%5Cw%22rd@127.0.0.1:5432/aajel",
        api={"cms_token": SECRETS[0], "webhook_secret": SECRETS[1]},
    )
    secrets = configured_secrets(settings)
    assert 'p@ss\\w"rd' in secrets and SECRETS[0] in secrets and SECRETS[1] in secrets
    url_line = f"could not connect to {settings.database_url}"
    assert "p%40ss%5Cw%22rd" not in redact(url_line, secrets)


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


@pytest.mark.parametrize("fmt", ["text", "json"])
async def test_aiohttp_bad_request_logs_of_a_header_carrying_a_secret_are_redacted(
    captured: io.StringIO, fmt: str
) -> None:
    setup_logging("DEBUG", fmt=fmt, secrets=SECRETS)
    handler = logging.getLogger().handlers[0]
    assert isinstance(handler, logging.StreamHandler)
    handler.setStream(captured)

    async def ok(request: web.Request) -> web.Response:
        return web.Response(text="ok")

    app = web.Application()
    app.router.add_get("/", ok)
    runner = web.AppRunner(app, handle_signals=False)  # aiohttp's own access log stays on here
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    try:
        for secret in SECRETS:
            for line in (
                b"Authorization: Bearer " + secret.encode() + b"\x01",  # bad value char
                b"Authorization Bearer " + secret.encode(),  # bad header token
            ):
                reader, writer = await asyncio.open_connection("127.0.0.1", port)
                writer.write(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n" + line + b"\r\n\r\n")
                await writer.drain()
                assert (await reader.read(4096)).startswith(b"HTTP/1.0 400")
                writer.close()
                await writer.wait_closed()
        # a well-formed request whose URL carries a secret (percent-encoded) reaches the access log
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        target = "/?token=" + quote(SECRETS[0], safe="")
        writer.write(f"GET {target} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n".encode())
        await writer.drain()
        await reader.read(4096)
        writer.close()
        await writer.wait_closed()
    finally:
        await runner.cleanup()
    output = captured.getvalue()
    assert "Error handling request" in output  # the bad requests were logged …
    assert "aiohttp.access" in output  # … and so was the good one
    for secret in SECRETS:
        assert _visible(secret, output) == [], secret  # … without any form of any secret
