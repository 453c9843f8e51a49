"""Webhook mode end to end: the emulator POSTs updates (with the secret header) to the bot's aiohttp
server; a wrong secret is refused with 401 and nothing is processed; deleteWebhook on stop."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import func, select

from bot.db.models import Subscriber
from tests.editors.harness import ADMIN, WEBHOOK_SECRET, running_newsroom


async def test_webhook_mode_serves_updates_refuses_a_wrong_secret_and_deletes_the_hook_on_stop(
    migrated_db_url: str, tmp_path: Path
) -> None:
    async with running_newsroom(migrated_db_url, tmp_path, webhook=True) as room:
        tg = room.tg
        hook = await tg.webhook()
        assert hook["url"] == f"{room.api}/telegram/webhook"
        assert hook["secret_token"] == WEBHOOK_SECRET
        calls = await tg.calls("setWebhook")
        assert calls and calls[-1].params.get("secret_token") == WEBHOOK_SECRET

        # a subscriber and an editor, served through the webhook
        reader = await tg.create_user("Mona", language_code="en")
        await tg.start(reader.id)
        welcome = await room.reply(reader.id, 1)
        assert "Welcome to Aajel" in (welcome.text or "")
        await tg.send(ADMIN, "/stats")
        assert "The last 24 hours" in ((await room.reply(ADMIN, 1)).text or "")
        attempts = (await tg.webhook())["attempts"]
        assert attempts and all(a["status"] == 200 for a in attempts)
        assert not await tg.calls("getUpdates")  # no long polling in webhook mode

        # a forged update with the wrong (or no) secret: 401, nothing processed
        forged = {
            "update_id": 999_999,
            "message": {
                "message_id": 1,
                "date": 1_700_000_000,
                "chat": {"id": 4242, "type": "private", "first_name": "Eve"},
                "from": {"id": 4242, "is_bot": False, "first_name": "Eve"},
                "text": "/start",
                "entities": [{"type": "bot_command", "offset": 0, "length": 6}],
            },
        }
        for headers in ({"X-Telegram-Bot-Api-Secret-Token": "wrong"}, {}):
            async with room.http.post(
                f"{room.api}/telegram/webhook",
                data=json.dumps(forged),
                headers={"Content-Type": "application/json", **headers},
            ) as response:
                assert response.status == 401
        async with room.app.sessionmaker() as session:
            assert (
                await session.scalar(
                    select(func.count()).select_from(Subscriber).where(Subscriber.chat_id == 4242)
                )
                == 0
            )
        sent_to_eve = [c for c in await tg.calls("sendMessage") if c.params.get("chat_id") in ("4242", 4242)]
        assert sent_to_eve == []


@pytest.mark.parametrize("db_backend", ["sqlite"], indirect=True)
async def test_webhook_is_deleted_when_the_bot_stops(migrated_db_url: str, tmp_path: Path) -> None:
    async with running_newsroom(migrated_db_url, tmp_path, webhook=True) as room:
        tg = room.tg
        emulator = room.emulator
        assert (await tg.webhook())["url"]
    # the emulator outlives nothing here, so read its state directly
    assert emulator.emulator.webhook is None
    methods = [call.method for call in emulator.emulator.calls]
    assert methods.index("setWebhook") < methods.index("deleteWebhook")


def test_aajel_run_webhook_without_a_url_stops_with_one_line_naming_the_key(tmp_path: Path) -> None:
    from tests.cli.test_cli import aajel

    result = aajel("run", "--webhook", cwd=tmp_path, env={"BOT_TOKEN": "123456:AAEhBP0av28ZtuWSSNyfnZ6"})
    assert result.returncode == 2
    assert result.stderr.startswith("aajel: configuration error: API__WEBHOOK_URL:")
    assert "Traceback" not in result.stderr
