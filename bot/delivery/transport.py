"""The sender's lean path to the Bot API: one JSON POST per call, errors wrapped at the boundary.

Why not aiogram's ``Bot.send_message`` here: for a broadcast the same message goes to thousands of
chats, and aiogram builds and validates a pydantic request and a pydantic ``Message`` for each one,
then aiohttp wraps every body in a payload object and every request in tasks — together about half a
millisecond of CPU per message, which caps one core near 2,000 messages/s. The sender instead
serialises a message once per alert and language (:meth:`BotApi.template`), splices in the chat id,
and posts it on its own small HTTP/1.1 keep-alive pool (plain or TLS, ``Content-Length`` or chunked
answers; a connection the server closed while idle is never written to), reading back only what it
needs (``message_id``). Interactive handlers keep using aiogram; both speak to the same server — the
URL and token come from the aiogram :class:`~aiogram.Bot` (``TELEGRAM_API_URL``, a local Bot API
server, or the emulator). No HTTP proxy support: put a local Bot API server there instead.

Every failure leaves here as one of two exceptions from :mod:`bot.exceptions`:

* :class:`~bot.exceptions.BotApiError` — Telegram answered ``ok: false`` (code, description,
  ``parameters.retry_after`` or the ``Retry-After`` header, ``parameters.migrate_to_chat_id``);
* :class:`~bot.exceptions.BotApiUnavailable` — no usable answer: connection refused or reset, timeout,
  a body that is not the Bot API envelope. The request may or may not have been executed.
"""

from __future__ import annotations

import asyncio
import json
import ssl
from typing import Any
from urllib.parse import urlsplit

from aiogram import Bot

from bot.exceptions import BotApiError, BotApiUnavailable


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


class _HttpError(Exception):
    """The connection failed or the answer was not HTTP we understand."""


class _Connection(asyncio.Protocol):
    """One keep-alive HTTP/1.1 connection carrying one request at a time."""

    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.closed = False
        self._buffer = bytearray()
        self._waiter: asyncio.Future[tuple[int, dict[bytes, bytes], bytes]] | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        if self._waiter is not None and not self._waiter.done():
            self._waiter.set_exception(_HttpError(f"connection lost: {exc or 'closed by the server'}"))

    def data_received(self, data: bytes) -> None:
        self._buffer += data
        if self._waiter is not None and not self._waiter.done():
            try:
                parsed = self._parse()
            except (_HttpError, ValueError) as e:
                self._waiter.set_exception(_HttpError(f"bad HTTP answer: {e}"))
                return
            if parsed is not None:
                self._waiter.set_result(parsed)

    def _parse(self) -> tuple[int, dict[bytes, bytes], bytes] | None:
        end = self._buffer.find(b"\r\n\r\n")
        if end < 0:
            return None
        lines = bytes(self._buffer[:end]).split(b"\r\n")
        try:
            status = int(lines[0].split(b" ", 2)[1])
        except (IndexError, ValueError) as e:
            raise _HttpError(f"not an HTTP status line: {lines[0][:80]!r}") from e
        headers: dict[bytes, bytes] = {}
        for line in lines[1:]:
            name, _, value = line.partition(b":")
            headers[name.strip().lower()] = value.strip()
        start = end + 4
        if headers.get(b"transfer-encoding", b"").lower() == b"chunked":
            body = bytearray()
            at = start
            while True:
                eol = self._buffer.find(b"\r\n", at)
                if eol < 0:
                    return None
                size = int(bytes(self._buffer[at:eol]).split(b";")[0], 16)
                if size == 0:
                    if self._buffer.find(b"\r\n", eol + 2) < 0:
                        return None
                    del self._buffer[:]
                    return status, headers, bytes(body)
                if len(self._buffer) < eol + 2 + size + 2:
                    return None
                body += self._buffer[eol + 2 : eol + 2 + size]
                at = eol + 2 + size + 2
        if b"content-length" not in headers:
            raise _HttpError("answer without Content-Length")  # the Bot API always sends one
        length = int(headers[b"content-length"])
        if len(self._buffer) < start + length:
            return None
        body_bytes = bytes(self._buffer[start : start + length])
        del self._buffer[: start + length]
        return status, headers, body_bytes

    async def exchange(self, request: bytes) -> tuple[int, dict[bytes, bytes], bytes]:
        assert self.transport is not None
        self._waiter = asyncio.get_running_loop().create_future()
        self.transport.write(request)
        try:
            return await self._waiter
        finally:
            self._waiter = None

    def close(self) -> None:
        self.closed = True
        if self.transport is not None:
            self.transport.close()


