"""Typed async client for the emulator's control API (``/_emulator/...``).

Tests and the demo use it to act as Telegram users and to read what the bot did, over real HTTP, so
the same code works against an in-process :class:`~bot.emulator.server.EmulatorServer` and a standalone
``aajel emulator``. Every method maps to one endpoint documented in ``docs/emulator.md``. Failures are
raised as :class:`EmulatorClientError` (the endpoint's status and description); transport failures are
wrapped at this boundary (``raise ... from e``).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any

import aiohttp

from bot.emulator.errors import EmulatorError


class EmulatorClientError(EmulatorError):
    """A control-API call failed; ``status`` is its HTTP status (408 for a wait that timed out)."""


@dataclass(frozen=True, slots=True)
class MessageVersionView:
    text: str | None
    html: str | None
    entities: list[dict[str, Any]]
    reply_markup: dict[str, Any] | None
    at: str


@dataclass(frozen=True, slots=True)
class MessageView:
    """A message as stored by the emulator: what the bot sent (or a user wrote) and what became of it."""

    chat_id: int
    message_id: int
    date: str
    from_bot: bool
    sender_id: int | None
    text: str | None
    html: str | None
    parse_mode: str | None
    entities: list[dict[str, Any]]
    reply_markup: dict[str, Any] | None
    message_thread_id: int | None
    reply_to_message_id: int | None
    options: dict[str, Any]
    service: dict[str, Any]
    edited: bool
    edit_date: str | None
    deleted: bool
    history: list[MessageVersionView] = field(default_factory=list)
    forward_origin: dict[str, Any] | None = None

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> MessageView:
        history = [MessageVersionView(**version) for version in data.get("history", [])]
        return cls(**{**data, "history": history})

    @property
    def buttons(self) -> list[dict[str, Any]]:
        """Inline buttons, row by row, flattened."""
        rows = (self.reply_markup or {}).get("inline_keyboard") or []
        return [button for row in rows for button in row]

    @property
    def callback_data(self) -> list[str]:
        return [b["callback_data"] for b in self.buttons if "callback_data" in b]


@dataclass(frozen=True, slots=True)
class UserView:
    id: int
    is_bot: bool
    first_name: str
    started: bool
    blocked: bool
    deactivated: bool
    last_name: str | None = None
    username: str | None = None
    language_code: str | None = None

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> UserView:
        return cls(**data)


@dataclass(frozen=True, slots=True)
class ChatView:
    id: int
    type: str
    title: str | None
    username: str | None
    is_forum: bool
    topics: dict[str, str]
    migrated_to: int | None
    migrated_from: int | None
    bot_status: str
    bot_rights: dict[str, bool]
    members: dict[str, dict[str, Any]]

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ChatView:
        return cls(**data)


@dataclass(frozen=True, slots=True)
class CallbackView:
    id: str
    user_id: int
    chat_id: int
    message_id: int
    data: str
    created_at: str
    answered: bool
    answered_at: str | None
    text: str | None
    show_alert: bool
    url: str | None
    cache_time: int | None

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> CallbackView:
        return cls(**data)


@dataclass(frozen=True, slots=True)
class CallView:
    """One Bot API request from the call log."""

    seq: int
    at: str
    method: str
    params: dict[str, Any]
    status: int
    ok: bool
    description: str | None

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> CallView:
        return cls(**data)


@dataclass(frozen=True, slots=True)
class SentByUser:
    """What ``send`` returns: the stored message, and the update id (None if the bot did not get it)."""

    message: MessageView
    update_id: int | None


class EmulatorClient:
    """``async with EmulatorClient(server.url) as tg: await tg.create_user("Layla", started=True)``."""

    def __init__(self, base_url: str, *, session: aiohttp.ClientSession | None = None, timeout: float = 70.0):
        self.base_url = base_url.rstrip("/") + "/_emulator"
        self._session = session
        self._own_session = session is None
        self._timeout = aiohttp.ClientTimeout(total=timeout)

    async def __aenter__(self) -> EmulatorClient:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    async def close(self) -> None:
        if self._own_session and self._session is not None:
            await self._session.close()
            self._session = None

    async def _call(
        self,
        method: str,
        path: str,
        *,
        body: dict[str, Any] | None = None,
        query: dict[str, str] | None = None,
    ) -> Any:
        if self._session is None:
            self._session = aiohttp.ClientSession(timeout=self._timeout)
        url = self.base_url + path
        try:
            async with self._session.request(method, url, json=body, params=query) as response:
                data = await response.json(content_type=None)
        except (aiohttp.ClientError, TimeoutError, ValueError) as e:
            raise EmulatorClientError(f"{method} {url} failed: {type(e).__name__}: {e}", 502) from e
        if not isinstance(data, dict) or not data.get("ok"):
            description = data.get("description", str(data)) if isinstance(data, dict) else str(data)
            raise EmulatorClientError(str(description), response.status)
        return data["result"]

    # --- bot, reset, time ------------------------------------------------------------------------
    async def bot(self) -> dict[str, Any]:
        """The bot's ``User`` object plus ``token`` and ``privacy_mode``."""
        result: dict[str, Any] = await self._call("GET", "/bot")
        return result

    async def reset(self) -> None:
        await self._call("POST", "/reset")

    async def advance_time(self, seconds: float) -> str:
        """Move the emulator's clock forward (e.g. past the 48-hour delete window); returns the new now."""
        result = await self._call("POST", "/time", body={"advance_seconds": seconds})
        return str(result["now"])

    # --- users -----------------------------------------------------------------------------------
    async def create_user(
        self,
        first_name: str,
        *,
        user_id: int | None = None,
        last_name: str | None = None,
        username: str | None = None,
        language_code: str | None = None,
        started: bool = False,
    ) -> UserView:
        body = {
            "id": user_id,
            "first_name": first_name,
            "last_name": last_name,
            "username": username,
            "language_code": language_code,
            "started": started,
        }
        return UserView.from_json(await self._call("POST", "/users", body=body))

    async def get_user(self, user_id: int) -> UserView:
        return UserView.from_json(await self._call("GET", f"/users/{user_id}"))

    async def block(self, user_id: int) -> UserView:
        return UserView.from_json(await self._call("POST", f"/users/{user_id}/block"))

    async def unblock(self, user_id: int) -> UserView:
        return UserView.from_json(await self._call("POST", f"/users/{user_id}/unblock"))

    async def deactivate(self, user_id: int) -> UserView:
        return UserView.from_json(await self._call("POST", f"/users/{user_id}/deactivate"))

    async def send(
        self,
        user_id: int,
        text: str,
        *,
        chat_id: int | None = None,
        message_thread_id: int | None = None,
        reply_to_message_id: int | None = None,
    ) -> SentByUser:
        """The user writes ``text`` (private chat unless ``chat_id``); commands get ``bot_command``."""
        body = {
            "text": text,
            "chat_id": chat_id,
            "message_thread_id": message_thread_id,
            "reply_to_message_id": reply_to_message_id,
        }
        result = await self._call("POST", f"/users/{user_id}/messages", body=body)
        return SentByUser(MessageView.from_json(result["message"]), result["update_id"])

    async def forward(self, user_id: int, from_chat_id: int, message_id: int) -> SentByUser:
        """The user forwards message ``message_id`` of ``from_chat_id`` into their chat with the bot."""
        body = {"from_chat_id": from_chat_id, "message_id": message_id}
        result = await self._call("POST", f"/users/{user_id}/forward", body=body)
        return SentByUser(MessageView.from_json(result["message"]), result["update_id"])

    async def start(self, user_id: int) -> SentByUser:
        """The user presses Start (sends ``/start`` in private)."""
        return await self.send(user_id, "/start")

    async def press(
        self,
        user_id: int,
        message_id: int,
        *,
        chat_id: int | None = None,
        data: str | None = None,
        text: str | None = None,
    ) -> CallbackView:
        """The user taps an inline button (by ``data`` or ``text``; the first one if neither)."""
        body = {"message_id": message_id, "chat_id": chat_id, "data": data, "text": text}
        return CallbackView.from_json(await self._call("POST", f"/users/{user_id}/press", body=body))

    # --- chats -----------------------------------------------------------------------------------
    async def create_chat(
        self,
        type: str,
        title: str,
        *,
        chat_id: int | None = None,
        username: str | None = None,
        is_forum: bool = False,
        creator_id: int | None = None,
        admin_ids: Iterable[int] = (),
        member_ids: Iterable[int] = (),
    ) -> ChatView:
        body = {
            "type": type,
            "title": title,
            "id": chat_id,
            "username": username,
            "is_forum": is_forum,
            "creator_id": creator_id,
            "admin_ids": list(admin_ids),
            "member_ids": list(member_ids),
        }
        return ChatView.from_json(await self._call("POST", "/chats", body=body))

    async def get_chat(self, chat_id: int) -> ChatView:
        return ChatView.from_json(await self._call("GET", f"/chats/{chat_id}"))

    async def add_topic(self, chat_id: int, name: str) -> int:
        result = await self._call("POST", f"/chats/{chat_id}/topics", body={"name": name})
        return int(result["message_thread_id"])

    async def set_bot_status(
        self,
        chat_id: int,
        status: str,
        *,
        rights: dict[str, bool] | None = None,
        by_user_id: int | None = None,
    ) -> dict[str, Any]:
        """Bot becomes ``member``/``administrator``/``left``/``kicked``; emits ``my_chat_member``."""
        body = {"status": status, "rights": rights, "by_user_id": by_user_id}
        result: dict[str, Any] = await self._call("POST", f"/chats/{chat_id}/bot", body=body)
        return result

    async def add_bot(
        self,
        chat_id: int,
        *,
        admin: bool = False,
        can_post_messages: bool = True,
        by_user_id: int | None = None,
    ) -> dict[str, Any]:
        """Add the bot as member, or as administrator (with or without post rights, for channels)."""
        if not admin:
            return await self.set_bot_status(chat_id, "member", by_user_id=by_user_id)
        rights = {"can_post_messages": can_post_messages}
        return await self.set_bot_status(chat_id, "administrator", rights=rights, by_user_id=by_user_id)

    async def kick_bot(self, chat_id: int, *, by_user_id: int | None = None) -> dict[str, Any]:
        return await self.set_bot_status(chat_id, "kicked", by_user_id=by_user_id)

    async def set_member(
        self, chat_id: int, user_id: int, status: str, rights: dict[str, bool] | None = None
    ) -> dict[str, Any]:
        body = {"user_id": user_id, "status": status, "rights": rights}
        result: dict[str, Any] = await self._call("POST", f"/chats/{chat_id}/members", body=body)
        return result

    async def migrate(self, chat_id: int, *, by_user_id: int | None = None) -> int:
        """Upgrade a group to a supergroup; returns the new chat id."""
        result = await self._call("POST", f"/chats/{chat_id}/migrate", body={"by_user_id": by_user_id})
        return int(result["new_chat_id"])

    async def messages(
        self, chat_id: int, *, include_user_messages: bool = False, include_deleted: bool = True
    ) -> list[MessageView]:
        query = {
            "all": "1" if include_user_messages else "0",
            "include_deleted": "1" if include_deleted else "0",
        }
        result = await self._call("GET", f"/chats/{chat_id}/messages", query=query)
        return [MessageView.from_json(m) for m in result]

    async def wait_for_messages(
        self, chat_id: int, count: int = 1, *, within: float = 5.0
    ) -> list[MessageView]:
        """Long-poll until the bot has sent ``count`` messages to the chat (deleted ones count).

        Raises :class:`EmulatorClientError` with status 408 if that does not happen ``within`` seconds.
        """
        query = {"count": str(count), "timeout": str(within)}
        result = await self._call("GET", f"/chats/{chat_id}/messages/wait", query=query)
        return [MessageView.from_json(m) for m in result]

    # --- callbacks, calls, updates, commands, webhook, faults ------------------------------------
    async def callbacks(self) -> list[CallbackView]:
        return [CallbackView.from_json(c) for c in await self._call("GET", "/callbacks")]

    async def callback(self, callback_id: str, *, wait: float = 0.0) -> CallbackView:
        """A callback query and the bot's answer; ``wait`` seconds for the answer to arrive."""
        result = await self._call("GET", f"/callbacks/{callback_id}", query={"wait": str(wait)})
        return CallbackView.from_json(result)

    async def calls(self, method: str | None = None, *, since: int = 0) -> list[CallView]:
        query = {"since": str(since)}
        if method:
            query["method"] = method
        return [CallView.from_json(c) for c in await self._call("GET", "/calls", query=query)]

    async def updates(self) -> list[dict[str, Any]]:
        """Updates still queued (not yet confirmed by the bot)."""
        result: list[dict[str, Any]] = await self._call("GET", "/updates")
        return result

    async def commands(self) -> list[dict[str, Any]]:
        result: list[dict[str, Any]] = await self._call("GET", "/commands")
        return result

    async def webhook(self) -> dict[str, Any]:
        result: dict[str, Any] = await self._call("GET", "/webhook")
        return result

    async def inject_fault(
        self,
        error_code: int,
        description: str | None = None,
        *,
        method: str | None = None,
        chat_id: int | str | None = None,
        retry_after: int | None = None,
        times: int = 1,
    ) -> dict[str, Any]:
        """Answer the next ``times`` matching sends/edits/deletes with this error (429: give retry_after)."""
        body = {
            "error_code": error_code,
            "description": description,
            "method": method,
            "chat_id": chat_id,
            "retry_after": retry_after,
            "times": times,
        }
        result: dict[str, Any] = await self._call("POST", "/faults", body=body)
        return result

    async def inject(
        self,
        kind: str,
        *,
        method: str | None = None,
        chat_id: int | str | None = None,
        times: int = 1,
        retry_after: int | None = None,
        migrate_to_chat_id: int | None = None,
        chat_type: str | None = None,
    ) -> dict[str, Any]:
        """A named fault with Telegram's exact error: ``blocked``, ``deactivated``, ``kicked``,
        ``not_member``, ``migrated`` (give ``migrate_to_chat_id``), ``flood``, ``server_error``,
        ``bad_gateway``, ``bad_html``."""
        body = {
            "kind": kind,
            "method": method,
            "chat_id": chat_id,
            "times": times,
            "retry_after": retry_after,
            "migrate_to_chat_id": migrate_to_chat_id,
            "chat_type": chat_type,
        }
        result: dict[str, Any] = await self._call("POST", "/faults", body=body)
        return result

    async def inject_timeout(
        self,
        delay_seconds: float,
        *,
        method: str | None = None,
        chat_id: int | str | None = None,
        times: int = 1,
        error_code: int | None = None,
        description: str | None = None,
    ) -> dict[str, Any]:
        """Answer matching calls only after ``delay_seconds`` (past the client's timeout). With
        ``error_code`` the late answer is that error and nothing happens; without, the call runs late."""
        body = {
            "action": "delay",
            "delay_seconds": delay_seconds,
            "method": method,
            "chat_id": chat_id,
            "times": times,
            "error_code": error_code,
            "description": description,
        }
        result: dict[str, Any] = await self._call("POST", "/faults", body=body)
        return result

    async def inject_reset(
        self, *, method: str | None = None, chat_id: int | str | None = None, times: int = 1
    ) -> dict[str, Any]:
        """Drop the connection of matching calls without an answer (nothing happens)."""
        body = {"action": "reset", "method": method, "chat_id": chat_id, "times": times}
        result: dict[str, Any] = await self._call("POST", "/faults", body=body)
        return result

    async def set_rate_limits(
        self,
        *,
        global_rate: float | None = None,
        paid_rate: float | None = None,
        burst_seconds: float | None = None,
        per_chat_rate: float | None = None,
        per_chat_burst: float | None = None,
        group_per_minute: int | None = None,
    ) -> dict[str, Any]:
        """Enforce Telegram-like flood limits (omitted values keep their defaults); resets counters."""
        body = {
            "global_rate": global_rate,
            "paid_rate": paid_rate,
            "burst_seconds": burst_seconds,
            "per_chat_rate": per_chat_rate,
            "per_chat_burst": per_chat_burst,
            "group_per_minute": group_per_minute,
        }
        result: dict[str, Any] = await self._call("PUT", "/ratelimits", body=body)
        return result

    async def rate_limits(self) -> dict[str, Any]:
        """``{"enabled", "config", "stats": {"accepted", "limited", "by_scope", "accepted_span_seconds"}}``."""
        result: dict[str, Any] = await self._call("GET", "/ratelimits")
        return result

    async def clear_rate_limits(self) -> None:
        await self._call("DELETE", "/ratelimits")

    async def faults(self) -> list[dict[str, Any]]:
        result: list[dict[str, Any]] = await self._call("GET", "/faults")
        return result

    async def clear_faults(self) -> None:
        await self._call("DELETE", "/faults")
