"""The route table: every route the HTTP server serves, as data.

One list (:func:`operations`) both registers the aiohttp routes (:class:`bot.api.server.ApiServer`
looks each ``operation_id`` up in its handlers) and generates the OpenAPI document
(:func:`bot.api.openapi.build_document`), so the document cannot describe a route that does not exist
or miss one that does. Every status a route can answer is listed here — a 500 on every route too,
because a bug is the only way to get one (bad input never gets a 5xx).
"""

from __future__ import annotations

from dataclasses import replace

from prometheus_client import CONTENT_TYPE_LATEST

from bot.api.channels import channel_operations
from bot.api.guard import SECRET_HEADER
from bot.api.models import (
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
from bot.api.openapi import DISABLED, Operation, Response

MAX_BODY_BYTES = 64 * 1024
"""Largest request body any route reads (aiohttp refuses a larger one: 413)."""

_UNAUTHORIZED = Response("missing or wrong bearer token", Error, headers={"WWW-Authenticate": "Bearer"})
_BAD_BODY = Response("the body is not JSON, or nests too deeply", Error)
_TOO_LARGE = Response(f"body larger than {MAX_BODY_BYTES} bytes", Error)
_BAD_ID = Response("the id is not a positive integer in ASCII digits", Error)
_NO_ALERT = Response("no such alert (also for an id outside the stored range)", Error)
_INTERNAL = Response("unexpected server error (a bug: bad input never gets a 5xx)", Error)


def operations(*, webhook_path: str | None = None) -> list[Operation]:
    """Every route the server serves (the webhook only in webhook mode)."""
    table = [
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
                503: DISABLED,
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
                503: DISABLED,
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
                503: DISABLED,
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
                503: DISABLED,
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
    table += channel_operations()  # GET/PUT /api/v1/channels (bot/api/channels.py)
    if webhook_path is not None:
        table.append(
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
    return [replace(operation, responses={**operation.responses, 500: _INTERNAL}) for operation in table]
