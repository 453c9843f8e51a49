"""/correct and /retract: find the alert, call the corrections service, follow the edits live.

The alert is found from a reply (to its preview or status message, remembered in ``editor_messages``
by :func:`bot.services.editor_alerts.find_alert_for_message`) or from a leading id (``/correct 42 …``,
``/retract #42``). ``/correct`` without text asks for it (:class:`~handlers.editor_flow.CorrectForm`).
The length rule is the corrections service's own (:data:`bot.services.corrections.MAX_CORRECTION`);
the handler checks it first only to answer with the same precise message a too-long draft gets.
Progress is shown in a new status message, edited live by the :class:`~bot.workers.progress.ProgressTracker`.
"""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import Command, CommandObject
from aiogram.fsm.context import FSMContext
from aiogram.types import Message
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import Clock
from bot.delivery.sender import Sender
from bot.exceptions import NotFound, ValidationError
from bot.i18n import t
from bot.services.corrections import MAX_CORRECTION
from bot.services.editor_alerts import StoredAlert, change_alert, find_alert_for_message, get_alert
from bot.services.editors import EditorInfo
from bot.services.progress import TrackedChange
from bot.workers.progress import ProgressTracker
from handlers.editor_flow import (
    CorrectForm,
    EditorTurn,
    PendingCorrection,
    escaped,
    load_correction,
    save_correction,
)
from handlers.editor_gate import Hook

router = Router(name=__name__)
router.message.filter(F.chat.type == "private")


async def _resolve(session: AsyncSession, message: Message, args: str | None) -> tuple[int | None, str]:
    """(alert id, remaining text) from a reply to a preview/status message or a leading id."""
    rest = (args or "").strip()
    reply = message.reply_to_message
    if reply is not None and reply.from_user is not None and reply.from_user.is_bot:
        found = await find_alert_for_message(session, message.chat.id, reply.message_id)
        if found is not None:
            return found, rest
    head, _, tail = rest.partition(" ")
    token = head.lstrip("#")
    if token.isdigit():
        return int(token), tail.strip()
    return None, rest


async def _load(
    turn: EditorTurn, message: Message, alert_id: int | None, usage_key: str, action: str
) -> StoredAlert | None:
    """The alert, or ``None`` after telling the editor (and the audit log) why not."""
    if alert_id is None:
        key = "editor.alert.unknown_reply" if message.reply_to_message is not None else usage_key
        await turn.audit(action, "invalid")
        turn.reply(message, key, usage=t(usage_key, turn.lang))
        return None
    try:
        return await get_alert(turn.session, alert_id)
    except NotFound:
        await turn.audit(action, "not_found", target=f"alert:{alert_id}")
        turn.reply(message, "editor.alert.not_found", id=alert_id)
        return None


@router.message(Command("correct"))
async def correct_command(
    message: Message,
    command: CommandObject,
    session: AsyncSession,
    clock: Clock,
    lang: str,
    editor: EditorInfo,
    state: FSMContext,
    sender: Sender,
    progress: ProgressTracker,
    after_commit: list[Hook],
) -> None:
    turn = EditorTurn(session, clock, lang, editor, after_commit)
    await state.clear()
    alert_id, text = await _resolve(session, message, command.args)
    alert = await _load(turn, message, alert_id, "editor.correct.usage", "alert.correct")
    if alert is None:
        return
    if not text:
        await state.set_state(CorrectForm.text)
        await save_correction(state, PendingCorrection(alert_id=alert.id))
        turn.reply(message, "editor.correct.prompt", id=alert.id)
        return
    await _correct(turn, message, alert, text, sender, progress)


@router.message(CorrectForm.text, F.text, ~F.text.startswith("/"))
async def correct_text(
    message: Message,
    session: AsyncSession,
    clock: Clock,
    lang: str,
    editor: EditorInfo,
    state: FSMContext,
    sender: Sender,
    progress: ProgressTracker,
    after_commit: list[Hook],
) -> None:
    turn = EditorTurn(session, clock, lang, editor, after_commit)
    pending = await load_correction(state)
    await state.clear()
    alert_id = pending.alert_id if pending is not None else None
    alert = await _load(turn, message, alert_id, "editor.correct.usage", "alert.correct")
    if alert is not None:
        await _correct(turn, message, alert, message.text or "", sender, progress)


async def _correct(
    turn: EditorTurn,
    message: Message,
    alert: StoredAlert,
    text: str,
    sender: Sender,
    progress: ProgressTracker,
) -> None:
    text = text.strip()
    if len(text) > MAX_CORRECTION:  # the push would cut it; refuse instead, as for a new alert
        await turn.audit(
            "alert.correct", "invalid", target=f"alert:{alert.id}", details={"reason": "too long"}
        )
        turn.reply(message, "editor.draft.headline_too_long", length=len(text), limit=MAX_CORRECTION)
        return
    await _change(turn, message, alert.id, text, sender, progress)


@router.message(Command("retract"))
async def retract_command(
    message: Message,
    command: CommandObject,
    session: AsyncSession,
    clock: Clock,
    lang: str,
    editor: EditorInfo,
    state: FSMContext,
    sender: Sender,
    progress: ProgressTracker,
    after_commit: list[Hook],
) -> None:
    turn = EditorTurn(session, clock, lang, editor, after_commit)
    await state.clear()
    alert_id, _ = await _resolve(session, message, command.args)
    alert = await _load(turn, message, alert_id, "editor.retract.usage", "alert.retract")
    if alert is None:
        return
    await _change(turn, message, alert.id, None, sender, progress)


async def _change(
    turn: EditorTurn,
    message: Message,
    alert_id: int,
    correction: str | None,
    sender: Sender,
    progress: ProgressTracker,
) -> None:
    """Correct (text given) or retract, then follow the edits live in a new status message."""
    try:
        copies = await change_alert(
            turn.session,
            alert_id,
            correction=correction,
            actor=turn.editor.telegram_id,
            clock=turn.clock,
            details={"chat_id": message.chat.id},
        )
    except (ValidationError, NotFound) as e:
        turn.reply(message, "editor.alert.rejected", reason=str(e))
        return
    change = TrackedChange.RETRACT if correction is None else TrackedChange.CORRECT
    started = t(f"editor.{change.value}.started", turn.lang, id=alert_id, count=copies)
    lang = turn.lang

    async def follow() -> None:
        sender.wake()
        status = await message.answer(escaped(started))
        progress.track(
            alert_id, operation=change, chat_id=status.chat.id, message_id=status.message_id, lang=lang
        )

    turn.later(follow)


__all__ = ["router"]
