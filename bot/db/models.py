"""The relational model: every table Aajel stores, as SQLAlchemy 2 typed declarative classes.

Import every table from here. The classes live by area and this module imports them all, so importing
it registers every table on the one ``Base.metadata`` (``alembic/env.py`` and the test fixtures rely on
that). The modules import downwards only, never back:

* :mod:`bot.db.models_base` — the declarative :class:`Base`, its constraint naming convention and the
  ``created_at``/``updated_at`` columns;
* :mod:`bot.db.models_news` — sources, topics and the articles polled from them;
* :mod:`bot.db.models_alerts` — editors, alerts, the delivery outbox, the audit log, console sessions;
* here — subscribers and their subscriptions, channels, and the small shared-state tables
  (``config_state``, ``ops_notices``).

Design and invariants (every table)
-----------------------------------
* Constraint names, time columns and closed vocabularies follow :mod:`bot.db.models_base`: the same
  explicit names on SQLite and PostgreSQL, aware UTC times written from the injected clock.
* **Dedup is the database's job**: an article is unique per source by guid, canonical URL and title
  key (:mod:`bot.db.models_news`); a delivery per (alert, chat, thread) (:mod:`bot.db.models_alerts`).
* ``thread_id`` is ``0`` for "the whole chat" (never NULL), so it can take part in unique keys.
* **Relationships never lazy-load implicitly** (async code cannot): single objects and large collections
  are ``lazy="raise"`` (load them with ``selectinload``/``joinedload`` or query them), small many-to-many
  topic sets are ``lazy="selectin"`` (loaded with their owner in one extra query).
* Deleting a row lets the **database** cascade (``ON DELETE CASCADE``/``SET NULL``, with
  ``passive_deletes=True`` on the ORM side), so a bulk ``DELETE`` behaves like ``session.delete()``.
  SQLite enforces this only with ``PRAGMA foreign_keys=ON``, which :func:`bot.db.session.create_engine`
  sets on every connection.
* JSON columns are not mutation-tracked: assign a new value (``source.config = {**source.config, ...}``)
  instead of changing the stored dict/list in place.
* Row ids that grow without bound (articles, deliveries, audit log) are BIGINT on PostgreSQL and
  ``INTEGER PRIMARY KEY`` (the 64-bit rowid) on SQLite.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Final

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
    text,
    true,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from bot.db.models_alerts import (
    ALERT_KINDS,
    EDITOR_MESSAGE_ROLES,
    Alert,
    AuditLog,
    ConsoleSession,
    Delivery,
    Editor,
    EditorMessage,
    alert_topics,
)
from bot.db.models_base import NAMING_CONVENTION, Base, created_at_column, updated_at_column
from bot.db.models_news import Article, Source, Topic, article_topics
from bot.db.types import ChoiceString, EnumString, UTCDateTime
from bot.domain import ChatKind

LANGUAGES: Final[tuple[str, ...]] = ("ar", "en")
"""Languages a subscriber can choose; Arabic first."""

SUBSCRIPTION_LEVELS: Final[tuple[str, ...]] = ("urgent", "all")
"""``urgent``: only flash/urgent stories of the topic; ``all``: also normal ones (digest)."""

CHANNEL_MANAGERS: Final[tuple[str, ...]] = ("telegram", "file")
"""Who owns a channel's topics and level: editors (Telegram, CMS API) or the sources file."""

channel_topics = Table(
    "channel_topics",
    Base.metadata,
    Column("channel_id", Integer, ForeignKey("channels.id", ondelete="CASCADE"), primary_key=True),
    Column("topic_id", Integer, ForeignKey("topics.id", ondelete="CASCADE"), primary_key=True),
    Index(None, "topic_id"),
)


