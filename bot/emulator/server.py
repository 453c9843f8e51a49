"""HTTP front of the emulator: the Bot API at ``/bot{token}/{method}`` and the control API at ``/_emulator``.

Invariants:

* Every Bot API response is the Bot API envelope with ``Content-Type: application/json`` and an HTTP
  status equal to ``error_code`` (200 for ``ok: true``); 429s carry ``Retry-After``.
* Parameters are merged from the query string and the body (form-urlencoded, multipart, or JSON);
  body values win. Uploaded files are accepted and recorded by name only.
* The server runs in-process (:class:`EmulatorServer`, for tests and the demo) or standalone
  (:func:`serve`, behind ``aajel emulator --port N``); both bind 127.0.0.1 unless told otherwise.
* Shutting down releases every long poll and wait at once, so a test never waits for a poll timeout.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator
from types import TracebackType
from typing import Any

from aiohttp import web

from bot.emulator import botapi
from bot.emulator.control import ControlApi, control_errors
from bot.emulator.errors import EmulatorError
from bot.emulator.interceptor import ConnectionReset
from bot.emulator.state import Emulator
from bot.emulator.webhook import WebhookWorker

EMULATOR_KEY = web.AppKey("emulator", Emulator)


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


async def read_params(request: web.Request) -> dict[str, Any]:
    """Query string + body (form, multipart or JSON object), body values taking precedence."""
    params: dict[str, Any] = dict(request.query)
    if not request.body_exists:
        return params
    content_type = request.content_type
    if content_type == "application/json":
        try:
            data = await request.json()
        except ValueError:
            data = None
        if isinstance(data, dict):
            params.update(data)
    elif content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
        form = await request.post()
        for key, value in form.items():
            params[key] = value if isinstance(value, str) else f"<file {getattr(value, 'filename', key)}>"
    return params


async def bot_api(request: web.Request) -> web.StreamResponse:
    emulator = request.app[EMULATOR_KEY]
    params = await read_params(request)
    try:
        status, body, headers = await botapi.handle(
            emulator, request.match_info["token"], request.match_info.get("method", ""), params
        )
    except ConnectionReset:
        # an injected fault: drop the connection without an answer, as a reset network would
        if request.transport is not None:
            request.transport.abort()
        raise web.HTTPInternalServerError() from None
    # Exactly "application/json", no charset parameter: what the real server sends.
    return web.Response(
        body=_dumps(body).encode("utf-8"),
        status=status,
        headers={**headers, "Content-Type": "application/json"},
    )


async def not_found(request: web.Request) -> web.Response:
    """Paths that are neither Bot API nor control API get Telegram's bare 404 envelope."""
    body = _dumps({"ok": False, "error_code": 404, "description": "Not Found"})
    return web.Response(body=body.encode("utf-8"), status=404, headers={"Content-Type": "application/json"})


def make_app(emulator: Emulator, *, deliver_webhooks: bool = True) -> web.Application:
    """The aiohttp application serving ``emulator``; it also runs the webhook worker while up."""
    app = web.Application(middlewares=[control_errors], client_max_size=64 * 1024 * 1024)
    app[EMULATOR_KEY] = emulator
    app.router.add_route("*", "/bot{token}/{method}", bot_api)
    app.router.add_route("*", "/bot{token}/", bot_api)
    app.router.add_routes(ControlApi(emulator).routes())
    app.router.add_route("*", "/{tail:.*}", not_found)

    async def webhook_worker(app: web.Application) -> AsyncIterator[None]:
        task = asyncio.create_task(WebhookWorker(emulator).run(), name="emulator-webhook")
        yield
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task

    if deliver_webhooks:
        app.cleanup_ctx.append(webhook_worker)
    return app


class EmulatorServer:
    """Run an emulator on 127.0.0.1 inside the current event loop.

    Example::

        async with EmulatorServer() as server:
            session = AiohttpSession(api=TelegramAPIServer.from_base(server.url))
            bot = Bot(server.token, session=session)
    """

    def __init__(self, emulator: Emulator | None = None, *, host: str = "127.0.0.1", port: int = 0) -> None:
        self.emulator = emulator or Emulator()
        self.host = host
        self._port = port
        self._runner: web.AppRunner | None = None

    @property
    def port(self) -> int:
        if self._runner is None:
            raise EmulatorError("the server is not running")
        return self._port

    @property
    def url(self) -> str:
        """Base URL for ``TelegramAPIServer.from_base`` and for :class:`EmulatorClient`."""
        return f"http://{self.host}:{self.port}"

    @property
    def token(self) -> str:
        return self.emulator.token

    async def start(self) -> None:
        self.emulator.reopen()
        runner = web.AppRunner(make_app(self.emulator), shutdown_timeout=0.5, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, self.host, self._port)
        try:
            await site.start()
        except OSError as e:
            await runner.cleanup()
            raise EmulatorError(f"cannot listen on {self.host}:{self._port}: {e}") from e
        self._runner = runner
        for address in runner.addresses:
            if isinstance(address, tuple):
                self._port = int(address[1])
                break

    async def stop(self) -> None:
        if self._runner is None:
            return
        self.emulator.close()  # release long polls and waits before the server waits for handlers
        runner, self._runner = self._runner, None
        await runner.cleanup()

    async def __aenter__(self) -> EmulatorServer:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()


async def serve(host: str = "127.0.0.1", port: int = 8081, token: str | None = None) -> None:
    """Run a standalone emulator until cancelled; prints the URL and token to use (``aajel emulator``)."""
    server = EmulatorServer(Emulator(token), host=host, port=port)
    async with server:
        print(f"Telegram Bot API emulator listening on {server.url}", flush=True)
        print(f"  bot token:   {server.token}", flush=True)
        print(f"  Bot API:     {server.url}/bot<token>/<method>  (TELEGRAM_API_URL={server.url})", flush=True)
        print(f"  control API: {server.url}/_emulator/  (see docs/emulator.md)", flush=True)
        await asyncio.Event().wait()
