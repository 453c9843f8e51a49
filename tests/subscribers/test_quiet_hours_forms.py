"""Quiet hours' two forms agree: the Python rule digests use and the SQL expression planning uses.

Both come from :mod:`bot.services.quiet_hours`; here they are evaluated on one table of windows (none,
half-set, empty, same-day, wrapping midnight, edges of the day) and minutes (each edge and its
neighbours), the SQL form by the database itself, on both engines.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import Integer, and_, literal, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.services.quiet_hours import has_window_sql, in_quiet_hours, window_contains_sql

WINDOWS: list[tuple[int | None, int | None]] = [
    (None, None),
    (None, 420),
    (1380, None),
    (600, 600),
    (540, 1020),  # 09:00-17:00
    (1380, 420),  # 23:00-07:00, wraps midnight
    (0, 1),
    (1439, 0),
    (0, 1439),
]
MINUTES = [0, 1, 419, 420, 539, 540, 599, 600, 1019, 1020, 1379, 1380, 1438, 1439]
CASES = [(start, end, minute) for start, end in WINDOWS for minute in MINUTES]


def _python(start: int | None, end: int | None, minute: int) -> bool:
    now = datetime(2026, 3, 1, minute // 60, minute % 60, tzinfo=UTC)
    return in_quiet_hours(now, "UTC", start, end)


async def test_the_sql_form_agrees_with_the_python_form(session: AsyncSession) -> None:
    columns = []
    for start, end, minute in CASES:
        start_col, end_col = literal(start, Integer), literal(end, Integer)
        inside = and_(has_window_sql(start_col, end_col), window_contains_sql(start_col, end_col, minute))
        columns.append(inside)
    row = (await session.execute(select(*columns))).one()
    in_sql = [bool(value) for value in row]  # NULL (no window) reads as not quiet, as planning treats it
    in_python = [_python(*case) for case in CASES]
    disagreements = [case for case, a, b in zip(CASES, in_sql, in_python, strict=True) if a != b]
    assert disagreements == []
    assert any(in_python) and not all(in_python)


def test_the_table_covers_the_rule() -> None:
    assert _python(1380, 420, 0) and _python(1380, 420, 1380) and not _python(1380, 420, 420)
    assert _python(540, 1020, 540) and not _python(540, 1020, 1020)
    assert not any(_python(start, end, 600) for start, end in [(None, None), (None, 420), (600, 600)])
