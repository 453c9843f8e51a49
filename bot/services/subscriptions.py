"""Subscribers, their topic subscriptions and their settings.

Invariants: one ``subscribers`` row per Telegram chat (``chat_id`` unique); a subscription is
(subscriber, topic, thread) — thread 0 is the whole chat, a forum thread id subscribes only that
thread (pushes go there). Registering a chat that had left or blocked the bot reactivates it.
Nothing here commits: the caller (one update = one transaction) does.

User input is validated here, once, for every front end (commands, buttons): topic names are matched
after :func:`bot.news.arabic.normalize` (so ``الاقتصاد``, ``اقتصاد``, ``Economy`` and ``economy`` are one
topic), quiet hours and time zones are parsed strictly, and every refusal is a
:class:`~bot.exceptions.ValidationError` or :class:`~bot.exceptions.NotFound` the handlers translate.

Forgetting a chat (:func:`forget_chat`, ``/stop``) deletes the subscriber row, its subscriptions (by
cascade), every delivery row addressed to the chat (pending or sent: they hold the chat id and
message ids) and the digest alerts made for it alone. Feed alerts and articles are shared, not
personal, and stay.
"""

from __future__ import annotations

import re
import zoneinfo
from dataclasses import dataclass
from functools import lru_cache

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import Clock
from bot.db.models import LANGUAGES, SUBSCRIPTION_LEVELS, Alert, Subscriber, Subscription, Topic
from bot.delivery import outbox
from bot.domain import ChatKind
from bot.exceptions import NotFound, ValidationError
from bot.news.arabic import normalize
from bot.news.text import ascii_digits
from bot.services.quiet_hours import in_quiet_hours as in_quiet_hours  # re-exported: settings, digests
from bot.services.quiet_hours import local_now as local_now

MAX_ARGUMENT = 200
"""Longest command argument accepted (topic names, time zones, quiet hours are all far shorter)."""


@dataclass(frozen=True, slots=True)
class TopicInfo:
    id: int
    slug: str
    name_ar: str
    name_en: str

    def name(self, lang: str) -> str:
        return self.name_en if lang == "en" else self.name_ar


@dataclass(frozen=True, slots=True)
class SubscriptionInfo:
    topic: TopicInfo
    thread_id: int
    level: str


@dataclass(frozen=True, slots=True)
class ChatSettings:
    """What ``/settings`` shows: the chat's language, time zone, quiet hours and subscriptions."""

    language: str
    timezone: str
    quiet_start: int | None
    quiet_end: int | None
    subscriptions: tuple[SubscriptionInfo, ...]

    @property
    def quiet(self) -> tuple[int, int] | None:
        if self.quiet_start is None or self.quiet_end is None:
            return None
        return self.quiet_start, self.quiet_end


def _info(topic: Topic) -> TopicInfo:
    return TopicInfo(topic.id, topic.slug, topic.name_ar, topic.name_en)


# --- chats ---------------------------------------------------------------------------------------------


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
            title=(title or None) and title[:256],
            username=(username or None) and username[:64],
            language=language if language in LANGUAGES else "ar",
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


async def _subscriber(session: AsyncSession, chat_id: int) -> Subscriber:
    subscriber = await session.scalar(select(Subscriber).where(Subscriber.chat_id == chat_id))
    if subscriber is None:
        raise NotFound(f"chat {chat_id} has not started the bot")
    return subscriber


async def forget_chat(session: AsyncSession, chat_id: int) -> bool:
    """Delete everything Aajel keeps about ``chat_id`` (see module docstring); False if nothing was kept."""
    subscriber_id = await session.scalar(select(Subscriber.id).where(Subscriber.chat_id == chat_id))
    delivered = outbox.alerts_delivered_to(chat_id)
    digests = delete(Alert).where(Alert.id.in_(delivered), Alert.kind == "digest")
    await session.execute(digests)  # made for this chat alone; cascades to its deliveries
    await outbox.delete_for_chat(session, chat_id)
    if subscriber_id is None:
        return False
    await session.execute(delete(Subscription).where(Subscription.subscriber_id == subscriber_id))
    await session.execute(delete(Subscriber).where(Subscriber.id == subscriber_id))
    return True


# --- topics --------------------------------------------------------------------------------------------


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


