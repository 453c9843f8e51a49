"""Subscribers and their topic subscriptions.

Invariants: one ``subscribers`` row per Telegram chat (``chat_id`` unique); a subscription is
(subscriber, topic, thread) — thread 0 is the whole chat. Registering a chat that had left or
blocked the bot reactivates it; nothing here commits.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import Clock
from bot.db.models import Subscriber, Subscription, Topic
from bot.domain import ChatKind
from bot.exceptions import NotFound


@dataclass(frozen=True, slots=True)
class TopicInfo:
    id: int
    slug: str
    name_ar: str
    name_en: str

    def name(self, lang: str) -> str:
        return self.name_en if lang == "en" else self.name_ar


def _info(topic: Topic) -> TopicInfo:
    return TopicInfo(topic.id, topic.slug, topic.name_ar, topic.name_en)


async def register_chat(
    session: AsyncSession,
    *,
    chat_id: int,
    kind: ChatKind,
    language: str,
    clock: Clock,
    title: str | None = None,
    username: str | None = None,
) -> int:
    """Create or reactivate the subscriber for ``chat_id``; returns its id."""
    now = clock.now()
    subscriber = await session.scalar(select(Subscriber).where(Subscriber.chat_id == chat_id))
    if subscriber is None:
        subscriber = Subscriber(
            chat_id=chat_id,
            kind=kind.value,
            title=title,
            username=username,
            language=language,
            active=True,
            created_at=now,
            updated_at=now,
        )
        session.add(subscriber)
        await session.flush()
    elif not subscriber.active:
        subscriber.active = True
        subscriber.inactive_reason = None
        subscriber.updated_at = now
    return subscriber.id


async def chat_language(session: AsyncSession, chat_id: int) -> str | None:
    value: str | None = await session.scalar(select(Subscriber.language).where(Subscriber.chat_id == chat_id))
    return value


async def list_topics(session: AsyncSession) -> list[TopicInfo]:
    rows = await session.scalars(select(Topic).order_by(Topic.id))
    return [_info(row) for row in rows]


async def topics_with_state(
    session: AsyncSession, chat_id: int, thread_id: int = 0
) -> list[tuple[TopicInfo, bool]]:
    """Every topic with whether this chat (thread) is subscribed to it."""
    subscribed = set(
        await session.scalars(
            select(Subscription.topic_id)
            .join(Subscriber, Subscriber.id == Subscription.subscriber_id)
            .where(Subscriber.chat_id == chat_id, Subscription.thread_id == thread_id)
        )
    )
    return [(topic, topic.id in subscribed) for topic in await list_topics(session)]


async def find_topic(
    session: AsyncSession, *, topic_id: int | None = None, slug: str | None = None
) -> TopicInfo:
    query = select(Topic)
    if topic_id is not None:
        query = query.where(Topic.id == topic_id)
    else:
        query = query.where(Topic.slug == (slug or "").strip().lower())
    topic = await session.scalar(query)
    if topic is None:
        raise NotFound(f"topic {topic_id if topic_id is not None else slug!r}")
    return _info(topic)


async def set_subscription(
    session: AsyncSession,
    *,
    chat_id: int,
    topic_id: int,
    subscribed: bool,
    clock: Clock,
    thread_id: int = 0,
    level: str = "urgent",
) -> None:
    subscriber_id = await session.scalar(select(Subscriber.id).where(Subscriber.chat_id == chat_id))
    if subscriber_id is None:
        raise NotFound(f"chat {chat_id} has not started the bot")
    existing = await session.scalar(
        select(Subscription).where(
            Subscription.subscriber_id == subscriber_id,
            Subscription.topic_id == topic_id,
            Subscription.thread_id == thread_id,
        )
    )
    if subscribed and existing is None:
        session.add(
            Subscription(
                subscriber_id=subscriber_id,
                topic_id=topic_id,
                thread_id=thread_id,
                level=level,
                created_at=clock.now(),
            )
        )
        await session.flush()
    elif not subscribed and existing is not None:
        await session.execute(delete(Subscription).where(Subscription.id == existing.id))


async def toggle_topic(
    session: AsyncSession, *, chat_id: int, topic_id: int, clock: Clock, thread_id: int = 0
) -> tuple[TopicInfo, bool]:
    """Flip the subscription; returns the topic and whether the chat is now subscribed."""
    topic = await find_topic(session, topic_id=topic_id)
    state = dict((info.id, on) for info, on in await topics_with_state(session, chat_id, thread_id))
    now_on = not state.get(topic.id, False)
    await set_subscription(
        session, chat_id=chat_id, topic_id=topic.id, subscribed=now_on, clock=clock, thread_id=thread_id
    )
    return topic, now_on
