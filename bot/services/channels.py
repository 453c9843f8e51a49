"""Channels the newsroom feeds: one service function per rule, called by Telegram handlers, the CMS
API, the sources-file reconciler (and later the console).

Design and invariants
---------------------
* A :class:`~bot.db.models.Channel` row is one chat (a channel, or a forum thread of a supergroup)
  with its topics and ``level``. Planning (:mod:`bot.services.alerts`) reads only ``active`` rows;
  nothing here talks to Telegram — callers observe Telegram (``my_chat_member``, ``getChat``,
  ``getChatMember``) and hand the result in as a :class:`BotMembership` record.
* **Status** is derived, never stored twice: ``active`` → ``active``; otherwise ``inactive_reason``
  says ``missing_rights`` (the bot is there but may not post — our own reason text or Telegram's
  ``need administrator rights``) or ``removed`` (kicked, left, dropped from the file).
* **Who owns topics and level**: ``managed_by = 'file'`` rows follow their ``[[channels]]`` entry and
  refuse changes from editors and the CMS (:class:`ManagedByFile`) — one source of truth per channel,
  so an import never silently undoes an editor's toggle. ``telegram`` rows are editors' to change.
* Every change writes one ``audit_log`` row (``channel.*``) with the actor (a Telegram id; ``None`` for
  the CMS API and the file) and ``via``. Nothing here commits; the caller owns the transaction.
* The file's declarations travel through ``config_state['channels']`` (:func:`store_declarations`,
  written by ``aajel sources import``) to the running bot, which resolves ``@usernames`` and rights
  with Telegram and applies them (:func:`apply_declaration`, :func:`release_undeclared`).
* ``level``: flash and urgent stories reach every active channel of their topics through
  :func:`~bot.services.alerts.plan_deliveries`; ``all`` channels also get each *normal* story as a
  silent post, queued by :func:`feed_normal_stories` (subscribers keep getting those as digests).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Final

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import Clock
from bot.db.models import (
    Alert,
    Article,
    Channel,
    ConfigState,
    Source,
    Topic,
    article_topics,
    channel_topics,
)
from bot.delivery import outbox
from bot.delivery.outbox import cancel_pending_for_chat
from bot.domain import AlertRequest, Urgency
from bot.exceptions import NotFound, UnknownTopics, ValidationError
from bot.services.alerts import create_alert
from bot.services.editors import audit
from bot.sources.spec import CHANNEL_LEVELS, MAX_SIGNATURE, ChannelSpec

DECLARATIONS_KEY: Final = "channels"
REASON_MISSING_RIGHTS: Final = "missing rights: the bot is not an administrator allowed to post"
REASON_KICKED: Final = "removed: the bot was removed from the channel"
REASON_UNDECLARED: Final = "removed: no longer in the sources file"
REASON_PAUSED: Final = "paused by an editor"
STATUS_LIVE: Final = ("active", "missing_rights")


class ManagedByFile(ValidationError):
    """The channel is declared in the sources file: change it there (then ``aajel sources import``)."""


@dataclass(frozen=True, slots=True)
class ChannelInfo:
    """A channel as front ends see it (never the ORM row)."""

    id: int
    chat_id: int
    thread_id: int
    title: str | None
    username: str | None
    status: str  # active | missing_rights | paused | removed
    inactive_reason: str | None
    topics: tuple[str, ...]  # slugs
    level: str
    signature: str | None
    managed_by: str
    added_by: int | None

    @property
    def label(self) -> str:
        name = self.title or (f"@{self.username}" if self.username else str(self.chat_id))
        return f"{name} #{self.thread_id}" if self.thread_id else name

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "chat_id": self.chat_id,
            "thread_id": self.thread_id,
            "title": self.title,
            "username": self.username,
            "status": self.status,
            "inactive_reason": self.inactive_reason,
            "topics": list(self.topics),
            "level": self.level,
            "signature": self.signature,
            "managed_by": self.managed_by,
        }


@dataclass(frozen=True, slots=True)
class BotMembership:
    """What Telegram says about the bot in a chat (from ``my_chat_member`` or ``getChatMember``)."""

    chat_id: int
    title: str | None
    username: str | None
    status: str  # Telegram's ChatMember status: creator administrator member restricted left kicked
    can_post: bool  # may send messages there (a channel: ``can_post_messages``)
    actor: int | None = None  # who changed it (my_chat_member ``from``), or who asked us to add it

    @property
    def present(self) -> bool:
        return self.status in ("creator", "administrator", "member", "restricted")


@dataclass(frozen=True, slots=True)
class MembershipOutcome:
    """What an observed membership did: ``event`` is ``registered``, ``reactivated``,
    ``missing_rights``, ``removed`` or ``unchanged``."""

    event: str
    channel: ChannelInfo | None


def member_status(value: object) -> str:
    """Telegram's ChatMember status as plain text (aiogram may hand a ``(str, Enum)`` member, whose
    ``str()`` is ``ChatMemberStatus.ADMINISTRATOR``, or the raw string)."""
    return str(getattr(value, "value", value))


def channel_status(active: bool, reason: str | None) -> str:
    """``active``, ``missing_rights``, ``paused`` or ``removed`` — a pure reading of the stored state."""
    if active:
        return "active"
    text = (reason or "").lower()
    if "rights" in text:
        return "missing_rights"
    return "paused" if text == REASON_PAUSED else "removed"


def _info(row: Channel) -> ChannelInfo:
    return ChannelInfo(
        id=row.id,
        chat_id=row.chat_id,
        thread_id=row.thread_id,
        title=row.title,
        username=row.username,
        status=channel_status(row.active, row.inactive_reason),
        inactive_reason=None if row.active else row.inactive_reason,
        topics=tuple(t.slug for t in row.topics),
        level=row.level,
        signature=row.signature,
        managed_by=row.managed_by,
        added_by=row.added_by,
    )


async def list_channels(session: AsyncSession) -> list[ChannelInfo]:
    rows = await session.scalars(select(Channel).order_by(Channel.id))
    return [_info(row) for row in rows]


async def get_channel(session: AsyncSession, channel_id: int) -> ChannelInfo:
    return _info(await _row(session, channel_id))


async def _row(session: AsyncSession, channel_id: int) -> Channel:
    row = await session.get(Channel, channel_id)
    if row is None:
        raise NotFound(f"channel {channel_id}")
    return row


async def _topic_ids(session: AsyncSession, slugs: Sequence[str]) -> list[int]:
    rows = (await session.execute(select(Topic.id, Topic.slug).where(Topic.slug.in_(list(slugs))))).all()
    found = {slug: topic_id for topic_id, slug in rows}
    missing = [slug for slug in slugs if slug not in found]
    if missing:
        raise UnknownTopics(missing)
    return [found[slug] for slug in slugs]


async def _set_topics(session: AsyncSession, row: Channel, topic_ids: Iterable[int]) -> None:
    await session.execute(delete(channel_topics).where(channel_topics.c.channel_id == row.id))
    ids = list(dict.fromkeys(topic_ids))
    if ids:
        await session.execute(channel_topics.insert(), [{"channel_id": row.id, "topic_id": t} for t in ids])
    await session.refresh(row, ["topics"])


async def _audit(
    session: AsyncSession,
    clock: Clock,
    action: str,
    row: Channel | None,
    *,
    actor: int | None,
    via: str,
    result: str = "ok",
    **details: Any,
) -> None:
    target = f"channel:{row.id}" if row is not None else None
    await audit(
        session,
        actor=actor,
        action=f"channel.{action}",
        target=target,
        result=result,
        clock=clock,
        details={"via": via, **({"chat_id": row.chat_id} if row is not None else {}), **details},
    )


# --- membership: the bot added, promoted, demoted, removed ---------------------------------------


async def observe_membership(
    session: AsyncSession, membership: BotMembership, clock: Clock, *, via: str = "telegram"
) -> MembershipOutcome:
    """Apply what Telegram says about the bot in a chat to every channel row of that chat.

    Added as an administrator allowed to post → registered (a new row, no topics yet, unless the
    sources file declares it) or reactivated; present without post rights → kept but inactive
    (``missing_rights``); kicked or left → deactivated and its queued posts cancelled.
    """
    now = clock.now()
    rows = list(await session.scalars(select(Channel).where(Channel.chat_id == membership.chat_id)))
    actor = membership.actor
    if not membership.present:
        # active or missing rights → removed; paused and undeclared ones keep their reason
        changed = [row for row in rows if channel_status(row.active, row.inactive_reason) in STATUS_LIVE]
        for row in changed:
            row.active, row.inactive_reason, row.updated_at = False, REASON_KICKED, now
            await _audit(session, clock, "removed", row, actor=actor, via=via, status=membership.status)
        if changed:
            await cancel_pending_for_chat(session, membership.chat_id, REASON_KICKED, clock)
            return MembershipOutcome("removed", _info(changed[0]))
        return MembershipOutcome("unchanged", _info(rows[0]) if rows else None)
    event = "unchanged"
    if not rows:
        row = Channel(
            chat_id=membership.chat_id,
            thread_id=0,
            title=membership.title,
            username=membership.username,
            active=membership.can_post,
            inactive_reason=None if membership.can_post else REASON_MISSING_RIGHTS,
            level="urgent",
            managed_by="telegram",
            added_by=actor,
            created_at=now,
            updated_at=now,
        )
        session.add(row)
        await session.flush()
        await session.refresh(row, ["topics"])
        rows = [row]
        event = "registered" if membership.can_post else "missing_rights"
        await _audit(session, clock, "registered", row, actor=actor, via=via, can_post=membership.can_post)
    else:
        for row in rows:
            row.title = membership.title or row.title
            row.username = membership.username or row.username
            paused = row.inactive_reason in (REASON_UNDECLARED, REASON_PAUSED)
            if membership.can_post and not row.active and not paused:
                row.active, row.inactive_reason, row.updated_at = True, None, now
                event = "reactivated"
                await _audit(session, clock, "reactivated", row, actor=actor, via=via)
            elif not membership.can_post and (row.active or row.inactive_reason != REASON_MISSING_RIGHTS):
                row.active, row.inactive_reason, row.updated_at = False, REASON_MISSING_RIGHTS, now
                event = "missing_rights"
                await _audit(session, clock, "missing_rights", row, actor=actor, via=via)
            elif not membership.can_post:
                event = "missing_rights"
        if not membership.can_post:
            await cancel_pending_for_chat(session, membership.chat_id, REASON_MISSING_RIGHTS, clock)
    await session.flush()
    return MembershipOutcome(event, _info(rows[0]))


# --- editors and the CMS change topics and level ---------------------------------------------------


def _editable(row: Channel) -> None:
    if row.managed_by == "file":
        raise ManagedByFile(f"channel {row.id} is declared in the sources file; change it there")


async def toggle_topic(
    session: AsyncSession, channel_id: int, topic_id: int, *, actor: int | None, clock: Clock, via: str
) -> ChannelInfo:
    """Feed the channel this topic if it does not yet, else stop."""
    row = await _row(session, channel_id)
    _editable(row)
    topic = await session.get(Topic, topic_id)
    if topic is None:
        raise NotFound(f"topic {topic_id}")
    ids = [t.id for t in row.topics]
    on = topic_id not in ids
    await _set_topics(session, row, [*ids, topic_id] if on else [i for i in ids if i != topic_id])
    row.updated_at = clock.now()
    await _audit(session, clock, "topic", row, actor=actor, via=via, topic=topic.slug, on=on)
    return _info(row)


async def update_channel(
    session: AsyncSession,
    channel_id: int,
    *,
    actor: int | None,
    clock: Clock,
    via: str,
    topics: Sequence[str] | None = None,
    level: str | None = None,
    signature: str | None = None,
    clear_signature: bool = False,
    active: bool | None = None,
) -> ChannelInfo:
    """Replace topics, level, signature and/or ``active`` (what is ``None`` stays). The CMS ``PUT`` and
    the level and pause buttons all land here. Resuming a channel the bot cannot post to is harmless:
    the first refused post deactivates it again."""
    row = await _row(session, channel_id)
    _editable(row)
    if level is not None and level not in CHANNEL_LEVELS:
        raise ValidationError(f"level must be one of {', '.join(CHANNEL_LEVELS)}")
    if signature is not None and (not signature.strip() or len(signature) > MAX_SIGNATURE):
        raise ValidationError(f"signature must have 1-{MAX_SIGNATURE} characters")
    changes: dict[str, Any] = {}
    if topics is not None:
        slugs = list(dict.fromkeys(topics))
        await _set_topics(session, row, await _topic_ids(session, slugs))
        changes["topics"] = slugs
    if level is not None and level != row.level:
        row.level = changes["level"] = level
        row.feed_cursor = None  # "all" starts from now: no backlog of normal stories
    if signature is not None:
        row.signature = changes["signature"] = signature.strip()
    elif clear_signature and row.signature is not None:
        row.signature = changes["signature"] = None
    if active is not None and active != row.active:
        row.active, row.inactive_reason = active, None if active else REASON_PAUSED
        changes["active"] = active
        if not active:
            await cancel_pending_for_chat(session, row.chat_id, REASON_PAUSED, clock)
    row.updated_at = clock.now()
    await _audit(session, clock, "update", row, actor=actor, via=via, **changes)
    await session.flush()
    return _info(row)


# --- the sources file's declarations -------------------------------------------------------------


async def store_declarations(session: AsyncSession, specs: Sequence[ChannelSpec], clock: Clock) -> bool:
    """Record the file's ``[[channels]]`` for the running bot; True if they changed (version bumped)."""
    wanted = [spec.to_json() for spec in specs]
    row = await session.get(ConfigState, DECLARATIONS_KEY)
    if row is not None and row.value.get("channels") == wanted:
        return False
    version = int(row.value.get("version", 0)) + 1 if row is not None else 1
    value = {"version": version, "channels": wanted}
    if row is None:
        session.add(ConfigState(key=DECLARATIONS_KEY, value=value, updated_at=clock.now()))
    else:
        row.value, row.updated_at = value, clock.now()
    await session.flush()
    return True


