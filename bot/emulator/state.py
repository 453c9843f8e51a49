"""The emulator's world: one bot, its users and chats, messages, the update queue and the call log.

:class:`Emulator` is pure Python and in-memory; the HTTP layer (:mod:`bot.emulator.server`) and the
Bot API methods (:mod:`bot.emulator.botapi`) are thin shells around it, and tests may also drive it
directly. Invariants:

* Chat ids follow Telegram's shapes: users (and their private chats) are positive; basic groups are
  ``-4…``; supergroups and channels are ``-100…``. A private chat exists exactly when its user does.
* Message ids are per chat, start at 1 and never repeat; deleted messages stay stored with
  ``deleted=True`` so tests can see what happened, but the Bot API treats them as gone.
* Every message keeps its full version history (``history[0]`` is the original, ``history[-1]`` the
  current state): text, entities, the HTML the bot sent, and reply markup.
* Updates get strictly increasing ``update_id``s; an update is removed only when confirmed (a
  ``getUpdates`` offset above it, or a successful webhook delivery) or after 24 hours, as Telegram does.
  Update types not in the current ``allowed_updates`` are never queued.
* Time comes from the injected :class:`~bot.clock.Clock` plus a control-API skew, so the 48-hour
  delete window and 24-hour update expiry are testable without sleeping. Long-poll waits use real time.
* Every state change wakes the waiters (``getUpdates``, the wait-for helpers, the webhook worker).
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import re
import secrets
from datetime import datetime, timedelta
from typing import Any

from bot.clock import Clock, SystemClock
from bot.domain import ChatKind
from bot.emulator import errors as E
from bot.emulator.errors import ApiError, EmulatorError
from bot.emulator.interceptor import FaultInjector, Interceptor
from bot.emulator.model import (
    CallbackRecord,
    CallRecord,
    ChatRecord,
    Membership,
    MemberStatus,
    MessageRecord,
    UpdateRecord,
    UserRecord,
    WebhookAttempt,
    WebhookConfig,
    full_rights,
    member_to_api,
)
from bot.emulator.ratelimit import RateLimiter
from bot.emulator.tghtml import utf16_len

TOKEN_SHAPE = re.compile(r"^(\d{1,20}):([A-Za-z0-9_-]{1,100})$")
"""A syntactically valid bot token; other strings are answered ``invalid token specified``."""

ALL_UPDATE_TYPES: frozenset[str] = frozenset(
    {
        "message", "edited_message", "channel_post", "edited_channel_post", "business_connection",
        "business_message", "edited_business_message", "deleted_business_messages", "message_reaction",
        "message_reaction_count", "inline_query", "chosen_inline_result", "callback_query",
        "shipping_query", "pre_checkout_query", "purchased_paid_media", "poll", "poll_answer",
        "my_chat_member", "chat_member", "chat_join_request", "chat_boost", "removed_chat_boost",
    }
)  # fmt: skip
DEFAULT_UPDATE_TYPES = ALL_UPDATE_TYPES - {"chat_member", "message_reaction", "message_reaction_count"}
"""What Telegram sends when ``allowed_updates`` was never set (or set to ``[]``)."""

MAX_POLL_TIMEOUT = 50.0
UPDATE_TTL = timedelta(hours=24)
DELETE_WINDOW = timedelta(hours=48)
_COMMAND = re.compile(r"(?<![\w/])/([A-Za-z0-9_]{1,64})(@[A-Za-z0-9_]{3,32})?")


def new_token(bot_id: int = 7_000_000_001) -> str:
    """A fresh, well-shaped token for ``bot_id`` (35 url-safe characters after the colon, like BotFather's)."""
    return f"{bot_id}:AA{secrets.token_urlsafe(26)[:33]}"


class Emulator:
    """In-memory Telegram for one bot. See the module docstring for the invariants."""

    def __init__(
        self,
        token: str | None = None,
        *,
        username: str = "aajel_emulator_bot",
        first_name: str = "Aajel",
        clock: Clock | None = None,
        privacy_mode: bool = True,
        webhook_retry_delays: tuple[float, ...] = (0.05, 0.2, 0.5),
    ) -> None:
        token = token or new_token()
        shape = TOKEN_SHAPE.match(token)
        if shape is None:
            raise EmulatorError(f"the emulator's own token must look like 123456:ABC..., got {token!r}")
        self.token = token
        self.bot_id = int(shape.group(1))
        self.username = username
        self.first_name = first_name
        self.clock: Clock = clock or SystemClock()
        self.privacy_mode = privacy_mode
        self.webhook_retry_delays = webhook_retry_delays
        self.faults = FaultInjector()
        self.limits = RateLimiter(self.clock)
        """Telegram-like flood limits; off until configured (``limits.configure(LimitConfig(...))``)."""
        self.interceptors: list[Interceptor] = [self.faults, self.limits]
        """Asked in order before every send/edit/delete; the fault injector is always first."""
        self._skew = timedelta(0)
        self._changed = asyncio.Event()
        self._closing = False
        self._init_world()

    def _init_world(self) -> None:
        self.users: dict[int, UserRecord] = {}
        self.chats: dict[int, ChatRecord] = {}
        self.updates: list[UpdateRecord] = []
        self.callbacks: dict[str, CallbackRecord] = {}
        self.calls: list[CallRecord] = []
        self.commands: dict[tuple[str, str], list[dict[str, str]]] = {}
        self.webhook: WebhookConfig | None = None
        self.webhook_attempts: list[WebhookAttempt] = []
        self.allowed_updates: frozenset[str] = DEFAULT_UPDATE_TYPES
        self._update_ids = itertools.count(100_000_001)
        self._call_seq = itertools.count(1)
        self._callback_seq = itertools.count(1)
        self._user_ids = itertools.count(100_000_001)
        self._group_ids = itertools.count(4_100_000_001)
        self._super_ids = itertools.count(1_002_100_000_001)
        self._topic_ids = itertools.count(1001)
        self._poll_seq = itertools.count(1)
        self._active_poll: int | None = None
        self._terminated_polls: set[int] = set()

    def reset(self) -> None:
        """Forget every user, chat, message, update, answer, call, injected fault and rate limit; keep the bot."""
        self.faults.clear()
        self.limits.disable()
        self._init_world()
        self.notify()

    # --- identity and time -----------------------------------------------------------------------
    def bot_user(self) -> dict[str, Any]:
        """The bot as a ``User`` (what ``getMe`` returns)."""
        return {
            "id": self.bot_id,
            "is_bot": True,
            "first_name": self.first_name,
            "username": self.username,
            "can_join_groups": True,
            "can_read_all_group_messages": not self.privacy_mode,
            "supports_inline_queries": False,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }

    def now(self) -> datetime:
        return self.clock.now() + self._skew

    def advance_time(self, seconds: float) -> datetime:
        """Move the emulator's notion of "now" forward (48-hour delete window, update expiry)."""
        self._skew += timedelta(seconds=seconds)
        self.notify()
        return self.now()

    def unix_now(self) -> int:
        return int(self.now().timestamp())

    # --- change notification ---------------------------------------------------------------------
    @property
    def closing(self) -> bool:
        return self._closing

    def notify(self) -> None:
        """Wake every waiter (long polls, wait-for helpers, the webhook worker) after a state change."""
        self._changed.set()
        self._changed = asyncio.Event()

    async def wait_changed(self, seconds: float) -> None:
        """Sleep until the next state change or ``seconds``, whichever comes first."""
        if seconds <= 0 or self._closing:
            return
        event = self._changed
        # asyncio.timeout, not wait_for: on 3.11 wait_for can swallow a cancel that races a wake-up.
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(seconds):
                await event.wait()

    def close(self) -> None:
        """Release every waiter at once (server shutdown): long polls answer ``[]`` immediately."""
        self._closing = True
        self.notify()

    def reopen(self) -> None:
        self._closing = False

    # --- lookups for the control API -------------------------------------------------------------
    def user(self, user_id: int) -> UserRecord:
        try:
            return self.users[user_id]
        except KeyError as e:
            raise EmulatorError(f"no user {user_id}; create it first", 404) from e

    def chat(self, chat_id: int) -> ChatRecord:
        try:
            return self.chats[chat_id]
        except KeyError as e:
            raise EmulatorError(f"no chat {chat_id}", 404) from e

    # --- users -----------------------------------------------------------------------------------
    def add_user(
        self,
        first_name: str,
        *,
        user_id: int | None = None,
        last_name: str | None = None,
        username: str | None = None,
        language_code: str | None = None,
        started: bool = False,
    ) -> UserRecord:
        """Create a user and their private chat with the bot (the bot may write only once ``started``)."""
        user_id = user_id if user_id is not None else next(self._user_ids)
        if user_id <= 0:
            raise EmulatorError("user ids are positive")
        if user_id in self.users or user_id == self.bot_id:
            raise EmulatorError(f"user {user_id} already exists", 409)
        user = UserRecord(user_id, first_name, last_name, username, language_code, started=started)
        self.users[user_id] = user
        self.chats[user_id] = ChatRecord(user_id, ChatKind.PRIVATE)
        self.notify()
        return user

    def set_blocked(self, user_id: int, blocked: bool) -> UserRecord:
        """The user blocks (or unblocks) the bot; Telegram tells the bot with ``my_chat_member``."""
        user = self.user(user_id)
        if user.blocked != blocked:
            user.blocked = blocked
            old, new = MemberStatus.MEMBER, MemberStatus.KICKED
            if not blocked:
                old, new = new, old
            self._emit_my_chat_member(self.chats[user_id], user.to_api(), Membership(old), Membership(new))
        self.notify()
        return user

    def deactivate(self, user_id: int) -> UserRecord:
        """The user deleted their account: every send to them is ``user is deactivated`` from now on."""
        user = self.user(user_id)
        user.deactivated = True
        self.notify()
        return user

    # --- chats -----------------------------------------------------------------------------------
    def create_chat(
        self,
        kind: ChatKind,
        title: str,
        *,
        chat_id: int | None = None,
        username: str | None = None,
        is_forum: bool = False,
        creator_id: int | None = None,
        admin_ids: list[int] | None = None,
        member_ids: list[int] | None = None,
    ) -> ChatRecord:
        """Create a group, supergroup (``is_forum`` for topics) or channel; the bot is not in it yet."""
        if kind is ChatKind.PRIVATE:
            raise EmulatorError("private chats come with their user; create a user instead")
        if is_forum and kind is not ChatKind.SUPERGROUP:
            raise EmulatorError("only supergroups can be forums")
        if chat_id is None:
            chat_id = -next(self._group_ids) if kind is ChatKind.GROUP else -next(self._super_ids)
        if chat_id >= 0 or chat_id in self.chats:
            raise EmulatorError(f"chat id {chat_id} is taken or not negative")
        chat = ChatRecord(chat_id, kind, title=title, username=username, is_forum=is_forum)
        if creator_id is not None:
            self.user(creator_id)
            chat.members[creator_id] = Membership(MemberStatus.CREATOR)
        for user_id in admin_ids or ():
            self.user(user_id)
            chat.members[user_id] = Membership(MemberStatus.ADMINISTRATOR, full_rights())
        for user_id in member_ids or ():
            self.user(user_id)
            chat.members.setdefault(user_id, Membership(MemberStatus.MEMBER))
        self.chats[chat_id] = chat
        self.notify()
        return chat

    def add_topic(self, chat_id: int, name: str) -> int:
        """Open a forum topic; returns its ``message_thread_id``."""
        chat = self.chat(chat_id)
        if not chat.is_forum:
            raise EmulatorError(f"chat {chat_id} is not a forum")
        thread_id = next(self._topic_ids)
        chat.topics[thread_id] = name
        self.notify()
        return thread_id

    def set_member(
        self, chat_id: int, user_id: int, status: MemberStatus, rights: dict[str, bool] | None = None
    ) -> Membership:
        """Set a *user's* membership (no update is emitted: ``chat_member`` is opt-in and not modelled)."""
        chat = self.chat(chat_id)
        self.user(user_id)
        member = Membership(status, _rights(status, rights))
        chat.members[user_id] = member
        self.notify()
        return member

    def set_bot_status(
        self,
        chat_id: int,
        status: MemberStatus,
        *,
        rights: dict[str, bool] | None = None,
        by_user_id: int | None = None,
    ) -> Membership:
        """Add the bot to a chat (member/administrator), kick it, or make it leave; emits ``my_chat_member``.

        When the bot joins a group or supergroup, the ``new_chat_members`` service message follows, as in
        Telegram. ``by_user_id`` defaults to the chat's creator (or the bot itself for ``left``).
        """
        chat = self.chat(chat_id)
        if chat.kind is ChatKind.PRIVATE:
            raise EmulatorError("use block/unblock for private chats")
        if status is MemberStatus.CREATOR:
            raise EmulatorError("a bot cannot own a chat")
        actor = self._actor(chat, by_user_id, status)
        old = chat.member(self.bot_id)
        new = Membership(status, _rights(status, rights))
        chat.members[self.bot_id] = new
        self._emit_my_chat_member(chat, actor, old, new)
        if chat.kind is not ChatKind.CHANNEL and new.status.is_present and not old.status.is_present:
            self._store_service(chat, actor, {"new_chat_members": [self.bot_user()]})
        self.notify()
        return new

    def _actor(self, chat: ChatRecord, by_user_id: int | None, status: MemberStatus) -> dict[str, Any]:
        if by_user_id is not None:
            return self.user(by_user_id).to_api()
        if status is MemberStatus.LEFT:
            return self.bot_user()
        for user_id, member in chat.members.items():
            if member.status is MemberStatus.CREATOR and user_id in self.users:
                return self.users[user_id].to_api()
        raise EmulatorError("say who changes the bot's status (by_user_id): the chat has no creator")

    def migrate(self, chat_id: int, *, by_user_id: int | None = None) -> ChatRecord:
        """Upgrade a basic group to a supergroup with a new id; the old id answers the migrate error."""
        old = self.chat(chat_id)
        if old.kind is not ChatKind.GROUP or old.migrated_to is not None:
            raise EmulatorError(f"chat {chat_id} is not a (not yet migrated) basic group")
        actor = self._actor(old, by_user_id, MemberStatus.MEMBER)
        new = ChatRecord(-next(self._super_ids), ChatKind.SUPERGROUP, title=old.title, migrated_from=old.id)
        new.members = {
            uid: Membership(m.status, dict(m.rights), m.until_date) for uid, m in old.members.items()
        }
        self.chats[new.id] = new
        self._store_service(old, actor, {"migrate_to_chat_id": new.id})
        old.migrated_to = new.id
        self._store_service(new, actor, {"migrate_from_chat_id": old.id})
        self.notify()
        return new

    # --- users acting ----------------------------------------------------------------------------
    def user_sends(
        self,
        user_id: int,
        text: str,
        *,
        chat_id: int | None = None,
        message_thread_id: int | None = None,
        reply_to_message_id: int | None = None,
    ) -> tuple[MessageRecord, int | None]:
        """A user writes ``text`` (private chat by default); returns the message and its update id.

        Commands get ``bot_command`` entities. A private message means the user has started the bot
        (Telegram clients send ``/start`` before anything else) and unblocks it if it was blocked. In
        groups with privacy mode on, the bot only receives commands, replies to it and service
        messages unless it is an administrator. The update id is ``None`` when the bot does not receive it.
        """
        user = self.user(user_id)
        if user.deactivated:
            raise EmulatorError(f"user {user_id} is deactivated and cannot write")
        chat = self.chat(chat_id if chat_id is not None else user_id)
        if not 1 <= len(text) <= 4096:
            raise EmulatorError("a user's message must have 1-4096 characters")
        if chat.migrated_to is not None:
            raise EmulatorError(f"chat {chat.id} was migrated to {chat.migrated_to}")
        if chat.kind is ChatKind.PRIVATE:
            if chat.id != user_id:
                raise EmulatorError("a user can only write in their own private chat with the bot")
            if user.blocked:
                self.set_blocked(user_id, False)
            user.started = True
        elif not chat.member(user_id).status.is_present:
            raise EmulatorError(f"user {user_id} is not a member of chat {chat.id}")
        if message_thread_id is not None and message_thread_id not in chat.topics:
            raise EmulatorError(f"chat {chat.id} has no topic {message_thread_id}")
        if reply_to_message_id is not None:
            replied = chat.messages.get(reply_to_message_id)
            if replied is None or replied.deleted:
                raise EmulatorError(f"no message {reply_to_message_id} in chat {chat.id}")
        message = MessageRecord(
            chat_id=chat.id,
            message_id=chat.take_message_id(),
            date=self.now(),
            sender_id=user_id,
            from_bot=False,
            text=text,
            entities=command_entities(text),
            message_thread_id=message_thread_id,
            reply_to_message_id=reply_to_message_id,
        )
        message.history.append(message.version())
        chat.messages[message.message_id] = message
        update_id = None
        if self._bot_receives(chat, message):
            kind = "channel_post" if chat.kind is ChatKind.CHANNEL else "message"
            update_id = self.enqueue(kind, self.message_to_api(message))
        self.notify()
        return message, update_id

    def user_forwards(
        self, user_id: int, from_chat_id: int, message_id: int
    ) -> tuple[MessageRecord, int | None]:
        """The user forwards a message they can see into their private chat with the bot.

        The copy keeps text and entities and carries ``forward_origin`` as Telegram builds it:
        ``channel`` (the channel chat, the original ``message_id`` and date) for channel posts, ``user``
        otherwise. Messages with protected content cannot be forwarded (Telegram clients refuse).
        """
        user = self.user(user_id)
        if user.deactivated:
            raise EmulatorError(f"user {user_id} is deactivated and cannot write")
        source = self.chat(from_chat_id)
        original = source.messages.get(message_id)
        if original is None or original.deleted or original.text is None:
            raise EmulatorError(f"no text message {message_id} in chat {from_chat_id}", 404)
        public_channel = source.kind is ChatKind.CHANNEL and source.username
        can_see = source.id == user_id or public_channel or source.member(user_id).status.is_present
        if not can_see:
            raise EmulatorError(f"user {user_id} cannot see chat {from_chat_id}")
        if original.options.get("protect_content"):
            raise EmulatorError("the message has protected content and cannot be forwarded")
        date = int(original.date.timestamp())
        if source.kind is ChatKind.CHANNEL:
            origin: dict[str, Any] = {
                "type": "channel",
                "chat": self.chat_to_api(source),
                "message_id": original.message_id,
                "date": date,
            }
        elif original.sender_id is not None:
            origin = {"type": "user", "sender_user": self.user_to_api(original.sender_id), "date": date}
        else:
            origin = {"type": "chat", "sender_chat": self.chat_to_api(source), "date": date}
        chat = self.chat(user_id)
        if user.blocked:
            self.set_blocked(user_id, False)
        user.started = True
        message = MessageRecord(
            chat_id=chat.id,
            message_id=chat.take_message_id(),
            date=self.now(),
            sender_id=user_id,
            from_bot=False,
            text=original.text,
            entities=[dict(e) for e in original.entities],
            forward_origin=origin,
        )
        message.history.append(message.version())
        chat.messages[message.message_id] = message
        update_id = self.enqueue("message", self.message_to_api(message))
        self.notify()
        return message, update_id

    def _bot_receives(self, chat: ChatRecord, message: MessageRecord) -> bool:
        if chat.kind is ChatKind.PRIVATE:
            return True
        bot = chat.member(self.bot_id)
        if not bot.status.is_present:
            return False
        if not self.privacy_mode or bot.status is MemberStatus.ADMINISTRATOR or chat.kind is ChatKind.CHANNEL:
            return True
        if message.reply_to_message_id is not None:
            replied = chat.messages.get(message.reply_to_message_id)
            if replied is not None and replied.from_bot:
                return True
        for match in _COMMAND.finditer(message.text or ""):
            mention = match.group(2)
            if mention is None or mention[1:].lower() == self.username.lower():
                return True
        return False

    def press_button(
        self,
        user_id: int,
        chat_id: int,
        message_id: int,
        *,
        data: str | None = None,
        text: str | None = None,
    ) -> CallbackRecord:
        """The user taps an inline button (chosen by ``data`` or by button ``text``) of a bot message."""
        user = self.user(user_id)
        chat = self.chat(chat_id)
        message = chat.messages.get(message_id)
        if message is None or message.deleted:
            raise EmulatorError(f"no message {message_id} in chat {chat_id}", 404)
        if chat.kind is not ChatKind.PRIVATE and not chat.member(user_id).status.is_present:
            raise EmulatorError(f"user {user_id} is not a member of chat {chat_id}")
        callback_data = _find_callback_data(message.reply_markup, data=data, text=text)
        callback = CallbackRecord(
            id=str(4_000_000_000_000_000_000 + next(self._callback_seq)),
            user_id=user_id,
            chat_id=chat_id,
            message_id=message_id,
            data=callback_data,
            created_at=self.now(),
        )
        self.callbacks[callback.id] = callback
        self.enqueue(
            "callback_query",
            {
                "id": callback.id,
                "from": user.to_api(),
                "message": self.message_to_api(message),
                "chat_instance": str(abs(chat_id) * 7919 % 10**18),
                "data": callback_data,
            },
        )
        self.notify()
        return callback

    # --- reading ---------------------------------------------------------------------------------
    def bot_messages(self, chat_id: int, *, include_deleted: bool = True) -> list[MessageRecord]:
        chat = self.chat(chat_id)
        return [m for m in chat.messages.values() if m.from_bot and (include_deleted or not m.deleted)]

    async def wait_for_bot_messages(self, chat_id: int, count: int, seconds: float) -> list[MessageRecord]:
        """Wait until the bot has sent at least ``count`` messages to the chat (deleted ones count)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + seconds
        while True:
            messages = self.bot_messages(chat_id)
            remaining = deadline - loop.time()
            if len(messages) >= count or remaining <= 0 or self._closing:
                return messages
            await self.wait_changed(remaining)

    async def wait_for_answer(self, callback_id: str, seconds: float) -> CallbackRecord:
        callback = self.callbacks.get(callback_id)
        if callback is None:
            raise EmulatorError(f"no callback query {callback_id}", 404)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + seconds
        while not callback.answered and (remaining := deadline - loop.time()) > 0 and not self._closing:
            await self.wait_changed(remaining)
        return callback

    # --- the update queue ------------------------------------------------------------------------
    def enqueue(self, kind: str, payload: dict[str, Any]) -> int | None:
        """Queue an update unless its type is filtered out by ``allowed_updates``; return its id."""
        if kind not in self.allowed_updates:
            return None
        update = UpdateRecord(next(self._update_ids), kind, payload, self.now())
        self.updates.append(update)
        self.notify()
        return update.update_id

    def set_allowed_updates(self, allowed: list[str] | None) -> None:
        """Persist the filter, as Telegram does; ``[]`` restores the default set."""
        if allowed is None:
            return
        self.allowed_updates = frozenset(allowed) & ALL_UPDATE_TYPES if allowed else DEFAULT_UPDATE_TYPES

    def confirm(self, offset: int) -> None:
        """``offset`` confirms every update below it; a negative offset keeps only the last ``-offset``."""
        if offset < 0:
            self.updates = self.updates[offset:]
        else:
            self.updates = [u for u in self.updates if u.update_id >= offset]

    def expire_updates(self) -> None:
        cutoff = self.now() - UPDATE_TTL
        self.updates = [u for u in self.updates if u.created_at > cutoff]

    async def get_updates(
        self, *, offset: int | None, limit: int, poll_timeout: float, allowed_updates: list[str] | None
    ) -> list[dict[str, Any]]:
        """``getUpdates``: confirm, then long-poll; a newer concurrent call terminates this one (409)."""
        if self.webhook is not None:
            raise ApiError(409, E.CONFLICT_WEBHOOK)
        self.set_allowed_updates(allowed_updates)
        if offset is not None:
            self.confirm(offset)
        ticket = next(self._poll_seq)
        if self._active_poll is not None:
            self._terminated_polls.add(self._active_poll)
            self.notify()
        self._active_poll = ticket
        loop = asyncio.get_running_loop()
        deadline = loop.time() + min(max(poll_timeout, 0.0), MAX_POLL_TIMEOUT)
        try:
            while True:
                if ticket in self._terminated_polls:
                    self._terminated_polls.discard(ticket)
                    raise ApiError(409, E.CONFLICT_POLLER)
                if self.webhook is not None:
                    raise ApiError(409, E.CONFLICT_WEBHOOK)
                self.expire_updates()
                remaining = deadline - loop.time()
                if self.updates or remaining <= 0 or self._closing:
                    return [u.to_api() for u in self.updates[:limit]]
                await self.wait_changed(remaining)
        finally:
            if self._active_poll == ticket:
                self._active_poll = None

    # --- call log --------------------------------------------------------------------------------
    def record_call(self, method: str, params: dict[str, Any], status: int, description: str | None) -> None:
        self.calls.append(CallRecord(next(self._call_seq), self.now(), method, params, status, description))
        self.notify()

    # --- rules the Bot API methods share ---------------------------------------------------------
    def resolve_chat(self, chat_ref: int | str) -> ChatRecord:
        """The chat a ``chat_id`` parameter names (an id or ``@username``), else 400 ``chat not found``."""
        if isinstance(chat_ref, int):
            chat = self.chats.get(chat_ref)
        else:
            name = chat_ref.removeprefix("@").lower()
            chat = next(
                (
                    c
                    for c in self.chats.values()
                    if c.username and c.username.lower() == name and chat_ref[:1] == "@"
                ),
                None,
            )
        if chat is None:
            raise ApiError.bad_request(E.CHAT_NOT_FOUND)
        return chat

    def check_can_write(self, chat: ChatRecord) -> None:
        """Raise the exact error Telegram gives when the bot may not post in ``chat``."""
        if chat.migrated_to is not None:
            raise ApiError.migrated(chat.migrated_to)
        if chat.kind is ChatKind.PRIVATE:
            user = self.users[chat.id]
            if user.deactivated:
                raise ApiError.forbidden(E.DEACTIVATED)
            if user.blocked:
                raise ApiError.forbidden(E.BLOCKED)
            if not user.started:
                raise ApiError.forbidden(E.CANT_INITIATE)
            return
        bot = chat.member(self.bot_id)
        if bot.status is MemberStatus.KICKED:
            raise ApiError.forbidden(E.kicked_from(chat.kind.value))
        if not bot.status.is_present:
            raise ApiError.forbidden(E.not_member_of(chat.kind.value))
        if chat.kind is ChatKind.CHANNEL and not bot.has_right("can_post_messages"):
            raise ApiError.bad_request(E.NEED_CHANNEL_ADMIN)

    def store_bot_message(self, chat: ChatRecord, message: MessageRecord) -> MessageRecord:
        message.history.append(message.version())
        chat.messages[message.message_id] = message
        self.notify()
        return message

    def _store_service(self, chat: ChatRecord, actor: dict[str, Any], service: dict[str, Any]) -> None:
        message = MessageRecord(
            chat_id=chat.id,
            message_id=chat.take_message_id(),
            date=self.now(),
            sender_id=int(actor["id"]),
            from_bot=False,
            service=service,
        )
        chat.messages[message.message_id] = message
        if chat.member(self.bot_id).status.is_present:
            self.enqueue("message", self.message_to_api(message))

    def _emit_my_chat_member(
        self, chat: ChatRecord, actor: dict[str, Any], old: Membership, new: Membership
    ) -> None:
        bot = self.bot_user()
        self.enqueue(
            "my_chat_member",
            {
                "chat": self.chat_to_api(chat),
                "from": actor,
                "date": self.unix_now(),
                "old_chat_member": member_to_api(bot, old, chat.kind),
                "new_chat_member": member_to_api(bot, new, chat.kind),
            },
        )

    # --- Bot API shapes --------------------------------------------------------------------------
    def chat_to_api(self, chat: ChatRecord) -> dict[str, Any]:
        """The short ``Chat`` object embedded in messages and member updates."""
        data: dict[str, Any] = {"id": chat.id, "type": chat.kind.value}
        if chat.kind is ChatKind.PRIVATE:
            user = self.users[chat.id]
            data["first_name"] = user.first_name
            if user.last_name:
                data["last_name"] = user.last_name
            if user.username:
                data["username"] = user.username
            return data
        data["title"] = chat.title or ""
        if chat.username:
            data["username"] = chat.username
        if chat.is_forum:
            data["is_forum"] = True
        return data

    def chat_full_info(self, chat: ChatRecord) -> dict[str, Any]:
        """``getChat``'s ``ChatFullInfo`` with every field aiogram requires."""
        return {
            **self.chat_to_api(chat),
            "accent_color_id": 0,
            "max_reaction_count": 11,
            "accepted_gift_types": {
                "unlimited_gifts": False,
                "limited_gifts": False,
                "unique_gifts": False,
                "premium_subscription": False,
                "gifts_from_channels": False,
            },
        }

    def user_to_api(self, user_id: int) -> dict[str, Any]:
        return self.bot_user() if user_id == self.bot_id else self.users[user_id].to_api()

    def message_to_api(self, message: MessageRecord, *, nested: bool = False) -> dict[str, Any]:
        """A Bot API ``Message``: date in unix seconds; ``reply_to_message`` one level deep."""
        chat = self.chats[message.chat_id]
        data: dict[str, Any] = {"message_id": message.message_id, "date": int(message.date.timestamp())}
        if chat.kind is ChatKind.CHANNEL:
            data["sender_chat"] = self.chat_to_api(chat)
        elif message.sender_id is not None:
            data["from"] = self.user_to_api(message.sender_id)
        data["chat"] = self.chat_to_api(chat)
        if message.message_thread_id is not None:
            data["message_thread_id"] = message.message_thread_id
            if chat.is_forum:
                data["is_topic_message"] = True
        if message.reply_to_message_id is not None and not nested:
            replied = chat.messages.get(message.reply_to_message_id)
            if replied is not None and not replied.deleted:
                data["reply_to_message"] = self.message_to_api(replied, nested=True)
        if message.forward_origin is not None:
            data["forward_origin"] = message.forward_origin
        if message.edit_date is not None:
            data["edit_date"] = int(message.edit_date.timestamp())
        if message.text is not None:
            data["text"] = message.text
            if message.entities:
                data["entities"] = message.entities
        if "link_preview_options" in message.options:
            data["link_preview_options"] = message.options["link_preview_options"]
        if message.reply_markup and "inline_keyboard" in message.reply_markup:
            data["reply_markup"] = message.reply_markup
        if message.options.get("protect_content"):
            data["has_protected_content"] = True
        data.update(message.service)
        return data

    # --- control-API views -----------------------------------------------------------------------
    def message_snapshot(self, message: MessageRecord) -> dict[str, Any]:
        return {
            "chat_id": message.chat_id,
            "message_id": message.message_id,
            "date": message.date.isoformat(),
            "from_bot": message.from_bot,
            "sender_id": message.sender_id,
            "text": message.text,
            "html": message.html,
            "parse_mode": message.parse_mode,
            "entities": message.entities,
            "reply_markup": message.reply_markup,
            "message_thread_id": message.message_thread_id,
            "reply_to_message_id": message.reply_to_message_id,
            "options": message.options,
            "service": message.service,
            "forward_origin": message.forward_origin,
            "edited": message.edit_date is not None,
            "edit_date": message.edit_date.isoformat() if message.edit_date else None,
            "deleted": message.deleted,
            "history": [version.snapshot() for version in message.history],
        }

    def chat_snapshot(self, chat: ChatRecord) -> dict[str, Any]:
        return {
            "id": chat.id,
            "type": chat.kind.value,
            "title": chat.title,
            "username": chat.username,
            "is_forum": chat.is_forum,
            "topics": {str(k): v for k, v in chat.topics.items()},
            "migrated_to": chat.migrated_to,
            "migrated_from": chat.migrated_from,
            "bot_status": chat.member(self.bot_id).status.value,
            "bot_rights": chat.member(self.bot_id).rights,
            "members": {
                str(uid): {"status": m.status.value, "rights": m.rights} for uid, m in chat.members.items()
            },
        }


def command_entities(text: str) -> list[dict[str, Any]]:
    """``bot_command`` entities for every ``/command[@bot]`` in ``text`` (UTF-16 offsets)."""
    return [
        {"type": "bot_command", "offset": utf16_len(text[: m.start()]), "length": utf16_len(m.group(0))}
        for m in _COMMAND.finditer(text)
    ]


def _rights(status: MemberStatus, rights: dict[str, bool] | None) -> dict[str, bool]:
    if status is not MemberStatus.ADMINISTRATOR:
        return {}
    return {**full_rights(), **(rights or {})}


def _find_callback_data(markup: dict[str, Any] | None, *, data: str | None, text: str | None) -> str:
    rows = (markup or {}).get("inline_keyboard") or []
    for row in rows:
        for button in row:
            if "callback_data" not in button:
                continue
            if (data is not None and button["callback_data"] == data) or (
                text is not None and button.get("text") == text
            ):
                return str(button["callback_data"])
            if data is None and text is None:
                return str(button["callback_data"])
    raise EmulatorError("the message has no inline button with that callback data/text", 404)
