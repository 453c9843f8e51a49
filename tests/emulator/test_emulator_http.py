"""Raw HTTP against the emulator: envelopes, status codes and every applicable error of the notes' table."""

from __future__ import annotations

import asyncio
import json

import aiohttp
import pytest

from bot.domain import ChatKind
from bot.emulator import ApiError, Emulator, EmulatorServer, MemberStatus
from bot.emulator import errors as E

from .conftest import RawApi

KEYBOARD = {"inline_keyboard": [[{"text": "Go", "callback_data": "go"}]]}


def started_user(emulator: Emulator, user_id: int = 501) -> int:
    return emulator.add_user("Layla", user_id=user_id, language_code="ar", started=True).id


# --- envelope and transport ---------------------------------------------------------------------------
async def test_get_me_is_an_ok_envelope_with_the_fields_aiogram_requires(api: RawApi) -> None:
    reply = await api("getMe")
    assert (reply.status, reply.headers["Content-Type"]) == (200, "application/json")
    assert reply.body["ok"] is True
    me = reply.result
    assert me["id"] == 123456789 and me["is_bot"] is True and me["first_name"]
    assert me["username"] == "aajel_test_bot"


@pytest.mark.parametrize("name", ["getme", "GETME", "GetMe"])
async def test_method_names_are_case_insensitive(api: RawApi, name: str) -> None:
    assert (await api(name)).status == 200


async def test_parameters_arrive_by_query_string_json_or_multipart(
    api: RawApi, emulator: Emulator, server: EmulatorServer
) -> None:
    user = started_user(emulator)
    assert (await api("sendMessage", http="GET", chat_id=user, text="by query")).status == 200
    assert (
        await api("sendMessage", json_body={"chat_id": user, "text": "by json", "reply_markup": KEYBOARD})
    ).status == 200
    form = aiohttp.FormData()
    form.add_field("chat_id", str(user))
    form.add_field("text", "by multipart")
    form.add_field("document", b"bytes", filename="a.txt")
    async with api.session.post(f"{server.url}/bot{api.token}/sendMessage", data=form) as response:
        assert response.status == 200
    texts = [m.text for m in emulator.bot_messages(user)]
    assert texts == ["by query", "by json", "by multipart"]
    assert emulator.bot_messages(user)[1].reply_markup == KEYBOARD


async def test_unknown_method_is_404_method_not_found(api: RawApi) -> None:
    reply = await api("sendTelepathy")
    assert reply.headers["Content-Type"] == "application/json"
    assert (reply.status, reply.body) == (
        404,
        {"ok": False, "error_code": 404, "description": "Not Found: method not found"},
    )


@pytest.mark.parametrize("token", ["not-a-token", "123456", "abc:def", "123:has space"])
async def test_malformed_token_is_401_invalid_token_specified(api: RawApi, token: str) -> None:
    reply = await api("getMe", token=token.replace(" ", "%20"))
    assert (reply.status, reply.body["error_code"], reply.description) == (401, 401, E.INVALID_TOKEN)


async def test_well_shaped_foreign_token_is_401_unauthorized(api: RawApi) -> None:
    reply = await api("getMe", token="987654321:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")
    assert (reply.status, reply.description) == (401, "Unauthorized")


async def test_every_call_is_logged_with_decoded_json_params_and_outcome(
    api: RawApi, emulator: Emulator
) -> None:
    user = started_user(emulator)
    await api("sendMessage", chat_id=user, text="hi", reply_markup=json.dumps(KEYBOARD))
    await api("sendMessage", chat_id=999, text="hi")
    ok_call, failed_call = emulator.calls[-2:]
    assert ok_call.method == "sendMessage" and ok_call.status == 200
    assert ok_call.params["reply_markup"] == KEYBOARD
    assert (failed_call.status, failed_call.description) == (400, E.CHAT_NOT_FOUND)


# --- recipients ---------------------------------------------------------------------------------------
async def test_unknown_chat_is_400_chat_not_found(api: RawApi) -> None:
    reply = await api("sendMessage", chat_id=424242, text="x")
    assert (reply.status, reply.description) == (400, "Bad Request: chat not found")


