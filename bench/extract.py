"""Text-extraction benchmark: our extractor next to trafilatura and readability-lxml, one run, one table.

Sets:

* ``aeb``, ``cpe`` — ``shared/corpus/articles`` pages with human gold (scored);
* ``np4k`` — multilingual pages whose gold is another library's output: language coverage only
  (scored for information, not a target, never in the pooled rows);
* ``seed`` — the seed-shaped Arabic pages in ``tests/data/articles/seed_shaped`` (gold = lead + body).

Honest split: the extractor's rules were developed looking only at the **tune** half of ``aeb`` (pages
at odd 1-based positions in the manifest's sorted ``aeb`` list, see :func:`is_tune_page`). ``aeb-held``
(the even positions) and all of ``cpe`` were never looked at while tuning; ``held-out`` pools those two,
``pooled`` is every human-gold page (aeb + cpe) — the issue's target row.

Baselines, with the settings named in the corpus README: trafilatura ``extract(html,
include_comments=False, include_tables=True)``; readability-lxml ``Document(html).summary()`` turned into
text one line per block element. Columns: pages, BoW F1 of the three, shingle F1 of the three, ms/page of
the three. Scoring is :mod:`bot.articles.scoring` (the corpus README's definitions). Pages where ours
raises :class:`ExtractionError` count as empty output. ``--set`` limits to some sets; ``--worst N``
lists our N worst pages per set after the table (tune rows only unless ``--show-held``, so tuning never
looks at held-out pages).

Run from the project root: ``.venv/bin/python -m bench.extract``.
"""

from __future__ import annotations

import argparse
import csv
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import lxml.html
import trafilatura
from readability import Document  # type: ignore[import-untyped]

from bot.articles.extract import extract, strip_control_chars
from bot.articles.scoring import PageScore, bow_score, corpus_score, shingle_score
from bot.domain import SourceKind
from bot.exceptions import ExtractionError
from bot.sources.encoding import decode_body

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT.parent / "shared" / "corpus" / "articles"
SEED = ROOT / "tests" / "data" / "articles" / "seed_shaped"
HUMAN_SETS = ("aeb", "cpe")


@dataclass(frozen=True)
class Page:
    set: str
    name: str
    html: str
    gold: str
    tune: bool = False


def is_tune_page(position: int) -> bool:
    """``aeb`` pages at odd 1-based positions (manifest order by file name) are the tuning half."""
    return position % 2 == 1


def load_pages(sets: set[str], corpus: Path = CORPUS) -> list[Page]:
    """The pages of ``sets``; ``aeb`` pages carry ``tune`` per :func:`is_tune_page`."""
    pages: list[Page] = []
    manifest = corpus / "MANIFEST.tsv"
    if manifest.exists():
        with manifest.open(encoding="utf-8") as fh:
            rows = sorted(csv.DictReader(fh, delimiter="\t"), key=lambda r: r["file"])
        position = {"aeb": 0}
        for row in rows:
            if row["set"] not in sets:
                continue
            tune = False
            if row["set"] == "aeb":
                position["aeb"] += 1
                tune = is_tune_page(position["aeb"])
            html = decode_body((corpus / row["file"]).read_bytes(), None, SourceKind.HTML)[0]
            gold = (corpus / row["gold-file"]).read_text(encoding="utf-8", errors="replace")
            pages.append(Page(row["set"], row["file"], html, gold, tune))
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


def trafilatura_baseline(html: str) -> str:
    return trafilatura.extract(strip_control_chars(html), include_comments=False, include_tables=True) or ""


_READABILITY_BLOCKS = ("p", "div", "li", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "pre", "tr", "br")


def readability_baseline(html: str) -> str:
    """readability-lxml's main-content HTML as plain text, one line per block element."""
    try:
        summary = Document(strip_control_chars(html)).summary(html_partial=True)
        tree = lxml.html.fragment_fromstring(summary, create_parent="div")
    except Exception:  # the baseline failing on a page is "no output", as for ours
        return ""
    for node in tree.iter(*_READABILITY_BLOCKS):
        node.tail = "\n" + (node.tail or "")
    return "\n".join(line.strip() for line in tree.text_content().split("\n") if line.strip())


