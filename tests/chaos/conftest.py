"""Chaos tests (issue 9) reuse the delivery harness: ``world`` is the emulator + database + sender world
of :mod:`tests.delivery.conftest`."""

from tests.delivery.conftest import world

__all__ = ["world"]
