"""Pacing for Telegram's limits — pure bookkeeping on an injected monotonic clock.

* :class:`Pacer`: the global rate (messages/second), enforced **at the moment a message is let go**,
  never by reserving future slots. Two rules, both must agree:

  1. *even spacing*: one message per ``1/rate`` seconds. A late wake-up (timer granularity, a busy
     event loop) may take a slot up to :attr:`Pacer.catch_up` seconds in the past, so the long-run rate stays
     exact while busy — but no further back: time lost to a stall is lost, it is never made up in a
     burst;
  2. *a hard sliding window*: never more than ``floor(rate × WINDOW_SECONDS × (1 − WINDOW_HEADROOM))``
     messages let go in any ``WINDOW_SECONDS`` (1 s) window, whatever happened to the process in between.
     The 5 % headroom is for what happens between the grant and Telegram's clock: an event-loop stall
     after a grant (a poll parsing a feed in the same loop), network and server-side jitter delay some
     messages and not the next ones, which compresses the spacing Telegram sees; and a flood bucket
     filled at exactly its own refill rate never recovers from that. ``bench/ha`` measured a peak of
     101/100 and 3 × 429 with no headroom, and 102/100 (at the tail of a broadcast) with 2 %. 5 %
     absorbs 50 ms of compression at 100/s; at Telegram's 30/s the cap is 28 a second (about 60 ms).

  Why not a token bucket or pre-reserved slots: both hand out credit that builds up while the process
  is starved (a bucket refills, a schedule of reserved slots falls into the past), and every waiter
  that wakes after the stall then sends at once — exactly the catch-up burst that Telegram's flood
  control punishes with 429s. Here a waiter that wakes up late asks again and is told "not yet"; the
  decision is made only against what was actually let go. Spacing rather than bursts also keeps us
  under Telegram's flood detector.

  *Even spacing at the capped rate*: the spacing interval is ``1 / (rate × (1 − WINDOW_HEADROOM))``,
  not ``1 / rate``. Spaced at the full rate, a sender fills its window cap in 0.95 s and then waits;
  during those 0.95 s Telegram's flood bucket (refilled at exactly the limit) gets no net refill, so
  every late-then-compressed message is a deficit that only the 20 ms gap can repay — the 429s
  ``bench/ha`` saw. Spaced at the capped rate, every message leaves the bucket 5 % fuller, so jitter is
  repaid continuously; the long-run rate is the same (the window cap set it already).

  *A sender that just became active* (a new leader, :meth:`Pacer.assume_full`) does not know what its
  predecessor let go in the last second. It starts as if the predecessor had filled the whole window
  at the moment it was last possibly sending — for a leader, when the lock was won, since the old
  leader stopped before its lock was free. With the takeover grace (``bot.coord.leader``, one window)
  that costs nothing; if a predecessor may have sent later than that, the window holds exactly.

  After a 429 the whole pace is pushed back (:meth:`Pacer.pause`, by at most
  ``DELIVERY__FLOOD_PAUSE_MAX_SECONDS`` — the chat that got the 429 waits its full ``retry_after`` in
  :class:`ChatLimits`) and slowed for a while (:meth:`Pacer.slow_down`), recovering 5% per send.

  Invariant (tested with an injected clock in ``tests/delivery/test_limiter.py``, including stalls and
  many waiters waking together): for every interval ``(t-1, t]`` the number of grants is at most
  ``floor(rate)``, and for every shorter interval of length ``d`` at most
  ``rate × (d + catch_up) + 1``.
* :class:`ChatLimits`: per-chat spacing (≈1 message/s) and a sliding 60-second window for groups and
  channels (≈20 messages/minute). It never sleeps: it says *when* a chat is next free, so the sender
  can postpone that one delivery and keep every other chat moving.
"""

from __future__ import annotations

import asyncio
import math
from collections import defaultdict, deque

from bot.clock import Clock

MIN_WAIT = 1e-6


