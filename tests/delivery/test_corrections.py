"""Corrections and retractions (bot.services.corrections) applied by the sender through the emulator,
on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest

from bot.domain import AlertState, DeliveryStatus, Urgency
from bot.exceptions import NotFound, ValidationError
from bot.services.corrections import correct_alert, delivery_progress, retract_alert
from tests.delivery.conftest import World


async def _correct(world: World, alert_id: int, text: str) -> int:
    async with world.sessionmaker() as session, session.begin():
        return await correct_alert(session, alert_id, text, clock=world.clock)


async def _retract(world: World, alert_id: int) -> int:
    async with world.sessionmaker() as session, session.begin():
        return await retract_alert(session, alert_id, clock=world.clock)


async def _progress(world: World, alert_id: int):  # type: ignore[no-untyped-def]
    async with world.sessionmaker() as session:
        return await delivery_progress(session, alert_id)


async def test_a_correction_edits_every_sent_copy_in_each_language_keeping_the_button(world: World) -> None:
    await world.subscribers([1, 2], language="ar")
    await world.subscribers([3], language="en")
    alert_id = await world.alert("عدد الضحايا 10", url="https://news.example/a/1", article_id=None)
    await world.sender().run_until_idle()
    assert await _correct(world, alert_id, "عدد الضحايا 12") == 3
    progress = await _progress(world, alert_id)
    assert (progress.sent, progress.edits_pending, progress.edits_done) == (3, 3, 0)

    await world.sender().run_until_idle()
    for chat in (1, 2, 3):
        [message] = world.emulator.bot_messages(chat)
        assert message.edit_date is not None and "عدد الضحايا 12" in (message.text or "")
        assert message.reply_markup is not None  # the "source" button survives the edit
        assert len(message.history) == 2 and "عدد الضحايا 10" in (message.history[0].text or "")
    assert "✏️ تصحيح" in (world.emulator.bot_messages(1)[0].text or "")
    assert "✏️ Corrected" in (world.emulator.bot_messages(3)[0].text or "")
    progress = await _progress(world, alert_id)
    assert (progress.edits_pending, progress.edits_done, progress.edits_failed) == (0, 3, 0)
    assert progress.first_sent_at is not None and progress.last_sent_at is not None


async def test_a_correction_before_sending_makes_the_pending_copies_carry_the_corrected_text(
    world: World,
) -> None:
    await world.subscribers([1, 2])
    alert_id = await world.alert("خطأ")
    assert await _correct(world, alert_id, "صواب") == 0
    await world.sender().run_until_idle()
    for chat in (1, 2):
        [message] = world.emulator.bot_messages(chat)
        assert "صواب" in (message.text or "") and "خطأ" not in (message.text or "")
        assert message.edit_date is None
    progress = await _progress(world, alert_id)
    assert (progress.sent, progress.edits_pending, progress.edits_done) == (2, 0, 0)


async def test_message_is_not_modified_counts_as_done(world: World) -> None:
    await world.subscribers([1])
    alert_id = await world.alert("نص")
    await world.sender().run_until_idle()
    await _correct(world, alert_id, "نص جديد")
    await world.sender().run_until_idle()
    await _correct(world, alert_id, "نص جديد")  # the same text again: Telegram says "not modified"
    await world.sender().run_until_idle()
    edits = [c for c in world.emulator.calls if c.method == "editMessageText"]
    assert [c.status for c in edits] == [200, 400]
    assert (await _progress(world, alert_id)).edits_done == 1


async def test_a_retraction_deletes_young_copies_and_cancels_unsent_ones(world: World) -> None:
    await world.subscribers([1, 2, 3])
    world.emulator.set_blocked(3, True)
    alert_id = await world.alert("شائعة")
    await world.sender().run_until_idle()
    await world.subscribers([4])  # planned later, still pending at retraction
    async with world.sessionmaker() as session, session.begin():
        from bot.services.alerts import plan_deliveries

        assert await plan_deliveries(session, alert_id, world.clock) == 1
    assert await _retract(world, alert_id) == 2
    assert await _retract(world, alert_id) == 0  # twice is harmless
    await world.sender().run_until_idle()
    for chat in (1, 2):
        [message] = world.emulator.bot_messages(chat)
        assert message.deleted
    assert world.emulator.bot_messages(4) == []
    progress = await _progress(world, alert_id)
    assert (progress.sent, progress.failed, progress.cancelled, progress.edits_done) == (2, 1, 1, 2)


async def test_a_retraction_after_48_hours_edits_the_copy_into_a_notice(world: World) -> None:
    await world.subscribers([1], language="ar")
    await world.subscribers([2], language="en")
    alert_id = await world.alert("خبر كاذب", url="https://news.example/x")
    await world.sender().run_until_idle()
    await world.tg.advance_time(49 * 3600)
    world.clock.advance(49 * 3600)
    assert await _retract(world, alert_id) == 2
    await world.sender().run_until_idle()
    ar, en = world.emulator.bot_messages(1)[0], world.emulator.bot_messages(2)[0]
    assert not ar.deleted and not en.deleted
    assert (ar.text or "").startswith("❌ سُحب هذا الخبر") and "خبر كاذب" in (ar.text or "")
    assert (en.text or "").startswith("❌ This alert was retracted")
    assert ar.reply_markup is None  # buttons removed
    assert any(e["type"] == "strikethrough" for e in ar.entities)
    assert not [c for c in world.emulator.calls if c.method == "deleteMessage"]
    assert (await _progress(world, alert_id)).edits_done == 2


async def test_when_telegram_refuses_the_delete_the_copy_is_edited_instead(world: World) -> None:
    await world.subscribers([1])
    alert_id = await world.alert("خبر")
    await world.sender().run_until_idle()
    await world.tg.advance_time(49 * 3600)  # Telegram's clock says 49 h; ours still says "young"
    await _retract(world, alert_id)
    await world.sender().run_until_idle()
    [message] = world.emulator.bot_messages(1)
    assert not message.deleted and (message.text or "").startswith("❌")
    assert [c.status for c in world.emulator.calls if c.method == "deleteMessage"] == [400]


async def test_failed_edits_are_stored_per_copy_with_the_reason(world: World) -> None:
    await world.subscribers([1, 2, 3])
    alert_id = await world.alert("خبر")
    await world.sender().run_until_idle()
    world.emulator.set_blocked(2, True)
    world.emulator.chats[3].messages[1].deleted = True  # the user cleared the chat
    await _correct(world, alert_id, "خبر مصحح")
    await world.sender().run_until_idle()
    rows = {r.chat_id: r for r in await world.deliveries(alert_id)}
    assert rows[1].edit_state == "done"
    assert (rows[2].edit_state, rows[2].error) == ("failed", "Forbidden: bot was blocked by the user")
    assert (rows[3].edit_state, rows[3].error) == ("failed", "Bad Request: message to edit not found")
    assert rows[2].status is DeliveryStatus.SENT  # the send itself stays a success
    progress = await _progress(world, alert_id)
    assert (progress.edits_done, progress.edits_failed) == (1, 2)
    subscriber = await world.subscriber(2)
    assert subscriber is not None and not subscriber.active


async def test_edits_are_retried_after_5xx_and_go_through_the_limiters(world: World) -> None:
    await world.subscribers([1])
    alert_id = await world.alert("خبر")
    await world.sender().run_until_idle()
    await world.tg.inject("server_error", method="editMessageText")
    await _correct(world, alert_id, "خبر مصحح")
    await world.sender().run_until_idle()
    [row] = await world.deliveries(alert_id)
    assert (row.edit_state, row.attempts, row.error) == ("pending", 1, "Internal Server Error")
    world.clock.advance(3)
    await world.sender().run_until_idle()
    [row] = await world.deliveries(alert_id)
    assert row.edit_state == "done"


async def test_correcting_validates_its_input(world: World) -> None:
    alert_id = await world.alert("خبر", Urgency.FLASH)
    with pytest.raises(ValidationError):
        await _correct(world, alert_id, "   ")
    with pytest.raises(NotFound):
        await _correct(world, alert_id + 1000, "x")
    await _retract(world, alert_id)
    with pytest.raises(ValidationError):
        await _correct(world, alert_id, "too late")
    with pytest.raises(NotFound):
        await _progress(world, alert_id + 1000)
    async with world.sessionmaker() as session:
        from bot.db.models import Alert

        alert = await session.get(Alert, alert_id)
        assert alert is not None and alert.state is AlertState.RETRACTED and alert.retracted_at is not None