class _Pool:
    """Up to ``size`` keep-alive connections to one origin (http or https)."""

    def __init__(self, url: str, size: int) -> None:
        parts = urlsplit(url)
        self.host = parts.hostname or "127.0.0.1"
        self.tls = parts.scheme == "https"
        self.port = parts.port or (443 if self.tls else 80)
        self.host_header = parts.netloc.encode("idna")
        self._idle: list[_Connection] = []
        self._slots = asyncio.Semaphore(size)
        self._ssl = ssl.create_default_context() if self.tls else None

    async def _connect(self) -> _Connection:
        loop = asyncio.get_running_loop()
        try:
            _, protocol = await loop.create_connection(
                _Connection,
                self.host,
                self.port,
                ssl=self._ssl,
                server_hostname=self.host if self.tls else None,
            )
        except (OSError, ssl.SSLError) as e:
            raise _HttpError(f"cannot connect to {self.host}:{self.port}: {e}") from e
        return protocol

    async def post(self, path: str, body: bytes) -> tuple[int, dict[bytes, bytes], bytes]:
        request = (
            b"POST %s HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\n"
            b"Content-Length: %d\r\nConnection: keep-alive\r\n\r\n%s"
        ) % (path.encode("ascii"), self.host_header, len(body), body)
        async with self._slots:
            connection: _Connection | None = None
            while self._idle:  # a connection the server closed while idle is never written to
                candidate = self._idle.pop()
                transport = candidate.transport
                if not candidate.closed and transport is not None and not transport.is_closing():
                    connection = candidate
                    break
            if connection is None:
                connection = await self._connect()
            try:
                status, headers, payload = await connection.exchange(request)
            except BaseException:
                connection.close()  # cancelled (timeout) or broken: never reuse it
                raise
            if headers.get(b"connection", b"").lower() == b"close" or connection.closed:
                connection.close()
            else:
                self._idle.append(connection)
            return status, headers, payload

    async def open(self, count: int) -> int:
        """Open ``count`` connections ahead of time; returns how many are idle and ready.

        Why: connections opened on demand by a burst of first requests complete together, and the
        requests queued behind them reach the server as one burst — exactly what flood limits punish.
        """
        wanted = max(0, count - len(self._idle))
        results = await asyncio.gather(*(self._connect() for _ in range(wanted)), return_exceptions=True)
        self._idle += [r for r in results if isinstance(r, _Connection)]
        return len(self._idle)

    def close(self) -> None:
        for connection in self._idle:
            connection.close()
        self._idle.clear()


class BotApi:
    """A lean keep-alive client for the Bot API; create it inside the event loop that uses it."""

    def __init__(self, base_url: str, token: str, *, timeout: float, connections: int) -> None:
        self._base = base_url.rstrip("/")
        self._path = f"{urlsplit(self._base).path}/bot{token}/"
        self._timeout = timeout
        self._connections = connections
        self._pool: _Pool | None = None

    @classmethod
    def for_bot(cls, bot: Bot, *, timeout: float, connections: int) -> BotApi:
        """Same server and token as ``bot`` (``TelegramAPIServer.base`` is ``{base}/bot{token}/{method}``)."""
        url = bot.session.api.api_url(token=bot.token, method="")
        base = url.rsplit("/bot", 1)[0]
        return cls(base, bot.token, timeout=timeout, connections=connections)

    async def close(self) -> None:
        if self._pool is not None:
            self._pool.close()
            self._pool = None

    async def warm_up(self, connections: int) -> int:
        """Open up to ``connections`` keep-alive connections now (see :meth:`_Pool.open`)."""
        if self._pool is None:
            self._pool = _Pool(self._base, self._connections)
        return await self._pool.open(min(connections, self._connections))

    @staticmethod
    def template(params: dict[str, Any]) -> str:
        """Serialise the parameters every recipient shares; :meth:`call_with` adds the chat's own."""
        return _dumps(params)[1:]  # without the opening brace: "…}" to splice after chat fields

    async def call(self, method: str, params: dict[str, Any]) -> Any:
        return await self._post(method, _dumps(params).encode("utf-8"))

    async def call_with(self, method: str, template: str, **chat_params: int | None) -> Any:
        """``method`` with ``chat_params`` (ints: chat_id, message_id, message_thread_id) + a template."""
        head = ",".join(f'"{k}":{int(v)}' for k, v in chat_params.items() if v is not None)
        body = "{" + head + ("," if template != "}" else "") + template
        return await self._post(method, body.encode("utf-8"))

    async def _post(self, method: str, body: bytes) -> Any:
        if self._pool is None:
            self._pool = _Pool(self._base, self._connections)
        try:
            async with asyncio.timeout(self._timeout):
                status, headers, raw = await self._pool.post(self._path + method, body)
        except TimeoutError as e:
            raise BotApiUnavailable(f"{method}: no answer within {self._timeout:g}s (Timeout)") from e
        except (_HttpError, OSError) as e:
            raise BotApiUnavailable(f"{method}: {e}") from e
        try:
            data = json.loads(raw)
        except ValueError as e:
            raise BotApiUnavailable(f"{method}: HTTP {status} with a body that is not JSON") from e
        if not isinstance(data, dict) or "ok" not in data:
            raise BotApiUnavailable(f"{method}: HTTP {status} with a body that is not a Bot API answer")
        if data["ok"]:
            return data.get("result")
        parameters = data.get("parameters") or {}
        retry_after = parameters.get("retry_after")
        header_retry = headers.get(b"retry-after", b"")
        if retry_after is None and header_retry.isdigit():
            retry_after = int(header_retry)
        migrate = parameters.get("migrate_to_chat_id")
        raise BotApiError(
            int(data.get("error_code") or status),
            str(data.get("description") or f"HTTP {status}"),
            retry_after=float(retry_after) if isinstance(retry_after, int | float) else None,
            migrate_to_chat_id=int(migrate) if isinstance(migrate, int) else None,
        )
