"""The control API under ``/_emulator/``: act as users and chats, read what the bot did.

Every endpoint takes and returns JSON in the same envelope as the Bot API (``{"ok": true, "result":
...}`` or ``{"ok": false, "error_code": N, "description": "..."}`` with HTTP status N), so one client
routine reads both. Misuse (an unknown user, a button that is not there) is a 4xx with a plain-English
description; it never touches the Bot API call log. ``docs/emulator.md`` lists every endpoint with
examples; :class:`bot.emulator.client.EmulatorClient` wraps them all.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from aiohttp import web

from bot.domain import ChatKind
from bot.emulator import errors as E
from bot.emulator.errors import ApiError, EmulatorError
from bot.emulator.interceptor import FAULT_ACTIONS
from bot.emulator.model import MemberStatus
from bot.emulator.ratelimit import LimitConfig
from bot.emulator.state import Emulator

PREFIX = "/_emulator"
MAX_WAIT = 60.0
FAULT_KINDS = (
    "blocked",
    "deactivated",
    "kicked",
    "not_member",
    "migrated",
    "flood",
    "server_error",
    "bad_gateway",
    "bad_html",
)
"""Named faults for ``POST /_emulator/faults`` ``{"kind": ...}``: Telegram's exact error for each."""

_T = TypeVar("_T")
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


def ok(result: Any, status: int = 200) -> web.Response:
    return web.json_response({"ok": True, "result": result}, status=status, dumps=_dumps)


def fail(status: int, description: str) -> web.Response:
    body = {"ok": False, "error_code": status, "description": description}
    return web.json_response(body, status=status, dumps=_dumps)


async def _body(request: web.Request) -> dict[str, Any]:
    if not request.body_exists:
        return {}
    try:
        data = await request.json()
    except ValueError as e:
        raise EmulatorError("the body must be a JSON object") from e
    if not isinstance(data, dict):
        raise EmulatorError("the body must be a JSON object")
    return data


def _int(value: Any, name: str) -> int:
    if isinstance(value, bool) or value is None:
        raise EmulatorError(f"{name} must be an integer")
    try:
        return int(value)
    except (TypeError, ValueError) as e:
        raise EmulatorError(f"{name} must be an integer") from e


def _opt_int(value: Any, name: str) -> int | None:
    return None if value is None or value == "" else _int(value, name)


def _float(value: Any, name: str, default: float) -> float:
    if value is None or value == "":
        return default
    try:
        return float(value)
    except (TypeError, ValueError) as e:
        raise EmulatorError(f"{name} must be a number") from e


def _str(data: dict[str, Any], name: str) -> str:
    value = data.get(name)
    if not isinstance(value, str) or not value:
        raise EmulatorError(f"{name} is required (a non-empty string)")
    return value


def _enum(factory: Callable[[str], _T], value: Any, name: str) -> _T:
    try:
        return factory(str(value))
    except ValueError as e:
        raise EmulatorError(f"{name} {value!r} is not valid") from e


def _flag(request: web.Request, name: str) -> bool:
    return request.query.get(name, "").lower() in {"1", "true", "yes"}


