"""A local feed farm for ``bench.ingest``: N RSS feeds on 127.0.0.1, run in its own process so the
poller's core is measured alone.

``/feed/{n}.xml`` serves feed ``n`` with ``ITEMS`` items and an ETag; a conditional GET with the current
ETag gets a 304. Every ``changing_every``-th feed publishes a new item on each request (so it never
answers 304), the others never change. Headlines are random Arabic word sequences from a
Zipf-weighted vocabulary, so distinct stories are rarely near-duplicates of each other.
"""

from __future__ import annotations

import asyncio
import hashlib
import multiprocessing
import os
import random
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

from aiohttp import web

ITEMS = 20
WORDS = [
    "الحكومة",
    "البرلمان",
    "الوزير",
    "الرئيس",
    "المجلس",
    "الشعب",
    "الجيش",
    "الشرطة",
    "المدينة",
    "القرية",
    "الميناء",
    "المطار",
    "الجامعة",
    "المستشفى",
    "السوق",
    "البورصة",
    "النفط",
    "الذهب",
    "الدولار",
    "الليرة",
    "الدينار",
    "المصرف",
    "الشركة",
    "المصنع",
    "الانتخابات",
    "القانون",
    "الدستور",
    "المحكمة",
    "القاضي",
    "السفير",
    "الوفد",
    "القمة",
    "المفاوضات",
    "الاتفاق",
    "الهدنة",
    "العاصفة",
    "الزلزال",
    "الفيضان",
    "الحريق",
    "الجفاف",
    "المطر",
    "الثلج",
    "الحر",
    "الكهرباء",
    "الماء",
    "الغاز",
    "القمح",
    "الخبز",
    "يعلن",
    "يقر",
    "يرفض",
    "يناقش",
    "يفتتح",
    "يغلق",
    "يرفع",
    "يخفض",
    "يوقع",
    "يلغي",
    "يؤجل",
    "يبدأ",
    "ينهي",
    "يحذر",
    "يطالب",
    "يدعو",
    "يستقبل",
    "جديد",
    "عاجل",
    "كبير",
    "صغير",
    "أول",
    "أخير",
    "شمال",
    "جنوب",
    "شرق",
    "غرب",
    "وسط",
    "ثلاث",
    "أربع",
    "خمس",
    "عشر",
    "مئة",
    "ألف",
]


_LETTERS = "ابتثجحخدذرزسشصضطظعغفقكلمنهوي"


def _pseudo_word(seed: int) -> str:
    """One made-up word of 3–7 letters (one generator per word: seeding a fresh one per letter gave a
    word of one repeated letter, so the "3,000" words were 140, and random headlines shared them)."""
    rng = random.Random(seed)
    return "".join(rng.choice(_LETTERS) for _ in range(rng.randint(3, 7)))


_PSEUDO = list(dict.fromkeys(_pseudo_word(i) for i in range(3000)))
_VOCABULARY = WORDS + _PSEUDO
# Zipf-like (exponent 0.6): the commonest word is in ~1 headline in 9, as "غزة" or "ترامب" on a busy day
_WEIGHTS = [1 / (rank + 1) ** 0.6 for rank in range(len(_VOCABULARY))]


def headline(rng: random.Random) -> str:
    """Seven words drawn Zipf-like from 80 common news words + 3,000 pseudo-words (a news vocabulary's
    shape: "الحكومة" is in many headlines, most words in few)."""
    return " ".join(rng.choices(_VOCABULARY, weights=_WEIGHTS, k=7))


class Farm:
    def __init__(self, feeds: int, changing_every: int, seed: int = 7) -> None:
        self.feeds = feeds
        self.changing_every = changing_every
        rng = random.Random(seed)
        start = datetime(2026, 1, 1, tzinfo=UTC)
        self.items: list[list[tuple[str, str, datetime]]] = [
            [(f"f{n}-i{i}", headline(rng), start + timedelta(minutes=i)) for i in range(ITEMS)]
            for n in range(feeds)
        ]
        self.rng = rng
        self.bodies: dict[int, tuple[bytes, str]] = {}

    def body(self, n: int) -> tuple[bytes, str]:
        cached = self.bodies.get(n)
        if cached is not None:
            return cached
        entries = "".join(
            f'<item><guid isPermaLink="false">{guid}</guid><title>{title}</title>'
            f"<link>http://127.0.0.1/{n}/{guid}</link><pubDate>{format_datetime(at, usegmt=True)}</pubDate></item>"
            for guid, title, at in reversed(self.items[n][-ITEMS:])
        )
        body = (
            '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>feed</title>'
            f"<link>http://127.0.0.1/</link><description>d</description>{entries}</channel></rss>"
        ).encode()
        etag = '"' + hashlib.sha1(body).hexdigest()[:16] + '"'
        self.bodies[n] = (body, etag)
        return body, etag

    async def feed(self, request: web.Request) -> web.Response:
        n = int(request.match_info["n"])
        if n % self.changing_every == 0:
            items = self.items[n]
            items.append((f"f{n}-i{len(items)}", headline(self.rng), items[-1][2] + timedelta(minutes=1)))
            self.bodies.pop(n, None)
        body, etag = self.body(n)
        if request.headers.get("If-None-Match") == etag:
            return web.Response(status=304, headers={"ETag": etag})
        return web.Response(
            body=body, headers={"ETag": etag, "Content-Type": "application/rss+xml; charset=utf-8"}
        )


async def _serve(port_out: multiprocessing.connection.Connection, feeds: int, changing_every: int) -> None:
    farm = Farm(feeds, changing_every)
    app = web.Application()
    app.router.add_get("/feed/{n}.xml", farm.feed)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0, backlog=4096)
    await site.start()
    port = next(a[1] for a in runner.addresses if isinstance(a, tuple))
    port_out.send(port)
    parent = os.getppid()
    while os.getppid() == parent:  # the bench was killed: do not linger as an orphan
        await asyncio.sleep(1)


def _main(port_out: multiprocessing.connection.Connection, feeds: int, changing_every: int) -> None:
    asyncio.run(_serve(port_out, feeds, changing_every))


def start_farm(feeds: int, changing_every: int) -> tuple[multiprocessing.Process, str]:
    """Start the farm in a child process; returns it and its base URL."""
    ctx = multiprocessing.get_context("spawn")
    parent, child = ctx.Pipe()
    process = ctx.Process(target=_main, args=(child, feeds, changing_every), daemon=True)
    process.start()
    port = parent.recv()
    return process, f"http://127.0.0.1:{port}"
