"""The send-outcome policy (:mod:`bot.delivery.outcome`), one row per rule: no database, no network.

Each case: the request's facts, Telegram's answer (or none), and the decision expected. ``NOW`` is
fixed, so every ``retry_at`` is exact.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest

from bot.delivery.outcome import (
    MAX_CALLS,
    Answer,
    Attempt,
    Decision,
    RetryPolicy,
    Step,
    Verdict,
    decide,
    retry,
)
from bot.exceptions import BotApiError, BotApiUnavailable

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
POLICY = RetryPolicy(max_attempts=5, max_backoff_seconds=10.0)


def at(seconds: float) -> datetime:
    return NOW + timedelta(seconds=seconds)


def error(
    code: int, description: str, *, retry_after: float | None = None, migrate_to_chat_id: int | None = None
) -> BotApiError:
    return BotApiError(code, description, retry_after=retry_after, migrate_to_chat_id=migrate_to_chat_id)


BLOCKED = error(403, "Forbidden: bot was blocked by the user")
UNPARSABLE = error(400, "Bad Request: can't parse entities: unsupported start tag")
FLOOD = error(429, "Too Many Requests: retry after 7", retry_after=7)
SERVER = error(502, "Bad Gateway")
TIMEOUT = BotApiUnavailable("sendMessage: no answer within 10s (Timeout)")


@dataclass(frozen=True)
class Case:
    name: str
    attempt: Attempt
    answer: Answer
    expected: Decision


SEND = Attempt(Step.SEND, attempts=0)
EDIT = Attempt(Step.EDIT, attempts=0)
DELETE = Attempt(Step.DELETE, attempts=0)

CASES = [
    # --- sends ------------------------------------------------------------------------------------
    Case("send accepted", SEND, None, Decision(Verdict.DELIVERED)),
    Case(
        "send 429 waits retry_after, not an attempt",
        SEND,
        FLOOD,
        Decision(Verdict.FLOOD_WAIT, FLOOD.description, retry_at=at(7), wait_seconds=7.0),
    ),
    Case(
        "send retry_after without 429 is a flood wait too",
        SEND,
        error(400, "Bad Request: slow down", retry_after=3),
        Decision(Verdict.FLOOD_WAIT, "Bad Request: slow down", retry_at=at(3), wait_seconds=3.0),
    ),
    Case(
        "send 429 without retry_after waits at least a second",
        SEND,
        error(429, "Too Many Requests"),
        Decision(Verdict.FLOOD_WAIT, "Too Many Requests", retry_at=at(1), wait_seconds=1.0),
    ),
    Case(
        "send 429 with a sub-second retry_after waits a second",
        SEND,
        error(429, "Too Many Requests", retry_after=0.2),
        Decision(Verdict.FLOOD_WAIT, "Too Many Requests", retry_at=at(1), wait_seconds=1.0),
    ),
    Case(
        "send to a migrated group goes to the supergroup",
        SEND,
        error(400, "Bad Request: group chat was upgraded to a supergroup chat", migrate_to_chat_id=-1001),
        Decision(
            Verdict.MIGRATE, "Bad Request: group chat was upgraded to a supergroup chat", new_chat_id=-1001
        ),
    ),
    Case(
        "send with unparsable HTML is resent as plain text",
        SEND,
        UNPARSABLE,
        Decision(Verdict.RESEND_PLAIN, UNPARSABLE.description),
    ),
    Case(
        "send already plain and still unparsable gives up",
        Attempt(Step.SEND, attempts=0, plain=True, calls=2),
        UNPARSABLE,
        Decision(Verdict.GIVE_UP, UNPARSABLE.description),
    ),
    Case(
        "send blocked by the user deactivates",
        SEND,
        BLOCKED,
        Decision(Verdict.DEACTIVATE, BLOCKED.description),
    ),
    Case(
        "send to a chat not found deactivates",
        SEND,
        error(400, "Bad Request: chat not found"),
        Decision(Verdict.DEACTIVATE, "Bad Request: chat not found"),
    ),
    Case(
        "send to a channel without admin rights deactivates",
        SEND,
        error(400, "Bad Request: need administrator rights in the channel chat"),
        Decision(Verdict.DEACTIVATE, "Bad Request: need administrator rights in the channel chat"),
    ),
    Case(
        "send 5xx is retried after 2 s",
        SEND,
        SERVER,
        Decision(Verdict.RETRY, SERVER.description, retry_at=at(2)),
    ),
    Case("send timeout is retried", SEND, TIMEOUT, Decision(Verdict.RETRY, str(TIMEOUT), retry_at=at(2))),
    Case(
        "send backoff doubles per attempt",
        Attempt(Step.SEND, attempts=2),
        SERVER,
        Decision(Verdict.RETRY, SERVER.description, retry_at=at(8)),
    ),
    Case(
        "send backoff is capped",
        Attempt(Step.SEND, attempts=3),
        SERVER,
        Decision(Verdict.RETRY, SERVER.description, retry_at=at(10)),
    ),
    Case(
        "send gives up at max_attempts",
        Attempt(Step.SEND, attempts=4),
        SERVER,
        Decision(Verdict.GIVE_UP, "gave up after 5 attempts: Bad Gateway"),
    ),
    Case(
        "send other 4xx gives up with Telegram's reason",
        SEND,
        error(400, "Bad Request: message is too long"),
        Decision(Verdict.GIVE_UP, "Bad Request: message is too long"),
    ),
    Case(
        "send migrating again on the last allowed request gives up",
        Attempt(Step.SEND, attempts=0, calls=MAX_CALLS[Step.SEND]),
        error(400, "Bad Request: group chat was upgraded", migrate_to_chat_id=-1002),
        Decision(Verdict.GIVE_UP, "gave up after migration/plain-text retries"),
    ),
    Case(
        "send 429 wins over a migration in the same answer",
        SEND,
        error(429, "Too Many Requests", retry_after=2, migrate_to_chat_id=-1003),
        Decision(Verdict.FLOOD_WAIT, "Too Many Requests", retry_at=at(2), wait_seconds=2.0),
    ),
    # --- edits ------------------------------------------------------------------------------------
    Case("edit accepted", EDIT, None, Decision(Verdict.DELIVERED)),
    Case(
        "edit of an unchanged message is done",
        EDIT,
        error(400, "Bad Request: message is not modified: specified new message content is the same"),
        Decision(Verdict.DELIVERED),
    ),
    Case(
        "edit with unparsable HTML is resent as plain text",
        EDIT,
        UNPARSABLE,
        Decision(Verdict.RESEND_PLAIN, UNPARSABLE.description),
    ),
    Case(
        "edit already plain and still unparsable gives up",
        Attempt(Step.EDIT, attempts=0, plain=True, calls=2),
        UNPARSABLE,
        Decision(Verdict.GIVE_UP, UNPARSABLE.description),
    ),
    Case(
        "edit 429 waits retry_after",
        EDIT,
        FLOOD,
        Decision(Verdict.FLOOD_WAIT, FLOOD.description, retry_at=at(7), wait_seconds=7.0),
    ),
    Case("edit 5xx is retried", EDIT, SERVER, Decision(Verdict.RETRY, SERVER.description, retry_at=at(2))),
    Case("edit timeout is retried", EDIT, TIMEOUT, Decision(Verdict.RETRY, str(TIMEOUT), retry_at=at(2))),
    Case(
        "edit blocked by the user deactivates",
        EDIT,
        BLOCKED,
        Decision(Verdict.DEACTIVATE, BLOCKED.description),
    ),
    Case(
        "edit of a chat not found gives up (only 403 deactivates on an edit)",
        EDIT,
        error(400, "Bad Request: chat not found"),
        Decision(Verdict.GIVE_UP, "Bad Request: chat not found"),
    ),
    Case(
        "edit of a message gone gives up",
        EDIT,
        error(400, "Bad Request: message to edit not found"),
        Decision(Verdict.GIVE_UP, "Bad Request: message to edit not found"),
    ),
    Case(
        "edit ignores a migration (the copy stays where it was sent)",
        EDIT,
        error(400, "Bad Request: group chat was upgraded", migrate_to_chat_id=-1004),
        Decision(Verdict.GIVE_UP, "Bad Request: group chat was upgraded"),
    ),
    Case(
        "edit gives up at max_attempts",
        Attempt(Step.EDIT, attempts=4),
        SERVER,
        Decision(Verdict.GIVE_UP, "gave up after 5 attempts: Bad Gateway"),
    ),
    # --- deletes ----------------------------------------------------------------------------------
    Case("delete accepted", DELETE, None, Decision(Verdict.DELIVERED)),
    Case(
        "delete of a message already gone is done",
        DELETE,
        error(400, "Bad Request: message to delete not found"),
        Decision(Verdict.DELIVERED),
    ),
    Case(
        "delete refused (too old) becomes an edit",
        DELETE,
        error(400, "Bad Request: message can't be deleted for everyone"),
        Decision(Verdict.EDIT_INSTEAD, "Bad Request: message can't be deleted for everyone"),
    ),
    Case(
        "delete 429 waits retry_after",
        DELETE,
        FLOOD,
        Decision(Verdict.FLOOD_WAIT, FLOOD.description, retry_at=at(7), wait_seconds=7.0),
    ),
    Case(
        "delete 5xx is retried", DELETE, SERVER, Decision(Verdict.RETRY, SERVER.description, retry_at=at(2))
    ),
    Case("delete timeout is retried", DELETE, TIMEOUT, Decision(Verdict.RETRY, str(TIMEOUT), retry_at=at(2))),
    Case(
        "delete blocked by the user deactivates",
        DELETE,
        BLOCKED,
        Decision(Verdict.DEACTIVATE, BLOCKED.description),
    ),
    Case(
        "delete other 4xx gives up",
        DELETE,
        error(400, "Bad Request: message identifier is not specified"),
        Decision(Verdict.GIVE_UP, "Bad Request: message identifier is not specified"),
    ),
]


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_policy(case: Case) -> None:
    assert decide(case.attempt, case.answer, NOW, POLICY) == case.expected


def test_every_verdict_is_reached_by_some_case() -> None:
    assert {case.expected.verdict for case in CASES} == set(Verdict)


@pytest.mark.parametrize(
    ("attempts", "expected"),
    [
        (0, Decision(Verdict.RETRY, "KeyError: 'x'", retry_at=at(2))),
        (4, Decision(Verdict.GIVE_UP, "gave up after 5 attempts: KeyError: 'x'")),
    ],
)
def test_a_bug_in_our_code_is_retried_like_a_transient_error(attempts: int, expected: Decision) -> None:
    assert retry(Attempt(Step.SEND, attempts=attempts), "KeyError: 'x'", NOW, POLICY) == expected


def test_decisions_are_frozen() -> None:
    decision = decide(SEND, SERVER, NOW, POLICY)
    with pytest.raises(AttributeError):
        decision.verdict = Verdict.DELIVERED  # type: ignore[misc]
