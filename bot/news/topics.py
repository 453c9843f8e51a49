"""Keyword rules that put a headline into topics, matched on normalised text at word boundaries.

Both the headline and each keyword go through :func:`bot.news.arabic.normalize`, so hamza forms,
taa marbuta, tashkeel and case do not matter. Boundaries are spaces of the normalised text (punctuation
is already a space there). Arabic glues clitics to the front of a word, so before an Arabic keyword the
prefixes ``و ف ب ل ك`` (one of them), then optionally ``ال``, or ``لل`` are allowed: ``اقتصاد`` matches
``والاقتصاد``, ``بالاقتصاد``, ``للاقتصاد``. A keyword written with its article (``الدوري``) is reduced to
the bare word so the same prefixes apply. A keyword ending in ``*`` matches a word prefix
(``انتخاب*`` → ``الانتخابات``; ``tariff*`` → ``tariffs``). No suffix stemming otherwise: a rule should
say what it means.

:class:`TopicSpec` (a topic and its keywords) is defined here, not in :mod:`bot.sources.spec`, which
loads it from the newsroom file: ``bot.sources`` depends on ``bot.news``, never the other way round.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

from bot.news.arabic import is_arabic, normalize


@dataclass(frozen=True, slots=True)
class TopicSpec:
    """A topic subscribers can pick; ``keywords`` (Arabic and English) classify headlines into it.

    A keyword ending in ``*`` matches as a word prefix (``انتخاب*`` matches ``انتخابات``).
    """

    slug: str
    name_ar: str
    name_en: str
    keywords: tuple[str, ...] = ()


_AR_PREFIX = "(?:[وفبلك]?(?:ال)?|[وفبك]?لل)"


def keyword_pattern(keyword: str) -> str | None:
    """Regex source matching ``keyword`` inside normalised text, or None for an empty keyword."""
    wildcard = keyword.rstrip().endswith("*")
    norm = normalize(keyword.rstrip().rstrip("*"))
    if not norm:
        return None
    arabic = is_arabic(norm)
    if arabic and norm.startswith("ال") and len(norm.split(" ")[0]) >= 5:
        norm = norm[2:]
    body = re.escape(norm).replace(r"\ ", " ")
    tail = r"\S*" if wildcard else ""
    prefix = _AR_PREFIX if arabic else ""
    return f"(?:^| ){prefix}{body}{tail}(?= |$)"


@lru_cache(maxsize=64)
def _compiled(topics: tuple[TopicSpec, ...]) -> tuple[tuple[str, re.Pattern[str] | None], ...]:
    out: list[tuple[str, re.Pattern[str] | None]] = []
    for topic in topics:
        parts = [p for kw in topic.keywords if (p := keyword_pattern(kw))]
        out.append((topic.slug, re.compile("|".join(parts)) if parts else None))
    return tuple(out)


def match_topics(text: str, topics: Sequence[TopicSpec]) -> tuple[str, ...]:
    """Slugs of the topics whose keywords occur in ``text``, in the order topics are declared."""
    norm = normalize(text)
    if not norm:
        return ()
    return tuple(slug for slug, rx in _compiled(tuple(topics)) if rx is not None and rx.search(norm))
