"""Signing in to the editors' console: one-time links from the bot, then browser sessions.

Design and invariants
---------------------
* **The bot is the only way in.** An editor sends ``/console`` in the private chat; the editors'
  gate has already checked they are an editor, and :func:`issue_link` stores a new
  ``console_sessions`` row holding the SHA-256 of a random 256-bit link token, valid
  :data:`LINK_TTL` (5 minutes). The token itself goes only into the message to the editor.
* **A link works once.** :func:`redeem_link` finds the row by the token's hash, refuses it when
  expired, already used or when its editor is no longer an editor, and otherwise marks it used in
  the same UPDATE that checks ``redeemed_at IS NULL`` — two browsers racing with one link cannot
  both win. It stores the SHA-256 of a fresh session token (the cookie's value).
* **Every request re-checks everything** (:func:`load_session`): the session exists, was not
  ended, is within :data:`SESSION_TTL` of sign-in and :data:`IDLE_TTL` of its last use, and its
  editor is still in ``editors`` — removing an editor locks them out on their next click.
* **CSRF.** Each session has a CSRF token derived from the session token
  (:func:`csrf_token`: HMAC-SHA-256, nothing more to store); every state-changing request must
  echo it (form field or ``X-CSRF-Token`` header), compared in constant time.
* Pure helpers (hashing, expiry decisions) are separate from the few queries; nothing here
  commits and nothing here writes the audit log (the web layer audits each outcome).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import Clock, as_utc
from bot.config import Settings
from bot.db.models import ConsoleSession
from bot.services.editors import EditorInfo, get_editor

LINK_TTL = timedelta(minutes=5)
"""How long a sign-in link from the bot works (and it works once)."""
SESSION_TTL = timedelta(hours=12)
"""A browser session ends this long after sign-in, however busy: one shift."""
IDLE_TTL = timedelta(hours=1)
"""…or after this long without a request."""
TOUCH_EVERY = timedelta(seconds=60)
"""``last_seen_at`` is written at most this often (not on every request: fewer writes)."""
CONSOLE_PATH = "/console"


class Refusal(StrEnum):
    """Why a link or a session was not accepted (an i18n key suffix and an audit result)."""

    UNKNOWN = "unknown"
    EXPIRED = "expired"
    USED = "used"
    NOT_EDITOR = "not_editor"
    ENDED = "ended"


@dataclass(frozen=True, slots=True)
class SignedIn:
    """A valid session, as every console request sees it."""

    session_id: int
    editor: EditorInfo
    csrf: str
    expires_at: datetime


def digest(token: str) -> str:
    """What is stored for a token: its SHA-256, hex (a 256-bit random token needs no salt)."""
    return hashlib.sha256(token.encode()).hexdigest()


def new_token() -> str:
    return secrets.token_urlsafe(32)


def csrf_token(session_token: str) -> str:
    """The session's CSRF token: bound to the session, unguessable without the HttpOnly cookie."""
    return hmac.new(session_token.encode(), b"aajel-console-csrf", hashlib.sha256).hexdigest()


def csrf_ok(session_token: str, given: str | None) -> bool:
    return bool(given) and hmac.compare_digest(csrf_token(session_token), str(given))


def base_url(settings: Settings) -> str | None:
    """The console's address as editors reach it; None when the server listens on "any port"."""
    if settings.api.public_url:
        return settings.api.public_url.rstrip("/") + CONSOLE_PATH
    if settings.api.port == 0:
        return None
    host = settings.api.host
    shown = "127.0.0.1" if host in ("0.0.0.0", "") else (f"[{host}]" if ":" in host else host)
    return f"http://{shown}:{settings.api.port}{CONSOLE_PATH}"


def link_url(base: str, token: str) -> str:
    return f"{base}/login?token={token}"


def session_refusal(row: ConsoleSession, now: datetime) -> Refusal | None:
    """Pure: is this session still good at ``now``? (The editor check is separate: it needs a query.)"""
    if row.ended_at is not None or row.session_expires_at is None:
        return Refusal.ENDED
    if now >= as_utc(row.session_expires_at):
        return Refusal.EXPIRED
    seen = row.last_seen_at or row.redeemed_at
    if seen is not None and now - as_utc(seen) >= IDLE_TTL:
        return Refusal.EXPIRED
    return None


