"""The aiohttp server: CMS API, Telegram webhook, ``/healthz``, ``/metrics`` and the OpenAPI document.

Where things are
----------------
* :mod:`bot.api.routes` — the one route table (:func:`~bot.api.routes.operations`): it registers the
  routes here and generates the OpenAPI document, so the two cannot drift apart.
* :mod:`bot.api.alerts` and :mod:`bot.api.channels` — the CMS handlers; idempotency of ``POST
  /api/v1/alerts`` is a service (:mod:`bot.services.cms_alerts`), not HTTP code.
* This module — the server's lifecycle (:class:`ApiServer`: build the app, start, stop) and the
  plumbing every handler shares: auth, body parsing, audit, JSON errors; plus health and metrics.

Design and invariants
---------------------
* **Auth.** CMS routes need ``Authorization: Bearer <API__CMS_TOKEN>`` (compared in constant time);
  missing or wrong → 401 JSON with ``WWW-Authenticate: Bearer``. With no token configured the CMS
  routes answer 503 "disabled" — an unset secret never means "open". Health, metrics and the
  document need no token (bind ``API__HOST`` to a private interface).
* **Validation.** Bodies are parsed by the pydantic models of :mod:`bot.api.models` (every text field
  cleaned like a feed headline); the first error comes back as 422 ``{"error": ..., "field":
  "topics[0]"}`` (a JSON path), bad or too deeply nested JSON as 400 (:mod:`bot.api.guard`), a body
  over :data:`~bot.api.routes.MAX_BODY_BYTES` as 413 (audited like any invalid request), a bad
  ``Idempotency-Key`` as 400 naming the header, unknown topics as 422 naming the list item, an id that
  is not ASCII digits as 422 and one outside the stored range as 404. Bad input never gets a 5xx;
  every status a route can answer is in the OpenAPI document.
* **Idempotency.** ``Idempotency-Key: K``: the same key returns the same alert id (200,
  ``replayed: true``) and never plans twice; the same key with a different body is a 409
  (:mod:`bot.services.cms_alerts`).
* **Transactions** are one short session per request, never held across anything but the database;
  the sender is woken only after the commit.
* **Audit.** Every authenticated CMS call — accepted, invalid, too large or conflicting — appends an
  ``audit_log`` row (``actor`` NULL, ``action`` ``api.*``). Refused ones (401, and webhook calls with
  a wrong secret) go through :class:`bot.api.guard.RefusalLog`: the first per client and minute is a
  row, the rest one aggregated count — a flood cannot grow the database without bound.
* **Webhook** (webhook mode only): aiogram's :class:`~aiogram.webhook.aiohttp_server.SimpleRequestHandler`
  on the same app. The secret (``X-Telegram-Bot-Api-Secret-Token``) is checked before the body is
  read, so a mismatch is a 401 and nothing is processed; with the right secret a body that is not
  JSON, nests too deeply, or is not an ``Update`` is a 400 naming the problem, never a 500.
* Unknown routes and unexpected errors answer JSON too (404/405/500), never an HTML page.
"""

from __future__ import annotations

import asyncio
import hmac
import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

from aiogram import Bot, Dispatcher
from aiogram.webhook.aiohttp_server import SimpleRequestHandler
from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from pydantic import BaseModel
from pydantic import ValidationError as PydanticValidationError
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.api.alerts import AlertRoutes
from bot.api.availability import database_unavailable  # issue 9: 503 + Retry-After on outages
from bot.api.channels import ChannelRoutes
from bot.api.guard import BadBody, RefusalLog, error_field, json_error, parse_json, webhook_handler
from bot.api.models import Health
from bot.api.observe import refresh_gauges
from bot.api.openapi import build_document
from bot.api.routes import MAX_BODY_BYTES, operations
from bot.clock import Clock
from bot.config import Settings
from bot.console import Console
from bot.metrics import API_REQUESTS, REGISTRY
from bot.services.editors import audit

log = logging.getLogger(__name__)

API_VERSION = "1.0.0"
HEALTH_TIMEOUT = 3.0

HealthCheck = Callable[[], Awaitable[bool]]
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
Model = TypeVar("Model", bound=BaseModel)


@dataclass(frozen=True, slots=True)
class WebhookRoute:
    path: str
    dispatcher: Dispatcher
    bot: Bot
    secret: str


