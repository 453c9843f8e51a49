"""Editors' alerts: compose → preview → send, and the newsroom's read models (/history, /stats).

Design and invariants
---------------------
* **One way in.** Whether from Telegram (/alert) or the CMS API, an editor's alert goes through
  :func:`send_alert`, which calls THE seam (:func:`bot.services.alerts.create_alert` then
  :func:`~bot.services.alerts.plan_deliveries`) and marks the alert ``kind='editor'``. It never sends
  anything itself: the caller wakes the sender after its transaction commits.
* **The preview is the push.** :func:`preview_view` builds the very :class:`~bot.delivery.render.AlertView`
  the sender builds from the stored alert (same headline/body/url, topic names in ``topics.id`` order,
  no source line, no article button), and callers render it with
  :func:`~bot.delivery.render.render_alert` — so the editor sees byte-for-byte what subscribers get.
* **Idempotent sending.** Every send carries an idempotency key (``tg:<chat>:<control message>`` for
  Telegram — a double tap on "Send" finds the same alert; ``cms:<Idempotency-Key>`` for the API).
  :func:`send_alert` reports ``created=False`` for a replay and never plans twice.
* **Drafts are validated before anything is stored**: :func:`parse_draft` returns a
  :class:`DraftProblem` (an i18n key and its arguments) instead of raising, so bad input gets a
  precise answer and the editor's text is never lost (they are asked again, in the same state).
* Read models (:func:`history`, :func:`newsroom_stats`) aggregate in SQL with bounded result sizes.
* Nothing here commits.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from statistics import median
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import Integer, case, func, literal, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import Clock, as_utc
from bot.db.models import (
    Alert,
    Channel,
    Editor,
    EditorMessage,
    Source,
    Subscriber,
    Subscription,
    channel_topics,
)
from bot.delivery import outbox_counts
from bot.delivery.render import AlertView
from bot.domain import MAX_BODY, MAX_HEADLINE, MAX_URL, AlertRequest, DeliveryStatus, Urgency
from bot.exceptions import NotFound, ValidationError
from bot.news.text import clean_multiline
from bot.services.alerts import audience as audience  # the preview's count is planning's own
from bot.services.alerts import create_alert, plan_deliveries
from bot.services.corrections import correct_alert, retract_alert
from bot.services.editors import audit
from bot.services.subscriptions import TopicInfo, list_topics

EDITOR_LEVELS: tuple[Urgency, ...] = (Urgency.FLASH, Urgency.URGENT)
"""Editors push breaking news only: flash or urgent."""

_URL = re.compile(r"^https?://\S+$", re.IGNORECASE)


# --- drafts ------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Draft:
    """What the editor wrote: the first line is the headline, the rest the body, a last-line URL the link."""

    headline: str
    body: str | None = None
    url: str | None = None


@dataclass(frozen=True, slots=True)
class DraftProblem:
    """Why a draft was refused: an i18n key (``editor.draft.*``) and its format arguments."""

    key: str
    args: dict[str, object] = field(default_factory=dict)


def valid_url(url: str) -> bool:
    parts = urlsplit(url)
    return parts.scheme in ("http", "https") and bool(parts.hostname) and len(url) <= MAX_URL


def parse_draft(text: str | None) -> Draft | DraftProblem:
    """Split an editor's message into headline / body / link, or say precisely what is wrong."""
    # the same cleaning as feed headlines and the CMS API: controls, NUL and bidi overrides never pass
    lines = [line.strip() for line in clean_multiline(text).splitlines()]
    lines = [line for line in lines if line]
    if not lines:
        return DraftProblem("editor.draft.empty")
    url: str | None = None
    if len(lines) > 1 and _URL.match(lines[-1]):
        url = lines.pop()
        if not valid_url(url):
            return DraftProblem("editor.draft.bad_url", {"url": url[:100]})
    elif len(lines) == 1 and _URL.match(lines[0]):
        return DraftProblem("editor.draft.only_url")
    headline, body_lines = lines[0], lines[1:]
    if len(headline) > MAX_HEADLINE:
        return DraftProblem(
            "editor.draft.headline_too_long", {"limit": MAX_HEADLINE, "length": len(headline)}
        )
    body = "\n".join(body_lines) or None
    if body is not None and len(body) > MAX_BODY:
        return DraftProblem("editor.draft.body_too_long", {"limit": MAX_BODY, "length": len(body)})
    return Draft(headline=headline, body=body, url=url)


