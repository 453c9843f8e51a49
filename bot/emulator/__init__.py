"""A faithful, in-process Telegram Bot API emulator for Aajel's tests, demo and benchmarks.

The real aiogram bot talks to it over real HTTP (``AiohttpSession(api=TelegramAPIServer.from_base(url))``)
and cannot tell it from Telegram for the methods it implements: same URLs, envelopes, status codes and
error texts (``shared/notes/telegram-bot-api.md``), Telegram's HTML parse mode, long polling and
webhooks. A control API (``/_emulator/...``, wrapped by :class:`EmulatorClient`) lets tests act as users
and read everything the bot sent.

Invariants: every Bot API response is the Bot API envelope with HTTP status == ``error_code`` and
``Content-Type: application/json``; state lives in one :class:`Emulator` object per server; nothing here
talks to anything but 127.0.0.1 (and the webhook URL the bot itself sets).

Layout: :mod:`.state` (the world), :mod:`.botapi` (methods), :mod:`.tghtml` (HTML parse mode),
:mod:`.interceptor` (rate-limit / fault seam), :mod:`.webhook` (delivery), :mod:`.control` and
:mod:`.server` (HTTP), :mod:`.client` (control-API client).
"""

from bot.emulator.client import (
    CallbackView,
    CallView,
    ChatView,
    EmulatorClient,
    EmulatorClientError,
    MessageView,
    SentByUser,
    UserView,
)
from bot.emulator.errors import ApiError, EmulatorError
from bot.emulator.interceptor import FaultInjector, InterceptedCall, Interceptor
from bot.emulator.model import MemberStatus
from bot.emulator.server import EmulatorServer, make_app, serve
from bot.emulator.state import Emulator, new_token

__all__ = [
    "ApiError",
    "CallView",
    "CallbackView",
    "ChatView",
    "Emulator",
    "EmulatorClient",
    "EmulatorClientError",
    "EmulatorError",
    "EmulatorServer",
    "FaultInjector",
    "InterceptedCall",
    "Interceptor",
    "MemberStatus",
    "MessageView",
    "SentByUser",
    "UserView",
    "make_app",
    "new_token",
    "serve",
]
