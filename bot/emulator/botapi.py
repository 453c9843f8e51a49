"""The Bot API methods the emulator implements, and the one entry point that runs them.

:func:`handle` takes a token, a method name and the merged request parameters, and returns
``(status, envelope, headers)``: the token is checked first (401 ``invalid token specified`` /
``Unauthorized``), then the method (404 ``method not found``; names are case-insensitive), then the
interceptors (for sends, edits and deletes), then the method itself. Every call — including refused
ones — lands in the emulator's call log with its outcome. Invariant: the HTTP status always equals
``error_code`` and successful envelopes are ``{"ok": true, "result": ...}``.

Parameters arrive as strings (query string, form fields) or as JSON values (JSON bodies); :class:`Params`
reads both. Nested objects (``reply_markup``, ``link_preview_options``, ``entities``,
``reply_parameters``, ``allowed_updates``, ``commands``, ``scope``) may be JSON strings, as aiogram
sends them. Integers that do not parse count as 0, like the real server's lenient parsing.
"""

from __future__ import annotations

import contextlib
import json
import re
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

from bot.domain import ChatKind
from bot.emulator import errors as E
from bot.emulator.errors import ApiError
from bot.emulator.interceptor import INTERCEPTED_METHODS, ConnectionReset, InterceptedCall
from bot.emulator.model import Membership, MemberStatus, MessageRecord, WebhookConfig, member_to_api
from bot.emulator.state import DELETE_WINDOW, TOKEN_SHAPE, Emulator
from bot.emulator.tghtml import HtmlParseError, TextLengthError, prepare_text

JSON_FIELDS: dict[str, str] = {
    "reply_markup": "reply keyboard markup",
    "entities": "entities",
    "link_preview_options": "link preview options",
    "reply_parameters": "reply parameters",
    "allowed_updates": "allowed updates",
    "commands": "bot commands",
    "scope": "bot command scope",
}
"""Parameters that carry JSON, and the words Telegram uses when one cannot be parsed."""

_SECRET_TOKEN = re.compile(r"^[A-Za-z0-9_-]+$")
_COMMAND_NAME = re.compile(r"^[a-z0-9_]{1,32}$")
_INT = re.compile(r"^[+-]?\d+$")
_SCOPES = {
    "default", "all_private_chats", "all_group_chats", "all_chat_administrators",
    "chat", "chat_administrators", "chat_member",
}  # fmt: skip


@dataclass(frozen=True, slots=True)
class Described:
    """A result that also carries the envelope's optional ``description`` ("Webhook was set")."""

    result: Any
    description: str


class Params:
    """Typed access to one request's parameters, whatever transport they came in."""

    def __init__(self, raw: Mapping[str, Any]) -> None:
        self.raw = dict(raw)

    def has(self, name: str) -> bool:
        return self.raw.get(name) not in (None, "")

    def string(self, name: str) -> str | None:
        value = self.raw.get(name)
        if value is None:
            return None
        if isinstance(value, bool):
            return "true" if value else "false"
        return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)

    def integer(self, name: str, default: int | None = None) -> int | None:
        value = self.raw.get(name)
        if value is None or value == "":
            return default
        if isinstance(value, bool):
            return int(value)
        if isinstance(value, int):
            return value
        if isinstance(value, float):
            return int(value)
        text = str(value).strip()
        return int(text) if _INT.match(text) else 0

    def flag(self, name: str) -> bool:
        value = self.raw.get(name)
        if isinstance(value, str):
            return value.strip().lower() in {"true", "1"}
        return bool(value)

    def json_value(self, name: str) -> Any:
        value = self.raw.get(name)
        if value is None or value == "":
            return None
        if isinstance(value, str):
            try:
                return json.loads(value)
            except ValueError as e:
                words = JSON_FIELDS.get(name, name)
                raise ApiError.bad_request(f"Bad Request: can't parse {words} JSON object") from e
        return value

    def chat_id(self) -> int | str:
        value = self.raw.get("chat_id")
        if value is None or value == "":
            raise ApiError.bad_request(E.CHAT_ID_EMPTY)
        if isinstance(value, bool):
            raise ApiError.bad_request(E.CHAT_NOT_FOUND)
        if isinstance(value, int):
            return value
        text = str(value).strip()
        return int(text) if _INT.match(text) else text


