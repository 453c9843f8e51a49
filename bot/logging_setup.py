"""Logging: one line per event, and never a bot token.

Tokens can leak through library messages (a URL ``…/bot123:ABC/sendMessage`` in an exception text),
so a filter on the root handler rewrites anything shaped like a token before it is written.
"""

from __future__ import annotations

import logging
import re

_TOKEN = re.compile(r"\d{5,}:[A-Za-z0-9_-]{20,}")


class RedactTokens(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if _TOKEN.search(message):
            record.msg = _TOKEN.sub("<redacted-token>", message)
            record.args = None
        if record.exc_info and record.exc_info[1] is not None:
            text = str(record.exc_info[1])
            if _TOKEN.search(text):
                record.exc_info = None
                record.msg = f"{record.msg} [exception text redacted: {_TOKEN.sub('<redacted-token>', text)}]"
        return True


def setup_logging(level: str = "INFO") -> None:
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(RedactTokens())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    logging.getLogger("aiogram.event").setLevel("WARNING")
    logging.getLogger("apscheduler").setLevel("WARNING")
    logging.getLogger("alembic").setLevel("WARNING")
