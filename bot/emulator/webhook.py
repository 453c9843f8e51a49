"""Webhook delivery: while a webhook is set, queued updates are POSTed to it, oldest first.

Each update is sent as a JSON body with ``Content-Type: application/json`` and, when ``setWebhook``
got a ``secret_token``, the header ``X-Telegram-Bot-Api-Secret-Token``. A 2xx answer confirms the
update (it leaves the queue). Anything else — a non-2xx status, a refused connection, a timeout — is
recorded as the webhook's ``last_error_date``/``last_error_message`` (visible in ``getWebhookInfo``)
and retried after each of ``Emulator.webhook_retry_delays``; after the last retry the update is dropped.
(Telegram retries for much longer; a short, configurable schedule keeps tests fast.)

As in Telegram, a 2xx answer whose JSON body names a ``method`` is executed as a Bot API call, so
aiogram's "reply to webhook" mode works. Delivery is sequential (one connection), so order is kept.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from typing import Any

import aiohttp

from bot.emulator import botapi
from bot.emulator.model import UpdateRecord, WebhookAttempt, WebhookConfig
from bot.emulator.state import Emulator

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"


class WebhookWorker:
    """Background task that drains the update queue into the webhook; one per running server."""

    def __init__(self, emulator: Emulator, *, request_timeout: float = 5.0) -> None:
        self.emulator = emulator
        self.request_timeout = request_timeout

    async def run(self) -> None:
        timeout = aiohttp.ClientTimeout(total=self.request_timeout)
        async with aiohttp.ClientSession(timeout=timeout) as session:
            while True:
                emulator = self.emulator
                hook = emulator.webhook
                if emulator.closing:
                    return  # server shutting down; a restarted server starts a new worker
                if hook is None or not emulator.updates:
                    await emulator.wait_changed(1.0)
                    continue
                await self._deliver(session, hook, emulator.updates[0])

    async def _deliver(
        self, session: aiohttp.ClientSession, hook: WebhookConfig, update: UpdateRecord
    ) -> None:
        emulator = self.emulator
        for delay in (0.0, *emulator.webhook_retry_delays):
            if delay:
                await asyncio.sleep(delay)
            if emulator.webhook is not hook:
                return  # the webhook changed or was deleted: start over with the new setting
            status, error, reply = await self._post(session, hook, update)
            emulator.webhook_attempts.append(WebhookAttempt(update.update_id, emulator.now(), status, error))
            if error is None:
                emulator.updates = [u for u in emulator.updates if u.update_id != update.update_id]
                emulator.notify()
                if reply is not None:
                    await botapi.handle(emulator, emulator.token, str(reply.pop("method")), reply)
                return
            hook.last_error_date = emulator.now()
            hook.last_error_message = error
            emulator.notify()
        emulator.updates = [u for u in emulator.updates if u.update_id != update.update_id]
        emulator.notify()

    async def _post(
        self, session: aiohttp.ClientSession, hook: WebhookConfig, update: UpdateRecord
    ) -> tuple[int | None, str | None, dict[str, Any] | None]:
        """POST one update: (status, error text or None on success, method call found in the reply)."""
        headers = {"Content-Type": "application/json"}
        if hook.secret_token:
            headers[SECRET_HEADER] = hook.secret_token
        try:
            async with session.post(hook.url, data=json.dumps(update.to_api()), headers=headers) as response:
                body = await response.read()
                if not 200 <= response.status < 300:
                    return (
                        response.status,
                        f"Wrong response from the webhook: {response.status} {response.reason}",
                        None,
                    )
                return response.status, None, _method_call(body, response.content_type)
        except TimeoutError:
            return None, "Timeout expired", None
        except aiohttp.ClientError as e:
            return None, f"Connection failed: {type(e).__name__}", None


def _method_call(body: bytes, content_type: str) -> dict[str, Any] | None:
    if content_type != "application/json" or not body:
        return None
    with contextlib.suppress(ValueError):
        data = json.loads(body)
        if isinstance(data, dict) and isinstance(data.get("method"), str):
            return data
    return None
