"""``aajel sources`` — the newsroom engineer's view of the sources (see ``docs/sources.md``).

    aajel sources import [--file F]     read the sources file (SOURCES_FILE) into the database
    aajel sources list [--json]         every source with its state, last error included
    aajel sources check URL|NAME [...]  fetch once and show what would be found; stores nothing

Design:

* ``import`` migrates the database first (as ``aajel run`` does), then upserts through
  :func:`bot.services.newsroom.import_newsroom` in one transaction: sources missing from the file are
  disabled, never deleted.
* ``list`` never hides a problem: unhealthy sources are flagged, the last error is printed in full and
  the command's exit status is 0 either way (it reports, it does not judge).
* ``check`` goes through the very code the poller runs (:class:`~bot.sources.fetch.Fetcher`,
  :func:`~bot.sources.parsers.parse`, :func:`~bot.news.classify.classify`, the dedup keys and, when
  the source is in the database, :func:`~bot.news.dedup.decide` against the stored stories) but
  opens no write transaction, sends no conditional headers and plans nothing. A configured source is
  found by URL or name in the sources file, then in the database; anything else is an ad-hoc source
  described by ``--kind`` and the selector/path options.
* Configuration mistakes raise :class:`~bot.exceptions.ConfigError` (the CLI prints one line, exit 2);
  a source that cannot be fetched or parsed prints one line and exits 1.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import sys
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.clock import SystemClock
from bot.config import Settings
from bot.db.models import Source
from bot.domain import ClassifiedItem, SourceKind
from bot.exceptions import ConfigError, SourceError
from bot.sources.spec import Newsroom, SourceSpec, TopicSpec, load_newsroom

EXIT_SOURCE_FAILED = 1


def add_sources_parser(sub: Any) -> None:
    """Register ``sources`` and its subcommands on the ``aajel`` subparsers."""
    sources = sub.add_parser(
        "sources",
        help="import, list and check news sources",
        description="Manage the news sources: import the sources file, list their state, check one.",
    )
    cmds = sources.add_subparsers(dest="sources_command", required=True, metavar="SOURCES_COMMAND")

    imp = cmds.add_parser(
        "import",
        help="read the sources file into the database",
        description="Validate the sources file (SOURCES_FILE, or --file) and store its topics and sources "
        "in the database. Existing sources keep their polling state; sources missing from the file are "
        "disabled, never deleted.",
    )
    imp.add_argument(
        "--file", type=Path, default=None, metavar="F", help="sources file (default: SOURCES_FILE)"
    )

    lst = cmds.add_parser(
        "list",
        help="show every source with its state and last error",
        description="Show every source: kind, interval, enabled, healthy, last success, failures and the "
        "last error.",
    )
    lst.add_argument("--json", action="store_true", help="one JSON object per source, for scripts")

    chk = cmds.add_parser(
        "check",
        help="fetch a source once and show what would be found (stores nothing)",
        description="Fetch a configured source (by URL or name) or an ad-hoc URL once, and print each item "
        "as the poller would see it: urgency, headline without marker, topics, link and dedup keys. "
        "Nothing is stored or pushed. Ad-hoc HTML needs --item; JSON needs --items and --title.",
    )
    chk.add_argument("target", metavar="URL|NAME", help="a source URL, or the name of a configured source")
    chk.add_argument(
        "--file", type=Path, default=None, metavar="F", help="sources file (default: SOURCES_FILE)"
    )
    chk.add_argument("--kind", choices=[k.value for k in (SourceKind.RSS, SourceKind.HTML, SourceKind.JSON)])
    chk.add_argument("--language", default=None, help="source language (default ar)")
    chk.add_argument("--item", help="html: CSS selector of one headline")
    chk.add_argument("--items", help="json: path of the item list ('' = the document)")
    chk.add_argument("--title", help="html: selector of the title; json: path of the title")
    chk.add_argument("--link", help="html: selector of the link; json: path of the link")
    chk.add_argument("--time", help="html: selector of the time; json: path of the time")
    chk.add_argument("--category", help="html: selector of the category; json: path of the category")
    chk.add_argument("--urgent-class", help="html: CSS class of breaking items")
    chk.add_argument("--guid", help="json: path of the id")
    chk.add_argument("--summary", help="json: path of the summary")
    chk.add_argument(
        "--urgent", action="append", default=[], metavar="PATH", help="json: flag path (repeatable)"
    )
    chk.add_argument("--html-titles", action="store_true", help="json: titles hold HTML")
    chk.add_argument(
        "--marker",
        action="append",
        default=[],
        metavar="TEXT=LEVEL",
        help="extra urgency marker (repeatable)",
    )
    chk.add_argument("--limit", type=int, default=20, metavar="N", help="show at most N items (default 20)")
    chk.add_argument("--json", action="store_true", help="print the items as JSON")


def run_sources(args: argparse.Namespace, settings: Settings) -> int:
    """Entry point called by :func:`bot.cli.main`; returns the exit status."""
    if args.sources_command == "import":
        return asyncio.run(_import(settings, args.file))
    if args.sources_command == "list":
        return asyncio.run(_list(settings, as_json=args.json))
    return asyncio.run(_check(settings, args))


# ----------------------------------------------------------------------------------------------- import


async def _import(settings: Settings, file: Path | None) -> int:
    from bot.db.migrate import upgrade_async
    from bot.db.session import create_engine, make_sessionmaker
    from bot.services.newsroom import import_newsroom

    path = file or settings.sources_file
    newsroom = load_newsroom(path)
    await upgrade_async(settings.database_url)
    engine = create_engine(settings.database_url)
    try:
        async with make_sessionmaker(engine)() as session, session.begin():
            result = await import_newsroom(session, newsroom, SystemClock())
    finally:
        await engine.dispose()
    print(
        f"imported {path}: topics {result.topics_added} added, {result.topics_updated} updated; "
        f"sources {result.sources_added} added, {result.sources_updated} updated, "
        f"{result.sources_disabled} disabled; channels {len(newsroom.channels)} declared"
        f"{' (changed)' if result.channels_changed else ''}\n"
        "a running bot applies this within seconds (see `aajel sources list`)"
    )
    return 0


# ------------------------------------------------------------------------------------------------- list


def _age(value: datetime | None, now: datetime) -> str:
    if value is None:
        return "never"
    return f"{value:%Y-%m-%d %H:%M:%S}Z ({_duration((now - value).total_seconds())} ago)"


def _duration(seconds: float) -> str:
    """``45s``, ``5m``, ``2h30m``, ``3d4h`` — short and exact enough for intervals and ages."""
    s = round(abs(seconds))
    if s < 120:
        return f"{s}s"
    if s < 3600:
        m, rest = divmod(s, 60)
        return f"{m}m{rest}s" if rest else f"{m}m"
    if s < 86400:
        h, rest = divmod(s, 3600)
        return f"{h}h{rest // 60}m" if rest // 60 else f"{h}h"
    d, rest = divmod(s, 86400)
    return f"{d}d{rest // 3600}h" if rest // 3600 else f"{d}d"


def _source_row(source: Source, now: datetime, schedule: dict[str, Any] | None = None) -> dict[str, Any]:
    scheduled = (schedule or {}).get("sources", {}).get(source.name)
    return {
        "id": source.id,
        "name": source.name,
        "kind": source.kind.value,
        "url": source.url,
        "interval_seconds": source.interval_seconds,
        "enabled": source.enabled,
        "healthy": source.healthy,
        "baseline_done": source.baseline_done,
        "last_success_at": source.last_success_at.isoformat() if source.last_success_at else None,
        "last_polled_at": source.last_polled_at.isoformat() if source.last_polled_at else None,
        "next_poll_at": source.next_poll_at.isoformat() if source.next_poll_at else None,
        "failure_count": source.failure_count,
        "last_error": source.last_error,
        "scheduled_interval_seconds": scheduled["interval_seconds"] if scheduled else None,
        "scheduled_next_run_at": scheduled["next_run_at"] if scheduled else None,
        "schedule_reported_at": (schedule or {}).get("at"),
    }


def _scheduled_cell(source: Source, schedule: dict[str, Any] | None) -> str:
    """What the running bot has scheduled for this source, as it last reported."""
    if schedule is None:
        return "-"
    entry = schedule.get("sources", {}).get(source.name)
    if entry is None:
        return "pending" if source.enabled else "no"
    interval = float(entry["interval_seconds"])
    mark = "" if abs(interval - source.interval_seconds) < 1e-6 else " (pending change)"
    return f"every {_duration(interval)}{mark}"


def _schedule_summary(schedule: dict[str, Any] | None, now: datetime) -> str:
    from bot.scheduling import REPORT_SECONDS

    if schedule is None:
        return "no running bot has reported its schedule yet (`aajel run` reports it within seconds)"
    at = datetime.fromisoformat(schedule["at"])
    age = (now - at).total_seconds()
    stale = " — STALE: is the bot still running?" if age > 3 * REPORT_SECONDS else ""
    count = len(schedule.get("sources", {}))
    return (
        f"running bot {schedule.get('owner')} reported {count} scheduled sources {_duration(age)} ago{stale}"
    )


async def _list(settings: Settings, *, as_json: bool) -> int:
    engine = _existing_database(settings)
    if engine is None:
        raise ConfigError("DATABASE_URL", "no database yet: run `aajel sources import` first")
    try:
        async with engine.connect() as connection:
            from sqlalchemy.ext.asyncio import AsyncSession

            async with AsyncSession(connection) as session:
                sources = list((await session.scalars(select(Source).order_by(Source.id))).all())
                schedule = await _read_schedule(session)
    except SQLAlchemyError as e:
        raise ConfigError(
            "DATABASE_URL", f"cannot read sources ({type(e).__name__}); run `aajel sources import`"
        ) from e
    finally:
        await engine.dispose()
    now = SystemClock().now()
    if as_json:
        print(json.dumps([_source_row(s, now, schedule) for s in sources], ensure_ascii=False, indent=2))
        return 0
    if not sources:
        print("no sources: run `aajel sources import`")
        return 0
    header = (
        "ID",
        "NAME",
        "KIND",
        "EVERY",
        "ENABLED",
        "HEALTH",
        "LAST SUCCESS",
        "FAILS",
        "SCHEDULED",
        "LAST ERROR",
    )
    rows = [
        (
            str(s.id),
            s.name,
            s.kind.value,
            _duration(s.interval_seconds),
            "yes" if s.enabled else "no",
            "healthy" if s.healthy else "UNHEALTHY",
            _age(s.last_success_at, now),
            str(s.failure_count),
            _scheduled_cell(s, schedule),
            s.last_error or "-",
        )
        for s in sources
    ]
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header) - 1)]
    for row in [header, *rows]:
        print("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=False)) + "  " + row[-1])
    unhealthy = [s for s in sources if not s.healthy]
    backing_off = [s for s in sources if s.next_poll_at is not None and s.next_poll_at > now]
    print(
        f"\n{len(sources)} sources, {sum(s.enabled for s in sources)} enabled, {len(unhealthy)} unhealthy, "
        f"{len(backing_off)} backing off"
    )
    print(_schedule_summary(schedule, now))
    for s in unhealthy:
        print(f"UNHEALTHY {s.name}: {s.failure_count} failures in a row; last error: {s.last_error}")
    return 0


async def _read_schedule(session: Any) -> dict[str, Any] | None:
    """The running bot's schedule report; None when there is none (or an older schema without it)."""
    from bot.scheduling import read_schedule

    try:
        async with session.begin_nested():
            return await read_schedule(session)
    except SQLAlchemyError:
        return None


