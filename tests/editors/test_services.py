"""Editor registry, audit log, drafts, send/replay, history and stats — against the database (both engines),
and the pure progress renderer."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import FrozenClock
from bot.db.models import Alert, AuditLog, Subscriber, Subscription, Topic
from bot.domain import Urgency
from bot.exceptions import NotFound, PermissionDenied, ValidationError
from bot.services import editor_alerts, editors
from bot.services.corrections import DeliveryProgress, correct_alert
from bot.services.editor_alerts import Draft, DraftProblem, parse_draft
from bot.services.progress import Snapshot, TrackedChange, bar, render_progress

CLOCK = FrozenClock(datetime(2026, 3, 1, 12, 0, tzinfo=UTC))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Headline", Draft("Headline")),
        ("  Headline \n\n body one \nbody two\n", Draft("Headline", "body one\nbody two")),
        ("Headline\nhttps://x.example/a?b=1&c=2", Draft("Headline", None, "https://x.example/a?b=1&c=2")),
        ("H\nbody\nhttp://x.example", Draft("H", "body", "http://x.example")),
        ("", DraftProblem("editor.draft.empty")),
        ("https://only.example", DraftProblem("editor.draft.only_url")),
        ("x" * 601, DraftProblem("editor.draft.headline_too_long", {"limit": 600, "length": 601})),
        ("h\n" + "y" * 1501, DraftProblem("editor.draft.body_too_long", {"limit": 1500, "length": 1501})),
    ],
)
def test_drafts_are_split_into_headline_body_and_link_or_refused_precisely(
    text: str, expected: object
) -> None:
    assert parse_draft(text) == expected


async def test_seeding_is_idempotent_and_only_admins_manage_editors(session: AsyncSession) -> None:
    assert await editors.seed_editors(session, [11, 11, 12], CLOCK) == 2
    assert await editors.seed_editors(session, [11, 12], CLOCK) == 0
    admin = await editors.get_editor(session, 11)
    assert admin is not None and admin.is_admin
    assert await editors.add_editor(session, 30, by=admin, clock=CLOCK, name="Sara") is True
    assert await editors.add_editor(session, 30, by=admin, clock=CLOCK) is False
    sara = await editors.get_editor(session, 30)
    assert sara is not None and not sara.is_admin and sara.added_by == 11 and sara.label == "Sara"
    with pytest.raises(PermissionDenied):
        await editors.add_editor(session, 31, by=sara, clock=CLOCK)
    with pytest.raises(PermissionDenied):
        await editors.remove_editor(session, 11, by=sara)
    with pytest.raises(ValidationError):
        await editors.remove_editor(session, 11, by=admin)  # yourself
    with pytest.raises(ValidationError):
        await editors.remove_editor(session, 12, by=admin, protected=[11, 12])  # from settings
    with pytest.raises(NotFound):
        await editors.remove_editor(session, 99, by=admin)
    removed = await editors.remove_editor(session, 30, by=admin)
    assert removed.telegram_id == 30 and await editors.get_editor(session, 30) is None
    assert [e.telegram_id for e in await editors.list_editors(session)] == [11, 12]


async def test_the_audit_log_keeps_who_what_when_and_result_with_bounded_details(
    session: AsyncSession,
) -> None:
    await editors.audit(
        session,
        actor=5,
        action="alert.send",
        result="ok",
        clock=CLOCK,
        target="alert:1",
        details={"text": "x" * 2000, "topics": ("a", "b"), "at": CLOCK.now()},
    )
    await editors.audit(session, actor=6, action="cmd:alert", result="refused", clock=CLOCK)
    [refused, sent] = await editors.recent_audit(session)
    assert (refused.actor_telegram_id, refused.action, refused.result) == (6, "cmd:alert", "refused")
    assert sent.created_at == CLOCK.now() and sent.target == "alert:1"
    assert len(sent.details["text"]) == editors.MAX_DETAIL_TEXT and sent.details["topics"] == ["a", "b"]
    assert await editors.count_audit(session, result="refused") == 1


async def _newsroom(session: AsyncSession) -> tuple[int, int]:
    politics = Topic(slug="politics", name_ar="سياسة", name_en="Politics")
    sports = Topic(slug="sports", name_ar="رياضة", name_en="Sports")
    session.add_all([politics, sports])
    await session.flush()
    for chat_id in (101, 102, 103):
        subscriber = Subscriber(
            chat_id=chat_id, kind="private", created_at=CLOCK.now(), updated_at=CLOCK.now()
        )
        session.add(subscriber)
        await session.flush()
        session.add(Subscription(subscriber_id=subscriber.id, topic_id=politics.id, created_at=CLOCK.now()))
        if chat_id == 103:
            session.add(Subscription(subscriber_id=subscriber.id, topic_id=sports.id, created_at=CLOCK.now()))
    await session.flush()
    return politics.id, sports.id


async def test_send_alert_plans_once_per_key_and_marks_it_an_editor_alert(session: AsyncSession) -> None:
    politics, sports = await _newsroom(session)
    assert await editor_alerts.audience(session, [politics, sports], Urgency.URGENT) == 3
    assert await editor_alerts.audience(session, [sports], Urgency.FLASH) == 1
    draft = Draft("Vote tonight", "Details.", "https://news.example/v")
    first = await editor_alerts.send_alert(
        session,
        draft,
        urgency=Urgency.FLASH,
        topic_slugs=["politics"],
        clock=CLOCK,
        idempotency_key="tg:1:2",
        status_chat_id=1,
        status_message_id=2,
        preview_message_id=7,
    )
    again = await editor_alerts.send_alert(
        session, draft, urgency=Urgency.FLASH, topic_slugs=["politics"], clock=CLOCK, idempotency_key="tg:1:2"
    )
    assert (first.created, first.recipients) == (True, 3)
    assert (again.alert_id, again.created, again.recipients) == (first.alert_id, False, 3)
    alert = await session.scalar(select(Alert))
    assert alert is not None and alert.kind == "editor" and alert.status_message_id == 2
    assert await editor_alerts.find_alert_for_message(session, 1, 2) == first.alert_id
    assert await editor_alerts.find_alert_for_message(session, 1, 3) is None
    assert await editor_alerts.find_alert_for_message(session, 1, 7) == first.alert_id  # the preview
    assert await editor_alerts.find_alert_for_message(session, 2, 7) is None  # another chat
    # The audit log is only a record: an entry naming a message does not make it an alert's preview.
    await editors.audit(
        session,
        actor=1,
        action="alert.send",
        result="ok",
        clock=CLOCK,
        target=f"alert:{first.alert_id}",
        details={"chat_id": 1, "preview_message_id": 8},
    )
    assert await editor_alerts.find_alert_for_message(session, 1, 8) is None
    [item] = await editor_alerts.history(session)
    assert (item.alert_id, item.total, item.pending, item.kind) == (first.alert_id, 3, 3, "editor")
    stored = await editor_alerts.get_alert(session, first.alert_id)
    assert stored.topic_slugs == ("politics",) and stored.url == "https://news.example/v"


async def test_preview_view_is_what_the_sender_builds_topics_in_id_order(session: AsyncSession) -> None:
    politics, sports = await _newsroom(session)
    topics = await editor_alerts.topics_by_id(session, [sports, politics])
    view = editor_alerts.preview_view(Draft("H", None, None), Urgency.URGENT, list(reversed(topics)))
    assert view.topic_names == (("سياسة", "Politics"), ("رياضة", "Sports"))
    assert view.source_name is None and view.article_id is None


async def test_newsroom_stats_count_subscribers_per_topic_and_todays_deliveries(
    session: AsyncSession,
) -> None:
    await _newsroom(session)
    await editor_alerts.send_alert(
        session,
        Draft("A"),
        urgency=Urgency.URGENT,
        topic_slugs=["politics"],
        clock=CLOCK,
        idempotency_key=None,
    )
    stats = await editor_alerts.newsroom_stats(session, CLOCK)
    per_topic = {entry.topic.slug: entry.subscribers for entry in stats.topics}
    assert per_topic == {"politics": 3, "sports": 1}
    assert stats.active_subscribers == 3 and stats.alerts_by_kind == {"editor": 1}
    assert (stats.sent, stats.pending, stats.success_rate) == (0, 3, None)
    assert await session.scalar(select(AuditLog.id)) is None  # services never audit on their own


def _progress(**counts: int) -> DeliveryProgress:
    base = dict(
        total=0, sent=0, failed=0, pending=0, cancelled=0, edits_pending=0, edits_done=0, edits_failed=0
    )
    return DeliveryProgress(**{**base, **counts}, first_sent_at=None, last_sent_at=None)  # type: ignore[arg-type]


def test_progress_bar_and_texts_show_counts_rate_eta_and_the_final_summary() -> None:
    assert bar(0, 0, 10) == "▓" * 10 + " 100%"
    assert bar(5, 10, 10) == "▓" * 5 + "░" * 5 + " 50%"
    running = Snapshot(7, TrackedChange.SEND, _progress(total=100, sent=40, failed=2, pending=58), 20.0, 2.0)
    text = render_progress(running, "en")
    assert "Alert #7: sending" in text and "sent 40 · failed 2 · remaining 58" in text
    assert "20.0 msg/s" in text and "about 2.9s left" in text and "▓" in text
    done = Snapshot(7, TrackedChange.SEND, _progress(total=100, sent=98, failed=2), None, 5.0)
    assert "delivery finished" in render_progress(done, "en") and "took 5.0s" in render_progress(done, "en")
    correcting = Snapshot(
        7, TrackedChange.CORRECT, _progress(sent=10, edits_pending=4, edits_done=6, pending=1), None, 1
    )
    assert correcting.remaining == 5 and not correcting.finished
    assert "edited 6 · failed 0 · remaining 5 · of 11" in render_progress(correcting, "en")
    assert "التنبيه #7" in render_progress(running, "ar")
    assert "<" not in render_progress(running, "en").replace("<b>", "").replace("</b>", "").replace(
        "<code>", ""
    ).replace("</code>", "")


def test_an_editors_draft_is_cleaned_like_a_feed_headline() -> None:
    """NUL, BEL and a right-to-left override typed (or pasted) into /alert never reach subscribers."""
    draft = editor_alerts.parse_draft("عاجل\x00 انفجار\u202e في\x07 الميناء\nتفاصيل\u2066 أولية")
    assert isinstance(draft, Draft)
    assert (draft.headline, draft.body) == ("عاجل انفجار في الميناء", "تفاصيل أولية")


async def test_a_correction_is_cleaned_like_a_feed_headline(session: AsyncSession) -> None:
    await _newsroom(session)
    sent = await editor_alerts.send_alert(
        session,
        Draft("Vote tonight", None, None),
        urgency=Urgency.URGENT,
        topic_slugs=["politics"],
        clock=CLOCK,
        idempotency_key="tg:9:9",
    )
    await correct_alert(session, sent.alert_id, "Vote\x00 delayed\u202e to Friday", clock=CLOCK)
    alert = await session.get(Alert, sent.alert_id)
    assert alert is not None and alert.correction_text == "Vote delayed to Friday"
