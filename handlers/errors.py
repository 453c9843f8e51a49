"""The last resort: an update whose handler raised gets a polite answer, and the error is logged.

Users never see a traceback and never get silence.
"""

from __future__ import annotations

import logging

from aiogram import Router
from aiogram.exceptions import TelegramAPIError, TelegramNetworkError
from aiogram.types import ErrorEvent

from bot.db.session import is_database_unavailable
from bot.i18n import pick_language, t

router = Router(name=__name__)
log = logging.getLogger(__name__)


@router.errors()
async def on_error(event: ErrorEvent) -> bool:
    log.error("update %s failed: %r", event.update.update_id, event.exception, exc_info=event.exception)
    update = event.update
    # an outage normally stops at bot.middlewares.UnavailableMiddleware; if one gets here, say so too
    key = "error.unavailable" if is_database_unavailable(event.exception) else "error.generic"
    try:
        if update.message is not None:
            user = update.message.from_user
            await update.message.answer(t(key, pick_language(user.language_code if user else None)))
        elif update.callback_query is not None:
            lang = pick_language(update.callback_query.from_user.language_code)
            await update.callback_query.answer(t(key, lang), show_alert=True)
    except (TelegramAPIError, TelegramNetworkError) as e:  # the apology itself failed: log, never raise
        log.warning("update %s: could not answer the user: %s", update.update_id, e)
    return True