async def test_blocked_user_is_403(api: RawApi, emulator: Emulator) -> None:
    user = started_user(emulator)
    emulator.set_blocked(user, True)
    reply = await api("sendMessage", chat_id=user, text="x")
    assert (reply.status, reply.description) == (403, "Forbidden: bot was blocked by the user")


async def test_deactivated_user_is_403(api: RawApi, emulator: Emulator) -> None:
    user = started_user(emulator)
    emulator.deactivate(user)
    reply = await api("sendMessage", chat_id=user, text="x")
    assert (reply.status, reply.description) == (403, "Forbidden: user is deactivated")


async def test_user_who_never_started_the_bot_is_403(api: RawApi, emulator: Emulator) -> None:
    user = emulator.add_user("Omar", user_id=777).id
    reply = await api("sendMessage", chat_id=user, text="x")
    assert (reply.status, reply.description) == (
        403,
        "Forbidden: bot can't initiate conversation with a user",
    )


@pytest.mark.parametrize("kind", [ChatKind.GROUP, ChatKind.SUPERGROUP, ChatKind.CHANNEL])
async def test_kicked_bot_gets_403_naming_the_chat_kind(
    api: RawApi, emulator: Emulator, kind: ChatKind
) -> None:
    owner = started_user(emulator)
    chat = emulator.create_chat(kind, "Newsroom", creator_id=owner)
    emulator.set_bot_status(chat.id, MemberStatus.ADMINISTRATOR)
    emulator.set_bot_status(chat.id, MemberStatus.KICKED)
    reply = await api("sendMessage", chat_id=chat.id, text="x")
    assert (reply.status, reply.description) == (403, f"Forbidden: bot was kicked from the {kind.value} chat")


@pytest.mark.parametrize("kind", [ChatKind.GROUP, ChatKind.SUPERGROUP, ChatKind.CHANNEL])
async def test_bot_not_in_chat_gets_403_not_a_member(api: RawApi, emulator: Emulator, kind: ChatKind) -> None:
    chat = emulator.create_chat(kind, "Newsroom")
    reply = await api("sendMessage", chat_id=chat.id, text="x")
    assert (reply.status, reply.description) == (
        403,
        f"Forbidden: bot is not a member of the {kind.value} chat",
    )


async def test_bot_that_left_a_group_is_not_a_member(api: RawApi, emulator: Emulator) -> None:
    owner = started_user(emulator)
    chat = emulator.create_chat(ChatKind.GROUP, "G", creator_id=owner)
    emulator.set_bot_status(chat.id, MemberStatus.MEMBER)
    assert (await api("leaveChat", chat_id=chat.id)).result is True
    reply = await api("sendMessage", chat_id=chat.id, text="x")
    assert reply.description == "Forbidden: bot is not a member of the group chat"


async def test_channel_without_post_rights_is_400_need_administrator_rights(
    api: RawApi, emulator: Emulator
) -> None:
    owner = started_user(emulator)
    channel = emulator.create_chat(ChatKind.CHANNEL, "Aajel News", creator_id=owner, username="aajelnews")
    emulator.set_bot_status(channel.id, MemberStatus.ADMINISTRATOR, rights={"can_post_messages": False})
    reply = await api("sendMessage", chat_id=channel.id, text="x")
    assert (reply.status, reply.description) == (
        400,
        "Bad Request: need administrator rights in the channel chat",
    )
    emulator.set_bot_status(channel.id, MemberStatus.MEMBER)
    assert (await api("sendMessage", chat_id=channel.id, text="x")).description == E.NEED_CHANNEL_ADMIN


async def test_channel_admin_with_post_rights_posts_as_the_channel_even_by_username(
    api: RawApi, emulator: Emulator
) -> None:
    owner = started_user(emulator)
    channel = emulator.create_chat(ChatKind.CHANNEL, "Aajel News", creator_id=owner, username="aajelnews")
    emulator.set_bot_status(channel.id, MemberStatus.ADMINISTRATOR)
    message = (await api("sendMessage", chat_id="@aajelnews", text="عاجل")).result
    assert message["sender_chat"]["id"] == channel.id and "from" not in message
    assert message["chat"] == {
        "id": channel.id,
        "type": "channel",
        "title": "Aajel News",
        "username": "aajelnews",
    }


