"""A reconnecting SSE client over urllib3, written with ssec-proto's driver kit."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

import urllib3

from ssec_proto.driver import EventSource, Failure, Request, Response, StreamOptions, Transport

if TYPE_CHECKING:
    from collections.abc import Iterator

    from typing_extensions import Unpack

# urllib3 must not retry on its own (the policy does) but should follow
# redirects, dropping Authorization and Cookie when one changes host.
RETRIES = urllib3.Retry(total=None, connect=0, read=0, status=0, other=0, redirect=10)


def _socket(raw: urllib3.BaseHTTPResponse) -> Any:
    sock = getattr(raw.connection, "sock", None)
    if sock is None:  # http.client handed it on to the response: _fp.fp.raw._sock
        sock = raw
        for name in ("_fp", "fp", "raw", "_sock"):
            sock = getattr(sock, name, None)
    return sock


class Urllib3Transport(Transport[urllib3.BaseHTTPResponse]):
    def __init__(self, pool: urllib3.PoolManager | None = None) -> None:
        self.own = pool is None
        self.pool = urllib3.PoolManager() if pool is None else pool

    def send(self, request: Request) -> Response[urllib3.BaseHTTPResponse]:
        url = request.url
        if request.params:
            url += ("&" if "?" in url else "?") + urlencode(request.params)
        body: Any = request.content
        if request.json is not None:
            body = json.dumps(request.json).encode()
        # The pool's own headers, then the request's. http.client sends str
        # values as Latin-1, so decoding the policy's UTF-8 bytes as Latin-1
        # puts those exact bytes on the wire.
        headers = urllib3.HTTPHeaderDict(self.pool.headers)
        for name, value in request.headers:
            headers.add(name.decode("ascii"), value.decode("latin-1"))
        if request.json is not None:
            headers.setdefault("Content-Type", "application/json")
        raw = self.pool.request(
            request.method,
            url,
            body=body,
            headers=headers,
            retries=RETRIES,
            timeout=urllib3.Timeout(connect=30.0, read=request.read_timeout),
            preload_content=False,
            decode_content=True,
        )
        length = raw.headers.get("Content-Length")
        if length is not None and not all(v.strip().isdigit() for v in length.split(",")):
            raw.close()  # http.client would read such a body to the connection's end
            raise urllib3.exceptions.ProtocolError(f"invalid Content-Length {length!r}")
        return Response(raw.status, raw.headers.items(), raw)

    def body(
        self, response: Response[urllib3.BaseHTTPResponse], read_timeout: float | None
    ) -> Iterator[bytes]:
        sock = _socket(response.raw)
        if sock is not None:  # each read of this body waits this long
            sock.settimeout(read_timeout)
        chunked = getattr(response.raw, "_fp", None) if response.raw.chunked else None
        while chunk := response.raw.read1(64 * 1024):  # what has arrived
            if chunked is not None and (chunked.chunk_left or 0) < 0:
                # http.client takes a chunk size of -5, and reads on
                raise urllib3.exceptions.ProtocolError("invalid chunk size")
            yield chunk

    def release(self, response: Response[urllib3.BaseHTTPResponse]) -> None:
        response.raw.close()

    def classify(self, error: Exception) -> Failure | None:
        if isinstance(error, urllib3.exceptions.MaxRetryError) and error.reason:
            error = error.reason  # what went wrong on the last try
        if isinstance(error, urllib3.exceptions.ReadTimeoutError):
            return Failure.TIMEOUT
        if isinstance(error, ValueError):  # urllib3's LocationValueError among them
            return Failure.PERMANENT  # a URL (or a redirect's) that cannot work
        if isinstance(error, (urllib3.exceptions.HTTPError, OSError)):
            return Failure.TRANSIENT
        return None

    def close(self) -> None:
        if self.own:
            self.pool.clear()


def connect(
    url: str, *, pool: urllib3.PoolManager | None = None, **options: Unpack[StreamOptions]
) -> EventSource[urllib3.BaseHTTPResponse]:
    return EventSource(Urllib3Transport(pool), url, **options)


if __name__ == "__main__":
    with connect("http://127.0.0.1:8000/events") as source:
        for event in source:
            print(event.id, event.data)