# ------------------------------------------------------------------------------------------------ check


@dataclass
class _Target:
    spec: SourceSpec
    topics: list[TopicSpec]
    origin: str  # "sources file", "database" or "ad hoc"
    source_id: int | None = None
    baseline_done: bool = False


def _existing_database(settings: Settings) -> AsyncEngine | None:
    """An engine on the configured database, or None for an SQLite file that does not exist (so a
    read-only command never creates an empty database file as a side effect)."""
    from bot.db.session import create_engine

    url = make_url(settings.database_url)
    if url.get_backend_name() == "sqlite":
        database = url.database or ""
        if database and database != ":memory:" and not Path(database).exists():
            return None
    return create_engine(settings.database_url)


def _adhoc_spec(args: argparse.Namespace, url: str) -> SourceSpec:
    kind = args.kind or "rss"
    data: dict[str, Any] = {"name": "check", "kind": kind, "url": url, "language": args.language or "ar"}
    markers: dict[str, str] = {}
    for entry in args.marker:
        text, sep, level = entry.rpartition("=")
        if not sep or not text.strip():
            raise ConfigError("--marker", f"expected TEXT=LEVEL, got {entry!r}")
        markers[text.strip()] = level.strip()
    data["urgency_markers"] = markers
    if kind == "html":
        if not args.item:
            raise ConfigError("--item", "required for --kind html (CSS selector of one headline)")
        html = {
            "item": args.item,
            "title": args.title,
            "link": args.link,
            "time": args.time,
            "category": args.category,
            "urgent_class": args.urgent_class,
        }
        data["html"] = {k: v for k, v in html.items() if v is not None}
    elif kind == "json":
        if args.items is None or not args.title:
            raise ConfigError("--items", "--items and --title are required for --kind json")
        paths: dict[str, Any] = {
            "items": args.items,
            "title": args.title,
            "link": args.link,
            "guid": args.guid,
            "time": args.time,
            "category": args.category,
            "summary": args.summary,
        }
        data["json"] = {k: v for k, v in paths.items() if v is not None}
        data["json"]["urgent"] = list(args.urgent)
        data["json"]["html_titles"] = bool(args.html_titles)
    try:
        return SourceSpec.from_json(data)
    except ConfigError as e:
        option = "--" + e.key.rsplit(".", 1)[-1].replace("_", "-")
        raise ConfigError(option, e.message) from e