Method = Callable[[Emulator, Params], Awaitable[Any]]
METHODS: dict[str, Method] = {}


def _method(name: str) -> Callable[[Method], Method]:
    def register(func: Method) -> Method:
        METHODS[name] = func
        return func

    return register


_BY_LOWER: dict[str, str] = {}


def canonical_name(method: str) -> str | None:
    """``SENDMESSAGE`` -> ``sendMessage``; ``None`` for methods the emulator does not know."""
    if not _BY_LOWER:
        _BY_LOWER.update({name.lower(): name for name in METHODS})
    return _BY_LOWER.get(method.lower())


def loggable(raw: Mapping[str, Any]) -> dict[str, Any]:
    """Parameters for the call log: JSON-carrying fields decoded so tests can assert on structure."""
    params = dict(raw)
    for name in JSON_FIELDS:
        value = params.get(name)
        if isinstance(value, str):
            with contextlib.suppress(ValueError):
                params[name] = json.loads(value)
    return params


async def handle(
    emulator: Emulator, token: str, method: str, raw: Mapping[str, Any]
) -> tuple[int, dict[str, Any], dict[str, str]]:
    """Run one Bot API request; return ``(http_status, envelope, extra_headers)`` and log it."""
    name = canonical_name(method) or method
    try:
        result = await _dispatch(emulator, token, method, raw)
    except ConnectionReset:
        emulator.record_call(name, loggable(raw), 0, "connection reset (injected)")
        raise
    except ApiError as error:
        emulator.record_call(name, loggable(raw), error.code, error.description)
        return error.code, error.envelope(), error.headers()
    body: dict[str, Any] = {"ok": True, "result": result}
    if isinstance(result, Described):
        body = {"ok": True, "result": result.result, "description": result.description}
    emulator.record_call(name, loggable(raw), 200, None)
    return 200, body, {}


async def _dispatch(emulator: Emulator, token: str, method: str, raw: Mapping[str, Any]) -> Any:
    if TOKEN_SHAPE.match(token) is None:
        raise ApiError(401, E.INVALID_TOKEN)
    if token != emulator.token:
        raise ApiError(401, E.UNAUTHORIZED)
    name = canonical_name(method)
    if name is None:
        raise ApiError(404, E.METHOD_NOT_FOUND)
    params = Params(raw)
    if name in INTERCEPTED_METHODS:
        chat_ref = raw.get("chat_id")
        chat_id: int | str | None = params.chat_id() if chat_ref not in (None, "") else None
        call = InterceptedCall(name, chat_id, dict(raw), emulator.now())
        for interceptor in emulator.interceptors:
            error = await interceptor.intercept(call)
            if error is not None:
                raise error
    return await METHODS[name](emulator, params)


# --- shared checks ---------------------------------------------------------------------------------
def _format(emulator: Emulator, params: Params) -> tuple[str, list[dict[str, Any]], str | None, str | None]:
    """(text, entities, html, parse_mode) of a text-carrying call, with Telegram's errors."""
    text = params.string("text") or ""
    mode = (params.string("parse_mode") or "").strip()
    if mode and mode.lower() != "html":
        raise ApiError.bad_request(E.UNSUPPORTED_PARSE_MODE)
    entities = None
    if not mode and params.has("entities"):
        entities = params.json_value("entities")
        if not isinstance(entities, list) or not all(_entity_shape(e) for e in entities):
            raise ApiError.bad_request("Bad Request: can't parse entities JSON object")
    try:
        formatted = prepare_text(text, "HTML" if mode else None, entities)
    except HtmlParseError as e:
        raise ApiError.bad_request(E.CANT_PARSE_ENTITIES + str(e)) from e
    except TextLengthError as e:
        raise ApiError.bad_request(E.MESSAGE_TEXT_EMPTY if e.kind == "empty" else E.MESSAGE_TOO_LONG) from e
    resolved = [_resolve_mention(emulator, dict(entity)) for entity in formatted.entities]
    return (
        formatted.text,
        [e for e in resolved if e is not None],
        (text if mode else None),
        ("HTML" if mode else None),
    )


