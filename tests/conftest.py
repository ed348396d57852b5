"""Fixtures shared by the test files: the real servers on 127.0.0.1."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from .servers import RawServer

if TYPE_CHECKING:
    from collections.abc import Iterator


@pytest.fixture
def raw() -> Iterator[RawServer]:
    """A scripted byte-level HTTP/1.1 server on a free port of 127.0.0.1."""
    with RawServer() as server:
        yield server