def _topic_key(text: str) -> str:
    """Matching key of a topic name: normalised, without the article ``ال`` and ``#``/``topic_``."""
    key = normalize(text.strip().removeprefix("#").removeprefix("topic_").replace("_", " "))
    words = [w[2:] if w.startswith("ال") and len(w) > 4 else w for w in key.split()]
    return " ".join(words)


async def resolve_topic(session: AsyncSession, text: str) -> TopicInfo:
    """The topic a user means by ``text``: its slug, Arabic or English name (see module docstring)."""
    text = check_argument(text)
    key = _topic_key(text)
    if not key:
        raise NotFound(f"topic {text!r}")
    for topic in await list_topics(session):
        if key in {_topic_key(topic.slug), _topic_key(topic.name_ar), _topic_key(topic.name_en)}:
            return topic
    raise NotFound(f"topic {text!r}")


def check_argument(text: str) -> str:
    """A command argument, stripped; refuses empty and oversized ones."""
    text = text.strip()
    if len(text) > MAX_ARGUMENT:
        raise ValidationError(f"argument longer than {MAX_ARGUMENT} characters")
    return text


# --- subscriptions -------------------------------------------------------------------------------------


async def set_subscription(
    session: AsyncSession,
    *,
    chat_id: int,
    topic_id: int,
    subscribed: bool,
    clock: Clock,
    thread_id: int = 0,
    level: str = "urgent",
) -> bool:
    """Subscribe or unsubscribe; returns whether anything changed."""
    subscriber = await _subscriber(session, chat_id)
    existing = await session.scalar(
        select(Subscription).where(
            Subscription.subscriber_id == subscriber.id,
            Subscription.topic_id == topic_id,
            Subscription.thread_id == thread_id,
        )
    )
    if subscribed and existing is None:
        session.add(
            Subscription(
                subscriber_id=subscriber.id,
                topic_id=topic_id,
                thread_id=thread_id,
                level=level,
                created_at=clock.now(),
            )
        )
        await session.flush()
        return True
    if not subscribed and existing is not None:
        await session.execute(delete(Subscription).where(Subscription.id == existing.id))
        return True
    return False


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


async def unsubscribe_all(session: AsyncSession, *, chat_id: int, thread_id: int = 0) -> int:
    """Remove every subscription of the chat (thread); returns how many there were."""
    subscriber = await _subscriber(session, chat_id)
    result = await session.execute(
        delete(Subscription).where(
            Subscription.subscriber_id == subscriber.id, Subscription.thread_id == thread_id
        )
    )
    return int(getattr(result, "rowcount", 0) or 0)


async def subscriptions_of(
    session: AsyncSession, chat_id: int, thread_id: int | None = None
) -> list[SubscriptionInfo]:
    """The chat's subscriptions (one thread's, or all threads' when ``thread_id`` is None)."""
    query = (
        select(Topic, Subscription.thread_id, Subscription.level)
        .join(Subscription, Subscription.topic_id == Topic.id)
        .join(Subscriber, Subscriber.id == Subscription.subscriber_id)
        .where(Subscriber.chat_id == chat_id)
        .order_by(Subscription.thread_id, Topic.id)
    )
    if thread_id is not None:
        query = query.where(Subscription.thread_id == thread_id)
    rows = (await session.execute(query)).all()
    return [SubscriptionInfo(_info(topic), thread, level) for topic, thread, level in rows]


async def set_level(
    session: AsyncSession, *, chat_id: int, topic_id: int, level: str, thread_id: int = 0
) -> None:
    """``urgent`` (breaking news only) or ``all`` (also normal news, as a digest) for one subscription."""
    if level not in SUBSCRIPTION_LEVELS:
        raise ValidationError(f"level must be one of {', '.join(SUBSCRIPTION_LEVELS)}")
    subscriber = await _subscriber(session, chat_id)
    subscription = await session.scalar(
        select(Subscription).where(
            Subscription.subscriber_id == subscriber.id,
            Subscription.topic_id == topic_id,
            Subscription.thread_id == thread_id,
        )
    )
    if subscription is None:
        raise NotFound(f"chat {chat_id} is not subscribed to topic {topic_id}")
    subscription.level = level


