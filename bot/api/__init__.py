"""Aajel's HTTP side (aiohttp): the CMS API, the Telegram webhook, ``/healthz``, ``/metrics`` and the
OpenAPI document — all on one app, started by the composition root (:mod:`bot.app`).

* :mod:`bot.api.server` — the server's lifecycle and shared plumbing: auth, validation, audit, the
  webhook route, health and metrics.
* :mod:`bot.api.routes` — the one route table (registers the routes, generates the document).
* :mod:`bot.api.alerts`, :mod:`bot.api.channels` — the CMS handlers (idempotency of new alerts is
  :mod:`bot.services.cms_alerts`).
* :mod:`bot.api.models` — pydantic bodies; the OpenAPI schemas are generated from them.
* :mod:`bot.api.openapi` — the OpenAPI 3.1 document built from the route table.
* :mod:`bot.api.observe` — state gauges refreshed from the database at scrape time.
* :mod:`bot.api.guard` — hostile-request guards: JSON depth, path ids, the webhook's body checks, and
  the refused-request audit aggregated per client and minute.
"""

from bot.api.routes import operations
from bot.api.server import ApiServer, WebhookRoute

__all__ = ["ApiServer", "WebhookRoute", "operations"]