# --- topics, preview, audience ------------------------------------------------------------------------


async def all_topics(session: AsyncSession) -> list[TopicInfo]:
    """Every topic an editor can file an alert under, in id order (the order pushes list them)."""
    return await list_topics(session)


async def topics_by_id(session: AsyncSession, ids: Iterable[int]) -> list[TopicInfo]:
    wanted = set(ids)
    return [topic for topic in await all_topics(session) if topic.id in wanted]


def preview_view(draft: Draft, urgency: Urgency, topics: Sequence[TopicInfo], alert_id: int = 0) -> AlertView:
    """The :class:`AlertView` the sender will build for this alert once stored (see module doc)."""
    ordered = sorted(topics, key=lambda topic: topic.id)
    return AlertView(
        alert_id=alert_id,
        headline=draft.headline,
        urgency=urgency,
        topic_names=tuple((topic.name_ar, topic.name_en) for topic in ordered),
        source_name=None,
        when=None,
        url=draft.url,
        article_id=None,
        body=draft.body,
    )


# --- sending ------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SentAlert:
    alert_id: int
    created: bool  # False: the idempotency key matched an alert sent earlier (nothing new planned)
    recipients: int  # deliveries of this alert in the outbox


async def send_alert(
    session: AsyncSession,
    draft: Draft,
    *,
    urgency: Urgency,
    topic_slugs: Sequence[str],
    clock: Clock,
    idempotency_key: str | None,
    editor_id: int | None = None,
    status_chat_id: int | None = None,
    status_message_id: int | None = None,
    preview_message_id: int | None = None,
) -> SentAlert:
    """Store an editor's alert and plan its deliveries through the one seam (see module doc).

    The status message (and the preview, in the same chat) are remembered in ``editor_messages`` so a
    later /correct or /retract given as a reply to either finds this alert.
    """
    request = AlertRequest(
        headline=draft.headline,
        urgency=urgency,
        topics=tuple(topic_slugs),
        url=draft.url,
        body=draft.body,
        editor_id=editor_id,
        idempotency_key=idempotency_key,
    )
    try:
        async with session.begin_nested():
            planned = await create_alert(session, request, clock)
    except IntegrityError:
        # A concurrent request with the same key committed first (PostgreSQL lets both check, then
        # the unique index decides): the alert exists now, so this is a replay.
        existing = await alert_id_by_key(session, idempotency_key) if idempotency_key else None
        if existing is None:
            raise
        return SentAlert(existing, False, await recipients(session, existing))
    if not planned.created:
        return SentAlert(planned.alert_id, False, await recipients(session, planned.alert_id))
    alert = await session.get(Alert, planned.alert_id)
    if alert is None:  # pragma: no cover - created in this very transaction
        raise NotFound(f"alert {planned.alert_id}")
    alert.kind = "editor"
    alert.status_chat_id = status_chat_id
    alert.status_message_id = status_message_id
    if status_chat_id is not None:
        shown = (("status", status_message_id), ("preview", preview_message_id))
        for role, message_id in shown:
            if message_id is not None:
                session.add(
                    EditorMessage(
                        alert_id=planned.alert_id, chat_id=status_chat_id, message_id=message_id, role=role
                    )
                )
    added = await plan_deliveries(session, planned.alert_id, clock)
    return SentAlert(planned.alert_id, True, added)


async def recipients(session: AsyncSession, alert_id: int) -> int:
    """How many deliveries the alert has in the outbox (its planned recipients)."""
    return await outbox_counts.count_for_alert(session, alert_id)


@dataclass(frozen=True, slots=True)
class StoredAlert:
    """An alert as the API and the correction commands need it (the body a replay is compared with)."""

    id: int
    kind: str
    state: str
    headline: str
    body: str | None
    url: str | None
    urgency: Urgency
    topic_slugs: tuple[str, ...]
    editor_id: int | None
    created_at: datetime
    status_chat_id: int | None
    status_message_id: int | None


