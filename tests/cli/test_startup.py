"""Start-up and configuration failures through the real CLI (subprocess): one line naming the key or
the cause, a non-zero exit, never a traceback (issue 9). And what must *not* stop the bot: no sources
file, a Bot API server that refuses setMyCommands."""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest
from aiohttp import web

from bot.emulator import EmulatorServer

ROOT = Path(__file__).resolve().parents[2]
SQLITE = "sqlite+aiosqlite:///./aajel.db"


def aajel(
    *args: str, cwd: Path, env: dict[str, str], timeout: float = 90
) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith(("BOT_", "DATABASE", "API__", "SOURCES"))}
    base["PYTHONPATH"] = str(ROOT)
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        cwd=cwd,
        env={**base, "DATABASE_URL": SQLITE, **env},
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def one_line(result: subprocess.CompletedProcess[str], *needles: str) -> str:
    assert result.returncode != 0, result.stderr
    assert "Traceback" not in result.stderr, result.stderr
    lines = result.stderr.strip().splitlines()
    last = lines[-1]
    assert last.startswith("aajel: "), result.stderr
    for needle in needles:
        assert needle in last, (needle, result.stderr)
    return last


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.mark.parametrize(
    ("env", "key"),
    [
        ({"DATABASE_URL": "postgresql+asyncpg://postgres@127.0.0.1:notaport/test"}, "DATABASE_URL"),
        ({"API__WEBHOOK_URL": "not-a-url"}, "API__WEBHOOK_URL"),
        ({"API__WEBHOOK_SECRET": "with spaces & symbols!"}, "API__WEBHOOK_SECRET"),
        ({"API__HOST": "bad host/name"}, "API__HOST"),
    ],
    ids=["malformed-pg-url", "webhook-url", "webhook-secret", "api-host-shape"],
)
def test_a_malformed_setting_is_one_line_naming_its_key(
    env: dict[str, str], key: str, tmp_path: Path
) -> None:
    result = aajel("run", cwd=tmp_path, env={"BOT_TOKEN": "123:abc", **env})
    assert result.returncode == 2
    one_line(result, f"configuration error: {key}")


def test_a_missing_sources_file_that_was_set_is_one_line(tmp_path: Path) -> None:
    result = aajel("run", cwd=tmp_path, env={"BOT_TOKEN": "123:abc", "SOURCES_FILE": "nowhere.toml"})
    assert result.returncode == 2
    one_line(result, "SOURCES_FILE", "nowhere.toml")


def test_sources_list_with_the_database_unreachable_is_one_line(tmp_path: Path) -> None:
    port = free_port()  # nothing listens there
    result = aajel(
        "sources",
        "list",
        cwd=tmp_path,
        env={"DATABASE_URL": f"postgresql+asyncpg://postgres@127.0.0.1:{port}/x"},
    )
    one_line(result, "database")


def test_an_unreachable_telegram_api_url_is_one_line(tmp_path: Path) -> None:
    url = f"http://127.0.0.1:{free_port()}"
    result = aajel(
        "run", cwd=tmp_path, env={"BOT_TOKEN": "123:abc", "TELEGRAM_API_URL": url, "API__PORT": "0"}
    )
    assert result.returncode == 2
    one_line(result, "TELEGRAM_API_URL", url)


async def test_a_wrong_token_the_bot_api_refuses_is_one_line(tmp_path: Path) -> None:
    async with EmulatorServer() as server:
        env = {"BOT_TOKEN": "999:WrongToken", "TELEGRAM_API_URL": server.url, "API__PORT": "0"}
        result = await asyncio.to_thread(aajel, "run", cwd=tmp_path, env=env)
    assert result.returncode == 2
    one_line(result, "BOT_TOKEN")
    assert "999:WrongToken" not in result.stderr


async def test_a_port_in_use_is_one_line_naming_api_port(tmp_path: Path) -> None:
    async with EmulatorServer() as server:
        with socket.socket() as busy:
            busy.bind(("127.0.0.1", 0))
            busy.listen()
            port = busy.getsockname()[1]
            env = {"BOT_TOKEN": server.token, "TELEGRAM_API_URL": server.url, "API__PORT": str(port)}
            result = await asyncio.to_thread(aajel, "run", cwd=tmp_path, env=env)
    assert result.returncode == 2
    line = one_line(result, "API__PORT", "in use")
    assert len(result.stderr.strip().splitlines()) <= 3, result.stderr  # a log line or two, then the one line
    assert "API__HOST" not in line


async def test_an_address_not_on_this_machine_is_reported_as_api_host(tmp_path: Path) -> None:
    async with EmulatorServer() as server:
        # 192.0.2.1 (TEST-NET-1) is never a local address: bind() fails locally, nothing is sent
        env = {"BOT_TOKEN": server.token, "TELEGRAM_API_URL": server.url, "API__HOST": "192.0.2.1"}
        result = await asyncio.to_thread(aajel, "run", cwd=tmp_path, env=env)
    assert result.returncode == 2
    one_line(result, "API__HOST", "192.0.2.1")


@contextlib.asynccontextmanager
async def without_set_my_commands(upstream: str) -> AsyncIterator[str]:
    """A Bot API server that lacks setMyCommands (404), forwarding everything else to ``upstream``."""

    async def handle(request: web.Request) -> web.StreamResponse:
        if request.path.rsplit("/", 1)[-1] == "setMyCommands":
            body = {"ok": False, "error_code": 404, "description": "Not Found: method not found"}
            return web.json_response(body, status=404)
        async with session.request(
            request.method, upstream + request.path_qs, data=await request.read(), headers=request.headers
        ) as response:
            return web.Response(
                body=await response.read(), status=response.status, content_type="application/json"
            )

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", handle)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    async with aiohttp.ClientSession() as session:
        try:
            yield f"http://127.0.0.1:{runner.addresses[0][1]}"
        finally:
            await runner.cleanup()


async def test_run_without_sources_or_command_menus_starts_says_so_once_and_healthz_shows_it(
    tmp_path: Path,
) -> None:
    async with EmulatorServer() as server, without_set_my_commands(server.url) as api_url:
        port = free_port()
        env = {
            "BOT_TOKEN": server.token,
            "TELEGRAM_API_URL": api_url,
            "API__PORT": str(port),
            "LOG_LEVEL": "INFO",
        }
        base = {
            k: v for k, v in os.environ.items() if not k.startswith(("BOT_", "DATABASE", "API__", "SOURCES"))
        }
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bot",
            "run",
            "--duration",
            "8",
            cwd=tmp_path,
            env={**base, "PYTHONPATH": str(ROOT), "DATABASE_URL": SQLITE, **env},
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        health: dict[str, object] = {}
        async with aiohttp.ClientSession() as http:
            for _ in range(600):
                try:
                    async with http.get(f"http://127.0.0.1:{port}/healthz") as response:
                        health = await response.json()
                        break
                except aiohttp.ClientError:
                    await asyncio.sleep(0.1)
        _, stderr_bytes = await asyncio.wait_for(process.communicate(), 90)
    stderr = stderr_bytes.decode()
    assert process.returncode == 0, stderr
    assert "Traceback" not in stderr
    assert stderr.count("no sources configured") == 1, stderr
    assert "command menus not set" in stderr  # said, retried in the background, never fatal
    checks = health.get("checks")
    assert isinstance(checks, dict) and checks["sources"] == "none configured", health
    assert health["status"] == "ok", health