async def test_migrated_group_answers_400_with_migrate_to_chat_id(api: RawApi, emulator: Emulator) -> None:
    owner = started_user(emulator)
    group = emulator.create_chat(ChatKind.GROUP, "G", creator_id=owner)
    emulator.set_bot_status(group.id, MemberStatus.MEMBER)
    new = emulator.migrate(group.id)
    reply = await api("sendMessage", chat_id=group.id, text="x")
    assert reply.status == 400
    assert reply.body == {
        "ok": False,
        "error_code": 400,
        "description": "Bad Request: group chat was upgraded to a supergroup chat",
        "parameters": {"migrate_to_chat_id": new.id},
    }
    assert str(new.id).startswith("-100")
    assert (await api("sendMessage", chat_id=new.id, text="x")).status == 200


# --- text and markup ----------------------------------------------------------------------------------
async def test_html_message_keeps_text_entities_and_original_html(api: RawApi, emulator: Emulator) -> None:
    user = started_user(emulator)
    html = '<b>عاجل</b> | <a href="https://example.com/a">التفاصيل</a>'
    message = (await api("sendMessage", chat_id=user, text=html, parse_mode="HTML")).result
    assert message["text"] == "عاجل | التفاصيل"
    assert message["entities"] == [
        {"type": "bold", "offset": 0, "length": 4},
        {"type": "text_link", "offset": 7, "length": 8, "url": "https://example.com/a"},
    ]
    assert isinstance(message["date"], int) and message["chat"] == {
        "id": user,
        "type": "private",
        "first_name": "Layla",
    }
    stored = emulator.bot_messages(user)[0]
    assert (stored.html, stored.parse_mode) == (html, "HTML")


async def test_text_over_4096_after_parsing_is_message_too_long(api: RawApi, emulator: Emulator) -> None:
    user = started_user(emulator)
    assert (
        await api("sendMessage", chat_id=user, text="<b>" + "x" * 4096 + "</b>", parse_mode="HTML")
    ).status == 200
    reply = await api("sendMessage", chat_id=user, text="x" * 4097)
    assert (reply.status, reply.description) == (400, "Bad Request: message is too long")


@pytest.mark.parametrize(("text", "mode"), [("", None), ("   ", None), ("<b> </b>", "HTML")])
async def test_empty_text_is_message_text_is_empty(
    api: RawApi, emulator: Emulator, text: str, mode: str | None
) -> None:
    user = started_user(emulator)
    params = {"chat_id": user, "text": text} | ({"parse_mode": mode} if mode else {})
    reply = await api("sendMessage", json_body=params)
    assert (reply.status, reply.description) == (400, "Bad Request: message text is empty")


async def test_bad_html_is_400_cant_parse_entities_with_byte_offset(api: RawApi, emulator: Emulator) -> None:
    user = started_user(emulator)
    reply = await api("sendMessage", chat_id=user, text="عاجل<p>x</p>", parse_mode="HTML")
    assert (reply.status, reply.description) == (
        400,
        'Bad Request: can\'t parse entities: Unsupported start tag "p" at byte offset 8',
    )


@pytest.mark.parametrize("data", ["x" * 65, "ع" * 33, ""])
async def test_callback_data_outside_1_to_64_bytes_is_button_data_invalid(
    api: RawApi, emulator: Emulator, data: str
) -> None:
    user = started_user(emulator)
    markup = {"inline_keyboard": [[{"text": "b", "callback_data": data}]]}
    reply = await api("sendMessage", chat_id=user, text="x", reply_markup=json.dumps(markup))
    assert (reply.status, reply.description) == (400, "Bad Request: BUTTON_DATA_INVALID")


async def test_callback_data_of_exactly_64_bytes_is_accepted(api: RawApi, emulator: Emulator) -> None:
    user = started_user(emulator)
    markup = {"inline_keyboard": [[{"text": "b", "callback_data": "ع" * 32}]]}
    assert (await api("sendMessage", chat_id=user, text="x", reply_markup=json.dumps(markup))).status == 200