def _adhoc_requested(args: argparse.Namespace) -> bool:
    options = (args.kind, args.item, args.items, args.title, args.link, args.time, args.category)
    return any(v is not None for v in options) or bool(args.urgent_class or args.guid or args.summary)


def _configured_newsroom(path: Path, *, explicit: bool) -> Newsroom | None:
    """The sources file if there is one (a broken file is a configuration error worth stopping for)."""
    if explicit or path.exists():
        return load_newsroom(path)
    return None


async def _resolve(settings: Settings, args: argparse.Namespace) -> _Target:
    target: str = args.target
    path = args.file or settings.sources_file
    newsroom = _configured_newsroom(path, explicit=args.file is not None)
    db_topics: list[TopicSpec] = []
    db_source: tuple[SourceSpec, int, bool] | None = None
    engine = _existing_database(settings)
    if engine is not None:
        from sqlalchemy.ext.asyncio import AsyncSession

        from bot.pipeline import load_topics

        try:
            async with engine.connect() as connection, AsyncSession(connection) as session:
                db_topics = await load_topics(session)
                row = await session.scalar(
                    select(Source).where((Source.url == target) | (Source.name == target)).limit(1)
                )
                if row is not None:
                    db_source = (SourceSpec.from_json(row.config), row.id, row.baseline_done)
        except SQLAlchemyError:
            pass  # no schema yet: check works without a database
        finally:
            await engine.dispose()

    file_topics = list(newsroom.topics) if newsroom is not None else []
    topics = file_topics or db_topics
    if _adhoc_requested(args):
        url = target
        if not url.startswith(("http://", "https://")):
            raise ConfigError("URL", f"an ad-hoc check needs an http(s) URL, got {target!r}")
        return _Target(_adhoc_spec(args, url), topics, "ad hoc")
    if newsroom is not None:
        spec = newsroom.source(target) or next((s for s in newsroom.sources if s.url == target), None)
        if spec is not None:
            source_id = db_source[1] if db_source and db_source[0].name == spec.name else None
            baseline = db_source[2] if db_source and db_source[0].name == spec.name else False
            return _Target(spec, topics, f"sources file {path}", source_id, baseline)
    if db_source is not None:
        return _Target(db_source[0], db_topics, "database", db_source[1], db_source[2])
    if not target.startswith(("http://", "https://")):
        raise ConfigError("URL", f"{target!r} is neither a configured source nor an http(s) URL")
    return _Target(_adhoc_spec(args, target), topics, "ad hoc")


