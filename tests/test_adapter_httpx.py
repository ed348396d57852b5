"""What only the httpx transport does (the parity suite covers the rest)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import anyio
import httpx

from ssec_proto.adapters import httpx as adapter
from ssec_proto.adapters.httpx import aconnect, connect

from .helpers import message
from .servers import RawServer, stream

if TYPE_CHECKING:
    import pytest


def test_own_clients_share_one_tls_context(raw: RawServer, monkeypatch: pytest.MonkeyPatch) -> None:
    # A thousand streams without a client of the caller's must not load the
    # CA certificates a thousand times.
    made: list[object] = []
    create = httpx.create_ssl_context

    def counting() -> object:
        made.append(create())
        return made[-1]

    monkeypatch.setattr(httpx, "create_ssl_context", counting)
    adapter._ssl_context.cache_clear()
    raw.route("/s", stream([b"data: x\n\n"]))

    async def main() -> None:
        for _ in range(3):
            async with aconnect(raw.url("/s"), reconnect=False) as source:
                assert [e async for e in source] == [message("x")]

    anyio.run(main)
    with connect(raw.url("/s"), reconnect=False) as source:
        assert list(source) == [message("x")]
    assert len(made) == 1
