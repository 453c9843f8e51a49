"""Persistence: the relational model (:mod:`bot.db.models`), engines and sessions
(:mod:`bot.db.session`) and schema migrations (:mod:`bot.db.migrate`, scripts in ``alembic/``).

Rule: one session/transaction per update or job; repositories flush but never commit — the caller
that opened the session decides.
"""

from bot.db.session import create_engine, make_sessionmaker

__all__ = ["create_engine", "make_sessionmaker"]
