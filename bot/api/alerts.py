"""CMS API for alerts: create (idempotent), follow, correct and retract.

Handlers are thin, like :mod:`bot.api.channels`: authorize and parse with the server's helpers, call
one service, turn its outcome into a status code, audit, answer JSON.

* ``POST /api/v1/alerts`` — :func:`bot.services.cms_alerts.submit_alert` owns idempotency (keys,
  "same request", replays) and calls the one seam that checks topics and plans recipients. Outcomes:
  201 created, 200 replayed, 409 the key was used with another body, 422 naming ``topics[i]`` for
  the first unknown topic. A key that already exists is looked up before anything else, so a
  repeated key with a changed body is a 409 even if the change is an unknown topic.
* ``GET /api/v1/alerts/{id}`` — :func:`bot.services.corrections.delivery_progress`.
* ``POST …/correction`` and ``…/retraction`` — :mod:`bot.services.corrections` (which owns their
  rules, the correction's length included); a refusal is a 409 with the service's reason.

Every authenticated call appends an ``audit_log`` row (``api.alert.*``) in the same transaction as
the change; the sender is woken only after the commit.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncSession

from bot.api.guard import IdProblem, json_error, parse_id
from bot.api.models import (
    IDEMPOTENCY_KEY_PATTERN,
    AlertAccepted,
    AlertCreate,
    AlertProgress,
    ChangeAccepted,
    CorrectionCreate,
    RetractionCreate,
)
from bot.clock import as_utc
from bot.domain import Urgency
from bot.exceptions import NotFound, ValidationError
from bot.services.cms_alerts import Accepted, CmsAlert, KeyConflict, UnknownTopic, stored_key, submit_alert
from bot.services.corrections import correct_alert, delivery_progress, retract_alert
from bot.services.editor_alerts import get_alert
from bot.services.editors import audit

if TYPE_CHECKING:
    from bot.api.server import ApiServer

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

CREATE = "api.alert.create"


class AlertRoutes:
    """The four alert handlers, bound to a running :class:`~bot.api.server.ApiServer`."""

    def __init__(self, server: ApiServer) -> None:
        self._server = server

    def handlers(self) -> dict[str, Handler]:
        return {
            "createAlert": self.create_alert,
            "getAlert": self.get_alert,
            "correctAlert": self.correct_alert,
            "retractAlert": self.retract_alert,
        }

    async def create_alert(self, request: web.Request) -> web.Response:
        server = self._server
        if (denied := await server._authorize(request, CREATE)) is not None:
            return denied
        client_key = request.headers.get("Idempotency-Key")
        if client_key is not None and not re.fullmatch(IDEMPOTENCY_KEY_PATTERN, client_key):
            await server._audit(CREATE, "invalid", reason="bad Idempotency-Key")
            return json_error(
                400, "Idempotency-Key must be 1-100 printable ASCII characters, no spaces", "Idempotency-Key"
            )
        payload = await server._body(request, AlertCreate)
        if isinstance(payload, web.Response):
            await server._audit(CREATE, "invalid", reason=payload.text or "")
            return payload
        cms_alert = CmsAlert(
            headline=payload.headline,
            body=payload.body,
            url=payload.url,
            urgency=Urgency(payload.level),
            topics=tuple(payload.topics),
        )
        async with server._sessionmaker() as session, session.begin():
            outcome = await submit_alert(session, cms_alert, client_key=client_key, clock=server._clock)
            response = await self._answer(session, outcome, cms_alert, stored_key(client_key))
        if isinstance(outcome, Accepted) and not outcome.replayed:
            server._wake()
        return response

    async def _answer(
        self,
        session: AsyncSession,
        outcome: Accepted | UnknownTopic | KeyConflict,
        cms_alert: CmsAlert,
        key: str | None,
    ) -> web.Response:
        """Audit ``outcome`` (in the request's transaction) and turn it into the HTTP answer."""
        clock = self._server._clock
        if isinstance(outcome, UnknownTopic):
            await audit(
                session,
                actor=None,
                action=CREATE,
                result="invalid",
                clock=clock,
                details={"reason": f"unknown topic {outcome.slug}"},
            )
            return json_error(422, f"unknown topic {outcome.slug!r}", f"topics[{outcome.index}]")
        target = f"alert:{outcome.alert_id}"
        if isinstance(outcome, KeyConflict):
            await audit(
                session,
                actor=None,
                action=CREATE,
                result="conflict",
                target=target,
                clock=clock,
                details={"idempotency_key": key},
            )
            return json_error(
                409, "this Idempotency-Key was already used with a different request body", "Idempotency-Key"
            )
        details: dict[str, Any] = {"idempotency_key": key}
        if not outcome.replayed:
            details |= {
                "recipients": outcome.recipients,
                "headline": cms_alert.headline,
                "topics": list(cms_alert.topics),
            }
        await audit(
            session,
            actor=None,
            action=CREATE,
            result="replayed" if outcome.replayed else "ok",
            target=target,
            clock=clock,
            details=details,
        )
        body = AlertAccepted(
            id=outcome.alert_id,
            replayed=outcome.replayed,
            recipients=outcome.recipients,
            status_url=f"/api/v1/alerts/{outcome.alert_id}",
        )
        return web.json_response(body.model_dump(), status=200 if outcome.replayed else 201)

    async def get_alert(self, request: web.Request) -> web.Response:
        server = self._server
        if (denied := await server._authorize(request, "api.alert.get")) is not None:
            return denied
        alert_id = _alert_id(request)
        if isinstance(alert_id, web.Response):
            return alert_id
        async with server._sessionmaker() as session:
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
        server, action = self._server, "api.alert.correct"
        if (denied := await server._authorize(request, action)) is not None:
            return denied
        alert_id = _alert_id(request)
        if isinstance(alert_id, web.Response):
            return alert_id
        payload = await server._body(request, CorrectionCreate)
        if isinstance(payload, web.Response):
            await server._audit(action, "invalid", target=f"alert:{alert_id}", reason=payload.text or "")
            return payload
        correction = payload.text

        async def change(session: AsyncSession) -> int:
            return await correct_alert(session, alert_id, correction, clock=server._clock)

        return await self._change(action, alert_id, change, {"text": correction})

    async def retract_alert(self, request: web.Request) -> web.Response:
        server, action = self._server, "api.alert.retract"
        if (denied := await server._authorize(request, action)) is not None:
            return denied
        alert_id = _alert_id(request)
        if isinstance(alert_id, web.Response):
            return alert_id
        payload = await server._body(request, RetractionCreate, optional=True)
        if isinstance(payload, web.Response):
            await server._audit(action, "invalid", target=f"alert:{alert_id}", reason=payload.text or "")
            return payload

        async def change(session: AsyncSession) -> int:
            return await retract_alert(session, alert_id, clock=server._clock)

        return await self._change(action, alert_id, change, {"reason": payload.reason})

    async def _change(
        self,
        action: str,
        alert_id: int,
        change: Callable[[AsyncSession], Awaitable[int]],
        details: dict[str, Any],
    ) -> web.Response:
        """Run a correction or retraction: 404 for no alert, 409 when the service refuses, else 202."""
        server = self._server
        clock, target = server._clock, f"alert:{alert_id}"
        async with server._sessionmaker() as session, session.begin():
            try:
                await get_alert(session, alert_id)
            except NotFound:
                await audit(
                    session, actor=None, action=action, result="not_found", target=target, clock=clock
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
                    clock=clock,
                    details={**details, "reason": str(e)},
                )
                return json_error(409, str(e))
            await audit(
                session,
                actor=None,
                action=action,
                result="ok",
                target=target,
                clock=clock,
                details={**details, "copies": copies},
            )
        server._wake()
        body = ChangeAccepted(id=alert_id, copies=copies, status_url=f"/api/v1/alerts/{alert_id}")
        return web.json_response(body.model_dump(), status=202)


def _alert_id(request: web.Request) -> int | web.Response:
    parsed = parse_id(request.match_info["id"])
    if isinstance(parsed, IdProblem):
        return json_error(parsed.status, parsed.message, "id")
    return parsed
