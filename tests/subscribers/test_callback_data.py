"""Every button payload of :mod:`bot.callbacks` fits Telegram's 64 bytes and reads as words.

The classes and their actions are found by walking the module, so a new factory or action is checked
without touching this file: each is packed with every action its enum allows and the largest ids
(``2**62`` for 64-bit ids, as article ids may grow) and must stay within the limit.
"""

from __future__ import annotations

import inspect
import typing
from enum import Enum

import pytest
from aiogram.filters.callback_data import CallbackData

import bot.callbacks as callbacks

LARGEST_ID = 2**62


def _factories() -> list[type[CallbackData]]:
    return [
        cls
        for _, cls in inspect.getmembers(callbacks, inspect.isclass)
        if issubclass(cls, CallbackData) and cls is not CallbackData
    ]


def _largest_payloads(cls: type[CallbackData]) -> list[CallbackData]:
    """One payload per action (every field at its widest), or one when the class has no action."""
    hints = typing.get_type_hints(cls)
    enums = {name: hint for name, hint in hints.items() if isinstance(hint, type) and issubclass(hint, Enum)}
    ints = {name: -LARGEST_ID for name, hint in hints.items() if hint is int}
    if not enums:
        return [cls(**ints)]
    [(field, enum)] = enums.items()
    return [cls(**ints, **{field: member}) for member in enum]


@pytest.mark.parametrize("factory", _factories(), ids=lambda cls: cls.__name__)
def test_every_payload_fits_telegrams_64_bytes(factory: type[CallbackData]) -> None:
    for payload in _largest_payloads(factory):
        packed = payload.pack()
        assert len(packed.encode()) <= 64, packed
        assert type(payload).unpack(packed) == payload


@pytest.mark.parametrize("factory", _factories(), ids=lambda cls: cls.__name__)
def test_actions_are_words_not_codes(factory: type[CallbackData]) -> None:
    for name, hint in typing.get_type_hints(factory).items():
        if isinstance(hint, type) and issubclass(hint, Enum):
            assert all(
                len(member.value) >= 3 and member.value.replace("_", "").isalpha() for member in hint
            ), name
        else:
            assert hint is int, f"{factory.__name__}.{name}: ids and indexes only, never text ({hint})"
