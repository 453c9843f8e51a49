"""The full article: the button under every push and /latest item, the digest item buttons, page
navigation, and ``/article <id|URL>``.

* "Full article" buttons (:class:`ArticleCb`, :class:`DigestCb`) send the article as a *new* message,
  page 1, with previous/next buttons when it is long.
* Page buttons (:class:`PageCb`) *edit* the page message in place (falling back to a new message if
  Telegram refuses the edit).
* ``/article <URL>`` of a page that is not stored is fetched only from configured sources' hosts and
  public addresses (:class:`~bot.services.articles.ArticleReader`); it has no id, so its pages come
  at once, without buttons.

Every failure answers with a clear message in the user's language and, where there is one, the link.
These handlers do not use the update's database session: the article reader keeps its own short
transactions so that fetching a page over the network never holds a database lock.
"""

from __future__ import annotations

import logging

from aiogram import Router
from aiogram.exceptions import TelegramBadRequest
from aiogram.filters import Command, CommandObject
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message

from bot.callbacks import ArticleCb, DigestCb, PageCb
from bot.exceptions import AajelError, ArticleNotAllowed, NotFound
from bot.i18n import t
from bot.keyboards import article_pages_keyboard
from bot.services.articles import ArticlePages, ArticleReader, looks_like_url
from bot.services.subscriptions import MAX_ARGUMENT
from handlers.common import html_text, usable_message

router = Router(name=__name__)
log = logging.getLogger(__name__)

MAX_REF = 2048
"""Longest ``/article`` argument (URLs can be long; ids are short)."""


async def _open(reader: ArticleReader, ref: str | int, lang: str) -> ArticlePages | str:
    """The article's pages, or the (HTML) text of a helpful failure message with the link to read it."""
    link: str | None = ref if isinstance(ref, str) and looks_like_url(ref) else None
    try:
        if isinstance(ref, int):
            link = await reader.link(ref)
            return await reader.pages(ref, lang)
        return await reader.open(ref, lang)
    except NotFound:
        return (
            html_text("article.not_found_link", lang, url=link)
            if link
            else html_text("article.not_found", lang)
        )
    except ArticleNotAllowed:
        return (
            html_text("article.not_allowed_link", lang, url=link)
            if link
            else html_text("article.not_allowed", lang)
        )
    except AajelError:
        log.warning("article %r could not be produced", ref, exc_info=True)
        return html_text("article.failed", lang, url=link or "—")


def _page(pages: ArticlePages, page: int, lang: str) -> tuple[str, InlineKeyboardMarkup | None]:
    page = max(0, min(page, len(pages.pages) - 1))
    markup = (
        article_pages_keyboard(pages.article_id, page, len(pages.pages), lang)
        if pages.article_id is not None
        else None
    )
    return pages.pages[page], markup


async def _send(message: Message, result: ArticlePages | str, lang: str, page: int = 0) -> None:
    if isinstance(result, str):
        await message.answer(result)
        return
    if result.article_id is None:  # not stored: every page at once, no buttons
        for text in result.pages:
            await message.answer(text)
        return
    text, markup = _page(result, page, lang)
    await message.answer(text, reply_markup=markup)


@router.callback_query(ArticleCb.filter())
async def article_button(
    query: CallbackQuery, callback_data: ArticleCb, article_reader: ArticleReader, lang: str
) -> None:
    message = usable_message(query)
    if message is None:
        await query.answer(t("callback.stale", lang), show_alert=True)
        return
    await query.answer()
    result = await _open(article_reader, callback_data.article_id, lang)
    await _send(message, result, lang, callback_data.page)


@router.callback_query(DigestCb.filter())
async def digest_button(
    query: CallbackQuery, callback_data: DigestCb, article_reader: ArticleReader, lang: str
) -> None:
    message = usable_message(query)
    url = await article_reader.digest_link(callback_data.alert_id, callback_data.item)
    if message is None or url is None:
        await query.answer(t("callback.stale", lang), show_alert=True)
        return
    await query.answer()
    await _send(message, await _open(article_reader, url, lang), lang)


@router.callback_query(PageCb.filter())
async def page_button(
    query: CallbackQuery, callback_data: PageCb, article_reader: ArticleReader, lang: str
) -> None:
    message = usable_message(query)
    if message is None:
        await query.answer(t("callback.stale", lang), show_alert=True)
        return
    result = await _open(article_reader, callback_data.article_id, lang)
    if isinstance(result, str):
        await query.answer()
        await message.answer(result)
        return
    text, markup = _page(result, callback_data.page, lang)
    await query.answer()
    try:
        await message.edit_text(text, reply_markup=markup)
    except TelegramBadRequest as e:
        if "not modified" in e.message:
            return
        log.info("could not edit article page (%s); sending it instead", e.message)
        await message.answer(text, reply_markup=markup)


@router.message(Command("article"))
async def article_command(
    message: Message, command: CommandObject, article_reader: ArticleReader, lang: str
) -> None:
    ref = (command.args or "").strip()
    if not ref:
        await message.answer(html_text("article.usage", lang))
        return
    if len(ref) > MAX_REF or (not looks_like_url(ref) and len(ref) > MAX_ARGUMENT):
        await message.answer(html_text("input.too_long", lang, limit=MAX_REF))
        return
    await _send(message, await _open(article_reader, ref, lang), lang)