class ApiServer:
    """Builds the aiohttp app and runs it on ``API__HOST:API__PORT`` (port 0: any free port)."""

    def __init__(
        self,
        *,
        settings: Settings,
        sessionmaker: async_sessionmaker[AsyncSession],
        clock: Clock,
        wake: Callable[[], None],
        checks: Mapping[str, HealthCheck],
        webhook: WebhookRoute | None = None,
    ) -> None:
        self._settings = settings
        self._sessionmaker = sessionmaker
        self._clock = clock
        self._wake = wake
        self._checks = dict(checks)
        self._webhook = webhook
        token = settings.api.cms_token
        self._token = (
            token.get_secret_value().encode() if token is not None and token.get_secret_value() else None
        )
        self._runner: web.AppRunner | None = None
        self.refusals = RefusalLog(sessionmaker, clock)
        self.port: int | None = None
        self.operations = operations(webhook_path=webhook.path if webhook else None)
        self.document = build_document(self.operations, title="Aajel API", version=API_VERSION)

    # --- lifecycle -------------------------------------------------------------------------------
    def make_app(self) -> web.Application:
        app = web.Application(
            middlewares=[self._errors, database_unavailable], client_max_size=MAX_BODY_BYTES
        )
        handlers: dict[str, Handler] = {
            **AlertRoutes(self).handlers(),
            "openapi": self.openapi,
            "health": self.health,
            "metrics": self.metrics,
            **ChannelRoutes(self).handlers(),
        }
        if self._webhook is not None:
            hook = SimpleRequestHandler(
                self._webhook.dispatcher, self._webhook.bot, secret_token=self._webhook.secret
            )
            handlers["telegramWebhook"] = webhook_handler(hook, self._webhook.secret, self.refusals)
        for operation in self.operations:
            handler = handlers[operation.operation_id]
            app.router.add_route(operation.method, operation.path, _counted(operation.operation_id, handler))
        # the editors' console (HTML pages under /console; see bot/console)
        Console(self._settings, self._sessionmaker, self._clock, self._wake).register(app)
        return app

    async def start(self) -> None:
        self._runner = web.AppRunner(self.make_app(), access_log=None, handle_signals=False)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self._settings.api.host, self._settings.api.port)
        await site.start()
        address = self._runner.addresses[0]
        self.port = int(address[1])
        log.info(
            "HTTP API on http://%s:%s (CMS API %s)",
            self._settings.api.host,
            self.port,
            "enabled" if self._token else "disabled: API__CMS_TOKEN not set",
        )

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        try:
            await self.refusals.flush()
        except Exception:  # the counts are a record, not state: losing them must not block shutdown
            log.warning("could not write the last refused-request counts", exc_info=True)

    @property
    def url(self) -> str:
        return f"http://{self._settings.api.host}:{self.port}"

    # --- plumbing --------------------------------------------------------------------------------
    @web.middleware
    async def _errors(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        try:
            return await handler(request)
        except web.HTTPRequestEntityTooLarge:
            return json_error(413, f"request body larger than {MAX_BODY_BYTES} bytes")
        except web.HTTPException as e:
            if e.status >= 400:
                return json_error(e.status, e.reason)
            raise
        except Exception:
            log.exception("%s %s failed", request.method, request.path)
            return json_error(500, "internal error")

    async def _audit(self, action: str, result: str, *, target: str | None = None, **details: Any) -> None:
        async with self._sessionmaker() as session, session.begin():
            await audit(
                session,
                actor=None,
                action=action,
                result=result,
                target=target,
                clock=self._clock,
                details=details,
            )

    async def _authorize(self, request: web.Request, action: str) -> web.Response | None:
        if self._token is None:
            return json_error(503, "the CMS API is disabled: set API__CMS_TOKEN to enable it")
        header = request.headers.get("Authorization", "")
        scheme, _, given = header.partition(" ")
        if (
            scheme.lower() == "bearer"
            and given
            and hmac.compare_digest(given.strip().encode("utf-8", "surrogateescape"), self._token)
        ):
            return None
        await self.refusals.record(
            action, remote=request.remote, reason="missing" if not header else "wrong token"
        )
        message = "missing bearer token" if not header else "invalid bearer token"
        return json_error(401, message, "Authorization", **{"WWW-Authenticate": "Bearer"})

    async def _body(
        self, request: web.Request, model: type[Model], *, optional: bool = False
    ) -> Model | web.Response:
        try:
            raw = await request.read()
        except web.HTTPRequestEntityTooLarge:
            return json_error(413, f"request body larger than {MAX_BODY_BYTES} bytes", "$")
        if not raw.strip():
            if optional:
                return model()
            return json_error(400, "a JSON body is required", "$")
        try:
            data = parse_json(raw)
        except BadBody as e:
            return json_error(400, e.message, "$")
        try:
            return model.model_validate(data)
        except PydanticValidationError as e:
            first = e.errors()[0]
            return json_error(422, first["msg"], error_field(tuple(first["loc"])))

    # --- meta and ops ----------------------------------------------------------------------------
    async def openapi(self, request: web.Request) -> web.Response:
        return web.json_response(self.document)

    async def health(self, request: web.Request) -> web.Response:
        names = list(self._checks)
        results = await asyncio.gather(*(self._check(self._checks[name]) for name in names))
        checks = {name: ("ok" if ok else "down") for name, ok in zip(names, results, strict=True)}
        down = [name for name, ok in zip(names, results, strict=True) if not ok]
        body = Health(status="down" if down else "ok", checks=checks, down=down)
        return web.json_response(body.model_dump(), status=503 if down else 200)

    @staticmethod
    async def _check(check: HealthCheck) -> bool:
        try:
            return bool(await asyncio.wait_for(check(), timeout=HEALTH_TIMEOUT))
        except Exception:
            log.warning("health check failed", exc_info=True)
            return False

    async def metrics(self, request: web.Request) -> web.Response:
        try:
            async with self._sessionmaker() as session:
                await refresh_gauges(session, self._clock)
        except Exception:  # stale gauges beat no metrics at all
            log.warning("could not refresh gauges from the database", exc_info=True)
        return web.Response(body=generate_latest(REGISTRY), headers={"Content-Type": CONTENT_TYPE_LATEST})


def _counted(operation_id: str, handler: Handler) -> Handler:
    async def counted(request: web.Request) -> web.StreamResponse:
        response = await handler(request)
        API_REQUESTS.labels(operation=operation_id, status=str(response.status)).inc()
        return response

    return counted


async def database_alive(sessionmaker: async_sessionmaker[AsyncSession]) -> bool:
    async with sessionmaker() as session:
        value = await session.scalar(text("SELECT 1"))
        return bool(value == 1)
