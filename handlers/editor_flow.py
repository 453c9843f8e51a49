"""What the editors' alert handlers share: the update's context, the FSM forms and the typed draft.

* :class:`EditorTurn` — one editor update: its session, clock, language, editor and after-commit
  hooks, with the two things every step does (audit in the transaction, answer after the commit).
  Handlers pass one of these instead of the same six parameters to every helper.
* :class:`AlertForm` / :class:`CorrectForm` — the FSM states of /alert and /correct.
* :class:`DraftState` — the /alert draft as kept in FSM data: a frozen, validated record (stored as
  plain JSON under one key, so any FSM storage can hold it), never an untyped dict read key by key.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from aiogram import Bot
from aiogram.exceptions import TelegramBadRequest
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import Message
from aiogram.utils.formatting import Text
from pydantic import BaseModel, ConfigDict
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import Clock
from bot.domain import Urgency
from bot.i18n import t
from bot.services.editor_alerts import Draft
from bot.services.editors import EditorInfo, audit
from handlers.editor_gate import Hook, reply_later


class AlertForm(StatesGroup):
    text = State()
    review = State()


class CorrectForm(StatesGroup):
    text = State()


def escaped(text: str) -> str:
    """Plain text as Telegram HTML (the messages here are sent with the HTML parse mode)."""
    return Text(text).as_html()


async def edit_quietly(bot: Bot, **kwargs: Any) -> None:
    """Edit a message; "not modified" (the same content again) is not an error."""
    try:
        await bot.edit_message_text(**kwargs)
    except TelegramBadRequest as e:
        if "not modified" not in e.message.lower():
            raise


@dataclass(frozen=True, slots=True)
class EditorTurn:
    """One editor update (see the module docstring)."""

    session: AsyncSession
    clock: Clock
    lang: str
    editor: EditorInfo
    after_commit: list[Hook]

    async def audit(
        self, action: str, result: str, *, target: str | None = None, details: dict[str, Any] | None = None
    ) -> None:
        await audit(
            self.session,
            actor=self.editor.telegram_id,
            action=action,
            result=result,
            clock=self.clock,
            target=target,
            details=details,
        )

    def reply(self, message: Message, key: str, **args: object) -> None:
        """Answer ``message`` with the i18n text ``key`` once the transaction has committed."""
        reply_later(self.after_commit, message, escaped(t(key, self.lang, **args)))

    def later(self, hook: Hook) -> None:
        self.after_commit.append(hook)


class DraftState(BaseModel):
    """An /alert draft under review: the text, the chosen topics and level, and the two messages.

    ``preview_id``/``control_id`` are known only once the preview and controls are shown (after the
    commit); a button press on any other controls message is a stale one.
    """

    model_config = ConfigDict(frozen=True)

    headline: str
    body: str | None = None
    url: str | None = None
    topics: tuple[int, ...] = ()
    level: Urgency = Urgency.URGENT
    preview_id: int | None = None
    control_id: int | None = None

    @property
    def draft(self) -> Draft:
        return Draft(headline=self.headline, body=self.body, url=self.url)

    def toggled(self, topic_id: int) -> DraftState:
        chosen = tuple(chosen_id for chosen_id in self.topics if chosen_id != topic_id)
        return self.model_copy(update={"topics": chosen if topic_id in self.topics else (*chosen, topic_id)})


_DRAFT_KEY = "draft"


async def load_draft(state: FSMContext) -> DraftState | None:
    raw = (await state.get_data()).get(_DRAFT_KEY)
    return None if raw is None else DraftState.model_validate(raw)


async def save_draft(state: FSMContext, draft: DraftState) -> None:
    await state.update_data({_DRAFT_KEY: draft.model_dump(mode="json")})


class PendingCorrection(BaseModel):
    """/correct asked for the text: which alert it will correct."""

    model_config = ConfigDict(frozen=True)

    alert_id: int


_CORRECTION_KEY = "correction"


async def load_correction(state: FSMContext) -> PendingCorrection | None:
    raw = (await state.get_data()).get(_CORRECTION_KEY)
    return None if raw is None else PendingCorrection.model_validate(raw)


async def save_correction(state: FSMContext, pending: PendingCorrection) -> None:
    await state.set_data({_CORRECTION_KEY: pending.model_dump(mode="json")})


__all__ = [
    "AlertForm",
    "CorrectForm",
    "DraftState",
    "EditorTurn",
    "PendingCorrection",
    "edit_quietly",
    "escaped",
    "load_correction",
    "load_draft",
    "save_correction",
    "save_draft",
]
