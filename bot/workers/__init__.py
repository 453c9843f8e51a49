"""Background workers: every long-lived task of an instance, built and supervised in one place.

* :mod:`bot.workers.runner` — :class:`~bot.workers.runner.Workers`: constructs the sender, the poll
  jobs and source claims, digests, progress panels, ops checks and the pulse, command menus, the
  HTTP server and long polling, and registers each with the one :class:`~bot.supervisor.Supervisor`
  (who runs on every instance, who only on the leader).
* :mod:`bot.workers.progress` — live status messages of editors' alerts.
* :mod:`bot.workers.ops` — notices to the ops chat and the newsroom's pulse.
* :mod:`bot.workers.digest` — the digest job (who is due and what goes in: :mod:`bot.services.digest`).
* :mod:`bot.workers.http` — the HTTP server's start (bind first), webhook set/delete and stop.
* :mod:`bot.workers.menus` — command menus, retried in the background.
* :mod:`bot.workers.outages` — a database outage is not a crash for a periodic job.

Workers whose code lives with its domain are wired here, not moved: the sender
(:mod:`bot.delivery.sender`), the ingestion pipeline (:mod:`bot.pipeline`), live configuration
(:mod:`bot.scheduling`).

This ``__init__`` imports nothing, so ``bot.workers.progress`` can be imported by handlers without
pulling in the whole runtime.
"""