async def test_send_options_are_accepted_and_stored(api: RawApi, emulator: Emulator) -> None:
    user = started_user(emulator)
    preview = {"is_disabled": True}
    reply = await api(
        "sendMessage",
        chat_id=user,
        text="x",
        link_preview_options=json.dumps(preview),
        disable_notification="true",
        protect_content="true",
        allow_paid_broadcast="true",
    )
    assert reply.result["link_preview_options"] == preview and reply.result["has_protected_content"] is True
    stored = emulator.bot_messages(user)[0]
    assert stored.options == {
        "link_preview_options": preview,
        "disable_notification": True,
        "protect_content": True,
        "allow_paid_broadcast": True,
    }


async def test_reply_parameters_to_a_missing_message_is_rejected_unless_allowed(
    api: RawApi, emulator: Emulator
) -> None:
    user = started_user(emulator)
    first = (await api("sendMessage", chat_id=user, text="first")).result
    reply = await api("sendMessage", chat_id=user, text="r", reply_parameters=json.dumps({"message_id": 99}))
    assert reply.description == "Bad Request: message to be replied not found"
    lenient = json.dumps({"message_id": 99, "allow_sending_without_reply": True})
    assert (await api("sendMessage", chat_id=user, text="r", reply_parameters=lenient)).status == 200
    ok = await api(
        "sendMessage",
        chat_id=user,
        text="r",
        reply_parameters=json.dumps({"message_id": first["message_id"]}),
    )
    assert ok.result["reply_to_message"]["text"] == "first"


async def test_forum_topics_route_by_message_thread_id(api: RawApi, emulator: Emulator) -> None:
    owner = started_user(emulator)
    forum = emulator.create_chat(ChatKind.SUPERGROUP, "Desk", creator_id=owner, is_forum=True)
    emulator.set_bot_status(forum.id, MemberStatus.ADMINISTRATOR)
    topic = emulator.add_topic(forum.id, "سياسة")
    message = (await api("sendMessage", chat_id=forum.id, text="x", message_thread_id=topic)).result
    assert (message["message_thread_id"], message["is_topic_message"]) == (topic, True)
    reply = await api("sendMessage", chat_id=forum.id, text="x", message_thread_id=99999)
    assert reply.description == "Bad Request: message thread not found"


# --- edits and deletes --------------------------------------------------------------------------------
async def test_edit_with_identical_content_is_not_modified(api: RawApi, emulator: Emulator) -> None:
    user = started_user(emulator)
    sent = (
        await api(
            "sendMessage", chat_id=user, text="<b>x</b>", parse_mode="HTML", reply_markup=json.dumps(KEYBOARD)
        )
    ).result
    same = await api(
        "editMessageText", chat_id=user, message_id=sent["message_id"], text="<b>x</b>", parse_mode="HTML",
        reply_markup=json.dumps(KEYBOARD),
    )  # fmt: skip
    assert (same.status, same.description) == (400, E.NOT_MODIFIED)
    markup = await api(
        "editMessageReplyMarkup",
        chat_id=user,
        message_id=sent["message_id"],
        reply_markup=json.dumps(KEYBOARD),
    )
    assert markup.description == (
        "Bad Request: message is not modified: specified new message content and reply markup are exactly the "
        "same as a current content and reply markup of the message"
    )


async def test_edit_keeps_history_and_drops_keyboard_when_markup_is_omitted(
    api: RawApi, emulator: Emulator
) -> None:
    user = started_user(emulator)
    sent = (await api("sendMessage", chat_id=user, text="v1", reply_markup=json.dumps(KEYBOARD))).result
    edited = (
        await api(
            "editMessageText",
            chat_id=user,
            message_id=sent["message_id"],
            text="<i>v2</i>",
            parse_mode="HTML",
        )
    ).result
    assert "edit_date" in edited and "reply_markup" not in edited
    stored = emulator.bot_messages(user)[0]
    assert [v.text for v in stored.history] == ["v1", "v2"]
    assert stored.history[0].reply_markup == KEYBOARD and stored.history[1].html == "<i>v2</i>"


