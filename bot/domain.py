"""Frozen records passed between the stages of the pipeline, and the enums they use.

The walk of one headline::

    retrieve (I/O) -> FetchedPage -> parse (pure) -> ParsedItem
      -> classify (pure) -> ClassifiedItem -> decide new/update/duplicate (pure)
      -> store (one transaction) -> after commit: AlertRequest -> outbox -> sender

Records are small, immutable and carry no database identity except where named (``*_id``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

# --- limits of an alert: one definition, checked by every front end (Telegram, CMS API, console) ---

MAX_HEADLINE = 600
"""Longest headline an alert may carry — a new one or a correction (which replaces the headline).

Why 600: the push (:func:`bot.delivery.render.render_alert`) shows the headline whole up to this length
and stays far below Telegram's 4096-character message limit with the body, topics and link; editors'
front ends refuse a longer text instead of letting the push cut it."""

MAX_BODY = 1500
"""Longest body an alert may carry; the renderer cuts a longer (source) body, editors are refused."""

MAX_URL = 2000
"""Longest link an editor may attach (browsers and Telegram handle far longer; beyond this is a mistake)."""


class Urgency(StrEnum):
    """How loud a story is. Ordered: flash > urgent > normal."""

    FLASH = "flash"
    URGENT = "urgent"
    NORMAL = "normal"

    @property
    def rank(self) -> int:
        """Higher is more urgent; the outbox drains by descending rank."""
        return {"flash": 2, "urgent": 1, "normal": 0}[self.value]

    @property
    def is_breaking(self) -> bool:
        """Flash and urgent are pushed at once and bypass quiet hours."""
        return self is not Urgency.NORMAL


class SourceKind(StrEnum):
    RSS = "rss"  # RSS 0.9x/1.0/2.0 and Atom, through feedparser
    HTML = "html"  # listing/ticker page described by CSS selectors
    JSON = "json"  # JSON endpoint described by field paths


class ChatKind(StrEnum):
    PRIVATE = "private"
    GROUP = "group"
    SUPERGROUP = "supergroup"
    CHANNEL = "channel"


class DeliveryStatus(StrEnum):
    PENDING = "pending"  # in the outbox, not yet sent (or rescheduled after a retryable error)
    SENDING = "sending"  # leased by a sender; lease expiry returns it to pending
    SENT = "sent"
    FAILED = "failed"  # final failure, reason stored
    CANCELLED = "cancelled"  # recipient gone or alert retracted before sending


class EditState(StrEnum):
    """The follow-up edit (or delete) of a sent copy after a correction/retraction; NULL = never needed."""

    PENDING = "pending"  # to do: the sender takes these before any new message
    DONE = "done"  # edited, deleted, or Telegram said there was nothing to change
    FAILED = "failed"  # final failure, reason stored in ``error``


class AlertState(StrEnum):
    ACTIVE = "active"
    CORRECTED = "corrected"
    RETRACTED = "retracted"


@dataclass(frozen=True, slots=True)
class FetchedPage:
    """What retrieval got from a source. ``not_modified`` means a 304: ``body`` is empty."""

    url: str
    final_url: str
    status: int
    body: bytes
    headers: Mapping[str, str] = field(default_factory=dict)
    fetched_at: datetime | None = None
    not_modified: bool = False
    etag: str | None = None
    last_modified: str | None = None

    @property
    def content_type(self) -> str | None:
        for key, value in self.headers.items():
            if key.lower() == "content-type":
                return value
        return None


@dataclass(frozen=True, slots=True)
class ParsedItem:
    """One headline as a parser read it; text already decoded, unescaped once, whitespace-normalised.

    ``title`` still carries any urgency marker ("عاجل | ..."); classification removes it.
    ``flags`` are source-specific hints (CSS classes of a ticker item, a JSON "breaking" field).
    """

    title: str
    url: str | None = None
    guid: str | None = None
    published_at: datetime | None = None
    summary: str | None = None
    categories: tuple[str, ...] = ()
    flags: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class ClassifiedItem:
    """A parsed item with the marker stripped from ``headline``, its urgency and its topic slugs."""

    item: ParsedItem
    headline: str
    urgency: Urgency
    topics: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class AlertRequest:
    """The one seam into delivery: a feed story or an editor's alert that should be pushed.

    Ingestion, /alert and the CMS API all hand one of these to :func:`bot.services.alerts.create_alert`.
    """

    headline: str
    urgency: Urgency
    topics: tuple[str, ...]
    url: str | None = None
    body: str | None = None
    article_id: int | None = None
    source_name: str | None = None
    published_at: datetime | None = None
    detected_at: datetime | None = None
    editor_id: int | None = None
    idempotency_key: str | None = None
    kind: str | None = None  # alerts.kind; None keeps the default ("story")
    parent_alert_id: int | None = None  # an update's earlier push (see bot.services.escalation)