def _entity_shape(entity: Any) -> bool:
    return (
        isinstance(entity, dict)
        and isinstance(entity.get("type"), str)
        and isinstance(entity.get("offset"), int)
        and isinstance(entity.get("length"), int)
    )


def _resolve_mention(emulator: Emulator, entity: dict[str, Any]) -> dict[str, Any] | None:
    """Fill a ``text_mention``'s user; drop it when the bot cannot know that user (as Telegram does)."""
    if entity["type"] != "text_mention":
        return entity
    user_id = (entity.get("user") or {}).get("id")
    if not isinstance(user_id, int) or user_id not in emulator.users:
        return None
    entity["user"] = emulator.users[user_id].to_api()
    return entity


def _reply_markup(params: Params) -> dict[str, Any] | None:
    markup = params.json_value("reply_markup")
    if markup is None:
        return None
    if not isinstance(markup, dict):
        raise ApiError.bad_request("Bad Request: can't parse reply keyboard markup JSON object")
    if "inline_keyboard" in markup:
        rows = markup["inline_keyboard"]
        if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
            raise ApiError.bad_request(
                'Bad Request: field "inline_keyboard" of the InlineKeyboardMarkup must be an Array'
            )
        for row in rows:
            for button in row:
                _check_button(button)
    return markup


def _check_button(button: Any) -> None:
    if not isinstance(button, dict) or not isinstance(button.get("text"), str):
        raise ApiError.bad_request("Bad Request: can't parse inline keyboard button: Text is not a string")
    if "callback_data" in button:
        data = button["callback_data"]
        if not isinstance(data, str) or not 1 <= len(data.encode("utf-8")) <= 64:
            raise ApiError.bad_request(E.BUTTON_DATA_INVALID)
    elif "url" in button:
        url = button["url"]
        if not isinstance(url, str) or not re.match(r"^(https?|tg)://\S+$", url, re.IGNORECASE):
            raise ApiError.bad_request(E.BUTTON_URL_INVALID)
    elif not any(key != "text" for key in button):
        raise ApiError.bad_request(
            "Bad Request: can't parse inline keyboard button: Text buttons are unallowed in the inline keyboard"
        )


def _thread_id(chat_kind_is_forum: bool, topics: Mapping[int, str], thread_id: int | None) -> int | None:
    """Forum topics are checked; outside forums the parameter is accepted and not stored."""
    if thread_id is None or thread_id == 0:
        return None
    if not chat_kind_is_forum:
        return None
    if thread_id not in topics:
        raise ApiError.bad_request(E.THREAD_NOT_FOUND)
    return thread_id


def _target(emulator: Emulator, params: Params, *, not_found: str) -> MessageRecord:
    if params.has("inline_message_id"):
        raise ApiError.bad_request("Bad Request: MESSAGE_ID_INVALID")
    message_id = params.integer("message_id")
    if not message_id:
        raise ApiError.bad_request(E.MESSAGE_ID_NOT_SPECIFIED)
    chat = emulator.resolve_chat(params.chat_id())
    if chat.migrated_to is not None:
        raise ApiError.migrated(chat.migrated_to)
    message = chat.messages.get(message_id)
    if message is None or message.deleted:
        raise ApiError.bad_request(not_found)
    return message


# --- methods ---------------------------------------------------------------------------------------
@_method("getMe")
async def get_me(emulator: Emulator, params: Params) -> Any:
    return emulator.bot_user()


@_method("logOut")
async def log_out(emulator: Emulator, params: Params) -> Any:
    return True


@_method("close")
async def close(emulator: Emulator, params: Params) -> Any:
    return True


@_method("getUpdates")
async def get_updates(emulator: Emulator, params: Params) -> Any:
    allowed = params.json_value("allowed_updates")
    if allowed is not None and not (isinstance(allowed, list) and all(isinstance(a, str) for a in allowed)):
        raise ApiError.bad_request("Bad Request: can't parse allowed updates JSON object")
    limit = params.integer("limit", 100) or 100
    return await emulator.get_updates(
        offset=params.integer("offset"),
        limit=min(max(limit, 1), 100),
        poll_timeout=float(params.integer("timeout", 0) or 0),
        allowed_updates=allowed,
    )


