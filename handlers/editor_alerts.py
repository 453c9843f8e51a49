"""/alert (compose → preview → topics and level → send or cancel), /correct, /retract, /cancel.

The draft lives in aiogram's FSM (per editor, per chat; MemoryStorage): a draft is short-lived and
losing it on a restart only means composing again — nothing is sent until "Send". The flow:

1. ``/alert`` (or ``/alert <text>``) → the editor sends the text: first line headline, further lines
   body, a URL on the last line the link. Bad input is answered precisely and the editor stays in
   the same step.
2. Two messages come back: the **preview** — exactly ``render_alert`` of the view the sender will
   build, with the same markup and options (so it is what subscribers get) — and the **controls**
   (topic toggles, flash/urgent, audience size, Send / Cancel). Toggles edit both.
3. "Send" stores the alert through :func:`bot.services.editor_alerts.send_alert` (idempotency key
   ``tg:<chat>:<controls message>``: a double tap sends once), the controls message becomes the
   alert's status message, and after the commit the sender is woken and the
   :class:`~bot.progress.ProgressTracker` starts editing it live.

/correct and /retract find the alert from a reply (to its preview or status message) or an id, call
the corrections service, and show their progress in a new status message.
"""

from __future__ import annotations

import logging
from typing import Any

from aiogram import Bot, F, Router
from aiogram.exceptions import TelegramBadRequest
from aiogram.filters import Command, CommandObject, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, InaccessibleMessage, Message
from aiogram.utils.formatting import Text
from sqlalchemy.ext.asyncio import AsyncSession

from bot.callbacks import EditorAlertCb
from bot.clock import Clock
from bot.config import Settings
from bot.delivery.render import render_alert
from bot.delivery.sender import Sender
from bot.domain import Urgency
from bot.exceptions import NotFound, ValidationError
from bot.i18n import t
from bot.progress import Operation, ProgressTracker
from bot.services.corrections import MAX_CORRECTION
from bot.services.editor_alerts import (
    EDITOR_LEVELS,
    Draft,
    DraftProblem,
    StoredAlert,
    all_topics,
    audience,
    change_alert,
    find_alert_for_message,
    get_alert,
    parse_draft,
    preview_view,
    send_alert,
    topics_by_id,
)
from bot.services.editors import EditorInfo, audit
from handlers.editor_gate import Hook, answer_later, reply_later
from handlers.editor_ui import draft_controls_text, draft_keyboard

router = Router(name=__name__)
router.message.filter(F.chat.type == "private")
router.callback_query.filter(F.message.chat.type == "private")
log = logging.getLogger(__name__)


class AlertForm(StatesGroup):
    text = State()
    review = State()


class CorrectForm(StatesGroup):
    text = State()


def _escaped(text: str) -> str:
    return Text(text).as_html()


async def _edit_quietly(bot: Bot, **kwargs: Any) -> None:
    """Edit a message; "not modified" (the same content again) is not an error."""
    try:
        await bot.edit_message_text(**kwargs)
    except TelegramBadRequest as e:
        if "not modified" not in e.message.lower():
            raise


# --- /alert --------------------------------------------------------------------------------------


@router.message(Command("alert"))
async def alert_command(
    message: Message,
    command: CommandObject,
    session: AsyncSession,
    clock: Clock,
    lang: str,
    editor: EditorInfo,
    state: FSMContext,
    settings: Settings,
    after_commit: list[Hook],
) -> None:
    await state.clear()
    await audit(session, actor=editor.telegram_id, action="alert.compose", result="ok", clock=clock)
    if command.args:
        await _take_text(message, command.args, session, clock, lang, editor, state, settings, after_commit)
        return
    await state.set_state(AlertForm.text)
    reply_later(after_commit, message, _escaped(t("editor.compose.prompt", lang)))


@router.message(AlertForm.text, F.text, ~F.text.startswith("/"))
async def alert_text(
    message: Message,
    session: AsyncSession,
    clock: Clock,
    lang: str,
    editor: EditorInfo,
    state: FSMContext,
    settings: Settings,
    after_commit: list[Hook],
) -> None:
    await _take_text(message, message.text or "", session, clock, lang, editor, state, settings, after_commit)


