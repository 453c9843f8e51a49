"""The newsroom configuration: topics and sources, read from a TOML file (see ``docs/sources.md``).

Everything here is immutable (frozen dataclasses, tuples, read-only mappings) and validated on load:
a bad file stops start-up with one :class:`~bot.exceptions.ConfigError` whose ``key`` names the entry,
e.g. ``sources[2].html.item: required for kind "html"``. Unknown keys are errors too — a typo such as
``intervall_seconds`` would otherwise silently fall back to a default.

Cross-references are checked: every topic slug used by a source (``default_topics``, ``category_map``
values) must be a declared topic; source names and topic slugs are unique; CSS selectors compile;
JSON field paths are dotted identifiers.

:meth:`SourceSpec.to_json` / :meth:`SourceSpec.from_json` round-trip a source through the
``sources.config`` JSON column; ``from_json`` validates exactly like the file loader.

``[[channels]]`` entries (:class:`ChannelSpec`) declare the Telegram channels (or forum threads) the
newsroom feeds. Their mistakes are reported whole: every unknown key and every unknown topic of an
entry in one line (``channels[0]: unknown keys: levl (allowed: …); unknown topics: 'sport'``).
"""

from __future__ import annotations

import json
import re
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any
from urllib.parse import urlsplit

from cssselect import GenericTranslator, SelectorError

from bot.domain import SourceKind, Urgency
from bot.exceptions import ConfigError
from bot.news.topics import TopicSpec as TopicSpec  # the keyword rule itself is news logic

_SLUG_RE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,39}$")
_USERNAME_RE = re.compile(r"^@[A-Za-z][A-Za-z0-9_]{3,31}$")  # Telegram public usernames: 4-32 characters
CHANNEL_LEVELS = ("urgent", "all")
MAX_SIGNATURE = 200
_PATH_RE = re.compile(r"^[^.\s]+(\.[^.\s]+)*$")
_FETCHABLE = (SourceKind.RSS, SourceKind.HTML, SourceKind.JSON)
MIN_INTERVAL_SECONDS = 2  # tickers may be polled every few seconds
DEFAULT_INTERVAL_SECONDS = 60
DEFAULT_DEDUP_WINDOW_HOURS = 24.0


def _frozen_map(data: Mapping[str, str] | None = None) -> Mapping[str, str]:
    return MappingProxyType(dict(data or {}))


@dataclass(frozen=True, slots=True)
class HtmlSelectors:
    """CSS selectors for a listing/ticker page. ``title``/``link``/``time``/``category`` are relative
    to one ``item``; when ``title`` is unset the item's own text is the title, when ``link`` is unset
    the item itself (if an ``<a>``) or its first ``a[href]`` gives the link. An item carrying the class
    ``urgent_class`` gets the flag ``urgent``. ``body`` selects the article text on an article page
    (used by full-text extraction, not by the listing parser)."""

    item: str
    title: str | None = None
    link: str | None = None
    time: str | None = None
    category: str | None = None
    urgent_class: str | None = None
    body: str | None = None


@dataclass(frozen=True, slots=True)
class JsonPaths:
    """Dotted field paths into a JSON document (``data.items``, ``meta.breaking``).

    ``items`` locates the list (empty string: the document itself is the list); the other paths are
    relative to one item. Each path in ``urgent`` that is truthy adds a flag (the path's last segment
    for booleans/numbers, the value itself for strings), which urgency detection reads. ``html_titles``
    says the title field holds HTML (WordPress' ``title.rendered``), so it is rendered to text.
    """

    items: str
    title: str
    link: str | None = None
    guid: str | None = None
    time: str | None = None
    category: str | None = None
    summary: str | None = None
    urgent: tuple[str, ...] = ()
    html_titles: bool = False


