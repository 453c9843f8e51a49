"""``aajel news compare`` — why two headlines are (or are not) one story.

    aajel news compare "HEADLINE A" "HEADLINE B"   verdict, score and reasons, for a person
    aajel news compare --pairs FILE.tsv            one line per pair: 1|0 TAB score TAB reason

Design: both modes call :func:`bot.news.samestory.compare` at the poller's threshold
(:data:`bot.news.dedup.THRESHOLD`), the very function :func:`bot.news.dedup.decide` uses, so what the
console says is what the poller does — including the meaning stage (:mod:`bot.news.meaning`): its
cosine when it was asked ("meaning 0.93" in a reason), "meaning: unavailable" when the model cannot
run here and the word rule decided alone. No settings, no database: the comparison is pure.

``--pairs`` reads a UTF-8 TSV whose header names the columns; ``a`` and ``b`` are required, in any
order, others are ignored (a ``label`` column can ride along for scoring elsewhere). Stdout carries
exactly one line per data row, in order, and nothing else, so it can be pasted next to the input;
problems go to stderr. A bad file (missing, not UTF-8, no ``a``/``b`` column, a row too short) ends
the command with one line and exit status 2 before anything is printed.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from bot.exceptions import ConfigError

if TYPE_CHECKING:
    from bot.news.samestory import Comparison

EXIT_BAD_INPUT = 2


def add_news_parser(sub: Any) -> None:
    """Register ``news`` and its subcommands on the ``aajel`` subparsers."""
    news = sub.add_parser(
        "news", help="inspect newsroom decisions", description="Inspect the newsroom's decisions."
    )
    cmds = news.add_subparsers(dest="news_command", required=True, metavar="NEWS_COMMAND")
    cmp = cmds.add_parser(
        "compare",
        help="same story or not: verdict, score and reasons",
        description="Compare two headlines the way the poller does (same story or different), or "
        "every pair of a TSV file with --pairs.",
    )
    cmp.add_argument("headlines", nargs="*", metavar="HEADLINE", help="two headlines, A and B")
    cmp.add_argument(
        "--pairs",
        type=Path,
        metavar="FILE.tsv",
        help="UTF-8 TSV with a header naming columns a and b; prints 1|0, score, reason per row",
    )


def run_news(args: argparse.Namespace, out: TextIO | None = None) -> int:
    """Entry point called by :func:`bot.cli.main`; returns the exit status. (The decider is imported
    here, not at module level: every ``aajel`` command builds this parser, and only this one needs
    the word and place tables.)"""
    from bot.news.dedup import THRESHOLD
    from bot.news.samestory import compare

    out = out or sys.stdout
    if args.pairs is not None:
        if args.headlines:
            return _usage("give either two headlines or --pairs FILE, not both")
        try:
            rows = read_pairs(args.pairs)
        except ConfigError as e:
            print(f"aajel: {e}", file=sys.stderr)
            return EXIT_BAD_INPUT
        for a, b in rows:
            c = compare(a, b, THRESHOLD)
            out.write(f"{int(c.same)}\t{c.score:.4f}\t{_one_line(c.reason)}\n")
        return 0
    if len(args.headlines) != 2:
        return _usage("give two headlines (A and B) or --pairs FILE")
    a, b = args.headlines
    out.write(render(compare(a, b, THRESHOLD), a, b))
    return 0


def _usage(message: str) -> int:
    print(f"aajel news compare: {message}", file=sys.stderr)
    return EXIT_BAD_INPUT


def _one_line(text: str) -> str:
    return " ".join(text.replace("\t", " ").split())


def render(c: Comparison, a: str, b: str) -> str:
    """The human report of one comparison."""
    from bot.news.dedup import THRESHOLD
    from bot.news.samestory import PARAMS_BY_LANGUAGE

    verdict = "same story" if c.same else "different stories"
    params = PARAMS_BY_LANGUAGE[c.language]
    words_at = params.alone if c.words_alone and params.alone is not None else params.threshold
    lines = [
        f"A: {a}",
        f"B: {b}",
        f"verdict: {verdict} (score {c.score:.4f}, threshold {THRESHOLD:.2f})",
        f"language: {c.language} (raw score {c.raw:.4f} against {words_at:.2f})",
        f"guard: {c.guard or 'none fired'}",
        f"swap: {c.swap or 'none'}",
        f"word overlap: {c.overlap:.4f}",
        f"meaning: {_meaning_line(c, params.meaning)}",
        "matched: " + (", ".join(c.matched) or "-"),
        "only in A: " + (", ".join(c.only_a) or "-"),
        "only in B: " + (", ".join(c.only_b) or "-"),
    ]
    return "\n".join(lines) + "\n"


def _meaning_line(c: Comparison, threshold: float | None) -> str:
    """What the meaning stage said, or why it was not asked."""
    if c.words_alone:
        return "unavailable (the word rule decides alone)"
    if c.meaning is not None:
        return f"{c.meaning:.4f} (cosine; same story at {threshold:.3f} or more)"
    if threshold is None:
        return "off"
    if c.guard:
        return "not asked (a guard fired)"
    return "not asked (word score below the floor)"


def read_pairs(path: Path) -> list[tuple[str, str]]:
    """The (a, b) pairs of a TSV file, in order; :class:`ConfigError` naming the problem otherwise."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise ConfigError(str(path), "no such file") from None
    except UnicodeDecodeError as e:
        raise ConfigError(str(path), f"not UTF-8 (byte {e.start})") from None
    except OSError as e:
        raise ConfigError(str(path), e.strerror or "cannot be read") from None
    lines = text.splitlines()
    if not lines:
        raise ConfigError(str(path), "empty file: expected a header with columns a and b")
    header = [h.strip().lower() for h in lines[0].split("\t")]
    if "a" not in header or "b" not in header:
        raise ConfigError(str(path), f"the header must name columns a and b (found: {', '.join(header)})")
    ia, ib = header.index("a"), header.index("b")
    pairs = []
    for number, line in enumerate(lines[1:], start=2):
        if not line.strip():
            continue
        cells = line.split("\t")
        if len(cells) <= max(ia, ib):
            raise ConfigError(str(path), f"line {number} has {len(cells)} columns, the header {len(header)}")
        pairs.append((cells[ia].strip(), cells[ib].strip()))
    return pairs


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m bot.cli_news compare …`` without the rest of the CLI (tests, scripts)."""
    parser = argparse.ArgumentParser(prog="aajel")
    add_news_parser(parser.add_subparsers(dest="command", required=True))
    return run_news(parser.parse_args(["news", *(argv or sys.argv[1:])]))


if __name__ == "__main__":
    raise SystemExit(main())
