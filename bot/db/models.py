"""The relational model: every table Aajel stores, as SQLAlchemy 2 typed declarative classes.

Design and invariants
---------------------
* One :class:`Base` with a constraint **naming convention**, so every index, unique key, foreign key and
  check has the same explicit name on SQLite and PostgreSQL and Alembic migrations can address them.
* **Times** are :class:`~bot.db.types.UTCDateTime` (aware on write, aware UTC on read); enums and
  closed vocabularies are short strings checked on write (:class:`~bot.db.types.EnumString`,
  :class:`~bot.db.types.ChoiceString`, no CHECK). The column types and why are in :mod:`bot.db.types`.
  ``created_at``/``updated_at`` have a database-clock ``server_default`` only as a safety net: code that
  writes rows passes ``clock.now()`` explicitly (the injected :class:`~bot.clock.Clock`), and sets
  ``updated_at`` itself on change (there is no ``onupdate``: it would use the database clock and expire
  the attribute, which async code could then not read without an explicit refresh).
* **Dedup is the database's job**: an article is unique per source by guid, by canonical URL and by
  normalised-title key. Any of them may be NULL when unknown; NULLs never collide (on both engines).
  Deliveries are unique per (alert, chat, thread), so planning the same alert twice is harmless.
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
    Double,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    false,
    func,
    text,
    true,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from bot.db.types import BigId, ChoiceString, EnumString, UTCDateTime
from bot.domain import AlertState, ChatKind, DeliveryStatus, EditState, SourceKind, Urgency

NAMING_CONVENTION: Final[dict[str, str]] = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

LANGUAGES: Final[tuple[str, ...]] = ("ar", "en")
"""Languages a subscriber can choose; Arabic first."""

SUBSCRIPTION_LEVELS: Final[tuple[str, ...]] = ("urgent", "all")
"""``urgent``: only flash/urgent stories of the topic; ``all``: also normal ones (digest)."""

CHANNEL_MANAGERS: Final[tuple[str, ...]] = ("telegram", "file")
"""Who owns a channel's topics and level: editors (Telegram, CMS API) or the sources file."""

ALERT_KINDS: Final[tuple[str, ...]] = ("story", "editor", "digest", "escalation", "update")
"""Where an alert came from: a source's story, an editor (/alert, CMS API), or a digest bundle; or a
follow-up of a stored story (:mod:`bot.services.escalation`): ``escalation`` (a normal story that
became urgent, pushed to whoever has not had it) and ``update`` (a material change of a pushed story,
sent as a reply to the earlier push; ``parent_alert_id`` names that push)."""


def _created_at() -> Mapped[datetime]:
    return mapped_column(UTCDateTime(), nullable=False, server_default=func.now())


def _updated_at() -> Mapped[datetime]:
    return mapped_column(UTCDateTime(), nullable=False, server_default=func.now())


