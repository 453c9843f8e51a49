"""In-memory records of the emulator's world, and their Bot API (JSON) shapes.

Records are plain mutable dataclasses owned by one :class:`~bot.emulator.state.Emulator`; nothing else
keeps references to them across awaits. ``to_api``-style functions produce exactly the fields aiogram
validates (``User``: id/is_bot/first_name; ``Chat``: id/type; ``Message``: message_id/date/chat; every
``ChatMember*`` variant's required flags), with dates as unix **seconds**. ``snapshot`` functions
produce the richer control-API view (html, edit history, deleted flag) that tests assert on.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from bot.domain import ChatKind


class MemberStatus(StrEnum):
    CREATOR = "creator"
    ADMINISTRATOR = "administrator"
    MEMBER = "member"
    LEFT = "left"
    KICKED = "kicked"

    @property
    def is_present(self) -> bool:
        """Whether the member is in the chat (can read and, rights permitting, write)."""
        return self in (MemberStatus.CREATOR, MemberStatus.ADMINISTRATOR, MemberStatus.MEMBER)


# Every administrator flag aiogram 3.31 requires on ChatMemberAdministrator, plus the optional ones
# that matter for channels (post/edit) and forums (topics). Order is the Bot API's.
ADMIN_RIGHTS: tuple[str, ...] = (
    "can_manage_chat", "can_delete_messages", "can_manage_video_chats", "can_restrict_members",
    "can_promote_members", "can_change_info", "can_invite_users", "can_post_stories",
    "can_edit_stories", "can_delete_stories", "can_send_welcome_messages", "can_post_messages",
    "can_edit_messages", "can_pin_messages", "can_manage_topics",
)  # fmt: skip
_CHANNEL_ONLY = frozenset({"can_post_messages", "can_edit_messages"})
_GROUP_ONLY = frozenset({"can_pin_messages", "can_manage_topics"})


def full_rights() -> dict[str, bool]:
    return dict.fromkeys(ADMIN_RIGHTS, True)


@dataclass(slots=True)
class UserRecord:
    id: int
    first_name: str
    last_name: str | None = None
    username: str | None = None
    language_code: str | None = None
    is_bot: bool = False
    started: bool = False  # pressed Start (sent anything in private): the bot may write to them
    blocked: bool = False
    deactivated: bool = False

    def to_api(self) -> dict[str, Any]:
        data: dict[str, Any] = {"id": self.id, "is_bot": self.is_bot, "first_name": self.first_name}
        if self.last_name:
            data["last_name"] = self.last_name
        if self.username:
            data["username"] = self.username
        if self.language_code:
            data["language_code"] = self.language_code
        return data

    def snapshot(self) -> dict[str, Any]:
        return {
            **self.to_api(),
            "started": self.started,
            "blocked": self.blocked,
            "deactivated": self.deactivated,
        }


@dataclass(slots=True)
class Membership:
    status: MemberStatus
    rights: dict[str, bool] = field(default_factory=dict)  # administrators only
    until_date: int = 0  # kicked only; 0 = forever

    def has_right(self, name: str) -> bool:
        if self.status is MemberStatus.CREATOR:
            return True
        return self.status is MemberStatus.ADMINISTRATOR and self.rights.get(name, False)


@dataclass(slots=True)
class MessageVersion:
    """One state of a message, kept in its edit history (oldest first)."""

    text: str | None
    html: str | None
    entities: list[dict[str, Any]]
    reply_markup: dict[str, Any] | None
    at: datetime

    def snapshot(self) -> dict[str, Any]:
        return {
            "text": self.text,
            "html": self.html,
            "entities": self.entities,
            "reply_markup": self.reply_markup,
            "at": self.at.isoformat(),
        }


@dataclass(slots=True)
class MessageRecord:
    chat_id: int
    message_id: int
    date: datetime
    sender_id: int | None  # user or bot id; None for channel posts (sender_chat is the channel)
    from_bot: bool
    text: str | None = None
    entities: list[dict[str, Any]] = field(default_factory=list)
    html: str | None = None  # the text exactly as the bot sent it, when parse_mode was HTML
    parse_mode: str | None = None
    reply_markup: dict[str, Any] | None = None
    message_thread_id: int | None = None
    reply_to_message_id: int | None = None
    options: dict[str, Any] = field(default_factory=dict)  # link_preview_options, protect_content, ...
    service: dict[str, Any] = field(default_factory=dict)  # new_chat_members, migrate_to_chat_id, ...
    forward_origin: dict[str, Any] | None = None  # a forwarded copy: Bot API MessageOrigin
    edit_date: datetime | None = None
    deleted: bool = False
    history: list[MessageVersion] = field(default_factory=list)

    def version(self) -> MessageVersion:
        return MessageVersion(
            self.text, self.html, list(self.entities), self.reply_markup, self.edit_date or self.date
        )


@dataclass(slots=True)
class ChatRecord:
    id: int
    kind: ChatKind
    title: str | None = None
    username: str | None = None
    is_forum: bool = False
    members: dict[int, Membership] = field(default_factory=dict)
    messages: dict[int, MessageRecord] = field(default_factory=dict)
    next_message_id: int = 1
    topics: dict[int, str] = field(default_factory=dict)  # message_thread_id -> name (forums)
    migrated_to: int | None = None
    migrated_from: int | None = None

    def member(self, user_id: int) -> Membership:
        return self.members.get(user_id) or Membership(MemberStatus.LEFT)

    def take_message_id(self) -> int:
        message_id = self.next_message_id
        self.next_message_id += 1
        return message_id


@dataclass(slots=True)
class CallbackRecord:
    id: str
    user_id: int
    chat_id: int
    message_id: int
    data: str
    created_at: datetime
    answered: bool = False
    answered_at: datetime | None = None
    text: str | None = None
    show_alert: bool = False
    url: str | None = None
    cache_time: int | None = None

    def snapshot(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "user_id": self.user_id,
            "chat_id": self.chat_id,
            "message_id": self.message_id,
            "data": self.data,
            "created_at": self.created_at.isoformat(),
            "answered": self.answered,
            "answered_at": self.answered_at.isoformat() if self.answered_at else None,
            "text": self.text,
            "show_alert": self.show_alert,
            "url": self.url,
            "cache_time": self.cache_time,
        }


@dataclass(slots=True)
class UpdateRecord:
    update_id: int
    kind: str  # "message", "callback_query", "my_chat_member", ...
    payload: dict[str, Any]
    created_at: datetime

    def to_api(self) -> dict[str, Any]:
        return {"update_id": self.update_id, self.kind: self.payload}


@dataclass(slots=True)
class CallRecord:
    """One Bot API request as the emulator saw it, with its outcome."""

    seq: int
    at: datetime
    method: str  # canonical spelling (sendMessage), or the raw name for unknown methods
    params: dict[str, Any]  # as received; JSON-carrying fields (reply_markup, ...) decoded
    status: int
    description: str | None = None

    def snapshot(self) -> dict[str, Any]:
        return {
            "seq": self.seq,
            "at": self.at.isoformat(),
            "method": self.method,
            "params": self.params,
            "status": self.status,
            "ok": self.status == 200,
            "description": self.description,
        }


@dataclass(slots=True)
class WebhookConfig:
    url: str
    secret_token: str | None = None
    max_connections: int = 40
    allowed_updates: list[str] | None = None
    last_error_date: datetime | None = None
    last_error_message: str | None = None


@dataclass(slots=True)
class WebhookAttempt:
    update_id: int
    at: datetime
    status: int | None  # HTTP status, or None when the connection failed
    error: str | None

    def snapshot(self) -> dict[str, Any]:
        return {
            "update_id": self.update_id,
            "at": self.at.isoformat(),
            "status": self.status,
            "error": self.error,
        }


def member_to_api(user: dict[str, Any], member: Membership, kind: ChatKind) -> dict[str, Any]:
    """A ``ChatMember`` object of the variant ``member.status`` selects, with every required field."""
    status = member.status
    if status is MemberStatus.CREATOR:
        return {"status": "creator", "user": user, "is_anonymous": False}
    if status is MemberStatus.ADMINISTRATOR:
        data: dict[str, Any] = {
            "status": "administrator",
            "user": user,
            "can_be_edited": False,
            "is_anonymous": False,
        }
        for right in ADMIN_RIGHTS:
            if right in _CHANNEL_ONLY and kind is not ChatKind.CHANNEL:
                continue
            if right in _GROUP_ONLY and kind is ChatKind.CHANNEL:
                continue
            data[right] = member.rights.get(right, False)
        return data
    if status is MemberStatus.KICKED:
        return {"status": "kicked", "user": user, "until_date": member.until_date}
    return {"status": status.value, "user": user}
