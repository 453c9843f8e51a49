"""Forwarding a channel post into the private chat, and the bot joining a channel as admin."""

from __future__ import annotations

import pytest

from bot.emulator import EmulatorClient, EmulatorClientError


async def test_forwarded_channel_post_carries_forward_origin(tg: EmulatorClient) -> None:
    await tg.create_user("Editor", user_id=42, started=True)
    await tg.create_user("Stranger", user_id=43, started=True)
    channel = await tg.create_chat("channel", "Desk", username="desk_news", creator_id=42)
    secret = await tg.create_chat("channel", "Private desk", creator_id=42)
    post = (await tg.send(42, "خبر أول", chat_id=channel.id)).message
    hidden = (await tg.send(42, "سري", chat_id=secret.id)).message

    forwarded = await tg.forward(42, channel.id, post.message_id)
    assert forwarded.update_id is not None and forwarded.message.text == "خبر أول"
    [update] = [u for u in await tg.updates() if "message" in u]
    origin = update["message"]["forward_origin"]
    assert origin["type"] == "channel" and origin["message_id"] == post.message_id
    assert origin["chat"] == {"id": channel.id, "type": "channel", "title": "Desk", "username": "desk_news"}
    assert update["message"]["chat"]["id"] == 42 and update["message"]["from"]["id"] == 42

    await tg.forward(43, channel.id, post.message_id)  # a public channel: anyone can forward
    with pytest.raises(EmulatorClientError):
        await tg.forward(43, secret.id, hidden.message_id)  # not a member of a private channel
    with pytest.raises(EmulatorClientError):
        await tg.forward(42, channel.id, 999)


async def test_bot_added_to_a_channel_as_admin_without_post_rights(tg: EmulatorClient) -> None:
    await tg.create_user("Editor", user_id=42, started=True)
    channel = await tg.create_chat("channel", "Desk", creator_id=42)
    await tg.add_bot(channel.id, admin=True, can_post_messages=False, by_user_id=42)
    [change] = [u["my_chat_member"] for u in await tg.updates() if "my_chat_member" in u]
    assert change["from"]["id"] == 42 and change["chat"]["type"] == "channel"
    assert change["new_chat_member"]["status"] == "administrator"
    assert change["new_chat_member"]["can_post_messages"] is False
