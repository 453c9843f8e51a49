"""Pacing for Telegram's limits — pure bookkeeping on an injected monotonic clock.

* :class:`Pacer`: an evenly spaced global rate (messages/second). Spacing rather than a bursty token
  bucket keeps us under Telegram's flood detector, which punishes bursts; after a 429 the whole pace
  is pushed back (:meth:`Pacer.pause`, by at most ``DELIVERY__FLOOD_PAUSE_MAX_SECONDS`` — the chat that
  got the 429 waits its full ``retry_after`` in :class:`ChatLimits`) and slowed for a while
  (:meth:`Pacer.slow_down`), recovering 5% per send.
* :class:`ChatLimits`: per-chat spacing (≈1 message/s) and a sliding 60-second window for groups and
  channels (≈20 messages/minute). It never sleeps: it says *when* a chat is next free, so the sender
  can postpone that one delivery and keep every other chat moving.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict, deque

from bot.clock import Clock


class Pacer:
    def __init__(self, rate: float, clock: Clock) -> None:
        self._base_interval = 1.0 / rate
        self._interval = self._base_interval
        self._clock = clock
        self._next = 0.0

    @property
    def rate(self) -> float:
        return 1.0 / self._interval

    CATCH_UP_SECONDS = 0.01
    """How far behind schedule a slot may be taken. An event loop wakes up late (timer granularity,
    other tasks); without this every late wake-up would be lost for good and 1000 msg/s would come out
    as ~700. With it the long-run rate is exact while busy, and no message goes out more than 10 ms
    ahead of its evenly spaced slot (at most 10 extra messages at 1000/s). After an idle spell the
    schedule restarts at "now" (no burst). Not used while slowed down after a 429."""

    def reserve(self) -> float:
        """Reserve the next slot; returns how long the caller must wait for it."""
        now = self._clock.monotonic()
        slack = self.CATCH_UP_SECONDS if self._interval == self._base_interval else 0.0
        # late by at most `slack`: keep the schedule; idle for longer: start afresh at `now`
        slot = self._next if now - slack <= self._next else now
        self._next = slot + self._interval
        # recover 5% of the way back to the configured pace on each send
        self._interval = max(self._base_interval, self._interval * 0.95)
        return max(0.0, slot - now)

    async def acquire(self) -> None:
        wait = self.reserve()
        if wait > 0:
            await asyncio.sleep(wait)

    def pause(self, seconds: float) -> None:
        self._next = max(self._next, self._clock.monotonic() + seconds)

    def slow_down(self, factor: float = 2.0) -> None:
        self._interval = min(self._interval * factor, self._base_interval * 16)


class ChatLimits:
    def __init__(self, clock: Clock, *, per_chat_interval: float, group_per_minute: int) -> None:
        self._clock = clock
        self._interval = per_chat_interval
        self._group_cap = group_per_minute
        self._next_free: dict[int, float] = {}
        self._group_sends: defaultdict[int, deque[float]] = defaultdict(deque)

    @staticmethod
    def is_group(chat_id: int) -> bool:
        """Groups, supergroups and channels have negative ids in the Bot API."""
        return chat_id < 0

    def wait_for(self, chat_id: int) -> float:
        """Seconds until ``chat_id`` may receive another message (0 = now)."""
        now = self._clock.monotonic()
        wait = max(0.0, self._next_free.get(chat_id, 0.0) - now)
        if self.is_group(chat_id):
            window = self._group_sends[chat_id]
            while window and window[0] <= now - 60.0:
                window.popleft()
            if len(window) >= self._group_cap:
                wait = max(wait, window[0] + 60.0 - now)
        return wait

    def record(self, chat_id: int) -> None:
        now = self._clock.monotonic()
        self._next_free[chat_id] = now + self._interval
        if self.is_group(chat_id):
            self._group_sends[chat_id].append(now)

    def prune(self) -> None:
        """Forget chats that are free again, so memory follows the chats in flight, not the audience."""
        now = self._clock.monotonic()
        self._next_free = {chat: at for chat, at in self._next_free.items() if at > now}
        for chat in [
            chat for chat, window in self._group_sends.items() if not window or window[-1] <= now - 60
        ]:
            del self._group_sends[chat]

    def __len__(self) -> int:
        return len(self._next_free) + len(self._group_sends)

    def postpone(self, chat_id: int, seconds: float) -> None:
        """A 429 for this chat: keep it quiet for ``seconds``."""
        self._next_free[chat_id] = max(self._next_free.get(chat_id, 0.0), self._clock.monotonic() + seconds)
