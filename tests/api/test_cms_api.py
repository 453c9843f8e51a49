"""The CMS API end to end: real HTTP to the bot's aiohttp server, pushes observed in the emulator."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from bot.db.models import Alert, AuditLog, Delivery
from bot.domain import DeliveryStatus
from tests.editors.harness import CMS_TOKEN, Newsroom, running_newsroom, wait_until

ALERT = {"headline": "زلزال بقوة 6 درجات يضرب الساحل", "topics": ["world"], "level": "flash"}


async def _post(
    room: Newsroom,
    path: str,
    body: Any = None,
    *,
    headers: dict[str, str] | None = None,
    raw: bytes | None = None,
) -> tuple[int, dict[str, Any]]:
    kwargs: dict[str, Any] = {"headers": {**room.auth(), **(headers or {})}}
    if raw is not None:
        kwargs["data"] = raw
    elif body is not None:
        kwargs["json"] = body
    async with room.http.post(room.api + path, **kwargs) as response:
        return response.status, await response.json()


async def _get(
    room: Newsroom, path: str, headers: dict[str, str] | None = None
) -> tuple[int, dict[str, Any]]:
    async with room.http.get(
        room.api + path, headers=room.auth() if headers is None else headers
    ) as response:
        return response.status, await response.json()


async def _count(room: Newsroom, model: Any) -> int:
    async with room.app.sessionmaker() as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)


async def test_missing_or_wrong_bearer_token_is_refused_with_json_401_and_audited(room: Newsroom) -> None:
    for headers in ({}, {"Authorization": "Bearer nope"}, {"Authorization": f"Basic {CMS_TOKEN}"}):
        async with room.http.post(room.api + "/api/v1/alerts", json=ALERT, headers=headers) as response:
            assert response.status == 401
            assert response.headers["WWW-Authenticate"] == "Bearer"
            body = await response.json()
            assert body["field"] == "Authorization" and "bearer token" in body["error"]
    status, body = await _get(room, "/api/v1/alerts/1", headers={"Authorization": "Bearer wrong"})
    assert status == 401
    assert await _count(room, Alert) == 0
    async with room.app.sessionmaker() as session:
        refused = list(await session.scalars(select(AuditLog).where(AuditLog.result == "refused")))
    # one client, one row per minute: the first refusal; the rest are counted, not written (the
    # server's clock is the system's, so a minute boundary may fall inside the test: 1 or 2 rows)
    assert 1 <= len(refused) <= 2 and refused[0].action == "api.alert.create"
    assert {row.details["remote"] for row in refused} == {"127.0.0.1"}
    assert room.app.api is not None
    await room.app.api.stop()  # flushes the counts
    async with room.app.sessionmaker() as session:
        counted = list(await session.scalars(select(AuditLog).where(AuditLog.result == "aggregated")))
    # every bucket wrote its first refusal, and a count row when it had more than one
    assert len(refused) + sum(row.details["count"] - 1 for row in counted) == 4


async def test_cms_api_is_disabled_without_a_token(migrated_db_url: str, tmp_path: Path) -> None:
    async with running_newsroom(migrated_db_url, tmp_path, cms_token=None) as room:
        async with room.http.post(
            room.api + "/api/v1/alerts", json=ALERT, headers={"Authorization": "Bearer "}
        ) as response:
            assert response.status == 503
            assert "disabled" in (await response.json())["error"]
        async with room.http.get(room.api + "/healthz") as response:
            assert response.status == 200  # the rest of the server works


async def test_invalid_bodies_get_4xx_naming_the_field_at_fault(room: Newsroom) -> None:
    cases: list[tuple[Any, int, str]] = [
        ({**ALERT, "topics": []}, 422, "topics"),
        ({**ALERT, "topics": ["Not A Slug"]}, 422, "topics[0]"),
        ({**ALERT, "topics": ["world", "nosuchtopic"]}, 422, "topics[1]"),
        ({**ALERT, "level": "normal"}, 422, "level"),
        ({**ALERT, "headline": "   "}, 422, "headline"),
        ({**ALERT, "headline": "x" * 601}, 422, "headline"),
        ({**ALERT, "url": "ftp://example.com/x"}, 422, "url"),
        ({**ALERT, "topic": "world"}, 422, "topic"),
        ({k: v for k, v in ALERT.items() if k != "headline"}, 422, "headline"),
        ([ALERT], 422, "$"),
    ]
    for body, status, field in cases:
        got, answer = await _post(room, "/api/v1/alerts", body)
        assert (got, answer.get("field")) == (status, field), (body, answer)
        assert answer["error"]
    got, answer = await _post(room, "/api/v1/alerts", raw=b"{not json")
    assert (got, answer["field"]) == (400, "$")
    got, answer = await _post(room, "/api/v1/alerts", ALERT, headers={"Idempotency-Key": "has space"})
    assert (got, answer["field"]) == (400, "Idempotency-Key")
    got, answer = await _get(room, "/api/v1/alerts/abc")
    assert (got, answer["field"]) == (422, "id")
    got, answer = await _get(room, "/api/v1/alerts/999")
    assert got == 404
    async with room.http.get(room.api + "/api/v1/nothing-here") as response:
        assert response.status == 404 and "error" in await response.json()
    assert await _count(room, Alert) == 0


async def test_idempotency_key_same_key_same_alert_never_sent_twice_other_body_409(room: Newsroom) -> None:
    readers = await room.subscribers(5, ["world"])
    key = {"Idempotency-Key": "cms-story-8842"}
    first, created = await _post(room, "/api/v1/alerts", ALERT, headers=key)
    assert first == 201 and created["replayed"] is False and created["recipients"] == 5
    # retries (sequential and concurrent) find the same alert
    again, replay = await _post(room, "/api/v1/alerts", ALERT, headers=key)
    assert again == 200 and replay["id"] == created["id"] and replay["replayed"] is True
    results = await asyncio.gather(*(_post(room, "/api/v1/alerts", ALERT, headers=key) for _ in range(5)))
    assert {status for status, _ in results} == {200} and {b["id"] for _, b in results} == {created["id"]}
    conflict, problem = await _post(room, "/api/v1/alerts", {**ALERT, "headline": "غير ذلك"}, headers=key)
    assert conflict == 409 and problem["field"] == "Idempotency-Key"

    for user in readers:
        await room.reply(user, 1, within=15)

    async def settled() -> bool:  # every delivery recorded as sent: the sender has nothing left to send
        async with room.app.sessionmaker() as session:
            statuses = set(await session.scalars(select(Delivery.status)))
        return statuses == {DeliveryStatus.SENT}

    await wait_until(settled, within=15, what="every delivery recorded as sent")
    for user in readers:
        assert len(await room.tg.messages(user)) == 1  # never twice
    assert await _count(room, Alert) == 1 and await _count(room, Delivery) == 5

    # a new key is a new alert
    other, second = await _post(room, "/api/v1/alerts", ALERT, headers={"Idempotency-Key": "cms-story-8843"})
    assert other == 201 and second["id"] != created["id"]


async def test_concurrent_first_requests_with_one_key_create_one_alert(room: Newsroom) -> None:
    key = {"Idempotency-Key": "race-1"}
    results = await asyncio.gather(*(_post(room, "/api/v1/alerts", ALERT, headers=key) for _ in range(6)))
    statuses = sorted(status for status, _ in results)
    assert statuses == [200, 200, 200, 200, 200, 201]
    assert len({body["id"] for _, body in results}) == 1
    assert await _count(room, Alert) == 1


async def test_progress_correction_and_retraction_through_the_api(room: Newsroom) -> None:
    readers = await room.subscribers(3, ["world"], language="en")
    status, created = await _post(room, "/api/v1/alerts", {**ALERT, "url": "https://news.example.com/q"})
    assert status == 201
    alert_id = created["id"]

    async def delivered() -> bool:
        _, progress = await _get(room, f"/api/v1/alerts/{alert_id}")
        return bool(progress["done"]) and progress["sent"] == 3

    await wait_until(delivered, within=15, what="delivery done")
    _, progress = await _get(room, f"/api/v1/alerts/{alert_id}")
    assert progress["kind"] == "editor" and progress["total"] == 3 and progress["first_sent_at"]

    status, change = await _post(
        room, f"/api/v1/alerts/{alert_id}/correction", {"text": "زلزال بقوة 5 درجات"}
    )
    assert status == 202 and change["copies"] == 3

    async def corrected() -> bool:
        texts = [(await room.tg.messages(user))[0].text or "" for user in readers]
        return all("5 درجات" in text for text in texts)

    await wait_until(corrected, within=15, what="copies corrected")
    status, change = await _post(room, f"/api/v1/alerts/{alert_id}/retraction")  # no body: fine
    assert status == 202
    _, progress = await _get(room, f"/api/v1/alerts/{alert_id}")
    assert progress["state"] == "retracted"
    status, problem = await _post(room, f"/api/v1/alerts/{alert_id}/correction", {"text": "again"})
    assert status == 409 and "retracted" in problem["error"]
    status, problem = await _post(room, "/api/v1/alerts/4242/retraction", {})
    assert status == 404
    status, problem = await _post(room, f"/api/v1/alerts/{alert_id}/correction", {"txt": "x"})
    assert (status, problem["field"]) == (422, "text")  # the missing field comes first
    async with room.app.sessionmaker() as session:
        actions = list(
            await session.execute(
                select(AuditLog.action, AuditLog.result).where(AuditLog.actor_telegram_id.is_(None))
            )
        )
    assert ("api.alert.create", "ok") in actions
    assert ("api.alert.correct", "ok") in actions and ("api.alert.retract", "ok") in actions
    assert ("api.alert.correct", "conflict") in actions
