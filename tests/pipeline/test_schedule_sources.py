"""``Aajel.schedule_sources``: one APScheduler job per enabled source, on the source's own interval
(seconds for tickers up to hours for slow feeds) with proportional jitter, calling ``Poller.poll``
with the source id (the job opens its own session), and a scheduled job really polls.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from apscheduler.triggers.interval import IntervalTrigger

from bot.app import Aajel
from bot.config import load_settings
from tests.pipeline.helpers import TOPICS, source_toml
from tests.pipeline.site import LocalSite, rss


@pytest.mark.parametrize("db_backend", ["sqlite"], indirect=True)
async def test_each_source_gets_its_own_interval_with_jitter_from_seconds_to_hours(
    migrated_db_url: str, tmp_path: Path
) -> None:
    async with LocalSite() as site:
        site.page("/fast.xml", rss(("1", "عاجل | زلزال يضرب الساحل", "/n/1")))
        file = tmp_path / "sources.toml"
        file.write_text(
            TOPICS
            + source_toml("ticker", f"{site.url}/fast.xml", interval_seconds=2)
            + source_toml("feed", f"{site.url}/feed.xml", interval_seconds=45)
            + source_toml("weekly", f"{site.url}/slow.xml", interval_seconds=3 * 3600)
            + source_toml("off", f"{site.url}/off.xml", enabled=False),
            encoding="utf-8",
        )
        settings = load_settings(
            bot_token="123456:TEST",
            telegram_api_url="http://127.0.0.1:9",
            database_url=migrated_db_url,
            sources_file=file,
            polling={"jitter_fraction": 0.1},
            _env_file=None,
        )
        async with Aajel(settings, migrate=False) as app:
            assert await app.schedule_sources() == 3
            jobs = {job.id: job for job in app.scheduler.get_jobs()}
            assert len(jobs) == 3  # the disabled source is not scheduled
            by_interval = {}
            for job in jobs.values():
                trigger = job.trigger
                assert isinstance(trigger, IntervalTrigger)
                (source_id,) = job.args
                assert job.id == f"source:{source_id}"
                assert job.func == app.poller.poll
                assert (job.max_instances, job.coalesce, job.misfire_grace_time) == (1, True, None)
                by_interval[trigger.interval] = trigger.jitter
            assert by_interval == {
                timedelta(seconds=2): pytest.approx(0.2),
                timedelta(seconds=45): pytest.approx(4.5),
                timedelta(hours=3): pytest.approx(1080.0),
            }

            # scheduled for real: the 2-second ticker is polled at once and then again on its own
            app.scheduler.start()
            try:
                for _ in range(100):
                    if len(site.hits("/fast.xml")) >= 2:
                        break
                    await asyncio.sleep(0.1)
            finally:
                app.scheduler.shutdown(wait=False)
            assert len(site.hits("/fast.xml")) >= 2
            # the pace is the trigger's, not the machine's: each next run is 2 s ± 10 % after the last
            fast = next(job for job in jobs.values() if job.trigger.interval == timedelta(seconds=2))
            previous = datetime(2026, 1, 1, tzinfo=UTC)
            for _ in range(20):
                following = fast.trigger.get_next_fire_time(previous, previous)
                assert following is not None
                assert timedelta(seconds=1.8) <= following - previous <= timedelta(seconds=2.2)
                previous = following
