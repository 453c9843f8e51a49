"""User-facing strings in Arabic (the default) and English.

A plain catalogue rather than gettext: the bot has a few hundred strings, two languages, and the
translators are the newsroom's own editors, who edit these files — one per audience
(:mod:`~bot.i18n.subscribers`, :mod:`~bot.i18n.editors`, :mod:`~bot.i18n.channels`,
:mod:`~bot.i18n.console`). Every key must exist in both languages (a test checks it) and in one file
only (checked here, at import). Values are *plain text templates*: callers escape what they insert
(``str.format`` arguments go through ``html.quote`` before formatting when the result is HTML).
"""

from __future__ import annotations

from bot.i18n import channels, console, editors, subscribers
from bot.i18n.langs import LANGS, Lang


def _merge(*parts: dict[str, dict[Lang, str]]) -> dict[str, dict[Lang, str]]:
    merged: dict[str, dict[Lang, str]] = {}
    for part in parts:
        twice = merged.keys() & part.keys()
        if twice:
            raise RuntimeError(f"message keys defined twice: {sorted(twice)}")
        merged.update(part)
    return merged


CATALOGUE: dict[str, dict[Lang, str]] = _merge(
    subscribers.MESSAGES, editors.MESSAGES, channels.MESSAGES, console.MESSAGES
)


def t(key: str, lang: str, **kwargs: object) -> str:
    """The string ``key`` in ``lang`` (falling back to Arabic), formatted with ``kwargs``."""
    entry = CATALOGUE[key]
    template = entry.get(lang, entry["ar"]) if lang in LANGS else entry["ar"]
    return template.format(**kwargs) if kwargs else template


def pick_language(language_code: str | None, default: Lang = "ar") -> Lang:
    """Map Telegram's ``language_code`` (``en-GB``, ``ar``) to a language the bot speaks."""
    if not language_code:
        return default
    code = language_code.split("-")[0].lower()
    if code == "ar":
        return "ar"
    if code == "en":
        return "en"
    return default


__all__ = ["CATALOGUE", "LANGS", "Lang", "pick_language", "t"]