async def test_edit_of_unknown_or_foreign_message_is_rejected(api: RawApi, emulator: Emulator) -> None:
    user = started_user(emulator)
    emulator.user_sends(user, "hello")
    assert (
        await api("editMessageText", chat_id=user, message_id=50, text="x")
    ).description == E.MESSAGE_TO_EDIT_NOT_FOUND
    assert (
        await api("editMessageText", chat_id=user, message_id=1, text="x")
    ).description == E.MESSAGE_CANT_BE_EDITED


async def test_delete_works_within_48_hours_only(api: RawApi, emulator: Emulator) -> None:
    user = started_user(emulator)
    young = (await api("sendMessage", chat_id=user, text="young")).result["message_id"]
    old = (await api("sendMessage", chat_id=user, text="old")).result["message_id"]
    assert (await api("deleteMessage", chat_id=user, message_id=young)).result is True
    assert emulator.bot_messages(user)[0].deleted is True
    again = await api("deleteMessage", chat_id=user, message_id=young)
    assert (again.status, again.description) == (400, "Bad Request: message to delete not found")
    emulator.advance_time(48 * 3600)
    late = await api("deleteMessage", chat_id=user, message_id=old)
    assert (late.status, late.description) == (400, "Bad Request: message can't be deleted for everyone")
    # ...but the bot's own messages can still be edited
    assert (await api("editMessageText", chat_id=user, message_id=old, text="still editable")).status == 200


# --- updates ------------------------------------------------------------------------------------------
async def test_two_concurrent_get_updates_terminate_the_first_with_409(api: RawApi) -> None:
    first = asyncio.create_task(api("getUpdates", timeout=5))
    await asyncio.sleep(0.05)
    second = asyncio.create_task(api("getUpdates", timeout=0))
    early = await first
    assert (early.status, early.description) == (
        409,
        "Conflict: terminated by other getUpdates request; make sure that only one bot instance is running",
    )
    assert (await second).status == 200


async def test_get_updates_while_webhook_is_set_is_409(api: RawApi) -> None:
    await api("setWebhook", url="http://127.0.0.1:9/hook")
    reply = await api("getUpdates")
    assert (reply.status, reply.description) == (
        409,
        "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first",
    )
    deleted = await api("deleteWebhook")
    assert deleted.body == {"ok": True, "result": True, "description": "Webhook was deleted"}
    assert (await api("getUpdates")).result == []


async def test_get_updates_offset_confirms_and_limit_caps(api: RawApi, emulator: Emulator) -> None:
    user = started_user(emulator)
    for text in ("a", "b", "c"):
        emulator.user_sends(user, text)
    updates = (await api("getUpdates", limit=2)).result
    assert [u["message"]["text"] for u in updates] == ["a", "b"]
    rest = (await api("getUpdates", offset=updates[-1]["update_id"] + 1)).result
    assert [u["message"]["text"] for u in rest] == ["c"]
    assert (await api("getUpdates", offset=rest[-1]["update_id"] + 1)).result == []


async def test_get_updates_long_poll_returns_as_soon_as_an_update_arrives(
    api: RawApi, emulator: Emulator
) -> None:
    user = started_user(emulator)
    poll = asyncio.create_task(api("getUpdates", timeout=10))
    await asyncio.sleep(0.05)
    emulator.user_sends(user, "/start")
    reply = await asyncio.wait_for(poll, 2)
    message = reply.result[0]["message"]
    assert message["entities"] == [{"type": "bot_command", "offset": 0, "length": 6}]


async def test_allowed_updates_filters_new_updates_and_persists(api: RawApi, emulator: Emulator) -> None:
    user = started_user(emulator)
    await api("getUpdates", allowed_updates=json.dumps(["callback_query"]))
    emulator.user_sends(user, "ignored")
    assert (await api("getUpdates")).result == []
    await api("getUpdates", allowed_updates="[]")
    emulator.user_sends(user, "seen")
    assert [u["message"]["text"] for u in (await api("getUpdates")).result] == ["seen"]


async def test_unclaimed_updates_expire_after_24_hours(api: RawApi, emulator: Emulator) -> None:
    user = started_user(emulator)
    emulator.user_sends(user, "stale")
    emulator.advance_time(24 * 3600 + 1)
    assert (await api("getUpdates")).result == []


