"""The supervisor: a crash is logged once, counted, told to ops and restarted with capped backoff; a task
that cannot come back ends the process. Time is injected: no test sleeps for real."""

from __future__ import annotations

import asyncio
import logging

import pytest

from bot.clock import FrozenClock
from bot.metrics import REGISTRY
from bot.supervisor import DONE, FAILED, RESTARTING, RUNNING, Supervisor


class FakeSleep:
    """Records the backoff asked for, advances the clock by it, and returns at once."""

    def __init__(self, clock: FrozenClock) -> None:
        self.clock = clock
        self.waits: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)
        self.clock.advance(seconds)
        await asyncio.sleep(0)


def restarts(task: str) -> float:
    return REGISTRY.get_sample_value("aajel_task_restarts_total", {"task": task}) or 0.0


async def settle(condition: object, rounds: int = 200) -> None:
    for _ in range(rounds):
        if callable(condition) and condition():
            return
        await asyncio.sleep(0)
    raise AssertionError("condition never became true")


async def test_a_crash_is_logged_once_counted_told_and_restarted_with_capped_backoff(
    caplog: pytest.LogCaptureFixture,
) -> None:
    clock = FrozenClock()
    sleep = FakeSleep(clock)
    told: list[str] = []

    async def notify(text: str) -> None:
        told.append(text)

    sup = Supervisor(clock=clock, sleep=sleep, notify=notify, base_delay=1, max_delay=8, max_restarts=100)
    runs = 0
    healthy = asyncio.Event()

    async def flaky() -> None:
        nonlocal runs
        runs += 1
        if runs <= 6:
            raise ConnectionError(f"boom {runs}")
        healthy.set()
        await asyncio.Event().wait()

    before = restarts("flaky-test")
    with caplog.at_level(logging.ERROR, logger="bot.supervisor"):
        sup.start("flaky-test", flaky)
        await asyncio.wait_for(healthy.wait(), 5)
    assert sleep.waits == [1, 2, 4, 8, 8, 8]  # doubled, capped at max_delay
    assert restarts("flaky-test") - before == 6
    crashes = [r for r in caplog.records if "crashed" in r.getMessage()]
    assert len(crashes) == 6 and all(r.exc_info for r in crashes)  # each crash once, with its traceback
    await settle(lambda: len(told) == 6)
    assert "flaky-test" in told[0] and "boom 1" in told[0]
    assert sup.states() == {"flaky-test": RUNNING}
    await sup.stop(1)


async def test_a_task_that_returns_unexpectedly_is_restarted_and_shows_as_restarting() -> None:
    clock = FrozenClock()
    gate = asyncio.Event()

    async def slow_sleep(seconds: float) -> None:
        await gate.wait()

    sup = Supervisor(clock=clock, sleep=slow_sleep, notify=None)

    async def quits() -> None:
        return None

    sup.start("quitter", quits)
    await settle(lambda: sup.states()["quitter"] == RESTARTING)
    assert sup.state("quitter") is not None and sup.state("quitter").last_error == "returned unexpectedly"  # type: ignore[union-attr]
    await sup.stop(1)


async def test_a_task_that_cannot_come_back_fails_the_supervisor() -> None:
    clock = FrozenClock()
    told: list[str] = []

    async def notify(text: str) -> None:
        told.append(text)

    sup = Supervisor(clock=clock, sleep=FakeSleep(clock), notify=notify, max_restarts=3, window_seconds=300)

    async def broken() -> None:
        raise RuntimeError("cannot start")

    sup.start("broken", broken)
    await asyncio.wait_for(sup.failed.wait(), 5)
    assert sup.states() == {"broken": FAILED}
    assert sup.fatal is not None and "broken" in sup.fatal and "cannot start" in sup.fatal
    await settle(lambda: any("stops" in text for text in told))
    await sup.stop(1)


async def test_crashes_spread_over_time_never_add_up_to_a_failure() -> None:
    clock = FrozenClock()
    sup = Supervisor(clock=clock, sleep=FakeSleep(clock), max_restarts=2, window_seconds=60)
    runs = 0
    done = asyncio.Event()

    async def rare() -> None:
        nonlocal runs
        runs += 1
        if runs > 10:
            done.set()
            await asyncio.Event().wait()
        clock.advance(100)  # ran fine for a while, then crashed
        raise OSError("rare")

    sup.start("rare", rare)
    await asyncio.wait_for(done.wait(), 5)
    assert not sup.failed.is_set()
    await sup.stop(1)


async def test_a_one_shot_task_that_finishes_is_done_and_a_notice_failure_never_stops_a_restart() -> None:
    clock = FrozenClock()

    async def notify(text: str) -> None:
        raise ConnectionError("ops chat unreachable")

    sup = Supervisor(clock=clock, sleep=FakeSleep(clock), notify=notify)
    attempts = 0

    async def once() -> None:
        nonlocal attempts
        attempts += 1
        if attempts == 1:
            raise TimeoutError("first try")

    sup.start("once", once, one_shot=True)
    await settle(lambda: sup.states()["once"] == DONE)
    assert attempts == 2
    await sup.stop(1)


async def test_tasks_that_end_because_the_app_stops_are_not_crashes() -> None:
    stop = asyncio.Event()
    sup = Supervisor(clock=FrozenClock())
    sup.stop_event = stop

    async def until_stopped() -> None:
        await stop.wait()

    before = restarts("graceful-test")
    task = sup.start("graceful-test", until_stopped)
    stop.set()
    await asyncio.wait_for(task, 1)
    assert restarts("graceful-test") == before
    await sup.stop(1, graceful=("graceful-test",))
