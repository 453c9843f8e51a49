"""Text-overlap scores for extracted article text against a gold text.

Definitions follow ``shared/corpus/README.md`` so our numbers are comparable with its reference figures:

* tokens are ``\\w+`` matches (Unicode, case kept);
* **BoW**: per page, precision = |extracted ∩ gold| / |extracted| and recall = |extracted ∩ gold| / |gold|
  over token *multisets*;
* **Shingle**: the same over multisets of 4-token shingles (a text shorter than 4 tokens is one shingle);
* corpus F1: average precision over pages *with output*, average recall over pages *with gold*, then the
  harmonic mean of the two averages (not the mean of per-page F1s).

Pure functions, no I/O, so the benchmark and the unit tests share one definition.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

_TOKEN = re.compile(r"\w+")
SHINGLE_SIZE = 4


def tokens(text: str) -> list[str]:
    """``\\w+`` tokens of ``text``, case kept."""
    return _TOKEN.findall(text)


def shingles(toks: Sequence[str], size: int = SHINGLE_SIZE) -> list[tuple[str, ...]]:
    """Overlapping ``size``-token windows; a short non-empty text is one shingle of all its tokens."""
    if not toks:
        return []
    if len(toks) < size:
        return [tuple(toks)]
    return [tuple(toks[i : i + size]) for i in range(len(toks) - size + 1)]


@dataclass(frozen=True, slots=True)
class PageScore:
    """One page's precision/recall; ``None`` where undefined (no output, or empty gold)."""

    precision: float | None
    recall: float | None


def _page_score(extracted: Counter[object], gold: Counter[object]) -> PageScore:
    overlap = sum((extracted & gold).values())
    n_ext = sum(extracted.values())
    n_gold = sum(gold.values())
    return PageScore(
        precision=overlap / n_ext if n_ext else None,
        recall=overlap / n_gold if n_gold else None,
    )


def bow_score(extracted: str, gold: str) -> PageScore:
    """Bag-of-words precision and recall of one page."""
    return _page_score(Counter(tokens(extracted)), Counter(tokens(gold)))


def shingle_score(extracted: str, gold: str) -> PageScore:
    """4-word-shingle precision and recall of one page."""
    return _page_score(Counter(shingles(tokens(extracted))), Counter(shingles(tokens(gold))))


@dataclass(frozen=True, slots=True)
class CorpusScore:
    precision: float
    recall: float
    f1: float
    pages: int


def corpus_score(pages: Iterable[PageScore]) -> CorpusScore:
    """Average precision over pages with output, recall over pages with gold, F1 of the averages.

    A page with gold but no output has recall 0 and no precision, so an extractor cannot raise its
    score by staying silent.
    """
    items = list(pages)
    precisions = [p.precision for p in items if p.precision is not None]
    recalls = [p.recall for p in items if p.recall is not None]
    avg_p = sum(precisions) / len(precisions) if precisions else 0.0
    avg_r = sum(recalls) / len(recalls) if recalls else 0.0
    f1 = 2 * avg_p * avg_r / (avg_p + avg_r) if avg_p + avg_r else 0.0
    return CorpusScore(precision=avg_p, recall=avg_r, f1=f1, pages=len(items))
