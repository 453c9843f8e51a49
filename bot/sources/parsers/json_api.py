"""JSON endpoints read by dotted field paths (``data.items``, ``meta.breaking``, ``media.0.url``).

A path segment indexes a mapping by key or, when it is an integer, a list by position. A missing path
is ``None``, not an error — APIs omit optional fields — but a missing or non-list ``items`` is a
:class:`~bot.exceptions.ParseError`, since then nothing can be read at all.

Text: the JSON parser's string decoding is the one unescape; titles are rendered as HTML only if the
source says so (``html_titles``) or the value holds real tags.
"""

from __future__ import annotations

import json
from typing import Any

from bot.domain import FetchedPage, ParsedItem
from bot.exceptions import ParseError
from bot.news.text import clean_text, html_to_text, text_or_html
from bot.sources.encoding import decode_body, maybe_inflate
from bot.sources.parsers._common import (
    clip_summary,
    dedupe_items,
    parse_datetime,
    resolve_link,
    unique_strings,
)
from bot.sources.spec import JsonPaths, SourceSpec

_MISSING = object()


def get_path(doc: Any, path: str | None) -> Any:
    """Follow a dotted path; ``None`` when any step is missing. An empty path is the document."""
    if path is None:
        return None
    if path == "":
        return doc
    node = doc
    for part in path.split("."):
        if isinstance(node, dict):
            node = node.get(part, _MISSING)
        elif isinstance(node, list) and part.lstrip("-").isdigit():
            idx = int(part)
            node = node[idx] if -len(node) <= idx < len(node) else _MISSING
        else:
            return None
        if node is _MISSING:
            return None
    return node


def _scalar_text(value: Any) -> str | None:
    if isinstance(value, str):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    return None


def _flags(raw: dict[str, Any], paths: JsonPaths) -> tuple[str, ...]:
    flags: list[str] = []
    for path in paths.urgent:
        value = get_path(raw, path)
        if value is True or (isinstance(value, int | float) and not isinstance(value, bool) and value):
            flags.append(path.rsplit(".", 1)[-1])
        elif isinstance(value, str) and value.strip() and value.strip().lower() not in ("false", "0", "no"):
            flags.append(
                value.strip()
                if value.strip().lower() not in ("true", "1", "yes")
                else path.rsplit(".", 1)[-1]
            )
    return unique_strings(flags)


def _item(raw: Any, paths: JsonPaths, base: str) -> ParsedItem | None:
    if not isinstance(raw, dict):
        return None
    title_raw = _scalar_text(get_path(raw, paths.title)) or ""
    title = html_to_text(title_raw) if paths.html_titles else text_or_html(title_raw)
    if not title:
        return None
    summary = text_or_html(_scalar_text(get_path(raw, paths.summary)) or "")
    guid = _scalar_text(get_path(raw, paths.guid))
    cat_value = get_path(raw, paths.category)
    cats: list[str] = []
    if isinstance(cat_value, list):
        cats = [t for v in cat_value if (t := _scalar_text(v))]
    elif (t := _scalar_text(cat_value)) is not None:
        cats = [t]
    return ParsedItem(
        title=title,
        url=resolve_link(base, _scalar_text(get_path(raw, paths.link))),
        guid=clean_text(guid) or None if guid is not None else None,
        published_at=parse_datetime(get_path(raw, paths.time)),
        summary=clip_summary(summary),
        categories=unique_strings(cats),
        flags=_flags(raw, paths),
    )


def parse_json(spec: SourceSpec, page: FetchedPage) -> list[ParsedItem]:
    """Parse a JSON endpoint with the source's field paths."""
    paths = spec.json
    if paths is None:
        raise ParseError(spec.name, 'kind "json" needs [json] field paths')
    try:
        raw = maybe_inflate(page.body)
    except ValueError as e:
        raise ParseError(spec.name, str(e)) from e
    text, _codec = decode_body(raw, page.content_type, spec.kind, language=spec.language)
    if not text.strip():
        raise ParseError(spec.name, "empty body")
    try:
        doc = json.loads(text)
    except (
        ValueError,
        RecursionError,
    ) as e:  # ValueError: also int() past 4300 digits, not a JSONDecodeError
        raise ParseError(spec.name, f"not valid JSON: {e}") from e
    items_raw = get_path(doc, paths.items)
    if items_raw is None:
        raise ParseError(spec.name, f"json.items path {paths.items!r} not found")
    if not isinstance(items_raw, list):
        raise ParseError(
            spec.name, f"json.items path {paths.items!r} is a {type(items_raw).__name__}, not a list"
        )
    base = page.final_url or page.url
    items = [item for r in items_raw if (item := _item(r, paths, base)) is not None]
    if items_raw and not items:
        raise ParseError(spec.name, f"{len(items_raw)} entries at {paths.items!r} but none has a title")
    return dedupe_items(items)
