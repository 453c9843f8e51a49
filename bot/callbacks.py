"""Callback-data factories shared by rendering (which builds buttons) and handlers (which read them).

Telegram limits ``callback_data`` to 64 bytes, so payloads carry ids only, never text. Every factory
has a short prefix; a payload that no longer parses (stale or forged) is answered politely by the
handlers, never with a traceback.
"""

from __future__ import annotations

from enum import StrEnum

from aiogram.filters.callback_data import CallbackData


class ArticleCb(CallbackData, prefix="art"):
    """Show the full text of article ``article_id``, page ``page`` (0-based)."""

    article_id: int
    page: int = 0


class TopicCb(CallbackData, prefix="tp"):
    """Toggle the subscription of the current chat to topic ``topic_id``."""

    topic_id: int


class PageCb(CallbackData, prefix="pg"):
    """Page ``page`` (0-based) of article ``article_id``, shown by editing the message it is pressed on."""

    article_id: int
    page: int


class SettingsCb(CallbackData, prefix="st"):
    """A /settings button: ``action`` (a short code checked by the handler) and an integer argument.

    The argument is an id or an index into a fixed list (topic id, time-zone preset, quiet-hours
    preset, language index), never free text.
    """

    action: str
    arg: int = 0


class DigestCb(CallbackData, prefix="dg"):
    """The full text of item ``item`` (0-based) of digest alert ``alert_id``."""

    alert_id: int
    item: int


class DraftAction(StrEnum):
    """What a button of an editor's /alert draft does."""

    TOPIC = "topic"  # toggle topic ``value`` (its id)
    LEVEL = "level"  # choose the level whose urgency rank is ``value`` (2 flash / 1 urgent)
    SEND = "send"
    CANCEL = "cancel"


class EditorAlertCb(CallbackData, prefix="ea"):
    """A button of an editor's /alert draft, readable as ``ea:<action>:<value>`` (``ea:topic:3``)."""

    action: DraftAction
    value: int = 0


class ChannelCb(CallbackData, prefix="ch"):
    """An editor's /channels button, readable as ``ch:<action>:<channel_id>:<value>``.

    ``action``: ``list`` (back to the list), ``open`` (one channel's panel), ``t`` (toggle topic id
    ``value``), ``l`` (level: ``value`` 0 urgent / 1 all), ``p`` (pause ``value`` 1 / resume 0).
    """

    action: str
    channel_id: int = 0
    value: int = 0
