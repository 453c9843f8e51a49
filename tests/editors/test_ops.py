"""Ops-chat notices end to end: a source that really goes down (its HTTP server stops) and comes back,
a stale source, and an alert whose deliveries fail in bulk — each notified once, from the database."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from sqlalchemy import select, update

from bot.db.models import Source
from tests.editors.harness import OPS_CHAT, running_newsroom, wait_until


async def _healthy(room: object) -> bool | None:
    async with room.app.sessionmaker() as session:  # type: ignore[attr-defined]
        return await session.scalar(select(Source.healthy))


async def test_ops_chat_hears_when_a_source_goes_down_recovers_and_goes_stale(
    migrated_db_url: str, tmp_path: Path
) -> None:
    async with running_newsroom(
        migrated_db_url, tmp_path, polling={"unhealthy_after_failures": 1, "max_backoff_seconds": 2}
    ) as room:
        ops = room.app.ops
        assert ops is not None
        ops.lang = "en"  # DEFAULT_LANGUAGE is Arabic; the English texts are easier to assert on

        async def polled_ok() -> bool:
            async with room.app.sessionmaker() as session:
                return bool(await session.scalar(select(Source.last_success_at)))

        await wait_until(polled_ok, what="a successful poll")
        assert await ops.check() == []  # all well: nothing to say

        port = int(room.newsroom.url.rsplit(":", 1)[1])
        await room.newsroom.stop()  # the news site goes down for real

        async def down() -> bool:
            return await _healthy(room) is False

        await wait_until(down, within=15, what="the poller to mark the source unhealthy")
        [notice] = await ops.check()
        assert notice.action == "ops.source_unhealthy"
        [message] = await room.tg.wait_for_messages(OPS_CHAT, 1)
        assert "sample-feed" in (message.text or "") and "unhealthy" in (message.text or "")
        assert await ops.check() == []  # said once

        await room.newsroom.start(port)  # back up

        async def up() -> bool:
            return await _healthy(room) is True

        await wait_until(up, within=15, what="the poller to mark the source healthy")
        [notice] = await ops.check()
        assert notice.action == "ops.source_recovered"
        messages = await room.tg.wait_for_messages(OPS_CHAT, 2)
        assert "working again" in (messages[1].text or "")

        # no success for an hour (the poller would keep polling; the clock of the row says it all)
        async with room.app.sessionmaker() as session, session.begin():
            old = room.app.clock.now() - timedelta(hours=1)
            await session.execute(update(Source).values(last_success_at=old, created_at=old))
        room.app.scheduler.pause()  # keep the poller from refreshing it meanwhile
        [notice] = await ops.check()
        assert notice.action == "ops.source_stale"
        messages = await room.tg.wait_for_messages(OPS_CHAT, 3)
        assert "has not succeeded for" in (messages[2].text or "")
        assert await ops.check() == []


async def test_ops_chat_hears_about_bulk_delivery_failures_once(migrated_db_url: str, tmp_path: Path) -> None:
    async with running_newsroom(migrated_db_url, tmp_path) as room:
        ops = room.app.ops
        assert ops is not None
        ops.lang = "en"  # DEFAULT_LANGUAGE is Arabic; the English texts are easier to assert on
        ops.bulk_min_failures = 4
        readers = await room.subscribers(6, ["politics"], language="en")
        for user in readers[:5]:
            await room.tg.block(user)
        async with room.http.post(
            room.api + "/api/v1/alerts",
            json={"headline": "Parliament dissolved", "topics": ["politics"]},
            headers=room.auth(),
        ) as response:
            alert_id = (await response.json())["id"]

        async def done() -> bool:
            async with room.http.get(
                room.api + f"/api/v1/alerts/{alert_id}", headers=room.auth()
            ) as response:
                return bool((await response.json())["done"])

        await wait_until(done, within=15, what="delivery done")
        notices = [n for n in await ops.check() if n.action == "ops.bulk_failures"]
        assert [n.target for n in notices] == [f"alert:{alert_id}"]
        [message] = [
            m for m in await room.tg.wait_for_messages(OPS_CHAT, 1) if "deliveries failed" in (m.text or "")
        ]
        assert f"#{alert_id}" in (message.text or "") and "5 of 6" in (message.text or "")
        assert "forbidden 5" in (message.text or "")
        assert [n for n in await ops.check() if n.action == "ops.bulk_failures"] == []
