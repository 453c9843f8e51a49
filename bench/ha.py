"""High-availability benchmark: several ``aajel run`` processes on one PostgreSQL, the leader SIGKILLed.

Run from the project root: ``.venv/bin/python -m bench.ha`` (3 instances, 2,000 sources, 5,000
subscribers; ``--quick`` for 3 instances, 400 sources, 1,000 subscribers). Everything is local: a fresh
schema on the PostgreSQL test server, the Bot API emulator (enforcing ``--rate`` msg/s bot-wide, Telegram's
per-chat limit, and counting every call), and a feed farm serving the sources on ``--hosts`` ports of
127.0.0.1 (each port a "host" for politeness), counting every request.

Script:

1. seed subscribers and sources; start ``--instances`` real ``aajel run`` processes; wait until every
   source had its first (baseline) poll;
2. plan one alert to every subscriber; when about 40 % has been delivered, **SIGKILL the leader**
   (mid-broadcast and mid-polling: it also polls its share of the sources) and start a fresh instance
   in its place;
3. after the broadcast, **SIGKILL the new leader** while only polling, plan a one-recipient probe
   alert, start a fresh instance again; then poll on for the rest of the window.

Measured (by the emulator and the farm, i.e. what Telegram and the sources saw):

* ``lost``: subscribers who never got the alert; ``duplicated``: extra copies, to compare with the
  stated bound of ``DELIVERY__CONCURRENCY + DELIVERY__RECORD_BATCH_SIZE`` per kill;
* ``takeover_s``: the longest time from a SIGKILL to the next message accepted by the emulator;
* ``polls_per_due``: feed requests in the steady window ÷ polls due in it (window ÷ interval per source);
* ``rate_ratio``: the most messages accepted in any one-second window ÷ ``--rate``;
* ``429s``: refusals by the emulator's limits; ``409s``: ``getUpdates`` conflicts (two pollers).

The last line is ``ha: lost=N duplicated=N takeover_s=X polls_per_due=Y rate_ratio=Z 429s=N``.
"""

from __future__ import annotations

import argparse
import asyncio
import bisect
import contextlib
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
TOKEN = "7000000077:AAhaBenchmarkTokenForSeveralInstances"
PG_URL = os.environ.get("AAJEL_TEST_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test")
HEADLINE = "عاجل | انقطاع واسع للكهرباء في العاصمة والسلطات تعلن خطة طوارئ"
CONCURRENCY = 32
RECORD_BATCH = 100


# --- helper processes -------------------------------------------------------------------------------
async def _serve_farm(ports: int) -> None:
    """RSS feeds on ``ports`` ports; every request is logged (feed, wall time); ``/stats`` returns them."""
    from aiohttp import web

    hits: list[tuple[int, float]] = []

    async def feed(request: web.Request) -> web.Response:
        n = int(request.match_info["n"])
        hits.append((n, time.time()))
        etag = f'"f{n}"'
        if request.headers.get("If-None-Match") == etag:
            return web.Response(status=304, headers={"ETag": etag})
        items = "".join(
            f"<item><guid>f{n}-{i}</guid><title>خبر {i} من المصدر {n}</title>"
            f"<link>http://127.0.0.1/n/{n}/{i}</link></item>"
            for i in range(3)
        )
        body = f'<?xml version="1.0"?><rss version="2.0"><channel><title>f{n}</title>{items}</channel></rss>'
        return web.Response(body=body.encode(), headers={"ETag": etag, "Content-Type": "application/rss+xml"})

    async def stats(request: web.Request) -> web.Response:
        return web.json_response(hits)

    app = web.Application()
    app.router.add_get("/feed/{n}.xml", feed)
    app.router.add_get("/stats", stats)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    urls = []
    for _ in range(ports):
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        urls.append(f"http://127.0.0.1:{site._server.sockets[0].getsockname()[1]}")  # type: ignore[union-attr]
    print("ready " + " ".join(urls), flush=True)
    await asyncio.Event().wait()


async def _serve_emulator(users: int, rate: float) -> None:
    from bot.emulator import Emulator, EmulatorServer

    with contextlib.suppress(OSError):
        os.nice(-15)  # the emulator stands in for Telegram, which our load does not slow down
    emulator = Emulator(TOKEN)
    for user_id in range(1, users + 2):
        emulator.add_user(f"u{user_id}", user_id=user_id, started=True)
    async with EmulatorServer(emulator) as server:
        async with _client(server.url) as tg:
            await tg.set_rate_limits(global_rate=rate, per_chat_rate=1, per_chat_burst=3)
        print(f"ready {server.url}", flush=True)
        await asyncio.Event().wait()


