"""aiogram routers — thin: parse the update, call one core function, render the answer.

:func:`get_routers` builds the scoping routers: everything users can do, then the error handler.
Dependencies (settings, clock, article reader, sender) arrive as handler parameters from the
dispatcher's workflow data and the middlewares, never as module globals.
"""

from __future__ import annotations

from aiogram import Router

from handlers import article, errors, start, topics


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
    users.include_routers(*(_detached(r) for r in (start.router, topics.router, article.router)))
    return [users, _detached(errors.router)]
