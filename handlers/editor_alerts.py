"""/alert (compose → preview → topics and level → send or cancel) and /cancel.

The draft lives in aiogram's FSM (per editor, per chat; MemoryStorage) as a typed
:class:`~handlers.editor_flow.DraftState`: a draft is short-lived and losing it on a restart only means
composing again — nothing is sent until "Send". The flow:

1. ``/alert`` (or ``/alert <text>``) → the editor sends the text: first line headline, further lines
   body, a URL on the last line the link. Bad input is answered precisely and the editor stays in
   the same step.
2. Two messages come back: the **preview** — exactly ``render_alert`` of the view the sender will
   build, with the same markup and options (so it is what subscribers get) — and the **controls**
   (topic toggles, flash/urgent, audience size, Send / Cancel). Toggles edit both. The audience is
   counted by the planning queries themselves (:func:`bot.services.alerts.audience`).
3. "Send" stores the alert through :func:`bot.services.editor_alerts.send_alert` (idempotency key
   ``tg:<chat>:<controls message>``: a double tap sends once), the controls message becomes the
   alert's status message, the preview and status message are remembered for /correct by reply, and
   after the commit the sender is woken and the :class:`~bot.workers.progress.ProgressTracker` starts editing
   the status message live.

/correct and /retract live in :mod:`handlers.editor_corrections`.
"""

from __future__ import annotations

import logging

from aiogram import Bot, F, Router
from aiogram.filters import Command, CommandObject, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, InaccessibleMessage, Message
from sqlalchemy.ext.asyncio import AsyncSession

from bot.callbacks import DraftAction, EditorAlertCb
from bot.clock import Clock
from bot.config import Settings
from bot.delivery.render import render_alert
from bot.delivery.sender import Sender
from bot.i18n import t
from bot.services.editor_alerts import (
    EDITOR_LEVELS,
    DraftProblem,
    all_topics,
    audience,
    parse_draft,
    preview_view,
    send_alert,
    topics_by_id,
)
from bot.services.editors import EditorInfo
from bot.services.subscriptions import TopicInfo
from bot.workers.progress import ProgressTracker
from handlers.editor_flow import (
    AlertForm,
    CorrectForm,
    DraftState,
    EditorTurn,
    edit_quietly,
    escaped,
    load_draft,
    save_draft,
)
from handlers.editor_gate import Hook, answer_later, reply_later
from handlers.editor_ui import draft_controls_text, draft_keyboard

router = Router(name=__name__)
router.message.filter(F.chat.type == "private")
router.callback_query.filter(F.message.chat.type == "private")
log = logging.getLogger(__name__)


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
    turn = EditorTurn(session, clock, lang, editor, after_commit)
    await state.clear()
    await turn.audit("alert.compose", "ok")
    if command.args:
        await _take_text(turn, message, command.args, state, settings)
        return
    await state.set_state(AlertForm.text)
    turn.reply(message, "editor.compose.prompt")


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
    turn = EditorTurn(session, clock, lang, editor, after_commit)
    await _take_text(turn, message, message.text or "", state, settings)


@router.message(AlertForm.text, ~F.text)
async def alert_not_text(message: Message, lang: str, after_commit: list[Hook]) -> None:
    reply_later(after_commit, message, escaped(t("editor.draft.not_text", lang)))


async def _take_text(
    turn: EditorTurn, message: Message, text: str, state: FSMContext, settings: Settings
) -> None:
    """Parse the editor's text; refuse it precisely, or show the preview and the controls."""
    parsed = parse_draft(text)
    if isinstance(parsed, DraftProblem):
        await turn.audit("alert.draft", "invalid", details={"problem": parsed.key})
        await state.set_state(AlertForm.text)
        turn.reply(message, parsed.key, **parsed.args)
        return
    topics = await all_topics(turn.session)
    if not topics:
        await state.clear()
        turn.reply(message, "editor.compose.no_topics_configured")
        return
    draft = DraftState(headline=parsed.headline, body=parsed.body, url=parsed.url)
    await state.set_state(AlertForm.review)
    await save_draft(state, draft)
    rendered = render_alert(preview_view(parsed, draft.level, []), lang=turn.lang, tz=settings.tz)
    controls = draft_controls_text(topics, [], draft.level, 0, turn.lang)
    keyboard = draft_keyboard(topics, [], draft.level, turn.lang)

    async def show() -> None:
        preview = await message.answer(
            rendered.text,
            parse_mode="HTML",
            reply_markup=rendered.reply_markup,
            disable_notification=rendered.disable_notification,
            link_preview_options=rendered.link_preview,
        )
        panel = await message.answer(controls, reply_markup=keyboard)
        shown = await load_draft(state)
        if shown is not None:
            await save_draft(
                state,
                shown.model_copy(update={"preview_id": preview.message_id, "control_id": panel.message_id}),
            )

    turn.later(show)


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
    turn = EditorTurn(session, clock, lang, editor, after_commit)
    message = query.message
    draft = await load_draft(state)
    if (
        message is None
        or isinstance(message, InaccessibleMessage)
        or await state.get_state() != AlertForm.review.state
        or draft is None
        or draft.control_id != message.message_id
    ):
        answer_later(after_commit, query, t("editor.compose.expired", lang), show_alert=True)
        return
    action = callback_data.action
    if action is DraftAction.CANCEL:
        await state.clear()
        await turn.audit("alert.cancel", "ok")
        chat_id, message_id = message.chat.id, message.message_id

        async def cancelled() -> None:
            text = escaped(t("editor.compose.cancelled", lang))
            await edit_quietly(bot, chat_id=chat_id, message_id=message_id, text=text)
            await query.answer()

        turn.later(cancelled)
        return
    if action is DraftAction.SEND:
        await _send(turn, query, message, draft, state, sender, progress)
        return
    topics = await all_topics(session)
    if action is DraftAction.TOPIC:
        if callback_data.value not in {topic.id for topic in topics}:
            answer_later(after_commit, query, t("callback.stale", lang), show_alert=True)
            return
        draft = draft.toggled(callback_data.value)
    else:  # DraftAction.LEVEL
        chosen = next((option for option in EDITOR_LEVELS if option.rank == callback_data.value), None)
        if chosen is None:
            answer_later(after_commit, query, t("callback.stale", lang), show_alert=True)
            return
        draft = draft.model_copy(update={"level": chosen})
    await save_draft(state, draft)
    _refresh(
        turn, query, message, draft, topics, settings, bot, await audience(session, draft.topics, draft.level)
    )