async def declarations(session: AsyncSession) -> tuple[int, list[ChannelSpec]]:
    """The declared channels and their version (0 when the file never declared any)."""
    row = await session.get(ConfigState, DECLARATIONS_KEY)
    if row is None:
        return 0, []
    return int(row.value.get("version", 0)), [ChannelSpec.from_json(c) for c in row.value.get("channels", [])]


def declaration_for(specs: Iterable[ChannelSpec], chat_id: int, username: str | None) -> list[ChannelSpec]:
    """The declarations naming this chat (by id, or by username case-insensitively)."""
    name = (username or "").lower()
    return [s for s in specs if s.chat == chat_id or (name and s.username == name)]


async def apply_declaration(
    session: AsyncSession, spec: ChannelSpec, membership: BotMembership, clock: Clock
) -> ChannelInfo:
    """Make the row for ``spec`` (in the chat Telegram resolved it to) follow the file."""
    now = clock.now()
    row = await session.scalar(
        select(Channel).where(Channel.chat_id == membership.chat_id, Channel.thread_id == spec.thread_id)
    )
    created = row is None
    if row is None:
        row = Channel(
            chat_id=membership.chat_id, thread_id=spec.thread_id, created_at=now, added_by=membership.actor
        )
        session.add(row)
    row.title = membership.title or row.title
    row.username = membership.username or row.username
    if row.level != spec.level:
        row.feed_cursor = None  # "all" starts from now: no backlog of normal stories
    row.level, row.signature, row.managed_by, row.updated_at = spec.level, spec.signature, "file", now
    if membership.can_post:
        row.active, row.inactive_reason = True, None
    else:
        row.active, row.inactive_reason = False, REASON_MISSING_RIGHTS
    await session.flush()
    await session.refresh(row, ["topics"])
    await _set_topics(session, row, await _topic_ids(session, spec.topics))
    await _audit(
        session,
        clock,
        "declared",
        row,
        actor=None,
        via="file",
        created=created,
        topics=list(spec.topics),
        level=spec.level,
        can_post=membership.can_post,
    )
    return _info(row)


