"""Fan-out benchmark: the real sender and outbox at Telegram's limits, one run, one table.

Run from the project root: ``.venv/bin/python -m bench.fanout`` (about 3 minutes; ``--postgres URL``
runs the outbox on PostgreSQL instead of a fresh SQLite file).

Rows:

* **(a) paid broadcast** — 5,000 subscribers through the Bot API emulator enforcing 1000 msg/s overall
  (``allow_paid_broadcast``) and 1 msg/s per chat. Achieved rate is measured *by the emulator*, first to
  last accepted message; goal: ÷ limit ≥ 0.93 (the pacer keeps 5 % headroom: bot/delivery/limiter.py) and
  no 429.
* **(b) unthrottled** — 20,000 subscribers, no limits, against a trivial keep-alive HTTP sink (a raw
  asyncio protocol that answers every request with a canned ``Message``) in another process. The sender
  process is pinned to one core (``sched_setaffinity``) and the sink to the other, so the number is the
  sender's own throughput on one core, including planning-free draining, leasing, sending and batched
  outcome writes. CPU seconds of the sender process are reported to show what bounds it.
* **(c) side by side** on Telegram's free limits (emulator: 30 msg/s overall, 1/s per chat with a burst
  of 3, 20/min per group): a naive aiogram loop (``send; sleep(0.05)``), a PTB-style limiter (30/s
  overall and 20/min per group as leaky buckets that allow a full bucket as a burst, like aiolimiter;
  concurrent sends; sleep ``retry_after`` and retry on 429, up to 5 times) and Aajel at 30/s.
  *Time-scaled*: each runs 500 of the 5,000 chats (1/10); the "5,000 chats" column is the measured
  time × 10.
* **(a, busy)** — ``--busy``: only (a), twice in one run: on a quiet machine, then while two other
  processes (``while True: pass``, one per core, normal priority) keep both cores busy, so the sender
  is starved in time slices and its event loop wakes up late. The emulator stands in for Telegram's
  servers, which our machine's load does not slow down: it runs at nice -10 when allowed (root), so
  its accept clock measures the sender, not its own starvation. Goals: 0 × 429 and ≥ 0.9 of the limit.
* **(d) memory** — peak RSS (``VmHWM``) of a fresh process that plans and sends one alert to 100,000
  subscribers (sink as in (b)); the baseline is the same process after imports and seeding.

The emulator and the sink run in their own processes: each Bot API request costs the emulator ~1 ms of
CPU, so sharing a core would measure the emulator, not the sender.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import itertools
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
TOKEN = "7000000001:AAbenchmarkTokenForTheFanoutBenchmark"
CHATS_A = 5_000
CHATS_B = 20_000
CHATS_C = 500
SCALE_C = CHATS_A // CHATS_C
CHATS_D = 100_000
HEADLINE = "عاجل | زلزال بقوة 6.1 درجة يضرب الساحل الغربي والسلطات تدعو السكان إلى الابتعاد عن المباني"


# --- helper processes -------------------------------------------------------------------------------
def _pin(cpu: int) -> None:
    with contextlib.suppress(AttributeError, OSError, ValueError):
        if os.cpu_count() and os.cpu_count() > 1:  # type: ignore[operator]
            os.sched_setaffinity(0, {cpu % os.cpu_count()})  # type: ignore[operator]


async def _serve_emulator(port: int, users: int) -> None:
    from bot.emulator import Emulator, EmulatorServer

    _pin(1)
    if os.environ.get("AAJEL_BENCH_EMULATOR_NICE"):
        with contextlib.suppress(OSError):  # "Telegram" is not slowed by our load (see --busy)
            os.nice(int(os.environ["AAJEL_BENCH_EMULATOR_NICE"]))
    emulator = Emulator(TOKEN)
    for user_id in range(1, users + 1):
        emulator.add_user(f"u{user_id}", user_id=user_id, started=True)
    gc.collect()
    gc.freeze()  # see module docstring: no collector pauses turning queued requests into false bursts
    gc.set_threshold(50_000, 50, 1_000)
    async with EmulatorServer(emulator, port=port) as server:
        print(f"ready {server.url}", flush=True)
        await asyncio.Event().wait()


class _Sink(asyncio.Protocol):
    """HTTP/1.1 keep-alive; every request gets a canned successful ``sendMessage`` answer."""

    ids = itertools.count(1)

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport: asyncio.Transport = transport  # type: ignore[assignment]
        self.buffer = b""

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        while True:
            end = self.buffer.find(b"\r\n\r\n")
            if end < 0:
                return
            head = self.buffer[:end].lower()
            at = head.find(b"content-length:")
            length = int(head[at + 15 :].split(b"\r\n", 1)[0]) if at >= 0 else 0
            if len(self.buffer) < end + 4 + length:
                return
            self.buffer = self.buffer[end + 4 + length :]
            body = (
                b'{"ok":true,"result":{"message_id":%d,"date":0,"chat":{"id":1,"type":"private"},"text":"x"}}'
                % next(self.ids)
            )
            self.transport.write(
                b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s"
                % (len(body), body)
            )


async def _serve_sink(port: int) -> None:
    _pin(1)
    server = await asyncio.get_running_loop().create_server(_Sink, "127.0.0.1", port)
    print(f"ready http://127.0.0.1:{server.sockets[0].getsockname()[1]}", flush=True)
    await asyncio.Event().wait()


@contextlib.contextmanager
def _process(*args: str, env: dict[str, str] | None = None) -> Any:
    """Start ``python -m bench.fanout <args>``; yield the URL it prints; stop it afterwards."""
    process = subprocess.Popen(
        [sys.executable, "-m", "bench.fanout", *args],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, **(env or {})},
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline().split()
        if not line or line[0] != "ready":
            raise RuntimeError(f"helper {args} did not start")
        yield line[1]
    finally:
        process.terminate()
        process.wait(10)


def _child(part: str, url: str, database: str) -> dict[str, Any]:
    """Run one measured part in a fresh process (its own peak RSS, its own core)."""
    out = subprocess.run(
        [sys.executable, "-m", "bench.fanout", "--part", part, "--url", url, "--database", database],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    if out.returncode != 0:
        raise RuntimeError(f"part {part} failed:\n{out.stderr[-3000:]}")
    result: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


# --- databases --------------------------------------------------------------------------------------
def _dsn(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


async def _seed(database: str, chats: range, *, plan: bool = True) -> int:
    """Migrate, bulk-insert ``chats`` as subscribers of one topic, then (``plan``) create and plan an alert."""
    from sqlalchemy import insert, literal, select

    from bot.clock import SystemClock
    from bot.db.migrate import upgrade_async
    from bot.db.models import Subscriber, Subscription, Topic
    from bot.db.session import create_engine, make_sessionmaker
    from bot.domain import ChatKind

    await upgrade_async(database)
    engine = create_engine(database)
    clock = SystemClock()
    now = clock.now()
    try:
        async with make_sessionmaker(engine)() as session, session.begin():
            topic = Topic(slug="news", name_ar="أخبار", name_en="News")
            session.add(topic)
            await session.flush()
            for start in range(chats.start, chats.stop, 5_000):
                await session.execute(
                    insert(Subscriber),
                    [
                        {"chat_id": c, "kind": ChatKind.PRIVATE, "language": "ar", "timezone": "UTC",
                         "active": True, "created_at": now, "updated_at": now}
                        for c in range(start, min(chats.stop, start + 5_000))
                    ],
                )  # fmt: skip
            await session.execute(
                insert(Subscription).from_select(
                    ["subscriber_id", "topic_id", "thread_id", "level", "created_at"],
                    select(
                        Subscriber.id,
                        literal(topic.id),
                        literal(0),
                        literal("urgent"),
                        literal(now, Subscriber.created_at.type),
                    ),
                )
            )
    finally:
        await engine.dispose()
    return await _plan(database) if plan else 0


async def _plan(database: str) -> int:
    from bot.clock import SystemClock
    from bot.db.session import create_engine, make_sessionmaker
    from bot.domain import AlertRequest, Urgency
    from bot.services.alerts import create_alert, plan_deliveries

    engine = create_engine(database)
    clock = SystemClock()
    try:
        async with make_sessionmaker(engine)() as session, session.begin():
            request = AlertRequest(HEADLINE, Urgency.URGENT, ("news",), url="https://news.example/quake")
            planned = await create_alert(session, request, clock)
            return await plan_deliveries(session, planned.alert_id, clock)
    finally:
        await engine.dispose()


def _rss_kb(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return 0


async def _run_sender(url: str, database: str, **delivery: Any) -> dict[str, Any]:
    from aiogram import Bot
    from aiogram.client.session.aiohttp import AiohttpSession
    from aiogram.client.telegram import TelegramAPIServer

    from bot.clock import SystemClock
    from bot.config import load_settings
    from bot.db.session import create_engine, make_sessionmaker
    from bot.delivery.sender import Sender

    settings = load_settings(
        bot_token=TOKEN, telegram_api_url=url, database_url=database, delivery=delivery, _env_file=None
    )
    engine = create_engine(database)
    bot = Bot(TOKEN, session=AiohttpSession(api=TelegramAPIServer.from_base(url)))
    sender = Sender(sessionmaker=make_sessionmaker(engine), bot=bot, settings=settings, clock=SystemClock())
    wall, cpu = time.perf_counter(), time.process_time()
    await sender.run_until_idle()
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    await bot.session.close()
    await engine.dispose()
    return {
        "sent": sender.stats.sent,
        "wall": wall,
        "cpu": cpu,
        "flood_waits": sender.stats.flood_waits,
        "failed": sender.stats.failed,
    }


# --- the parts ------------------------------------------------------------------------------------
async def part_a(url: str, database: str) -> dict[str, Any]:
    _pin(0)
    planned = await _seed(database, range(1, CHATS_A + 1))
    result = await _run_sender(
        url,
        database,
        paid_broadcast=True,
        paid_broadcast_rate=1000,
        per_chat_interval_seconds=1.0,
        concurrency=64,
        batch_size=1000,
        record_batch_size=200,
    )
    return {"planned": planned, **result}


async def part_b(url: str, database: str) -> dict[str, Any]:
    _pin(0)
    planned = await _seed(database, range(1, CHATS_B + 1))
    result = await _run_sender(
        url,
        database,
        global_rate=1_000_000,
        per_chat_interval_seconds=0,
        concurrency=64,
        batch_size=2000,
        record_batch_size=500,
        record_interval_seconds=0.02,
    )
    return {"planned": planned, **result}


async def part_d(url: str, database: str, subscribers: int = CHATS_D) -> dict[str, Any]:
    """Seed, then reset the peak-RSS mark (``/proc/self/clear_refs``) and measure plan + send only."""
    _pin(0)
    from bot.delivery import sender  # noqa: F401 - everything the sender imports is in the baseline

    await _seed(database, range(1, subscribers + 1), plan=False)
    imports = _rss_kb("VmHWM")
    Path("/proc/self/clear_refs").write_text("5")  # peak := current
    baseline = _rss_kb("VmRSS")
    planned = await _plan(database)
    result = await _run_sender(
        url,
        database,
        global_rate=1_000_000,
        per_chat_interval_seconds=0,
        concurrency=64,
        batch_size=2000,
        record_batch_size=500,
    )
    return {
        "planned": planned,
        "seed_peak_kb": imports,
        "baseline_kb": baseline,
        "peak_kb": _rss_kb("VmHWM"),
        **result,
    }


async def part_d10(url: str, database: str) -> dict[str, Any]:
    return await part_d(url, database, CHATS_D // 10)


async def _naive(url: str, chats: list[int]) -> tuple[int, int]:
    """The loop many bots ship: send, sleep 50 ms, ignore what fails."""
    from aiogram import Bot
    from aiogram.client.session.aiohttp import AiohttpSession
    from aiogram.client.telegram import TelegramAPIServer
    from aiogram.exceptions import TelegramAPIError, TelegramRetryAfter

    bot = Bot(TOKEN, session=AiohttpSession(api=TelegramAPIServer.from_base(url)))
    floods = lost = 0
    try:
        for chat in chats:
            try:
                await bot.send_message(chat, HEADLINE)
            except TelegramRetryAfter:
                floods += 1
                lost += 1
            except TelegramAPIError:
                lost += 1
            await asyncio.sleep(0.05)
    finally:
        await bot.session.close()
    return floods, lost


class _LeakyBucket:
    """aiolimiter-style: ``max_rate`` per ``period``, a full bucket may go out at once."""

    def __init__(self, max_rate: float, period: float) -> None:
        self.capacity, self.per_second = max_rate, max_rate / period
        self.level, self.stamp = 0.0, time.monotonic()

    async def acquire(self) -> None:
        while True:
            now = time.monotonic()
            self.level = max(0.0, self.level - (now - self.stamp) * self.per_second)
            self.stamp = now
            if self.level + 1 <= self.capacity:
                self.level += 1
                return
            await asyncio.sleep((self.level + 1 - self.capacity) / self.per_second)


async def _ptb_style(url: str, chats: list[int]) -> tuple[int, int]:
    """PTB's AIORateLimiter shape: overall 30/s, 20/min per group, concurrent sends, retry on 429."""
    from aiogram import Bot
    from aiogram.client.session.aiohttp import AiohttpSession
    from aiogram.client.telegram import TelegramAPIServer
    from aiogram.exceptions import TelegramAPIError, TelegramRetryAfter

    bot = Bot(TOKEN, session=AiohttpSession(api=TelegramAPIServer.from_base(url)))
    overall = _LeakyBucket(30, 1.0)
    groups: dict[int, _LeakyBucket] = {}
    floods = lost = 0

    async def send(chat: int) -> None:
        nonlocal floods, lost
        for _ in range(6):
            if chat < 0:
                await groups.setdefault(chat, _LeakyBucket(20, 60.0)).acquire()
            await overall.acquire()
            try:
                await bot.send_message(chat, HEADLINE)
                return
            except TelegramRetryAfter as e:
                floods += 1
                await asyncio.sleep(e.retry_after)
            except TelegramAPIError:
                break
        lost += 1

    try:
        await asyncio.gather(*(send(chat) for chat in chats))
    finally:
        await bot.session.close()
    return floods, lost


