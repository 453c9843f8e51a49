"""The HTTP server as a worker: CMS API, ``/healthz``, ``/metrics``, the console and (webhook mode) updates.

* **Bind first.** :meth:`HttpWorker.start` runs before any other worker starts, so a port in use or an
  address that cannot be bound ends start-up with a :class:`~bot.exceptions.ConfigError` naming
  ``API__PORT`` or ``API__HOST`` (:func:`listen_error`), not a traceback after half the bot is up.
* **Webhook mode.** The same server receives Telegram's updates: ``setWebhook`` with a secret token
  on start (a refusal is a ``ConfigError`` naming ``API__WEBHOOK_URL``), ``deleteWebhook`` on stop —
  only by the last live instance, since every instance behind the load balancer takes updates (and
  the secret is the same on all: :func:`bot.coord.webhook_secret`, unless one is configured).
* **Supervised.** :meth:`serve` is the task the supervisor watches: it restarts the server if it was
  stopped underneath, then waits forever.
"""

from __future__ import annotations

import errno
import logging
import socket
from collections.abc import Awaitable, Callable
from urllib.parse import urlsplit

from aiogram import Bot, Dispatcher
from aiogram.exceptions import TelegramAPIError, TelegramNetworkError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.api.health import Reporter, ReportingApiServer
from bot.api.server import WebhookRoute
from bot.clock import Clock
from bot.config import Settings
from bot.coord import webhook_secret
from bot.exceptions import ConfigError
from bot.supervisor import wait_forever

log = logging.getLogger(__name__)

DEFAULT_WEBHOOK_PATH = "/telegram/webhook"


class HttpWorker:
    """Owns the :class:`~bot.api.health.ReportingApiServer` of this instance (``api``, once started)."""

    def __init__(
        self,
        *,
        settings: Settings,
        sessionmaker: async_sessionmaker[AsyncSession],
        clock: Clock,
        bot: Bot,
        wake: Callable[[], None],
        report: Reporter,
        members: Callable[[], Awaitable[int]],
    ) -> None:
        self._settings = settings
        self._sessionmaker = sessionmaker
        self._clock = clock
        self._bot = bot
        self._wake = wake
        self._report = report
        self._members = members  # live instances (bot.coord.Leadership.members)
        self.api: ReportingApiServer | None = None
        self.webhook_url: str | None = None  # set once Telegram accepted setWebhook

    async def start(self, dispatcher: Dispatcher, *, webhook: bool) -> None:
        """Start the aiohttp server (and in webhook mode setWebhook)."""
        route, url = self._webhook_route(dispatcher) if webhook else (None, None)
        self.api = ReportingApiServer(
            settings=self._settings,
            sessionmaker=self._sessionmaker,
            clock=self._clock,
            wake=self._wake,
            report=self._report,
            webhook=route,
        )
        host, port = self._settings.api.host, self._settings.api.port
        try:
            await self.api.start()
        except OSError as e:
            await self.api.stop()
            raise listen_error(host, port, e) from None
        if route is None or url is None:
            return
        try:
            await self._bot.set_webhook(
                url, secret_token=route.secret, allowed_updates=dispatcher.resolve_used_update_types()
            )
        except (TelegramAPIError, TelegramNetworkError) as e:
            await self.api.stop()
            raise ConfigError("API__WEBHOOK_URL", f"Telegram refused setWebhook for {url}: {e}") from None
        log.info("webhook set: Telegram posts updates to %s", url)
        self.webhook_url = url

    async def serve(self) -> None:
        """The aiohttp server runs on its own; this task restarts it if it was stopped underneath."""
        if self.api is not None and self.api.port is None:
            await self.api.start()
        await wait_forever()

    async def stop(self) -> None:
        if self.webhook_url is not None and await self._last_instance():
            try:
                await self._bot.delete_webhook()
                log.info("webhook deleted")
            except (TelegramAPIError, TelegramNetworkError) as e:
                log.warning("deleteWebhook failed: %s", e)
        if self.api is not None:
            await self.api.stop()

    def _webhook_route(self, dispatcher: Dispatcher) -> tuple[WebhookRoute, str]:
        settings = self._settings
        url = settings.api.webhook_url
        if not url:
            raise ConfigError("API__WEBHOOK_URL", "required for webhook mode (aajel run --webhook)")
        configured = settings.api.webhook_secret
        # Telegram echoes the secret on every call; every instance behind the load balancer must accept
        # the same one, so without a configured secret it is derived from the token (bot.coord)
        token = settings.bot_token.get_secret_value() if settings.bot_token else ""
        secret = configured.get_secret_value() if configured is not None else webhook_secret(token)
        path = urlsplit(url).path or DEFAULT_WEBHOOK_PATH
        return WebhookRoute(path=path, dispatcher=dispatcher, bot=self._bot, secret=secret), url

    async def _last_instance(self) -> bool:
        """Are we the only live instance (then stopping may delete the webhook)?"""
        try:
            return await self._members() <= 1
        except Exception:
            return False  # unsure: leave the webhook set (updates wait at Telegram, nothing is lost)


def listen_error(host: str, port: int, error: OSError) -> ConfigError:
    """Name the right key: a port in use is API__PORT's fault, an address we cannot bind API__HOST's."""
    if error.errno in (errno.EADDRINUSE, errno.EACCES) and not isinstance(error, socket.gaierror):
        reason = "already in use" if error.errno == errno.EADDRINUSE else "not allowed (needs privileges)"
        return ConfigError("API__PORT", f"cannot listen on {host}:{port}: port {reason}")
    return ConfigError("API__HOST", f"cannot listen on {host}:{port}: {error.strerror or error}")
