"""The editors' console in the browser: ``/console`` on the HTTP server of :mod:`bot.api.server`.

Layout: :mod:`~bot.console.auth` (one-time links from the bot's ``/console``, sessions, CSRF),
:mod:`~bot.console.web` (routes, guard, cookies, headers, templates), :mod:`~bot.console.pages`
(compose/preview/send, an alert's progress with correct/retract, history, sources, channels, stats),
:mod:`~bot.console.live` (progress as server-sent events), :mod:`~bot.console.readmodels` and
:mod:`~bot.console.chart` (channels; deliveries per hour as inline SVG). Templates (Jinja2) and the
one stylesheet and script live in ``templates/`` and ``static/``: no CDN, no build step.

Invariant: the console adds no business rule. Every action calls the service function the Telegram
editors' flow and the CMS API call (:mod:`bot.services.editor_alerts`, :mod:`bot.services.corrections`,
:mod:`bot.services.sources`), and every action is audited with the editor's Telegram id.
"""

from __future__ import annotations

from bot.console.web import Console

__all__ = ["Console"]