async def part_c(url: str, database: str) -> dict[str, Any]:
    """Three contenders, one after another, against the same free-tier limits."""
    from bot.emulator import EmulatorClient

    _pin(0)
    rows: dict[str, Any] = {}
    chats = list(range(1, CHATS_C + 1))
    async with EmulatorClient(url) as tg:
        for name in ("naive aiogram", "PTB-style limiter", "Aajel"):
            await tg.set_rate_limits(global_rate=30, per_chat_rate=1, per_chat_burst=3, group_per_minute=20)
            started = time.perf_counter()
            if name == "naive aiogram":
                floods, lost = await _naive(url, chats)
            elif name == "PTB-style limiter":
                floods, lost = await _ptb_style(url, chats)
            else:
                await _seed(database, range(1, CHATS_C + 1))
                result = await _run_sender(url, database, global_rate=30, per_chat_interval_seconds=1.0)
                floods, lost = result["flood_waits"], CHATS_C - result["sent"]
            wall = time.perf_counter() - started
            stats = (await tg.rate_limits())["stats"]
            rows[name] = {
                "wall": wall,
                "accepted": stats["accepted"],
                "limited": stats["limited"],
                "client_floods": floods,
                "lost": lost,
            }
    return rows


# --- the table --------------------------------------------------------------------------------------
@dataclass
class Row:
    case: str
    measure: str
    value: str
    goal: str

    def cells(self) -> tuple[str, str, str, str]:
        return self.case, self.measure, self.value, self.goal


