"""The aiohttp server: CMS API, Telegram webhook, ``/healthz``, ``/metrics`` and the OpenAPI document.

Design and invariants
---------------------
* **One route table** (:func:`operations`) registers the routes and generates the OpenAPI document,
  so the document cannot describe a route that does not exist or miss one that does.
* **Auth.** CMS routes need ``Authorization: Bearer <API__CMS_TOKEN>`` (compared in constant time);
  missing or wrong → 401 JSON with ``WWW-Authenticate: Bearer``. With no token configured the CMS
  routes answer 503 "disabled" — an unset secret never means "open". Health, metrics and the
  document need no token (bind ``API__HOST`` to a private interface).
* **Validation.** Bodies are parsed by the pydantic models of :mod:`bot.api.models` (every text field
  cleaned like a feed headline); the first error comes back as 422 ``{"error": ..., "field":
  "topics[0]"}`` (a JSON path), bad or too deeply nested JSON as 400 (:mod:`bot.api.guard`), a body
  over :data:`MAX_BODY_BYTES` as 413 (audited like any invalid request), a bad ``Idempotency-Key`` as
  400 naming the header, unknown topics as 422 naming the list item, an id that is not ASCII digits as
  422 and one outside the stored range as 404. Bad input never gets a 5xx; every status a route can
  answer is in the OpenAPI document.
* **Idempotency.** ``Idempotency-Key: K`` is stored on the alert as ``cms:K`` (a unique column):
  the same key returns the same alert id (200, ``replayed: true``) and never plans twice; the same
  key with a different body is a 409. Concurrent duplicates are settled by the unique index
  (:func:`bot.services.editor_alerts.send_alert`).
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
import re
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, replace
from typing import Any, TypeVar

from aiogram import Bot, Dispatcher
from aiogram.webhook.aiohttp_server import SimpleRequestHandler
from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from pydantic import BaseModel
from pydantic import ValidationError as PydanticValidationError
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.api.availability import database_unavailable  # issue 9: 503 + Retry-After on outages
from bot.api.channels import ChannelRoutes, channel_operations
from bot.api.guard import (
    SECRET_HEADER,
    BadBody,
    IdProblem,
    RefusalLog,
    error_field,
    json_error,
    parse_id,
    parse_json,
    webhook_handler,
)
from bot.api.models import (
    IDEMPOTENCY_KEY_PATTERN,
    AlertAccepted,
    AlertCreate,
    AlertProgress,
    ChangeAccepted,
    CorrectionCreate,
    Error,
    Health,
    RetractionCreate,
    TelegramUpdate,
)
from bot.api.observe import refresh_gauges
from bot.api.openapi import DISABLED as _DISABLED
from bot.api.openapi import Operation, Response, build_document
from bot.clock import Clock, as_utc
from bot.config import Settings
from bot.console import Console
from bot.db.models import Topic
from bot.domain import Urgency
from bot.exceptions import NotFound, ValidationError
from bot.metrics import API_REQUESTS, REGISTRY
from bot.services.corrections import correct_alert, delivery_progress, retract_alert
from bot.services.editor_alerts import (
    Draft,
    StoredAlert,
    alert_id_by_key,
    get_alert,
    recipients,
    send_alert,
)
from bot.services.editors import audit

log = logging.getLogger(__name__)

API_VERSION = "1.0.0"
HEALTH_TIMEOUT = 3.0
MAX_BODY_BYTES = 64 * 1024

HealthCheck = Callable[[], Awaitable[bool]]
M = TypeVar("M", bound=BaseModel)

_ERR = Response("error", Error)
_UNAUTHORIZED = Response("missing or wrong bearer token", Error, headers={"WWW-Authenticate": "Bearer"})
_BAD_BODY = Response("the body is not JSON, or nests too deeply", Error)
_TOO_LARGE = Response(f"body larger than {MAX_BODY_BYTES} bytes", Error)
_BAD_ID = Response("the id is not a positive integer in ASCII digits", Error)
_NO_ALERT = Response("no such alert (also for an id outside the stored range)", Error)
_INTERNAL = Response("unexpected server error (a bug: bad input never gets a 5xx)", Error)


def operations(*, webhook_path: str | None = None) -> list[Operation]:
    """Every route the server serves (the webhook only in webhook mode)."""
    ops = [
        Operation(
            "POST",
            "/api/v1/alerts",
            "createAlert",
            "Send an urgent alert to the subscribers of its topics",
            "alerts",
            {
                201: Response("created and planned", AlertAccepted),
                200: Response("replay of an earlier request with the same Idempotency-Key", AlertAccepted),
                400: Response("body is not JSON or nests too deeply, or a bad Idempotency-Key", Error),
                401: _UNAUTHORIZED,
                409: Response("the Idempotency-Key was used with a different body", Error),
                413: _TOO_LARGE,
                422: Response("a field is invalid (named in `field`)", Error),
                503: _DISABLED,
            },
            request=AlertCreate,
            bearer=True,
            idempotency_key=True,
        ),
        Operation(
            "GET",
            "/api/v1/alerts/{id}",
            "getAlert",
            "Delivery progress of an alert",
            "alerts",
            {
                200: Response("progress", AlertProgress),
                401: _UNAUTHORIZED,
                404: _NO_ALERT,
                422: _BAD_ID,
                503: _DISABLED,
            },
            bearer=True,
            path_params=("id",),
        ),
        Operation(
            "POST",
            "/api/v1/alerts/{id}/correction",
            "correctAlert",
            "Correct an alert: every delivered copy is edited",
            "alerts",
            {
                202: Response("accepted; follow it with GET /api/v1/alerts/{id}", ChangeAccepted),
                400: _BAD_BODY,
                401: _UNAUTHORIZED,
                404: _NO_ALERT,
                409: Response("the alert cannot be corrected (e.g. it was retracted)", Error),
                413: _TOO_LARGE,
                422: Response("a field or the id is invalid (named in `field`)", Error),
                503: _DISABLED,
            },
            request=CorrectionCreate,
            bearer=True,
            path_params=("id",),
        ),
        Operation(
            "POST",
            "/api/v1/alerts/{id}/retraction",
            "retractAlert",
            "Retract an alert: pending copies are cancelled, delivered ones marked retracted",
            "alerts",
            {
                202: Response("accepted; follow it with GET /api/v1/alerts/{id}", ChangeAccepted),
                400: _BAD_BODY,
                401: _UNAUTHORIZED,
                404: _NO_ALERT,
                409: Response("the alert cannot be retracted (e.g. it already was)", Error),
                413: _TOO_LARGE,
                422: Response("a field or the id is invalid (named in `field`)", Error),
                503: _DISABLED,
            },
            request=RetractionCreate,
            request_required=False,
            bearer=True,
            path_params=("id",),
        ),
        Operation(
            "GET",
            "/api/v1/openapi.json",
            "openapi",
            "This document",
            "meta",
            {200: Response("the OpenAPI 3.1 document")},
        ),
        Operation(
            "GET",
            "/healthz",
            "health",
            "Database, scheduler and sender alive",
            "ops",
            {200: Response("all ok", Health), 503: Response("something is down (named in `down`)", Health)},
        ),
        Operation(
            "GET",
            "/metrics",
            "metrics",
            "Prometheus metrics",
            "ops",
            {200: Response("text exposition format", content_type=CONTENT_TYPE_LATEST.split(";")[0])},
        ),
    ]
    ops += channel_operations()  # GET/PUT /api/v1/channels (bot/api/channels.py)
    if webhook_path is not None:
        ops.append(
            Operation(
                "POST",
                webhook_path,
                "telegramWebhook",
                "Telegram updates (webhook mode only)",
                "telegram",
                {
                    200: Response("accepted"),
                    400: Response("the body is not JSON, nests too deeply, or is not an Update", Error),
                    401: Response("wrong secret token: nothing processed", Error),
                    413: _TOO_LARGE,
                },
                request=TelegramUpdate,
                secret_header=SECRET_HEADER,
            )
        )
    # Any route may fail unexpectedly (a bug, not bad input): documented, so the document is complete.
    return [replace(op, responses={**op.responses, 500: _INTERNAL}) for op in ops]


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
        handlers: dict[str, Callable[[web.Request], Awaitable[web.StreamResponse]]] = {
            "createAlert": self.create_alert,
            "getAlert": self.get_alert,
            "correctAlert": self.correct_alert,
            "retractAlert": self.retract_alert,
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
        for op in self.operations:
            app.router.add_route(op.method, op.path, _counted(op.operation_id, handlers[op.operation_id]))
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
    async def _errors(
        self, request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
    ) -> web.StreamResponse:
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
        self, request: web.Request, model: type[M], *, optional: bool = False
    ) -> M | web.Response:
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

    @staticmethod
    def _alert_id(request: web.Request) -> int | web.Response:
        parsed = parse_id(request.match_info["id"])
        if isinstance(parsed, IdProblem):
            return json_error(parsed.status, parsed.message, "id")
        return parsed

    # --- CMS -------------------------------------------------------------------------------------
    async def create_alert(self, request: web.Request) -> web.Response:
        action = "api.alert.create"
        if (denied := await self._authorize(request, action)) is not None:
            return denied
        key = request.headers.get("Idempotency-Key")
        if key is not None and not re.fullmatch(IDEMPOTENCY_KEY_PATTERN, key):
            await self._audit(action, "invalid", reason="bad Idempotency-Key")
            return json_error(
                400, "Idempotency-Key must be 1-100 printable ASCII characters, no spaces", "Idempotency-Key"
            )
        payload = await self._body(request, AlertCreate)
        if isinstance(payload, web.Response):
            await self._audit(action, "invalid", reason=payload.text or "")
            return payload
        stored_key = f"cms:{key}" if key else None
        outcome: web.Response
        async with self._sessionmaker() as session, session.begin():
            outcome = await self._create(session, payload, stored_key)
        if outcome.status == 201:
            self._wake()
        return outcome

    async def _create(self, session: AsyncSession, payload: AlertCreate, key: str | None) -> web.Response:
        action = "api.alert.create"
        known = set(await session.scalars(select(Topic.slug).where(Topic.slug.in_(payload.topics))))
        for index, slug in enumerate(payload.topics):
            if slug not in known:
                await audit(
                    session,
                    actor=None,
                    action=action,
                    result="invalid",
                    clock=self._clock,
                    details={"reason": f"unknown topic {slug}"},
                )
                return json_error(422, f"unknown topic {slug!r}", f"topics[{index}]")
        if key is not None:
            existing = await alert_id_by_key(session, key)
            if existing is not None:
                return await self._replay(session, existing, payload, key)
        sent = await send_alert(
            session,
            Draft(payload.headline, payload.body, payload.url),
            urgency=Urgency(payload.level),
            topic_slugs=payload.topics,
            clock=self._clock,
            idempotency_key=key,
        )
        if not sent.created:
            return await self._replay(session, sent.alert_id, payload, key)
        await audit(
            session,
            actor=None,
            action=action,
            result="ok",
            target=f"alert:{sent.alert_id}",
            clock=self._clock,
            details={
                "idempotency_key": key,
                "recipients": sent.recipients,
                "headline": payload.headline,
                "topics": payload.topics,
            },
        )
        body = AlertAccepted(
            id=sent.alert_id,
            replayed=False,
            recipients=sent.recipients,
            status_url=f"/api/v1/alerts/{sent.alert_id}",
        )
        return web.json_response(body.model_dump(), status=201)

    async def _replay(
        self, session: AsyncSession, alert_id: int, payload: AlertCreate, key: str | None
    ) -> web.Response:
        stored = await get_alert(session, alert_id)
        target = f"alert:{alert_id}"
        if not _same(stored, payload):
            await audit(
                session,
                actor=None,
                action="api.alert.create",
                result="conflict",
                target=target,
                clock=self._clock,
                details={"idempotency_key": key},
            )
            return json_error(
                409, "this Idempotency-Key was already used with a different request body", "Idempotency-Key"
            )
        count = await recipients(session, alert_id)
        await audit(
            session,
            actor=None,
            action="api.alert.create",
            result="replayed",
            target=target,
            clock=self._clock,
            details={"idempotency_key": key},
        )
        body = AlertAccepted(
            id=alert_id, replayed=True, recipients=count, status_url=f"/api/v1/alerts/{alert_id}"
        )
        return web.json_response(body.model_dump(), status=200)

    async def get_alert(self, request: web.Request) -> web.Response:
        if (denied := await self._authorize(request, "api.alert.get")) is not None:
            return denied
        alert_id = self._alert_id(request)
        if isinstance(alert_id, web.Response):
            return alert_id
        async with self._sessionmaker() as session:
            try:
                stored = await get_alert(session, alert_id)
            except NotFound:
                return json_error(404, f"alert {alert_id} not found", "id")
            progress = await delivery_progress(session, alert_id)
        pending = progress.pending + progress.edits_pending
        body = AlertProgress(
            id=stored.id,
            kind=stored.kind,
            state=stored.state,
            urgency=stored.urgency.value,
            headline=stored.headline,
            created_at=stored.created_at,
            total=progress.total,
            sent=progress.sent,
            failed=progress.failed,
            pending=progress.pending,
            cancelled=progress.cancelled,
            edits_pending=progress.edits_pending,
            edits_done=progress.edits_done,
            edits_failed=progress.edits_failed,
            first_sent_at=as_utc(progress.first_sent_at) if progress.first_sent_at else None,
            last_sent_at=as_utc(progress.last_sent_at) if progress.last_sent_at else None,
            done=pending == 0,
        )
        return web.json_response(body.model_dump(mode="json"))

    async def correct_alert(self, request: web.Request) -> web.Response:
        action = "api.alert.correct"
        if (denied := await self._authorize(request, action)) is not None:
            return denied
        alert_id = self._alert_id(request)
        if isinstance(alert_id, web.Response):
            return alert_id
        payload = await self._body(request, CorrectionCreate)
        if isinstance(payload, web.Response):
            await self._audit(action, "invalid", target=f"alert:{alert_id}", reason=payload.text or "")
            return payload
        text_ = payload.text

        async def change(session: AsyncSession) -> int:
            return await correct_alert(session, alert_id, text_, clock=self._clock)

        return await self._change(action, alert_id, change, {"text": text_})

    async def retract_alert(self, request: web.Request) -> web.Response:
        action = "api.alert.retract"
        if (denied := await self._authorize(request, action)) is not None:
            return denied
        alert_id = self._alert_id(request)
        if isinstance(alert_id, web.Response):
            return alert_id
        payload = await self._body(request, RetractionCreate, optional=True)
        if isinstance(payload, web.Response):
            await self._audit(action, "invalid", target=f"alert:{alert_id}", reason=payload.text or "")
            return payload

        async def change(session: AsyncSession) -> int:
            return await retract_alert(session, alert_id, clock=self._clock)

        return await self._change(action, alert_id, change, {"reason": payload.reason})

    async def _change(
        self,
        action: str,
        alert_id: int,
        change: Callable[[AsyncSession], Awaitable[int]],
        details: dict[str, Any],
    ) -> web.Response:
        target = f"alert:{alert_id}"
        async with self._sessionmaker() as session, session.begin():
            try:
                await get_alert(session, alert_id)
            except NotFound:
                await audit(
                    session, actor=None, action=action, result="not_found", target=target, clock=self._clock
                )
                return json_error(404, f"alert {alert_id} not found", "id")
            try:
                async with session.begin_nested():
                    copies = await change(session)
            except (ValidationError, NotFound) as e:
                await audit(
                    session,
                    actor=None,
                    action=action,
                    result="conflict",
                    target=target,
                    clock=self._clock,
                    details={**details, "reason": str(e)},
                )
                return json_error(409, str(e))
            await audit(
                session,
                actor=None,
                action=action,
                result="ok",
                target=target,
                clock=self._clock,
                details={**details, "copies": copies},
            )
        self._wake()
        body = ChangeAccepted(id=alert_id, copies=copies, status_url=f"/api/v1/alerts/{alert_id}")
        return web.json_response(body.model_dump(), status=202)

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


def _same(stored: StoredAlert, payload: AlertCreate) -> bool:
    """Is ``payload`` the request that created ``stored`` (for an Idempotency-Key replay)?"""
    return (
        stored.headline == payload.headline.strip()
        and (stored.body or None) == payload.body
        and (stored.url or None) == payload.url
        and stored.urgency.value == payload.level
        and set(stored.topic_slugs) == set(payload.topics)
    )


def _counted(
    operation_id: str, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
    async def counted(request: web.Request) -> web.StreamResponse:
        response = await handler(request)
        API_REQUESTS.labels(operation=operation_id, status=str(response.status)).inc()
        return response

    return counted


async def database_alive(sessionmaker: async_sessionmaker[AsyncSession]) -> bool:
    async with sessionmaker() as session:
        value = await session.scalar(text("SELECT 1"))
        return bool(value == 1)