@router.message(AlertForm.text, ~F.text)
async def alert_not_text(message: Message, lang: str, after_commit: list[Hook]) -> None:
    reply_later(after_commit, message, _escaped(t("editor.draft.not_text", lang)))


async def _take_text(
    message: Message,
    text: str,
    session: AsyncSession,
    clock: Clock,
    lang: str,
    editor: EditorInfo,
    state: FSMContext,
    settings: Settings,
    after_commit: list[Hook],
) -> None:
    parsed = parse_draft(text)
    if isinstance(parsed, DraftProblem):
        await audit(
            session,
            actor=editor.telegram_id,
            action="alert.draft",
            result="invalid",
            clock=clock,
            details={"problem": parsed.key},
        )
        await state.set_state(AlertForm.text)
        reply_later(after_commit, message, _escaped(t(parsed.key, lang, **parsed.args)))
        return
    topics = await all_topics(session)
    if not topics:
        await state.clear()
        reply_later(after_commit, message, _escaped(t("editor.compose.no_topics_configured", lang)))
        return
    level = Urgency.URGENT
    await state.set_state(AlertForm.review)
    await state.set_data(
        {
            "headline": parsed.headline,
            "body": parsed.body,
            "url": parsed.url,
            "topics": [],
            "level": level.value,
        }
    )
    rendered = render_alert(preview_view(parsed, level, []), lang=lang, tz=settings.tz)
    controls = draft_controls_text(topics, [], level, 0, lang)
    keyboard = draft_keyboard(topics, [], level, lang)

    async def show() -> None:
        preview = await message.answer(
            rendered.text,
            parse_mode="HTML",
            reply_markup=rendered.reply_markup,
            disable_notification=rendered.disable_notification,
            link_preview_options=rendered.link_preview,
        )
        panel = await message.answer(controls, reply_markup=keyboard)
        await state.update_data(preview_id=preview.message_id, control_id=panel.message_id)

    after_commit.append(show)


@router.callback_query(EditorAlertCb.filter())
async def draft_button(
    query: CallbackQuery,
    callback_data: EditorAlertCb,
    session: AsyncSession,
    clock: Clock,
    lang: str,
    editor: EditorInfo,
    state: FSMContext,
    settings: Settings,
    bot: Bot,
    sender: Sender,
    progress: ProgressTracker,
    after_commit: list[Hook],
) -> None:
    message = query.message
    data = await state.get_data()
    current = await state.get_state()
    if (
        message is None
        or isinstance(message, InaccessibleMessage)
        or current != AlertForm.review.state
        or data.get("control_id") != message.message_id
    ):
        answer_later(after_commit, query, t("editor.compose.expired", lang), show_alert=True)
        return
    chat_id = message.chat.id
    action = callback_data.action
    if action == "no":
        await state.clear()
        await audit(session, actor=editor.telegram_id, action="alert.cancel", result="ok", clock=clock)

        async def cancelled() -> None:
            await _edit_quietly(
                bot,
                chat_id=chat_id,
                message_id=message.message_id,
                text=_escaped(t("editor.compose.cancelled", lang)),
            )
            await query.answer()

        after_commit.append(cancelled)
        return
    selected: list[int] = list(data.get("topics") or [])
    level = Urgency(data.get("level") or Urgency.URGENT.value)
    draft = Draft(headline=data["headline"], body=data.get("body"), url=data.get("url"))
    if action == "ok":
        await _send(
            query,
            message,
            data,
            draft,
            level,
            selected,
            session,
            clock,
            lang,
            editor,
            state,
            sender,
            progress,
            after_commit,
        )
        return
    topics = await all_topics(session)
    if action == "t":
        if callback_data.value not in {topic.id for topic in topics}:
            answer_later(after_commit, query, t("callback.stale", lang), show_alert=True)
            return
        if callback_data.value in selected:
            selected.remove(callback_data.value)
        else:
            selected.append(callback_data.value)
    elif action == "l":
        chosen = next((option for option in EDITOR_LEVELS if option.rank == callback_data.value), None)
        if chosen is None:
            answer_later(after_commit, query, t("callback.stale", lang), show_alert=True)
            return
        level = chosen
    else:
        answer_later(after_commit, query, t("callback.stale", lang), show_alert=True)
        return
    await state.update_data(topics=selected, level=level.value)
    reach = await audience(session, selected, level)
    chosen_topics = [topic for topic in topics if topic.id in set(selected)]
    rendered = render_alert(preview_view(draft, level, chosen_topics), lang=lang, tz=settings.tz)
    controls = draft_controls_text(topics, selected, level, reach, lang)
    keyboard = draft_keyboard(topics, selected, level, lang)
    preview_id = data.get("preview_id")

    async def refresh() -> None:
        if preview_id is not None:
            await _edit_quietly(
                bot,
                chat_id=chat_id,
                message_id=preview_id,
                text=rendered.text,
                parse_mode="HTML",
                reply_markup=rendered.reply_markup,
                link_preview_options=rendered.link_preview,
            )
        await _edit_quietly(
            bot, chat_id=chat_id, message_id=message.message_id, text=controls, reply_markup=keyboard
        )
        await query.answer()

    after_commit.append(refresh)