async def release_undeclared(session: AsyncSession, keep: set[tuple[int, int]], clock: Clock) -> int:
    """File-managed channels no longer declared stop being fed and become editors' to manage."""
    rows = await session.scalars(select(Channel).where(Channel.managed_by == "file"))
    released = 0
    for row in rows:
        if (row.chat_id, row.thread_id) in keep:
            continue
        row.managed_by, row.updated_at = "telegram", clock.now()
        if row.active:
            row.active, row.inactive_reason = False, REASON_UNDECLARED
        released += 1
        await _audit(session, clock, "undeclared", row, actor=None, via="file")
    return released


# --- level "all": normal stories, each posted silently ---------------------------------------------

FEED_BATCH: Final = 20
"""Normal stories taken per channel and round (Telegram allows about 20 posts a minute in a channel)."""


async def feed_normal_stories(session: AsyncSession, clock: Clock) -> list[int]:
    """Queue the normal stories of ``all`` channels; returns the alerts that got new deliveries.

    Why not :func:`~bot.services.alerts.plan_deliveries`: normal stories reach "all news" *subscribers*
    as digests, so a normal alert must not be fanned out to them. Each story becomes one alert
    (idempotency key ``channel-feed:<article id>``, shared by every channel that posts it) with one
    delivery per channel, planned here; the sender renders it silently (normal urgency) with the
    channel's URL buttons. ``feed_cursor`` starts at the moment a channel turns ``all`` (no backlog
    flood) and advances over every story considered, first sightings only.
    """
    now = clock.now()
    rows = list(
        await session.scalars(
            select(Channel).where(Channel.active.is_(True), Channel.level == "all").order_by(Channel.id)
        )
    )
    touched: set[int] = set()
    for row in rows:
        if row.feed_cursor is None:
            row.feed_cursor = now
            continue
        topic_ids = [t.id for t in row.topics]
        if not topic_ids:
            row.feed_cursor = now
            continue
        articles = (
            await session.execute(
                select(Article, Source.name)
                .join(Source, Source.id == Article.source_id)
                .where(
                    Article.urgency == Urgency.NORMAL.value,
                    Article.story_id.is_(None),
                    Article.detected_at > row.feed_cursor,
                    Article.id.in_(
                        select(article_topics.c.article_id).where(article_topics.c.topic_id.in_(topic_ids))
                    ),
                )
                .order_by(Article.detected_at, Article.id)
                .limit(FEED_BATCH)
            )
        ).all()
        for article, source_name in articles:
            planned = await create_alert(
                session,
                AlertRequest(
                    headline=article.headline,
                    urgency=Urgency.NORMAL,
                    topics=tuple(t.slug for t in article.topics),
                    url=article.url,
                    article_id=article.id,
                    source_name=source_name,
                    published_at=article.published_at,
                    detected_at=article.detected_at,
                    idempotency_key=f"channel-feed:{article.id}",
                ),
                clock,
            )
            alert = await session.get(Alert, planned.alert_id)
            if alert is not None and alert.planned_at is None:
                alert.planned_at = now  # planned here, for channels only: nothing else fans it out
            added = await outbox.insert_one(
                session,
                alert_id=planned.alert_id,
                chat_id=row.chat_id,
                thread_id=row.thread_id,
                subscriber_id=None,
                channel_id=row.id,
                urgency=Urgency.NORMAL,
                now=now,
            )
            if added:
                touched.add(planned.alert_id)
            row.feed_cursor = article.detected_at
    await session.flush()
    return sorted(touched)
