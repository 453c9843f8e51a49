"""A watchdog that says *where* a test hangs, before pytest-timeout ends it.

pytest-timeout (240 s, signal method: the worker survives and pytest-xdist goes on) fails a hung test,
but a hung asyncio test sits in the event loop's ``select()``: its thread stack says nothing. So
:data:`DUMP_AFTER_SECONDS` into any test (setup, call and teardown together) this module writes every
thread's stack *and* every unfinished asyncio task's stack to ``$TMPDIR/aajel-hangs/<test>.txt`` and
to stderr; ``.ci/run`` prints those files when the suite fails. Reading another thread's coroutine
frames is racy in general; a hung process is idle, and this is only a report.
"""

from __future__ import annotations

import asyncio
import gc
import io
import os
import re
import sys
import tempfile
import threading
import traceback
from collections.abc import Iterator
from pathlib import Path

import pytest

# below pytest-timeout's 240 s (pyproject.toml), so the report comes first
DUMP_AFTER_SECONDS = float(os.environ.get("AAJEL_HANG_DUMP_SECONDS", "200"))
HANG_DIR = Path(os.environ.get("AAJEL_HANG_DIR") or Path(tempfile.gettempdir()) / "aajel-hangs")


def task_stacks() -> str:
    """Where every unfinished asyncio task (of any loop in this process) is waiting."""
    out = io.StringIO()
    for task in [o for o in gc.get_objects() if isinstance(o, asyncio.Task) and not o.done()]:
        out.write(f"\n-- task {task.get_name()} {task.get_coro()!r}\n")
        task.print_stack(file=out)
    return out.getvalue()


STOP_WITHIN_SECONDS = 45.0  # the app's graceful windows: jobs 5 s + leader 15 s + busy 10 s, and slack


async def app_stopped(task: asyncio.Task[None]) -> None:
    """Wait for an app's ``run`` task to end after its stop event was set. If it does not within
    :data:`STOP_WITHIN_SECONDS`, fail with where each task is stuck — a real ``aajel run`` would then
    not end on SIGTERM — instead of hanging the run."""
    done, _ = await asyncio.wait({task}, timeout=STOP_WITHIN_SECONDS)
    if not done:
        stacks = task_stacks()
        task.cancel()
        await asyncio.wait({task}, timeout=10)
        pytest.fail(f"the app did not stop within {STOP_WITHIN_SECONDS:.0f} s; its tasks:{stacks}")
    if not task.cancelled():
        task.result()  # a failure of the app's own shutdown fails the test


def _report(nodeid: str) -> str:
    out = io.StringIO()
    out.write(f"== {nodeid}: still running after {DUMP_AFTER_SECONDS:.0f} s (pid {os.getpid()})\n")
    names = {t.ident: t.name for t in threading.enumerate()}
    for ident, frame in sys._current_frames().items():
        out.write(f"\n-- thread {names.get(ident, ident)}\n")
        out.write("".join(traceback.format_stack(frame)))
    out.write(task_stacks())
    return out.getvalue()


def _dump(nodeid: str) -> None:
    try:
        text = _report(nodeid)
        HANG_DIR.mkdir(parents=True, exist_ok=True)
        name = re.sub(r"[^A-Za-z0-9_.-]+", "_", nodeid)[-150:]
        (HANG_DIR / f"{name}.txt").write_text(text, encoding="utf-8")
        sys.__stderr__.write(text)
    except Exception as e:  # a report must never break the run
        sys.__stderr__.write(f"hang report for {nodeid} failed: {e!r}\n")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item: pytest.Item, nextitem: pytest.Item | None) -> Iterator[None]:
    timer = threading.Timer(DUMP_AFTER_SECONDS, _dump, args=(item.nodeid,))
    timer.daemon = True
    timer.start()
    try:
        yield
    finally:
        timer.cancel()