@pytest.mark.parametrize(
    ("secret", "description"),
    [
        ("bad secret!", E.SECRET_TOKEN_CHARS),
        ("a+b/c=", E.SECRET_TOKEN_CHARS),
        ("x" * 257, E.SECRET_TOKEN_LONG),
    ],
)
async def test_set_webhook_validates_the_secret_token(api: RawApi, secret: str, description: str) -> None:
    reply = await api("setWebhook", url="https://example.org/hook", secret_token=secret)
    assert (reply.status, reply.description) == (400, description)


# --- commands, chats, members --------------------------------------------------------------------------
async def test_commands_are_kept_per_scope_and_language(api: RawApi) -> None:
    ar = [{"command": "start", "description": "ابدأ"}]
    en = [{"command": "start", "description": "Start"}]
    private = json.dumps({"type": "all_private_chats"})
    await api("setMyCommands", commands=json.dumps(ar), language_code="ar")
    await api("setMyCommands", commands=json.dumps(en), scope=private)
    assert (await api("getMyCommands", language_code="ar")).result == ar
    assert (await api("getMyCommands")).result == []
    assert (await api("getMyCommands", scope=private)).result == en
    await api("deleteMyCommands", language_code="ar")
    assert (await api("getMyCommands", language_code="ar")).result == []
    bad = await api("setMyCommands", commands=json.dumps([{"command": "Bad-Name", "description": "x"}]))
    assert bad.description == "Bad Request: BOT_COMMAND_INVALID"


async def test_get_chat_member_reports_each_status(api: RawApi, emulator: Emulator) -> None:
    owner = started_user(emulator, 1)
    admin = emulator.add_user("A", user_id=2).id
    member = emulator.add_user("M", user_id=3).id
    kicked = emulator.add_user("K", user_id=4).id
    outsider = emulator.add_user("O", user_id=5).id
    group = emulator.create_chat(
        ChatKind.SUPERGROUP, "S", creator_id=owner, admin_ids=[admin], member_ids=[member]
    )
    emulator.set_member(group.id, kicked, MemberStatus.KICKED)
    emulator.set_bot_status(group.id, MemberStatus.ADMINISTRATOR)
    statuses = [
        (await api("getChatMember", chat_id=group.id, user_id=uid)).result["status"]
        for uid in (owner, admin, member, kicked, outsider, emulator.bot_id)
    ]
    assert statuses == ["creator", "administrator", "member", "kicked", "left", "administrator"]
    admins = (await api("getChatAdministrators", chat_id=group.id)).result
    assert {a["user"]["id"] for a in admins} == {owner, admin, emulator.bot_id}
    assert (
        await api("getChatMember", chat_id=group.id, user_id=31337)
    ).description == "Bad Request: user not found"


async def test_get_chat_returns_full_info(api: RawApi, emulator: Emulator) -> None:
    user = started_user(emulator)
    info = (await api("getChat", chat_id=user)).result
    assert info["id"] == user and info["type"] == "private" and "accent_color_id" in info


# --- the interceptor seam -----------------------------------------------------------------------------
async def test_injected_one_shot_500_fails_once_then_calls_go_through(
    api: RawApi, emulator: Emulator
) -> None:
    user = started_user(emulator)
    emulator.faults.inject(ApiError(500, "Internal Server Error"), method="sendMessage", chat_id=user)
    failed = await api("sendMessage", chat_id=user, text="x")
    assert (failed.status, failed.body) == (
        500,
        {"ok": False, "error_code": 500, "description": "Internal Server Error"},
    )
    assert emulator.bot_messages(user) == []
    assert (await api("sendMessage", chat_id=user, text="x")).status == 200


async def test_injected_flood_wait_has_header_body_and_parameters(api: RawApi, emulator: Emulator) -> None:
    user = started_user(emulator)
    emulator.faults.inject(ApiError.too_many_requests(7))
    reply = await api("sendMessage", chat_id=user, text="x")
    assert reply.status == 429 and reply.headers["Retry-After"] == "7"
    assert reply.body == {
        "ok": False,
        "error_code": 429,
        "description": "Too Many Requests: retry after 7",
        "parameters": {"retry_after": 7},
    }
