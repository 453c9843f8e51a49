"""The CMS API's request and response bodies (pydantic), and the source of its OpenAPI schemas.

The OpenAPI document (:mod:`bot.api.openapi`) is generated from these very classes, so the schema a
client reads and the validation the server applies cannot drift apart. Requests forbid unknown
fields (a typo like ``"topic"`` is an error naming the field, not silently ignored); limits are the
ones every front end checks (:mod:`bot.domain`; a correction's is :mod:`bot.services.corrections`'),
so a headline longer than the push shows whole is refused, not cut.

Every free-text field is cleaned *before* validation by the same function as feed headlines
(:func:`bot.news.text.clean_text`; an alert body by :func:`~bot.news.text.clean_multiline`, which keeps
its line breaks): NUL, C0/C1 controls, bidi overrides/isolates and lone surrogates never reach the
database or a subscriber, on either engine, and a headline made only of them is "too short" (422).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, StringConstraints, field_validator

from bot.domain import MAX_BODY, MAX_HEADLINE, MAX_URL
from bot.news.text import clean_multiline, clean_text
from bot.services.corrections import MAX_CORRECTION
from bot.services.editor_alerts import valid_url

Slug = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9_-]*$", max_length=64)]


def _cleaned(value: object) -> object:
    return clean_text(value) if isinstance(value, str) else value


def _cleaned_lines(value: object) -> object:
    return clean_multiline(value) if isinstance(value, str) else value


Text = Annotated[str, BeforeValidator(_cleaned)]
"""One-line text, cleaned like a feed headline before any length check."""
Lines = Annotated[str, BeforeValidator(_cleaned_lines)]
"""Text with line breaks (an alert body), cleaned the same way but keeping its lines."""

IDEMPOTENCY_KEY_PATTERN = r"^[\x21-\x7e]{1,100}$"
"""Printable ASCII without spaces, 1–100 characters (a UUID is a good key)."""


class _Request(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class AlertCreate(_Request):
    """An urgent alert to push to every subscriber (and channel) of its topics."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "headline": "انفجار في ميناء المدينة وأنباء عن إصابات",
                    "body": "أفاد شهود عيان بسماع دوي انفجار قوي قرب الرصيف الرابع.",
                    "url": "https://news.example.com/2026/port-blast",
                    "topics": ["politics", "world"],
                    "level": "flash",
                }
            ]
        }
    )

    headline: Text = Field(
        min_length=1, max_length=MAX_HEADLINE, description="The headline, shown in bold after the badge."
    )
    body: Lines | None = Field(
        default=None, max_length=MAX_BODY, description="Optional text under the headline."
    )
    url: Text | None = Field(
        default=None, max_length=MAX_URL, description="Optional link (http or https) shown under the text."
    )
    topics: list[Slug] = Field(
        min_length=1, max_length=20, description="Topic slugs (as in the sources file); at least one."
    )
    level: Literal["flash", "urgent"] = Field(
        default="urgent", description="flash > urgent; both notify with sound."
    )

    @field_validator("url")
    @classmethod
    def _url(cls, value: str | None) -> str | None:
        if value in (None, ""):
            return None
        if not valid_url(value):
            raise ValueError("must be an http:// or https:// URL with a host name")
        return value

    @field_validator("body")
    @classmethod
    def _body(cls, value: str | None) -> str | None:
        return value or None

    @field_validator("topics")
    @classmethod
    def _unique(cls, value: list[str]) -> list[str]:
        return list(dict.fromkeys(value))


class CorrectionCreate(_Request):
    """The corrected text; every delivered copy is edited to show it."""

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"text": "انفجار في ميناء المدينة دون إصابات"}]}
    )

    text: Text = Field(min_length=1, max_length=MAX_CORRECTION, description="The corrected headline text.")


class RetractionCreate(_Request):
    """Retract an alert: copies not yet sent are cancelled, sent ones are marked retracted."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"reason": "sent by mistake"}]})

    reason: Text | None = Field(default=None, max_length=500, description="Kept in the audit log only.")


class AlertAccepted(BaseModel):
    """The alert is stored and its deliveries are in the outbox (201), or a replay found it (200)."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"id": 42, "replayed": False, "recipients": 1250, "status_url": "/api/v1/alerts/42"}]
        }
    )

    id: int = Field(description="The alert id: use it for status, correction and retraction.")
    replayed: bool = Field(description="True when the Idempotency-Key matched an earlier request.")
    recipients: int = Field(description="Chats (and forum threads) the alert is planned for.")
    status_url: str


class AlertProgress(BaseModel):
    """Where an alert's delivery (and any correction or retraction) stands."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": 42,
                    "kind": "editor",
                    "state": "active",
                    "urgency": "flash",
                    "headline": "انفجار في ميناء المدينة",
                    "created_at": "2026-01-01T10:00:00Z",
                    "total": 1250,
                    "sent": 1200,
                    "failed": 3,
                    "pending": 45,
                    "cancelled": 2,
                    "edits_pending": 0,
                    "edits_done": 0,
                    "edits_failed": 0,
                    "first_sent_at": "2026-01-01T10:00:00.400000Z",
                    "last_sent_at": "2026-01-01T10:00:48Z",
                    "done": False,
                }
            ]
        }
    )

    id: int
    kind: Literal["story", "editor", "digest", "escalation", "update"]
    state: Literal["active", "corrected", "retracted"]
    urgency: Literal["flash", "urgent", "normal"]
    headline: str
    created_at: datetime
    total: int = Field(description="Deliveries planned.")
    sent: int
    failed: int
    pending: int = Field(description="Not yet sent (waiting, leased, or rescheduled after a 429).")
    cancelled: int
    edits_pending: int = Field(description="Delivered copies still waiting for a correction/retraction edit.")
    edits_done: int
    edits_failed: int
    first_sent_at: datetime | None
    last_sent_at: datetime | None
    done: bool = Field(description="Nothing is pending: neither sends nor edits.")


class ChangeAccepted(BaseModel):
    """A correction or retraction was accepted; ``copies`` delivered messages will be edited."""

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"id": 42, "copies": 1200, "status_url": "/api/v1/alerts/42"}]}
    )

    id: int
    copies: int
    status_url: str


class Error(BaseModel):
    """Every error answer: a human-readable message and, for bad input, the field at fault."""

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"error": "unknown topic 'sport'", "field": "topics[0]"}]}
    )

    error: str
    field: str | None = Field(
        default=None, description="The field at fault: a JSON path like topics[0], or a header name."
    )


class Health(BaseModel):
    """Liveness of the parts that must run: 200 when all are ok, 503 naming those that are down.

    ``degraded`` (still 200): everything runs, but the newsroom's pulse is weak — no source succeeded
    for a while, or due deliveries wait with no send; ``checks`` says which.
    """

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"status": "ok", "checks": {"database": "ok", "scheduler": "ok", "sender": "ok"}, "down": []}
            ]
        }
    )

    status: Literal["ok", "degraded", "down"]
    checks: dict[str, str]
    down: list[str]


class TelegramUpdate(BaseModel):
    """A Telegram ``Update`` object as Telegram posts it (validated by aiogram, not here)."""

    model_config = ConfigDict(extra="allow", json_schema_extra={"examples": [{"update_id": 1}]})

    update_id: int


__all__ = [
    "IDEMPOTENCY_KEY_PATTERN",
    "AlertAccepted",
    "AlertCreate",
    "AlertProgress",
    "ChangeAccepted",
    "CorrectionCreate",
    "Error",
    "Health",
    "RetractionCreate",
    "TelegramUpdate",
]
