"""Bot API error responses, with the exact texts of the real server.

:class:`ApiError` is how every Bot API method of the emulator says "no": it carries the ``error_code``
(which is also the HTTP status), the ``description`` and the optional ``parameters`` object, and turns
itself into the envelope ``{"ok": false, "error_code": N, "description": "...", "parameters": {...}}``.
The texts come from ``shared/notes/telegram-bot-api.md`` (and, where the notes are silent, from the
source of the official Bot API server / TDLib); they are kept here, in one place, so tests and the
emulator cannot drift apart.

:class:`EmulatorError` is for misuse of the *control* API (a user or chat that does not exist, a button
that is not on the message): those are test-setup mistakes, not Bot API answers.
"""

from __future__ import annotations

from typing import Any

from bot.exceptions import AajelError

# --- exact descriptions -----------------------------------------------------------------------------
UNAUTHORIZED = "Unauthorized"
INVALID_TOKEN = "Unauthorized: invalid token specified"
METHOD_NOT_FOUND = "Not Found: method not found"
CHAT_NOT_FOUND = "Bad Request: chat not found"
USER_NOT_FOUND = "Bad Request: user not found"
CHAT_ID_EMPTY = "Bad Request: chat_id is empty"
BLOCKED = "Forbidden: bot was blocked by the user"
DEACTIVATED = "Forbidden: user is deactivated"
CANT_INITIATE = "Forbidden: bot can't initiate conversation with a user"
GROUP_UPGRADED = "Bad Request: group chat was upgraded to a supergroup chat"
NEED_CHANNEL_ADMIN = "Bad Request: need administrator rights in the channel chat"
MESSAGE_TOO_LONG = "Bad Request: message is too long"
MESSAGE_TEXT_EMPTY = "Bad Request: message text is empty"
CANT_PARSE_ENTITIES = "Bad Request: can't parse entities: "
BUTTON_DATA_INVALID = "Bad Request: BUTTON_DATA_INVALID"
BUTTON_URL_INVALID = "Bad Request: BUTTON_URL_INVALID"
NOT_MODIFIED = (
    "Bad Request: message is not modified: specified new message content and reply markup are exactly "
    "the same as a current content and reply markup of the message"
)
MESSAGE_TO_EDIT_NOT_FOUND = "Bad Request: message to edit not found"
MESSAGE_CANT_BE_EDITED = "Bad Request: message can't be edited"
NO_TEXT_TO_EDIT = "Bad Request: there is no text in the message to edit"
MESSAGE_ID_NOT_SPECIFIED = "Bad Request: message identifier is not specified"
MESSAGE_TO_DELETE_NOT_FOUND = "Bad Request: message to delete not found"
CANT_DELETE_FOR_EVERYONE = "Bad Request: message can't be deleted for everyone"
CANT_DELETE = "Bad Request: message can't be deleted"
REPLY_NOT_FOUND = "Bad Request: message to be replied not found"
THREAD_NOT_FOUND = "Bad Request: message thread not found"
QUERY_TOO_OLD = "Bad Request: query is too old and response timeout expired or query ID is invalid"
UNSUPPORTED_PARSE_MODE = "Bad Request: unsupported parse_mode"
CONFLICT_POLLER = (
    "Conflict: terminated by other getUpdates request; make sure that only one bot instance is running"
)
CONFLICT_WEBHOOK = (
    "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete the "
    "webhook first"
)
SECRET_TOKEN_CHARS = "Bad Request: secret token contains unallowed characters"
SECRET_TOKEN_LONG = "Bad Request: secret token is too long"
BAD_WEBHOOK_URL = "Bad Request: bad webhook: An HTTPS URL must be provided for webhook"
BOT_COMMAND_INVALID = "Bad Request: BOT_COMMAND_INVALID"
BOT_COMMAND_DESCRIPTION_INVALID = "Bad Request: BOT_COMMAND_DESCRIPTION_INVALID"
NO_ADMINS_IN_PRIVATE = "Bad Request: there are no administrators in the private chat"
CANT_LEAVE_PRIVATE = "Bad Request: chat member status can't be changed in private chats"

_KIND_WORD = {"group": "group", "supergroup": "supergroup", "channel": "channel"}


def kicked_from(kind: str) -> str:
    """``Forbidden: bot was kicked from the {group,supergroup,channel} chat``."""
    return f"Forbidden: bot was kicked from the {_KIND_WORD[kind]} chat"


def not_member_of(kind: str) -> str:
    """``Forbidden: bot is not a member of the {group,supergroup,channel} chat``."""
    return f"Forbidden: bot is not a member of the {_KIND_WORD[kind]} chat"


class ApiError(AajelError):
    """A Bot API failure response; ``code`` is both ``error_code`` and the HTTP status."""

    def __init__(
        self,
        code: int,
        description: str,
        *,
        parameters: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(f"{code} {description}")
        self.code = code
        self.description = description
        self.parameters = dict(parameters) if parameters else None

    @property
    def retry_after(self) -> int | None:
        """Seconds from ``parameters.retry_after`` (429 only); also sent as the ``Retry-After`` header."""
        if self.parameters is None:
            return None
        value = self.parameters.get("retry_after")
        return int(value) if isinstance(value, int) else None

    def envelope(self) -> dict[str, Any]:
        body: dict[str, Any] = {"ok": False, "error_code": self.code, "description": self.description}
        if self.parameters:
            body["parameters"] = dict(self.parameters)
        return body

    def headers(self) -> dict[str, str]:
        retry_after = self.retry_after
        return {"Retry-After": str(retry_after)} if retry_after is not None else {}

    # --- the common shapes ------------------------------------------------------------------------
    @classmethod
    def bad_request(cls, description: str) -> ApiError:
        """400 with ``description`` used verbatim (it already starts with ``Bad Request:``)."""
        return cls(400, description)

    @classmethod
    def forbidden(cls, description: str) -> ApiError:
        return cls(403, description)

    @classmethod
    def too_many_requests(cls, retry_after: int) -> ApiError:
        """The flood-wait answer: body, ``parameters.retry_after`` and (in the server) the header."""
        return cls(
            429, f"Too Many Requests: retry after {retry_after}", parameters={"retry_after": retry_after}
        )

    @classmethod
    def migrated(cls, new_chat_id: int) -> ApiError:
        return cls(400, GROUP_UPGRADED, parameters={"migrate_to_chat_id": new_chat_id})


class EmulatorError(AajelError):
    """The control API was misused (unknown user/chat, missing field); ``status`` is the HTTP status."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
