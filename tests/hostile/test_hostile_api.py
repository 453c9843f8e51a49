"""Hostile API bodies, ids, headers and Telegram updates against the running bot, on both engines.

Every case gets its documented 4xx with a JSON error naming the problem (never a 5xx), the status is
listed for that operation in the OpenAPI document, and afterwards nothing else changed: the one
real alert is intact, the server is healthy and a good request still works.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from bot.db.models import Alert, AuditLog, Subscriber
from bot.logging_setup import secret_forms
from bot.services.editor_alerts import get_alert
from tests.editors.harness import CMS_TOKEN, WEBHOOK_SECRET, Newsroom, running_newsroom
from tests.hostile.corpus import (
    HOSTILE_CMS_REQUESTS,
    HOSTILE_HEADER_LINES,
    HOSTILE_UPDATES,
    POISONED_ALERT,
    POISONED_CLEAN,
    HostileRequest,
)

GOOD_ALERT = {"headline": "زلزال بقوة 6 درجات يضرب الساحل", "topics": ["world"], "level": "flash"}


def _documented(document: dict[str, Any], operation: str) -> set[str]:
    for methods in document["paths"].values():
        for op in methods.values():
            if op["operationId"] == operation:
                return set(op["responses"])
    raise AssertionError(f"{operation} is not in the document")


async def _send(room: Newsroom, case: HostileRequest, url: str, headers: dict[str, str]) -> tuple[int, Any]:
    async with room.http.request(
        case.method, url, data=case.body, headers={**headers, **dict(case.headers)}
    ) as response:
        return response.status, await response.json(content_type=None)


async def _count(room: Newsroom, model: Any, *where: Any) -> int:
    async with room.app.sessionmaker() as session:
        return int(await session.scalar(select(func.count()).select_from(model).where(*where)) or 0)


async def test_hostile_cms_requests_get_documented_4xx_and_change_nothing_else(
    migrated_db_url: str, tmp_path: Path
) -> None:
    async with running_newsroom(migrated_db_url, tmp_path) as room:
        async with room.http.get(room.api + "/api/v1/openapi.json") as response:
            document = await response.json()
        async with room.http.post(
            room.api + "/api/v1/alerts", json=GOOD_ALERT, headers=room.auth()
        ) as response:
            assert response.status == 201
            alert_id = (await response.json())["id"]
        headers = {**room.auth(), "Content-Type": "application/json"}
        answers = ""
        for case in HOSTILE_CMS_REQUESTS:
            url = room.api + case.path.replace("{alert}", str(alert_id))
            status, body = await _send(room, case, url, headers)
            answers += json.dumps(body, ensure_ascii=False)
            assert status == case.status, (case.name, status, body)
            assert case.error in body["error"], (case.name, body)
            if case.operation is not None:
                assert str(status) in _documented(document, case.operation), case.name

        # hostile header lines on a raw socket: aiohttp's parser refuses the malformed ones itself
        port = room.app.api.port if room.app.api else None
        assert port is not None
        for name, line, status_line in HOSTILE_HEADER_LINES:
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.write(
                b"POST /api/v1/alerts HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 2\r\n"
                + line
                + b"\r\nConnection: close\r\n\r\n{}"
            )
            await writer.drain()
            answer = await reader.read(65536)
            writer.close()
            assert answer.startswith(status_line), (name, answer[:200])

        # nothing else changed: the one real alert is intact, the server healthy
        assert await _count(room, Alert) == 1
        async with room.app.sessionmaker() as session:
            stored = await get_alert(session, alert_id)
        assert stored.headline == GOOD_ALERT["headline"] and stored.state == "active"
        async with room.http.get(room.api + "/healthz") as response:
            assert response.status == 200
            health = await response.text()
        async with room.http.get(room.api + "/metrics") as response:
            metrics = await response.text()
        for secret in (
            CMS_TOKEN,
            room.settings.bot_token.get_secret_value() if room.settings.bot_token else "",
        ):
            for form in secret_forms(secret):
                assert form not in health and form not in metrics and form not in answers
        # the 413 was audited like every invalid authenticated call
        async with room.app.sessionmaker() as session:
            reasons = [
                row.details.get("reason", "")
                for row in await session.scalars(select(AuditLog).where(AuditLog.result == "invalid"))
            ]
        assert any("larger than" in reason for reason in reasons)

        # a valid alert full of NUL / controls / bidi overrides / a lone surrogate: stored clean
        async with room.http.post(
            room.api + "/api/v1/alerts", json=POISONED_ALERT, headers=room.auth()
        ) as response:
            assert response.status == 201, await response.text()
            poisoned_id = (await response.json())["id"]
        async with room.app.sessionmaker() as session:
            stored = await get_alert(session, poisoned_id)
        assert (stored.headline, stored.body) == (POISONED_CLEAN["headline"], POISONED_CLEAN["body"])


async def test_a_flood_of_unauthenticated_requests_writes_a_bounded_number_of_audit_rows(
    migrated_db_url: str, tmp_path: Path
) -> None:
    async with running_newsroom(migrated_db_url, tmp_path) as room:
        before = await _count(room, AuditLog)

        async def probe(i: int) -> int:
            async with room.http.post(
                room.api + "/api/v1/alerts", json=GOOD_ALERT, headers={"Authorization": f"Bearer guess-{i}"}
            ) as response:
                return response.status

        statuses = await asyncio.gather(*(probe(i) for i in range(300)))
        assert set(statuses) == {401}
        # one client: its first refusal per minute is a row (at most 2 minutes touched) …
        assert 1 <= await _count(room, AuditLog) - before <= 2
        assert room.app.api is not None
        await room.app.api.stop()  # … and the rest one count per minute
        async with room.app.sessionmaker() as session:
            rows = list(await session.scalars(select(AuditLog).order_by(AuditLog.id)))
        new = rows[before:]
        assert len(new) <= 4
        refused = [r for r in new if r.result == "refused"]
        aggregated = [r for r in new if r.result == "aggregated"]
        assert len(refused) + sum(r.details["count"] - 1 for r in aggregated) == 300


async def test_hostile_webhook_bodies_get_4xx_and_the_bot_keeps_serving(
    migrated_db_url: str, tmp_path: Path
) -> None:
    async with running_newsroom(migrated_db_url, tmp_path, webhook=True) as room:
        async with room.http.get(room.api + "/api/v1/openapi.json") as response:
            document = await response.json()
        url = f"{room.api}/telegram/webhook"
        headers = {"Content-Type": "application/json", "X-Telegram-Bot-Api-Secret-Token": WEBHOOK_SECRET}
        for case in HOSTILE_UPDATES:
            status, body = await _send(room, case, url, headers)
            assert status == case.status, (case.name, status, body)
            assert case.error in body["error"], (case.name, body)
            assert str(status) in _documented(document, "telegramWebhook"), case.name

        # a well-formed update full of NUL and bidi controls, from a real chat: served, nothing breaks
        eve = await room.tg.create_user("Eve", language_code="en", started=True)
        poisoned = {
            "update_id": 77,
            "message": {
                "message_id": 5,
                "date": 1_700_000_000,
                "chat": {"id": eve.id, "type": "private", "first_name": "\u0000E\u202eve"},
                "from": {
                    "id": eve.id,
                    "is_bot": False,
                    "first_name": "\u0000E\u202eve",
                    "language_code": "en",
                },
                "text": "/start\u0000\u202e",
                "entities": [{"type": "bot_command", "offset": 0, "length": 6}],
            },
        }
        async with room.http.post(url, data=json.dumps(poisoned), headers=headers) as response:
            assert response.status == 200
        # "/start" glued to NUL and U+202E is not the /start command: a polite answer, not a crash
        assert "/help" in ((await room.reply(eve.id, 1)).text or "")

        # the bot still serves real users through the webhook
        reader = await room.tg.create_user("Mona", language_code="en")
        await room.tg.start(reader.id)
        assert "Welcome to Aajel" in ((await room.reply(reader.id, 1)).text or "")
        assert await _count(room, Subscriber, Subscriber.chat_id == 4343) == 0  # wrong secret: nothing
