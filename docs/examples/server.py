"""A small event-stream server to try the examples against: stdlib asyncio only.

Run it with ``.venv/bin/python docs/examples/server.py`` (``--port N`` for
another port than 8000; ``--port 0`` picks a free one). It prints the address
it listens on, then serves on 127.0.0.1 until interrupted:

* ``GET /events`` (query ``count=3``, ``cut``): events ``id: k``,
  ``event: tick``, ``data: tick k`` for each ``k`` after the request's
  ``Last-Event-ID`` up to ``count``, after ``retry: 100`` (clients reconnect
  100 ms after the end), then the end of the body; ``204 No Content`` once
  nothing is left. So a client that resumes by ``Last-Event-ID`` receives every
  event once and then stops. With ``cut=K``, a request without
  ``Last-Event-ID`` is cut off in the middle of event ``K``, after its ``id``
  line: a spec-exact client resumes from ``K - 1`` and loses nothing.
* ``POST /chat`` with a JSON body ``{"prompt": "..."}``: one ``event: delta``
  per word of ``"you said: <prompt>"`` (data ``{"index": i, "text": word}``),
  then ``data: [DONE]``, like the streams of LLM APIs.

Every body is delimited by the connection (``Connection: close``), so a raw
socket client only has to read until the server closes.

The test suite starts this same script (``--port 0``) and runs every example
in the README and the docs against it.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
from urllib.parse import parse_qs, urlsplit

from ssec_proto import encode

HOST = "127.0.0.1"


def head(status: str, *headers: str) -> bytes:
    """The status line and headers of a response whose body ends at close."""
    lines = [f"HTTP/1.1 {status}", *headers, "Connection: close", "", ""]
    return "\r\n".join(lines).encode()


def events(target: str, last_event_id: str) -> bytes:
    """The response to ``GET /events``: every tick after ``last_event_id``."""
    query = parse_qs(urlsplit(target).query)
    count = int(query.get("count", ["3"])[0])
    cut = int(query.get("cut", ["0"])[0])
    first = int(last_event_id) + 1 if last_event_id.isdigit() else 1
    if first > count:
        return head("204 No Content")
    body = b"retry: 100\n\n"
    for k in range(first, count + 1):
        event = encode(f"tick {k}", event="tick", id=str(k))
        if k == cut and not last_event_id:
            body += event[: event.index(b"\ndata:") + 1]  # up to the id line
            break
        body += event
    return head("200 OK", "Content-Type: text/event-stream", "Cache-Control: no-store") + body


def chat(request_body: bytes) -> bytes:
    """The response to ``POST /chat``: the reply, one word per event."""
    try:
        prompt = json.loads(request_body)["prompt"]
    except (ValueError, KeyError, TypeError):
        return head("400 Bad Request", "Content-Length: 0")
    words = f"you said: {prompt}".split()
    body = b"".join(
        encode(json.dumps({"index": i, "text": word}), event="delta")
        for i, word in enumerate(words)
    )
    body += encode("[DONE]")
    return head("200 OK", "Content-Type: text/event-stream") + body


async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """Answer one request, then close the connection."""
    try:
        request_head = await reader.readuntil(b"\r\n\r\n")
        request_line, *header_lines = request_head.decode("latin-1").split("\r\n")
        method, target, _ = request_line.split(" ", 2)
        headers = {}
        for line in header_lines:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        body = await reader.readexactly(int(headers.get("content-length", "0")))
        path = urlsplit(target).path
        if (method, path) == ("GET", "/events"):
            writer.write(events(target, headers.get("last-event-id", "")))
        elif (method, path) == ("POST", "/chat"):
            writer.write(chat(body))
        else:
            writer.write(head("404 Not Found", "Content-Length: 0"))
        await writer.drain()
    except (ConnectionError, asyncio.IncompleteReadError, ValueError):
        pass  # the client went away, or sent something that is not HTTP
    finally:
        writer.close()


async def main(port: int) -> None:
    """Serve on 127.0.0.1:``port`` until cancelled."""
    server = await asyncio.start_server(handle, HOST, port)
    print(f"serving on http://{HOST}:{server.sockets[0].getsockname()[1]}", flush=True)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--port", type=int, default=8000, help="0 picks a free port")
    with contextlib.suppress(KeyboardInterrupt):  # Ctrl-C stops it quietly
        asyncio.run(main(parser.parse_args().port))