def _refresh(
    turn: EditorTurn,
    query: CallbackQuery,
    message: Message,
    draft: DraftState,
    topics: list[TopicInfo],
    settings: Settings,
    bot: Bot,
    reach: int,
) -> None:
    """After the commit: show the changed choice in the preview and in the controls."""
    chosen_topics = [topic for topic in topics if topic.id in set(draft.topics)]
    rendered = render_alert(
        preview_view(draft.draft, draft.level, chosen_topics), lang=turn.lang, tz=settings.tz
    )
    controls = draft_controls_text(topics, draft.topics, draft.level, reach, turn.lang)
    keyboard = draft_keyboard(topics, draft.topics, draft.level, turn.lang)
    chat_id, preview_id = message.chat.id, draft.preview_id

    async def refresh() -> None:
        if preview_id is not None:
            await edit_quietly(
                bot,
                chat_id=chat_id,
                message_id=preview_id,
                text=rendered.text,
                parse_mode="HTML",
                reply_markup=rendered.reply_markup,
                link_preview_options=rendered.link_preview,
            )
        await edit_quietly(
            bot, chat_id=chat_id, message_id=message.message_id, text=controls, reply_markup=keyboard
        )
        await query.answer()

    turn.later(refresh)


async def _send(
    turn: EditorTurn,
    query: CallbackQuery,
    message: Message,
    draft: DraftState,
    state: FSMContext,
    sender: Sender,
    progress: ProgressTracker,
) -> None:
    """Store the alert and plan it (once per controls message), then follow it in the controls."""
    topics = await topics_by_id(turn.session, draft.topics)
    if not topics:
        answer_later(turn.after_commit, query, t("editor.compose.pick_topic", turn.lang), show_alert=True)
        return
    chat_id = message.chat.id
    sent = await send_alert(
        turn.session,
        draft.draft,
        urgency=draft.level,
        topic_slugs=[topic.slug for topic in topics],
        clock=turn.clock,
        idempotency_key=f"tg:{chat_id}:{message.message_id}",
        editor_id=turn.editor.id,
        status_chat_id=chat_id,
        status_message_id=message.message_id,
        preview_message_id=draft.preview_id,
    )
    await state.clear()
    target = f"alert:{sent.alert_id}"
    if not sent.created:
        await turn.audit("alert.send", "duplicate", target=target)
        answer_later(turn.after_commit, query, t("editor.compose.already_sent", turn.lang, id=sent.alert_id))
        return
    await turn.audit(
        "alert.send",
        "ok",
        target=target,
        details={
            "chat_id": chat_id,
            "preview_message_id": draft.preview_id,
            "status_message_id": message.message_id,
            "recipients": sent.recipients,
            "urgency": draft.level.value,
            "topics": [topic.slug for topic in topics],
            "headline": draft.headline,
        },
    )
    alert_id, count, lang = sent.alert_id, sent.recipients, turn.lang

    async def go() -> None:
        sender.wake()
        progress.track(alert_id, lang=lang)
        await query.answer(t("editor.compose.sent", lang, id=alert_id, count=count))

    turn.later(go)


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
    turn = EditorTurn(session, clock, lang, editor, after_commit)
    draft = await load_draft(state)
    await state.clear()
    await turn.audit("alert.cancel", "ok")
    control_id = draft.control_id if draft is not None else None
    chat_id = message.chat.id
    text = escaped(t("editor.compose.cancelled", lang))

    async def done() -> None:
        if control_id is not None:
            await edit_quietly(bot, chat_id=chat_id, message_id=control_id, text=text)
        await message.answer(text)

    turn.later(done)


__all__ = ["router"]
