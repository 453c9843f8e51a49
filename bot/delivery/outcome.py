"""What to do after one Bot API request: a pure decider, no I/O (like :mod:`bot.news.dedup`).

The sender makes a request (send, edit or delete a copy), then asks :func:`decide` what the answer
means. Input: the request's facts (:class:`Attempt`), the answer (``None`` for success, or the
:class:`~bot.exceptions.BotApiError` / :class:`~bot.exceptions.BotApiUnavailable` it raised), the
retry policy, and ``now``. Output: one frozen :class:`Decision`. The sender carries it out (another
request, a pacer pause, an outcome for the outbox); the rules live only here.

Rules, in the order they are checked
    Sends (``sendMessage``)
        429 or ``retry_after`` → **flood wait**: again after ``retry_after`` (at least 1 s), not counted
        as an attempt; the sender also holds the chat for that long and slows the global pace.
        ``migrate_to_chat_id`` → **migrate**: send again to the supergroup now.
        400 "can't parse entities" (not yet plain) → **resend as plain text**.
        403, or 400 "chat not found" / "need administrator rights" → **deactivate**: this one fails,
        the chat is deactivated and its queue cancelled.
        5xx → **retry**; anything else → **give up** with Telegram's description.
    Edits (``editMessageText``)
        "message is not modified" → **delivered** (nothing to change).
        400 "can't parse entities" (not yet plain) → **resend as plain text**.
        Otherwise as a send's flood wait / retry (5xx) / deactivate (403 only) / give up.
    Deletes (``deleteMessage``)
        "message to delete not found" → **delivered**; "can't be deleted" (too old for Telegram) →
        **edit instead** (into a retraction notice); otherwise as an edit's failure.
    Every step
        No usable answer (:class:`~bot.exceptions.BotApiUnavailable`: connection, timeout) → **retry**.
        A retry is attempt ``attempts + 1``: at ``max_attempts`` it becomes **give up** ("gave up after
        N attempts: …"); before, it waits ``min(max_backoff, 2**N)`` seconds.
        A job makes at most 3 requests for a send (original, migrated chat, plain text) and 2 for an
        edit: a migrate or plain-text resend beyond that is **give up**.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from bot.exceptions import BotApiError, BotApiUnavailable


class Step(StrEnum):
    """Which request was made."""

    SEND = "send"
    EDIT = "edit"
    DELETE = "delete"


class Verdict(StrEnum):
    DELIVERED = "delivered"  # sent, edited or deleted (or there was nothing to change)
    RETRY = "retry"  # transient: again at retry_at, counted as an attempt
    FLOOD_WAIT = "flood_wait"  # 429: again at retry_at, not an attempt; chat and pace wait too
    MIGRATE = "migrate"  # the group became a supergroup: again now, to new_chat_id
    RESEND_PLAIN = "resend_plain"  # Telegram could not parse our HTML: again now, as plain text
    EDIT_INSTEAD = "edit_instead"  # a delete was refused (too old): edit into a retraction notice
    DEACTIVATE = "deactivate"  # the recipient is gone: fail, deactivate the chat, cancel its queue
    GIVE_UP = "give_up"  # final failure, reason in error


MAX_CALLS = {Step.SEND: 3, Step.EDIT: 2, Step.DELETE: 2}
"""Requests one job may make: the original, then a migrated chat and/or plain text."""
GAVE_UP_RESENDING = {
    Step.SEND: "gave up after migration/plain-text retries",
    Step.EDIT: "gave up after the plain-text retry",
    Step.DELETE: "gave up after the plain-text retry",
}


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    max_attempts: int
    max_backoff_seconds: float


@dataclass(frozen=True, slots=True)
class Attempt:
    """The facts of the request just made."""

    step: Step
    attempts: int  # attempts stored on the row before this request (``deliveries.attempts``)
    plain: bool = False  # this request was already the plain-text fallback
    calls: int = 1  # requests made for this job so far, this one included


@dataclass(frozen=True, slots=True)
class Decision:
    verdict: Verdict
    error: str | None = None  # what the outbox stores (None when delivered)
    retry_at: datetime | None = None  # RETRY and FLOOD_WAIT
    wait_seconds: float | None = None  # FLOOD_WAIT: how long the chat must wait
    new_chat_id: int | None = None  # MIGRATE


Answer = BotApiError | BotApiUnavailable | None
"""A request's answer: ``None`` when Telegram accepted it."""

