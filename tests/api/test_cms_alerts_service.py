"""The CMS's idempotency service (bot/services/cms_alerts.py), below HTTP, on both engines.

The HTTP behaviour is tested end to end in test_cms_api.py; here the outcomes themselves: a new alert,
a replay that plans nothing, a conflict for a changed request, and the first unknown topic named by
its index — reported by the one seam that checks topics (create_alert), not by a second check.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import FrozenClock
from bot.db.models import Alert, Topic
from bot.domain import Urgency
from bot.services.cms_alerts import (
    Accepted,
    CmsAlert,
    KeyConflict,
    UnknownTopic,
    same_request,
    stored_key,
    submit_alert,
)
from bot.services.editor_alerts import get_alert

CLOCK = FrozenClock(datetime(2026, 3, 1, 12, 0, tzinfo=UTC))
REQUEST = CmsAlert(
    headline="زلزال بقوة 6 درجات",
    body=None,
    url="https://news.example/quake",
    urgency=Urgency.FLASH,
    topics=("world", "politics"),
)


async def _topics(session: AsyncSession) -> None:
    session.add_all(
        [
            Topic(slug="world", name_ar="العالم", name_en="World"),
            Topic(slug="politics", name_ar="سياسة", name_en="Politics"),
        ]
    )
    await session.flush()


async def _alerts(session: AsyncSession) -> int:
    return int(await session.scalar(select(func.count()).select_from(Alert)) or 0)


async def test_a_key_gives_one_alert_replays_the_same_request_and_refuses_another(
    session: AsyncSession,
) -> None:
    await _topics(session)
    first = await submit_alert(session, REQUEST, client_key="story-1", clock=CLOCK)
    assert isinstance(first, Accepted) and not first.replayed
    again = await submit_alert(session, REQUEST, client_key="story-1", clock=CLOCK)
    assert again == Accepted(first.alert_id, first.recipients, replayed=True)
    reordered = CmsAlert(REQUEST.headline, None, REQUEST.url, Urgency.FLASH, ("politics", "world"))
    assert await submit_alert(session, reordered, client_key="story-1", clock=CLOCK) == Accepted(
        first.alert_id, first.recipients, replayed=True
    )  # the topic set, not its order
    louder = CmsAlert(REQUEST.headline, None, REQUEST.url, Urgency.URGENT, REQUEST.topics)
    assert await submit_alert(session, louder, client_key="story-1", clock=CLOCK) == KeyConflict(
        first.alert_id
    )
    assert await _alerts(session) == 1
    stored = await get_alert(session, first.alert_id)
    assert same_request(stored, REQUEST) and not same_request(stored, louder)
    row = await session.get(Alert, first.alert_id)
    assert row is not None and row.idempotency_key == stored_key("story-1") == "cms:story-1"


async def test_without_a_key_every_request_is_a_new_alert(session: AsyncSession) -> None:
    await _topics(session)
    one = await submit_alert(session, REQUEST, client_key=None, clock=CLOCK)
    two = await submit_alert(session, REQUEST, client_key=None, clock=CLOCK)
    assert isinstance(one, Accepted) and isinstance(two, Accepted) and one.alert_id != two.alert_id
    assert stored_key(None) is None and stored_key("") is None


async def test_the_first_unknown_topic_is_named_by_its_index_and_nothing_is_stored(
    session: AsyncSession,
) -> None:
    await _topics(session)
    request = CmsAlert("عنوان", None, None, Urgency.URGENT, ("world", "sport", "weather"))
    assert await submit_alert(session, request, client_key="k", clock=CLOCK) == UnknownTopic(1, "sport")
    assert await _alerts(session) == 0
