"""/healthz and /metrics end to end: health names what is down; every required metric is present and
moves when an alert is delivered through the emulator (with a blocked reader and an injected 429)."""

from __future__ import annotations

import asyncio

from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import select

from bot.db.models import Source
from tests.editors.harness import Newsroom, wait_until


async def _scrape(room: Newsroom) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    async with room.http.get(room.api + "/metrics") as response:
        assert response.status == 200
        assert response.headers["Content-Type"].startswith("text/plain")
        text = await response.text()
    samples: dict[tuple[str, tuple[tuple[str, str], ...]], float] = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return samples


def _value(samples: dict[tuple[str, tuple[tuple[str, str], ...]], float], name: str, **labels: str) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


async def test_healthz_is_200_when_all_is_up_and_503_naming_what_is_down(room: Newsroom) -> None:
    async def leading() -> bool:  # on PostgreSQL the leader lock is taken first (bot.coord.leader)
        return room.app.sender_task is not None and room.app.supervisor.task("polling") is not None

    await wait_until(leading, what="the instance leads")
    async with room.http.get(room.api + "/healthz") as response:
        assert response.status == 200
        body = await response.json()
    assert body["status"] == "ok" and body["down"] == []
    checks = body["checks"]
    for name in ("database", "scheduler", "sender", "polling", "digests", "ops", "http", "sources"):
        assert checks[name] == "ok", name
    assert checks["pulse_sources"] == checks["pulse_deliveries"] == "ok"
    task = room.app.sender_task
    assert task is not None
    task.cancel()  # a task gone for good (not restarting): named as down
    await asyncio.gather(task, return_exceptions=True)
    async with room.http.get(room.api + "/healthz") as response:
        assert response.status == 503
        body = await response.json()
    assert body["status"] == "down" and body["down"] == ["sender"]
    assert body["checks"]["database"] == "ok"


async def test_metrics_are_present_and_move_with_a_real_delivery(room: Newsroom) -> None:
    async def baseline() -> bool:
        async with room.app.sessionmaker() as session:
            return bool(await session.scalar(select(Source.last_success_at)))

    await wait_until(baseline, what="the first successful poll")
    readers = await room.subscribers(4, ["economy"], language="en")
    await room.tg.block(readers[0])  # → a failure by reason "forbidden"
    await room.tg.inject_fault(429, method="sendMessage", chat_id=readers[1], retry_after=1, times=1)
    before = await _scrape(room)
    for family in (
        "aajel_detect_to_first_push_seconds_count",
        "aajel_detect_to_last_push_seconds_count",
        "aajel_sends_total",
        "aajel_flood_waits_total",
    ):
        assert any(name == family for name, _ in before), family
    for priority in ("flash", "urgent", "normal"):
        assert ("aajel_outbox_depth", (("priority", priority),)) in before
    assert _value(before, "aajel_source_last_success_timestamp_seconds", source="sample-feed") > 0
    assert ("aajel_source_freshness_seconds", (("source", "sample-feed"),)) in before

    async with room.http.post(
        room.api + "/api/v1/alerts",
        json={"headline": "Bank collapses", "topics": ["economy"], "level": "urgent"},
        headers=room.auth(),
    ) as response:
        assert response.status == 201
        alert_id = (await response.json())["id"]

    # while the 429'd delivery waits, the outbox depth is visible
    async def queued() -> bool:
        return _value(await _scrape(room), "aajel_outbox_depth", priority="urgent") >= 1

    await wait_until(queued, within=10, what="outbox depth > 0")

    async def done() -> bool:
        async with room.http.get(room.api + f"/api/v1/alerts/{alert_id}", headers=room.auth()) as response:
            return bool((await response.json())["done"])

    await wait_until(done, within=20, what="the alert delivered")
    after = await _scrape(room)

    def moved(name: str, **labels: str) -> float:
        return _value(after, name, **labels) - _value(before, name, **labels)

    assert moved("aajel_sends_total") >= 3
    assert moved("aajel_send_failures_total", reason="forbidden") >= 1
    assert moved("aajel_flood_waits_total") >= 1
    assert moved("aajel_detect_to_first_push_seconds_count") >= 1
    assert moved("aajel_detect_to_last_push_seconds_count") >= 1
    assert _value(after, "aajel_outbox_depth", priority="urgent") == 0
    assert moved("aajel_api_requests_total", operation="createAlert", status="201") == 1
    assert (
        moved("aajel_source_freshness_seconds", source="sample-feed") != 0
        or _value(after, "aajel_source_freshness_seconds", source="sample-feed") < 60
    )
