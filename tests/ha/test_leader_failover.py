"""One leader among several instances (PostgreSQL advisory lock), and one instance per SQLite file.

Each instance is a :class:`~bot.coord.leader.Leadership` on its **own engine**, or a real subprocess
that is SIGKILLed. The tests assert what an operator would notice: never two leaders at once (two
``getUpdates`` pollers are 409 Conflicts, two senders break Telegram's per-bot limit), a standby takes
over after a clean stop and after a SIGKILL (within the 10 s the deployment promises — the bound is a
timeout here, the measured takeover is reported by ``bench/ha``), and a leader that loses its lock
connection while the database answers stops leading. A database *outage* is different: the leader is
sticky (it keeps its role, so users still hear "temporarily unavailable"), nobody else can lead
meanwhile, and when the database returns the leader re-takes its lock or resigns at once. Outages are
made by a loopback TCP proxy in front of the shared server (:mod:`tests.chaos.outage`). No test sleeps
to pass: every wait is for an event, with a generous timeout.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import textwrap
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import text

from bot.coord import leader as leader_module
from bot.coord.leader import LEADER_NS, Leadership, lock_key, single_instance_guard
from bot.db.session import create_engine
from bot.exceptions import ConfigError
from tests.chaos.outage import proxied

ROOT = Path(__file__).resolve().parents[2]
postgres_only = pytest.mark.parametrize("db_backend", ["postgres"], indirect=True)
sqlite_only = pytest.mark.parametrize("db_backend", ["sqlite"], indirect=True)


class Duties:
    """Records who leads; fails the test if two ever lead at once."""

    def __init__(self) -> None:
        self.leading: set[str] = set()
        self.terms: list[str] = []
        self.overlaps = 0

    def lead_as(self, name: str):  # type: ignore[no-untyped-def]
        async def lead(resign: asyncio.Event) -> None:
            if self.leading:
                self.overlaps += 1
            self.leading.add(name)
            self.terms.append(name)
            try:
                await resign.wait()
            finally:
                self.leading.discard(name)

        return lead


class Instance:
    def __init__(self, url: str, name: str, duties: Duties | None = None, lead=None) -> None:  # type: ignore[no-untyped-def]
        self.engine = create_engine(url)
        self.leadership = Leadership(self.engine, bot="4242", name=name)
        self.stop = asyncio.Event()
        lead = lead if duties is None else duties.lead_as(name)
        self.task = asyncio.create_task(self.leadership.run(self.stop, lead))

    async def shutdown(self) -> None:
        self.stop.set()
        await asyncio.wait_for(self.task, 10)
        await self.engine.dispose()


@pytest.fixture
async def duties() -> AsyncIterator[Duties]:
    yield Duties()


async def _until(condition, what: str, within: float = 10.0) -> None:  # type: ignore[no-untyped-def]
    async def poll() -> None:
        while not condition():
            await asyncio.sleep(0.02)

    try:
        await asyncio.wait_for(poll(), within)
    except TimeoutError:
        pytest.fail(f"timed out after {within}s waiting for {what}")


@postgres_only
async def test_exactly_one_leader_and_a_standby_takes_over_after_a_clean_stop(
    migrated_db_url: str, duties: Duties
) -> None:
    a = Instance(migrated_db_url, "a", duties)
    await _until(lambda: duties.leading == {"a"}, "a to lead")
    b = Instance(migrated_db_url, "b", duties)
    c = Instance(migrated_db_url, "c", duties)
    await _until(lambda: b.leadership.decided.is_set() and c.leadership.decided.is_set(), "standbys")
    assert not b.leadership.is_leader and not c.leadership.is_leader
    assert await a.leadership.members() == 3
    await a.shutdown()  # clean: unlocks at once
    await _until(lambda: len(duties.leading) == 1, "a standby to lead", within=2.0 + 3.0)
    [winner] = duties.leading
    assert winner in {"b", "c"}
    assert await (b if winner == "b" else c).leadership.members() == 2
    await b.shutdown()
    await c.shutdown()
    assert duties.overlaps == 0


@postgres_only
async def test_a_standby_takes_over_after_the_leader_is_sigkilled(
    migrated_db_url: str, duties: Duties
) -> None:
    script = textwrap.dedent(
        """
        import asyncio, sys
        from bot.coord.leader import Leadership
        from bot.db.session import create_engine

        async def main() -> None:
            leadership = Leadership(create_engine(sys.argv[1]), bot="4242", name="victim")
            async def lead(resign: asyncio.Event) -> None:
                print("leading", flush=True)
                await resign.wait()
            await leadership.run(asyncio.Event(), lead)

        asyncio.run(main())
        """
    )
    victim = subprocess.Popen(
        [sys.executable, "-c", script, migrated_db_url], cwd=ROOT, stdout=subprocess.PIPE, text=True
    )
    try:
        assert victim.stdout is not None
        line = await asyncio.wait_for(asyncio.to_thread(victim.stdout.readline), 30)
        assert line.strip() == "leading"
        standby = Instance(migrated_db_url, "standby", duties)
        await _until(lambda: standby.leadership.decided.is_set(), "the standby's first campaign")
        assert not standby.leadership.is_leader  # the victim holds the lock
        os.kill(victim.pid, signal.SIGKILL)
        await _until(lambda: duties.leading == {"standby"}, "the standby to take over", within=10.0)
        await standby.shutdown()
    finally:
        victim.kill()
        victim.wait(10)


@postgres_only
async def test_a_leader_that_loses_its_lock_connection_stops_leading(
    migrated_db_url: str, duties: Duties
) -> None:
    a = Instance(migrated_db_url, "a", duties)
    await _until(lambda: duties.leading == {"a"}, "a to lead")
    b = Instance(migrated_db_url, "b", duties)
    await _until(lambda: b.leadership.decided.is_set(), "b standing by")
    engine = create_engine(migrated_db_url)
    async with engine.connect() as conn:  # the database ends a's lock session (restart, partition…)
        schema = await conn.scalar(text("SELECT current_schema()"))
        key = lock_key("leader", "4242", str(schema)) & 0xFFFFFFFF
        pid = await conn.scalar(
            text(
                "SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND classid = CAST(:ns AS oid)"
                " AND objid = CAST(:key AS oid) AND objsubid = 2 AND granted"
            ),
            {"ns": LEADER_NS, "key": key},
        )
        assert pid is not None
        await conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
    await engine.dispose()
    await _until(lambda: len(duties.terms) >= 2 and len(duties.leading) == 1, "a new leader")
    assert duties.terms[0] == "a" and duties.overlaps == 0
    await a.shutdown()
    await b.shutdown()


@sqlite_only
def test_a_second_instance_on_one_sqlite_file_refuses_with_one_clear_line(migrated_db_url: str) -> None:
    first = single_instance_guard(migrated_db_url)
    assert first is not None
    with pytest.raises(ConfigError) as refused:
        single_instance_guard(migrated_db_url)
    message = str(refused.value)
    assert "\n" not in message
    assert f"another Aajel instance (pid {os.getpid()}) already runs on" in message
    assert "PostgreSQL" in message
    first.release()
    again = single_instance_guard(migrated_db_url)  # free again once the first is gone
    assert again is not None
    again.release()


@pytest.mark.slow  # a real `aajel run` process (imports aiogram: seconds on a busy machine)
@sqlite_only
def test_a_second_aajel_process_on_one_sqlite_file_refuses(migrated_db_url: str, tmp_path: Path) -> None:
    guard = single_instance_guard(migrated_db_url)
    assert guard is not None
    try:
        env = {**os.environ, "DATABASE_URL": migrated_db_url, "BOT_TOKEN": "4242:AAtestTokenForTheGuardTest",
               "TELEGRAM_API_URL": "http://127.0.0.1:9", "SOURCES_FILE": str(tmp_path / "none.toml")}  # fmt: skip
        out = subprocess.run(
            [sys.executable, "-m", "bot", "run", "--duration", "5"],
            cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120, check=False,
        )  # fmt: skip
    finally:
        guard.release()
    assert out.returncode != 0
    refusal = [line for line in out.stderr.splitlines() if "another Aajel instance" in line]
    assert len(refusal) == 1, out.stderr[-2000:]


async def _campaigns(instance: Instance, more: int) -> None:
    """Wait until ``instance`` tried the lock ``more`` more times (a standby's attempts, not a sleep)."""
    target = instance.leadership.campaigns + more
    await _until(lambda: instance.leadership.campaigns >= target, f"{more} campaigns")


@postgres_only
async def test_a_database_outage_keeps_the_leader_and_it_leads_on_when_the_database_returns(
    migrated_db_url: str, duties: Duties
) -> None:
    """Every instance is cut off (the server is away): the leader stays sticky, a standby cannot take
    over meanwhile, and afterwards exactly one leads — never two at once."""
    async with proxied(migrated_db_url) as (proxy, url):
        a = Instance(url, "a", duties)
        await _until(lambda: duties.leading == {"a"}, "a to lead")
        b = Instance(url, "b", duties)
        await _until(lambda: b.leadership.decided.is_set(), "b standing by")
        proxy.down()
        await _until(lambda: a.leadership.sticky, "a to notice the outage and stay leader")
        assert a.leadership.is_leader and not a.leadership.holds_lock
        await _campaigns(b, 4)  # b tries the lock during the outage, and cannot have it
        assert duties.leading == {"a"} and duties.terms == ["a"] and not b.leadership.is_leader
        proxy.up()
        await _until(lambda: not a.leadership.sticky, "a to reach the database again")
        await _until(
            lambda: len(duties.leading) == 1 and (a.leadership.holds_lock or b.leadership.holds_lock),
            "one leader holding the lock",
        )
        assert duties.overlaps == 0
        if duties.terms == ["a"]:  # a won its lock back: the same term went on, nothing restarted
            assert a.leadership.terms == 1 and not b.leadership.is_leader
        else:  # b took the lock first: a resigned before b's grace ran out
            assert duties.terms == ["a", "b"] and not a.leadership.is_leader
        await a.shutdown()
        await b.shutdown()


@postgres_only
async def test_the_only_instance_rides_out_an_outage_in_the_same_term(
    migrated_db_url: str, duties: Duties
) -> None:
    async with proxied(migrated_db_url) as (proxy, url):
        a = Instance(url, "a", duties)
        await _until(lambda: a.leadership.holds_lock, "a to lead")
        proxy.down()
        await _until(lambda: a.leadership.sticky, "a sticky")
        proxy.up()
        await _until(lambda: a.leadership.holds_lock, "a to hold the lock again")
        assert duties.terms == ["a"] and a.leadership.terms == 1 and duties.leading == {"a"}
        assert await a.leadership.members() == 1  # joined again: the outage ended the member session
        await a.shutdown()


@postgres_only
async def test_a_partition_gives_two_leaders_only_until_the_cut_off_one_reaches_the_database(
    migrated_db_url: str, duties: Duties
) -> None:
    """The documented overlap: a is cut off from the database, b is not. b leads for real (a's lock
    session ended); a, sticky, can do nothing that needs the database, and resigns as soon as it can
    reach it and finds the lock taken."""
    async with proxied(migrated_db_url) as (proxy, url):
        a = Instance(url, "a", duties)
        await _until(lambda: duties.leading == {"a"}, "a to lead")
        b = Instance(migrated_db_url, "b", duties)  # straight to the server, past the proxy
        await _until(lambda: b.leadership.decided.is_set(), "b standing by")
        proxy.down()
        await _until(lambda: duties.leading == {"a", "b"}, "b to lead too")  # the overlap, while partitioned
        assert a.leadership.sticky and b.leadership.holds_lock
        proxy.up()
        await _until(lambda: duties.leading == {"b"}, "a to resign once it reaches the database")
        assert not a.leadership.is_leader and not a.leadership.sticky
        await a.shutdown()
        await b.shutdown()


async def test_a_leader_whose_duties_ignore_resigning_still_steps_down_and_unlocks(
    migrated_db_url: str, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """Stopping must end even if a duty never notices ``resign``: the duties are cancelled after
    ``DUTIES_STOP_SECONDS`` (shortened here) and the lock is let go, so a standby can lead."""
    monkeypatch.setattr(leader_module, "DUTIES_STOP_SECONDS", 0.2)
    cancelled = asyncio.Event()

    async def deaf(resign: asyncio.Event) -> None:
        try:
            await asyncio.Event().wait()  # never looks at `resign`
        except asyncio.CancelledError:
            cancelled.set()
            raise

    stubborn = Instance(migrated_db_url, "deaf", lead=deaf)
    await _until(lambda: stubborn.leadership.is_leader, "the deaf instance to lead")
    await stubborn.shutdown()  # returns: the run ended
    assert cancelled.is_set() and not stubborn.leadership.is_leader
    assert "still running" in caplog.text

    duties = Duties()
    standby = Instance(migrated_db_url, "next", duties)
    await _until(lambda: duties.leading == {"next"}, "the next instance to lead (the lock was let go)")
    await standby.shutdown()