@dataclass(frozen=True, slots=True)
class SourceSpec:
    """One news source. ``category_map`` maps a source's own category names to topic slugs;
    ``urgency_markers`` adds or overrides markers (``{"عاجل": "normal"}`` disables one)."""

    name: str
    kind: SourceKind
    url: str
    interval_seconds: int = DEFAULT_INTERVAL_SECONDS
    enabled: bool = True
    language: str = "ar"
    default_topics: tuple[str, ...] = ()
    category_map: Mapping[str, str] = field(default_factory=_frozen_map)
    urgency_markers: Mapping[str, str] = field(default_factory=_frozen_map)
    html: HtmlSelectors | None = None
    json: JsonPaths | None = None
    dedup_window_hours: float = DEFAULT_DEDUP_WINDOW_HOURS

    def to_json(self) -> dict[str, Any]:
        """A JSON-serialisable dict, the inverse of :meth:`from_json`."""
        out: dict[str, Any] = {
            "name": self.name,
            "kind": self.kind.value,
            "url": self.url,
            "interval_seconds": self.interval_seconds,
            "enabled": self.enabled,
            "language": self.language,
            "default_topics": list(self.default_topics),
            "category_map": dict(self.category_map),
            "urgency_markers": dict(self.urgency_markers),
            "dedup_window_hours": self.dedup_window_hours,
        }
        if self.html is not None:
            out["html"] = {k: v for k, v in _dc_items(self.html) if v is not None}
        if self.json is not None:
            paths = {k: v for k, v in _dc_items(self.json) if v is not None}
            paths["urgent"] = list(self.json.urgent)
            out["json"] = paths
        return out

    @classmethod
    def from_json(cls, data: Mapping[str, Any] | str) -> SourceSpec:
        """Rebuild (and validate) a spec from :meth:`to_json` output or its JSON text."""
        if isinstance(data, str):
            try:
                data = json.loads(data)
            except json.JSONDecodeError as e:
                raise ConfigError("source", f"not valid JSON: {e}") from e
        if not isinstance(data, Mapping):
            raise ConfigError("source", "must be a JSON object")
        return _read_source(data, "source", topics=None)


def _dc_items(obj: HtmlSelectors | JsonPaths) -> list[tuple[str, Any]]:
    return [(name, getattr(obj, name)) for name in obj.__slots__]


