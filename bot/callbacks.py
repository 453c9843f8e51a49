"""Callback-data factories shared by rendering (which builds buttons) and handlers (which read them).

Telegram limits ``callback_data`` to 64 bytes, so payloads carry ids only, never text. Every factory
has a short prefix; a payload that no longer parses (stale or forged) is answered politely by the
handlers, never with a traceback.
"""

from __future__ import annotations

from aiogram.filters.callback_data import CallbackData


class ArticleCb(CallbackData, prefix="art"):
    """Show the full text of article ``article_id``, page ``page`` (0-based)."""

    article_id: int
    page: int = 0


class TopicCb(CallbackData, prefix="tp"):
    """Toggle the subscription of the current chat to topic ``topic_id``."""

    topic_id: int
