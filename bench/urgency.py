"""Urgency benchmark: precision and recall of the urgency rules on real, hand-labelled feed headlines.

Data: ``tests/data/urgency_headlines.tsv`` — 481 headlines of the real feeds in
``shared/corpus/feeds`` (columns ``feed``, ``language``, ``headline``, ``urgent``), labelled by hand:
``urgent = 1`` when a wire desk would move the headline as a breaking/flash alert (a sudden event with
casualties or damage, a death of a prominent person, a resignation or dismissal at the top, an agreement
or official decision with immediate effect, an arrest in a major case); analysis, opinion, features,
previews, videos, live blogs, product and company-blog posts are ``0``. Synthetic test feeds and byte-
identical copies of another feed are left out. Only headlines are stored, never whole feeds.

Each labelled headline is found again in its feed, parsed by the poller's own parser, so the
``classify`` rows see the item's real categories and flags; the ``detect`` rows use the title alone.

Honest split: feeds at odd 1-based positions (sorted by file name) are **tune** (rules were changed only
after looking at errors there), the others **held**; ``all`` pools both. Columns: labelled headlines,
urgent labels, predicted urgent, true/false positives, precision, recall, false-urgent rate (false
positives ÷ non-urgent headlines) and errors (false urgents + misses, the cost the issue counts).
Baselines in the same run: "never urgent" (every urgent label a miss, no false urgent) and "keywords", a
guess from the headline's words (killed, dies, resigns, evacuated, attack, crash… in the corpus's
languages). The keyword list was written *after* reading every label, so it is as favourable to guessing
as it can be; it still makes more errors than "never" on the tune half, which is why the poller takes
urgency only from the source's own markers.

Run from the project root: ``.venv/bin/python -m bench.urgency``.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from bot.domain import FetchedPage, ParsedItem, SourceKind, Urgency
from bot.news.classify import classify
from bot.news.urgency import detect
from bot.sources.parsers import parse
from bot.sources.spec import SourceSpec

ROOT = Path(__file__).resolve().parent.parent
FEEDS = ROOT.parent / "shared" / "corpus" / "feeds"
LABELS = ROOT / "tests" / "data" / "urgency_headlines.tsv"


@dataclass(frozen=True)
class Labelled:
    feed: str
    headline: str
    urgent: bool
    item: ParsedItem
    spec: SourceSpec
    tune: bool


@dataclass(frozen=True)
class Counts:
    n: int
    positives: int
    predicted: int
    tp: int
    fp: int

    @property
    def precision(self) -> float | None:
        return self.tp / self.predicted if self.predicted else None

    @property
    def recall(self) -> float | None:
        return self.tp / self.positives if self.positives else None

    @property
    def false_urgent_rate(self) -> float:
        negatives = self.n - self.positives
        return self.fp / negatives if negatives else 0.0

    @property
    def errors(self) -> int:
        return self.fp + (self.positives - self.tp)


def load_labelled(labels: Path = LABELS, feeds: Path = FEEDS) -> list[Labelled]:
    """Every labelled row with its parsed item; a row whose headline is not in its feed is an error."""
    with labels.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh, delimiter="\t"))
    names = sorted({r["feed"] for r in rows})
    tune_feeds = {name for i, name in enumerate(names, start=1) if i % 2 == 1}
    parsed: dict[str, tuple[SourceSpec, dict[str, ParsedItem]]] = {}
    out: list[Labelled] = []
    for row in rows:
        feed = row["feed"]
        if feed not in parsed:
            spec = SourceSpec(
                name=feed, kind=SourceKind.RSS, url="http://127.0.0.1/feed", language=row["language"]
            )
            page = FetchedPage(
                url="http://127.0.0.1/feed",
                final_url="http://127.0.0.1/feed",
                status=200,
                body=(feeds / feed).read_bytes(),
            )
            parsed[feed] = (spec, {item.title: item for item in parse(spec, page)})
        spec, items = parsed[feed]
        item = items.get(row["headline"])
        if item is None:
            raise LookupError(f"{feed}: labelled headline not found in the feed: {row['headline']!r}")
        out.append(Labelled(feed, row["headline"], row["urgent"] == "1", item, spec, feed in tune_feeds))
    return out


def by_title(row: Labelled) -> bool:
    """The marker rules on the headline alone (``bot.news.urgency.detect``)."""
    return detect(row.item.title)[0] is not Urgency.NORMAL


def by_classify(row: Labelled) -> bool:
    """What the poller decides: title markers plus the item's categories and flags."""
    return classify(row.item, row.spec, ()).urgency is not Urgency.NORMAL


def never(row: Labelled) -> bool:
    return False


_URGENT_WORDS = re.compile(
    r"\b(?:killed|kills?|dead|dies|died|resigns?|evacuated|attack|crash|declares?|quake|earthquake|shooting"
    r"|explosion|morreu|matou|morre|mortos?|arrestato|evacuad\w*|эвакуировали|погиб\w*)\b",
    re.IGNORECASE,
)


def keywords(row: Labelled) -> bool:
    """The strawman: urgent when the headline contains an event word."""
    return bool(_URGENT_WORDS.search(row.headline))


def count(rows: Iterable[Labelled], predict: Callable[[Labelled], bool]) -> Counts:
    n = positives = predicted = tp = fp = 0
    for row in rows:
        n += 1
        guess = predict(row)
        positives += row.urgent
        predicted += guess
        tp += guess and row.urgent
        fp += guess and not row.urgent
    return Counts(n, positives, predicted, tp, fp)


def _fmt(value: float | None) -> str:
    return "   n/a" if value is None else f"{value:>6.3f}"


def main() -> None:
    rows = load_labelled()
    header = (
        f"{'rule':<10} {'rows':<5} {'n':>4} {'urgent':>6} {'flagged':>7} {'TP':>3} {'FP':>3}"
        f" {'prec':>6} {'recall':>6} {'FP rate':>7} {'errors':>6}"
    )
    print(header)
    print("-" * len(header))
    for label, predict in (
        ("never", never),
        ("keywords", keywords),
        ("detect", by_title),
        ("classify", by_classify),
    ):
        for part, subset in (
            ("tune", [r for r in rows if r.tune]),
            ("held", [r for r in rows if not r.tune]),
            ("all", rows),
        ):
            c = count(subset, predict)
            print(
                f"{label:<10} {part:<5} {c.n:>4} {c.positives:>6} {c.predicted:>7} {c.tp:>3} {c.fp:>3}"
                f" {_fmt(c.precision)} {_fmt(c.recall)} {c.false_urgent_rate:>7.3f} {c.errors:>6}"
            )
    wrong = [r for r in rows if by_classify(r) != r.urgent and by_classify(r)]
    for r in wrong:
        print(f"false urgent: {r.feed}: {r.headline!r} categories={list(r.item.categories)}")


if __name__ == "__main__":
    main()
