"""``aajel news compare``: the poller's same-story decision, for a person and for a file of pairs."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.cli import main
from bot.news.dedup import THRESHOLD, Candidate, Decision, KnownStory, decide, title_key
from bot.news.samestory import compare

ROOT = Path(__file__).resolve().parents[2]
RAISE = "المركزي المصري يرفع سعر الفائدة 2%"
CUT = "المركزي المصري يخفض سعر الفائدة 2%"
TARIFF = "ترمب يفرض 30% جمارك على واردات أوروبا"
REWORDED = "ترامب يفرض رسوما جمركية بنسبة 30% على الواردات الأوروبية"
NOW = datetime(2026, 1, 1, tzinfo=UTC)


def test_two_headlines_print_verdict_score_and_reasons(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["news", "compare", RAISE, CUT]) == 0
    out = capsys.readouterr().out
    assert "verdict: different stories (score 0.0000" in out
    assert "guard: direction: يرفع vs يخفض" in out
    assert "only in A: يرفع" in out
    assert "only in B: يخفض" in out
    assert "matched: المركزي, المصري" in out

    assert main(["news", "compare", TARIFF, REWORDED]) == 0
    out = capsys.readouterr().out
    assert "verdict: same story" in out
    assert "guard: none fired" in out


def test_pairs_file_prints_one_line_per_pair_in_order(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pairs = tmp_path / "pairs.tsv"
    # columns in any order, extra columns ignored, a blank line skipped
    pairs.write_text(
        "id\tb\tnote\ta\n"
        f"1\t{CUT}\tx\t{RAISE}\n"
        "\n"
        f"2\t{REWORDED}\ty\t{TARIFF}\n"
        "3\tGold prices fall 2% after Fed decision\tz\tGold prices rise 2% after Fed decision\n",
        encoding="utf-8",
    )
    assert main(["news", "compare", "--pairs", str(pairs)]) == 0
    captured = capsys.readouterr()
    lines = captured.out.splitlines()
    assert len(lines) == 3
    verdicts = [line.split("\t") for line in lines]
    assert all(len(cells) == 3 for cells in verdicts)
    assert [cells[0] for cells in verdicts] == ["0", "1", "0"]
    assert verdicts[0][2].startswith("guard direction: يرفع vs يخفض")
    assert float(verdicts[1][1]) >= THRESHOLD
    assert captured.err == ""


def test_pairs_mode_is_exactly_the_pollers_decision(capsys: pytest.CaptureFixture[str]) -> None:
    """Every row of the project's Arabic pairs: the CLI's 1/0 is what decide() does with the pair."""
    source = ROOT / "tests" / "data" / "ar_pairs.tsv"
    assert main(["news", "compare", "--pairs", str(source)]) == 0
    lines = capsys.readouterr().out.splitlines()
    rows = [line.split("\t") for line in source.read_text(encoding="utf-8").splitlines()[1:] if line]
    assert len(lines) == len(rows) >= 200
    for (verdict, score, _reason), (_label, _lang, a, b, _kind) in zip(
        (line.split("\t") for line in lines), rows, strict=True
    ):
        known = KnownStory(1, "wire", None, None, title_key(a), a, NOW - timedelta(hours=1))
        candidate = Candidate("agency", None, None, title_key(b), b)
        decision = decide(candidate, [known], now=NOW, window=timedelta(hours=24))
        assert (verdict == "1") == (decision.decision is Decision.DUPLICATE), (a, b)
        assert float(score) == pytest.approx(compare(a, b).score, abs=1e-4)


def test_bad_pairs_files_fail_with_one_line_and_nothing_on_stdout(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    no_columns = tmp_path / "no_columns.tsv"
    no_columns.write_text("first\tsecond\nx\ty\n", encoding="utf-8")
    short = tmp_path / "short.tsv"
    short.write_text("a\tb\nonly one cell\n", encoding="utf-8")
    latin1 = tmp_path / "latin1.tsv"
    latin1.write_bytes("a\tb\ncafé\tthé\n".encode("latin-1"))
    for path, message in (
        (tmp_path / "missing.tsv", "no such file"),
        (no_columns, "columns a and b"),
        (short, "line 2 has 1 columns"),
        (latin1, "not UTF-8"),
    ):
        assert main(["news", "compare", "--pairs", str(path)]) == 2
        captured = capsys.readouterr()
        assert captured.out == ""
        assert message in captured.err
        assert len(captured.err.strip().splitlines()) == 1


def test_wrong_number_of_headlines_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["news", "compare", "only one"]) == 2
    assert "two headlines" in capsys.readouterr().err


def test_the_installed_command_keeps_stdout_to_the_pairs(tmp_path: Path) -> None:
    """The real process: stdout carries the verdict lines and nothing else (no logging, no banner)."""
    pairs = tmp_path / "p.tsv"
    pairs.write_text(f"a\tb\n{RAISE}\t{CUT}\n{TARIFF}\t{REWORDED}\n", encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "-m", "bot.cli", "news", "compare", "--pairs", str(pairs)],
        capture_output=True,
        text=True,
        encoding="utf-8",
        cwd=ROOT,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert [line.split("\t")[0] for line in lines] == ["0", "1"]
