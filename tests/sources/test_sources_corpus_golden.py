"""Golden files: every feed of the shared corpus parses to the reviewed output, or to its reviewed error.

The corpus lives outside the project (``../shared/corpus/feeds``, referenced by path, never copied); the
expected outputs live in ``tests/data/feeds/<file>.expected.json``. Regenerate after a deliberate change
with ``AAJEL_REGEN_GOLDEN=1 pytest tests/sources/test_sources_corpus_golden.py`` and review the diff.
Summaries are stored as their first 200 characters plus a sha256 of the whole, to keep files small while
still catching any drift.
"""

from __future__ import annotations

import csv
import hashlib
import json
import os
from pathlib import Path
from typing import Any

import pytest

from bot.domain import FetchedPage, ParsedItem, SourceKind
from bot.exceptions import ParseError
from bot.sources import parse
from bot.sources.spec import SourceSpec
from tests.conftest import shared_path

ROOT = Path(__file__).resolve().parents[2]
CORPUS = ROOT.parent / "shared" / "corpus" / "feeds"
GOLDEN = ROOT / "tests" / "data" / "feeds"
REGEN = os.environ.get("AAJEL_REGEN_GOLDEN") == "1"


def _manifest() -> dict[str, dict[str, str]]:
    path = CORPUS / "MANIFEST.tsv"
    if not path.exists():
        return {}
    with path.open(encoding="utf-8", newline="") as f:
        return {row["file"]: row for row in csv.DictReader(f, delimiter="\t")}


MANIFEST = _manifest()


def _item_json(item: ParsedItem) -> dict[str, Any]:
    summary = item.summary or ""
    return {
        "title": item.title,
        "url": item.url,
        "guid": item.guid,
        "published_at": item.published_at.isoformat() if item.published_at else None,
        "categories": list(item.categories),
        "flags": list(item.flags),
        "summary_head": summary[:200],
        "summary_sha256": hashlib.sha256(summary.encode("utf-8")).hexdigest() if summary else None,
    }


def _result(name: str) -> dict[str, Any]:
    row = MANIFEST[name]
    url = f"https://feeds.example.com/{name}"
    spec = SourceSpec(name=name, kind=SourceKind.RSS, url=url, language=row["language"])
    page = FetchedPage(url=url, final_url=url, status=200, body=(CORPUS / name).read_bytes())
    try:
        items = parse(spec, page)
    except ParseError as e:
        return {"file": name, "error": e.message}
    return {"file": name, "count": len(items), "items": [_item_json(i) for i in items]}


def test_corpus_is_fully_covered() -> None:
    shared_path("corpus", "feeds", "MANIFEST.tsv")  # missing: skipped locally, a failure under CI
    files = {p.name for p in CORPUS.iterdir() if p.name not in ("MANIFEST.tsv", "feedparser_check.tsv")}
    assert files == set(MANIFEST)
    if not REGEN:
        missing = [n for n in MANIFEST if not (GOLDEN / f"{n}.expected.json").exists()]
        assert not missing, f"no golden file for {missing}; run with AAJEL_REGEN_GOLDEN=1"


@pytest.mark.parametrize("name", sorted(MANIFEST) or ["corpus-missing"])
def test_feed_matches_golden(name: str) -> None:
    shared_path("corpus", "feeds", name)
    actual = _result(name)
    golden = GOLDEN / f"{name}.expected.json"
    if REGEN:
        golden.parent.mkdir(parents=True, exist_ok=True)
        golden.write_text(json.dumps(actual, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
        return
    expected = json.loads(golden.read_text(encoding="utf-8"))
    assert actual == expected
