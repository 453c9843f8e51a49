"""Callback-data factories shared by rendering (which builds buttons) and handlers (which read them).

Telegram limits ``callback_data`` to 64 bytes, so payloads carry ids only, never text. Every factory
has a short prefix; actions are words from an enum (``ch:topic:3:7``, ``st:quiet:1``), so a payload
reads in logs and tests for what it does. A payload that no longer parses (stale or forged, an
unknown action included) is answered politely by the fallback handler, never with a traceback.
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


class SettingsAction(StrEnum):
    """What a /settings button does; ``arg`` is named where it matters."""

    MENU = "menu"  # back to the settings panel
    LANGUAGE = "language"  # switch between Arabic and English
    LEVEL = "level"  # toggle urgent only / all news of the subscription to topic ``arg`` (its id)
    TIMEZONE_MENU = "timezone_menu"  # show the time-zone presets
    TIMEZONE = "timezone"  # choose time-zone preset ``arg`` (an index)
    QUIET_MENU = "quiet_menu"  # show the quiet-hours presets
    QUIET = "quiet"  # choose quiet-hours preset ``arg`` (an index; -1 switches them off)


class SettingsCb(CallbackData, prefix="st"):
    """A /settings button, readable as ``st:<action>:<arg>`` (``st:timezone:1``).

    The argument is an id or an index into a fixed list (topic id, time-zone preset, quiet-hours
    preset), never free text; the handler checks indexes against the lists.
    """

    action: SettingsAction
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


class ChannelAction(StrEnum):
    """What an editor's /channels button does."""

    LIST = "list"  # back to the list of channels
    OPEN = "open"  # one channel's panel
    TOPIC = "topic"  # toggle topic ``value`` (its id) for the channel
    LEVEL = "level"  # set the level: ``value`` indexes ``bot.keyboards.CHANNEL_LEVEL_CODES``
    PAUSE = "pause"  # pause (``value`` 1) or resume (0) the channel


class ChannelCb(CallbackData, prefix="ch"):
    """An editor's /channels button, readable as ``ch:<action>:<channel_id>:<value>`` (``ch:topic:4:2``)."""

    action: ChannelAction
    channel_id: int = 0
    value: int = 0
