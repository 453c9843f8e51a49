"""Column types: aware UTC times, enums, closed vocabularies, JSON and 64-bit Telegram ids round-trip."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import StatementError
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import Alert, AuditLog, Delivery, Source, Subscriber
from bot.domain import AlertState, ChatKind, DeliveryStatus, Urgency

RIYADH = timezone(timedelta(hours=3))


async def test_aware_time_in_any_zone_reads_back_as_the_same_instant_in_utc(session: AsyncSession) -> None:
    local = datetime(2026, 3, 1, 9, 30, 15, 123456, tzinfo=RIYADH)
    session.add(Alert(headline="عاجل", urgency=Urgency.URGENT, detected_at=local, published_at=local))
    await session.commit()
    session.expunge_all()

    alert = (await session.scalars(select(Alert))).one()
    assert alert.detected_at == local
    assert alert.detected_at.tzinfo is UTC
    assert alert.detected_at.hour == 6
    assert alert.detected_at.microsecond == 123456


async def test_server_default_timestamps_read_back_aware(session: AsyncSession) -> None:
    session.add(Subscriber(chat_id=5, kind=ChatKind.PRIVATE))
    await session.commit()
    session.expunge_all()

    subscriber = (await session.scalars(select(Subscriber))).one()
    assert subscriber.created_at.tzinfo is UTC
    assert subscriber.updated_at.tzinfo is UTC


async def test_naive_datetime_is_refused_on_write(session: AsyncSession) -> None:
    session.add(Alert(headline="x", urgency=Urgency.NORMAL, detected_at=datetime(2026, 1, 1, 12, 0)))
    with pytest.raises(StatementError, match="naive datetime"):
        await session.flush()


async def test_naive_datetime_is_refused_in_a_comparison(session: AsyncSession) -> None:
    with pytest.raises(StatementError, match="naive datetime"):
        await session.execute(select(Alert).where(Alert.detected_at < datetime(2026, 1, 1)))


async def test_time_comparisons_in_sql_follow_the_instant_not_the_wall_clock(session: AsyncSession) -> None:
    """11:00+03:00 is before 09:00Z; stored as UTC, SQL ordering (also SQLite's text) agrees."""
    early = datetime(2026, 1, 1, 11, 0, tzinfo=RIYADH)  # 08:00Z
    late = datetime(2026, 1, 1, 9, 0, tzinfo=UTC)
    session.add_all(
        [
            Alert(headline="late", urgency=Urgency.NORMAL, detected_at=late),
            Alert(headline="early", urgency=Urgency.NORMAL, detected_at=early),
        ]
    )
    await session.commit()
    cutoff = datetime(2026, 1, 1, 8, 30, tzinfo=UTC)
    before = (await session.scalars(select(Alert.headline).where(Alert.detected_at < cutoff))).all()
    ordered = (await session.scalars(select(Alert.headline).order_by(Alert.detected_at))).all()
    assert before == ["early"]
    assert ordered == ["early", "late"]


async def test_enums_are_stored_as_their_short_value_and_read_back_as_members(session: AsyncSession) -> None:
    session.add(Alert(headline="x", urgency=Urgency.FLASH, detected_at=datetime(2026, 1, 1, tzinfo=UTC)))
    await session.commit()

    raw = (await session.execute(text("SELECT urgency, state FROM alerts"))).one()
    assert tuple(raw) == ("flash", "active")
    alert = (await session.scalars(select(Alert))).one()
    await session.refresh(alert)
    assert alert.urgency is Urgency.FLASH
    assert alert.state is AlertState.ACTIVE


async def test_unknown_enum_value_is_refused_on_write(session: AsyncSession) -> None:
    session.add(Source(name="s", kind="telepathy", url="https://s.example"))  # type: ignore[arg-type]
    with pytest.raises(StatementError, match="not a SourceKind"):
        await session.flush()


async def test_language_outside_the_closed_set_is_refused(session: AsyncSession) -> None:
    session.add(Subscriber(chat_id=1, kind=ChatKind.PRIVATE, language="fr"))
    with pytest.raises(StatementError, match="not one of ar, en"):
        await session.flush()


async def test_telegram_ids_beyond_32_bits_and_json_with_arabic_round_trip(session: AsyncSession) -> None:
    chat_id = -1_001_234_567_890
    details = {"headline": "عاجل | زلزال", "topics": ["سياسة", "world"], "n": 3}
    session.add_all(
        [
            Subscriber(chat_id=chat_id, kind=ChatKind.SUPERGROUP, title="غرفة الأخبار"),
            AuditLog(actor_telegram_id=9_876_543_210, action="alert.send", result="ok", details=details),
        ]
    )
    await session.commit()
    session.expunge_all()

    subscriber = (await session.scalars(select(Subscriber))).one()
    entry = (await session.scalars(select(AuditLog))).one()
    assert subscriber.chat_id == chat_id
    assert subscriber.kind is ChatKind.SUPERGROUP
    assert subscriber.language == "ar" and subscriber.timezone == "UTC"
    assert entry.actor_telegram_id == 9_876_543_210
    assert entry.details == details


async def test_python_defaults_fill_a_new_delivery(session: AsyncSession) -> None:
    alert = Alert(headline="x", urgency=Urgency.URGENT, detected_at=datetime(2026, 1, 1, tzinfo=UTC))
    session.add(alert)
    await session.flush()
    delivery = Delivery(alert_id=alert.id, chat_id=1, priority=Urgency.URGENT.rank)
    session.add(delivery)
    await session.commit()

    assert delivery.status is DeliveryStatus.PENDING
    assert delivery.thread_id == 0
    assert delivery.attempts == 0
    assert delivery.next_attempt_at.tzinfo is UTC  # server defaults come back with the INSERT
    assert delivery.created_at.tzinfo is UTC
