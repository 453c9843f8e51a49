"""``aajel sources import | list | check``, run as real subprocesses against sources served over real
local HTTP (the sample newsroom, a scriptable site), on SQLite and PostgreSQL where a database is used.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import aiohttp
import pytest
from aiohttp import web
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.clock import FrozenClock
from bot.db.models import Alert, Article, Source
from bot.demo.content import SampleStory
from bot.demo.newsroom import SampleNewsroom
from tests.pipeline.helpers import count, make_poller
from tests.pipeline.site import LocalSite

ROOT = Path(__file__).resolve().parents[2]


def _env(extra: dict[str, str]) -> dict[str, str]:
    base = {k: v for k, v in os.environ.items() if k not in ("BOT_TOKEN", "DATABASE_URL", "SOURCES_FILE")}
    return {**base, "PYTHONPATH": str(ROOT), **extra}


async def aajel(*args: str, cwd: Path, env: dict[str, str]) -> tuple[int, str, str]:
    """Run ``python -m bot ARGS`` without blocking the loop that serves the test's HTTP sites."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        *args,
        cwd=cwd,
        env=_env(env),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), timeout=60)
    assert process.returncode is not None
    return process.returncode, out.decode(), err.decode()


@pytest.mark.parametrize(
    "command", [["sources"], ["sources", "import"], ["sources", "list"], ["sources", "check"]], ids=" ".join
)
def test_every_sources_command_has_help(command: list[str], tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "bot", *command, "--help"],
        cwd=tmp_path,
        env=_env({}),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert "usage: aajel sources" in result.stdout


async def test_import_then_list_shows_every_source_and_an_unhealthy_one_with_its_last_error(
    migrated_db_url: str, session_factory: async_sessionmaker[AsyncSession], tmp_path: Path
) -> None:
    async def broken(request: web.Request) -> web.Response:
        return web.Response(status=500)

    async with SampleNewsroom(initial=2) as newsroom, LocalSite() as site:
        site.handle("/feed.xml", broken)
        sources = tmp_path / "sources.toml"
        sources.write_text(
            newsroom.sources_toml(interval_seconds=5, ticker=True)
            + f'\n[[sources]]\nname = "broken"\nkind = "rss"\nurl = "{site.url}/feed.xml"\n'
            "interval_seconds = 7200\n",
            encoding="utf-8",
        )
        env = {"DATABASE_URL": migrated_db_url, "SOURCES_FILE": str(sources)}
        code, out, err = await aajel("sources", "import", cwd=tmp_path, env=env)
        assert code == 0, err
        assert "topics 5 added" in out and "sources 3 added, 0 updated, 0 disabled" in out

        async with session_factory() as session:
            ids = {n: i for n, i in (await session.execute(select(Source.name, Source.id))).all()}
        clock = FrozenClock(datetime.now(UTC))
        async with aiohttp.ClientSession() as http:
            poller = make_poller(session_factory, http, clock, unhealthy_after_failures=3)
            assert (await poller.poll(ids["sample-feed"])).status == "baseline"
            for _ in range(3):
                await poller.poll(ids["broken"])
                clock.advance(8 * 3600)

        code, out, err = await aajel("sources", "list", cwd=tmp_path, env=env)
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0].split()[:6] == ["ID", "NAME", "KIND", "EVERY", "ENABLED", "HEALTH"]
    feed = next(line for line in lines if " sample-feed " in line)
    ticker = next(line for line in lines if " sample-ticker " in line)
    broken_line = next(line for line in lines if " broken " in line)
    assert " rss " in feed and " 5s " in feed and " healthy " in feed and "ago" in feed
    assert " html " in ticker and " never " in ticker
    assert " 2h " in broken_line and " UNHEALTHY " in broken_line
    assert broken_line.endswith("HTTP 500 Internal Server Error")
    assert "3 sources, 3 enabled, 1 unhealthy, 1 backing off" in out
    assert "UNHEALTHY broken: 3 failures in a row; last error: HTTP 500 Internal Server Error" in out

    code, out, _ = await aajel("sources", "list", "--json", cwd=tmp_path, env=env)
    rows = {r["name"]: r for r in json.loads(out)}
    assert rows["broken"]["healthy"] is False and rows["broken"]["failure_count"] == 3
    assert rows["broken"]["last_error"] == "HTTP 500 Internal Server Error"
    assert rows["sample-feed"]["last_success_at"] is not None


@pytest.mark.parametrize("db_backend", ["sqlite"], indirect=True)
async def test_import_of_a_broken_file_ends_in_one_line_and_exit_2(db_url: str, tmp_path: Path) -> None:
    bad = tmp_path / "sources.toml"
    bad.write_text('[[sources]]\nname = "x"\nkind = "atom"\nurl = "http://127.0.0.1/"\n', encoding="utf-8")
    code, _, err = await aajel(
        "sources", "import", "--file", str(bad), cwd=tmp_path, env={"DATABASE_URL": db_url}
    )
    assert code == 2
    assert (
        err.strip()
        == "aajel: configuration error: sources[0].kind: must be one of rss, html, json (got 'atom')"
    )


