"""Channels from Telegram: the bot added/removed (``my_chat_member``), editors' ``/channels``, and the
deep link that opens a channel post's full article in the private chat.

Three routers, placed by :func:`handlers.get_routers`:

* :data:`membership_router` — ``my_chat_member`` in channels, for everyone (Telegram sends it when
  anybody adds, promotes, demotes or removes the bot). One call to
  :func:`bot.services.channels.observe_membership`; when the sources file declares the channel its
  entry is applied at once. After commit: the person who changed it (when an editor) and the ops chat
  are told — registered, reactivated, missing post rights, removed.
* :data:`deep_link_router` — ``/start art_<id>`` in private (the "full article" URL button of a
  channel post) → the article's first page, as the callback button does in private pushes.
* :data:`router` — editors only (behind :class:`handlers.editor_gate.EditorGate`): ``/channels``
  lists channels with status, topics and level; ``/channels add`` waits (typed state
  :class:`ChannelAdd`) for a forwarded channel post or an ``@username``; :class:`~bot.callbacks.ChannelCb`
  buttons open a channel's panel and toggle its topics, level and pause. Every action is audited by
  the service (changes) or here (views, refusals).

Telegram lookups for "add" (``getChat``/``getChatMember``) are the only calls made inside the update;
replies go out after the commit.
"""

from __future__ import annotations

import logging

from aiogram import Bot, F, Router
from aiogram.exceptions import TelegramAPIError, TelegramBadRequest
from aiogram.filters import Command, CommandObject, CommandStart, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import (
    CallbackQuery,
    ChatMemberUpdated,
    InlineKeyboardMarkup,
    Message,
    MessageOriginChannel,
)
from sqlalchemy.ext.asyncio import AsyncSession

from bot.callbacks import ChannelAction, ChannelCb
from bot.clock import Clock
from bot.config import Settings
from bot.delivery.channel_render import article_of_payload
from bot.exceptions import NotFound, ValidationError
from bot.i18n import t
from bot.keyboards import CHANNEL_LEVEL_CODES, channel_keyboard, channels_keyboard
from bot.middlewares import AfterCommit
from bot.services import channels as svc
from bot.services.articles import ArticleReader
from bot.services.editors import EditorInfo, audit, get_editor
from bot.services.subscriptions import list_topics
from handlers.article import _open, _send
from handlers.common import html_text, later, usable_message
from handlers.editor_gate import Hook, answer_later, reply_later

log = logging.getLogger(__name__)

membership_router = Router(name=f"{__name__}.membership")
deep_link_router = Router(name=f"{__name__}.deep_link")
router = Router(name=__name__)
router.message.filter(F.chat.type == "private")
deep_link_router.message.filter(F.chat.type == "private")


class ChannelAdd(StatesGroup):
    """``/channels add`` was sent: the next message is a forwarded channel post or an @username."""

    waiting = State()


# --- the bot added to / removed from a channel ---------------------------------------------------


def membership_of(event: ChatMemberUpdated) -> svc.BotMembership:
    """What ``my_chat_member`` says: present or not, and whether the bot may post."""
    member = event.new_chat_member
    status = svc.member_status(member.status)
    can_post = status == "creator" or bool(getattr(member, "can_post_messages", False))
    return svc.BotMembership(
        chat_id=event.chat.id,
        title=event.chat.title,
        username=event.chat.username,
        status=status,
        can_post=can_post,
        actor=event.from_user.id if event.from_user and not event.from_user.is_bot else None,
    )


async def _apply_declared(session: AsyncSession, membership: svc.BotMembership, clock: Clock) -> None:
    """The sources file declares this chat: its entries decide topics and level from the start."""
    _, specs = await svc.declarations(session)
    for spec in svc.declaration_for(specs, membership.chat_id, membership.username):
        try:
            await svc.apply_declaration(session, spec, membership, clock)
        except ValidationError as e:  # a topic gone from the database: the reconciler reports it
            log.warning("channel %s: declaration not applied: %s", membership.chat_id, e)


