"""Aajel's HTTP side (aiohttp): the CMS API, the Telegram webhook, ``/healthz``, ``/metrics`` and the
OpenAPI document — all on one app, started by the composition root (:mod:`bot.app`).

* :mod:`bot.api.server` — routes, auth, validation, idempotency, the webhook route.
* :mod:`bot.api.models` — pydantic bodies; the OpenAPI schemas are generated from them.
* :mod:`bot.api.openapi` — the OpenAPI 3.1 document built from the route table.
* :mod:`bot.api.observe` — state gauges refreshed from the database at scrape time.
* :mod:`bot.api.guard` — hostile-request guards: JSON depth, path ids, the webhook's body checks, and
  the refused-request audit aggregated per client and minute.
"""

from bot.api.server import ApiServer, WebhookRoute, operations

__all__ = ["ApiServer", "WebhookRoute", "operations"]