async def test_check_shows_what_a_configured_source_would_find_and_stores_nothing(
    migrated_db_url: str, session_factory: async_sessionmaker[AsyncSession], tmp_path: Path
) -> None:
    async with SampleNewsroom(initial=2) as newsroom:
        sources = tmp_path / "sources.toml"
        sources.write_text(newsroom.sources_toml(ticker=True), encoding="utf-8")
        env = {"DATABASE_URL": migrated_db_url, "SOURCES_FILE": str(sources)}
        assert (await aajel("sources", "import", cwd=tmp_path, env=env))[0] == 0
        async with session_factory() as session:
            feed_id = await session.scalar(select(Source.id).where(Source.name == "sample-feed"))
        assert feed_id is not None
        async with aiohttp.ClientSession() as http:
            await make_poller(session_factory, http, FrozenClock(datetime.now(UTC))).poll(feed_id)
        newsroom.publish(SampleStory("عاجل | البرلمان يحجب الثقة عن الحكومة", "سياسة", "lead", ("p",)))
        articles_before = await count(session_factory, Article)

        code, out, err = await aajel("sources", "check", "sample-feed", cwd=tmp_path, env=env)
        assert code == 0, err
        assert "sample-feed (rss, sources file" in out
        assert "3 items, 3 flash/urgent; nothing stored or pushed" in out
        assert "[URGENT] البرلمان يحجب الثقة عن الحكومة" in out
        assert "topics: politics" in out
        assert f"link:   {newsroom.url}/news/3" in out
        assert "dedup key: guid=sample-3 | url=" in out
        assert "would be: new, would be pushed" in out
        assert "would be: seen: same guid" in out

        code, out, err = await aajel("sources", "check", f"{newsroom.url}/", "--json", cwd=tmp_path, env=env)
        assert code == 0, err
        report = json.loads(out)
        assert (report["source"], report["kind"], report["count"]) == ("sample-ticker", "html", 3)
        first = report["items"][0]
        assert (first["urgency"], first["headline"]) == ("urgent", "البرلمان يحجب الثقة عن الحكومة")
        assert first["title"] == "عاجل | البرلمان يحجب الثقة عن الحكومة"
        assert first["topics"] == ["politics"]
        assert first["would_be"] == "new (baseline)"  # the ticker has never been polled

    assert await count(session_factory, Article) == articles_before
    assert await count(session_factory, Alert) == 0


@pytest.mark.parametrize("db_backend", ["sqlite"], indirect=True)
async def test_check_an_ad_hoc_url_with_selectors_and_clear_errors(db_url: str, tmp_path: Path) -> None:
    env = {
        "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path}/absent.db",
        "SOURCES_FILE": str(tmp_path / "none.toml"),
    }
    async with SampleNewsroom(initial=4) as newsroom:
        code, out, err = await aajel(
            "sources", "check", f"{newsroom.url}/", "--kind", "html", "--item", "div.ticker li",
            "--title", "a", "--urgent-class", "urgent", cwd=tmp_path, env=env,
        )  # fmt: skip
        assert code == 0, err
        assert "check (html, ad hoc)" in out
        assert "4 items, 3 flash/urgent" in out
        assert "[URGENT] ترمب يفرض 30% جمارك على واردات أوروبا" in out
        assert "[NORMAL] ملقة تنسحب من تنظيم مونديال 2030" in out
        assert "عاجل |" not in out  # markers removed

        code, out, err = await aajel("sources", "check", f"{newsroom.url}/feed.xml", cwd=tmp_path, env=env)
        assert code == 0 and "check (rss, ad hoc)" in out and "4 items" in out

        code, _, err = await aajel(
            "sources", "check", f"{newsroom.url}/", "--kind", "html", cwd=tmp_path, env=env
        )
        assert (code, err.strip()) == (
            2,
            "aajel: configuration error: --item: required for --kind html (CSS selector of one headline)",
        )
        code, _, err = await aajel("sources", "check", f"{newsroom.url}/nowhere", cwd=tmp_path, env=env)
        assert (code, err.strip()) == (1, "aajel: check failed: check: HTTP 404 Not Found")
        code, _, err = await aajel("sources", "check", f"{newsroom.url}/", cwd=tmp_path, env=env)
        assert (code, err.strip()) == (1, "aajel: check failed: check: not a feed: the body is an HTML page")
    assert not (tmp_path / "absent.db").exists()  # a read-only command creates no database