async def toggle_level(session: AsyncSession, *, chat_id: int, topic_id: int, thread_id: int = 0) -> str:
    """Flip urgent ⇄ all for one subscription; returns the new level."""
    current = {s.topic.id: s.level for s in await subscriptions_of(session, chat_id, thread_id)}
    if topic_id not in current:
        raise NotFound(f"chat {chat_id} is not subscribed to topic {topic_id}")
    level = "all" if current[topic_id] == "urgent" else "urgent"
    await set_level(session, chat_id=chat_id, topic_id=topic_id, level=level, thread_id=thread_id)
    return level


# --- settings ------------------------------------------------------------------------------------------


async def chat_settings(session: AsyncSession, chat_id: int, thread_id: int = 0) -> ChatSettings:
    subscriber = await _subscriber(session, chat_id)
    return ChatSettings(
        language=subscriber.language,
        timezone=subscriber.timezone,
        quiet_start=subscriber.quiet_start,
        quiet_end=subscriber.quiet_end,
        subscriptions=tuple(await subscriptions_of(session, chat_id, thread_id)),
    )


async def set_language(session: AsyncSession, *, chat_id: int, language: str, clock: Clock) -> str:
    language = parse_language(language)
    subscriber = await _subscriber(session, chat_id)
    subscriber.language = language
    subscriber.updated_at = clock.now()
    return language


async def set_timezone(session: AsyncSession, *, chat_id: int, timezone: str, clock: Clock) -> str:
    name = parse_timezone(timezone)
    subscriber = await _subscriber(session, chat_id)
    subscriber.timezone = name
    subscriber.updated_at = clock.now()
    return name


async def set_quiet_hours(
    session: AsyncSession, *, chat_id: int, window: tuple[int, int] | None, clock: Clock
) -> None:
    """Quiet hours as minutes after local midnight (may wrap midnight); ``None`` switches them off."""
    if window is not None:
        start, end = window
        if not (0 <= start < 1440 and 0 <= end < 1440) or start == end:
            raise ValidationError("quiet hours need two different times of day")
    subscriber = await _subscriber(session, chat_id)
    subscriber.quiet_start, subscriber.quiet_end = window if window is not None else (None, None)
    subscriber.updated_at = clock.now()


_LANGUAGE_WORDS = {
    "ar": "ar",
    "arabic": "ar",
    "عربي": "ar",
    "عربيه": "ar",
    "العربيه": "ar",
    "en": "en",
    "english": "en",
    "انجليزي": "en",
    "انجليزيه": "en",
    "الانجليزيه": "en",
    "الانكليزيه": "en",
}


def parse_language(text: str) -> str:
    language = _LANGUAGE_WORDS.get(normalize(check_argument(text)))
    if language is None:
        raise ValidationError(f"unknown language {text!r}")
    return language


@lru_cache(maxsize=1)
def _zones() -> dict[str, str]:
    return {name.lower(): name for name in zoneinfo.available_timezones()}


def parse_timezone(text: str) -> str:
    """An IANA time zone name, matched case-insensitively (``asia/riyadh`` → ``Asia/Riyadh``)."""
    name = check_argument(text).replace(" ", "_")
    found = _zones().get(name.lower())
    if found is None:
        raise ValidationError(f"unknown time zone {text!r}")
    return found


_TIME = r"(\d{1,2})(?:[:.٫](\d{2}))?"
_WINDOW = re.compile(rf"^\s*{_TIME}\s*(?:-|–|—|to|الى|إلى|حتى)\s*{_TIME}\s*$", re.IGNORECASE)
_OFF_WORDS = {"off", "none", "no", "0", "ايقاف", "لا", "الغاء", "بلا"}


def parse_quiet_hours(text: str) -> tuple[int, int] | None:
    """``23:00-07:00``, ``23-7``, ``٢٣:٠٠-٠٧:٠٠`` → minutes (start, end); ``off`` → ``None``."""
    text = check_argument(text)
    if normalize(text) in _OFF_WORDS:
        return None
    match = _WINDOW.match(ascii_digits(text))
    if match is None:
        raise ValidationError(f"quiet hours {text!r} are not shaped like 23:00-07:00")
    h1, m1, h2, m2 = (int(g) if g is not None else 0 for g in match.groups())
    if h1 > 23 or h2 > 23 or m1 > 59 or m2 > 59:
        raise ValidationError(f"quiet hours {text!r}: no such time of day")
    start, end = h1 * 60 + m1, h2 * 60 + m2
    if start == end:
        raise ValidationError("quiet hours need two different times of day")
    return start, end


def format_minutes(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"
