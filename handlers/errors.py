"""The last resort: an update whose handler raised gets a polite answer, and the error is logged.

Users never see a traceback and never get silence.
"""

from __future__ import annotations

import logging

from aiogram import Router
from aiogram.types import ErrorEvent

from bot.i18n import pick_language, t

router = Router(name=__name__)
log = logging.getLogger(__name__)


@router.errors()
async def on_error(event: ErrorEvent) -> bool:
    log.error("update %s failed: %r", event.update.update_id, event.exception, exc_info=event.exception)
    update = event.update
    if update.message is not None:
        lang = pick_language(update.message.from_user.language_code if update.message.from_user else None)
        await update.message.answer(t("error.generic", lang))
    elif update.callback_query is not None:
        lang = pick_language(update.callback_query.from_user.language_code)
        await update.callback_query.answer(t("error.generic", lang), show_alert=True)
    return True