async def get_alert(session: AsyncSession, alert_id: int) -> StoredAlert:
    alert = await session.get(Alert, alert_id)
    if alert is None:
        raise NotFound(f"alert {alert_id}")
    return StoredAlert(
        id=alert.id,
        kind=alert.kind,
        state=str(alert.state),
        headline=alert.headline,
        body=alert.body,
        url=alert.url,
        urgency=Urgency(alert.urgency),
        topic_slugs=tuple(topic.slug for topic in alert.topics),
        editor_id=alert.editor_id,
        created_at=as_utc(alert.created_at),
        status_chat_id=alert.status_chat_id,
        status_message_id=alert.status_message_id,
    )


async def alert_id_by_key(session: AsyncSession, idempotency_key: str) -> int | None:
    value: int | None = await session.scalar(select(Alert.id).where(Alert.idempotency_key == idempotency_key))
    return value


async def find_alert_for_message(session: AsyncSession, chat_id: int, message_id: int) -> int | None:
    """The alert whose preview or status message this is (``editor_messages``, else the alert's own
    status message), or ``None``."""
    found: int | None = await session.scalar(
        select(EditorMessage.alert_id).where(
            EditorMessage.chat_id == chat_id, EditorMessage.message_id == message_id
        )
    )
    if found is not None:
        return found
    found = await session.scalar(
        select(Alert.id)
        .where(Alert.status_chat_id == chat_id, Alert.status_message_id == message_id)
        .order_by(Alert.id.desc())
        .limit(1)
    )
    return found


# --- history ------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class HistoryItem:
    alert_id: int
    created_at: datetime
    kind: str
    state: str
    urgency: Urgency
    headline: str
    sent_by: str | None  # editor's name or Telegram id; None for the CMS API (kind editor) or a source
    source_name: str | None
    total: int
    sent: int
    failed: int
    pending: int
    cancelled: int


async def history(
    session: AsyncSession, *, limit: int = 10, kinds: Sequence[str] | None = None
) -> list[HistoryItem]:
    """The newest alerts with their delivery counts and who sent them."""
    query = (
        select(
            Alert.id,
            Alert.created_at,
            Alert.kind,
            Alert.state,
            Alert.urgency,
            Alert.headline,
            Alert.source_name,
            Editor.name,
            Editor.telegram_id,
        )
        .outerjoin(Editor, Editor.id == Alert.editor_id)
        .order_by(Alert.id.desc())
        .limit(limit)
    )
    if kinds:
        query = query.where(Alert.kind.in_(list(kinds)))
    alerts = (await session.execute(query)).all()
    counts = await outbox_counts.status_counts(session, [row.id for row in alerts])
    items = []
    for row in alerts:
        c = counts.get(row.id, {})
        sent_by = row.name or (str(row.telegram_id) if row.telegram_id is not None else None)
        items.append(
            HistoryItem(
                alert_id=row.id,
                created_at=as_utc(row.created_at),
                kind=row.kind,
                state=str(row.state),
                urgency=Urgency(row.urgency),
                headline=row.headline,
                sent_by=sent_by,
                source_name=row.source_name,
                total=sum(c.values()),
                sent=c.get(DeliveryStatus.SENT.value, 0),
                failed=c.get(DeliveryStatus.FAILED.value, 0),
                pending=c.get(DeliveryStatus.PENDING.value, 0) + c.get(DeliveryStatus.SENDING.value, 0),
                cancelled=c.get(DeliveryStatus.CANCELLED.value, 0),
            )
        )
    return items


# --- stats --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class TopicAudience:
    topic: TopicInfo
    subscribers: int
    channels: int


@dataclass(frozen=True, slots=True)
class NewsroomStats:
    since: datetime
    topics: tuple[TopicAudience, ...]
    active_subscribers: int
    alerts_by_kind: dict[str, int]
    sent: int
    failed: int
    pending: int
    cancelled: int
    median_first_push_seconds: float | None
    sources_total: int
    sources_unhealthy: int

    @property
    def alerts(self) -> int:
        return sum(self.alerts_by_kind.values())

    @property
    def success_rate(self) -> float | None:
        """Share of settled deliveries (sent + failed) that Telegram accepted."""
        settled = self.sent + self.failed
        return None if settled == 0 else self.sent / settled

    @property
    def per_minute(self) -> float:
        """Average messages per minute over the window."""
        return self.sent / (24 * 60)


