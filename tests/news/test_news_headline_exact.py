""":func:`bot.news.headline.features` gives exactly what it gave before its per-word caches.

``tests/data/features_snapshot.json`` maps every headline of the pair and urgency corpora (every
tab-separated field of ``tests/data/{ar_pairs,dedup_pairs,urgency_headlines}.tsv`` and of
``../shared/corpus/pairs/*.tsv``) to a digest of a canonical form of its :class:`Features`, computed
with the uncached code (before the per-word caches existed). The test recomputes every headline
with the caches cold, then again warm, and compares both to the snapshot: a cache keyed on too
little (a context-dependent property cached as if context-free) would show as a changed digest.

Regenerate (only when a change of *result* is intended): ``python -m tests.news.test_news_headline_exact``.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import pytest

from bot.news import arabic, samestory
from bot.news import headline as hl
from bot.news.headline import Features, features

_ROOT = Path(__file__).resolve().parents[2]
_DATA = _ROOT / "tests" / "data"
_SNAPSHOT = _DATA / "features_snapshot.json"
_SHARED = _ROOT.parent / "shared" / "corpus" / "pairs"
_LOCAL = ("ar_pairs.tsv", "dedup_pairs.tsv", "urgency_headlines.tsv")


def _fields(path: Path) -> list[str]:
    lines = path.read_text(encoding="utf-8").splitlines()[1:]  # header
    return [f for line in lines for f in line.split("\t") if f.strip()]


def headlines() -> list[str]:
    """Every field of the corpora (labels and kinds too: ``features`` is defined on any string)."""
    paths = [_DATA / name for name in _LOCAL] + sorted(_SHARED.glob("*.tsv"))
    return sorted({f for p in paths if p.exists() for f in _fields(p)})


def canonical(f: Features) -> str:
    """A hash-seed-independent text of ``f`` (sets sorted; floats as exact reprs)."""
    words = [
        [w.key, w.surface, repr(w.zipf), w.entity, w.arabic, w.place, w.loose, sorted(w.singulars)]
        for w in f.words  # order kept: it is part of the result
    ]
    return json.dumps(
        [
            words,
            sorted(repr(n) for n in f.numbers),
            [sorted(m) for m in f.places],
            f.negated,
            sorted(f.days),
            f.arabic,
            sorted(f.acronyms),
        ],
        ensure_ascii=False,
    )


def digest(headline: str) -> str:
    return hashlib.sha256(canonical(features(headline)).encode()).hexdigest()[:16]


def _clear_caches() -> None:
    arabic._normalize_word.cache_clear()
    for name in dir(hl):
        clear = getattr(getattr(hl, name), "cache_clear", None)
        if clear is not None:
            clear()
    clear = getattr(samestory.match_keys, "cache_clear", None)
    if clear is not None:
        clear()


def test_features_match_the_uncached_snapshot_cold_and_warm() -> None:
    snapshot: dict[str, str] = json.loads(_SNAPSHOT.read_text(encoding="utf-8"))
    texts = headlines()
    if not _SHARED.exists():  # the shared corpus is outside the project: check what is here
        if os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no"):
            pytest.fail(f"{_SHARED} is missing (CI is set)", pytrace=False)
        snapshot = {h: snapshot[h] for h in texts}
    assert set(texts) == set(snapshot), "corpus changed: regenerate the snapshot"
    _clear_caches()
    for state in ("cold", "warm"):  # warm: the per-word caches full, the per-headline one emptied
        features.cache_clear()
        changed = [h for h in texts if digest(h) != snapshot[h]]
        assert not changed, f"{len(changed)} headlines changed ({state} caches), e.g. {changed[:3]}"


def test_match_keys_cached_equals_uncached() -> None:
    """The cached :func:`samestory.match_keys` gives what its body computes for every word seen."""
    raw = getattr(samestory.match_keys, "__wrapped__", samestory.match_keys)
    for text in headlines():
        for word in features(text).words:
            assert samestory.match_keys(word) == raw(word)


if __name__ == "__main__":
    out = {h: digest(h) for h in headlines()}
    _SNAPSHOT.write_text(
        json.dumps(out, ensure_ascii=False, indent=0, sort_keys=True) + "\n", encoding="utf-8"
    )
    print(f"{len(out)} headlines → {_SNAPSHOT}")
