"""Fixtures for editor tests: ``room`` is a running newsroom (see :mod:`tests.editors.harness`)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.editors.harness import Newsroom, running_newsroom


@pytest.fixture
async def room(migrated_db_url: str, tmp_path: Path) -> AsyncIterator[Newsroom]:
    async with running_newsroom(migrated_db_url, tmp_path) as newsroom:
        yield newsroom
