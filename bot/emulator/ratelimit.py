"""Telegram-like flood limits for the emulator: an :class:`~bot.emulator.interceptor.Interceptor`.

Telegram does not publish exact numbers (``shared/notes/telegram-bot-api.md``); the emulator enforces
the documented ones, each configurable:

* **global**: ``global_rate`` messages/s across all chats (default 30), as a token bucket holding
  ``max(3, global_rate × burst_seconds)`` messages — short bursts pass, a sustained excess does not;
* **paid broadcast**: calls with ``allow_paid_broadcast=true`` use ``paid_rate`` (default 1000/s) and its
  own bucket instead of the global one;
* **per chat**: ``per_chat_rate`` messages/s (default 1) with a burst of ``per_chat_burst`` (default 3);
* **per group or channel** (negative chat ids): at most ``group_per_minute`` messages in any sliding
  60 seconds (default 20).

Sends and edits (``sendMessage``, ``editMessageText``, ``editMessageReplyMarkup``) count; deletes and
chat actions do not. A call is refused only if one limit says no, and then consumes nothing; the answer
is Telegram's: HTTP 429, ``Retry-After: N`` and ``parameters.retry_after = N`` where N is the whole
number of seconds (at least 1) until every refusing limit would let it through. Time is the emulator
clock's monotonic time, so tests can drive it.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import asdict, dataclass, field, fields
from typing import Any

from bot.clock import Clock
from bot.emulator.errors import ApiError, EmulatorError
from bot.emulator.interceptor import InterceptedCall

LIMITED_METHODS = frozenset({"sendMessage", "editMessageText", "editMessageReplyMarkup"})


@dataclass(frozen=True)
class LimitConfig:
    global_rate: float = 30.0
    paid_rate: float = 1000.0
    burst_seconds: float = 0.05
    per_chat_rate: float = 1.0
    per_chat_burst: float = 3.0
    group_per_minute: int = 20

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> LimitConfig:
        known = {f.name for f in fields(cls)}
        unknown = set(data) - known
        if unknown:
            raise EmulatorError(f"unknown rate-limit settings: {', '.join(sorted(unknown))}")
        values: dict[str, Any] = {}
        for name, value in data.items():
            if value is None:
                continue
            try:
                number = float(value)
            except (TypeError, ValueError) as e:
                raise EmulatorError(f"{name} must be a number") from e
            if number <= 0 and name != "burst_seconds":
                raise EmulatorError(f"{name} must be positive")
            values[name] = int(number) if name == "group_per_minute" else number
        return cls(**values)


class _Bucket:
    """A token bucket: ``capacity`` tokens, refilled at ``rate`` per second."""

    __slots__ = ("capacity", "rate", "stamp", "tokens")

    def __init__(self, rate: float, capacity: float, now: float) -> None:
        self.rate = rate
        self.capacity = max(1.0, capacity)
        self.tokens = self.capacity
        self.stamp = now

    def wait(self, now: float) -> float:
        """Seconds until one token is available (0: now); refills as a side effect."""
        self.tokens = min(self.capacity, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        return 0.0 if self.tokens >= 1.0 else (1.0 - self.tokens) / self.rate

    def take(self) -> None:
        self.tokens -= 1.0


@dataclass
class LimitStats:
    accepted: int = 0
    limited: int = 0
    by_scope: dict[str, int] = field(default_factory=dict)
    first_accepted: float | None = None
    last_accepted: float | None = None

    def snapshot(self) -> dict[str, Any]:
        span = (
            self.last_accepted - self.first_accepted
            if self.first_accepted is not None and self.last_accepted is not None
            else None
        )
        return {
            "accepted": self.accepted,
            "limited": self.limited,
            "by_scope": dict(self.by_scope),
            "accepted_span_seconds": span,
        }


class RateLimiter:
    """Off until :meth:`configure` is called; :meth:`disable` turns it off and forgets its state."""

    def __init__(self, clock: Clock) -> None:
        self._clock = clock
        self.config: LimitConfig | None = None
        self.stats = LimitStats()
        self._reset_state()

    def _reset_state(self) -> None:
        now = self._clock.monotonic()
        config = self.config or LimitConfig()
        self._global = _Bucket(config.global_rate, config.global_rate * config.burst_seconds, now)
        self._paid = _Bucket(config.paid_rate, config.paid_rate * config.burst_seconds, now)
        self._global.capacity = max(3.0, self._global.capacity)
        self._paid.capacity = max(3.0, self._paid.capacity)
        self._global.tokens, self._paid.tokens = self._global.capacity, self._paid.capacity
        self._chats: dict[int | str, _Bucket] = {}
        self._groups: dict[int | str, deque[float]] = {}

    @property
    def enabled(self) -> bool:
        return self.config is not None

    def configure(self, config: LimitConfig) -> None:
        self.config = config
        self.stats = LimitStats()
        self._reset_state()

    def disable(self) -> None:
        self.config = None
        self.stats = LimitStats()
        self._reset_state()

    def snapshot(self) -> dict[str, Any]:
        return {
            "enabled": self.enabled,
            "config": asdict(self.config) if self.config else None,
            "stats": self.stats.snapshot(),
        }

    async def intercept(self, call: InterceptedCall) -> ApiError | None:
        config = self.config
        if config is None or call.method not in LIMITED_METHODS or call.chat_id is None:
            return None
        now = self._clock.monotonic()
        paid = str(call.params.get("allow_paid_broadcast", "")).lower() in {"true", "1"}
        overall = self._paid if paid else self._global
        chat = self._chats.get(call.chat_id)
        if chat is None:
            chat = self._chats[call.chat_id] = _Bucket(config.per_chat_rate, config.per_chat_burst, now)
        waits = {"paid" if paid else "global": overall.wait(now), "chat": chat.wait(now)}
        window: deque[float] | None = None
        if isinstance(call.chat_id, str) or call.chat_id < 0:
            window = self._groups.setdefault(call.chat_id, deque())
            while window and window[0] <= now - 60.0:
                window.popleft()
            waits["group"] = window[0] + 60.0 - now if len(window) >= config.group_per_minute else 0.0
        refusing = {scope: wait for scope, wait in waits.items() if wait > 0}
        if refusing:
            self.stats.limited += 1
            for scope in refusing:
                self.stats.by_scope[scope] = self.stats.by_scope.get(scope, 0) + 1
            return ApiError.too_many_requests(max(1, math.ceil(max(refusing.values()))))
        overall.take()
        chat.take()
        if window is not None:
            window.append(now)
        self.stats.accepted += 1
        if self.stats.first_accepted is None:
            self.stats.first_accepted = now
        self.stats.last_accepted = now
        if len(self._chats) > 50_000:  # forget chats whose bucket is full again
            self._chats = {
                c: b for c, b in self._chats.items() if b.tokens + (now - b.stamp) * b.rate < b.capacity
            }
        return None
