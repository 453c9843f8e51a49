"""``/healthz`` with states, not booleans: which task is restarting, whether the database is down, the pulse.

:class:`ReportingApiServer` is the :class:`~bot.api.server.ApiServer` whose health answer comes from
one ``report`` function (the composition root builds it from the supervisor, a database probe and
the ops pulse) instead of a set of yes/no checks:

* every entry of :attr:`HealthReport.checks` is a short state (``ok``, ``down``, ``restarting``,
  ``none configured``, ``no source succeeded for 17m`` …);
* names in :attr:`HealthReport.down` make the answer ``503 down`` (a service manager should act);
* names in :attr:`HealthReport.degraded` make it ``200 degraded`` (people should look; restarting the
  process would not help).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from bot.api.models import Health
from bot.api.server import ApiServer


@dataclass(frozen=True, slots=True)
class HealthReport:
    checks: dict[str, str]
    down: list[str] = field(default_factory=list)
    degraded: list[str] = field(default_factory=list)

    @property
    def status(self) -> str:
        return "down" if self.down else ("degraded" if self.degraded else "ok")


Reporter = Callable[[], Awaitable[HealthReport]]


class ReportingApiServer(ApiServer):
    def __init__(self, *, report: Reporter, **kwargs: Any) -> None:
        super().__init__(checks={}, **kwargs)
        self._report = report

    async def health(self, request: web.Request) -> web.Response:
        report = await self._report()
        body = Health.model_validate({"status": report.status, "checks": report.checks, "down": report.down})
        return web.json_response(body.model_dump(), status=503 if report.down else 200)
