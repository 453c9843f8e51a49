"""aiogram routers — thin: parse the update, call one core function, render the answer.

:func:`get_routers` builds the scoping routers: everything users can do, then the error handler.
Dependencies (settings, clock, article reader, sender) arrive as handler parameters from the
dispatcher's workflow data and the middlewares, never as module globals.
"""

from __future__ import annotations

from aiogram import Router

from handlers import (
    article,
    channels,
    console,
    editor_corrections,
    errors,
    fallback,
    latest,
    settings,
    start,
    topics,
)
from handlers import editor_alerts as editor_alerts_handlers
from handlers import editors as editors_handlers
from handlers.editor_gate import EditorGate


def _detached(router: Router) -> Router:
    """The module's router, freed from a dispatcher built earlier in this process.

    aiogram lets a router have one parent for life; the composition root may build several
    dispatchers in one process (the test suite, the demo), so each build re-parents the routers.
    """
    parent = router.parent_router
    if parent is not None:
        parent.sub_routers.remove(router)
        router._parent_router = None
    return router


def get_routers() -> list[Router]:
    users = Router(name="users")
    users.include_routers(
        *(
            _detached(router)
            for router in (start.router, topics.router, settings.router, latest.router, article.router)
        )
    )
    # channels: my_chat_member for everyone, and the channel posts' deep link before /start's welcome
    membership = (_detached(channels.membership_router), _detached(channels.deep_link_router))
    # fallback answers whatever nobody else handled: keep it after every other router
    return [*membership, editors_router(), users, _detached(fallback.router), _detached(errors.router)]


def editors_router() -> Router:
    """Editors only: /alert, /correct, /retract, /history, /stats, /editor, /channels, /console, draft
    buttons and text.

    First in line, so an editor's draft text is not taken for subscriber chatter. The gate is an
    *inner* middleware: it runs only for updates these handlers match, refuses (and audits) anyone
    who is not an editor, and hands ``editor`` to the handlers (see :mod:`handlers.editor_gate`).
    """
    editors = Router(name="editors")
    gate = EditorGate()
    editors.message.middleware(gate)
    editors.callback_query.middleware(gate)
    editors.include_routers(
        *(
            _detached(router)
            for router in (
                editor_alerts_handlers.router,
                editor_corrections.router,
                editors_handlers.router,
                channels.router,
                console.router,
            )
        )
    )
    return editors
