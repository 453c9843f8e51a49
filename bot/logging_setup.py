"""Logging: one record per event — a text line or a JSON object (``LOG_FORMAT``) — and never a secret.

Tokens leak through library messages (aiohttp's ``InvalidUrlClientError`` carries the whole
``…/bot123:ABC…/getMe`` URL into aiogram's ``TelegramNetworkError``), and not only through the message:
a traceback prints every *chained* exception too (``raise FetchError(...) from e``). So redaction
happens on the **final formatted output** — message, arguments, traceback and its causes — in
:class:`RedactingFormatter`, where nothing can slip past. Two kinds of secret are removed:

* anything shaped like a bot token (``<digits>:<20+ chars>``), wherever it comes from, and the
  password of any ``scheme://user:password@host`` URL (a database URL in a driver's error), however
  short;
* the configured secrets (``BOT_TOKEN``, ``API__CMS_TOKEN``, ``API__WEBHOOK_SECRET``, the database
  password), handed to :func:`setup_logging` as ``secrets``, which may have any shape — **in every
  escaping a library may print them in** (:func:`secret_forms`): raw, Python ``repr`` of the text and
  of its UTF-8 bytes (aiohttp logs a rejected header line as ``b'…'``, so ``\\``, ``"`` and non-ASCII
  come out escaped), JSON-escaped (ASCII and not), percent-encoded (upper and lower hex, ``+`` for
  space), and those forms once more JSON-escaped (a ``repr`` inside a JSON log line).

aiohttp's own loggers (``aiohttp.server`` bad-request tracebacks, ``aiohttp.access``) go through the
root handler like every other logger, so they are redacted the same way; nothing installs a handler of
its own for them.

The traceback is kept (redacted), so a leak-prone error still tells the operator where it happened.
:class:`RedactTokens` (a filter) remains for handlers that others install: it redacts the message.

``LOG_FORMAT=json`` writes one JSON object per line (``ts``, ``level``, ``logger``, ``msg`` and, for
errors, ``exc``) for log shippers; ``text`` (the default) writes ``time level logger: message``.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterable
from datetime import UTC, datetime
from functools import lru_cache
from typing import TYPE_CHECKING
from urllib.parse import quote, quote_plus

if TYPE_CHECKING:
    from bot.config import Settings

_TOKEN = re.compile(r"\d{5,}:[A-Za-z0-9_-]{20,}")
_URL_PASSWORD = re.compile(r"(\b[a-z][a-z0-9+.-]*://[^\s/:@'\"]*:)([^\s@/'\"]+)(@)", re.I)
"""The password of any ``scheme://user:password@host`` URL, whatever its length or origin."""
REDACTED = "<redacted-token>"
MIN_SECRET = 6
"""Configured secrets shorter than this are not searched for (they would redact ordinary words)."""


def _repr_forms(text: str) -> set[str]:
    """The inside of ``repr(text)`` and ``repr(text.encode())`` with either quote character."""
    forms: set[str] = set()
    for value in (repr(text), repr(text.encode("utf-8", "surrogatepass"))):
        inner = value[value.index(value[-1]) + 1 : -1]  # strip b'…' / '…' / "…"
        forms.add(inner)
        # the other quote choice: Python escapes only the quote it delimits with
        forms.add(inner.replace("\\'", "'").replace('"', '\\"'))
        forms.add(inner.replace('\\"', '"').replace("'", "\\'"))
    forms.add(text.encode("unicode_escape").decode("ascii"))
    return forms


def _json_forms(text: str) -> set[str]:
    return {json.dumps(text)[1:-1], json.dumps(text, ensure_ascii=False)[1:-1]}


@lru_cache(maxsize=64)
def secret_forms(secret: str) -> tuple[str, ...]:
    """Every spelling of ``secret`` a log line, traceback or error message may carry; longest first."""
    forms = {secret, *_repr_forms(secret), *_json_forms(secret)}
    for encoded in (quote(secret, safe=""), quote(secret), quote_plus(secret)):
        forms.add(encoded)
        forms.add(re.sub(r"%[0-9A-F]{2}", lambda m: m.group(0).lower(), encoded))
    for form in list(forms):
        forms |= _json_forms(form)  # e.g. a repr'd header line inside a JSON log entry
    return tuple(sorted((f for f in forms if len(f) >= MIN_SECRET), key=len, reverse=True))


def configured_secrets(settings: Settings) -> list[str]:
    """Every configured secret the log formatter must never print, whatever its shape."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    values = [settings.bot_token, settings.api.cms_token, settings.api.webhook_secret]
    secrets = [value.get_secret_value() for value in values if value is not None]
    try:
        password = make_url(settings.database_url).password
    except (ArgumentError, ValueError):
        password = None
    if password:
        secrets.append(str(password))
    return [secret for secret in secrets if secret]


def redact(text: str, secrets: Iterable[str] = ()) -> str:
    """``text`` with every form of every secret (and anything token-shaped) replaced."""
    for secret in secrets:
        if len(secret) < MIN_SECRET:
            continue
        for form in secret_forms(secret):
            if form in text:
                text = text.replace(form, REDACTED)
    return _URL_PASSWORD.sub(rf"\1{REDACTED}\3", _TOKEN.sub(REDACTED, text))


class RedactTokens(logging.Filter):
    """Redact token-shaped text in the message (for handlers that do not use our formatter)."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if _TOKEN.search(message):
            record.msg = _TOKEN.sub(REDACTED, message)
            record.args = None
        return True


class RedactingFormatter(logging.Formatter):
    """``time level logger: message`` + traceback, with every secret removed from the whole output."""

    def __init__(self, fmt: str | None = None, *, secrets: Iterable[str] = ()) -> None:
        super().__init__(fmt or "%(asctime)s %(levelname)s %(name)s: %(message)s")
        self.secrets = tuple(s for s in secrets if s)

    def format(self, record: logging.LogRecord) -> str:
        return redact(super().format(record), self.secrets)


class JsonFormatter(RedactingFormatter):
    """One JSON object per record: ``ts`` (UTC ISO 8601), ``level``, ``logger``, ``msg``, ``exc``."""

    def format(self, record: logging.LogRecord) -> str:
        # redacted before *and* after encoding: json.dumps escapes a secret's \\ and " (and a repr
        # inside the message gets escaped twice), the raw text is matched here first
        entry: dict[str, object] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "msg": redact(record.getMessage(), self.secrets),
        }
        if record.exc_info:
            entry["exc"] = redact(self.formatException(record.exc_info), self.secrets)
        elif record.exc_text:
            entry["exc"] = redact(record.exc_text, self.secrets)
        return redact(json.dumps(entry, ensure_ascii=False), self.secrets)


def make_handler(fmt: str = "text", secrets: Iterable[str] = ()) -> logging.Handler:
    handler = logging.StreamHandler()
    handler.setFormatter(
        JsonFormatter(secrets=secrets) if fmt == "json" else RedactingFormatter(secrets=secrets)
    )
    handler.addFilter(RedactTokens())
    return handler


def setup_logging(level: str = "INFO", *, fmt: str = "text", secrets: Iterable[str] = ()) -> None:
    root = logging.getLogger()
    root.handlers[:] = [make_handler(fmt, secrets)]
    root.setLevel(level)
    logging.getLogger("aiogram.event").setLevel("WARNING")
    logging.getLogger("apscheduler").setLevel("WARNING")
    logging.getLogger("alembic").setLevel("WARNING")