async def _send(
    query: CallbackQuery,
    message: Message,
    data: dict[str, Any],
    draft: Draft,
    level: Urgency,
    selected: list[int],
    session: AsyncSession,
    clock: Clock,
    lang: str,
    editor: EditorInfo,
    state: FSMContext,
    sender: Sender,
    progress: ProgressTracker,
    after_commit: list[Hook],
) -> None:
    topics = await topics_by_id(session, selected)
    if not topics:
        answer_later(after_commit, query, t("editor.compose.pick_topic", lang), show_alert=True)
        return
    chat_id = message.chat.id
    sent = await send_alert(
        session,
        draft,
        urgency=level,
        topic_slugs=[topic.slug for topic in topics],
        clock=clock,
        idempotency_key=f"tg:{chat_id}:{message.message_id}",
        editor_id=editor.id,
        status_chat_id=chat_id,
        status_message_id=message.message_id,
        preview_message_id=data.get("preview_id"),
    )
    await state.clear()
    if not sent.created:
        await audit(
            session,
            actor=editor.telegram_id,
            action="alert.send",
            target=f"alert:{sent.alert_id}",
            result="duplicate",
            clock=clock,
        )
        answer_later(after_commit, query, t("editor.compose.already_sent", lang, id=sent.alert_id))
        return
    await audit(
        session,
        actor=editor.telegram_id,
        action="alert.send",
        target=f"alert:{sent.alert_id}",
        result="ok",
        clock=clock,
        details={
            "chat_id": chat_id,
            "preview_message_id": data.get("preview_id"),
            "status_message_id": message.message_id,
            "recipients": sent.recipients,
            "urgency": level.value,
            "topics": [topic.slug for topic in topics],
            "headline": draft.headline,
        },
    )
    alert_id, count = sent.alert_id, sent.recipients

    async def go() -> None:
        sender.wake()
        progress.track(alert_id, lang=lang)
        await query.answer(t("editor.compose.sent", lang, id=alert_id, count=count))

    after_commit.append(go)


@router.message(Command("cancel"), StateFilter(AlertForm, CorrectForm))
async def cancel_command(
    message: Message,
    session: AsyncSession,
    clock: Clock,
    lang: str,
    editor: EditorInfo,
    state: FSMContext,
    bot: Bot,
    after_commit: list[Hook],
) -> None:
    data = await state.get_data()
    await state.clear()
    await audit(session, actor=editor.telegram_id, action="alert.cancel", result="ok", clock=clock)
    control_id = data.get("control_id")
    chat_id = message.chat.id
    text = _escaped(t("editor.compose.cancelled", lang))

    async def done() -> None:
        if control_id is not None:
            await _edit_quietly(bot, chat_id=chat_id, message_id=control_id, text=text)
        await message.answer(text)

    after_commit.append(done)