@membership_router.my_chat_member(F.chat.type == "channel")
async def bot_membership(
    event: ChatMemberUpdated,
    session: AsyncSession,
    clock: Clock,
    settings: Settings,
    bot: Bot,
    after_commit: list[AfterCommit],
) -> None:
    membership = membership_of(event)
    outcome = await svc.observe_membership(session, membership, clock)
    if outcome.channel is not None and membership.present and outcome.event != "unchanged":
        await _apply_declared(session, membership, clock)
        outcome = svc.MembershipOutcome(outcome.event, await svc.get_channel(session, outcome.channel.id))
    if outcome.event == "unchanged" or outcome.channel is None:
        return
    editor = await get_editor(session, membership.actor) if membership.actor is not None else None
    channel, lang = outcome.channel, settings.default_language
    tell_actor = editor is not None and outcome.event != "removed"

    async def notify() -> None:
        key = f"channel.{outcome.event}"
        if tell_actor and membership.actor is not None:
            await _quietly(bot, membership.actor, html_text(key, lang, label=channel.label))
        if settings.ops_chat_id is not None:
            what = t(key, lang, label=channel.label)
            actor = str(membership.actor) if membership.actor is not None else "Telegram"
            text = html_text(
                "channel.ops", lang, label=channel.label, chat_id=channel.chat_id, what=what, actor=actor
            )
            await _quietly(bot, settings.ops_chat_id, text)

    later(after_commit, notify)


async def _quietly(bot: Bot, chat_id: int, text: str) -> None:
    """A notice that may fail (the adder never started the bot, ops chat gone) without failing others."""
    try:
        await bot.send_message(chat_id, text)
    except TelegramAPIError as e:
        log.info("channel notice to %s not sent: %s", chat_id, e.message)


# --- the deep link from a channel post ------------------------------------------------------------


@deep_link_router.message(CommandStart(deep_link=True, magic=F.args.regexp(r"^art_\d{1,18}$")))
async def open_from_channel(
    message: Message, command: CommandObject, article_reader: ArticleReader, lang: str
) -> None:
    article_id = article_of_payload(command.args)
    if article_id is None:
        await message.answer(html_text("channel.deep_link.unknown", lang))
        return
    await _send(message, await _open(article_reader, article_id, lang), lang)


# --- editors: /channels ---------------------------------------------------------------------------


def _topics_text(channel: svc.ChannelInfo, names: dict[str, str], lang: str) -> str:
    if not channel.topics:
        return t("channel.topics.none", lang)
    return ("، " if lang == "ar" else ", ").join(names.get(slug, slug) for slug in channel.topics)


def _panel_text(channel: svc.ChannelInfo, names: dict[str, str], lang: str) -> str:
    text = html_text(
        "channel.panel",
        lang,
        label=channel.label,
        status=t(f"channel.status.{channel.status}", lang),
        level=t(f"channel.level.{channel.level}", lang),
        topics=_topics_text(channel, names, lang),
    )
    if channel.managed_by == "file":
        text += "\n\n" + html_text("channel.panel.file", lang)
    return text


async def _list_text(session: AsyncSession, lang: str) -> tuple[str, list[svc.ChannelInfo]]:
    items = await svc.list_channels(session)
    if not items:
        return html_text("channel.list.empty", lang), items
    names = {topic.slug: topic.name(lang) for topic in await list_topics(session)}
    lines = [html_text("channel.list.title", lang, count=len(items))]
    for item in items:
        lines.append(
            html_text(
                "channel.line",
                lang,
                label=item.label,
                status=t(f"channel.status.{item.status}", lang),
                level=t(f"channel.level.{item.level}", lang),
                topics=_topics_text(item, names, lang),
            )
        )
    lines.append("\n" + html_text("channel.list.hint", lang))
    return "\n".join(lines), items


