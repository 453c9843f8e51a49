"""Classification: a parsed item → headline without marker, urgency, topics.

``topics = source defaults ∪ category_map hits ∪ keyword hits`` where keyword rules
(:mod:`bot.news.topics`) run on the marker-free headline plus the item's categories — not on the
summary, whose passing mentions ("…said the health minister") would file a story under every topic.
Category names are compared normalised (``"سياسة"`` matches a map key ``"سياسه"``).

Order is deterministic: topics in the order the newsroom declares them, then any slug not declared
(possible only for specs built in code) in alphabetical order.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Protocol

from bot.domain import ClassifiedItem, ParsedItem
from bot.news.arabic import normalize
from bot.news.topics import TopicSpec, match_topics
from bot.news.urgency import detect


class SourceRules(Protocol):
    """What classification needs of a source (:class:`bot.sources.spec.SourceSpec` has it).

    A protocol, so :mod:`bot.news` does not import :mod:`bot.sources` (which imports this package)."""

    @property
    def default_topics(self) -> tuple[str, ...]: ...

    @property
    def category_map(self) -> Mapping[str, str]: ...

    @property
    def urgency_markers(self) -> Mapping[str, str]: ...


def classify(item: ParsedItem, spec: SourceRules, topics: Sequence[TopicSpec]) -> ClassifiedItem:
    """Urgency and marker stripping, then topics (see module docstring)."""
    urgency, headline = detect(
        item.title, categories=item.categories, flags=item.flags, markers=spec.urgency_markers
    )
    found: set[str] = set(spec.default_topics)
    category_map = {normalize(k): v for k, v in spec.category_map.items()}
    for category in item.categories:
        slug = category_map.get(normalize(category))
        if slug:
            found.add(slug)
    found.update(match_topics(" . ".join([headline, *item.categories]), topics))
    declared = [t.slug for t in topics]
    ordered = [s for s in declared if s in found] + sorted(found - set(declared))
    return ClassifiedItem(item=item, headline=headline, urgency=urgency, topics=tuple(ordered))
