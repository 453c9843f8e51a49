"""Hostile-request guards for the HTTP server: JSON bodies, path ids, and refusals without amplification.

Design and invariants
---------------------
* **Bodies** (:func:`parse_json`): size is capped by aiohttp (``client_max_size``) before this sees a
  byte; here a body that is not UTF-8/JSON, or nests deeper than :data:`MAX_JSON_DEPTH` (no request
  of ours nests more than 3), is a :class:`BadBody` — the server answers 400, never 500. Python's
  decoder raises ``RecursionError`` on ``[`` × 30 000; that is caught too.
* **Path ids** (:func:`parse_id`): ASCII digits only (``str.isdigit`` accepts ``١``, which ``int``
  reads as 1 — another alert!) → else 422; a value outside the stored range (alert ids are 32-bit
  ``INTEGER`` columns: PostgreSQL int4; SQLite's rowid could hold 2^63 but no id above 2^31−1 is ever
  issued there either) → 404 without touching the database, so neither engine sees an overflow.
* **Webhook** (:func:`webhook_handler`): the secret header is compared in constant time before the
  body is read; then the body must be JSON (above), an object, and validate as an aiogram
  ``Update`` — else 400 naming the problem — before aiogram's own handler gets it.
* **Refusals** (:class:`RefusalLog`): an unauthenticated request costs the attacker one request and
  must not cost us one audit row each, or anyone who reaches the port grows the database without
  bound. Per client (an IPv4 address, or an IPv6 /64 — one host owns a whole /64) and per minute of
  the injected clock: the *first* refusal is written at once (a single probe is visible in the audit
  log immediately), later ones are only counted, and when the minute is over one ``api.refused`` /
  ``aggregated`` row records the count. At most :data:`MAX_CLIENTS_PER_MINUTE` clients are tracked
  per minute; the rest share one ``*`` bucket. So a flood writes at most 2 × (N + 1) rows a minute,
  whatever its rate or number of addresses. Counts are flushed by the first refusal of a later minute
  and when the server stops (:meth:`RefusalLog.flush`).
"""

from __future__ import annotations

import hmac
import ipaddress
import json
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from aiogram.types import Update
from aiogram.webhook.aiohttp_server import SimpleRequestHandler
from aiohttp import web
from pydantic import ValidationError as PydanticValidationError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.api.models import Error
from bot.clock import Clock
from bot.services.editors import audit

log = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"

MAX_JSON_DEPTH = 16
MAX_ID = 2**31 - 1
"""The largest alert id either engine stores (32-bit INTEGER primary key)."""
MAX_CLIENTS_PER_MINUTE = 100
OVERFLOW_CLIENT = "*"


def json_error(status: int, message: str, field: str | None = None, **headers: str) -> web.Response:
    body = Error(error=message, field=field).model_dump(exclude_none=True)
    return web.json_response(body, status=status, headers=headers or None)


def error_field(loc: tuple[int | str, ...]) -> str:
    """pydantic's ``("topics", 0)`` → ``topics[0]``; the whole body → ``$``."""
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "$"


class BadBody(Exception):
    """The body is not acceptable JSON; ``message`` is safe to return to the client."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def _too_deep(value: Any, limit: int) -> bool:
    """Iterative depth check (a recursive one would be the very stack overflow we guard against)."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict | list):
            if depth > limit:
                return True
            children = item.values() if isinstance(item, dict) else item
            stack.extend((child, depth + 1) for child in children if isinstance(child, dict | list))
    return False


def parse_json(raw: bytes) -> Any:
    """Decode a request body; :class:`BadBody` for anything but reasonably shaped JSON."""
    try:
        data = json.loads(raw)
    except RecursionError as e:
        raise BadBody(f"request body nests deeper than {MAX_JSON_DEPTH} levels") from e
    except (ValueError, UnicodeDecodeError) as e:
        raise BadBody("request body is not valid JSON") from e
    if _too_deep(data, MAX_JSON_DEPTH):
        raise BadBody(f"request body nests deeper than {MAX_JSON_DEPTH} levels")
    return data