DELIVERED = Decision(Verdict.DELIVERED)


def decide(attempt: Attempt, answer: Answer, now: datetime, policy: RetryPolicy) -> Decision:
    """What to do after ``attempt`` got ``answer`` (see the module docstring for the rules)."""
    if answer is None:
        return DELIVERED
    if isinstance(answer, BotApiUnavailable):
        return retry(attempt, str(answer), now, policy)
    text = answer.description.lower()
    if attempt.step is Step.SEND:
        decision = _send_failure(attempt, answer, text, now, policy)
    elif attempt.step is Step.EDIT:
        decision = _edit_failure(attempt, answer, text, now, policy)
    else:
        decision = _delete_failure(attempt, answer, text, now, policy)
    resends = decision.verdict in (Verdict.MIGRATE, Verdict.RESEND_PLAIN)
    if resends and attempt.calls >= MAX_CALLS[attempt.step]:
        return Decision(Verdict.GIVE_UP, GAVE_UP_RESENDING[attempt.step])
    return decision


def retry(attempt: Attempt, error: str, now: datetime, policy: RetryPolicy) -> Decision:
    """A transient failure (or a bug in our code): back off exponentially, give up at the limit."""
    attempts = attempt.attempts + 1
    if attempts >= policy.max_attempts:
        return Decision(Verdict.GIVE_UP, f"gave up after {attempts} attempts: {error}")
    backoff = min(policy.max_backoff_seconds, 2.0**attempts)
    return Decision(Verdict.RETRY, error, retry_at=now + timedelta(seconds=backoff))


def _flooded(error: BotApiError) -> bool:
    return error.code == 429 or error.retry_after is not None


def _flood_wait(error: BotApiError, now: datetime) -> Decision:
    wait = max(1.0, error.retry_after or 1.0)
    return Decision(
        Verdict.FLOOD_WAIT, error.description, retry_at=now + timedelta(seconds=wait), wait_seconds=wait
    )


def _unparsable(error: BotApiError, text: str, attempt: Attempt) -> bool:
    return error.code == 400 and "can't parse entities" in text and not attempt.plain


def _send_failure(
    attempt: Attempt, error: BotApiError, text: str, now: datetime, policy: RetryPolicy
) -> Decision:
    if _flooded(error):
        return _flood_wait(error, now)
    if error.migrate_to_chat_id is not None:
        return Decision(Verdict.MIGRATE, error.description, new_chat_id=error.migrate_to_chat_id)
    if _unparsable(error, text, attempt):
        return Decision(Verdict.RESEND_PLAIN, error.description)
    if error.code == 403 or (
        error.code == 400 and ("chat not found" in text or "need administrator rights" in text)
    ):
        return Decision(Verdict.DEACTIVATE, error.description)
    if error.code >= 500:
        return retry(attempt, error.description, now, policy)
    return Decision(Verdict.GIVE_UP, error.description)


def _edit_failure(
    attempt: Attempt, error: BotApiError, text: str, now: datetime, policy: RetryPolicy
) -> Decision:
    if "message is not modified" in text:
        return DELIVERED
    if _unparsable(error, text, attempt):
        return Decision(Verdict.RESEND_PLAIN, error.description)
    return _copy_failure(attempt, error, now, policy)


def _delete_failure(
    attempt: Attempt, error: BotApiError, text: str, now: datetime, policy: RetryPolicy
) -> Decision:
    if "message to delete not found" in text:
        return DELIVERED
    if "can't be deleted" in text:
        return Decision(Verdict.EDIT_INSTEAD, error.description)
    return _copy_failure(attempt, error, now, policy)


def _copy_failure(attempt: Attempt, error: BotApiError, now: datetime, policy: RetryPolicy) -> Decision:
    """An edit or delete of a sent copy failed for a reason other than its own special cases."""
    if _flooded(error):
        return _flood_wait(error, now)
    if error.code >= 500:
        return retry(attempt, error.description, now, policy)
    if error.code == 403:
        return Decision(Verdict.DEACTIVATE, error.description)
    return Decision(Verdict.GIVE_UP, error.description)


__all__ = [
    "DELIVERED",
    "MAX_CALLS",
    "Answer",
    "Attempt",
    "Decision",
    "RetryPolicy",
    "Step",
    "Verdict",
    "decide",
    "retry",
]