@_method("setWebhook")
async def set_webhook(emulator: Emulator, params: Params) -> Any:
    url = (params.string("url") or "").strip()
    if not url:
        return await delete_webhook(emulator, params)
    if not re.match(r"^https?://[^\s/]+", url, re.IGNORECASE):
        raise ApiError.bad_request(E.BAD_WEBHOOK_URL)
    secret = params.string("secret_token")
    if secret:
        if len(secret) > 256:
            raise ApiError.bad_request(E.SECRET_TOKEN_LONG)
        if not _SECRET_TOKEN.match(secret):
            raise ApiError.bad_request(E.SECRET_TOKEN_CHARS)
    allowed = params.json_value("allowed_updates")
    if allowed is not None and not isinstance(allowed, list):
        raise ApiError.bad_request("Bad Request: can't parse allowed updates JSON object")
    emulator.set_allowed_updates(allowed)
    if params.flag("drop_pending_updates"):
        emulator.updates.clear()
    max_connections = min(max(params.integer("max_connections", 40) or 40, 1), 100)
    emulator.webhook = WebhookConfig(url, secret or None, max_connections, allowed)
    emulator.notify()  # wakes the webhook worker, and any long poll (which now answers 409)
    return Described(True, "Webhook was set")


@_method("deleteWebhook")
async def delete_webhook(emulator: Emulator, params: Params) -> Any:
    was_set = emulator.webhook is not None
    emulator.webhook = None
    if params.flag("drop_pending_updates"):
        emulator.updates.clear()
    emulator.notify()
    return Described(True, "Webhook was deleted" if was_set else "Webhook is already deleted")


@_method("getWebhookInfo")
async def get_webhook_info(emulator: Emulator, params: Params) -> Any:
    hook = emulator.webhook
    info: dict[str, Any] = {
        "url": hook.url if hook else "",
        "has_custom_certificate": False,
        "pending_update_count": len(emulator.updates),
    }
    if hook is not None:
        info["max_connections"] = hook.max_connections
        if hook.allowed_updates is not None:
            info["allowed_updates"] = hook.allowed_updates
        if hook.last_error_date is not None:
            info["last_error_date"] = int(hook.last_error_date.timestamp())
            info["last_error_message"] = hook.last_error_message
    return info


@_method("sendMessage")
async def send_message(emulator: Emulator, params: Params) -> Any:
    chat = emulator.resolve_chat(params.chat_id())
    emulator.check_can_write(chat)
    text, entities, html, parse_mode = _format(emulator, params)
    markup = _reply_markup(params)
    thread_id = _thread_id(chat.is_forum, chat.topics, params.integer("message_thread_id"))
    reply_to = _reply_target(chat.messages, params)
    options: dict[str, Any] = {}
    preview = params.json_value("link_preview_options")
    if preview is not None:
        if not isinstance(preview, dict):
            raise ApiError.bad_request("Bad Request: can't parse link preview options JSON object")
        options["link_preview_options"] = preview
    for flag in ("disable_notification", "protect_content", "allow_paid_broadcast"):
        if params.flag(flag):
            options[flag] = True
    if reply_to is not None and thread_id is None and chat.is_forum:
        thread_id = chat.messages[reply_to].message_thread_id
    message = MessageRecord(
        chat_id=chat.id,
        message_id=chat.take_message_id(),
        date=emulator.now(),
        sender_id=emulator.bot_id,
        from_bot=True,
        text=text,
        entities=entities,
        html=html,
        parse_mode=parse_mode,
        reply_markup=markup,
        message_thread_id=thread_id,
        reply_to_message_id=reply_to,
        options=options,
    )
    emulator.store_bot_message(chat, message)
    return emulator.message_to_api(message)


def _reply_target(messages: Mapping[int, MessageRecord], params: Params) -> int | None:
    reply = params.json_value("reply_parameters")
    allow_missing = params.flag("allow_sending_without_reply")
    message_id = params.integer("reply_to_message_id")
    if isinstance(reply, dict):
        message_id = reply.get("message_id") if isinstance(reply.get("message_id"), int) else 0
        allow_missing = bool(reply.get("allow_sending_without_reply"))
    elif reply is not None:
        raise ApiError.bad_request("Bad Request: can't parse reply parameters JSON object")
    if not message_id:
        return None
    target = messages.get(message_id)
    if target is None or target.deleted:
        if allow_missing:
            return None
        raise ApiError.bad_request(E.REPLY_NOT_FOUND)
    return message_id