class Pacer:
    CATCH_UP_SECONDS = 0.01
    CATCH_UP_SLOTS = 2
    """How far behind schedule a slot may still be taken (a late wake-up of the event loop): the larger
    of ``CATCH_UP_SECONDS`` and ``CATCH_UP_SLOTS`` intervals (:attr:`catch_up`). Without it every late
    wake-up would be lost for good (1000 msg/s would come out as ~700, and 100 msg/s on a busy core
    as ~35); with it no more than ``rate × catch_up + 1`` messages ever leave back to back — 11 at
    1000/s, 3 at 100/s or 30/s, well inside Telegram's (and the emulator's) burst tolerance. Not used
    while slowed down after a 429."""

    WINDOW_SECONDS = 1.0
    """The sliding window whose count is a hard cap, whatever the spacing rule allowed."""

    WINDOW_HEADROOM = 0.05
    """The share of the limit the window cap leaves unused (see the module docstring)."""

    def __init__(self, rate: float, clock: Clock) -> None:
        if rate <= 0:
            raise ValueError("rate must be positive")
        self._cap = max(1, math.floor(rate * self.WINDOW_SECONDS * (1 - self.WINDOW_HEADROOM) + 1e-9))
        # spaced at the capped rate (module docstring): Telegram's bucket refills a little on every send
        self._base_interval = max(1.0 / rate, self.WINDOW_SECONDS / self._cap)
        self._interval = self._base_interval
        self._clock = clock
        self._next = -math.inf  # earliest moment the spacing rule lets the next message go
        self._granted: deque[float] = deque()  # when each of the last ≤ cap messages was let go

    @property
    def rate(self) -> float:
        return 1.0 / self._interval

    @property
    def catch_up(self) -> float:
        """Seconds behind schedule a slot may still be taken at the configured pace."""
        return max(self.CATCH_UP_SECONDS, self.CATCH_UP_SLOTS * self._base_interval)

    @property
    def window_cap(self) -> int:
        return self._cap

    def wait_time(self) -> float:
        """Seconds until a message may go (0 = now), without taking anything."""
        now = self._clock.monotonic()
        wait = self._next - now
        granted = self._granted
        while granted and granted[0] <= now - self.WINDOW_SECONDS:
            granted.popleft()
        if len(granted) >= self._cap:
            # the same expression as the pop test above, so "not popped" always means "wait > 0"
            wait = max(wait, granted[0] - (now - self.WINDOW_SECONDS))
        # never a wait too small to move a float clock (a waiter would spin instead of sleeping)
        return max(MIN_WAIT, wait) if wait > 0 else 0.0

    def try_acquire(self) -> float:
        """Let one message go now and return 0 — or take nothing and return how long to wait.

        A caller that sleeps the returned time must call again: the answer is only a hint, since
        another waiter may have gone first or the process may have been starved meanwhile.
        """
        wait = self.wait_time()
        if wait > 0:
            return wait
        now = self._clock.monotonic()
        slack = self.catch_up if self._interval == self._base_interval else 0.0
        # late by at most `slack`: keep the schedule; later than that (a stall, or idle): start afresh
        # at `now` — a stall's lost time is never paid back
        slot = self._next if now - slack <= self._next else now
        self._next = slot + self._interval
        self._granted.append(now)
        # recover 5% of the way back to the configured pace on each send
        self._interval = max(self._base_interval, self._interval * 0.95)
        return 0.0

    async def acquire(self) -> None:
        """Wait until a message may go, asking again after every sleep (never trusting the hint)."""
        while True:
            wait = self.try_acquire()
            if wait == 0:
                return
            await asyncio.sleep(wait)

    def assume_full(self, since: float | None = None) -> None:
        """Take over from another sender: act as if it let a full window go at ``since`` (monotonic;
        default now) — nothing goes before ``since + WINDOW_SECONDS``, then the even pace resumes.

        Exact whatever the predecessor did before ``since``: in any window, its messages (at most the
        cap, its own pacer saw to that) and ours never overlap. Free when ``since`` is a window or more
        in the past by the first send (a leader's takeover grace)."""
        at = self._clock.monotonic() if since is None else since
        self._granted = deque([at] * self._cap)
        self._next = max(self._next, at)

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