def _client(url: str) -> Any:
    from bot.emulator import EmulatorClient

    return EmulatorClient(url)


@contextlib.contextmanager
def _helper(*args: str) -> Iterator[tuple[subprocess.Popen[str], list[str]]]:
    process = subprocess.Popen(
        [sys.executable, "-m", "bench.ha", *args], cwd=ROOT, stdout=subprocess.PIPE, text=True
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline().split()
        if not line or line[0] != "ready":
            raise RuntimeError(f"helper {args} did not start")
        yield process, line[1:]
    finally:
        process.kill()
        process.wait(10)


# --- the database -----------------------------------------------------------------------------------
async def _schema() -> str:
    import asyncpg
    from sqlalchemy.engine import make_url

    base = make_url(PG_URL)
    schema = f"aajel_ha_{uuid.uuid4().hex[:8]}"
    conn = await asyncpg.connect(base.set(drivername="postgresql").render_as_string(hide_password=False))
    try:
        await conn.execute(f'CREATE SCHEMA "{schema}"')
    finally:
        await conn.close()
    return base.update_query_dict({"search_path": schema}).render_as_string(hide_password=False)


async def _drop(url: str) -> None:
    import asyncpg
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    conn = await asyncpg.connect(
        parsed.set(drivername="postgresql", query={}).render_as_string(hide_password=False)
    )
    try:
        await conn.execute(f'DROP SCHEMA IF EXISTS "{parsed.query["search_path"]}" CASCADE')
    finally:
        await conn.close()


async def _seed(url: str, subscribers: int, farm: list[str], sources: int, interval: float) -> None:
    from bench.fanout import _seed as seed_subscribers
    from bot.clock import SystemClock
    from bot.db.session import create_engine, make_sessionmaker
    from bot.domain import ChatKind, SourceKind
    from bot.services.newsroom import import_newsroom
    from bot.services.subscriptions import find_topic, register_chat, set_subscription
    from bot.sources.spec import Newsroom, SourceSpec, TopicSpec

    await seed_subscribers(url, range(1, subscribers + 1), plan=False)  # migrates; topic "news"
    engine = create_engine(url)
    clock = SystemClock()
    specs = tuple(
        SourceSpec(
            name=f"feed-{n}", kind=SourceKind.RSS, url=f"{farm[n % len(farm)]}/feed/{n}.xml",
            language="ar", interval_seconds=int(interval),
        )
        for n in range(sources)
    )  # fmt: skip
    topics = (
        TopicSpec("news", "أخبار", "News", ("حكومة",)),
        TopicSpec("probe", "اختبار", "Probe", ("probe",)),
    )
    try:
        async with make_sessionmaker(engine)() as session, session.begin():
            await import_newsroom(session, Newsroom(topics, specs), clock)
            probe = await find_topic(session, slug="probe")
            chat = subscribers + 1
            await register_chat(session, chat_id=chat, kind=ChatKind.PRIVATE, language="ar", clock=clock)
            await set_subscription(session, chat_id=chat, topic_id=probe.id, subscribed=True, clock=clock)
    finally:
        await engine.dispose()


async def _plan(url: str, topic: str) -> int:
    from bot.clock import SystemClock
    from bot.db.session import create_engine, make_sessionmaker
    from bot.domain import AlertRequest, Urgency
    from bot.services.alerts import create_alert, plan_deliveries

    engine = create_engine(url)
    try:
        async with make_sessionmaker(engine)() as session, session.begin():
            request = AlertRequest(
                HEADLINE + f" ({topic})", Urgency.URGENT, (topic,), url="https://news.example/x"
            )
            planned = await create_alert(session, request, SystemClock())
            await plan_deliveries(session, planned.alert_id, SystemClock())
            return planned.alert_id
    finally:
        await engine.dispose()


async def _scalar(url: str, sql: str) -> Any:
    from sqlalchemy import text

    from bot.db.session import create_engine

    engine = create_engine(url)
    try:
        async with engine.connect() as conn:
            return await conn.scalar(text(sql))
    finally:
        await engine.dispose()


# --- the instances ----------------------------------------------------------------------------------
def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Instance:
    name: str
    process: subprocess.Popen[bytes]
    log: Path

    def is_leader(self) -> bool:
        """Its log says it leads, and it is alive (the newest 'leader now' line wins)."""
        return self.process.poll() is None and "leader now" in self.log.read_text(errors="replace")


@dataclass
class Fleet:
    url: str
    emulator: str
    tmp: Path
    rate: float
    per_host: int
    instances: list[Instance] = field(default_factory=list)
    started: int = 0

    def start(self) -> Instance:
        self.started += 1
        name = f"i{self.started}"
        log = self.tmp / f"{name}.log"
        # no SOURCES_FILE: the bench imported the sources once, and the default file is absent from the
        # instance's working directory (an explicitly set, missing SOURCES_FILE is a start-up error)
        env = {
            **{key: value for key, value in os.environ.items() if key != "SOURCES_FILE"},
            "BOT_TOKEN": TOKEN,
            "TELEGRAM_API_URL": self.emulator,
            "DATABASE_URL": self.url,
            "API__PORT": str(_free_port()),
            "API__HOST": "127.0.0.1",
            "DELIVERY__GLOBAL_RATE": str(self.rate),
            "DELIVERY__CONCURRENCY": str(CONCURRENCY),
            "DELIVERY__RECORD_BATCH_SIZE": str(RECORD_BATCH),
            "POLLING__PER_HOST_CONCURRENCY": str(self.per_host),
            "POLLING__TIMEOUT_SECONDS": "10",
            "LOG_LEVEL": "INFO",
        }
        with log.open("wb") as out:
            process = subprocess.Popen(
                [sys.executable, "-m", "bot", "run"],
                cwd=self.tmp,
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        instance = Instance(name, process, log)
        self.instances.append(instance)
        return instance

    def leader(self) -> Instance | None:
        leaders = [i for i in self.instances if i.is_leader()]
        return leaders[-1] if leaders else None

    def stop(self) -> None:
        for instance in self.instances:
            if instance.process.poll() is None:
                instance.process.send_signal(signal.SIGINT)
        for instance in self.instances:
            try:
                instance.process.wait(20)
            except subprocess.TimeoutExpired:
                instance.process.kill()
                instance.process.wait(5)


async def _wait(condition: Any, what: str, within: float, step: float = 0.2) -> float:
    started = time.monotonic()
    while True:
        value = condition()
        if asyncio.iscoroutine(value):
            value = await value
        if value:
            return time.monotonic() - started
        if time.monotonic() - started > within:
            raise RuntimeError(f"timed out after {within:.0f}s waiting for {what}")
        await asyncio.sleep(step)


# --- the run ----------------------------------------------------------------------------------------
async def _sent(url: str, alert_id: int) -> int:
    return int(
        await _scalar(url, f"SELECT count(*) FROM deliveries WHERE alert_id = {alert_id} AND status = 'sent'")
    )


async def _baselined(url: str) -> int:
    return int(await _scalar(url, "SELECT count(*) FROM sources WHERE baseline_done"))


async def _farm_hits(farm: str) -> list[tuple[int, float]]:
    import aiohttp

    async with aiohttp.ClientSession() as http, http.get(f"{farm}/stats") as response:
        return [(int(n), float(t)) for n, t in await response.json()]


async def _calls(emulator: str) -> list[Any]:
    async with _client(emulator) as tg:
        return await tg.calls()


def _accepted_at(call: Any) -> float:
    return datetime.fromisoformat(call.at).timestamp()


async def run(args: argparse.Namespace) -> list[tuple[str, str, str]]:
    url = await _schema()
    tmp = Path(tempfile.mkdtemp(prefix="aajel-ha-"))
    _say(f"database {url.rsplit('=', 1)[-1]}, logs in {tmp}")
    rows: list[tuple[str, str, str]] = []
    try:
        with (
            _helper("--serve-farm", str(args.hosts)) as (_, farm),
            _helper("--serve-emulator", str(args.subscribers), str(args.rate)) as (_, (emulator,)),
        ):
            await _seed(url, args.subscribers, farm, args.sources, args.interval)
            fleet = Fleet(url, emulator, tmp, args.rate, args.per_host)
            try:
                for _ in range(args.instances):
                    fleet.start()
                _say(f"started {args.instances} instances; waiting for a leader")
                boot = await _wait(lambda: fleet.leader() is not None, "a leader", 120)
                rows.append(("start-up", f"{args.instances} instances, leader after", f"{boot:.1f} s"))
                _say("waiting for every source's first poll")
                took = await _wait(
                    lambda: _baselined_all(url, args.sources), "every source's baseline", 900, step=1.0
                )
                rows.append(
                    ("baseline", f"{args.sources:,} sources' first polls done", f"{took:.1f} s later")
                )
                window_start = time.time()
                kills: list[float] = []

                # 1. SIGKILL the leader mid-broadcast (it polls sources too)
                _say("broadcast planned; the leader dies at 40 %")
                alert = await _plan(url, "news")
                target = int(args.subscribers * 0.4)
                await _wait(lambda: _sent_at_least(url, alert, target), "40 % delivered", 600, step=0.1)
                victim = fleet.leader()
                assert victim is not None
                kills.append(time.time())
                victim.process.send_signal(signal.SIGKILL)
                victim.process.wait(10)
                fleet.start()
                await _wait(
                    lambda: _sent_at_least(url, alert, args.subscribers), "the broadcast", 900, step=0.5
                )
                await _wait(lambda: fleet.leader() is not None, "a new leader", 60)

                # 2. SIGKILL the new leader while it only polls; a probe alert shows the takeover
                await asyncio.sleep(args.interval / 3)
                victim = fleet.leader()
                assert victim is not None
                kills.append(time.time())
                victim.process.send_signal(signal.SIGKILL)
                victim.process.wait(10)
                _say("second leader killed; probe planned")
                probe = await _plan(url, "probe")
                fleet.start()
                await _wait(lambda: _sent_at_least(url, probe, 1), "the probe", 120, step=0.1)
                remaining = window_start + 2 * args.interval - time.time()
                if remaining > 0:
                    await asyncio.sleep(remaining)
                window_end = time.time()
                _say("collecting the emulator's and the farm's records")
                calls = await _calls(emulator)
                hits = await _farm_hits(farm[0])
                async with _client(emulator) as tg:
                    limits = (await tg.rate_limits())["stats"]
                rows += _measure(args, calls, hits, kills, window_start, window_end, limits)
            finally:
                fleet.stop()
    finally:
        with contextlib.suppress(Exception):
            await _drop(url)
    return rows


async def _baselined_all(url: str, sources: int) -> bool:
    return await _baselined(url) >= sources


async def _sent_at_least(url: str, alert: int, count: int) -> bool:
    return await _sent(url, alert) >= count


def _takeover(times: list[float], kill: float) -> float:
    """SIGKILL → end of the longest silence that follows it (the dead leader's last in-flight requests
    may still be accepted just after the kill; the new leader's first message ends the silence)."""
    first = bisect.bisect_right(times, kill)
    best_gap, resumed = -1.0, float("inf")
    for j in range(max(first, 1), len(times)):
        if times[j] > kill + 60:
            break
        gap = times[j] - max(times[j - 1], kill)
        if gap > best_gap:
            best_gap, resumed = gap, times[j]
    if first == 0 and times:  # nothing before the kill at all: the first message after it
        resumed = min(resumed, times[0])
    return resumed - kill


def _measure(
    args: argparse.Namespace,
    calls: list[Any],
    hits: list[tuple[int, float]],
    kills: list[float],
    start: float,
    end: float,
    limits: dict[str, Any],
) -> list[tuple[str, str, str]]:
    sends = [c for c in calls if c.method == "sendMessage"]
    accepted = [c for c in sends if c.status == 200]
    per_chat = Counter(
        int(c.params["chat_id"]) for c in accepted if int(c.params["chat_id"]) <= args.subscribers
    )
    lost = args.subscribers - len(per_chat)
    duplicated = sum(n - 1 for n in per_chat.values())
    times = sorted(_accepted_at(c) for c in accepted)
    bounds = [*kills[1:], float("inf")]  # each kill's silence ends before the next kill
    takeovers = [
        _takeover([t for t in times if t < bound], kill) for kill, bound in zip(kills, bounds, strict=True)
    ]
    peak, peak_at = max(
        ((bisect.bisect_right(times, t) - bisect.bisect_right(times, t - 1.0), t) for t in times),
        default=(0, 0.0),
    )
    refused = sorted(_accepted_at(c) for c in sends if c.status == 429)
    rate_ratio = peak / args.rate
    due = (end - start) / args.interval * args.sources
    made = sum(1 for _, t in hits if start <= t < end)
    per_feed = Counter(n for n, t in hits if start <= t < end)
    conflicts = sum(1 for c in calls if c.method == "getUpdates" and c.status == 409)
    bound = CONCURRENCY + RECORD_BATCH
    state = {
        "lost": lost,
        "duplicated": duplicated,
        "takeover_s": max(takeovers),
        "polls_per_due": made / due if due else float("nan"),
        "rate_ratio": rate_ratio,
        "429s": int(limits["limited"]),
    }
    _LAST.update(state)
    return [
        ("broadcast", f"{args.subscribers:,} subscribers, leader SIGKILLed at 40 %", f"lost {lost}, duplicated {duplicated} (bound {bound} per kill)"),
        ("takeover", "SIGKILL → next message accepted", " / ".join(f"{t:.2f} s" for t in takeovers) + " (goal ≤ 10 s)"),
        ("rate", f"peak msgs in any 1 s ÷ limit {args.rate:g}/s", f"{peak} ÷ {args.rate:g} = {rate_ratio:.2f} (goal ≤ 1.0)"),
        ("rate", "where the peak 1 s window ends", _where(peak_at, kills, start)),
        ("429s · 409s", "emulator refusals (by scope) · getUpdates conflicts", f"{limits['limited']} {limits.get('by_scope') or ''} · {conflicts}"),
        ("429s", "when (relative to the nearest kill)", ", ".join(_where(t, kills, start) for t in refused) or "–"),
        ("polling", f"window {end - start:.0f} s, interval {args.interval:g} s, 2 kills", f"{made:,} polls ÷ {due:,.0f} due = {state['polls_per_due']:.3f} (goal 0.95–1.05)"),
        ("polling", "polls per source in the window (min–max)", f"{min(per_feed.values(), default=0)}–{max(per_feed.values(), default=0)}"),
    ]  # fmt: skip


def _where(t: float, kills: list[float], start: float) -> str:
    """``t`` relative to the latest kill before it (``kill 1 + 1.83 s``), or to the window's start."""
    before = [(i, k) for i, k in enumerate(kills, 1) if k <= t]
    if not before:
        return f"start + {t - start:.2f} s"
    i, k = before[-1]
    return f"kill {i} + {t - k:.2f} s"


_LAST: dict[str, Any] = {}


def _terminated(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def _say(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def _table(rows: list[tuple[str, str, str]]) -> str:
    header = ("part", "measure", "result")
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(3)]
    line = lambda r: "| " + " | ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) + " |"  # noqa: E731
    return "\n".join([line(header), "|" + "|".join("-" * (w + 2) for w in widths) + "|", *map(line, rows)])


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.ha", description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="400 sources, 1,000 subscribers, 30 s interval")
    parser.add_argument("--instances", type=int, default=3)
    parser.add_argument("--sources", type=int, default=None)
    parser.add_argument("--subscribers", type=int, default=None)
    parser.add_argument("--interval", type=float, default=None, help="seconds between polls of a source")
    parser.add_argument(
        "--rate", type=float, default=100.0, help="bot-wide msg/s (emulator limit = sender rate)"
    )
    parser.add_argument("--hosts", type=int, default=10, help="farm ports (hosts for politeness)")
    parser.add_argument("--per-host", type=int, default=8, help="POLLING__PER_HOST_CONCURRENCY")
    parser.add_argument("--serve-farm", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--serve-emulator", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.serve_farm is not None:
        asyncio.run(_serve_farm(args.serve_farm))
        return
    if args.serve_emulator is not None:
        asyncio.run(_serve_emulator(int(args.serve_emulator[0]), float(args.serve_emulator[1])))
        return
    args.sources = args.sources or (400 if args.quick else 2000)
    args.subscribers = args.subscribers or (1000 if args.quick else 5000)
    args.interval = float(int(args.interval or (30 if args.quick else 60)))
    signal.signal(signal.SIGTERM, _terminated)  # clean up the instances and helpers on `timeout`
    started = time.perf_counter()
    print(
        f"ha benchmark: {args.instances} instances, {args.sources} sources, {args.subscribers} subscribers …",
        file=sys.stderr,
    )
    rows = asyncio.run(run(args))
    print(_table(rows))
    print(f"\n(total {time.perf_counter() - started:.0f} s)")
    s = _LAST
    print(
        f"ha: lost={s['lost']} duplicated={s['duplicated']} takeover_s={s['takeover_s']:.2f}"
        f" polls_per_due={s['polls_per_due']:.3f} rate_ratio={s['rate_ratio']:.2f} 429s={s['429s']}"
    )


if __name__ == "__main__":
    main()
