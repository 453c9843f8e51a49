"""Follow-ups of a stored story: escalations and material updates.

The poller stores every item; only a *new* breaking story used to be pushed. Two later events of a
story the newsroom already holds are news too:

* **Escalation** — a story first seen as normal is now marked urgent or flash (the same item with the
  marker added, a rewording from its source, or another source's copy marked urgent). It is pushed
  **once** as an alert of ``kind='escalation'`` to everyone who does not have it yet: urgent-only
  subscribers and channels of its topics. An all-news subscriber who already has the story (a normal
  push, or a digest made after it was stored) is not pushed the same story again — they have read
  it; one who has not got it yet (the digest is still to come) gets the push, and the digest then
  leaves the story out because its stored urgency is now breaking. Who "has it" is decided by
  :func:`bot.services.alerts.plan_deliveries` (the one planning seam).
* **Material update** — the source of a pushed urgent story rewords it (the same item's headline
  changes, or a new ticker line updates it) and the new wording states a fact the last push did not
  (:func:`bot.news.material.material_change`: a number, a place, an actor). It is pushed once as an
  alert of ``kind='update'`` whose ``parent_alert_id`` is the story's first breaking push; each copy
  replies to that push's message in the same chat (``deliveries.reply_to_id``) under the badge
  "🔄 تحديث" / "🔄 Update". A pure rewording is stored (as before) and not pushed. Later updates are
  compared with the latest pushed wording, so each new fact is pushed once.

Design and invariants:

* :func:`decide_followup` is pure: storage gathers a :class:`StoryFacts`, the decision comes back as
  a :class:`FollowUp`. :func:`follow_up` is the I/O around it and runs inside the poll's one
  transaction; the alert it creates is planned before commit and delivered after it, like a new story.
* At most once: an escalation carries the idempotency key ``escalation:<root article>``, an update
  ``update:<parent alert>:<title key>`` — the unique key on ``alerts.idempotency_key`` is the final
  judge when polls repeat or two processes race. The story's stored urgency is raised with the
  escalation, so later polls see a breaking story and do nothing more.
* Recorded as data, never through the audit log: ``alerts.kind``, ``alerts.parent_alert_id``,
  ``alerts.article_id`` and ``deliveries.reply_to_id``.
* Only the pushing source's new wordings can be updates — whether the dedup matched them to that
  source's story (an update) or closest to another source's copy of it (a duplicate); another
  source's wording is never pushed as an update;
  a retracted push gets no updates; a baseline poll pushes nothing (the poller does not call here).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy import or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import Clock, as_utc
from bot.db.models import Alert, Article, Topic, article_topics
from bot.domain import AlertRequest, AlertState, Urgency
from bot.news.material import material_change
from bot.services.alerts import create_alert, plan_deliveries

PUSH_KINDS = ("story", "escalation")
"""Alerts that count as "the story was pushed as breaking" (editor alerts carry no article)."""


class Action(StrEnum):
    NONE = "none"
    ESCALATE = "escalate"
    UPDATE = "update"


@dataclass(frozen=True, slots=True)
class PushedStory:
    """The story's first breaking push, and the wording its readers saw last."""

    alert_id: int
    source_name: str | None
    urgency: Urgency
    retracted: bool
    last_headline: str


@dataclass(frozen=True, slots=True)
class StoryFacts:
    """Everything :func:`decide_followup` needs about one incoming item of a known story."""

    item_urgency: Urgency
    item_source: str
    item_headline: str
    reworded: bool  # a new wording of the story (revision in place, a ticker update, a copy), not a repeat
    root_urgency: Urgency
    root_age: timedelta
    window: timedelta
    pushed: PushedStory | None


@dataclass(frozen=True, slots=True)
class FollowUp:
    action: Action
    reason: str


def decide_followup(facts: StoryFacts) -> FollowUp:
    """Escalate, push an update, or do nothing (see the module docstring). Pure."""
    if facts.item_urgency.is_breaking and not facts.root_urgency.is_breaking:
        if facts.root_age > facts.window:
            return FollowUp(Action.NONE, "escalation of a story older than the window")
        return FollowUp(Action.ESCALATE, f"normal story now {facts.item_urgency.value}")
    if not facts.reworded:
        return FollowUp(Action.NONE, "nothing new")
    pushed = facts.pushed
    if pushed is None:
        return FollowUp(Action.NONE, "the story was never pushed")
    if pushed.retracted:
        return FollowUp(Action.NONE, "the push was retracted")
    if pushed.source_name != facts.item_source:
        return FollowUp(Action.NONE, "another source's wording")
    change = material_change(pushed.last_headline, facts.item_headline)
    if not change.material:
        return FollowUp(Action.NONE, change.reason)
    return FollowUp(Action.UPDATE, change.reason)


@dataclass(frozen=True, slots=True)
class StoryItem:
    """An incoming item of a known story, as the poller stored it."""

    article_id: int  # the item's own row (the matched row when it was seen before)
    source_name: str
    headline: str
    title_key: str
    urgency: Urgency
    topics: tuple[str, ...]  # known topic slugs
    reworded: bool
    url: str | None = None
    published_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class FollowUpResult:
    decision: FollowUp
    alert_id: int | None = None  # a new alert, planned (deliver it after commit)
    settled: bool = False  # the story is breaking now: a repeat of this item needs no look-up


