"""Pure builders for what editors see: the draft's control keyboard and the /history and /stats texts.

Everything is Telegram HTML built with aiogram's formatting nodes (user text is escaped by them);
button payloads are :class:`~bot.callbacks.EditorAlertCb` ids only. No I/O here.
"""

from __future__ import annotations

from collections.abc import Sequence
from zoneinfo import ZoneInfo

from aiogram.types import InlineKeyboardMarkup
from aiogram.utils.formatting import Bold, Italic, Text, as_line
from aiogram.utils.keyboard import InlineKeyboardBuilder

from bot.callbacks import DraftAction, EditorAlertCb
from bot.delivery.render import shorten
from bot.domain import Urgency
from bot.i18n import t
from bot.services.editor_alerts import EDITOR_LEVELS, HistoryItem, NewsroomStats
from bot.services.editors import EditorInfo
from bot.services.subscriptions import TopicInfo


def _lines(parts: Sequence[Text | str]) -> str:
    joined: list[Text | str] = []
    for index, part in enumerate(parts):
        if index:
            joined.append("\n")
        joined.append(part)
    return as_line(*joined, end="").as_html()


def draft_keyboard(
    topics: Sequence[TopicInfo], selected: Sequence[int], level: Urgency, lang: str
) -> InlineKeyboardMarkup:
    """Topic toggles (two per row), the two levels, then Send / Cancel."""
    builder = InlineKeyboardBuilder()
    chosen = set(selected)
    for topic in topics:
        mark = "✅" if topic.id in chosen else "⬜"
        builder.button(
            text=f"{mark} {topic.name(lang)}",
            callback_data=EditorAlertCb(action=DraftAction.TOPIC, value=topic.id),
        )
    for option in EDITOR_LEVELS:
        mark = "🔘" if option is level else "⚪"
        builder.button(
            text=f"{mark} {t(f'editor.level.{option.value}', lang)}",
            callback_data=EditorAlertCb(action=DraftAction.LEVEL, value=option.rank),
        )
    builder.button(text=t("editor.button.send", lang), callback_data=EditorAlertCb(action=DraftAction.SEND))
    builder.button(
        text=t("editor.button.cancel", lang), callback_data=EditorAlertCb(action=DraftAction.CANCEL)
    )
    rows = [2] * (len(topics) // 2) + ([1] if len(topics) % 2 else []) + [2, 2]
    builder.adjust(*rows)
    return builder.as_markup()


def draft_controls_text(
    topics: Sequence[TopicInfo], selected: Sequence[int], level: Urgency, audience: int, lang: str
) -> str:
    chosen = [topic.name(lang) for topic in topics if topic.id in set(selected)]
    names = ("، " if lang == "ar" else ", ").join(chosen) if chosen else t("editor.compose.no_topics", lang)
    return _lines(
        [
            Bold(t("editor.compose.above", lang)),
            Text(t("editor.compose.topics", lang, topics=names)),
            Text(t("editor.compose.level", lang, level=t(f"editor.level.{level.value}", lang))),
            Text(t("editor.compose.audience", lang, count=audience)),
            Italic(t("editor.compose.hint", lang)),
        ]
    )


def history_text(items: Sequence[HistoryItem], lang: str, tz: ZoneInfo) -> str:
    if not items:
        return _lines([Text(t("editor.history.empty", lang))])
    parts: list[Text | str] = [Bold(t("editor.history.title", lang))]
    for item in items:
        when = item.created_at.astimezone(tz).strftime("%H:%M %d/%m")
        if item.sent_by:
            by = t("editor.history.by_editor", lang, name=item.sent_by)
        elif item.kind == "editor":
            by = t("editor.history.by_cms", lang)
        elif item.source_name:
            by = t("editor.history.by_source", lang, source=item.source_name)
        else:
            by = t(f"editor.history.kind.{item.kind}", lang)
        state = t(f"editor.history.state.{item.state}", lang) if item.state != "active" else ""
        parts.append(
            Text(
                Bold(f"#{item.alert_id}"),
                f" · {when} · {t(f'badge.{item.urgency.value}', lang)} | ",
                shorten(item.headline, 80),
            )
        )
        parts.append(
            Text(
                "   ",
                t(
                    "editor.history.counts",
                    lang,
                    sent=item.sent,
                    failed=item.failed,
                    pending=item.pending,
                    total=item.total,
                ),
                " — ",
                Italic(by + state),
            )
        )
    return _lines(parts)


def stats_text(stats: NewsroomStats, lang: str) -> str:
    rate = "—" if stats.success_rate is None else f"{stats.success_rate * 100:.1f}%"
    latency = "—" if stats.median_first_push_seconds is None else f"{stats.median_first_push_seconds:.1f}s"
    parts: list[Text | str] = [
        Bold(t("editor.stats.title", lang)),
        Text(t("editor.stats.subscribers", lang, count=stats.active_subscribers)),
    ]
    for entry in stats.topics:
        parts.append(
            Text(
                t(
                    "editor.stats.topic",
                    lang,
                    topic=entry.topic.name(lang),
                    subscribers=entry.subscribers,
                    channels=entry.channels,
                )
            )
        )
    kinds = stats.alerts_by_kind
    parts.extend(
        [
            Text(
                t(
                    "editor.stats.alerts",
                    lang,
                    total=stats.alerts,
                    story=kinds.get("story", 0),
                    editor=kinds.get("editor", 0),
                    digest=kinds.get("digest", 0),
                )
            ),
            Text(
                t(
                    "editor.stats.deliveries",
                    lang,
                    sent=stats.sent,
                    failed=stats.failed,
                    pending=stats.pending,
                    cancelled=stats.cancelled,
                )
            ),
            Text(t("editor.stats.rates", lang, success=rate, per_minute=f"{stats.per_minute:.2f}")),
            Text(t("editor.stats.latency", lang, latency=latency)),
            Text(
                t("editor.stats.sources", lang, total=stats.sources_total, unhealthy=stats.sources_unhealthy)
            ),
        ]
    )
    return _lines(parts)


def editors_text(editors: Sequence[EditorInfo], lang: str) -> str:
    parts: list[Text | str] = [Bold(t("editor.list.title", lang, count=len(editors)))]
    for editor in editors:
        role = t("editor.list.admin", lang) if editor.is_admin else ""
        parts.append(Text("• ", editor.label, f" — {editor.telegram_id}", role))
    return _lines(parts)
