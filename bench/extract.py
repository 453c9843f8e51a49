"""Text-extraction benchmark: our extractor next to trafilatura's defaults, in one run, one table.

Sets:

* ``aeb``, ``cpe`` — ``shared/corpus/articles`` pages with human gold (scored);
* ``np4k`` — multilingual pages whose gold is another library's output: language coverage only
  (scored for information, not a target);
* ``seed`` — the seed-shaped Arabic pages in ``tests/data/articles/seed_shaped`` (gold = lead + body).

Columns: pages, BoW F1 (ours, trafilatura default = ``trafilatura.extract(html)``), shingle F1 (both),
ms/page (both). Scoring is :mod:`bot.articles.scoring` (the corpus README's definitions). Pages where
ours raises :class:`ExtractionError` count as empty output. ``--set`` limits to some sets;
``--worst N`` lists our N worst pages per set after the table.

Run from the project root: ``.venv/bin/python -m bench.extract``.
"""

from __future__ import annotations

import argparse
import csv
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import trafilatura

from bot.articles.extract import extract, strip_control_chars
from bot.articles.scoring import PageScore, bow_score, corpus_score, shingle_score
from bot.domain import SourceKind
from bot.exceptions import ExtractionError
from bot.sources.encoding import decode_body

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT.parent / "shared" / "corpus" / "articles"
SEED = ROOT / "tests" / "data" / "articles" / "seed_shaped"


@dataclass(frozen=True)
class Page:
    set: str
    name: str
    html: str
    gold: str


def load_pages(sets: set[str]) -> list[Page]:
    pages: list[Page] = []
    manifest = CORPUS / "MANIFEST.tsv"
    if manifest.exists():
        with manifest.open(encoding="utf-8") as fh:
            for row in csv.DictReader(fh, delimiter="\t"):
                if row["set"] not in sets:
                    continue
                html = decode_body((CORPUS / row["file"]).read_bytes(), None, SourceKind.HTML)[0]
                gold = (CORPUS / row["gold-file"]).read_text(encoding="utf-8", errors="replace")
                pages.append(Page(row["set"], row["file"], html, gold))
    if "seed" in sets:
        for path in sorted(SEED.glob("*.html")):
            gold = path.with_suffix(".txt").read_text(encoding="utf-8")
            pages.append(
                Page("seed", path.name, decode_body(path.read_bytes(), None, SourceKind.HTML)[0], gold)
            )
    return pages


def ours(html: str) -> str:
    try:
        return extract(html, url=None).text
    except ExtractionError:
        return ""


def trafilatura_default(html: str) -> str:
    return trafilatura.extract(strip_control_chars(html)) or ""


@dataclass
class Run:
    bow: list[PageScore] = field(default_factory=list)
    shingle: list[PageScore] = field(default_factory=list)
    seconds: float = 0.0


def run_both(pages: list[Page], fns: tuple[Callable[[str], str], ...]) -> list[Run]:
    """Time every extractor on each page in turn, so background load hits them alike."""
    runs = [Run() for _ in fns]
    for page in pages:
        for fn, result in zip(fns, runs, strict=True):
            start = time.perf_counter()
            text = fn(page.html)
            result.seconds += time.perf_counter() - start
            result.bow.append(bow_score(text, page.gold))
            result.shingle.append(shingle_score(text, page.gold))
    return runs


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--set", action="append", choices=["aeb", "cpe", "np4k", "seed"])
    parser.add_argument("--worst", type=int, default=0)
    args = parser.parse_args(argv)
    sets = args.set or ["aeb", "cpe", "np4k", "seed"]
    pages = load_pages(set(sets))
    if pages:  # warm-up: one-time initialisation (trafilatura's stoplists) is not per-page cost
        ours(pages[0].html)
        trafilatura_default(pages[0].html)
    header = (
        f"{'set':<6} {'pages':>5}  {'BoW F1 ours':>11} {'BoW F1 traf':>11}  "
        f"{'Shingle ours':>12} {'Shingle traf':>12}  {'ms/page ours':>12} {'ms/page traf':>12}"
    )
    print(header)
    print("-" * len(header))
    worst: list[tuple[str, list[tuple[float, str]]]] = []
    for name in sets:
        subset = [p for p in pages if p.set == name]
        if not subset:
            print(f"{name:<6} {0:>5}  (no pages found)")
            continue
        a, b = run_both(subset, (ours, trafilatura_default))
        note = "  (coverage only: gold is not human)" if name == "np4k" else ""
        print(
            f"{name:<6} {len(subset):>5}  {corpus_score(a.bow).f1:>11.3f} {corpus_score(b.bow).f1:>11.3f}  "
            f"{corpus_score(a.shingle).f1:>12.3f} {corpus_score(b.shingle).f1:>12.3f}  "
            f"{1000 * a.seconds / len(subset):>12.1f} {1000 * b.seconds / len(subset):>12.1f}{note}"
        )
        if args.worst:
            scored = []
            for page, s in zip(subset, a.bow, strict=True):
                p, r = s.precision or 0.0, s.recall or 0.0
                scored.append((2 * p * r / (p + r) if p + r else 0.0, f"P={p:.2f} R={r:.2f} {page.name}"))
            worst.append((name, sorted(scored)[: args.worst]))
    for name, items in worst:
        print(f"\nworst {name}:")
        for f1, label in items:
            print(f"  F1={f1:.3f} {label}")


if __name__ == "__main__":
    main()
