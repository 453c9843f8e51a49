"""Telegram's limit is per bot: the pacer across a takeover, and against Telegram's flood bucket.

Pure tests on the injected clock (:class:`~bot.clock.FrozenClock`), driving
:class:`~bot.delivery.limiter.Pacer` like a dispatcher does: waiters ask, sleep what they are told
(waking up late by a seeded random amount, the process now and then frozen), and ask again.

* **Takeover**: a new leader's pacer starts as if the old leader had filled the window when it was
  last possibly sending (:meth:`Pacer.assume_full`). The two senders' grants together never exceed the
  window cap in any second — also when the new one starts at once — and with the leader's takeover
  grace (one window) the rule costs nothing: the first message goes the moment the duties start.
* **Telegram's bucket** refills at exactly the limit. Spaced at the capped rate, the pacer leaves it a
  little fuller with every message, so requests that arrive compressed by network and server jitter
  are absorbed; spaced at the full rate (the old rule) the same jitter drains it into 429s.
"""

from __future__ import annotations

import bisect
import random

from bot.clock import FrozenClock
from bot.coord.leader import TAKEOVER_GRACE_SECONDS
from bot.delivery.limiter import Pacer
from tests.delivery.pacer_sim import drive

RATE = 100.0


def most_in_a_second(times: list[float]) -> int:
    times = sorted(times)
    return max((i + 1 - bisect.bisect_right(times, t - 1.0) for i, t in enumerate(times)), default=0)


def test_old_and_new_leader_together_never_exceed_the_cap_in_any_second() -> None:
    clock, rng = FrozenClock(), random.Random(3)
    old = Pacer(RATE, clock)
    before = drive(old, clock, 5.37, rng=rng, jitter=0.003)
    last_possible = clock.monotonic()  # the old leader stops here (killed, or resigned and unlocked)

    new = Pacer(RATE, clock)  # the standby's pacer: an empty window of its own
    new.assume_full(since=last_possible)
    after = drive(new, clock, 9.0, rng=rng, jitter=0.003)  # starts at once: no grace at all
    assert most_in_a_second(before + after) <= new.window_cap
    assert after[0] >= last_possible + Pacer.WINDOW_SECONDS
    assert len(after) >= 0.95 * new.window_cap * (9.0 - last_possible - 1.0)  # then at full pace

    # without the rule, the same takeover overshoots: the test can tell
    clock, rng = FrozenClock(), random.Random(3)
    old = Pacer(RATE, clock)
    before = drive(old, clock, 5.37, rng=rng, jitter=0.003)
    naive = drive(Pacer(RATE, clock), clock, 9.0, rng=rng, jitter=0.003)
    assert most_in_a_second(before + naive) > Pacer(RATE, clock).window_cap


def test_with_the_takeover_grace_the_first_message_is_not_delayed() -> None:
    assert TAKEOVER_GRACE_SECONDS >= Pacer.WINDOW_SECONDS  # what makes the rule free for a leader
    clock = FrozenClock()
    clock.advance(100.0)
    won = clock.monotonic()  # the standby wins the lock: the old leader sends nothing from here on
    pacer = Pacer(RATE, clock)
    pacer.assume_full(since=won)
    clock.advance(TAKEOVER_GRACE_SECONDS)  # the new leader's duties start after the grace
    assert pacer.try_acquire() == 0


def refusals(arrivals: list[float], rate: float) -> int:
    """Telegram-like flood control (as the emulator's): a bucket of ``max(3, rate × 0.05)`` tokens
    refilled at ``rate``; a request that finds no token is refused (429) and takes none."""
    capacity = max(3.0, rate * 0.05)
    tokens, stamp, refused = capacity, 0.0, 0
    for at in sorted(arrivals):
        tokens, stamp = min(capacity, tokens + (at - stamp) * rate), at
        if tokens >= 1.0:
            tokens -= 1.0
        else:
            refused += 1
    return refused


def test_spacing_at_the_capped_rate_keeps_telegrams_bucket_from_draining() -> None:
    """A busy machine: wake-ups 0–15 ms late, about one 10–40 ms freeze a second, requests reaching
    Telegram 0–40 ms after they were let go. Over ten seeded half-minutes the capped-rate spacing gets
    at most one 429 where the full-rate spacing gets many times more, and still uses the limit."""
    refused = {False: 0, True: 0}
    for seed in range(10):
        for full_rate_spacing in (False, True):
            rng = random.Random(seed)
            stalls = tuple((second + rng.uniform(0, 0.9), rng.uniform(0.01, 0.04)) for second in range(30))
            clock = FrozenClock()
            pacer = Pacer(RATE, clock)
            if full_rate_spacing:  # the old rule, for contrast
                pacer._base_interval = pacer._interval = 1.0 / RATE
            grants = drive(pacer, clock, 30.0, rng=rng, waiters=4, jitter=0.015, stalls=stalls)
            refused[full_rate_spacing] += refusals([t + rng.uniform(0, 0.04) for t in grants], RATE)
            assert len(grants) >= 0.9 * RATE * 30  # the limit is still used
    assert refused[False] <= 1
    assert refused[True] >= 5 * max(1, refused[False])
