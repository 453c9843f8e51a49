"""Editors, alerts and their deliveries (the outbox), and the records kept of editors' work.

One table module of :mod:`bot.db.models` (import the classes from there; the shared conventions are
in :mod:`bot.db.models_base`).

Invariants:

* Every push is an :class:`Alert` (a source's story, an editor's message, a digest, or a follow-up of
  a stored story); it is planned once: ``planned_at`` is set when its deliveries are in the outbox.
  ``idempotency_key`` makes CMS/API retries harmless.
* The outbox is :class:`Delivery`, one row per alert and recipient, unique per (alert, chat, thread),
  so planning the same alert twice is harmless. Its transitions (lease, outcome, an expired lease
  back to ``pending``) are :mod:`bot.delivery`'s (``outbox.py``, ``leases.py``).
* Delivery's foreign keys to ``subscribers`` and ``channels`` name those tables (declared in
  :mod:`bot.db.models`), so this module needs no import of them.
* State a feature reads has a table of its own (:class:`EditorMessage`); the audit log is only ever a
  record, never read to decide anything.
* Console sign-ins store only hashes of their tokens (:class:`ConsoleSession`).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Final

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
    false,
    func,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from bot.db.models_base import Base, created_at_column, updated_at_column
from bot.db.models_news import Article, Topic
from bot.db.types import BigId, ChoiceString, EnumString, UTCDateTime
from bot.domain import AlertState, DeliveryStatus, EditState, Urgency

__all__ = [
    "ALERT_KINDS",
    "EDITOR_MESSAGE_ROLES",
    "Alert",
    "AuditLog",
    "ConsoleSession",
    "Delivery",
    "Editor",
    "EditorMessage",
    "alert_topics",
]

ALERT_KINDS: Final[tuple[str, ...]] = ("story", "editor", "digest", "escalation", "update")
"""Where an alert came from: a source's story, an editor (/alert, CMS API), or a digest bundle; or a
follow-up of a stored story (:mod:`bot.services.escalation`): ``escalation`` (a normal story that
became urgent, pushed to whoever has not had it) and ``update`` (a material change of a pushed story,
sent as a reply to the earlier push; ``parent_alert_id`` names that push)."""

alert_topics = Table(
    "alert_topics",
    Base.metadata,
    Column("alert_id", Integer, ForeignKey("alerts.id", ondelete="CASCADE"), primary_key=True),
    Column("topic_id", Integer, ForeignKey("topics.id", ondelete="CASCADE"), primary_key=True),
    Index(None, "topic_id"),
)


class Editor(Base):
    """A Telegram user allowed to send alerts; admins may add and remove editors."""

    __tablename__ = "editors"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    telegram_id: Mapped[int] = mapped_column(BigInteger, nullable=False, unique=True)
    name: Mapped[str | None] = mapped_column(String(128))
    is_admin: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False, server_default=false())
    added_by: Mapped[int | None] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = created_at_column()

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
    created_at: Mapped[datetime] = created_at_column()
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
    created_at: Mapped[datetime] = created_at_column()
    updated_at: Mapped[datetime] = updated_at_column()

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
    created_at: Mapped[datetime] = created_at_column()

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
    created_at: Mapped[datetime] = created_at_column()

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
    created_at: Mapped[datetime] = created_at_column()

    def __repr__(self) -> str:
        return f"ConsoleSession(id={self.id!r}, editor_telegram_id={self.editor_telegram_id!r})"
