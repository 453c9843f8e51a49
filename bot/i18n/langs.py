"""The languages the bot speaks (Arabic first)."""

from __future__ import annotations

from typing import Literal

Lang = Literal["ar", "en"]
LANGS: tuple[Lang, ...] = ("ar", "en")
