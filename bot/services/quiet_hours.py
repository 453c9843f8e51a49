"""Quiet hours: the one definition, evaluated in Python (digests) and in SQL (delivery planning).

A chat's quiet hours are the window ``[start, end)`` of minutes after local midnight in the chat's time
zone; ``start > end`` wraps midnight (``23:00-07:00``); a missing bound or ``start == end`` means no
window. Flash and urgent alerts ignore the window; normal items and digests wait for its end.

Why written once, generically: planning decides inside the database (``INSERT … SELECT`` over columns,
:mod:`bot.services.alerts`), digests decide in Python over loaded rows (:mod:`bot.services.digest`).
Both evaluate :func:`has_window` and :func:`window_contains` below — with Python's ``all``/``any``
(:func:`in_quiet_hours`) or with SQLAlchemy's ``and_``/``or_`` (:func:`has_window_sql`,
:func:`window_contains_sql`, side by side here) — so the rule cannot drift between the two; a test
evaluates both forms on a table of windows and minutes on each engine.

Invariant: stored minutes are local; a DST change inside a window shifts its end by the DST offset (at
most an hour, twice a year, for non-breaking items only). An unknown stored zone counts as UTC.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import and_, or_

Combine = Callable[..., Any]


def _all(*conditions: Any) -> bool:
    return all(conditions)


def _any(*conditions: Any) -> bool:
    return any(conditions)


def _is_set(value: Any) -> bool:
    return value is not None


def has_window(
    start: Any, end: Any, *, all_of: Combine = _all, is_set: Callable[[Any], Any] = _is_set
) -> Any:
    """Whether ``start``/``end`` describe a window (both set, not equal)."""
    return all_of(is_set(start), is_set(end), start != end)


def window_contains(
    start: Any, end: Any, minute: Any, *, all_of: Combine = _all, any_of: Combine = _any
) -> Any:
    """Whether ``minute`` falls in the window ``[start, end)``; call only where :func:`has_window` holds."""
    return any_of(
        all_of(start < end, start <= minute, minute < end),
        all_of(start > end, any_of(start <= minute, minute < end)),
    )


def local_now(now: datetime, timezone: str | None) -> datetime:
    """``now`` in the chat's time zone (UTC if the stored name is somehow unknown)."""
    try:
        return now.astimezone(ZoneInfo(timezone or "UTC"))
    except (ZoneInfoNotFoundError, ValueError):
        return now.astimezone(UTC)


def local_minute(moment: datetime, timezone: str | None) -> int:
    """Minutes after local midnight of ``moment`` in ``timezone`` (an unknown zone counts as UTC)."""
    local = local_now(moment, timezone)
    return local.hour * 60 + local.minute


def in_quiet_hours(now: datetime, timezone: str | None, start: int | None, end: int | None) -> bool:
    """Whether ``now`` falls in the chat's quiet hours (see the module docstring)."""
    if not has_window(start, end):
        return False
    return bool(window_contains(start, end, local_minute(now, timezone)))


def has_window_sql(start: Any, end: Any) -> Any:
    """:func:`has_window` as an SQL expression over the ``start``/``end`` columns."""
    return has_window(start, end, all_of=and_, is_set=_is_not_null)


def window_contains_sql(start: Any, end: Any, minute: Any) -> Any:
    """:func:`window_contains` as an SQL expression over the ``start``/``end`` columns."""
    return window_contains(start, end, minute, all_of=and_, any_of=or_)


def _is_not_null(column: Any) -> Any:
    return column.is_not(None)


__all__ = [
    "has_window",
    "has_window_sql",
    "in_quiet_hours",
    "local_minute",
    "local_now",
    "window_contains",
    "window_contains_sql",
]
