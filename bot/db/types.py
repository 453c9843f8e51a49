"""Column types shared by every table: aware-UTC times, enums and closed vocabularies as short strings.

Design and invariants
---------------------
* :class:`UTCDateTime` only accepts timezone-aware datetimes on write (a naive time is a bug we would
  silently store as the wrong instant), stores UTC and always reads back aware UTC — also from SQLite,
  which keeps no offset.
* :class:`EnumString` stores a :mod:`bot.domain` StrEnum as its value and returns members on read;
  :class:`ChoiceString` does the same for small closed vocabularies without an enum. Both reject unknown
  values on write and deliberately add no CHECK constraint: a new member then needs no migration
  (SQLite cannot alter a CHECK without rebuilding the table).
* :data:`BigId` is the key of tables that grow without bound: BIGINT on PostgreSQL, the 64-bit rowid on
  SQLite.

The tables themselves are in :mod:`bot.db.models`.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from enum import StrEnum
from typing import TypeVar

from sqlalchemy import BigInteger, DateTime, Dialect, Integer, String
from sqlalchemy.types import TypeDecorator

E = TypeVar("E", bound=StrEnum)

BigId = BigInteger().with_variant(Integer(), "sqlite")
"""64-bit surrogate key: BIGINT (BIGSERIAL) on PostgreSQL, INTEGER PRIMARY KEY (rowid alias) on SQLite."""


class UTCDateTime(TypeDecorator[datetime]):
    """``DateTime(timezone=True)`` that only accepts aware datetimes and always returns aware UTC.

    Why: SQLite stores no offset and returns naive values, PostgreSQL returns aware ones; code must be
    able to compare any two times it reads. Values are converted to UTC before binding, so SQLite's
    text storage stays lexically ordered (comparisons in SQL stay correct).
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if not isinstance(value, datetime):
            raise TypeError(f"UTCDateTime needs a datetime, got {type(value).__name__}")
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(f"naive datetime {value.isoformat()} refused: store aware UTC times only")
        value = value.astimezone(UTC)
        if dialect.name == "sqlite":
            # SQLite keeps the wall time only; all stored values are UTC by the rule above.
            return value.replace(tzinfo=None)
        return value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class EnumString(TypeDecorator[E]):
    """A :class:`~enum.StrEnum` stored as its value in a short VARCHAR (no CHECK, see module doc)."""

    impl = String
    cache_ok = True

    def __init__(self, enum_cls: type[E], length: int = 16) -> None:
        super().__init__(length)
        self.enum_cls = enum_cls

    def process_bind_param(self, value: E | str | None, dialect: Dialect) -> str | None:
        if value is None:
            return None
        try:
            return self.enum_cls(value).value
        except ValueError as e:
            raise ValueError(f"{value!r} is not a {self.enum_cls.__name__}") from e

    def process_result_value(self, value: str | None, dialect: Dialect) -> E | None:
        return None if value is None else self.enum_cls(value)

    def __repr__(self) -> str:
        return f"EnumString({self.enum_cls.__name__})"


class ChoiceString(TypeDecorator[str]):
    """A short string limited to a fixed set of values, checked on write (no CHECK, see module doc)."""

    impl = String
    cache_ok = True

    def __init__(self, choices: Iterable[str], length: int = 16) -> None:
        super().__init__(length)
        self.choices: tuple[str, ...] = tuple(choices)

    def process_bind_param(self, value: str | None, dialect: Dialect) -> str | None:
        if value is None:
            return None
        if value not in self.choices:
            raise ValueError(f"{value!r} is not one of {', '.join(self.choices)}")
        return str(value)

    def process_result_value(self, value: str | None, dialect: Dialect) -> str | None:
        return value


__all__ = ["BigId", "ChoiceString", "EnumString", "UTCDateTime"]
