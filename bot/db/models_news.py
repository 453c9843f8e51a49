"""Sources, topics and the articles polled from them: what the ingestion pipeline writes.

One table module of :mod:`bot.db.models` (import the classes from there; the shared conventions are
in :mod:`bot.db.models_base`).

Invariants:

* A source's polling state (ETag, back-off, health, baseline done, poll lease) lives in its row, not in
  a process's memory: several instances share the sources and each due poll is made once
  (:mod:`bot.coord.sources`).
* **Dedup is the database's job**: an article is unique per source by guid, by canonical URL and by
  normalised-title key. Any of them may be NULL when unknown; NULLs never collide (on both engines).
  The pipeline inserts with ``ON CONFLICT DO NOTHING`` and takes a refused row as "seen"
  (:mod:`bot.pipeline_store`).
* ``Article.story_id`` points at the story's first sighting (never a chain); ``revision`` counts the
  updates recorded against it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    Double,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
    false,
    text,
    true,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from bot.db.models_base import Base, created_at_column, updated_at_column
from bot.db.types import BigId, EnumString, UTCDateTime
from bot.domain import SourceKind, Urgency

__all__ = ["Article", "Source", "Topic", "article_topics"]

article_topics = Table(
    "article_topics",
    Base.metadata,
    Column("article_id", BigInteger, ForeignKey("articles.id", ondelete="CASCADE"), primary_key=True),
    Column("topic_id", Integer, ForeignKey("topics.id", ondelete="CASCADE"), primary_key=True),
    Index(None, "topic_id"),
)


class Source(Base):
    """A news source polled on a schedule; its polling state lives here, not in memory."""

    __tablename__ = "sources"
    __table_args__ = (
        Index(None, "enabled", "next_poll_at"),
        Index(None, "poll_due_at"),
        Index(None, "host", "poll_lease_until"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(128), nullable=False, unique=True)
    kind: Mapped[SourceKind] = mapped_column(EnumString(SourceKind), nullable=False)
    url: Mapped[str] = mapped_column(Text, nullable=False, unique=True)
    interval_seconds: Mapped[float] = mapped_column(
        Double, nullable=False, default=60.0, server_default=text("60")
    )
    enabled: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True, server_default=true())
    config: Mapped[dict[str, Any]] = mapped_column(
        JSON, nullable=False, default=dict, server_default=text("'{}'")
    )
    etag: Mapped[str | None] = mapped_column(Text)
    last_modified: Mapped[str | None] = mapped_column(String(64))
    baseline_done: Mapped[bool] = mapped_column(
        Boolean, nullable=False, default=False, server_default=false()
    )
    last_polled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_success_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    next_poll_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    failure_count: Mapped[int] = mapped_column(Integer, nullable=False, default=0, server_default=text("0"))
    last_error: Mapped[str | None] = mapped_column(Text)
    healthy: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True, server_default=true())
    # poll leases (bot.coord.sources): several instances share the sources; each due poll is made once
    host: Mapped[str | None] = mapped_column(String(255))
    poll_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    poll_owner: Mapped[str | None] = mapped_column(String(64))
    poll_lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = created_at_column()
    updated_at: Mapped[datetime] = updated_at_column()

    def __repr__(self) -> str:
        return f"Source(id={self.id!r}, name={self.name!r}, kind={self.kind!r})"


class Topic(Base):
    """What subscribers pick; ``keywords`` feed the topic classifier."""

    __tablename__ = "topics"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    slug: Mapped[str] = mapped_column(String(64), nullable=False, unique=True)
    name_ar: Mapped[str] = mapped_column(String(128), nullable=False)
    name_en: Mapped[str] = mapped_column(String(128), nullable=False)
    keywords: Mapped[list[str]] = mapped_column(
        JSON, nullable=False, default=list, server_default=text("'[]'")
    )
    created_at: Mapped[datetime] = created_at_column()

    def __repr__(self) -> str:
        return f"Topic(id={self.id!r}, slug={self.slug!r})"


class Article(Base):
    """One story as seen in one source.

    ``story_id`` points at the first article this one near-duplicates or updates (NULL for a story's
    first sighting); ``revision`` counts updates of the same item.
    """

    __tablename__ = "articles"
    __table_args__ = (
        UniqueConstraint("source_id", "guid"),
        UniqueConstraint("source_id", "canonical_url"),
        UniqueConstraint("source_id", "title_key"),
        Index(None, "story_id"),
        Index(None, "detected_at"),
        Index(None, "title_key"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    source_id: Mapped[int] = mapped_column(
        Integer, ForeignKey("sources.id", ondelete="CASCADE"), nullable=False
    )
    guid: Mapped[str | None] = mapped_column(String(512))
    url: Mapped[str | None] = mapped_column(Text)
    canonical_url: Mapped[str | None] = mapped_column(Text)
    title_key: Mapped[str | None] = mapped_column(String(64))
    headline: Mapped[str] = mapped_column(Text, nullable=False)
    summary: Mapped[str | None] = mapped_column(Text)
    urgency: Mapped[Urgency] = mapped_column(
        EnumString(Urgency), nullable=False, default=Urgency.NORMAL, server_default=Urgency.NORMAL.value
    )
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    detected_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
    story_id: Mapped[int | None] = mapped_column(BigInteger, ForeignKey("articles.id", ondelete="SET NULL"))
    revision: Mapped[int] = mapped_column(Integer, nullable=False, default=0, server_default=text("0"))
    body_text: Mapped[str | None] = mapped_column(Text)
    body_html: Mapped[str | None] = mapped_column(Text)
    body_fetched_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = created_at_column()
    updated_at: Mapped[datetime] = updated_at_column()

    source: Mapped[Source] = relationship(lazy="raise")
    story: Mapped[Article | None] = relationship(remote_side="Article.id", lazy="raise")
    topics: Mapped[list[Topic]] = relationship(
        secondary=article_topics, lazy="selectin", passive_deletes=True, order_by=Topic.id
    )

    def __repr__(self) -> str:
        return f"Article(id={self.id!r}, source_id={self.source_id!r}, guid={self.guid!r})"
