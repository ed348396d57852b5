"""The core must be importable without pulling in any I/O or HTTP library."""

from __future__ import annotations

import importlib
import importlib.metadata
import json
import subprocess
import sys

import pytest
from packaging.requirements import Requirement

FORBIDDEN = {
    "aiohttp",
    "anyio",
    "asyncio",
    "concurrent",
    "email",
    "http",
    "httpcore",
    "httpx",
    "hypothesis",
    "multiprocessing",
    "requests",
    "select",
    "selectors",
    "socket",
    "ssl",
    "subprocess",
    "trio",
    "urllib",
    "urllib3",
}


def _new_modules(statement: str) -> set[str]:
    code = (
        "import json, sys; before = set(sys.modules); "
        f"{statement}; "
        "print(json.dumps(sorted(set(sys.modules) - before)))"
    )
    out = subprocess.run(
        [sys.executable, "-I", "-c", code], capture_output=True, text=True, check=True
    ).stdout
    # The compiled decoder's Cython runtime registers two modules of its own.
    return {name for name in json.loads(out) if not name.startswith(_CYTHON)}


_CYTHON = ("_cython_", "cython_runtime")


def test_import_pulls_in_no_io_or_http_library() -> None:
    new = _new_modules("import ssec_proto")
    assert "ssec_proto" in new
    top_level = {name.partition(".")[0] for name in new}
    assert not top_level & FORBIDDEN
    # Nothing outside the standard library but ourselves.
    assert top_level - set(sys.stdlib_module_names) == {"ssec_proto"}


def test_import_does_not_import_adapters_or_strategies() -> None:
    new = _new_modules("import ssec_proto")
    assert "ssec_proto.strategies" not in new
    assert not any(name.startswith("ssec_proto.adapters") for name in new)


def test_the_driver_kit_pulls_in_no_io_or_http_library() -> None:
    new = _new_modules("import ssec_proto.driver")
    top_level = {name.partition(".")[0] for name in new}
    assert not top_level & FORBIDDEN
    assert top_level - set(sys.stdlib_module_names) == {"ssec_proto"}


@pytest.mark.parametrize(
    ("module", "blocked", "extra"),
    [
        ("ssec_proto.adapters.httpx", "anyio", "httpx"),
        ("ssec_proto.adapters.aiohttp", "aiohttp", "aiohttp"),
        ("ssec_proto.adapters.requests", "urllib3.response", "requests"),
        ("ssec_proto.strategies", "hypothesis", "hypothesis"),
    ],
)
def test_a_module_without_its_extra_says_which_extra_to_install(
    monkeypatch: pytest.MonkeyPatch, module: str, blocked: str, extra: str
) -> None:
    monkeypatch.setitem(sys.modules, blocked, None)  # as if it were not installed
    monkeypatch.delitem(sys.modules, module, raising=False)
    with pytest.raises(ModuleNotFoundError, match=rf"pip install 'ssec-proto\[{extra}\]'") as info:
        importlib.import_module(module)
    assert info.value.name == blocked
    assert f"{module} needs the '{extra}' extra" in str(info.value)


def test_the_all_extra_is_every_driver_and_the_strategies() -> None:
    requires = importlib.metadata.distribution("ssec-proto").requires or []

    def extra(name: str) -> set[str]:
        # What the extra requires, with the extras of ssec-proto it names
        # expanded (the build backend may keep "ssec-proto[...]" as it is).
        found: set[str] = set()
        for text in requires:
            requirement = Requirement(text)
            if requirement.marker is None or not requirement.marker.evaluate({"extra": name}):
                continue
            if requirement.name == "ssec-proto":
                found |= set().union(*(extra(other) for other in requirement.extras))
            else:
                found.add(str(requirement).partition(";")[0])
        return found

    users = ("httpx", "aiohttp", "requests", "hypothesis")
    assert extra("all") == set().union(*(extra(name) for name in users))
    assert all(extra(name) for name in users)
