"""Fixtures for the emulator tests: an in-process server, its control client, and raw Bot API calls."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import aiohttp
import pytest

from bot.emulator import Emulator, EmulatorClient, EmulatorServer

TOKEN = "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw"


@dataclass
class Reply:
    status: int
    content_type: str
    body: dict[str, Any]
    headers: dict[str, str]

    @property
    def description(self) -> str:
        return str(self.body.get("description"))

    @property
    def result(self) -> Any:
        assert self.body["ok"] is True, self.body
        return self.body["result"]


class RawApi:
    """Calls the Bot API over HTTP the plain way (form data by default), returning everything."""

    def __init__(self, base: str, token: str, session: aiohttp.ClientSession) -> None:
        self.base = base
        self.token = token
        self.session = session

    async def __call__(
        self,
        method: str,
        *,
        token: str | None = None,
        http: str = "POST",
        json_body: dict[str, Any] | None = None,
        **params: Any,
    ) -> Reply:
        url = f"{self.base}/bot{token or self.token}/{method}"
        if http == "GET":
            request = self.session.get(url, params={k: str(v) for k, v in params.items()})
        elif json_body is not None:
            request = self.session.post(url, json=json_body)
        else:
            request = self.session.post(url, data={k: str(v) for k, v in params.items()})
        async with request as response:
            body = await response.json(content_type=None)
            return Reply(response.status, response.content_type, body, dict(response.headers))


@pytest.fixture
def emulator() -> Emulator:
    return Emulator(TOKEN, username="aajel_test_bot", webhook_retry_delays=(0.01, 0.01))


@pytest.fixture
async def server(emulator: Emulator) -> AsyncIterator[EmulatorServer]:
    async with EmulatorServer(emulator) as running:
        yield running


@pytest.fixture
async def tg(server: EmulatorServer) -> AsyncIterator[EmulatorClient]:
    async with EmulatorClient(server.url) as client:
        yield client


@pytest.fixture
async def api(server: EmulatorServer) -> AsyncIterator[RawApi]:
    async with aiohttp.ClientSession() as session:
        yield RawApi(server.url, server.token, session)