@router.message(Command("channels"))
async def channels_command(
    message: Message,
    command: CommandObject,
    session: AsyncSession,
    clock: Clock,
    lang: str,
    editor: EditorInfo,
    bot: Bot,
    state: FSMContext,
    after_commit: list[Hook],
) -> None:
    args = (command.args or "").split()
    if args and args[0].lower() == "add":
        if len(args) > 1:
            await _add(message, args[1], session, clock, lang, editor, bot, after_commit)
            return
        await state.set_state(ChannelAdd.waiting)
        await audit(session, actor=editor.telegram_id, action="channel.add_prompt", result="ok", clock=clock)
        reply_later(after_commit, message, html_text("channel.add.prompt", lang))
        return
    text, items = await _list_text(session, lang)
    await audit(session, actor=editor.telegram_id, action="channel.list", result="ok", clock=clock)
    reply_later(after_commit, message, text, reply_markup=channels_keyboard(items))


@router.message(Command("cancel"), StateFilter(ChannelAdd.waiting))
async def cancel_add(
    message: Message,
    session: AsyncSession,
    clock: Clock,
    lang: str,
    editor: EditorInfo,
    state: FSMContext,
    after_commit: list[Hook],
) -> None:
    await state.clear()
    await audit(session, actor=editor.telegram_id, action="channel.add_cancel", result="ok", clock=clock)
    reply_later(after_commit, message, html_text("editor.compose.cancelled", lang))


@router.message(ChannelAdd.waiting, ~F.text.startswith("/"))
async def add_reply(
    message: Message,
    session: AsyncSession,
    clock: Clock,
    lang: str,
    editor: EditorInfo,
    bot: Bot,
    state: FSMContext,
    after_commit: list[Hook],
) -> None:
    origin = message.forward_origin
    if isinstance(origin, MessageOriginChannel):
        ref: int | str = origin.chat.id
    elif message.text and message.text.strip().startswith("@"):
        ref = message.text.strip().split()[0]
    else:
        await audit(session, actor=editor.telegram_id, action="channel.add", result="invalid", clock=clock)
        reply_later(after_commit, message, html_text("channel.add.not_channel", lang))
        return
    await state.clear()
    await _add(message, ref, session, clock, lang, editor, bot, after_commit)


async def _add(
    message: Message,
    ref: int | str,
    session: AsyncSession,
    clock: Clock,
    lang: str,
    editor: EditorInfo,
    bot: Bot,
    after_commit: list[Hook],
) -> None:
    """Look the channel and the bot's rights up in Telegram, then register it like my_chat_member."""
    try:
        chat = await bot.get_chat(ref)
        if chat.type != "channel":
            await audit(
                session, actor=editor.telegram_id, action="channel.add", result="invalid", clock=clock
            )
            reply_later(after_commit, message, html_text("channel.add.not_channel", lang))
            return
        me = await bot.me()
        try:
            member = await bot.get_chat_member(chat.id, me.id)
            status = svc.member_status(member.status)
            can_post = status == "creator" or bool(getattr(member, "can_post_messages", False))
        except TelegramAPIError:
            status, can_post = "left", False
    except TelegramAPIError:
        await audit(
            session,
            actor=editor.telegram_id,
            action="channel.add",
            target=f"chat:{str(ref)[:64]}",
            result="not_found",
            clock=clock,
        )
        reply_later(after_commit, message, html_text("channel.add.not_found", lang, chat=ref))
        return
    membership = svc.BotMembership(
        chat_id=chat.id,
        title=chat.title,
        username=chat.username,
        # named by an editor: registered even before the bot is an administrator (missing rights)
        status=status if status not in ("left", "kicked") else "member",
        can_post=can_post,
        actor=editor.telegram_id,
    )
    outcome = await svc.observe_membership(session, membership, clock)
    await _apply_declared(session, membership, clock)
    assert outcome.channel is not None  # the bot counts as present here: a row always exists
    channel = await svc.get_channel(session, outcome.channel.id)
    key = {"registered": "channel.registered", "reactivated": "channel.reactivated"}.get(outcome.event)
    if channel.status == "missing_rights":
        key = "channel.missing_rights"
    text = (
        html_text(key, lang, label=channel.label)
        if key
        else html_text(
            "channel.unchanged", lang, label=channel.label, status=t(f"channel.status.{channel.status}", lang)
        )
    )
    names = {topic.slug: topic.name(lang) for topic in await list_topics(session)}
    topics = await list_topics(session)
    reply_later(
        after_commit,
        message,
        text + "\n\n" + _panel_text(channel, names, lang),
        reply_markup=channel_keyboard(channel, topics, lang),
    )


