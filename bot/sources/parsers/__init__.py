"""Parsers: ``parse(spec, page) -> list[ParsedItem]``, pure (bytes in, records out).

One entry point dispatches on :attr:`SourceSpec.kind` to :mod:`.feed` (RSS/Atom via feedparser),
:mod:`.html_page` (CSS selectors) or :mod:`.json_api` (dotted paths). Every failure to read a body is a
:class:`~bot.exceptions.ParseError` naming the source; an unexpected library exception is wrapped too
(and logged with its traceback), so one broken source never stops the poll loop.

Every item is hygienic (see :mod:`bot.news.text`): entities unescaped exactly once, tags stripped,
invisible/bidi characters removed, whitespace collapsed, NFC; links absolute http(s); dates aware UTC;
exact repeats within one page removed. A 304 (``not_modified``) yields ``[]``.
"""

from __future__ import annotations

import logging

from bot.domain import FetchedPage, ParsedItem, SourceKind
from bot.exceptions import ParseError
from bot.sources.parsers._common import parse_datetime
from bot.sources.parsers.feed import parse_feed
from bot.sources.parsers.html_page import parse_html
from bot.sources.parsers.json_api import get_path, parse_json
from bot.sources.spec import SourceSpec

log = logging.getLogger(__name__)


def parse(spec: SourceSpec, page: FetchedPage) -> list[ParsedItem]:
    """Parse one fetched page of ``spec`` into items; raise :class:`ParseError` with a clear reason."""
    if page.not_modified:
        return []
    try:
        if spec.kind is SourceKind.RSS:
            return parse_feed(spec, page)
        if spec.kind is SourceKind.HTML:
            return parse_html(spec, page)
        if spec.kind is SourceKind.JSON:
            return parse_json(spec, page)
    except ParseError:
        raise
    except Exception as e:  # a library bug on a hostile body must not stop the other sources
        log.exception("source %s: unexpected parser failure", spec.name)
        raise ParseError(spec.name, f"unexpected parser failure: {type(e).__name__}: {e}") from e
    raise ParseError(spec.name, f"no parser for kind {spec.kind.value!r}")


__all__ = ["get_path", "parse", "parse_datetime"]