def link_refusal(row: ConsoleSession | None, now: datetime) -> Refusal | None:
    """Pure: may this link still be used at ``now``?"""
    if row is None:
        return Refusal.UNKNOWN
    if row.redeemed_at is not None:
        return Refusal.USED
    if now >= as_utc(row.link_expires_at):
        return Refusal.EXPIRED
    return None


async def issue_link(session: AsyncSession, editor: EditorInfo, clock: Clock) -> str:
    """Store a new one-time sign-in for ``editor``; returns the token (shown once, never stored)."""
    token = new_token()
    now = clock.now()
    session.add(
        ConsoleSession(
            editor_telegram_id=editor.telegram_id,
            link_hash=digest(token),
            link_expires_at=now + LINK_TTL,
            created_at=now,
        )
    )
    await session.flush()
    return token


async def check_link(session: AsyncSession, token: str, clock: Clock) -> tuple[int | None, Refusal | None]:
    """Without using it: whose link is this (Telegram id) and would it be refused? For the sign-in page."""
    row = await session.scalar(select(ConsoleSession).where(ConsoleSession.link_hash == digest(token)))
    refusal = link_refusal(row, clock.now())
    if row is None:
        return None, refusal
    if refusal is None and await get_editor(session, row.editor_telegram_id) is None:
        refusal = Refusal.NOT_EDITOR
    return row.editor_telegram_id, refusal


async def redeem_link(
    session: AsyncSession, token: str, clock: Clock
) -> tuple[str, SignedIn] | tuple[int | None, Refusal]:
    """Use a link: (session token, the session) — or (its editor's id if known, why it was refused)."""
    now = clock.now()
    row = await session.scalar(select(ConsoleSession).where(ConsoleSession.link_hash == digest(token)))
    refusal = link_refusal(row, now)
    if row is None or refusal is not None:
        return (row.editor_telegram_id if row is not None else None), refusal or Refusal.UNKNOWN
    editor = await get_editor(session, row.editor_telegram_id)
    if editor is None:
        return row.editor_telegram_id, Refusal.NOT_EDITOR
    session_token = new_token()
    expires = now + SESSION_TTL
    claimed = await session.execute(
        update(ConsoleSession)
        .where(ConsoleSession.id == row.id, ConsoleSession.redeemed_at.is_(None))
        .values(
            redeemed_at=now,
            last_seen_at=now,
            session_hash=digest(session_token),
            session_expires_at=expires,
        )
        .execution_options(synchronize_session=False)
    )
    if int(getattr(claimed, "rowcount", 0) or 0) != 1:  # another browser used it a moment ago
        return row.editor_telegram_id, Refusal.USED
    return session_token, SignedIn(row.id, editor, csrf_token(session_token), expires)


async def load_session(
    session: AsyncSession, token: str | None, clock: Clock
) -> SignedIn | tuple[int | None, Refusal]:
    """The session behind a cookie, re-checked in full (see module doc); touches ``last_seen_at``."""
    if not token:
        return None, Refusal.UNKNOWN
    row = await session.scalar(select(ConsoleSession).where(ConsoleSession.session_hash == digest(token)))
    if row is None:
        return None, Refusal.UNKNOWN
    now = clock.now()
    refusal = session_refusal(row, now)
    if refusal is not None:
        return row.editor_telegram_id, refusal
    editor = await get_editor(session, row.editor_telegram_id)
    if editor is None:
        row.ended_at = now
        await session.flush()
        return row.editor_telegram_id, Refusal.NOT_EDITOR
    if row.last_seen_at is None or now - as_utc(row.last_seen_at) >= TOUCH_EVERY:
        row.last_seen_at = now
        await session.flush()
    assert row.session_expires_at is not None  # checked by session_refusal
    return SignedIn(row.id, editor, csrf_token(token), as_utc(row.session_expires_at))


async def end_session(session: AsyncSession, session_id: int, clock: Clock) -> None:
    await session.execute(
        update(ConsoleSession)
        .where(ConsoleSession.id == session_id, ConsoleSession.ended_at.is_(None))
        .values(ended_at=clock.now())
        .execution_options(synchronize_session=False)
    )


__all__ = [
    "CONSOLE_PATH",
    "IDLE_TTL",
    "LINK_TTL",
    "SESSION_TTL",
    "Refusal",
    "SignedIn",
    "base_url",
    "check_link",
    "csrf_ok",
    "csrf_token",
    "digest",
    "end_session",
    "issue_link",
    "link_url",
    "load_session",
    "redeem_link",
]
