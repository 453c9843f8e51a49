"""The full article: the button under every push, page buttons, and ``/article <id|URL>``.

These handlers do not use the update's database session: the article reader keeps its own short
transactions so that fetching a page over the network never holds a database lock.
"""

from __future__ import annotations

import logging

from aiogram import Router
from aiogram.filters import Command, CommandObject
from aiogram.types import CallbackQuery, InaccessibleMessage, Message

from bot.callbacks import ArticleCb
from bot.exceptions import AajelError, ArticleNotAllowed, NotFound
from bot.i18n import t
from bot.keyboards import article_pages_keyboard
from bot.services.articles import ArticlePages, ArticleReader

router = Router(name=__name__)
log = logging.getLogger(__name__)


async def _load(reader: ArticleReader, article_id: int, lang: str) -> ArticlePages | str:
    """The article's pages, or the text of a helpful failure message (with the link to read it)."""
    try:
        return await reader.pages(article_id, lang)
    except NotFound:
        return t("article.not_found", lang)
    except ArticleNotAllowed:
        return t("article.not_allowed", lang)
    except AajelError:
        log.warning("article %s could not be produced", article_id, exc_info=True)
        return t("article.failed", lang, url=await reader.link(article_id) or "—")


async def _send_page(message: Message, pages: ArticlePages, page: int, lang: str) -> None:
    page = max(0, min(page, len(pages.pages) - 1))
    await message.answer(
        pages.pages[page],
        parse_mode="HTML",
        reply_markup=article_pages_keyboard(pages.article_id, page, len(pages.pages), lang),
        link_preview_options=None,
    )


@router.callback_query(ArticleCb.filter())
async def article_button(
    query: CallbackQuery, callback_data: ArticleCb, article_reader: ArticleReader, lang: str
) -> None:
    message = query.message
    if message is None or isinstance(message, InaccessibleMessage):
        await query.answer(t("callback.stale", lang), show_alert=True)
        return
    result = await _load(article_reader, callback_data.article_id, lang)
    await query.answer()
    if isinstance(result, str):
        await message.answer(result)
        return
    await _send_page(message, result, callback_data.page, lang)


@router.message(Command("article"))
async def article_command(
    message: Message, command: CommandObject, article_reader: ArticleReader, lang: str
) -> None:
    if not command.args:
        await message.answer(t("article.usage", lang))
        return
    try:
        article_id = await article_reader.find(command.args)
    except NotFound:
        await message.answer(t("article.not_found", lang))
        return
    result = await _load(article_reader, article_id, lang)
    if isinstance(result, str):
        await message.answer(result)
        return
    await _send_page(message, result, 0, lang)