class ControlApi:
    """Route handlers bound to one emulator."""

    def __init__(self, emulator: Emulator) -> None:
        self.emu = emulator

    def routes(self) -> list[web.RouteDef]:
        p = PREFIX
        return [
            web.get(f"{p}/bot", self.get_bot),
            web.post(f"{p}/reset", self.reset),
            web.post(f"{p}/time", self.advance_time),
            web.post(f"{p}/users", self.create_user),
            web.get(f"{p}/users/{{user_id}}", self.get_user),
            web.post(f"{p}/users/{{user_id}}/block", self.block),
            web.post(f"{p}/users/{{user_id}}/unblock", self.unblock),
            web.post(f"{p}/users/{{user_id}}/deactivate", self.deactivate),
            web.post(f"{p}/users/{{user_id}}/messages", self.user_sends),
            web.post(f"{p}/users/{{user_id}}/forward", self.user_forwards),
            web.post(f"{p}/users/{{user_id}}/press", self.press),
            web.post(f"{p}/chats", self.create_chat),
            web.get(f"{p}/chats/{{chat_id}}", self.get_chat),
            web.post(f"{p}/chats/{{chat_id}}/topics", self.add_topic),
            web.post(f"{p}/chats/{{chat_id}}/bot", self.set_bot_status),
            web.post(f"{p}/chats/{{chat_id}}/members", self.set_member),
            web.post(f"{p}/chats/{{chat_id}}/migrate", self.migrate),
            web.get(f"{p}/chats/{{chat_id}}/messages", self.messages),
            web.get(f"{p}/chats/{{chat_id}}/messages/wait", self.wait_messages),
            web.get(f"{p}/callbacks", self.callbacks),
            web.get(f"{p}/callbacks/{{callback_id}}", self.callback),
            web.get(f"{p}/calls", self.calls),
            web.get(f"{p}/updates", self.updates),
            web.get(f"{p}/commands", self.commands),
            web.get(f"{p}/webhook", self.webhook),
            web.get(f"{p}/faults", self.faults),
            web.post(f"{p}/faults", self.add_fault),
            web.delete(f"{p}/faults", self.clear_faults),
            web.get(f"{p}/ratelimits", self.rate_limits),
            web.put(f"{p}/ratelimits", self.set_rate_limits),
            web.delete(f"{p}/ratelimits", self.clear_rate_limits),
        ]

    # --- bot, reset, time ------------------------------------------------------------------------
    async def get_bot(self, request: web.Request) -> web.Response:
        return ok({**self.emu.bot_user(), "token": self.emu.token, "privacy_mode": self.emu.privacy_mode})

    async def reset(self, request: web.Request) -> web.Response:
        self.emu.reset()
        return ok(True)

    async def advance_time(self, request: web.Request) -> web.Response:
        data = await _body(request)
        now = self.emu.advance_time(_float(data.get("advance_seconds"), "advance_seconds", 0.0))
        return ok({"now": now.isoformat()})

    # --- users -----------------------------------------------------------------------------------
    async def create_user(self, request: web.Request) -> web.Response:
        data = await _body(request)
        user = self.emu.add_user(
            _str(data, "first_name"),
            user_id=_opt_int(data.get("id"), "id"),
            last_name=data.get("last_name"),
            username=data.get("username"),
            language_code=data.get("language_code"),
            started=bool(data.get("started", False)),
        )
        return ok(user.snapshot(), 201)

    def _user_id(self, request: web.Request) -> int:
        return _int(request.match_info["user_id"], "user_id")

    async def get_user(self, request: web.Request) -> web.Response:
        return ok(self.emu.user(self._user_id(request)).snapshot())

    async def block(self, request: web.Request) -> web.Response:
        return ok(self.emu.set_blocked(self._user_id(request), True).snapshot())

    async def unblock(self, request: web.Request) -> web.Response:
        return ok(self.emu.set_blocked(self._user_id(request), False).snapshot())

    async def deactivate(self, request: web.Request) -> web.Response:
        return ok(self.emu.deactivate(self._user_id(request)).snapshot())

    async def user_sends(self, request: web.Request) -> web.Response:
        data = await _body(request)
        message, update_id = self.emu.user_sends(
            self._user_id(request),
            _str(data, "text"),
            chat_id=_opt_int(data.get("chat_id"), "chat_id"),
            message_thread_id=_opt_int(data.get("message_thread_id"), "message_thread_id"),
            reply_to_message_id=_opt_int(data.get("reply_to_message_id"), "reply_to_message_id"),
        )
        return ok({"message": self.emu.message_snapshot(message), "update_id": update_id}, 201)

    async def user_forwards(self, request: web.Request) -> web.Response:
        data = await _body(request)
        message, update_id = self.emu.user_forwards(
            self._user_id(request),
            _int(data.get("from_chat_id"), "from_chat_id"),
            _int(data.get("message_id"), "message_id"),
        )
        return ok({"message": self.emu.message_snapshot(message), "update_id": update_id}, 201)

    async def press(self, request: web.Request) -> web.Response:
        data = await _body(request)
        user_id = self._user_id(request)
        callback = self.emu.press_button(
            user_id,
            _opt_int(data.get("chat_id"), "chat_id") or user_id,
            _int(data.get("message_id"), "message_id"),
            data=data.get("data"),
            text=data.get("text"),
        )
        return ok(callback.snapshot(), 201)

    # --- chats -----------------------------------------------------------------------------------
    def _chat_id(self, request: web.Request) -> int:
        return _int(request.match_info["chat_id"], "chat_id")

    async def create_chat(self, request: web.Request) -> web.Response:
        data = await _body(request)
        chat = self.emu.create_chat(
            _enum(ChatKind, data.get("type"), "type"),
            _str(data, "title"),
            chat_id=_opt_int(data.get("id"), "id"),
            username=data.get("username"),
            is_forum=bool(data.get("is_forum", False)),
            creator_id=_opt_int(data.get("creator_id"), "creator_id"),
            admin_ids=[_int(v, "admin_ids") for v in data.get("admin_ids") or []],
            member_ids=[_int(v, "member_ids") for v in data.get("member_ids") or []],
        )
        return ok(self.emu.chat_snapshot(chat), 201)

    async def get_chat(self, request: web.Request) -> web.Response:
        return ok(self.emu.chat_snapshot(self.emu.chat(self._chat_id(request))))

    async def add_topic(self, request: web.Request) -> web.Response:
        data = await _body(request)
        thread_id = self.emu.add_topic(self._chat_id(request), _str(data, "name"))
        return ok({"message_thread_id": thread_id}, 201)

    async def set_bot_status(self, request: web.Request) -> web.Response:
        data = await _body(request)
        rights = data.get("rights")
        if rights is not None and not isinstance(rights, dict):
            raise EmulatorError("rights must be an object of can_* flags")
        member = self.emu.set_bot_status(
            self._chat_id(request),
            _enum(MemberStatus, data.get("status"), "status"),
            rights=rights,
            by_user_id=_opt_int(data.get("by_user_id"), "by_user_id"),
        )
        return ok({"status": member.status.value, "rights": member.rights})

    async def set_member(self, request: web.Request) -> web.Response:
        data = await _body(request)
        rights = data.get("rights")
        if rights is not None and not isinstance(rights, dict):
            raise EmulatorError("rights must be an object of can_* flags")
        member = self.emu.set_member(
            self._chat_id(request),
            _int(data.get("user_id"), "user_id"),
            _enum(MemberStatus, data.get("status"), "status"),
            rights,
        )
        return ok({"status": member.status.value, "rights": member.rights})

    async def migrate(self, request: web.Request) -> web.Response:
        data = await _body(request)
        old_id = self._chat_id(request)
        new = self.emu.migrate(old_id, by_user_id=_opt_int(data.get("by_user_id"), "by_user_id"))
        return ok({"old_chat_id": old_id, "new_chat_id": new.id})

    async def messages(self, request: web.Request) -> web.Response:
        chat = self.emu.chat(self._chat_id(request))
        include_users = _flag(request, "all")
        include_deleted = request.query.get("include_deleted", "1").lower() not in {"0", "false", "no"}
        result = [
            self.emu.message_snapshot(m)
            for m in chat.messages.values()
            if (include_users or m.from_bot) and (include_deleted or not m.deleted)
        ]
        return ok(result)

    async def wait_messages(self, request: web.Request) -> web.Response:
        chat_id = self._chat_id(request)
        self.emu.chat(chat_id)
        count = _int(request.query.get("count", "1"), "count")
        timeout = min(_float(request.query.get("timeout"), "timeout", 5.0), MAX_WAIT)
        messages = await self.emu.wait_for_bot_messages(chat_id, count, timeout)
        if len(messages) < count:
            return fail(
                408,
                f"timed out after {timeout:g}s: chat {chat_id} has {len(messages)} of {count} bot messages",
            )
        return ok([self.emu.message_snapshot(m) for m in messages])

    # --- callbacks, calls, updates, commands, webhook --------------------------------------------
    async def callbacks(self, request: web.Request) -> web.Response:
        return ok([c.snapshot() for c in self.emu.callbacks.values()])

    async def callback(self, request: web.Request) -> web.Response:
        callback_id = request.match_info["callback_id"]
        wait = min(_float(request.query.get("wait"), "wait", 0.0), MAX_WAIT)
        callback = await self.emu.wait_for_answer(callback_id, wait)
        return ok(callback.snapshot())

    async def calls(self, request: web.Request) -> web.Response:
        method = request.query.get("method", "").lower()
        since = _int(request.query.get("since", "0"), "since")
        result = [
            c.snapshot()
            for c in self.emu.calls
            if c.seq > since and (not method or c.method.lower() == method)
        ]
        return ok(result)

    async def updates(self, request: web.Request) -> web.Response:
        return ok([u.to_api() for u in self.emu.updates])

    async def commands(self, request: web.Request) -> web.Response:
        result = [
            {"scope": scope, "language_code": language, "commands": commands}
            for (scope, language), commands in self.emu.commands.items()
        ]
        return ok(result)

    async def webhook(self, request: web.Request) -> web.Response:
        hook = self.emu.webhook
        return ok(
            {
                "url": hook.url if hook else None,
                "secret_token": hook.secret_token if hook else None,
                "last_error_message": hook.last_error_message if hook else None,
                "attempts": [a.snapshot() for a in self.emu.webhook_attempts],
            }
        )

    # --- faults ----------------------------------------------------------------------------------
    async def faults(self, request: web.Request) -> web.Response:
        return ok([rule.snapshot() for rule in self.emu.faults.rules])

    async def add_fault(self, request: web.Request) -> web.Response:
        data = await _body(request)
        action = str(data.get("action") or "error")
        if action not in FAULT_ACTIONS:
            raise EmulatorError(f"action must be one of {', '.join(FAULT_ACTIONS)}")
        chat_ref = data.get("chat_id")
        chat_id = chat_ref if isinstance(chat_ref, int | str) else None
        error: ApiError | None = None
        if data.get("kind"):
            error = self._preset(str(data["kind"]), data, chat_id)
        elif data.get("error_code") is not None:
            code = _int(data.get("error_code"), "error_code")
            retry_after = _opt_int(data.get("retry_after"), "retry_after")
            if code == 429 and retry_after is not None:
                error = ApiError.too_many_requests(retry_after)
            else:
                parameters = {"retry_after": retry_after} if retry_after is not None else None
                error = ApiError(code, _str(data, "description"), parameters=parameters)
        elif action == "error":
            raise EmulatorError("give error_code (+ description) or kind")
        delay = _float(data.get("delay_seconds"), "delay_seconds", 0.0)
        if action == "delay" and delay <= 0:
            raise EmulatorError("a delay fault needs delay_seconds > 0")
        rule = self.emu.faults.inject(
            error,
            method=data.get("method"),
            chat_id=chat_id,
            times=_int(data.get("times", 1), "times"),
            action=action,
            delay=delay,
        )
        return ok(rule.snapshot(), 201)

    def _preset(self, kind: str, data: dict[str, Any], chat_id: int | str | None) -> ApiError:
        """Telegram's exact error for a named situation (see ``FAULT_KINDS``)."""
        chat_kind = str(data.get("chat_type") or "")
        if not chat_kind and isinstance(chat_id, int) and chat_id in self.emu.chats:
            chat_kind = self.emu.chats[chat_id].kind.value
        chat_kind = chat_kind if chat_kind in ("group", "supergroup", "channel") else "group"
        if kind == "blocked":
            return ApiError.forbidden(E.BLOCKED)
        if kind == "deactivated":
            return ApiError.forbidden(E.DEACTIVATED)
        if kind == "kicked":
            return ApiError.forbidden(E.kicked_from(chat_kind))
        if kind == "not_member":
            return ApiError.forbidden(E.not_member_of(chat_kind))
        if kind == "migrated":
            return ApiError.migrated(_int(data.get("migrate_to_chat_id"), "migrate_to_chat_id"))
        if kind == "flood":
            return ApiError.too_many_requests(_int(data.get("retry_after", 1), "retry_after"))
        if kind == "server_error":
            return ApiError(500, "Internal Server Error")
        if kind == "bad_gateway":
            return ApiError(502, "Bad Gateway")
        if kind == "bad_html":
            return ApiError.bad_request(E.CANT_PARSE_ENTITIES + 'Unsupported start tag "p" at byte offset 0')
        raise EmulatorError(f"kind must be one of {', '.join(FAULT_KINDS)}")

    async def clear_faults(self, request: web.Request) -> web.Response:
        self.emu.faults.clear()
        return ok(True)

    # --- rate limits -----------------------------------------------------------------------------
    async def rate_limits(self, request: web.Request) -> web.Response:
        return ok(self.emu.limits.snapshot())

    async def set_rate_limits(self, request: web.Request) -> web.Response:
        self.emu.limits.configure(LimitConfig.from_json(await _body(request)))
        return ok(self.emu.limits.snapshot())

    async def clear_rate_limits(self, request: web.Request) -> web.Response:
        self.emu.limits.disable()
        return ok(self.emu.limits.snapshot())


@web.middleware
async def control_errors(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Turn control-API misuse into the JSON envelope instead of aiohttp's text pages."""
    try:
        return await handler(request)
    except EmulatorError as e:
        if not request.path.startswith(PREFIX):
            raise
        return fail(e.status, e.message)
