"""What the sender asks the Bot API for: alert views, and request bodies serialised once per alert.

A broadcast sends the same message to thousands of chats, so a request body is rendered and
serialised once per (alert, language, plain text or HTML, channel style) into a *template* — JSON
without its opening brace — and the transport splices each chat's own ids in front of it
(:meth:`~bot.delivery.transport.BotApi.call_with`). :class:`RequestTemplates` holds those templates;
:func:`load_alerts` reads what the claimed jobs render (a correction committed a second ago is picked
up by the next claim). Nothing here sends.
"""

from __future__ import annotations

import dataclasses
import gc
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from aiogram.client.default import Default
from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import as_utc
from bot.config import Settings
from bot.db.models import Alert
from bot.delivery.channel_render import ChannelStyle, render_channel_post
from bot.delivery.digest_render import render_digest
from bot.delivery.render import AlertView, render_alert, render_retraction
from bot.delivery.transport import BotApi
from bot.domain import AlertState, Urgency

REPLY_PREFIX = '"reply_parameters":{{"message_id":{},"allow_sending_without_reply":true}},'
"""Spliced before a shared template: the reply target (an update's earlier push) is per chat."""
MAX_TEMPLATES = 512


@dataclass(slots=True)
class AlertInfo:
    """What the sender needs of one alert to send or edit its copies."""

    view: AlertView | None  # None: retracted or deleted — unsent copies are cancelled
    state: AlertState
    detected_at: datetime
    original: AlertView | None = None  # as first sent (a retraction notice quotes it)


async def load_alerts(session: AsyncSession, alert_ids: Iterable[int], now: datetime) -> dict[int, AlertInfo]:
    """Read the alerts the claimed jobs render; a missing alert reads as retracted."""
    wanted = set(alert_ids)
    if not wanted:
        return {}
    infos: dict[int, AlertInfo] = {}
    for alert in await session.scalars(select(Alert).where(Alert.id.in_(wanted))):
        when = alert.published_at or alert.detected_at
        original = AlertView(
            alert_id=alert.id,
            headline=alert.headline,
            urgency=Urgency(alert.urgency),
            topic_names=tuple((t.name_ar, t.name_en) for t in alert.topics),
            source_name=alert.source_name,
            when=as_utc(when) if when else None,
            url=alert.url,
            article_id=alert.article_id,
            body=alert.body,
            kind=alert.kind,
        )
        state = AlertState(alert.state)
        view: AlertView | None = original
        if state is AlertState.RETRACTED:
            view = None
        elif state is AlertState.CORRECTED and alert.correction_text:
            view = dataclasses.replace(original, headline=alert.correction_text, corrected=True)
        infos[alert.id] = AlertInfo(view, state, as_utc(alert.detected_at), original)
    for missing in wanted - infos.keys():
        infos[missing] = AlertInfo(None, AlertState.RETRACTED, now)
    return infos


def api_json(model: BaseModel) -> Any:
    """An aiogram object as Bot API JSON: no ``None``s and no unresolved ``Default(...)`` sentinels."""

    def clean(value: Any) -> Any:
        if isinstance(value, dict):
            return {k: clean(v) for k, v in value.items() if v is not None and not isinstance(v, Default)}
        if isinstance(value, list):
            return [clean(v) for v in value]
        return value

    return clean(model.model_dump(exclude_none=True))


def message_params(
    settings: Settings,
    view: AlertView,
    lang: str,
    *,
    plain: bool,
    for_edit: bool,
    style: ChannelStyle | None = None,
) -> dict[str, Any]:
    """``sendMessage`` / ``editMessageText`` parameters shared by every recipient of ``view``."""
    if style is not None and view.kind != "digest":
        message = render_channel_post(view, lang=lang, tz=settings.tz, style=style)
    elif view.kind == "digest":
        message = render_digest(view, lang=lang, tz=settings.tz)
    else:
        message = render_alert(view, lang=lang, tz=settings.tz)
    params: dict[str, Any] = {"text": message.plain if plain else message.text}
    if not plain:
        params["parse_mode"] = "HTML"
    if message.reply_markup is not None:
        params["reply_markup"] = api_json(message.reply_markup)
    params["link_preview_options"] = api_json(message.link_preview)
    if not for_edit:
        if message.disable_notification:
            params["disable_notification"] = True
        if settings.delivery.paid_broadcast:
            params["allow_paid_broadcast"] = True
    return params