class Base(DeclarativeBase):
    """The one declarative base; its metadata carries the naming convention."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {  # noqa: RUF012 - SQLAlchemy's declared class attribute
        datetime: UTCDateTime(),
        dict[str, Any]: JSON(),
        list[str]: JSON(),
    }


# --- association tables ---------------------------------------------------------------------------

article_topics = Table(
    "article_topics",
    Base.metadata,
    Column("article_id", BigInteger, ForeignKey("articles.id", ondelete="CASCADE"), primary_key=True),
    Column("topic_id", Integer, ForeignKey("topics.id", ondelete="CASCADE"), primary_key=True),
    Index(None, "topic_id"),
)

channel_topics = Table(
    "channel_topics",
    Base.metadata,
    Column("channel_id", Integer, ForeignKey("channels.id", ondelete="CASCADE"), primary_key=True),
    Column("topic_id", Integer, ForeignKey("topics.id", ondelete="CASCADE"), primary_key=True),
    Index(None, "topic_id"),
)

alert_topics = Table(
    "alert_topics",
    Base.metadata,
    Column("alert_id", Integer, ForeignKey("alerts.id", ondelete="CASCADE"), primary_key=True),
    Column("topic_id", Integer, ForeignKey("topics.id", ondelete="CASCADE"), primary_key=True),
    Index(None, "topic_id"),
)


# --- sources and topics ---------------------------------------------------------------------------


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
    created_at: Mapped[datetime] = _created_at()
    updated_at: Mapped[datetime] = _updated_at()

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
    created_at: Mapped[datetime] = _created_at()

    def __repr__(self) -> str:
        return f"Topic(id={self.id!r}, slug={self.slug!r})"


# --- articles ---------------------------------------------------------------------------------------


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
    created_at: Mapped[datetime] = _created_at()
    updated_at: Mapped[datetime] = _updated_at()

    source: Mapped[Source] = relationship(lazy="raise")
    story: Mapped[Article | None] = relationship(remote_side="Article.id", lazy="raise")
    topics: Mapped[list[Topic]] = relationship(
        secondary=article_topics, lazy="selectin", passive_deletes=True, order_by=Topic.id
    )

    def __repr__(self) -> str:
        return f"Article(id={self.id!r}, source_id={self.source_id!r}, guid={self.guid!r})"


# --- subscribers and channels ----------------------------------------------------------------------


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
    created_at: Mapped[datetime] = _created_at()
    updated_at: Mapped[datetime] = _updated_at()

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
    created_at: Mapped[datetime] = _created_at()

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
    created_at: Mapped[datetime] = _created_at()
    updated_at: Mapped[datetime] = _updated_at()

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
    updated_at: Mapped[datetime] = _updated_at()

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
    notified_at: Mapped[datetime] = _updated_at()

    def __repr__(self) -> str:
        return f"OpsNotice(target={self.target!r}, state={self.state!r})"


# --- editors, alerts and deliveries ------------------------------------------------------------------


class Editor(Base):
    """A Telegram user allowed to send alerts; admins may add and remove editors."""

    __tablename__ = "editors"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    telegram_id: Mapped[int] = mapped_column(BigInteger, nullable=False, unique=True)
    name: Mapped[str | None] = mapped_column(String(128))
    is_admin: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False, server_default=false())
    added_by: Mapped[int | None] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = _created_at()

    def __repr__(self) -> str:
        return f"Editor(id={self.id!r}, telegram_id={self.telegram_id!r}, is_admin={self.is_admin!r})"


class Alert(Base):
    """A story or an editor's message chosen for pushing.

    ``planned_at`` is set once its deliveries are in the outbox (fan-out done); an alert with
    ``planned_at IS NULL`` still has to be planned. ``idempotency_key`` makes CMS/API retries harmless.
    """

    __tablename__ = "alerts"
    __table_args__ = (
        Index(None, "article_id"),
        Index(None, "created_at"),
        Index(None, "planned_at"),
        Index(None, "parent_alert_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    article_id: Mapped[int | None] = mapped_column(BigInteger, ForeignKey("articles.id", ondelete="SET NULL"))
    headline: Mapped[str] = mapped_column(Text, nullable=False)
    body: Mapped[str | None] = mapped_column(Text)
    url: Mapped[str | None] = mapped_column(Text)
    urgency: Mapped[Urgency] = mapped_column(EnumString(Urgency), nullable=False)
    state: Mapped[AlertState] = mapped_column(
        EnumString(AlertState),
        nullable=False,
        default=AlertState.ACTIVE,
        server_default=AlertState.ACTIVE.value,
    )
    source_name: Mapped[str | None] = mapped_column(String(128))
    editor_id: Mapped[int | None] = mapped_column(Integer, ForeignKey("editors.id", ondelete="SET NULL"))
    idempotency_key: Mapped[str | None] = mapped_column(String(128), unique=True)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    detected_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
    created_at: Mapped[datetime] = _created_at()
    planned_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    correction_text: Mapped[str | None] = mapped_column(Text)
    corrected_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    retracted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    kind: Mapped[str] = mapped_column(
        ChoiceString(ALERT_KINDS), nullable=False, default="story", server_default="story"
    )
    status_chat_id: Mapped[int | None] = mapped_column(BigInteger)
    status_message_id: Mapped[int | None] = mapped_column(BigInteger)
    parent_alert_id: Mapped[int | None] = mapped_column(Integer, ForeignKey("alerts.id", ondelete="SET NULL"))
    """For ``kind='update'``: the push this update replies to (the story's first breaking alert)."""

    article: Mapped[Article | None] = relationship(lazy="raise")
    editor: Mapped[Editor | None] = relationship(lazy="raise")
    topics: Mapped[list[Topic]] = relationship(
        secondary=alert_topics, lazy="selectin", passive_deletes=True, order_by=Topic.id
    )

    def __repr__(self) -> str:
        return f"Alert(id={self.id!r}, urgency={self.urgency!r}, state={self.state!r})"


class Delivery(Base):
    """One alert to one recipient (a subscriber's chat/thread or a channel): a row of the outbox.

    The sender picks ``status='pending' AND next_attempt_at <= now`` by descending ``priority``
    (:attr:`Urgency.rank`), leases rows (``status='sending'``, ``lease_owner``, ``lease_until``) and
    records the outcome; an expired lease returns the row to ``pending``.
    """

    __tablename__ = "deliveries"
    __table_args__ = (
        UniqueConstraint("alert_id", "chat_id", "thread_id"),
        Index(None, "status", "priority", "next_attempt_at"),
        Index(None, "chat_id"),
        Index(None, "subscriber_id"),
        Index(None, "channel_id"),
        Index(None, "reply_to_id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    alert_id: Mapped[int] = mapped_column(
        Integer, ForeignKey("alerts.id", ondelete="CASCADE"), nullable=False
    )
    chat_id: Mapped[int] = mapped_column(BigInteger, nullable=False)
    thread_id: Mapped[int] = mapped_column(Integer, nullable=False, default=0, server_default=text("0"))
    subscriber_id: Mapped[int | None] = mapped_column(
        Integer, ForeignKey("subscribers.id", ondelete="SET NULL")
    )
    channel_id: Mapped[int | None] = mapped_column(Integer, ForeignKey("channels.id", ondelete="SET NULL"))
    priority: Mapped[int] = mapped_column(Integer, nullable=False, default=0, server_default=text("0"))
    status: Mapped[DeliveryStatus] = mapped_column(
        EnumString(DeliveryStatus),
        nullable=False,
        default=DeliveryStatus.PENDING,
        server_default=DeliveryStatus.PENDING.value,
    )
    attempts: Mapped[int] = mapped_column(Integer, nullable=False, default=0, server_default=text("0"))
    next_attempt_at: Mapped[datetime] = mapped_column(
        UTCDateTime(), nullable=False, server_default=func.now()
    )
    lease_owner: Mapped[str | None] = mapped_column(String(64))
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    telegram_message_id: Mapped[int | None] = mapped_column(BigInteger)
    error: Mapped[str | None] = mapped_column(Text)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    edit_state: Mapped[EditState | None] = mapped_column(EnumString(EditState))
    reply_to_id: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("deliveries.id", ondelete="SET NULL")
    )
    """The delivery (same chat and thread) of the earlier push this one replies to: the sender sends it
    as a Telegram reply to that copy's ``telegram_message_id`` (an update of a story)."""
    created_at: Mapped[datetime] = _created_at()
    updated_at: Mapped[datetime] = _updated_at()

    alert: Mapped[Alert] = relationship(lazy="raise")

    def __repr__(self) -> str:
        return (
            f"Delivery(id={self.id!r}, alert_id={self.alert_id!r}, chat_id={self.chat_id!r}, "
            f"thread_id={self.thread_id!r}, status={self.status!r})"
        )


EDITOR_MESSAGE_ROLES: Final[tuple[str, ...]] = ("preview", "status")


class EditorMessage(Base):
    """A message the bot showed an editor about one alert: its ``preview`` or its ``status`` message.

    Why a table of its own: /correct and /retract given as a reply find the alert from the replied-to
    message. That is state a feature reads, so it lives here — never in the audit log, which is only a
    record. One row per Telegram message ((chat, message) is unique); rows go with their alert.
    """

    __tablename__ = "editor_messages"
    __table_args__ = (UniqueConstraint("chat_id", "message_id"), Index(None, "alert_id"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    alert_id: Mapped[int] = mapped_column(
        Integer, ForeignKey("alerts.id", ondelete="CASCADE"), nullable=False
    )
    chat_id: Mapped[int] = mapped_column(BigInteger, nullable=False)
    message_id: Mapped[int] = mapped_column(BigInteger, nullable=False)
    role: Mapped[str] = mapped_column(ChoiceString(EDITOR_MESSAGE_ROLES), nullable=False)
    created_at: Mapped[datetime] = _created_at()

    def __repr__(self) -> str:
        return f"EditorMessage(alert_id={self.alert_id!r}, chat_id={self.chat_id!r}, role={self.role!r})"


class AuditLog(Base):
    """Who did what (editor actions, admin changes, API calls) and how it ended."""

    __tablename__ = "audit_log"
    __table_args__ = (Index(None, "created_at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    actor_telegram_id: Mapped[int | None] = mapped_column(BigInteger)
    action: Mapped[str] = mapped_column(String(64), nullable=False)
    target: Mapped[str | None] = mapped_column(String(256))
    result: Mapped[str] = mapped_column(String(32), nullable=False)
    details: Mapped[dict[str, Any]] = mapped_column(
        JSON, nullable=False, default=dict, server_default=text("'{}'")
    )
    created_at: Mapped[datetime] = _created_at()

    def __repr__(self) -> str:
        return f"AuditLog(id={self.id!r}, action={self.action!r}, result={self.result!r})"


class ConsoleSession(Base):
    """One sign-in to the editors' console: a one-time link, then (once redeemed) a browser session.

    Only SHA-256 hashes of the link token and of the session token are stored, so a copy of the
    database cannot be used to sign in. See :mod:`bot.console.auth`.
    """

    __tablename__ = "console_sessions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    editor_telegram_id: Mapped[int] = mapped_column(BigInteger, nullable=False)
    link_hash: Mapped[str] = mapped_column(String(64), nullable=False, unique=True)
    link_expires_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
    redeemed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    session_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    session_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_seen_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = _created_at()

    def __repr__(self) -> str:
        return f"ConsoleSession(id={self.id!r}, editor_telegram_id={self.editor_telegram_id!r})"


__all__ = [
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