@dataclass(frozen=True, slots=True)
class IdProblem:
    status: int  # 422: not an id at all; 404: an id no row can have
    message: str


def parse_id(raw: str, what: str = "alert") -> int | IdProblem:
    """A path id: ASCII digits, 1..:data:`MAX_ID` (see the module docstring)."""
    if not raw or not raw.isascii() or not raw.isdigit():
        return IdProblem(422, f"the {what} id must be a positive integer written in ASCII digits")
    if len(raw) > 10 or not 1 <= int(raw) <= MAX_ID:
        return IdProblem(404, f"{what} {raw[:20]}{'…' if len(raw) > 20 else ''} not found")
    return int(raw)


def client_key(remote: str | None) -> str:
    """The bucket of a client address: the IPv4 address, or the /64 of an IPv6 one."""
    if not remote:
        return "unknown"
    try:
        ip = ipaddress.ip_address(remote.split("%", 1)[0])
    except ValueError:
        return remote[:64]
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is None:
        return str(ipaddress.IPv6Network((int(ip) >> 64 << 64, 64)))
    return str(ip.ipv4_mapped if isinstance(ip, ipaddress.IPv6Address) else ip)


class RefusalLog:
    """Audit of refused requests, rate-limited and aggregated per client and minute (module doc)."""

    def __init__(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        clock: Clock,
        *,
        max_clients: int = MAX_CLIENTS_PER_MINUTE,
    ) -> None:
        self._sessionmaker = sessionmaker
        self._clock = clock
        self._max_clients = max_clients
        self._minute: datetime | None = None
        self._counts: dict[str, int] = {}

    async def record(self, action: str, *, remote: str | None, reason: str) -> bool:
        """Count one refusal; True when it was written as its own audit row (the client's first)."""
        minute = self._clock.now().replace(second=0, microsecond=0)
        if self._minute is not None and minute != self._minute:
            await self.flush()
        self._minute = minute
        key = client_key(remote)
        if key not in self._counts and len(self._counts) >= self._max_clients:
            key = OVERFLOW_CLIENT
        first = key not in self._counts
        self._counts[key] = self._counts.get(key, 0) + 1
        if first:
            await self._write(action, "refused", {"remote": key, "reason": reason})
        return first

    async def flush(self) -> None:
        """Write one ``aggregated`` row per client refused more than once in the closed minute."""
        counts, minute = self._counts, self._minute
        self._counts, self._minute = {}, None
        repeated = {key: count for key, count in counts.items() if count > 1}
        if not repeated or minute is None:
            return
        async with self._sessionmaker() as session, session.begin():
            for key, count in sorted(repeated.items()):
                await audit(
                    session,
                    actor=None,
                    action="api.refused",
                    result="aggregated",
                    clock=self._clock,
                    details={"remote": key, "minute": minute.isoformat(), "count": count},
                )

    async def _write(self, action: str, result: str, details: dict[str, Any]) -> None:
        async with self._sessionmaker() as session, session.begin():
            await audit(session, actor=None, action=action, result=result, clock=self._clock, details=details)


def webhook_handler(
    hook: SimpleRequestHandler, secret: str, refusals: RefusalLog
) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
    """aiogram's webhook handler behind the checks of the module docstring."""
    expected = secret.encode()

    async def handle(request: web.Request) -> web.StreamResponse:
        given = request.headers.get(SECRET_HEADER, "").encode("utf-8", "surrogateescape")
        if not hmac.compare_digest(given, expected):
            if await refusals.record("api.webhook", remote=request.remote, reason="wrong secret"):
                log.warning("webhook call with a wrong secret token from %s refused", request.remote)
            return json_error(401, "wrong secret token", SECRET_HEADER)
        try:
            data = parse_json(await request.read())
        except BadBody as e:
            return json_error(400, e.message, "$")
        if not isinstance(data, dict):
            return json_error(400, "a Telegram update is a JSON object", "$")
        try:
            Update.model_validate(data)
        except PydanticValidationError as e:
            first = e.errors()[0]
            return json_error(400, f"not a Telegram update: {first['msg']}", error_field(tuple(first["loc"])))
        return await hook.handle(request)  # aiogram re-reads the (cached) body

    return handle