def retraction_params(view: AlertView, lang: str, *, plain: bool) -> dict[str, Any]:
    """``editMessageText`` parameters turning a copy of ``view`` into a retraction notice."""
    message = render_retraction(view, lang=lang)
    params: dict[str, Any] = {"text": message.plain if plain else message.text}
    if not plain:
        params["parse_mode"] = "HTML"
    params["link_preview_options"] = api_json(message.link_preview)
    return params


class RequestTemplates:
    """Serialised request bodies, one per alert view, language, markup and channel style."""

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._cache: dict[tuple[Any, ...], str] = {}

    def clear(self) -> None:
        self._cache.clear()

    def _get(self, key: tuple[Any, ...], build: Callable[[], dict[str, Any]]) -> str:
        template = self._cache.get(key)
        if template is None:
            if len(self._cache) > MAX_TEMPLATES:
                self._cache.clear()
            template = self._cache[key] = BotApi.template(build())
        return template

    def send(
        self,
        view: AlertView,
        lang: str,
        *,
        plain: bool,
        style: ChannelStyle | None,
        reply_to: int | None = None,
    ) -> str:
        """A ``sendMessage`` body; an update replies to the chat's earlier push (``reply_to``)."""
        template = self._get(
            ("send", view, lang, plain, style),
            lambda: message_params(self._settings, view, lang, plain=plain, for_edit=False, style=style),
        )
        if reply_to is not None:  # gone meanwhile: Telegram sends it anyway (allow_sending_without_reply)
            template = REPLY_PREFIX.format(int(reply_to)) + template
        return template

    def correction(self, view: AlertView, lang: str, *, plain: bool, style: ChannelStyle | None) -> str:
        """An ``editMessageText`` body showing the corrected alert."""
        return self._get(
            ("edit", "corrected", view, lang, style, plain),
            lambda: message_params(self._settings, view, lang, plain=plain, for_edit=True, style=style),
        )

    def retraction(self, original: AlertView, lang: str, *, plain: bool) -> str:
        """An ``editMessageText`` body turning a copy into a retraction notice."""
        return self._get(
            ("edit", "retracted", original, lang, plain),
            lambda: retraction_params(original, lang, plain=plain),
        )


_warmed = False


def warm_up(settings: Settings) -> None:
    """Once per process, before the first send.

    * Render and serialise one message: aiogram's pydantic types finish building on first use (about
      a second of CPU), which must not delay the first push of the first alert.
    * ``gc.collect(); gc.freeze()``: aiogram and SQLAlchemy leave ~200,000 long-lived objects, and every
      full collection walks them all — a ~150 ms stall of the event loop, during which the pacer falls
      behind and then sends in a burst. Frozen objects are never walked again (process-wide; objects
      created later are collected as usual).
    """
    global _warmed
    if not _warmed:
        view = AlertView(alert_id=0, headline="-", urgency=Urgency.URGENT, url="https://t.me", article_id=1)
        message = render_alert(view, lang="ar", tz=settings.tz)
        api_json(message.link_preview)
        if message.reply_markup is not None:
            api_json(message.reply_markup)
        gc.collect()
        gc.freeze()
        _warmed = True


__all__ = [
    "REPLY_PREFIX",
    "AlertInfo",
    "RequestTemplates",
    "api_json",
    "load_alerts",
    "message_params",
    "retraction_params",
    "warm_up",
]
