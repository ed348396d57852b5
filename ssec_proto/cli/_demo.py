"""The event server behind `ssec-proto demo`: standard library only.

It plays the part of a real SSE server that loses connections now and then:
each connection streams events numbered from one after the request's
`Last-Event-ID`, is cut off in the middle of an event every `drop_every`
events, and once every event was sent, a request that resumes after the last
one gets `204 No Content`, the spec's way of telling a client to stop. A
`retry:` field keeps the client's reconnections short, so the whole demo
takes a few seconds.
"""

from __future__ import annotations

import contextlib
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Callable
    from types import TracebackType

__all__ = ["WORDS", "DemoServer"]

#: The data of the events: with the default 12 events, they spell out the point.
_SENTENCE = "every event arrives once and in order even when the connection drops"
WORDS = _SENTENCE.split()


class DemoServer:
    """A local event server that drops connections and resumes by `Last-Event-ID`.

    `with DemoServer() as server:` listens on a free port of 127.0.0.1 and
    serves `GET /events` from a daemon thread until the block ends.

    Args:
        events: How many events the stream has (ids 1 to `events`).
        drop_every: Events sent per connection before it is cut off in the
            middle of the next one.
        interval: Seconds between two events.
        retry_ms: The `retry:` field sent first: the client's reconnection
            time in milliseconds.
        say: Called with a line of narration for each thing the server does.
    """

    def __init__(
        self,
        *,
        events: int = 12,
        drop_every: int = 5,
        interval: float = 0.15,
        retry_ms: int = 300,
        say: Callable[[str], object] = lambda line: None,
    ) -> None:
        self.events = events
        self.drop_every = drop_every
        self.interval = interval
        self.retry_ms = retry_ms
        self.say = say
        #: How many connections were cut off so far.
        self.drops = 0
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self._httpd.daemon_threads = True
        self._httpd.demo = self  # type: ignore[attr-defined]
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    @property
    def url(self) -> str:
        """The URL of the event stream."""
        host, port = self._httpd.server_address[:2]
        return f"http://{host!s}:{port}/events"

    def __enter__(self) -> DemoServer:
        self._thread.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(5.0)

    def event(self, k: int) -> bytes:
        """The bytes of event `k`."""
        return b"id: %d\nevent: word\ndata: %s\n\n" % (k, WORDS[(k - 1) % len(WORDS)].encode())

    def serve(self, request: BaseHTTPRequestHandler) -> None:
        """Answer one request: stream from after its `Last-Event-ID`."""
        last = request.headers.get("Last-Event-ID", "")
        first = int(last) + 1 if last.isascii() and last.isdigit() else 1
        if first > self.events:
            self.say(f"Last-Event-ID {last} is the last event: answering 204 No Content")
            request.send_response(204)
            request.end_headers()
            return
        self.say(f"resuming after Last-Event-ID {last}" if last else "streaming from event 1")
        request.send_response(200)
        request.send_header("Content-Type", "text/event-stream")
        request.send_header("Cache-Control", "no-store")
        request.end_headers()
        # The client goes away when it has seen enough (--max-events) or is
        # interrupted; that ends this connection, it is not an error.
        with contextlib.suppress(OSError):
            request.wfile.write(b": welcome to the ssec-proto demo\nretry: %d\n\n" % self.retry_ms)
            for k in range(first, self.events + 1):
                time.sleep(self.interval)
                if k - first == self.drop_every:
                    event = self.event(k)
                    request.wfile.write(event[: len(event) // 2])
                    self.drops += 1
                    self.say(f"dropping the connection in the middle of event {k}")
                    return
                request.wfile.write(self.event(k))
            self.say(f"sent event {self.events}, the last one: closing the stream")


class _Handler(BaseHTTPRequestHandler):
    # HTTP/1.0: the body is delimited by the connection, which closes after it.
    protocol_version = "HTTP/1.0"

    def do_GET(self) -> None:
        self.server.demo.serve(self)  # type: ignore[attr-defined]

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        """Keep the access log off the terminal: the narration says what matters."""
