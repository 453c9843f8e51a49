"""Refused requests are audited without amplification: per client and minute (injected clock), on
both engines. Also the small pure guards: path ids and JSON depth."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.api.guard import MAX_ID, BadBody, IdProblem, RefusalLog, client_key, parse_id, parse_json
from bot.clock import FrozenClock
from bot.db.models import AuditLog


async def _rows(factory: async_sessionmaker[AsyncSession]) -> list[tuple[str, dict[str, Any]]]:
    async with factory() as session:
        rows = await session.scalars(select(AuditLog).order_by(AuditLog.id))
        return [(row.result, row.details) for row in rows]


async def test_first_refusal_per_client_and_minute_is_a_row_the_rest_one_count(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    clock = FrozenClock()
    refusals = RefusalLog(session_factory, clock)
    for _ in range(500):
        await refusals.record("api.alert.create", remote="203.0.113.7", reason="wrong token")
    await refusals.record("api.alert.get", remote="198.51.100.1", reason="missing")
    assert [r for r, _ in await _rows(session_factory)] == ["refused", "refused"]
    clock.advance(60)  # the next minute's first refusal closes the last one
    await refusals.record("api.alert.create", remote="203.0.113.7", reason="wrong token")
    rows = await _rows(session_factory)
    assert [r for r, _ in rows] == ["refused", "refused", "aggregated", "refused"]
    assert rows[2][1] == {"remote": "203.0.113.7", "minute": "2026-01-01T00:00:00+00:00", "count": 500}


async def test_many_addresses_share_one_bucket_past_the_cap_and_ipv6_counts_per_64(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    clock = FrozenClock()
    refusals = RefusalLog(session_factory, clock, max_clients=3)
    for i in range(50):
        await refusals.record("api.alert.create", remote=f"2001:db8:0:{i}::1", reason="missing")
        await refusals.record("api.alert.create", remote=f"2001:db8:0:{i}::2", reason="missing")
    await refusals.flush()
    rows = await _rows(session_factory)
    refused = [d["remote"] for r, d in rows if r == "refused"]
    assert refused == ["2001:db8::/64", "2001:db8:0:1::/64", "2001:db8:0:2::/64", "*"]
    counts = {d["remote"]: d["count"] for r, d in rows if r == "aggregated"}
    assert counts == {"2001:db8::/64": 2, "2001:db8:0:1::/64": 2, "2001:db8:0:2::/64": 2, "*": 94}


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("1", 1),
        (str(MAX_ID), MAX_ID),
        (str(MAX_ID + 1), 404),
        (str(2**63), 404),
        ("9" * 5000, 404),
        ("0", 404),
        ("١", 422),
        ("۱۲", 422),
        ("-1", 422),
        ("1e3", 422),
        ("", 422),
        ("\x00", 422),
    ],
)
def test_path_ids(raw: str, expected: int) -> None:
    parsed = parse_id(raw)
    if isinstance(parsed, IdProblem):
        assert parsed.status == expected
    else:
        assert parsed == expected


@pytest.mark.parametrize(
    "raw", [b"[" * 30_000, b"[" * 17 + b"]" * 17, b'{"a": ' * 20 + b"1" + b"}" * 20, b"nope", b"\xff"]
)
def test_bad_json_bodies(raw: bytes) -> None:
    with pytest.raises(BadBody):
        parse_json(raw)


def test_client_keys() -> None:
    assert client_key("::ffff:198.51.100.9") == "198.51.100.9"
    assert client_key("2001:db8::abcd") == "2001:db8::/64"
    assert client_key(None) == "unknown"
