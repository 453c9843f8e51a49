"""One supervisor for every long-lived task: nothing dies silently, nothing looks alive when it is not.

Design and invariants
---------------------
* Each long-lived part of the bot (sender, scheduler watchdog, digests, ops checks, progress resume,
  HTTP server, long polling) is a *factory*: a zero-argument function returning a fresh coroutine that
  runs until the process stops. :meth:`Supervisor.start` runs it in a task of its own.
* **An unexpected end is a crash.** An exception, or a coroutine that returns while the supervisor is
  not stopping, is logged once with its traceback, counted in ``aajel_task_restarts_total{task=…}``,
  reported to the ops chat (best effort, never blocking the restart) and restarted after a capped
  exponential backoff (``base × 2^n``, at most ``max_delay``). A task that ran longer than
  ``window_seconds`` since its last start begins again at ``base``.
* **A task that cannot come back ends the process.** More than ``max_restarts`` crashes within
  ``window_seconds`` → the task is ``failed``, :attr:`Supervisor.fatal` names it and
  :attr:`Supervisor.failed` is set; the application then stops and the CLI exits non-zero, so a service
  manager restarts the whole process rather than leaving a bot that only looks alive.
* :meth:`Supervisor.states` feeds ``/healthz``: each task is ``running``, ``restarting`` (waiting for its
  backoff), ``failed`` or ``stopped``.
* Time is injected: ``clock.monotonic()`` measures the window and ``sleep`` waits the backoff, so tests
  drive restarts without sleeping.
* Cancellation is not a crash: :meth:`stop` cancels every task and waits for them; :meth:`retire`
  ends some of them on purpose (a leader's duties when it steps down).
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from bot.clock import Clock, SystemClock
from bot.metrics import TASK_RESTARTS, TASK_UP

log = logging.getLogger(__name__)

Factory = Callable[[], Awaitable[object]]
Notify = Callable[[str], Awaitable[None]]
Sleep = Callable[[float], Awaitable[None]]

RUNNING, RESTARTING, FAILED, STOPPED, DONE = "running", "restarting", "failed", "stopped", "done"
HEALTHY = frozenset({RUNNING, DONE})


@dataclass
class TaskState:
    name: str
    status: str = RUNNING
    restarts: int = 0
    last_error: str | None = None
    crashes: deque[float] = field(default_factory=deque)


class Supervisor:
    def __init__(
        self,
        *,
        clock: Clock | None = None,
        sleep: Sleep = asyncio.sleep,
        notify: Notify | None = None,
        base_delay: float = 1.0,
        max_delay: float = 60.0,
        max_restarts: int = 10,
        window_seconds: float = 300.0,
        notify_timeout: float = 10.0,
    ) -> None:
        self._clock: Clock = clock or SystemClock()
        self._sleep = sleep
        self.notify = notify
        self.base_delay = base_delay
        self.max_delay = max_delay
        self.max_restarts = max_restarts
        self.window_seconds = window_seconds
        self.notify_timeout = notify_timeout
        self._tasks: dict[str, asyncio.Task[None]] = {}
        self._states: dict[str, TaskState] = {}
        self._notices: set[asyncio.Task[None]] = set()
        self._stopping = False
        self._retiring: set[str] = set()
        self.stop_event: asyncio.Event | None = None
        """The application's stop event: once set, tasks that return are done, not crashed."""
        self.failed = asyncio.Event()
        """Set when a task could not come back (see :attr:`fatal`)."""
        self.fatal: str | None = None

    # --- public ----------------------------------------------------------------------------------
    def start(self, name: str, factory: Factory, *, one_shot: bool = False) -> asyncio.Task[None]:
        """Run ``factory()`` under supervision as task ``name`` (names are unique).

        ``one_shot``: returning is success (state ``done``), not a crash — for start-up work that must
        eventually happen (resuming progress messages) but then has nothing left to do.
        """
        if name in self._tasks and not self._tasks[name].done():
            raise RuntimeError(f"task {name!r} is already supervised")
        state = self._states[name] = TaskState(name)
        TASK_UP.labels(task=name).set(1)
        task = asyncio.create_task(self._guard(state, factory, one_shot), name=f"supervised:{name}")
        self._tasks[name] = task
        return task

    def task(self, name: str) -> asyncio.Task[None] | None:
        return self._tasks.get(name)

    @property
    def stopping(self) -> bool:
        return self._stopping or (self.stop_event is not None and self.stop_event.is_set())

    def states(self) -> dict[str, str]:
        """Task name → running / restarting / failed / stopped / done, for ``/healthz``."""
        return {name: state.status for name, state in self._states.items()}

    def state(self, name: str) -> TaskState | None:
        return self._states.get(name)

    async def stop(self, grace: float = 5.0, *, graceful: tuple[str, ...] = ()) -> None:
        """Stop: tasks named in ``graceful`` get ``grace`` seconds to finish on their own (they watch
        the application's stop event, e.g. the sender writing its outcomes); then every task still
        running is cancelled, and waited for (at most ``grace``)."""
        self._stopping = True
        patient = [
            self._tasks[name] for name in graceful if name in self._tasks and not self._tasks[name].done()
        ]
        if patient:
            await asyncio.wait(patient, timeout=grace)
        tasks = [task for task in self._tasks.values() if not task.done()]
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.wait(tasks, timeout=grace)
        for state in self._states.values():
            if state.status not in (FAILED, DONE):
                state.status = STOPPED
                TASK_UP.labels(task=state.name).set(0)
        notices = list(self._notices)
        if notices:
            await asyncio.wait(notices, timeout=1.0)
            for notice in notices:
                notice.cancel()

    async def retire(self, names: list[str], grace: float = 5.0, *, graceful: tuple[str, ...] = ()) -> None:
        """End these tasks on purpose — a leader stepping down (:mod:`bot.coord.leader`) — not crashes:
        those in ``graceful`` get ``grace`` seconds to end on their own, the rest are cancelled; all of
        them then leave :meth:`states` (a standby has no sender to report)."""
        tasks = {name: self._tasks.pop(name) for name in names if name in self._tasks}
        self._retiring.update(tasks)
        try:
            patient = [tasks[name] for name in graceful if name in tasks and not tasks[name].done()]
            if patient:
                await asyncio.wait(patient, timeout=grace)
            running = [task for task in tasks.values() if not task.done()]
            for task in running:
                task.cancel()
            if running:
                await asyncio.wait(running, timeout=grace)
        finally:
            for name in tasks:
                self._states.pop(name, None)
                TASK_UP.labels(task=name).set(0)
            self._retiring.difference_update(tasks)

    # --- the guard -------------------------------------------------------------------------------
    async def _guard(self, state: TaskState, factory: Factory, one_shot: bool) -> None:
        delay = self.base_delay
        while True:
            started = self._clock.monotonic()
            state.status = RUNNING
            TASK_UP.labels(task=state.name).set(1)
            try:
                await factory()
            except asyncio.CancelledError:
                state.status = STOPPED  # by stop(), or by someone else: either way it no longer runs
                TASK_UP.labels(task=state.name).set(0)
                raise
            except Exception as e:  # the whole point: any crash is caught, logged, counted
                if self.stopping or state.name in self._retiring:
                    return
                error = f"{type(e).__name__}: {e}"
                log.error("task %s crashed: %s", state.name, error, exc_info=e)
            else:
                if one_shot:
                    state.status = DONE
                    TASK_UP.labels(task=state.name).set(0)
                    return
                if self.stopping or state.name in self._retiring:
                    state.status = STOPPED
                    return
                error = "returned unexpectedly"
                log.error("task %s %s", state.name, error)
            now = self._clock.monotonic()
            if now - started > self.window_seconds:
                delay = self.base_delay  # it had been healthy for a while: this is a fresh trouble
            state.last_error = error
            state.crashes.append(now)
            while state.crashes and now - state.crashes[0] > self.window_seconds:
                state.crashes.popleft()
            TASK_UP.labels(task=state.name).set(0)
            if len(state.crashes) > self.max_restarts:
                state.status = FAILED
                self.fatal = (
                    f"task {state.name} crashed {len(state.crashes)} times in "
                    f"{self.window_seconds:.0f}s (last: {error})"
                )
                log.critical("%s; giving up, the process stops", self.fatal)
                self._report(f"⛔ {self.fatal}. Aajel stops so its service manager can restart it.")
                self.failed.set()
                return
            state.status = RESTARTING
            state.restarts += 1
            TASK_RESTARTS.labels(task=state.name).inc()
            log.warning("task %s restarts in %.1fs (restart %d)", state.name, delay, state.restarts)
            self._report(f"⚠️ Aajel task {state.name} crashed ({error[:300]}); restarting in {delay:.0f}s.")
            await self._sleep(delay)
            delay = min(delay * 2, self.max_delay)

    def _report(self, text: str) -> None:
        """Tell the ops chat in the background; a failure to tell is logged, never raised."""
        if self.notify is None:
            return
        notify = self.notify

        async def send() -> None:
            try:
                await asyncio.wait_for(notify(text), self.notify_timeout)
            except Exception as e:  # best effort by design
                log.warning("ops chat not told about a task crash: %s", e)

        task = asyncio.create_task(send(), name="supervisor-notice")
        self._notices.add(task)
        task.add_done_callback(self._notices.discard)


async def every(
    seconds: float, job: Callable[[], Awaitable[object]], *, first: bool = True, sleep: Sleep = asyncio.sleep
) -> None:
    """Run ``job`` every ``seconds`` forever (``first``: also right away); an exception ends the loop
    (the supervisor logs it and restarts the loop after its backoff)."""
    if not first:
        await sleep(seconds)
    while True:
        await job()
        await sleep(seconds)


async def wait_forever() -> None:
    """For tasks that only hold a resource open: run until cancelled."""
    await asyncio.Event().wait()
