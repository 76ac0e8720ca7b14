"""The benches build their app with WARNING logs: put the suite's logging back after each test."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from frontdesk.observability.logging import configure_logging


@pytest.fixture(autouse=True)
def _restore_logging() -> Iterator[None]:
    yield
    configure_logging()
