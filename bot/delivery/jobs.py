"""One claimed job carried out: the Bot API requests it takes, and what became of it.

:class:`JobRunner` sends a message (``sendMessage``) or edits/deletes a sent copy (``editMessageText``,
``deleteMessage``), asks :func:`bot.delivery.outcome.decide` what each answer means, makes the follow-up
request a decision calls for (to the migrated chat, as plain text, an edit after a refused delete —
each through the pacer and the chat's limiter like any request), and turns the final decision into an
:class:`~bot.delivery.leases.Outcome` for the outbox. It also keeps what one sender run learnt about
chats: groups that migrated (later jobs go straight to the new id) and recipients that are gone (their
queued copies are cancelled without a request). The loop around it is :mod:`bot.delivery.sender`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from bot import metrics
from bot.clock import Clock
from bot.config import Settings
from bot.delivery.channel_render import ChannelStyle
from bot.delivery.leases import Claimed, JobKind, Outcome
from bot.delivery.limiter import ChatLimits, Pacer
from bot.delivery.outcome import Answer, Attempt, Decision, RetryPolicy, Step, Verdict, decide, retry
from bot.delivery.requests import AlertInfo, RequestTemplates
from bot.delivery.transport import BotApi
from bot.domain import AlertState, DeliveryStatus, EditState
from bot.exceptions import BotApiError, BotApiUnavailable

Job = Claimed
"""One claimed delivery (a send, or an edit/delete of a sent copy), held in memory."""
DELETE_WINDOW = timedelta(hours=48)
DELETE_SAFETY = timedelta(minutes=5)
"""Copies this close to 48 h are edited rather than deleted (clocks differ; a refused delete costs a call)."""


@dataclass
class SenderStats:
    sent: int = 0
    failed: int = 0
    retried: int = 0
    flood_waits: int = 0
    edits_done: int = 0
    edits_failed: int = 0
    recovered: int = 0
    by_reason: dict[str, int] = field(default_factory=dict)


class JobRunner:
    def __init__(
        self,
        *,
        api: BotApi,
        settings: Settings,
        clock: Clock,
        pacer: Pacer,
        chats: ChatLimits,
        stats: SenderStats,
    ) -> None:
        self._api = api
        self._settings = settings
        self._clock = clock
        self.pacer = pacer
        self.chats = chats
        self.stats = stats
        self.policy = RetryPolicy(settings.delivery.max_attempts, settings.delivery.max_backoff_seconds)
        self.templates = RequestTemplates(settings)
        self._bot_username: str | None = None  # for channel posts' deep links, from getMe once
        self.migrated: dict[int, int] = {}
        self.gone: set[int] = set()

    def reset(self) -> None:
        """Forget what a previous run learnt (a new run reads everything from the outbox again)."""
        self.templates.clear()
        self.migrated.clear()
        self.gone.clear()

    def route(self, job: Job) -> int | None:
        """The chat to send ``job`` to (its group may have migrated); ``None``: the recipient is gone."""
        chat = self.migrated.get(job.chat_id, job.chat_id)
        if chat in self.gone and job.kind is JobKind.SEND:
            return None
        return chat

    async def run(self, job: Job, chat: int, info: AlertInfo | None) -> Outcome:
        """Carry out ``job`` (its alert: ``info``) against ``chat``; the first request is already paced."""
        if job.kind is JobKind.SEND:
            return await self._send(job, chat, info)
        return await self._edit(job, chat, info)

    def crashed(self, job: Job, chat: int, error: Exception) -> Outcome:
        """Our own code failed on ``job``: retry it later like a transient error (never lose it)."""
        step = Step.SEND if job.kind is JobKind.SEND else Step.EDIT
        reason = f"{type(error).__name__}: {error}"
        return self._outcome(
            job, retry(Attempt(step, job.attempts), reason, self._clock.now(), self.policy), chat=chat
        )

    async def _pace(self, chat: int) -> None:
        """Another request for the same job (migrated chat, plain text, edit after a refused delete)."""
        await self.pacer.acquire()
        self.chats.record(chat)

    def _language(self, job: Job) -> str:
        return job.language or self._settings.default_language

    async def _channel_style(self, job: Job) -> ChannelStyle | None:
        """Channel posts carry URL buttons only (a deep link for the full article) and a signature."""
        if job.channel_id is None:
            return None
        if self._bot_username is None:
            me = await self._api.call("getMe", {})
            self._bot_username = str(me.get("username") or "")
        return ChannelStyle(bot_username=self._bot_username, signature=job.signature)

    async def _send(self, job: Job, chat: int, info: AlertInfo | None) -> Outcome:
        if info is None or info.view is None:
            return Outcome(job, status=DeliveryStatus.CANCELLED, error="alert retracted", count_attempt=False)
        view, lang = info.view, self._language(job)
        plain = False
        new_chat: int | None = chat if chat != job.chat_id else None
        style = await self._channel_style(job)
        calls = 0
        while True:
            if calls:
                await self._pace(chat)
            calls += 1
            body = self.templates.send(view, lang, plain=plain, style=style, reply_to=job.reply_to)
            answer: Answer = None
            result: Any = None
            try:
                result = await self._api.call_with(
                    "sendMessage", body, chat_id=chat, message_thread_id=job.thread_id or None
                )
            except (BotApiError, BotApiUnavailable) as e:
                answer = e
            decision = decide(
                Attempt(Step.SEND, job.attempts, plain, calls), answer, self._clock.now(), self.policy
            )
            if decision.verdict is Verdict.MIGRATE and decision.new_chat_id is not None:
                self.migrated[job.chat_id] = new_chat = chat = decision.new_chat_id
                continue
            if decision.verdict is Verdict.RESEND_PLAIN:
                plain = True
                continue
            message_id = int(result["message_id"]) if decision.verdict is Verdict.DELIVERED else None
            return self._outcome(job, decision, chat=chat, new_chat=new_chat, message_id=message_id)

    # --- edits and deletes -----------------------------------------------------------------------
    async def _edit(self, job: Job, chat: int, info: AlertInfo | None) -> Outcome:
        if info is None or job.message_id is None or info.original is None:
            return Outcome(job, edit_state=EditState.FAILED, error="nothing to edit (no message id or alert)")
        lang = self._language(job)
        body: Callable[[bool], str]
        if info.state is AlertState.RETRACTED:
            now = self._clock.now()
            if job.sent_at is not None and now - job.sent_at < DELETE_WINDOW - DELETE_SAFETY:
                answer: Answer = None
                try:
                    await self._api.call_with("deleteMessage", "}", chat_id=chat, message_id=job.message_id)
                except (BotApiError, BotApiUnavailable) as e:
                    answer = e
                decision = decide(Attempt(Step.DELETE, job.attempts), answer, self._clock.now(), self.policy)
                if decision.verdict is not Verdict.EDIT_INSTEAD:
                    return self._outcome(job, decision, chat=chat)
                await self._pace(chat)  # refused (too old for Telegram): edit it instead
            original = info.original

            def body(plain: bool) -> str:
                return self.templates.retraction(original, lang, plain=plain)

        elif info.view is not None and info.state is AlertState.CORRECTED:
            view = info.view
            style = await self._channel_style(job)

            def body(plain: bool) -> str:
                return self.templates.correction(view, lang, plain=plain, style=style)

        else:
            return Outcome(job, edit_state=EditState.DONE)
        plain = False
        calls = 0
        while True:
            if calls:
                await self._pace(chat)
            calls += 1
            answer = None
            try:
                await self._api.call_with(
                    "editMessageText", body(plain), chat_id=chat, message_id=job.message_id
                )
            except (BotApiError, BotApiUnavailable) as e:
                answer = e
            decision = decide(
                Attempt(Step.EDIT, job.attempts, plain, calls), answer, self._clock.now(), self.policy
            )
            if decision.verdict is Verdict.RESEND_PLAIN:
                plain = True
                continue
            return self._outcome(job, decision, chat=chat)

    def _outcome(
        self,
        job: Job,
        decision: Decision,
        *,
        chat: int,
        new_chat: int | None = None,
        message_id: int | None = None,
    ) -> Outcome:
        """Carry out the in-memory side of a decision and say what the outbox should store."""
        send = job.kind is JobKind.SEND
        verdict = decision.verdict
        if verdict is Verdict.DELIVERED:
            if not send:
                return Outcome(job, edit_state=EditState.DONE)
            return Outcome(
                job,
                status=DeliveryStatus.SENT,
                message_id=message_id,
                sent_at=self._clock.now(),
                new_chat_id=new_chat,
            )
        if verdict in (Verdict.RETRY, Verdict.FLOOD_WAIT):
            flood = verdict is Verdict.FLOOD_WAIT
            if flood:
                self._flood(chat, decision.wait_seconds or 1.0)
            return Outcome(
                job,
                status=DeliveryStatus.PENDING if send else None,
                error=decision.error,
                retry_at=decision.retry_at,
                count_attempt=not flood,
                new_chat_id=new_chat,
            )
        failed = DeliveryStatus.FAILED if send else None
        edit_failed = None if send else EditState.FAILED
        if verdict is Verdict.DEACTIVATE:
            self.gone.add(chat)
            return Outcome(job, status=failed, edit_state=edit_failed, error=decision.error, gone_chat=chat)
        return Outcome(job, status=failed, edit_state=edit_failed, error=decision.error, new_chat_id=new_chat)

    def _flood(self, chat: int, wait: float) -> None:
        """Telegram said "too many requests": this chat waits it out, the global pace slows and pauses."""
        self.stats.flood_waits += 1
        metrics.FLOOD_WAITS.inc()
        self.chats.postpone(chat, wait)
        self.pacer.slow_down()
        self.pacer.pause(min(wait, self._settings.delivery.flood_pause_max_seconds))


__all__ = ["DELETE_SAFETY", "DELETE_WINDOW", "Job", "JobRunner", "SenderStats"]
