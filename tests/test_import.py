"""The core must be importable without pulling in any I/O or HTTP library."""

from __future__ import annotations

import json
import subprocess
import sys

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
    return set(json.loads(out))


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