EXTRACTORS: tuple[tuple[str, Callable[[str], str]], ...] = (
    ("ours", ours),
    ("traf", trafilatura_baseline),
    ("read", readability_baseline),
)


@dataclass
class Run:
    bow: list[PageScore] = field(default_factory=list)
    shingle: list[PageScore] = field(default_factory=list)
    seconds: float = 0.0


def run_all(pages: list[Page], fns: tuple[Callable[[str], str], ...]) -> list[Run]:
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


def _row(label: str, idx: list[int], runs: list[Run], note: str = "") -> str:
    def f1(run: Run, attr: str) -> float:
        scores: list[PageScore] = getattr(run, attr)
        return corpus_score([scores[i] for i in idx]).f1

    bow = " ".join(f"{f1(r, 'bow'):>6.3f}" for r in runs)
    shingle = " ".join(f"{f1(r, 'shingle'):>6.3f}" for r in runs)
    return f"{label:<9} {len(idx):>5}  {bow}  {shingle}{note}"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--set", action="append", choices=["aeb", "cpe", "np4k", "seed"])
    parser.add_argument("--worst", type=int, default=0)
    parser.add_argument("--show-held", action="store_true", help="let --worst list held-out pages too")
    parser.add_argument("--times", action="store_true", help="add ms/page (timing runs are slower to read)")
    args = parser.parse_args(argv)
    sets = args.set or ["aeb", "cpe", "np4k", "seed"]
    pages = load_pages(set(sets))
    names = [n for n, _ in EXTRACTORS]
    if pages:  # warm-up: one-time initialisation (trafilatura's stoplists) is not per-page cost
        for _, fn in EXTRACTORS:
            fn(pages[0].html)
    runs = run_all(pages, tuple(fn for _, fn in EXTRACTORS))
    cols = " ".join(f"{n:>6}" for n in names)
    header = f"{'rows':<9} {'pages':>5}  {'BoW F1 ' + cols:>20}  {'Shingle F1 ' + cols}"
    print(f"{'':<17}{'BoW F1':<22}Shingle F1")
    print(f"{'rows':<9} {'pages':>5}  {cols}  {cols}")
    print("-" * len(header))
    groups: list[tuple[str, list[int], str]] = []

    def where(pred: Callable[[Page], bool]) -> list[int]:
        return [i for i, p in enumerate(pages) if pred(p)]

    if "aeb" in sets:
        groups.append(("aeb-tune", where(lambda p: p.set == "aeb" and p.tune), "  (rules tuned here)"))
        groups.append(("aeb-held", where(lambda p: p.set == "aeb" and not p.tune), ""))
    for name in sets:
        if name != "aeb":
            note = "  (coverage only: gold is not human)" if name == "np4k" else ""
            groups.append((name, where(lambda p, n=name: p.set == n), note))  # type: ignore[misc]
    if "aeb" in sets and "cpe" in sets:
        groups.append(("held-out", where(lambda p: p.set in HUMAN_SETS and not p.tune), "  (never tuned on)"))
        groups.append(("pooled", where(lambda p: p.set in HUMAN_SETS), "  (aeb + cpe: the issue's target)"))
    for label, idx, note in groups:
        if idx:
            print(_row(label, idx, runs, note))
    if args.times and pages:
        print(
            "\nms/page: "
            + ", ".join(f"{n} {1000 * r.seconds / len(pages):.1f}" for n, r in zip(names, runs, strict=True))
        )
    if args.worst:
        ours_run = runs[0]
        others = runs[1:]
        scored = []
        for i, page in enumerate(pages):
            if page.set not in HUMAN_SETS or (not page.tune and not args.show_held):
                continue
            s = ours_run.bow[i]
            p, r = s.precision or 0.0, s.recall or 0.0
            f = 2 * p * r / (p + r) if p + r else 0.0
            base = []
            for o in others:
                op, orr = o.bow[i].precision or 0.0, o.bow[i].recall or 0.0
                base.append(2 * op * orr / (op + orr) if op + orr else 0.0)
            scored.append((f, f"P={p:.2f} R={r:.2f} base={'/'.join(f'{b:.2f}' for b in base)} {page.name}"))
        print("\nworst (ours):")
        for f, label in sorted(scored)[: args.worst]:
            print(f"  F1={f:.3f} {label}")


if __name__ == "__main__":
    main()
