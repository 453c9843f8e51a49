"""A dispatcher simulated on the injected clock, for the pacer's tests (tests/delivery/test_limiter.py,
tests/ha/test_pacer_takeover.py): waiters ask the pacer, sleep what they are told (waking up late by a
seeded random amount), and the whole process is frozen now and then (``stalls``)."""

from __future__ import annotations

import bisect
import heapq
import random

from bot.clock import FrozenClock
from bot.delivery.limiter import Pacer


def drive(
    pacer: Pacer,
    clock: FrozenClock,
    until: float,
    *,
    rng: random.Random,
    waiters: int = 32,
    jitter: float = 0.0,
    stalls: tuple[tuple[float, float], ...] = (),  # (start, length), sorted, not overlapping
) -> list[float]:
    """Waiters always ready to send, from ``clock``'s time until ``until``; returns the grant times."""
    grants: list[float] = []
    start = clock.monotonic()
    wakeups = [(start, n) for n in range(waiters)]
    heapq.heapify(wakeups)

    starts = [begin for begin, _ in stalls]  # sorted

    def frozen_until(t: float) -> float:
        i = bisect.bisect_right(starts, t) - 1
        if i >= 0 and t < stalls[i][0] + stalls[i][1]:
            return stalls[i][0] + stalls[i][1]
        return t

    while wakeups:
        when, waiter = heapq.heappop(wakeups)
        if when >= until:
            continue
        when = frozen_until(when)
        if when > clock.monotonic():
            clock.advance(when - clock.monotonic())
        wait = pacer.try_acquire()
        if wait == 0:
            grants.append(clock.monotonic())
        heapq.heappush(
            wakeups, (clock.monotonic() + wait + (rng.uniform(0, jitter) if jitter else 0.0), waiter)
        )
    return grants