@_method("editMessageText")
async def edit_message_text(emulator: Emulator, params: Params) -> Any:
    message = _target(emulator, params, not_found=E.MESSAGE_TO_EDIT_NOT_FOUND)
    chat = emulator.chats[message.chat_id]
    emulator.check_can_write(chat)
    if not message.from_bot:
        raise ApiError.bad_request(E.MESSAGE_CANT_BE_EDITED)
    if message.text is None:
        raise ApiError.bad_request(E.NO_TEXT_TO_EDIT)
    text, entities, html, parse_mode = _format(emulator, params)
    markup = _reply_markup(params)  # absent means "remove the keyboard", as in Telegram
    if (text, entities, markup) == (message.text, message.entities, message.reply_markup):
        raise ApiError.bad_request(E.NOT_MODIFIED)
    message.text, message.entities, message.html, message.parse_mode = text, entities, html, parse_mode
    message.reply_markup = markup
    preview = params.json_value("link_preview_options")
    if isinstance(preview, dict):
        message.options["link_preview_options"] = preview
    _mark_edited(emulator, message)
    return emulator.message_to_api(message)


@_method("editMessageReplyMarkup")
async def edit_message_reply_markup(emulator: Emulator, params: Params) -> Any:
    message = _target(emulator, params, not_found=E.MESSAGE_TO_EDIT_NOT_FOUND)
    emulator.check_can_write(emulator.chats[message.chat_id])
    if not message.from_bot:
        raise ApiError.bad_request(E.MESSAGE_CANT_BE_EDITED)
    markup = _reply_markup(params)
    if markup == message.reply_markup:
        raise ApiError.bad_request(E.NOT_MODIFIED)
    message.reply_markup = markup
    _mark_edited(emulator, message)
    return emulator.message_to_api(message)


def _mark_edited(emulator: Emulator, message: MessageRecord) -> None:
    message.edit_date = emulator.now()
    message.history.append(message.version())
    emulator.notify()


@_method("deleteMessage")
async def delete_message(emulator: Emulator, params: Params) -> Any:
    message = _target(emulator, params, not_found=E.MESSAGE_TO_DELETE_NOT_FOUND)
    chat = emulator.chats[message.chat_id]
    bot = chat.member(emulator.bot_id)
    admin_delete = chat.kind in (ChatKind.SUPERGROUP, ChatKind.CHANNEL) and bot.has_right(
        "can_delete_messages"
    )
    if (
        not message.from_bot
        and chat.kind is not ChatKind.PRIVATE
        and not bot.has_right("can_delete_messages")
    ):
        raise ApiError.bad_request(E.CANT_DELETE)
    if not admin_delete and emulator.now() - message.date >= DELETE_WINDOW:
        raise ApiError.bad_request(E.CANT_DELETE_FOR_EVERYONE)
    message.deleted = True
    emulator.notify()
    return True


@_method("sendChatAction")
async def send_chat_action(emulator: Emulator, params: Params) -> Any:
    chat = emulator.resolve_chat(params.chat_id())
    emulator.check_can_write(chat)
    return True


@_method("answerCallbackQuery")
async def answer_callback_query(emulator: Emulator, params: Params) -> Any:
    callback = emulator.callbacks.get(params.string("callback_query_id") or "")
    if callback is None or callback.answered:
        raise ApiError.bad_request(E.QUERY_TOO_OLD)
    callback.answered = True
    callback.answered_at = emulator.now()
    callback.text = params.string("text")
    callback.show_alert = params.flag("show_alert")
    callback.url = params.string("url")
    callback.cache_time = params.integer("cache_time")
    emulator.notify()
    return True