async def follow_up(
    session: AsyncSession, item: StoryItem, clock: Clock, *, window: timedelta
) -> FollowUpResult:
    """Gather the story's facts, decide, and create + plan the follow-up alert if any."""
    now = clock.now()
    row = (
        await session.execute(select(Article.id, Article.story_id).where(Article.id == item.article_id))
    ).first()
    if row is None:
        return FollowUpResult(FollowUp(Action.NONE, "article gone"))
    root_id = int(row.story_id if row.story_id is not None else row.id)
    root = (
        await session.execute(select(Article.urgency, Article.detected_at).where(Article.id == root_id))
    ).first()
    if root is None:
        return FollowUpResult(FollowUp(Action.NONE, "story gone"))
    root_urgency = Urgency(root.urgency)
    pushed = await _pushed(session, root_id) if root_urgency.is_breaking else None
    facts = StoryFacts(
        item_urgency=item.urgency,
        item_source=item.source_name,
        item_headline=item.headline,
        reworded=item.reworded,
        root_urgency=root_urgency,
        root_age=now - as_utc(root.detected_at),
        window=window,
        pushed=pushed,
    )
    decision = decide_followup(facts)
    if decision.action is Action.ESCALATE:
        await session.execute(
            update(Article)
            .where(Article.id.in_({root_id, item.article_id}), Article.urgency == Urgency.NORMAL.value)
            .values(urgency=item.urgency, updated_at=now)
        )
        topics = tuple(dict.fromkeys((*item.topics, *await _topic_slugs(session, root_id))))
        request = _request(item, now, topics, kind="escalation", key=f"escalation:{root_id}")
        return FollowUpResult(decision, await _create(session, request, clock), settled=True)
    if decision.action is Action.UPDATE:
        assert pushed is not None
        urgency = max(pushed.urgency, item.urgency, key=lambda u: u.rank)
        topics = tuple(t.slug for t in await _alert_topics(session, pushed.alert_id))
        request = _request(
            item,
            now,
            topics,
            kind="update",
            key=f"update:{pushed.alert_id}:{item.title_key}",
            urgency=urgency,
            parent=pushed.alert_id,
        )
        return FollowUpResult(decision, await _create(session, request, clock), settled=True)
    return FollowUpResult(decision, settled=root_urgency.is_breaking and not item.reworded)


def _request(
    item: StoryItem,
    now: datetime,
    topics: tuple[str, ...],
    *,
    kind: str,
    key: str,
    urgency: Urgency | None = None,
    parent: int | None = None,
) -> AlertRequest:
    return AlertRequest(
        headline=item.headline,
        urgency=urgency or item.urgency,
        topics=topics,
        url=item.url,
        article_id=item.article_id,
        source_name=item.source_name,
        published_at=item.published_at,
        detected_at=now,
        idempotency_key=key,
        kind=kind,
        parent_alert_id=parent,
    )


async def _create(session: AsyncSession, request: AlertRequest, clock: Clock) -> int | None:
    planned = await create_alert(session, request, clock)
    if not planned.created:  # pushed already (a repeated poll, another process): never twice
        return None
    await plan_deliveries(session, planned.alert_id, clock)
    return planned.alert_id


async def _pushed(session: AsyncSession, root_id: int) -> PushedStory | None:
    story = select(Article.id).where(or_(Article.id == root_id, Article.story_id == root_id))
    first = await session.scalar(
        select(Alert)
        .where(
            Alert.article_id.in_(story),
            Alert.kind.in_(PUSH_KINDS),
            Alert.urgency != Urgency.NORMAL.value,
        )
        .order_by(Alert.id)
        .limit(1)
    )
    if first is None:
        return None
    last_update = await session.scalar(
        select(Alert.headline)
        .where(Alert.parent_alert_id == first.id, Alert.kind == "update")
        .order_by(Alert.id.desc())
        .limit(1)
    )
    state = AlertState(first.state)
    seen = last_update or (first.correction_text if state is AlertState.CORRECTED else None) or first.headline
    return PushedStory(
        alert_id=first.id,
        source_name=first.source_name,
        urgency=Urgency(first.urgency),
        retracted=state is AlertState.RETRACTED,
        last_headline=seen,
    )


async def _topic_slugs(session: AsyncSession, article_id: int) -> list[str]:
    rows = await session.scalars(
        select(Topic.slug)
        .join(article_topics, article_topics.c.topic_id == Topic.id)
        .where(article_topics.c.article_id == article_id)
        .order_by(Topic.id)
    )
    return list(rows)


async def _alert_topics(session: AsyncSession, alert_id: int) -> list[Topic]:
    alert = await session.get(Alert, alert_id)
    return [] if alert is None else list(alert.topics)


__all__ = [
    "Action",
    "FollowUp",
    "FollowUpResult",
    "PushedStory",
    "StoryFacts",
    "StoryItem",
    "decide_followup",
    "follow_up",
]