class Subscriber(Base):
    """A chat that talks to the bot (a private user, or a group/supergroup where it was added).

    ``quiet_start``/``quiet_end`` are minutes after local midnight (in ``timezone``); the window may
    wrap midnight (start > end). Breaking stories ignore quiet hours.
    """

    __tablename__ = "subscribers"
    __table_args__ = (
        CheckConstraint(
            "quiet_start IS NULL OR (quiet_start >= 0 AND quiet_start < 1440)", name="quiet_start"
        ),
        CheckConstraint("quiet_end IS NULL OR (quiet_end >= 0 AND quiet_end < 1440)", name="quiet_end"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    chat_id: Mapped[int] = mapped_column(BigInteger, nullable=False, unique=True)
    kind: Mapped[ChatKind] = mapped_column(EnumString(ChatKind), nullable=False)
    title: Mapped[str | None] = mapped_column(String(256))
    username: Mapped[str | None] = mapped_column(String(64))
    language: Mapped[str] = mapped_column(
        ChoiceString(LANGUAGES, 8), nullable=False, default="ar", server_default="ar"
    )
    timezone: Mapped[str] = mapped_column(String(64), nullable=False, default="UTC", server_default="UTC")
    quiet_start: Mapped[int | None] = mapped_column(Integer)
    quiet_end: Mapped[int | None] = mapped_column(Integer)
    last_digest_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    active: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True, server_default=true())
    inactive_reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = created_at_column()
    updated_at: Mapped[datetime] = updated_at_column()

    subscriptions: Mapped[list[Subscription]] = relationship(
        back_populates="subscriber", lazy="raise", cascade="all, delete-orphan", passive_deletes=True
    )

    def __repr__(self) -> str:
        return f"Subscriber(id={self.id!r}, chat_id={self.chat_id!r}, kind={self.kind!r})"


class Subscription(Base):
    """A subscriber follows a topic, in the whole chat (``thread_id`` 0) or in one forum thread."""

    __tablename__ = "subscriptions"
    __table_args__ = (
        UniqueConstraint("subscriber_id", "topic_id", "thread_id"),
        Index(None, "topic_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    subscriber_id: Mapped[int] = mapped_column(
        Integer, ForeignKey("subscribers.id", ondelete="CASCADE"), nullable=False
    )
    topic_id: Mapped[int] = mapped_column(
        Integer, ForeignKey("topics.id", ondelete="CASCADE"), nullable=False
    )
    thread_id: Mapped[int] = mapped_column(Integer, nullable=False, default=0, server_default=text("0"))
    level: Mapped[str] = mapped_column(
        ChoiceString(SUBSCRIPTION_LEVELS), nullable=False, default="urgent", server_default="urgent"
    )
    created_at: Mapped[datetime] = created_at_column()

    subscriber: Mapped[Subscriber] = relationship(back_populates="subscriptions", lazy="raise")
    topic: Mapped[Topic] = relationship(lazy="selectin")

    def __repr__(self) -> str:
        return (
            f"Subscription(subscriber_id={self.subscriber_id!r}, topic_id={self.topic_id!r}, "
            f"thread_id={self.thread_id!r}, level={self.level!r})"
        )


class Channel(Base):
    """A channel or a forum thread fed automatically with its topics' stories.

    ``level`` ``urgent`` posts flash and urgent stories; ``all`` also posts normal ones, silently (see
    :mod:`bot.services.channels`). ``managed_by`` says who owns topics and level: ``file`` (a
    ``[[channels]]`` entry of the sources file, changed only there) or ``telegram`` (editors' buttons
    and the CMS API). ``active`` is what planning reads; when false, ``inactive_reason`` says why
    (missing post rights, removed from the channel …). ``feed_cursor`` is the detection time of the last
    normal story considered for an ``all`` channel.
    """

    __tablename__ = "channels"
    __table_args__ = (UniqueConstraint("chat_id", "thread_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    chat_id: Mapped[int] = mapped_column(BigInteger, nullable=False)
    thread_id: Mapped[int] = mapped_column(Integer, nullable=False, default=0, server_default=text("0"))
    title: Mapped[str | None] = mapped_column(String(256))
    active: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True, server_default=true())
    inactive_reason: Mapped[str | None] = mapped_column(Text)
    username: Mapped[str | None] = mapped_column(String(64))
    level: Mapped[str] = mapped_column(
        ChoiceString(SUBSCRIPTION_LEVELS), nullable=False, default="urgent", server_default="urgent"
    )
    signature: Mapped[str | None] = mapped_column(String(256))
    managed_by: Mapped[str] = mapped_column(
        ChoiceString(CHANNEL_MANAGERS), nullable=False, default="telegram", server_default="telegram"
    )
    added_by: Mapped[int | None] = mapped_column(BigInteger)
    feed_cursor: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = created_at_column()
    updated_at: Mapped[datetime] = updated_at_column()

    topics: Mapped[list[Topic]] = relationship(
        secondary=channel_topics, lazy="selectin", passive_deletes=True, order_by=Topic.id
    )

    def __repr__(self) -> str:
        return f"Channel(id={self.id!r}, chat_id={self.chat_id!r}, thread_id={self.thread_id!r})"


class ConfigState(Base):
    """Small named documents shared between processes: what the sources file declares that the
    running bot must apply (``channels``), and what the running bot has scheduled (``schedule``).

    Written by one owner each (import, the running bot's reconciler); never used as a log.
    """

    __tablename__ = "config_state"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[dict[str, Any]] = mapped_column(
        JSON, nullable=False, default=dict, server_default=text("'{}'")
    )
    updated_at: Mapped[datetime] = updated_at_column()

    def __repr__(self) -> str:
        return f"ConfigState(key={self.key!r})"


class OpsNotice(Base):
    """The state last *notified* to the ops chat, per subject (``source:<id>``, ``alert:<id>``).

    Why a table: the ops notifier sends a notice when a subject's state differs from the one last
    notified, and must not repeat it after a restart or from a second instance. That is state a
    feature reads, so it lives here — never in the audit log, which stays a record. One row per
    subject, overwritten on each notice; owned by :mod:`bot.services.ops_notices`.
    """

    __tablename__ = "ops_notices"

    target: Mapped[str] = mapped_column(String(64), primary_key=True)
    state: Mapped[str] = mapped_column(String(64), nullable=False)
    notified_at: Mapped[datetime] = updated_at_column()

    def __repr__(self) -> str:
        return f"OpsNotice(target={self.target!r}, state={self.state!r})"


__all__ = [
    "ALERT_KINDS",
    "CHANNEL_MANAGERS",
    "EDITOR_MESSAGE_ROLES",
    "LANGUAGES",
    "NAMING_CONVENTION",
    "SUBSCRIPTION_LEVELS",
    "Alert",
    "Article",
    "AuditLog",
    "Base",
    "Channel",
    "ConfigState",
    "ConsoleSession",
    "Delivery",
    "Editor",
    "EditorMessage",
    "OpsNotice",
    "Source",
    "Subscriber",
    "Subscription",
    "Topic",
    "alert_topics",
    "article_topics",
    "channel_topics",
]