def _commands_key(emulator: Emulator, params: Params) -> tuple[str, str]:
    scope = params.json_value("scope") or {"type": "default"}
    if not isinstance(scope, dict) or scope.get("type") not in _SCOPES:
        raise ApiError.bad_request("Bad Request: can't parse bot command scope JSON object")
    if scope["type"] in {"chat", "chat_administrators", "chat_member"}:
        chat_ref = scope.get("chat_id")
        if chat_ref is None:
            raise ApiError.bad_request(E.CHAT_ID_EMPTY)
        emulator.resolve_chat(chat_ref if isinstance(chat_ref, int | str) else str(chat_ref))
    language = params.string("language_code") or ""
    if language and not re.match(r"^[a-z]{2}$", language):
        raise ApiError.bad_request("Bad Request: invalid language code specified")
    return json.dumps(scope, sort_keys=True, separators=(",", ":")), language


@_method("setMyCommands")
async def set_my_commands(emulator: Emulator, params: Params) -> Any:
    commands = params.json_value("commands")
    if not isinstance(commands, list) or len(commands) > 100:
        raise ApiError.bad_request("Bad Request: can't parse bot commands JSON object")
    cleaned: list[dict[str, str]] = []
    for command in commands:
        if not isinstance(command, dict) or not _COMMAND_NAME.match(str(command.get("command", ""))):
            raise ApiError.bad_request(E.BOT_COMMAND_INVALID)
        description = command.get("description")
        if not isinstance(description, str) or not 1 <= len(description.strip()) <= 256:
            raise ApiError.bad_request(E.BOT_COMMAND_DESCRIPTION_INVALID)
        cleaned.append({"command": command["command"], "description": description})
    key = _commands_key(emulator, params)
    if cleaned:
        emulator.commands[key] = cleaned
    else:
        emulator.commands.pop(key, None)
    return True


@_method("getMyCommands")
async def get_my_commands(emulator: Emulator, params: Params) -> Any:
    return emulator.commands.get(_commands_key(emulator, params), [])


@_method("deleteMyCommands")
async def delete_my_commands(emulator: Emulator, params: Params) -> Any:
    emulator.commands.pop(_commands_key(emulator, params), None)
    return True


@_method("getChat")
async def get_chat(emulator: Emulator, params: Params) -> Any:
    return emulator.chat_full_info(emulator.resolve_chat(params.chat_id()))


@_method("getChatMember")
async def get_chat_member(emulator: Emulator, params: Params) -> Any:
    chat = emulator.resolve_chat(params.chat_id())
    user_id = params.integer("user_id") or 0
    if user_id != emulator.bot_id and user_id not in emulator.users:
        raise ApiError.bad_request(E.USER_NOT_FOUND)
    if chat.kind is ChatKind.PRIVATE:
        status = MemberStatus.MEMBER if user_id in (chat.id, emulator.bot_id) else MemberStatus.LEFT
        return member_to_api(emulator.user_to_api(user_id), Membership(status), chat.kind)
    return member_to_api(emulator.user_to_api(user_id), chat.member(user_id), chat.kind)


@_method("getChatAdministrators")
async def get_chat_administrators(emulator: Emulator, params: Params) -> Any:
    chat = emulator.resolve_chat(params.chat_id())
    if chat.kind is ChatKind.PRIVATE:
        raise ApiError.bad_request(E.NO_ADMINS_IN_PRIVATE)
    return [
        member_to_api(emulator.user_to_api(user_id), member, chat.kind)
        for user_id, member in chat.members.items()
        if member.status in (MemberStatus.CREATOR, MemberStatus.ADMINISTRATOR)
    ]


@_method("getChatMemberCount")
async def get_chat_member_count(emulator: Emulator, params: Params) -> Any:
    chat = emulator.resolve_chat(params.chat_id())
    if chat.kind is ChatKind.PRIVATE:
        return 2
    return sum(1 for member in chat.members.values() if member.status.is_present)


@_method("leaveChat")
async def leave_chat(emulator: Emulator, params: Params) -> Any:
    chat = emulator.resolve_chat(params.chat_id())
    if chat.kind is ChatKind.PRIVATE:
        raise ApiError.bad_request(E.CANT_LEAVE_PRIVATE)
    if not chat.member(emulator.bot_id).status.is_present:
        raise ApiError.forbidden(E.not_member_of(chat.kind.value))
    emulator.set_bot_status(chat.id, MemberStatus.LEFT)
    return True
