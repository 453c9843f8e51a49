"""The control API through EmulatorClient: acting as users and chats, reading what the bot did."""

from __future__ import annotations

import asyncio

import pytest

from bot.emulator import EmulatorClient, EmulatorClientError

from .conftest import RawApi


async def test_create_user_and_start_marks_them_started(tg: EmulatorClient) -> None:
    user = await tg.create_user("Layla", user_id=42, username="layla", language_code="ar")
    assert (user.id, user.started, user.language_code) == (42, False, "ar")
    sent = await tg.start(42)
    assert sent.update_id is not None and sent.message.text == "/start"
    assert (await tg.get_user(42)).started is True


async def test_blocking_and_unblocking_emit_my_chat_member_in_private(tg: EmulatorClient) -> None:
    await tg.create_user("Layla", user_id=42, started=True)
    assert (await tg.block(42)).blocked is True
    await tg.unblock(42)
    changes = [u["my_chat_member"] for u in await tg.updates()]
    assert [(c["old_chat_member"]["status"], c["new_chat_member"]["status"]) for c in changes] == [
        ("member", "kicked"),
        ("kicked", "member"),
    ]
    assert changes[0]["from"]["id"] == 42 and changes[0]["chat"]["type"] == "private"


async def test_a_private_message_unblocks_the_bot(tg: EmulatorClient) -> None:
    await tg.create_user("Layla", user_id=42, started=True)
    await tg.block(42)
    await tg.send(42, "hi again")
    assert (await tg.get_user(42)).blocked is False


async def test_adding_the_bot_to_a_group_emits_member_update_and_service_message(tg: EmulatorClient) -> None:
    owner = await tg.create_user("Owner", user_id=7)
    group = await tg.create_chat("group", "Family", creator_id=owner.id)
    assert group.id < 0 and group.bot_status == "left"
    await tg.add_bot(group.id)
    kinds = [next(k for k in u if k != "update_id") for u in await tg.updates()]
    assert kinds == ["my_chat_member", "message"]
    service = (await tg.updates())[1]["message"]
    assert service["new_chat_members"][0]["is_bot"] is True and service["from"]["id"] == owner.id
    assert (await tg.get_chat(group.id)).bot_status == "member"


async def test_channel_admin_rights_are_visible(tg: EmulatorClient) -> None:
    owner = await tg.create_user("Owner", user_id=7)
    channel = await tg.create_chat("channel", "Aajel", creator_id=owner.id, username="aajel")
    await tg.add_bot(channel.id, admin=True, can_post_messages=False)
    view = await tg.get_chat(channel.id)
    assert view.bot_status == "administrator" and view.bot_rights["can_post_messages"] is False
    update = (await tg.updates())[-1]["my_chat_member"]
    assert update["new_chat_member"]["can_post_messages"] is False


async def test_migration_gives_new_id_and_both_service_messages(tg: EmulatorClient, api: RawApi) -> None:
    owner = await tg.create_user("Owner", user_id=7)
    group = await tg.create_chat("group", "Family", creator_id=owner.id)
    await tg.add_bot(group.id)
    new_id = await tg.migrate(group.id)
    messages = [u["message"] for u in await tg.updates() if "message" in u]
    assert {"migrate_to_chat_id": new_id}.items() <= messages[-2].items()
    assert messages[-2]["chat"]["id"] == group.id
    assert messages[-1]["migrate_from_chat_id"] == group.id and messages[-1]["chat"]["type"] == "supergroup"
    assert (await tg.get_chat(group.id)).migrated_to == new_id
    assert (await api("getChat", chat_id=new_id)).result["type"] == "supergroup"


async def test_privacy_mode_hides_plain_group_chatter_but_not_commands(tg: EmulatorClient) -> None:
    owner = await tg.create_user("Owner", user_id=7)
    group = await tg.create_chat("supergroup", "Chat", creator_id=owner.id)
    await tg.add_bot(group.id)
    chatter = await tg.send(7, "just chatting", chat_id=group.id)
    command = await tg.send(7, "/subscribe@aajel_test_bot", chat_id=group.id)
    other_bot = await tg.send(7, "/start@other_bot", chat_id=group.id)
    assert (chatter.update_id, other_bot.update_id) == (None, None)
    assert command.update_id is not None
    await tg.set_bot_status(group.id, "administrator")
    assert (await tg.send(7, "admins see all", chat_id=group.id)).update_id is not None


async def test_press_requires_an_existing_button(tg: EmulatorClient, api: RawApi) -> None:
    await tg.create_user("Layla", user_id=42, started=True)
    sent = (await api("sendMessage", chat_id=42, text="no buttons")).result
    with pytest.raises(EmulatorClientError) as info:
        await tg.press(42, sent["message_id"])
    assert info.value.status == 404


