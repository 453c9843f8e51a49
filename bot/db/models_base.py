"""The one declarative base every Aajel table is declared on, and the column conventions they share.

Split from :mod:`bot.db.models` so the table modules (:mod:`bot.db.models_news`,
:mod:`bot.db.models_alerts` and :mod:`bot.db.models` itself) share one :class:`Base` without
importing one another in a circle. Import the tables from :mod:`bot.db.models`: importing it
registers every table on ``Base.metadata``, which Alembic (``alembic/env.py``) and the test fixtures
read.

Invariants:

* One :class:`Base` with a constraint **naming convention**, so every index, unique key, foreign key and
  check has the same explicit name on SQLite and PostgreSQL and Alembic migrations can address them.
* **Times** are :class:`~bot.db.types.UTCDateTime` (aware on write, aware UTC on read); enums and
  closed vocabularies are short strings checked on write (:class:`~bot.db.types.EnumString`,
  :class:`~bot.db.types.ChoiceString`, no CHECK). The column types and why are in :mod:`bot.db.types`.
  ``created_at``/``updated_at`` (:func:`created_at_column`, :func:`updated_at_column`) have a
  database-clock ``server_default`` only as a safety net: code that writes rows passes ``clock.now()``
  explicitly (the injected :class:`~bot.clock.Clock`), and sets ``updated_at`` itself on change (there
  is no ``onupdate``: it would use the database clock and expire the attribute, which async code could
  then not read without an explicit refresh).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Final

from sqlalchemy import JSON, MetaData, func
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from bot.db.types import UTCDateTime

__all__ = ["NAMING_CONVENTION", "Base", "created_at_column", "updated_at_column"]

NAMING_CONVENTION: Final[dict[str, str]] = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def created_at_column() -> Mapped[datetime]:
    """``created_at``: written by the code (``clock.now()``); the server default is a safety net."""
    return mapped_column(UTCDateTime(), nullable=False, server_default=func.now())


def updated_at_column() -> Mapped[datetime]:
    """``updated_at``: set by the code on every change (no ``onupdate``, see the module docstring)."""
    return mapped_column(UTCDateTime(), nullable=False, server_default=func.now())


class Base(DeclarativeBase):
    """The one declarative base; its metadata carries the naming convention."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {  # noqa: RUF012 - SQLAlchemy's declared class attribute
        datetime: UTCDateTime(),
        dict[str, Any]: JSON(),
        list[str]: JSON(),
    }
