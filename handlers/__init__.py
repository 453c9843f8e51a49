"""aiogram routers — thin: parse the update, call one core function, render the answer.

:func:`get_routers` builds the scoping routers: everything users can do, then the error handler.
Dependencies (settings, clock, article reader, sender) arrive as handler parameters from the
dispatcher's workflow data and the middlewares, never as module globals.
"""

from __future__ import annotations

from aiogram import Router

from handlers import article, errors, start, topics


def get_routers() -> list[Router]:
    users = Router(name="users")
    users.include_routers(start.router, topics.router, article.router)
    return [users, errors.router]