@dataclass(frozen=True, slots=True)
class ChannelSpec:
    """A channel (or one forum thread of a supergroup) fed automatically.

    ``chat`` is an ``@username`` or a numeric chat id (``-100…``). ``level`` ``urgent`` posts flash and
    urgent stories; ``all`` also normal ones, each posted silently. ``signature`` is a line added under
    every post (the channel's name, a call to subscribe).
    """

    chat: str | int
    topics: tuple[str, ...]
    level: str = "urgent"
    thread_id: int = 0
    signature: str | None = None

    @property
    def username(self) -> str | None:
        """The username without ``@`` (lower case), or None for a numeric id."""
        return self.chat[1:].lower() if isinstance(self.chat, str) else None

    def to_json(self) -> dict[str, Any]:
        return {
            "chat": self.chat,
            "topics": list(self.topics),
            "level": self.level,
            "thread_id": self.thread_id,
            "signature": self.signature,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ChannelSpec:
        """Rebuild (and validate) a channel from :meth:`to_json` output."""
        clean = {k: v for k, v in data.items() if v is not None}
        return _read_channel(clean, "channel", topics=None)


@dataclass(frozen=True, slots=True)
class Newsroom:
    """All topics, sources and channels of one deployment."""

    topics: tuple[TopicSpec, ...]
    sources: tuple[SourceSpec, ...]
    channels: tuple[ChannelSpec, ...] = ()

    def topic(self, slug: str) -> TopicSpec | None:
        return next((t for t in self.topics if t.slug == slug), None)

    def source(self, name: str) -> SourceSpec | None:
        return next((s for s in self.sources if s.name == name), None)


# ---------------------------------------------------------------------------------------------- reading


def _check_keys(data: Mapping[str, Any], where: str, allowed: Sequence[str]) -> None:
    for key in data:
        if key not in allowed:
            raise ConfigError(f"{where}.{key}", f"unknown key (allowed: {', '.join(allowed)})")


def _str(data: Mapping[str, Any], key: str, where: str, *, required: bool = False) -> str | None:
    value = data.get(key)
    if value is None:
        if required:
            raise ConfigError(f"{where}.{key}", "required")
        return None
    if not isinstance(value, str) or not value.strip():
        raise ConfigError(f"{where}.{key}", "must be a non-empty string")
    return value.strip()


def _req_str(data: Mapping[str, Any], key: str, where: str) -> str:
    value = _str(data, key, where, required=True)
    assert value is not None
    return value


def _str_list(data: Mapping[str, Any], key: str, where: str) -> tuple[str, ...]:
    value = data.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise ConfigError(f"{where}.{key}", "must be a list of non-empty strings")
    return tuple(v.strip() for v in value)


def _str_map(data: Mapping[str, Any], key: str, where: str) -> dict[str, str]:
    value = data.get(key, {})
    if not isinstance(value, Mapping):
        raise ConfigError(f"{where}.{key}", "must be a table of strings")
    for k, v in value.items():
        if not isinstance(v, str) or not v.strip() or not str(k).strip():
            raise ConfigError(f"{where}.{key}.{k}", "must be a non-empty string")
    return {str(k).strip(): v.strip() for k, v in value.items()}


def _css(data: Mapping[str, Any], key: str, where: str, *, required: bool = False) -> str | None:
    value = _str(data, key, where, required=required)
    if value is not None:
        try:
            GenericTranslator().css_to_xpath(value)
        except SelectorError as e:
            raise ConfigError(f"{where}.{key}", f"invalid CSS selector {value!r}: {e}") from e
    return value


def _path(data: Mapping[str, Any], key: str, where: str, *, required: bool = False) -> str | None:
    value = data.get(key)
    if key == "items" and value == "":
        return ""  # the document itself is the list
    text = _str(data, key, where, required=required)
    if text is not None and not _PATH_RE.match(text):
        raise ConfigError(f"{where}.{key}", f"not a dotted field path: {text!r}")
    return text


_HTML_KEYS = ("item", "title", "link", "time", "category", "urgent_class", "body")
_JSON_KEYS = ("items", "title", "link", "guid", "time", "category", "summary", "urgent", "html_titles")
_SOURCE_KEYS = (
    "name",
    "kind",
    "url",
    "interval_seconds",
    "enabled",
    "language",
    "default_topics",
    "category_map",
    "urgency_markers",
    "html",
    "json",
    "dedup_window_hours",
)
_TOPIC_KEYS = ("slug", "name_ar", "name_en", "keywords")


def _read_html(data: Any, where: str) -> HtmlSelectors:
    if not isinstance(data, Mapping):
        raise ConfigError(where, "must be a table")
    _check_keys(data, where, _HTML_KEYS)
    item = _css(data, "item", where, required=True)
    assert item is not None
    return HtmlSelectors(
        item=item,
        title=_css(data, "title", where),
        link=_css(data, "link", where),
        time=_css(data, "time", where),
        category=_css(data, "category", where),
        urgent_class=_str(data, "urgent_class", where),
        body=_css(data, "body", where),
    )


def _read_json_paths(data: Any, where: str) -> JsonPaths:
    if not isinstance(data, Mapping):
        raise ConfigError(where, "must be a table")
    _check_keys(data, where, _JSON_KEYS)
    items = _path(data, "items", where, required=True)
    title = _path(data, "title", where, required=True)
    assert items is not None and title is not None
    urgent = _str_list(data, "urgent", where)
    for i, p in enumerate(urgent):
        if not _PATH_RE.match(p):
            raise ConfigError(f"{where}.urgent[{i}]", f"not a dotted field path: {p!r}")
    html_titles = data.get("html_titles", False)
    if not isinstance(html_titles, bool):
        raise ConfigError(f"{where}.html_titles", "must be true or false")
    return JsonPaths(
        items=items,
        title=title,
        link=_path(data, "link", where),
        guid=_path(data, "guid", where),
        time=_path(data, "time", where),
        category=_path(data, "category", where),
        summary=_path(data, "summary", where),
        urgent=urgent,
        html_titles=html_titles,
    )


def _read_source(data: Mapping[str, Any], where: str, topics: set[str] | None) -> SourceSpec:
    _check_keys(data, where, _SOURCE_KEYS)
    name = _req_str(data, "name", where)
    kind_text = _req_str(data, "kind", where)
    try:
        kind = SourceKind(kind_text.lower())
    except ValueError as e:
        raise ConfigError(f"{where}.kind", f"must be one of rss, html, json (got {kind_text!r})") from e
    if kind not in _FETCHABLE:
        raise ConfigError(f"{where}.kind", f"{kind.value!r} sources are not fetched; use rss, html or json")
    url = _req_str(data, "url", where)
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError(f"{where}.url", f"must be an absolute http(s) URL (got {url!r})")

    interval = data.get("interval_seconds", DEFAULT_INTERVAL_SECONDS)
    if isinstance(interval, bool) or not isinstance(interval, int) or interval < MIN_INTERVAL_SECONDS:
        raise ConfigError(f"{where}.interval_seconds", f"must be an integer >= {MIN_INTERVAL_SECONDS}")
    enabled = data.get("enabled", True)
    if not isinstance(enabled, bool):
        raise ConfigError(f"{where}.enabled", "must be true or false")
    language = _str(data, "language", where) or "ar"
    window = data.get("dedup_window_hours", DEFAULT_DEDUP_WINDOW_HOURS)
    if isinstance(window, bool) or not isinstance(window, int | float) or not 0 < window <= 24 * 30:
        raise ConfigError(f"{where}.dedup_window_hours", "must be a number of hours in (0, 720]")

    default_topics = _str_list(data, "default_topics", where)
    category_map = _str_map(data, "category_map", where)
    if topics is not None:
        for i, slug in enumerate(default_topics):
            if slug not in topics:
                raise ConfigError(f"{where}.default_topics[{i}]", f"unknown topic {slug!r}")
        for cat, slug in category_map.items():
            if slug not in topics:
                raise ConfigError(f"{where}.category_map.{cat}", f"unknown topic {slug!r}")

    markers = _str_map(data, "urgency_markers", where)
    for marker, level in markers.items():
        if level not in {u.value for u in Urgency}:
            raise ConfigError(f"{where}.urgency_markers.{marker}", "must be flash, urgent or normal")

    html = _read_html(data["html"], f"{where}.html") if "html" in data else None
    jpaths = _read_json_paths(data["json"], f"{where}.json") if "json" in data else None
    if kind is SourceKind.HTML and html is None:
        raise ConfigError(f"{where}.html.item", 'required for kind "html"')
    if kind is SourceKind.JSON and jpaths is None:
        raise ConfigError(f"{where}.json.items", 'required for kind "json"')
    if kind is not SourceKind.JSON and jpaths is not None:
        raise ConfigError(f"{where}.json", 'only for kind "json"')
    if kind is not SourceKind.HTML and html is not None:
        raise ConfigError(f"{where}.html", 'only for kind "html"')

    return SourceSpec(
        name=name,
        kind=kind,
        url=url,
        interval_seconds=interval,
        enabled=enabled,
        language=language,
        default_topics=default_topics,
        category_map=_frozen_map(category_map),
        urgency_markers=_frozen_map(markers),
        html=html,
        json=jpaths,
        dedup_window_hours=float(window),
    )


def _read_topic(data: Any, where: str) -> TopicSpec:
    if not isinstance(data, Mapping):
        raise ConfigError(where, "must be a table")
    _check_keys(data, where, _TOPIC_KEYS)
    slug = _req_str(data, "slug", where)
    if not _SLUG_RE.match(slug):
        raise ConfigError(f"{where}.slug", f"must match {_SLUG_RE.pattern} (got {slug!r})")
    return TopicSpec(
        slug=slug,
        name_ar=_req_str(data, "name_ar", where),
        name_en=_req_str(data, "name_en", where),
        keywords=_str_list(data, "keywords", where),
    )


_CHANNEL_KEYS = ("chat", "topics", "level", "thread_id", "signature")


def _read_channel(data: Any, where: str, topics: set[str] | None) -> ChannelSpec:
    """One ``[[channels]]`` entry; unknown keys and unknown topics are named together in one error."""
    if not isinstance(data, Mapping):
        raise ConfigError(where, "must be a table")
    problems: list[str] = []
    unknown = [str(k) for k in data if k not in _CHANNEL_KEYS]
    if unknown:
        problems.append(f"unknown keys: {', '.join(unknown)} (allowed: {', '.join(_CHANNEL_KEYS)})")
    raw_topics = data.get("topics")
    if raw_topics is not None and (
        not isinstance(raw_topics, list) or not all(isinstance(v, str) and v.strip() for v in raw_topics)
    ):
        raise ConfigError(f"{where}.topics", "must be a list of topic slugs")
    slugs = tuple(dict.fromkeys(v.strip() for v in raw_topics or []))
    if topics is not None:
        missing = [slug for slug in slugs if slug not in topics]
        if missing:
            problems.append("unknown topics: " + ", ".join(repr(m) for m in missing))
    if problems:
        raise ConfigError(where, "; ".join(problems))
    chat = data.get("chat")
    if chat is None:
        raise ConfigError(f"{where}.chat", "required (an @username or a numeric chat id)")
    if isinstance(chat, str) and chat.strip().lstrip("-").isdigit():
        chat = int(chat.strip())
    if isinstance(chat, bool) or not isinstance(chat, int | str):
        raise ConfigError(f"{where}.chat", "must be an @username or a numeric chat id")
    if isinstance(chat, int) and chat >= 0:
        raise ConfigError(f"{where}.chat", f"a channel's id is negative (-100…), got {chat}")
    if isinstance(chat, str):
        chat = chat.strip()
        if not _USERNAME_RE.match(chat):
            raise ConfigError(
                f"{where}.chat", f"must be an @username (5-32 characters) or an id, got {chat!r}"
            )
    if not slugs:
        raise ConfigError(f"{where}.topics", "required: at least one topic slug")
    level = data.get("level", "urgent")
    if level not in CHANNEL_LEVELS:
        raise ConfigError(f"{where}.level", f"must be one of {', '.join(CHANNEL_LEVELS)} (got {level!r})")
    thread_id = data.get("thread_id", 0)
    if isinstance(thread_id, bool) or not isinstance(thread_id, int) or thread_id < 0:
        raise ConfigError(
            f"{where}.thread_id", "must be a forum topic's message_thread_id (a positive integer)"
        )
    signature = _str(data, "signature", where)
    if signature is not None and len(signature) > MAX_SIGNATURE:
        raise ConfigError(f"{where}.signature", f"at most {MAX_SIGNATURE} characters")
    return ChannelSpec(chat=chat, topics=slugs, level=str(level), thread_id=thread_id, signature=signature)


def parse_newsroom(text: str) -> Newsroom:
    """Parse and validate the TOML text of a sources file."""
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise ConfigError("sources file", f"not valid TOML: {e}") from e
    _check_keys(doc, "sources file", ("topics", "sources", "channels"))
    raw_topics = doc.get("topics", [])
    raw_sources = doc.get("sources", [])
    if not isinstance(raw_topics, list):
        raise ConfigError("topics", "must be an array of tables ([[topics]])")
    if not isinstance(raw_sources, list):
        raise ConfigError("sources", "must be an array of tables ([[sources]])")

    topics: list[TopicSpec] = []
    for i, raw in enumerate(raw_topics):
        topic = _read_topic(raw, f"topics[{i}]")
        if any(t.slug == topic.slug for t in topics):
            raise ConfigError(f"topics[{i}].slug", f"duplicate topic {topic.slug!r}")
        topics.append(topic)
    slugs = {t.slug for t in topics}

    sources: list[SourceSpec] = []
    for i, raw in enumerate(raw_sources):
        where = f"sources[{i}]"
        if not isinstance(raw, Mapping):
            raise ConfigError(where, "must be a table")
        source = _read_source(raw, where, slugs)
        if any(s.name == source.name for s in sources):
            raise ConfigError(f"{where}.name", f"duplicate source {source.name!r}")
        sources.append(source)

    raw_channels = doc.get("channels", [])
    if not isinstance(raw_channels, list):
        raise ConfigError("channels", "must be an array of tables ([[channels]])")
    channels: list[ChannelSpec] = []
    for i, raw in enumerate(raw_channels):
        channel = _read_channel(raw, f"channels[{i}]", slugs)
        key = (channel.username or channel.chat, channel.thread_id)
        if any((c.username or c.chat, c.thread_id) == key for c in channels):
            raise ConfigError(f"channels[{i}].chat", f"duplicate channel {channel.chat!r}")
        channels.append(channel)
    return Newsroom(topics=tuple(topics), sources=tuple(sources), channels=tuple(channels))


def load_newsroom(path: str | Path) -> Newsroom:
    """Read and validate a sources file; I/O errors become :class:`ConfigError` naming the file."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        raise ConfigError("SOURCES_FILE", f"cannot read {path}: {e}") from e
    return parse_newsroom(text)


def example_newsroom_path() -> Path:
    """The bundled example file (``bot/data/sources.example.toml``)."""
    return Path(__file__).resolve().parent.parent / "data" / "sources.example.toml"
