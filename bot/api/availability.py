"""503 + ``Retry-After`` while the database is unreachable: never a 201 for an alert not stored.

An aiohttp middleware, innermost of the server's (it sees a handler's exception before the generic
500 handler does). A request whose handler failed because the database is unreachable or locked
(:func:`bot.db.session.is_database_unavailable`) gets ``503 Service Unavailable`` with ``Retry-After``
and a JSON error the CMS can show. Nothing was committed — the handler's transaction failed — so the
CMS retries the same request (with its ``Idempotency-Key``, a retry that did get through is replayed,
not duplicated).

Why catch the failure rather than check first: a probe before every request costs a round trip and
still races the outage; the transaction that failed is the one true witness. ``/healthz`` reports the
database separately.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from aiohttp import web

from bot.db.session import is_database_unavailable

log = logging.getLogger(__name__)

RETRY_AFTER_SECONDS = 5
"""What a client is told to wait: about the time Aajel needs to notice the database is back."""

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@web.middleware
async def database_unavailable(request: web.Request, handler: Handler) -> web.StreamResponse:
    try:
        return await handler(request)
    except web.HTTPException:
        raise
    except Exception as e:
        if not is_database_unavailable(e):
            raise
        log.warning("%s %s: database unavailable (%s): answered 503", request.method, request.path, e)
        return web.json_response(
            {"error": "the database is temporarily unavailable; retry later"},
            status=503,
            headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
        )
