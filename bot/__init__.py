"""Aajel (عاجل): urgent news headlines to Telegram, by topic.

The core package. ``handlers`` (aiogram routers) imports from here; nothing here imports ``handlers``
except the composition root in :mod:`bot.cli` / :mod:`bot.app`.
"""

__version__ = "0.1.0"
