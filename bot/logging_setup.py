"""Logging: one record per event — a text line or a JSON object (``LOG_FORMAT``) — and never a secret.

Tokens leak through library messages (aiohttp's ``InvalidUrlClientError`` carries the whole
``…/bot123:ABC…/getMe`` URL into aiogram's ``TelegramNetworkError``), and not only through the message:
a traceback prints every *chained* exception too (``raise FetchError(...) from e``). So redaction
happens on the **final formatted output** — message, arguments, traceback and its causes — in
:class:`RedactingFormatter`, where nothing can slip past. Two kinds of secret are removed:

* anything shaped like a bot token (``<digits>:<20+ chars>``), wherever it comes from;
* the exact configured secrets (``BOT_TOKEN``, ``API__CMS_TOKEN``, ``API__WEBHOOK_SECRET``), handed to
  :func:`setup_logging` as ``secrets``, which may have any shape.

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

_TOKEN = re.compile(r"\d{5,}:[A-Za-z0-9_-]{20,}")
REDACTED = "<redacted-token>"
MIN_SECRET = 6
"""Configured secrets shorter than this are not searched for (they would redact ordinary words)."""


def redact(text: str, secrets: Iterable[str] = ()) -> str:
    for secret in secrets:
        if len(secret) >= MIN_SECRET and secret in text:
            text = text.replace(secret, REDACTED)
    return _TOKEN.sub(REDACTED, text)


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
        entry: dict[str, object] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "msg": record.getMessage(),
        }
        if record.exc_info:
            entry["exc"] = self.formatException(record.exc_info)
        elif record.exc_text:
            entry["exc"] = record.exc_text
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