async def _decisions(settings: Settings, target: _Target, items: list[ClassifiedItem]) -> list[str] | None:
    """What the poller would decide for each item (read-only), when the source is in the database."""
    if target.source_id is None:
        return None
    from sqlalchemy.ext.asyncio import AsyncSession

    from bot.news.dedup import THRESHOLD, Candidate, Decision, KnownStory, StoryIndex, decide
    from bot.pipeline import order_for_storage, recent_stories

    engine = _existing_database(settings)
    if engine is None:
        return None
    now = SystemClock().now()
    window = timedelta(hours=target.spec.dedup_window_hours)
    try:
        async with engine.connect() as connection, AsyncSession(connection) as session:
            recent = StoryIndex(await recent_stories(session, now - window))
    except SQLAlchemyError:
        return None
    finally:
        await engine.dispose()
    verdicts: dict[int, str] = {}
    for fake_id, item in enumerate(order_for_storage(items), start=1):
        candidate = Candidate.from_classified(item, target.spec.name)
        threshold = (
            THRESHOLD if target.baseline_done else math.inf
        )  # as the poller: a baseline is identity only
        decision = decide(candidate, recent, now=now, window=window, threshold=threshold)
        if decision.decision is Decision.NEW:
            pushed = item.urgency.is_breaking and target.baseline_done
            verdict = (
                "new, would be pushed" if pushed else "new" + ("" if target.baseline_done else " (baseline)")
            )
        else:
            where = "an item above" if (decision.story_id or 0) < 0 else f"article {decision.story_id}"
            verdict = f"{decision.decision.value}: {decision.reason} ({where})"
        verdicts[id(item)] = verdict
        if decision.decision is not Decision.SEEN:
            recent.add(
                KnownStory(
                    -fake_id,
                    target.spec.name,
                    candidate.guid,
                    candidate.canonical_url,
                    candidate.title_key,
                    candidate.headline,
                    now,
                )
            )
    return [verdicts[id(item)] for item in items]