async def newsroom_stats(session: AsyncSession, clock: Clock, *, hours: int = 24) -> NewsroomStats:
    now = clock.now()
    since = now - timedelta(hours=hours)
    topics = await all_topics(session)
    sub_rows = await session.execute(
        select(Subscription.topic_id, func.count(func.distinct(Subscriber.id)))
        .join(Subscriber, Subscriber.id == Subscription.subscriber_id)
        .where(Subscriber.active.is_(True))
        .group_by(Subscription.topic_id)
    )
    subs = {topic_id: int(count) for topic_id, count in sub_rows}
    chan_rows = await session.execute(
        select(channel_topics.c.topic_id, func.count())
        .join(Channel, Channel.id == channel_topics.c.channel_id)
        .where(Channel.active.is_(True))
        .group_by(channel_topics.c.topic_id)
    )
    chans = {topic_id: int(count) for topic_id, count in chan_rows}
    active = int(
        await session.scalar(select(func.count()).select_from(Subscriber).where(Subscriber.active.is_(True)))
        or 0
    )
    kind_rows = await session.execute(
        select(Alert.kind, func.count()).where(Alert.created_at >= since).group_by(Alert.kind)
    )
    by_kind = {str(kind): int(count) for kind, count in kind_rows}
    status = await outbox_counts.status_counts_since(session, since)
    latencies = [
        max(0.0, (first - detected).total_seconds())
        for detected, first in await outbox_counts.first_pushes_since(session, since)
    ]
    source_row = (
        await session.execute(
            select(
                func.count(),
                func.coalesce(func.sum(case((Source.healthy.is_(False), 1), else_=0)), literal(0, Integer)),
            ).where(Source.enabled.is_(True))
        )
    ).one()
    return NewsroomStats(
        since=since,
        topics=tuple(TopicAudience(t, subs.get(t.id, 0), chans.get(t.id, 0)) for t in topics),
        active_subscribers=active,
        alerts_by_kind=by_kind,
        sent=status.get(DeliveryStatus.SENT.value, 0),
        failed=status.get(DeliveryStatus.FAILED.value, 0),
        pending=status.get(DeliveryStatus.PENDING.value, 0) + status.get(DeliveryStatus.SENDING.value, 0),
        cancelled=status.get(DeliveryStatus.CANCELLED.value, 0),
        median_first_push_seconds=median(latencies) if latencies else None,
        sources_total=int(source_row[0] or 0),
        sources_unhealthy=int(source_row[1] or 0),
    )


__all__ = [
    "EDITOR_LEVELS",
    "MAX_BODY",
    "Draft",
    "DraftProblem",
    "HistoryItem",
    "NewsroomStats",
    "SentAlert",
    "StoredAlert",
    "TopicAudience",
    "alert_id_by_key",
    "all_topics",
    "audience",
    "find_alert_for_message",
    "get_alert",
    "history",
    "newsroom_stats",
    "parse_draft",
    "preview_view",
    "recipients",
    "send_alert",
    "topics_by_id",
    "valid_url",
]


async def change_alert(
    session: AsyncSession,
    alert_id: int,
    *,
    correction: str | None,
    actor: int,
    clock: Clock,
    details: Mapping[str, Any] | None = None,
) -> int:
    """Correct an alert (``correction`` given) or retract it (``None``), and audit the outcome.

    Why one function: a correction and a retraction are the same editor action with the same audit
    trail — only the corrections-service call differs. Returns the number of copies to change.
    Raises :class:`~bot.exceptions.ValidationError` / :class:`~bot.exceptions.NotFound`, already
    audited as ``invalid``, for the caller to show.
    """
    action = "alert.retract" if correction is None else "alert.correct"
    target = f"alert:{alert_id}"
    try:
        if correction is None:
            copies = await retract_alert(session, alert_id, clock=clock)
        else:
            copies = await correct_alert(session, alert_id, correction, clock=clock)
    except (ValidationError, NotFound) as e:
        await audit(
            session,
            actor=actor,
            action=action,
            target=target,
            result="invalid",
            clock=clock,
            details={"reason": str(e)},
        )
        raise
    extra = {"text": correction} if correction is not None else {}
    await audit(
        session,
        actor=actor,
        action=action,
        target=target,
        result="ok",
        clock=clock,
        details={"copies": copies, **extra, **(details or {})},
    )
    return copies