# --- /correct and /retract -----------------------------------------------------------------------


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
    session: AsyncSession,
    alert_id: int | None,
    usage_key: str,
    message: Message,
    lang: str,
    after_commit: list[Hook],
    editor: EditorInfo,
    action: str,
    clock: Clock,
) -> StoredAlert | None:
    if alert_id is None:
        key = "editor.alert.unknown_reply" if message.reply_to_message is not None else usage_key
        await audit(session, actor=editor.telegram_id, action=action, result="invalid", clock=clock)
        reply_later(after_commit, message, _escaped(t(key, lang, usage=t(usage_key, lang))))
        return None
    try:
        return await get_alert(session, alert_id)
    except NotFound:
        await audit(
            session,
            actor=editor.telegram_id,
            action=action,
            target=f"alert:{alert_id}",
            result="not_found",
            clock=clock,
        )
        reply_later(after_commit, message, _escaped(t("editor.alert.not_found", lang, id=alert_id)))
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
    await state.clear()
    alert_id, text = await _resolve(session, message, command.args)
    alert = await _load(
        session, alert_id, "editor.correct.usage", message, lang, after_commit, editor, "alert.correct", clock
    )
    if alert is None:
        return
    if not text:
        await state.set_state(CorrectForm.text)
        await state.set_data({"alert_id": alert.id})
        reply_later(after_commit, message, _escaped(t("editor.correct.prompt", lang, id=alert.id)))
        return
    await _correct(message, alert, text, session, clock, lang, editor, sender, progress, after_commit)


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
    data = await state.get_data()
    await state.clear()
    alert = await _load(
        session,
        data.get("alert_id"),
        "editor.correct.usage",
        message,
        lang,
        after_commit,
        editor,
        "alert.correct",
        clock,
    )
    if alert is not None:
        await _correct(
            message, alert, message.text or "", session, clock, lang, editor, sender, progress, after_commit
        )


async def _correct(
    message: Message,
    alert: StoredAlert,
    text: str,
    session: AsyncSession,
    clock: Clock,
    lang: str,
    editor: EditorInfo,
    sender: Sender,
    progress: ProgressTracker,
    after_commit: list[Hook],
) -> None:
    text = text.strip()
    target = f"alert:{alert.id}"
    if len(text) > MAX_CORRECTION:  # the push would cut it; refuse instead, as for a new alert
        await audit(
            session,
            actor=editor.telegram_id,
            action="alert.correct",
            target=target,
            result="invalid",
            clock=clock,
            details={"reason": "too long"},
        )
        reply_later(
            after_commit,
            message,
            _escaped(t("editor.draft.headline_too_long", lang, length=len(text), limit=MAX_CORRECTION)),
        )
        return
    await _change(message, alert.id, text, session, clock, lang, editor, sender, progress, after_commit)


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
    await state.clear()
    alert_id, _ = await _resolve(session, message, command.args)
    alert = await _load(
        session, alert_id, "editor.retract.usage", message, lang, after_commit, editor, "alert.retract", clock
    )
    if alert is None:
        return
    await _change(message, alert.id, None, session, clock, lang, editor, sender, progress, after_commit)


async def _change(
    message: Message,
    alert_id: int,
    correction: str | None,
    session: AsyncSession,
    clock: Clock,
    lang: str,
    editor: EditorInfo,
    sender: Sender,
    progress: ProgressTracker,
    after_commit: list[Hook],
) -> None:
    """Correct (text given) or retract, then follow the edits live in a new status message."""
    try:
        copies = await change_alert(
            session,
            alert_id,
            correction=correction,
            actor=editor.telegram_id,
            clock=clock,
            details={"chat_id": message.chat.id},
        )
    except (ValidationError, NotFound) as e:
        reply_later(after_commit, message, _escaped(t("editor.alert.rejected", lang, reason=str(e))))
        return
    operation = Operation.RETRACT if correction is None else Operation.CORRECT
    started = t(f"editor.{operation.value}.started", lang, id=alert_id, count=copies)
    _follow(message, alert_id, operation, started, lang, sender, progress, after_commit)


def _follow(
    message: Message,
    alert_id: int,
    operation: Operation,
    text: str,
    lang: str,
    sender: Sender,
    progress: ProgressTracker,
    after_commit: list[Hook],
) -> None:
    """After commit: wake the sender, post a status message, and follow the edits live in it."""

    async def go() -> None:
        sender.wake()
        status = await message.answer(_escaped(text))
        progress.track(
            alert_id, operation=operation, chat_id=status.chat.id, message_id=status.message_id, lang=lang
        )

    after_commit.append(go)


__all__ = ["AlertForm", "CorrectForm", "router"]