@router.callback_query(ChannelCb.filter())
async def channel_button(
    query: CallbackQuery,
    callback_data: ChannelCb,
    session: AsyncSession,
    clock: Clock,
    lang: str,
    editor: EditorInfo,
    after_commit: list[Hook],
) -> None:
    message = usable_message(query)
    if message is None:
        answer_later(after_commit, query, t("callback.stale", lang), show_alert=True)
        return
    action, channel_id = callback_data.action, callback_data.channel_id
    if action is ChannelAction.LIST:
        text, items = await _list_text(session, lang)
        await audit(session, actor=editor.telegram_id, action="channel.list", result="ok", clock=clock)
        _edit_later(after_commit, query, message, text, channels_keyboard(items))
        return
    note: str | None = None
    try:
        if action is ChannelAction.TOPIC:
            await svc.toggle_topic(
                session,
                channel_id,
                callback_data.value,
                actor=editor.telegram_id,
                clock=clock,
                via="telegram",
            )
        elif action is ChannelAction.LEVEL and 0 <= callback_data.value < len(CHANNEL_LEVEL_CODES):
            await svc.update_channel(
                session,
                channel_id,
                actor=editor.telegram_id,
                clock=clock,
                via="telegram",
                level=CHANNEL_LEVEL_CODES[callback_data.value],
            )
        elif action is ChannelAction.PAUSE:
            await svc.update_channel(
                session,
                channel_id,
                actor=editor.telegram_id,
                clock=clock,
                via="telegram",
                active=callback_data.value == 0,
            )
        elif action is not ChannelAction.OPEN:
            raise ValidationError(f"bad channel button {callback_data.pack()!r}")
        channel = await svc.get_channel(session, channel_id)
    except svc.ManagedByFile:
        note = t("channel.managed_by_file", lang)
        channel = await svc.get_channel(session, channel_id)
        await audit(
            session,
            actor=editor.telegram_id,
            action=f"channel.{action}",
            target=f"channel:{channel_id}",
            result="refused",
            clock=clock,
            details={"reason": "managed by the sources file"},
        )
    except (NotFound, ValidationError) as e:
        await audit(
            session,
            actor=editor.telegram_id,
            action=f"channel.{action}",
            target=f"channel:{channel_id}",
            result="invalid",
            clock=clock,
            details={"reason": str(e)},
        )
        answer_later(after_commit, query, t("channel.gone", lang), show_alert=True)
        return
    if action is ChannelAction.OPEN:
        await audit(
            session,
            actor=editor.telegram_id,
            action="channel.open",
            target=f"channel:{channel_id}",
            result="ok",
            clock=clock,
        )
    topics = await list_topics(session)
    names = {topic.slug: topic.name(lang) for topic in topics}
    _edit_later(
        after_commit,
        query,
        message,
        _panel_text(channel, names, lang),
        channel_keyboard(channel, topics, lang),
        note,
    )


def _edit_later(
    hooks: list[Hook],
    query: CallbackQuery,
    message: Message,
    text: str,
    markup: InlineKeyboardMarkup | None,
    note: str | None = None,
) -> None:
    async def edit() -> None:
        await query.answer(note, show_alert=note is not None)
        try:
            await message.edit_text(text, reply_markup=markup)
        except TelegramBadRequest as e:
            if "not modified" not in e.message:
                raise

    hooks.append(edit)
