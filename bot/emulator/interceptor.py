"""The seam for rate limits and fault injection.

Before the emulator executes a send, edit or delete (see :data:`INTERCEPTED_METHODS`) it asks each
registered :class:`Interceptor`, in order, whether to let the call through. The first one that returns
an :class:`~bot.emulator.errors.ApiError` wins: that error is the response (a 429 also gets the
``Retry-After`` header), the call is logged like any other, and no state changes. An interceptor may
also take its time (a slow server) or raise :class:`ConnectionReset` (the HTTP layer then drops the
connection without answering). Interceptors see the call *before* validation, the way a flood limit in
front of Telegram would.

:class:`FaultInjector` scripts n-shot faults, used by tests and exposed through the control API:

* ``error`` — answer with an :class:`ApiError` (5xx, 403 blocked/kicked, a migration, a 429 …);
* ``delay`` — wait ``delay`` seconds first (past the client's timeout), then answer ``error`` if one
  is given, else execute the call late — as a slow Telegram does, which is why a timed-out send may
  still have been delivered;
* ``reset`` — close the connection without an answer (the client sees a reset / disconnect).

:class:`bot.emulator.ratelimit.RateLimiter` (Telegram's flood limits) is the other interceptor; the
emulator asks the fault injector first, then the limiter.
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from bot.emulator.errors import ApiError

INTERCEPTED_METHODS = frozenset(
    {"sendMessage", "editMessageText", "editMessageReplyMarkup", "deleteMessage", "sendChatAction"}
)


@dataclass(frozen=True, slots=True)
class InterceptedCall:
    """What an interceptor is told about a call it may veto."""

    method: str  # canonical spelling, e.g. "sendMessage"
    chat_id: int | str | None  # as the bot sent it (an id or "@username"); None when missing
    params: Mapping[str, Any]
    at: datetime


FAULT_ACTIONS = ("error", "delay", "reset")


class ConnectionReset(Exception):
    """Raised by an interceptor: drop the HTTP connection without answering."""


class Interceptor(Protocol):
    async def intercept(self, call: InterceptedCall) -> ApiError | None:
        """Return an error to answer instead of executing the call, or ``None`` to let it through."""
        ...


@dataclass(slots=True)
class FaultRule:
    id: int
    error: ApiError | None  # None only for "delay" (execute late) and "reset"
    method: str | None = None  # None matches every intercepted method
    chat_id: int | str | None = None  # None matches every chat
    remaining: int = 1
    hits: list[datetime] = field(default_factory=list)
    action: str = "error"
    delay: float = 0.0

    def matches(self, call: InterceptedCall) -> bool:
        return (
            self.remaining > 0
            and (self.method is None or self.method.lower() == call.method.lower())
            and (self.chat_id is None or self.chat_id == call.chat_id)
        )

    def snapshot(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "method": self.method,
            "chat_id": self.chat_id,
            "remaining": self.remaining,
            "hits": len(self.hits),
            "action": self.action,
            "delay_seconds": self.delay,
            "error": self.error.envelope() if self.error is not None else None,
        }


class FaultInjector:
    """Answers the next ``times`` matching calls with a scripted error, then lets calls through again."""

    def __init__(self) -> None:
        self.rules: list[FaultRule] = []
        self._ids = itertools.count(1)

    def inject(
        self,
        error: ApiError | None,
        *,
        method: str | None = None,
        chat_id: int | str | None = None,
        times: int = 1,
        action: str = "error",
        delay: float = 0.0,
    ) -> FaultRule:
        if action not in FAULT_ACTIONS:
            raise ValueError(f"unknown fault action {action!r}")
        if action == "error" and error is None:
            raise ValueError("an error fault needs an error")
        rule = FaultRule(next(self._ids), error, method, chat_id, times, action=action, delay=delay)
        self.rules.append(rule)
        return rule

    def clear(self) -> None:
        self.rules.clear()

    async def intercept(self, call: InterceptedCall) -> ApiError | None:
        for rule in self.rules:
            if rule.matches(call):
                rule.remaining -= 1
                rule.hits.append(call.at)
                if rule.action == "reset":
                    raise ConnectionReset(f"fault rule {rule.id}")
                if rule.action == "delay":
                    await asyncio.sleep(rule.delay)
                return rule.error
        return None
