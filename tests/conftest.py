"""Fixtures shared by the test files: the real servers on 127.0.0.1."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any

import pytest
from hypothesis import HealthCheck, settings

from . import helpers
from .servers import RawServer

# Hypothesis times how long inputs take to generate, by the wall clock, and
# fails a test whose first inputs are slow. The suite runs four workers on a
# two-core machine, where any draw can wait seconds for a core: that says
# nothing about the code, so this one check is off (every other one stays).
settings.register_profile("suite", suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("suite")

if TYPE_CHECKING:
    from collections.abc import Iterator


@pytest.fixture
def raw() -> Iterator[RawServer]:
    """A scripted byte-level HTTP/1.1 server on a free port of 127.0.0.1."""
    with RawServer() as server:
        yield server


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    # Hostile servers send bytes that are not UTF-8, and what the tests
    # capture of them (log lines, reprs) can hold lone surrogates, which
    # pytest-xdist cannot send from a worker: escape them.
    outcome = yield
    report = outcome.get_result()  # type: ignore[attr-defined]
    report.sections = [(title, _escaped(content)) for title, content in report.sections]


def _escaped(text: str) -> str:
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


# --- Both decoders (issue 14): a module that uses this fixture
# (`pytestmark = pytest.mark.usefixtures("implementation")`) runs every test
# once per implementation, its `Decoder` (and the helpers') set to each.

DECODERS = helpers.DECODERS


@pytest.fixture(scope="module", params=list(DECODERS))
def implementation(request: pytest.FixtureRequest) -> Iterator[Any]:
    """Run the module's tests against one decoder implementation."""
    cls = DECODERS[request.param]
    if cls is None:  # pragma: no cover - .ci/run checks that it is built
        pytest.skip("the compiled decoder is not built here")
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(request.module, "Decoder", cls)
        patch.setattr(helpers, "Decoder", cls)
        yield cls


def pytest_xdist_setupnodes(config: pytest.Config, specs: list[Any]) -> None:
    """Run the workers under the main process's `-b` flags (the README runs `-bb`).

    Without them a worker would let bytes/str mix-ups pass silently.
    """
    flags = " -" + "b" * sys.flags.bytes_warning if sys.flags.bytes_warning else ""
    for spec in specs:
        if spec.popen and not spec.python:
            spec.python = sys.executable + flags
