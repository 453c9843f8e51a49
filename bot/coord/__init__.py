"""Several ``aajel run`` instances, one bot — PostgreSQL is the only coordinator.

* :mod:`bot.coord.leader`: one leader (advisory lock) long-polls, sends and runs the singleton jobs;
  the others stand by; SQLite allows one instance per file.
* :mod:`bot.coord.sources`: every instance polls sources; each due poll is claimed by exactly one
  (leases, ``FOR UPDATE SKIP LOCKED``), with a per-host cap that holds across instances.
"""

from bot.coord.leader import InstanceGuard, Leadership, bot_id, single_instance_guard, webhook_secret
from bot.coord.sources import SourceScheduler, host_of

__all__ = [
    "InstanceGuard",
    "Leadership",
    "SourceScheduler",
    "bot_id",
    "host_of",
    "single_instance_guard",
    "webhook_secret",
]
