"""The outbox's own rules, called directly (no sender, no Telegram), on SQLite and PostgreSQL.

The sender tests show these rules at work end to end; here each transition of
:mod:`bot.delivery.leases` / :mod:`bot.delivery.outbox` is checked on its own: the claim order, the
lease-owner guard on outcomes, hand-back of dead owners' leases, and cancelling that leaves a live
lease to its sender.
"""

from __future__ import annotations

from datetime import timedelta

from bot.delivery import leases, outbox, outbox_counts
from bot.delivery.leases import JobKind, Outcome
from bot.domain import DeliveryStatus, EditState, Urgency
from bot.services.corrections import correct_alert
from tests.delivery.conftest import World

LEASE = 60.0


async def _claim(world: World, owner: str, room: int = 100) -> list[leases.Claimed]:
    async with world.sessionmaker() as session, session.begin():
        return await leases.claim(session, owner=owner, room=room, now=world.clock.now(), lease_seconds=LEASE)


async def _record(world: World, *outcomes: Outcome) -> None:
    async with world.sessionmaker() as session, session.begin():
        await leases.record(session, outcomes, world.clock.now())


async def test_claim_takes_edits_first_then_flash_urgent_normal(world: World) -> None:
    await world.subscribers([1], level="all")
    normal = await world.alert("normal", urgency=Urgency.NORMAL)
    urgent = await world.alert("urgent", urgency=Urgency.URGENT)
    corrected = await world.alert("to correct", urgency=Urgency.URGENT)
    [copy] = [job for job in await _claim(world, "a") if job.alert_id == corrected]
    await _record(world, Outcome(copy, status=DeliveryStatus.SENT, message_id=7, sent_at=world.clock.now()))
    async with world.sessionmaker() as session, session.begin():
        await correct_alert(session, corrected, "corrected", clock=world.clock)
    async with world.sessionmaker() as session, session.begin():  # hand the others back
        await leases.release_leases(session, ["a"], world.clock.now())
    flash = await world.alert("flash", urgency=Urgency.FLASH)

    claimed = await _claim(world, "b")

    assert [(job.kind, job.alert_id) for job in claimed] == [
        (JobKind.EDIT, corrected),
        (JobKind.SEND, flash),
        (JobKind.SEND, urgent),
        (JobKind.SEND, normal),
    ]
    assert claimed[0].message_id == 7 and claimed[1].language == "ar"
    assert await _claim(world, "c") == []  # everything is leased


async def test_an_outcome_from_a_former_lease_owner_is_ignored(world: World) -> None:
    await world.subscribers([1])
    alert_id = await world.alert()
    [first] = await _claim(world, "dead")
    async with world.sessionmaker() as session, session.begin():
        assert await leases.release_leases(session, ["dead"], world.clock.now()) == 1
    [second] = await _claim(world, "alive")

    await _record(world, Outcome(first, status=DeliveryStatus.FAILED, error="too late"))
    [row] = await world.deliveries(alert_id)
    assert (row.status, row.lease_owner, row.error) == (DeliveryStatus.SENDING, "alive", None)

    await _record(world, Outcome(second, status=DeliveryStatus.SENT, message_id=9, sent_at=world.clock.now()))
    [row] = await world.deliveries(alert_id)
    assert (row.status, row.lease_owner, row.telegram_message_id) == (DeliveryStatus.SENT, None, 9)


async def test_a_retry_counts_an_attempt_and_a_hand_back_does_not(world: World) -> None:
    await world.subscribers([1, 2])
    alert_id = await world.alert()
    retried, handed_back = await _claim(world, "a")
    later = world.clock.now() + timedelta(seconds=30)
    await _record(
        world,
        Outcome(retried, status=DeliveryStatus.PENDING, error="Bad Gateway", retry_at=later),
        Outcome(handed_back, status=DeliveryStatus.PENDING, count_attempt=False, release=True),
    )
    rows = {row.id: row for row in await world.deliveries(alert_id)}
    assert (rows[retried.id].attempts, rows[retried.id].next_attempt_at) == (1, later)
    assert rows[handed_back.id].attempts == 0
    assert {row.status for row in rows.values()} == {DeliveryStatus.PENDING}
    assert {row.lease_owner for row in rows.values()} == {None}


async def test_cancelling_a_chat_leaves_a_live_lease_to_its_sender(world: World) -> None:
    await world.subscribers([1])
    leased = await world.alert("leased")
    await _claim(world, "a")
    queued = await world.alert("queued")
    async with world.sessionmaker() as session, session.begin():
        assert await outbox.cancel_pending_for_chat(session, 1, "blocked", world.clock) == 1
    [row] = await world.deliveries(leased)
    assert row.status is DeliveryStatus.SENDING
    [row] = await world.deliveries(queued)
    assert (row.status, row.error) == (DeliveryStatus.CANCELLED, "blocked")


async def test_marking_for_edit_and_progress_counts(world: World) -> None:
    await world.subscribers([1, 2, 3])
    alert_id = await world.alert()
    one, two, three = await _claim(world, "a")
    now = world.clock.now()
    await _record(
        world,
        Outcome(one, status=DeliveryStatus.SENT, message_id=1, sent_at=now),
        Outcome(two, status=DeliveryStatus.FAILED, error="Forbidden"),
    )
    async with world.sessionmaker() as session, session.begin():
        # the sent copy and the one still in flight (sending) are marked; the failed one is not
        assert await outbox.mark_for_edit(session, alert_id, now) == 2
    async with world.sessionmaker() as session:
        progress = await outbox_counts.progress(session, alert_id)
        assert await outbox_counts.count_for_alert(session, alert_id) == 3
        assert await outbox_counts.status_counts(session, [alert_id]) == {
            alert_id: {"sent": 1, "failed": 1, "sending": 1}
        }
    assert (progress.total, progress.sent, progress.failed, progress.pending) == (3, 1, 1, 1)
    assert (progress.edits_pending, progress.first_sent_at) == (1, now)
    states = {row.id: row.edit_state for row in await world.deliveries(alert_id)}
    assert states == {one.id: EditState.PENDING, two.id: None, three.id: EditState.PENDING}
