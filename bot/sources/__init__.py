"""News sources: configuration (:mod:`.spec`), decoding (:mod:`.encoding`), parsing (:mod:`.parsers`).

Everything exported here is pure (no network, no database). Retrieval lives in :mod:`bot.sources.fetch`
and is not imported here, so importing the config never pulls in aiohttp.
"""

from bot.sources.encoding import decode_body
from bot.sources.parsers import parse
from bot.sources.spec import (
    HtmlSelectors,
    JsonPaths,
    Newsroom,
    SourceSpec,
    TopicSpec,
    load_newsroom,
    parse_newsroom,
)

__all__ = [
    "HtmlSelectors",
    "JsonPaths",
    "Newsroom",
    "SourceSpec",
    "TopicSpec",
    "decode_body",
    "load_newsroom",
    "parse",
    "parse_newsroom",
]