async def _check(settings: Settings, args: argparse.Namespace) -> int:
    import aiohttp

    from bot.news.classify import classify
    from bot.news.dedup import canonical_url, title_key
    from bot.sources.fetch import Fetcher
    from bot.sources.parsers import parse

    target = await _resolve(settings, args)
    spec = target.spec
    clock = SystemClock()
    try:
        async with aiohttp.ClientSession() as http:
            page = await Fetcher(http, settings.polling, clock).fetch(spec.url, source=spec.name)
        items = [classify(item, spec, target.topics) for item in parse(spec, page)]
    except SourceError as e:
        print(f"aajel: check failed: {e}", file=sys.stderr)
        return EXIT_SOURCE_FAILED
    verdicts = await _decisions(settings, target, items)
    shown = items[: max(0, args.limit)]
    records: list[dict[str, Any]] = [
        {
            "urgency": c.urgency.value,
            "headline": c.headline,
            "title": c.item.title,
            "topics": list(c.topics),
            "link": c.item.url,
            "published_at": c.item.published_at.isoformat() if c.item.published_at else None,
            "guid": c.item.guid,
            "canonical_url": canonical_url(c.item.url),
            "title_key": title_key(c.headline),
            "would_be": verdicts[i] if verdicts else None,
        }
        for i, c in enumerate(shown)
    ]
    if args.json:
        print(
            json.dumps(
                {
                    "source": spec.name,
                    "kind": spec.kind.value,
                    "url": spec.url,
                    "final_url": page.final_url,
                    "status": page.status,
                    "origin": target.origin,
                    "count": len(items),
                    "items": records,
                },
                ensure_ascii=False,
                indent=2,
            )
        )
        return 0
    breaking = sum(c.urgency.is_breaking for c in items)
    print(f"{spec.name} ({spec.kind.value}, {target.origin})")
    print(
        f"GET {spec.url} -> HTTP {page.status}"
        + (f" via {page.final_url}" if page.final_url != spec.url else "")
    )
    print(f"{len(items)} items, {breaking} flash/urgent; nothing stored or pushed\n")
    for n, r in enumerate(records, start=1):
        print(f"{n:>3}. [{r['urgency'].upper()}] {r['headline']}")
        print(f"     topics: {', '.join(r['topics']) or '-'}")
        print(f"     link:   {r['link'] or '-'}")
        if r["published_at"]:
            print(f"     published: {r['published_at']}")
        keys = [
            f"guid={r['guid']}" if r["guid"] else None,
            f"url={r['canonical_url']}" if r["canonical_url"] else None,
            f"title={r['title_key'][:12]}",
        ]
        print(f"     dedup key: {' | '.join(k for k in keys if k)}")
        if r["would_be"]:
            print(f"     would be: {r['would_be']}")
    if len(items) > len(shown):
        print(f"\n… {len(items) - len(shown)} more (use --limit)")
    return 0
