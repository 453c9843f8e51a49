"""The seam for rate limits and fault injection.

Before the emulator executes a send, edit or delete (see :data:`INTERCEPTED_METHODS`) it asks each
registered :class:`Interceptor`, in order, whether to let the call through. The first one that returns
an :class:`~bot.emulator.errors.ApiError` wins: that error is the response (a 429 also gets the
``Retry-After`` header), the call is logged like any other, and no state changes. Interceptors see the
call *before* validation, the way a flood limit in front of Telegram would.

:class:`FaultInjector` is the one interceptor shipped here: scripted one-shot (or n-shot) errors, used by
tests and exposed through the control API. A full Telegram-like limiter (per chat, per group per
minute, global) is meant to be another :class:`Interceptor` plugged into the same list.
"""

from __future__ import annotations

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


class Interceptor(Protocol):
    async def intercept(self, call: InterceptedCall) -> ApiError | None:
        """Return an error to answer instead of executing the call, or ``None`` to let it through."""
        ...


@dataclass(slots=True)
class FaultRule:
    id: int
    error: ApiError
    method: str | None = None  # None matches every intercepted method
    chat_id: int | str | None = None  # None matches every chat
    remaining: int = 1
    hits: list[datetime] = field(default_factory=list)

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
            "error": self.error.envelope(),
        }


class FaultInjector:
    """Answers the next ``times`` matching calls with a scripted error, then lets calls through again."""

    def __init__(self) -> None:
        self.rules: list[FaultRule] = []
        self._ids = itertools.count(1)

    def inject(
        self,
        error: ApiError,
        *,
        method: str | None = None,
        chat_id: int | str | None = None,
        times: int = 1,
    ) -> FaultRule:
        rule = FaultRule(next(self._ids), error, method, chat_id, times)
        self.rules.append(rule)
        return rule

    def clear(self) -> None:
        self.rules.clear()

    async def intercept(self, call: InterceptedCall) -> ApiError | None:
        for rule in self.rules:
            if rule.matches(call):
                rule.remaining -= 1
                rule.hits.append(call.at)
                return rule.error
        return None
