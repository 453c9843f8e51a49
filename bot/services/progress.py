"""Progress of an alert's delivery (or of its correction / retraction) as editors see it — pure.

What counts as done, remaining and finished for each :class:`TrackedChange`, the measured rate and
the status text are decided here once, for both places that show them: the Telegram status message
edited by :class:`bot.workers.progress.ProgressTracker` and the console's live page
(:mod:`bot.console.live`). No I/O: the callers read :func:`bot.services.corrections.delivery_progress`.

* Sending is done when nothing is pending any more; a correction or retraction when no copy still
  waits for its edit and none is still on its way (a copy in flight when the correction came is
  edited once it is recorded as sent).
* The rate is measured, not assumed: done-count deltas over the last few samples
  (:func:`measured_rate`); the ETA is the remaining count over that rate.
* Rendering (:func:`render_progress`) is Telegram HTML built with aiogram's formatting nodes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from aiogram.utils.formatting import Bold, Code, Text, as_line

from bot.clock import as_utc
from bot.i18n import t
from bot.services.corrections import DeliveryProgress

BAR_WIDTH = 12


class TrackedChange(StrEnum):
    """What a status message follows: the first send of an alert, or a correction / retraction of it.

    (Named apart from :class:`bot.api.openapi.Operation`, an OpenAPI operation object.)"""

    SEND = "send"
    CORRECT = "correct"
    RETRACT = "retract"


@dataclass(frozen=True, slots=True)
class Snapshot:
    """One reading, with what the renderer needs besides the counts."""

    alert_id: int
    operation: TrackedChange
    progress: DeliveryProgress
    rate: float | None  # per second, measured
    elapsed: float  # seconds since tracking started

    @property
    def total(self) -> int:
        progress = self.progress
        if self.operation is TrackedChange.SEND:
            return progress.total
        return progress.edits_done + progress.edits_failed + self.remaining

    @property
    def done(self) -> int:
        progress = self.progress
        if self.operation is TrackedChange.SEND:
            return progress.sent + progress.failed + progress.cancelled
        return progress.edits_done + progress.edits_failed

    @property
    def remaining(self) -> int:
        """For edits, copies still on their way count too: a copy in flight when the correction came
        is edited once it is recorded as sent, and unsent copies go out with the corrected text."""
        progress = self.progress
        return (
            progress.pending
            if self.operation is TrackedChange.SEND
            else progress.edits_pending + progress.pending
        )

    @property
    def finished(self) -> bool:
        return self.remaining <= 0


def bar(done: int, total: int, width: int = BAR_WIDTH) -> str:
    """``▓▓▓▓░░░░ 50%``; an empty job is complete."""
    share = 1.0 if total <= 0 else max(0.0, min(1.0, done / total))
    filled = round(share * width)
    return "▓" * filled + "░" * (width - filled) + f" {share * 100:.0f}%"


def duration_text(seconds: float, lang: str) -> str:
    seconds = max(0.0, seconds)
    if seconds < 60:
        return t("editor.progress.seconds", lang, n=f"{seconds:.1f}" if seconds < 10 else f"{seconds:.0f}")
    minutes, secs = divmod(round(seconds), 60)
    if minutes < 60:
        return t("editor.progress.minutes", lang, m=minutes, s=secs)
    hours, minutes = divmod(minutes, 60)
    return t("editor.progress.hours", lang, h=hours, m=minutes)


def render_progress(snapshot: Snapshot, lang: str) -> str:
    """The status message for one reading (Telegram HTML)."""
    progress = snapshot.progress
    operation = snapshot.operation.value
    lines: list[Text] = []
    if snapshot.finished:
        lines.append(Bold(t(f"editor.progress.{operation}.done", lang, id=snapshot.alert_id)))
    else:
        lines.append(Bold(t(f"editor.progress.{operation}.running", lang, id=snapshot.alert_id)))
        lines.append(Code(bar(snapshot.done, snapshot.total)))
    if snapshot.operation is TrackedChange.SEND:
        lines.append(
            Text(
                t(
                    "editor.progress.send.counts",
                    lang,
                    sent=progress.sent,
                    failed=progress.failed,
                    remaining=progress.pending,
                    cancelled=progress.cancelled,
                    total=progress.total,
                )
            )
        )
    else:
        lines.append(
            Text(
                t(
                    "editor.progress.edit.counts",
                    lang,
                    done=progress.edits_done,
                    failed=progress.edits_failed,
                    remaining=snapshot.remaining,
                    total=snapshot.total,
                )
            )
        )
    if not snapshot.finished:
        if snapshot.rate:
            eta = duration_text(snapshot.remaining / snapshot.rate, lang)
            lines.append(Text(t("editor.progress.rate", lang, rate=f"{snapshot.rate:.1f}", eta=eta)))
        else:
            lines.append(Text(t("editor.progress.rate_unknown", lang)))
    else:
        lines.append(Text(t("editor.progress.took", lang, took=duration_text(snapshot.elapsed, lang))))
        if (
            snapshot.operation is TrackedChange.SEND
            and progress.first_sent_at is not None
            and progress.last_sent_at is not None
        ):
            span = (as_utc(progress.last_sent_at) - as_utc(progress.first_sent_at)).total_seconds()
            lines.append(Text(t("editor.progress.span", lang, span=duration_text(span, lang))))
    parts: list[Text | str] = []
    for index, line in enumerate(lines):
        if index:
            parts.append("\n")
        parts.append(line)
    return as_line(*parts, end="").as_html()


def measured_rate(samples: Sequence[tuple[float, int]]) -> float | None:
    """Done per second between the oldest and the newest ``(monotonic seconds, done)`` sample."""
    if len(samples) < 2:
        return None
    (first_at, first_done), (last_at, last_done) = samples[0], samples[-1]
    if last_at - first_at <= 0 or last_done <= first_done:
        return None
    return (last_done - first_done) / (last_at - first_at)