def _table(rows: list[Row]) -> str:
    header = ("case", "measure", "result", "goal")
    widths = [max(len(r.cells()[i]) for r in [Row(*header), *rows]) for i in range(4)]
    line = "| " + " | ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)) + " |"
    rule = "|" + "|".join("-" * (w + 2) for w in widths) + "|"
    body = [
        "| " + " | ".join(c.ljust(w) for c, w in zip(r.cells(), widths, strict=True)) + " |" for r in rows
    ]
    return "\n".join([line, rule, *body])


async def _limits_stats(url: str) -> dict[str, Any]:
    from bot.emulator import EmulatorClient

    async with EmulatorClient(url) as tg:
        return dict((await tg.rate_limits())["stats"])


async def _set_paid_limits(url: str) -> None:
    from bot.emulator import EmulatorClient

    async with EmulatorClient(url) as tg:
        await tg.set_rate_limits(global_rate=30, paid_rate=1000, per_chat_rate=1, per_chat_burst=3)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.fanout", description=__doc__.split("\n")[0])
    parser.add_argument("--postgres", help="postgresql+asyncpg://… server for the outbox (default: SQLite)")
    parser.add_argument(
        "--busy", action="store_true", help="only (a): on a quiet machine, then with both cores kept busy"
    )
    parser.add_argument("--part", help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    parser.add_argument("--database", help=argparse.SUPPRESS)
    parser.add_argument("--serve-emulator", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--serve-sink", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.serve_emulator is not None:
        asyncio.run(_serve_emulator(args.serve_emulator, CHATS_A))
        return
    if args.serve_sink is not None:
        asyncio.run(_serve_sink(args.serve_sink))
        return
    if args.part:
        parts = {"a": part_a, "b": part_b, "c": part_c, "d": part_d, "d10": part_d10}
        print(json.dumps(asyncio.run(parts[args.part](args.url, args.database))), flush=True)
        return

    started = time.perf_counter()
    engine_name = "PostgreSQL" if args.postgres else "SQLite"
    rows: list[Row] = []
    tmp = tempfile.mkdtemp(prefix="aajel-bench-")
    counter = itertools.count()

    schemas: list[str] = []

    def fresh() -> str:
        if args.postgres is None:
            return f"sqlite+aiosqlite:///{tmp}/outbox-{next(counter)}.db"
        url = _pg_schema(args.postgres)
        schemas.append(url)
        return url

    print(f"fan-out benchmark — outbox on {engine_name}, {os.cpu_count()} CPUs …", file=sys.stderr)
    if args.busy:
        rows = _busy_rows(fresh)
        for url in schemas:
            _pg_drop(args.postgres, url)
        shutil.rmtree(tmp, ignore_errors=True)
        print(_table(rows))
        print(f"\n(total {time.perf_counter() - started:.0f}s; outbox on {engine_name})")
        return
    with _process("--serve-emulator", "0") as emulator_url:
        asyncio.run(_set_paid_limits(emulator_url))
        a = _child("a", emulator_url, fresh())
        stats = asyncio.run(_limits_stats(emulator_url))
        span = stats["accepted_span_seconds"] or float("nan")
        rate = (stats["accepted"] - 1) / span
        rows += [
            Row("(a) 5,000 chats, paid 1000/s + 1/s per chat", "achieved ÷ limit (emulator)", f"{rate / 1000:.3f} ({rate:.0f} msg/s)", "≥ 0.93"),
            Row("", "429s seen", f"{stats['limited']} (sender: {a['flood_waits']})", "0"),
            Row("", "delivered / planned", f"{stats['accepted']} / {a['planned']} in {a['wall']:.2f}s", "all"),
        ]  # fmt: skip
        print("(a) done", file=sys.stderr)
        c = _child("c", emulator_url, fresh())
        for name, r in c.items():
            rate = r["accepted"] / r["wall"]
            rows.append(
                Row(
                    f"(c) {name}, free limits, {CHATS_C} chats (×{SCALE_C})",
                    "msg/s · 429s · lost · 5,000 chats in",
                    f"{rate:.1f} · {r['limited']} · {r['lost']} · {r['wall'] * SCALE_C / 60:.1f} min",
                    "",
                )
            )
        print("(c) done", file=sys.stderr)
    with _process("--serve-sink", "0") as sink_url:
        b = _child("b", sink_url, fresh())
        rows += [
            Row(f"(b) {CHATS_B:,} chats, unthrottled, sink", "sender msg/s (1 core)", f"{b['sent'] / b['wall']:.0f}", "≥ 3,000"),
            Row("", "sender CPU ÷ wall", f"{b['cpu'] / b['wall']:.2f} ({b['cpu']:.2f}s CPU / {b['wall']:.2f}s)", "bound"),
        ]  # fmt: skip
        print("(b) done", file=sys.stderr)
        d10 = _child("d10", sink_url, fresh())
        d = _child("d", sink_url, fresh())
        mb = lambda kb: f"{kb / 1024:.0f} MB"  # noqa: E731
        rows += [
            Row(f"(d) {CHATS_D:,} subscribers, plan + send", "peak RSS (process)", f"{mb(d['peak_kb'])}", "≤ 200 MB"),
            Row("", "of which imports+seeded DB", f"{mb(d['baseline_kb'])} (aiogram alone ≈ 130 MB)", ""),
            Row("", "fan-out adds: 100k vs 10k subs", f"{mb(d['peak_kb'] - d['baseline_kb'])} vs {mb(d10['peak_kb'] - d10['baseline_kb'])}", "flat"),
            Row("", "sent · msg/s", f"{d['sent']:,} · {d['sent'] / d['wall']:.0f}", ""),
        ]  # fmt: skip
    for url in schemas:
        _pg_drop(args.postgres, url)
    shutil.rmtree(tmp, ignore_errors=True)
    print(_table(rows))
    print(f"\n(total {time.perf_counter() - started:.0f}s; outbox on {engine_name})")


@contextlib.contextmanager
def _burners(count: int) -> Any:
    """``count`` processes spinning at normal priority, one pinned to each core in turn."""
    cores = os.cpu_count() or 1
    spin = "import os,sys; os.sched_setaffinity(0, {int(sys.argv[1])})\nwhile True: pass"
    burners = [subprocess.Popen([sys.executable, "-c", spin, str(n % cores)]) for n in range(count)]
    try:
        time.sleep(0.5)
        yield
    finally:
        for burner in burners:
            burner.kill()
            burner.wait(5)


def _busy_rows(fresh: Any) -> list[Row]:
    """(a) quiet, then (a) with both cores kept busy — the ratio to the limit measured by the emulator."""
    rows: list[Row] = []
    for label in ("quiet", "both cores busy"):
        with _process("--serve-emulator", "0", env={"AAJEL_BENCH_EMULATOR_NICE": "-10"}) as emulator_url:
            asyncio.run(_set_paid_limits(emulator_url))
            with _burners(os.cpu_count() or 1) if label != "quiet" else contextlib.nullcontext():
                a = _child("a", emulator_url, fresh())
            stats = asyncio.run(_limits_stats(emulator_url))
        span = stats["accepted_span_seconds"] or float("nan")
        rate = (stats["accepted"] - 1) / span
        rows += [
            Row(f"(a) {label}: 5,000 chats, paid 1000/s", "achieved ÷ limit (emulator)", f"{rate / 1000:.3f} ({rate:.0f} msg/s)", "≥ 0.9"),
            Row("", "429s seen", f"{stats['limited']} (sender: {a['flood_waits']})", "0"),
            Row("", "delivered / planned", f"{stats['accepted']} / {a['planned']} in {a['wall']:.2f}s", "all"),
            Row("", "sender CPU ÷ wall", f"{a['cpu'] / a['wall']:.2f}", ""),
        ]  # fmt: skip
        print(f"(a) {label} done", file=sys.stderr)
    return rows


def _pg_drop(server: str, url: str) -> None:
    from sqlalchemy.engine import make_url

    schema = make_url(url).query["search_path"]

    async def drop() -> None:
        import asyncpg

        connection = await asyncpg.connect(_dsn(server))
        try:
            await connection.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        finally:
            await connection.close()

    with contextlib.suppress(Exception):
        asyncio.run(drop())


def _pg_schema(server: str) -> str:
    """A new schema on ``server`` for one part (dropped at the end of the run)."""
    from sqlalchemy.engine import make_url

    schema = f"aajel_bench_{uuid.uuid4().hex[:10]}"

    async def create() -> None:
        import asyncpg

        connection = await asyncpg.connect(_dsn(server))
        try:
            await connection.execute(f'CREATE SCHEMA "{schema}"')
        finally:
            await connection.close()

    asyncio.run(create())
    return make_url(server).update_query_dict({"search_path": schema}).render_as_string(hide_password=False)


if __name__ == "__main__":
    main()
