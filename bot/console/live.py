"""Live progress of a send, correction or retraction, pushed to the page as server-sent events.

Design and invariants
---------------------
* The numbers are the ones the Telegram status message shows: each round reads
  :func:`bot.services.corrections.delivery_progress` in its own short session and wraps it in
  :class:`bot.services.progress.Snapshot` (what counts as done / remaining / finished for each operation);
  the rate is measured over the last samples like :class:`bot.workers.progress.ProgressTracker` does, and
  the ETA is remaining / rate, worded by the same duration formatter.
* An event is written only when something changed, plus a comment every :data:`KEEPALIVE` seconds
  so proxies keep the stream open. The stream ends with an ``event: done`` once the operation is
  finished, when the client goes away, when the server shuts down, or after
  :data:`MAX_STREAM_SECONDS`.
* The session and the editor are re-checked on every round: a removed editor's stream stops.
* No transaction is held between rounds; the loop sleeps on the real event loop (the clock only
  dates the samples).
"""

from __future__ import annotations

import asyncio
import json
from collections import deque
from typing import TYPE_CHECKING, Any

from aiohttp import web

from bot.console.auth import SignedIn, load_session
from bot.exceptions import NotFound
from bot.i18n import t
from bot.services.corrections import delivery_progress
from bot.services.progress import Snapshot, TrackedChange, duration_text, measured_rate

if TYPE_CHECKING:
    from bot.console.web import Console

KEEPALIVE = 15.0
MAX_STREAM_SECONDS = 3600.0


def snapshot_event(snapshot: Snapshot, lang: str) -> dict[str, Any]:
    """What the page shows for one reading (pure)."""
    p = snapshot.progress
    total = snapshot.total
    done = snapshot.done
    percent = 100 if total <= 0 or snapshot.finished else min(100, int(done * 100 / total))
    rate = snapshot.rate
    eta = duration_text(snapshot.remaining / rate, lang) if rate and not snapshot.finished else None
    return {
        "operation": snapshot.operation.value,
        "total": total,
        "done": done,
        "sent": p.sent if snapshot.operation is TrackedChange.SEND else p.edits_done,
        "failed": p.failed if snapshot.operation is TrackedChange.SEND else p.edits_failed,
        "remaining": snapshot.remaining,
        "cancelled": p.cancelled,
        "percent": percent,
        "rate": t("console.progress.rate_value", lang, rate=f"{rate:.1f}") if rate else None,
        "eta": eta,
        "finished": snapshot.finished,
        "took": duration_text(snapshot.elapsed, lang) if snapshot.finished else None,
    }


async def progress_stream(
    console: Console, request: web.Request, alert_id: int, operation: TrackedChange
) -> web.StreamResponse:
    from bot.console.web import COOKIE

    lang = console.lang(request)
    token = request.cookies.get(COOKIE)
    response = web.StreamResponse(
        headers={"Content-Type": "text/event-stream", "Cache-Control": "no-store", "X-Accel-Buffering": "no"}
    )
    console.secured(response)
    await response.prepare(request)
    clock = console.clock
    started = clock.monotonic()
    samples: deque[tuple[float, int]] = deque(maxlen=8)
    last: dict[str, Any] | None = None
    last_write = started
    try:
        while True:
            async with console.sessionmaker() as session, session.begin():
                signed = await load_session(session, token, clock)
                if not isinstance(signed, SignedIn):
                    await response.write(b"event: signedout\ndata: {}\n\n")
                    break
                try:
                    progress = await delivery_progress(session, alert_id)
                except NotFound:
                    await response.write(b"event: gone\ndata: {}\n\n")
                    break
            now = clock.monotonic()
            reading = Snapshot(alert_id, operation, progress, None, now - started)
            samples.append((now, reading.done))
            reading = Snapshot(alert_id, operation, progress, measured_rate(samples), now - started)
            event = snapshot_event(reading, lang)
            if event != last:
                payload = json.dumps(event, ensure_ascii=False)
                await response.write(f"event: progress\ndata: {payload}\n\n".encode())
                last, last_write = event, now
            elif now - last_write >= KEEPALIVE:
                await response.write(b": keep-alive\n\n")
                last_write = now
            if reading.finished:
                await response.write(b"event: done\ndata: {}\n\n")
                break
            if now - started > MAX_STREAM_SECONDS or console.closing:
                break
            await asyncio.sleep(console.live_interval)
    except ConnectionResetError:  # the page went away
        return response
    await response.write_eof()
    return response


__all__ = ["progress_stream", "snapshot_event"]