async def test_callback_answer_can_be_awaited_and_only_given_once(tg: EmulatorClient, api: RawApi) -> None:
    await tg.create_user("Layla", user_id=42, started=True)
    markup = '{"inline_keyboard":[[{"text":"A","callback_data":"a"},{"text":"B","callback_data":"b"}]]}'
    sent = (await api("sendMessage", chat_id=42, text="pick", reply_markup=markup)).result
    pressed = await tg.press(42, sent["message_id"], text="B")
    assert pressed.data == "b" and not pressed.answered
    waiting = asyncio.create_task(tg.callback(pressed.id, wait=5))
    await asyncio.sleep(0.05)
    assert (
        await api("answerCallbackQuery", callback_query_id=pressed.id, text="ok", show_alert="true")
    ).result
    answer = await waiting
    assert (answer.answered, answer.text, answer.show_alert) == (True, "ok", True)
    again = await api("answerCallbackQuery", callback_query_id=pressed.id)
    assert (
        again.description
        == "Bad Request: query is too old and response timeout expired or query ID is invalid"
    )


async def test_wait_for_messages_times_out_with_408(tg: EmulatorClient) -> None:
    await tg.create_user("Layla", user_id=42, started=True)
    with pytest.raises(EmulatorClientError) as info:
        await tg.wait_for_messages(42, 1, within=0.1)
    assert info.value.status == 408 and "has 0 of 1" in info.value.message


async def test_messages_listing_filters_users_and_deleted(tg: EmulatorClient, api: RawApi) -> None:
    await tg.create_user("Layla", user_id=42, started=True)
    await tg.send(42, "from user")
    first = (await api("sendMessage", chat_id=42, text="one")).result
    await api("sendMessage", chat_id=42, text="two")
    await api("deleteMessage", chat_id=42, message_id=first["message_id"])
    assert [m.text for m in await tg.messages(42)] == ["one", "two"]
    assert [m.text for m in await tg.messages(42, include_deleted=False)] == ["two"]
    assert [m.text for m in await tg.messages(42, include_user_messages=True)] == ["from user", "one", "two"]


async def test_advancing_time_closes_the_delete_window(tg: EmulatorClient, api: RawApi) -> None:
    await tg.create_user("Layla", user_id=42, started=True)
    sent = (await api("sendMessage", chat_id=42, text="old news")).result
    await tg.advance_time(48 * 3600 + 1)
    reply = await api("deleteMessage", chat_id=42, message_id=sent["message_id"])
    assert reply.description == "Bad Request: message can't be deleted for everyone"


async def test_injected_faults_are_one_shot_and_listed(tg: EmulatorClient, api: RawApi) -> None:
    await tg.create_user("Layla", user_id=42, started=True)
    await tg.inject_fault(429, retry_after=5, method="sendMessage", chat_id=42)
    flooded = await api("sendMessage", chat_id=42, text="x")
    assert (flooded.status, flooded.headers["Retry-After"]) == (429, "5")
    assert (await api("sendMessage", chat_id=42, text="x")).status == 200
    [rule] = await tg.faults()
    assert (rule["remaining"], rule["hits"]) == (0, 1)
    await tg.clear_faults()
    assert await tg.faults() == []


async def test_call_log_filters_by_method_and_sequence(tg: EmulatorClient, api: RawApi) -> None:
    await api("getMe")
    await api("sendMessage", chat_id=1, text="x")
    calls = await tg.calls()
    assert [c.method for c in calls] == ["getMe", "sendMessage"]
    assert [c.method for c in await tg.calls("SENDMESSAGE")] == ["sendMessage"]
    assert await tg.calls(since=calls[-1].seq) == []
    assert calls[-1].params == {"chat_id": "1", "text": "x"} and calls[-1].status == 400


async def test_commands_are_readable_by_scope_and_language(tg: EmulatorClient, api: RawApi) -> None:
    await api("setMyCommands", commands='[{"command":"start","description":"ابدأ"}]', language_code="ar")
    [entry] = await tg.commands()
    assert entry["language_code"] == "ar" and entry["commands"][0]["command"] == "start"
    assert '"default"' in entry["scope"]


async def test_control_misuse_is_a_json_error(tg: EmulatorClient) -> None:
    with pytest.raises(EmulatorClientError) as info:
        await tg.send(999, "who am I")
    assert info.value.status == 404 and "no user 999" in info.value.message
    with pytest.raises(EmulatorClientError) as bad_type:
        await tg.create_chat("galaxy", "X")
    assert bad_type.value.status == 400


async def test_reset_forgets_everything_but_the_bot(tg: EmulatorClient, api: RawApi) -> None:
    await tg.create_user("Layla", user_id=42, started=True)
    await api("sendMessage", chat_id=42, text="x")
    await tg.reset()
    with pytest.raises(EmulatorClientError):
        await tg.get_user(42)
    assert await tg.calls() == [] and (await tg.bot())["id"] == 123456789
