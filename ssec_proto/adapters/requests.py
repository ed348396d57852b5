"""Reconnecting event streams over requests: [`connect`][ssec_proto.adapters.requests.connect].

This module is the requests transport of the driver kit: it sends requests,
reads decoded bytes and sleeps; the loop is [`ssec_proto.driver`][ssec_proto.driver],
the same for every adapter. requests is synchronous, so there is no async
form. The body is read one socket read at a time, so each event is
delivered as soon as its bytes arrive: with urllib3's `HTTPResponse.read1()`
(urllib3 2.2 or later) when there is something to decompress, else from the
socket itself, undoing the chunked coding where there is one.
"""

from __future__ import annotations

import contextlib
import http.client
import ssl
from typing import TYPE_CHECKING, Any, cast

from .._extras import missing_extra

try:
    import requests
    import urllib3.exceptions
    import urllib3.response
    from requests.structures import CaseInsensitiveDict
except ModuleNotFoundError as exc:
    raise missing_extra(__name__, "requests", exc) from exc

from ..driver import EventSource, Failure, Request, Response, Transport

if TYPE_CHECKING:
    import socket
    from collections.abc import Iterator

    from typing_extensions import Unpack

    from ..driver import StreamOptions

__all__ = ["EventSource", "RequestsTransport", "connect"]

#: Connect timeout of every request, in seconds. A requests Session has no
#: timeout of its own, so unlike httpx there is no caller's value to keep.
_CONNECT_TIMEOUT = 30.0

#: The most bytes one read returns (decompressed). Only an upper bound:
#: `read1()` returns as soon as one socket read brought anything.
_READ_SIZE = 64 * 1024


def _require_read1(response_class: type) -> None:
    # requests still allows urllib3 1.26, whose responses have no read1():
    # fail on import with the fix rather than on the first read.
    if not hasattr(response_class, "read1"):
        raise ImportError(
            "ssec_proto.adapters.requests needs urllib3 2.2 or later (for "
            "HTTPResponse.read1); install it with: pip install 'urllib3>=2.2'"
        )


_require_read1(urllib3.response.HTTPResponse)


def _wire_headers(pairs: list[tuple[bytes, bytes]]) -> CaseInsensitiveDict[bytes]:
    # requests takes headers as a mapping, so a name the caller repeated is
    # sent once with its values joined by ", " (RFC 9110 section 5.3). Values
    # stay bytes: requests and http.client send bytes as they are, so a
    # non-ASCII Last-Event-ID goes out as UTF-8 (a str would go out as
    # Latin-1, or fail).
    # Whitespace before a value is not part of it (RFC 9110 section 5.5),
    # and requests refuses to send it: an ID the server made with a leading
    # space arrives as every other client sends it.
    headers: CaseInsensitiveDict[bytes] = CaseInsensitiveDict()
    for raw_name, raw_value in pairs:
        name = raw_name.decode("ascii")
        value = raw_value.lstrip(b" \t")
        previous = headers.get(name)
        headers[name] = value if previous is None else previous + b", " + value
    return headers


def _is_read_timeout(exc: BaseException) -> bool:
    # A read timeout comes in several shapes: requests' ReadTimeout while
    # waiting for the headers; urllib3's ReadTimeoutError while reading
    # `raw`; a requests ConnectionError wrapping MaxRetryError(reason=
    # ReadTimeoutError) when the caller's HTTPAdapter retried reads
    # (max_retries=Retry(...)) and gave up.
    if isinstance(exc, (requests.exceptions.ReadTimeout, urllib3.exceptions.ReadTimeoutError)):
        return True
    if isinstance(exc, requests.exceptions.ConnectionError) and exc.args:
        inner = exc.args[0]
        reason = inner.reason if isinstance(inner, urllib3.exceptions.MaxRetryError) else inner
        return isinstance(reason, urllib3.exceptions.ReadTimeoutError)
    return False


def _socket_of(fp: http.client.HTTPResponse | None) -> Any:
    # http.client reads the body through a buffer over the socket's own raw
    # file (what socket.makefile("rb") builds), whose _sock is the socket.
    return getattr(getattr(getattr(fp, "fp", None), "raw", None), "_sock", None)


def _set_read_timeout(raw: urllib3.response.BaseHTTPResponse, seconds: float | None) -> None:
    # Each read of the body waits on the socket's timeout, which urllib3 sets
    # for each request. http.client hands the socket from the connection to
    # the response's file when the server will close the connection after
    # this body, so look there too.
    sock: Any = getattr(raw.connection, "sock", None)
    if sock is None:
        sock = _socket_of(getattr(raw, "_fp", None))
    if sock is not None:
        cast("socket.socket", sock).settimeout(seconds)


@contextlib.contextmanager
def _urllib3_errors() -> Iterator[None]:
    """urllib3's errors for http.client's and the socket's, as urllib3's `read1()` raises them.

    `ReadTimeoutError` for a timeout and `ProtocolError` for a broken
    connection or a malformed chunked body, which `classify()` sorts.
    """
    try:
        yield
    except TimeoutError as exc:
        raise urllib3.exceptions.ReadTimeoutError(None, None, "Read timed out.") from exc  # type: ignore[arg-type]
    except ssl.SSLError as exc:
        if "read operation timed out" in str(exc):
            raise urllib3.exceptions.ReadTimeoutError(None, None, "Read timed out.") from exc  # type: ignore[arg-type]
        raise urllib3.exceptions.SSLError(exc) from exc
    except (http.client.HTTPException, OSError) as exc:
        raise urllib3.exceptions.ProtocolError(f"Connection broken: {exc!r}", exc) from exc


#: The longest chunk-size line (with its extensions) read: http.client allows
#: 64 KiB, but a line that grows a byte per read costs a copy of it per read.
_MAX_CHUNK_LINE = 4096
#: The most hex digits of a chunk size: 2^64 bytes is more than any body.
_MAX_CHUNK_DIGITS = 16
_HEX_DIGITS = b"0123456789abcdefABCDEF"


def _chunk_size(line: bytes) -> int:
    """The size of a chunk-size line, -1 if it is malformed.

    chunk-size [ chunk-ext ] CRLF (RFC 9112 section 7.1). http.client takes
    whatever `int(x, 16)` takes ("-5", "0x10", "1_0"), which desynchronizes
    the body; here only hex digits are. Extensions are ignored, as by
    everyone.
    """
    digits = line.split(b";", 1)[0].strip(b" \t\r")
    if not digits or len(digits) > _MAX_CHUNK_DIGITS or digits.translate(None, _HEX_DIGITS):
        return -1
    return int(digits, 16)


def _undo_chunks(buffer: bytes, ended: bool, pieces: list[bytes]) -> tuple[int, int, bool, bool]:
    """Take the data of the chunks in `buffer` into `pieces`.

    `ended`: whether `buffer` starts with the CRLF that ends a chunk's data.
    Returns where the parsing stopped (the rest waits for the next read),
    how many bytes of the last chunk's data are still to come, `ended` for
    what follows, and whether the last chunk was reached. Raises urllib3's
    `ProtocolError` for a malformed chunk size or chunk end, with the data
    before it in `pieces`.
    """
    at = 0
    while True:
        if ended:
            end = buffer[at : at + 2]
            if end != b"\r\n":
                if end in (b"", b"\r"):  # the rest of it comes with the next read
                    return at, 0, True, False
                raise urllib3.exceptions.ProtocolError("invalid chunk end in the body")
            at += 2
        eol = buffer.find(b"\n", at)
        if eol < 0:
            if len(buffer) - at > _MAX_CHUNK_LINE:
                raise urllib3.exceptions.ProtocolError("chunk size line too long")
            return at, 0, False, False
        chunk = _chunk_size(buffer[at:eol])
        if chunk < 0:
            line = buffer[at : min(eol, at + 40)]
            raise urllib3.exceptions.ProtocolError(f"invalid chunk size in the body: {line!r}")
        if not chunk:
            return eol + 1, 0, False, True
        at = eol + 1
        if len(buffer) - at <= chunk:
            # The chunk's data goes on in the next read (or ends with this one).
            if at < len(buffer):
                pieces.append(buffer[at:])
            left = chunk - (len(buffer) - at)
            return len(buffer), left, not left, False
        pieces.append(buffer[at : at + chunk])
        at += chunk
        ended = True


def _read_chunked(fp: http.client.HTTPResponse, sock: Any) -> Iterator[bytes]:
    """What each socket read of an undecoded chunked body brings, its chunked coding undone.

    Read as `_read_unchunked()` reads (http.client's buffer, then the socket
    itself): http.client's `read1()` would take five calls of its own per
    chunk to undo the coding. The data of all the chunks one read brought
    comes as one piece; nothing is held back for a chunk to complete. The
    body ends at the last chunk (its trailer is not read: the connection is
    not reused). A malformed chunk size or chunk end, or a body that ends
    before its last chunk, is urllib3's `ProtocolError`, after the data
    that came before it.
    """
    buffered = fp.fp
    read = buffered.read1
    recv = buffered.read1 if sock is None else sock.recv
    size = _READ_SIZE
    left = 0  # bytes of the current chunk's data still to come
    rest = b""  # what was read after that data and not parsed yet
    ended = False  # whether `rest` starts with the CRLF that ends a chunk's data
    with _urllib3_errors():
        while True:
            data = read(size)
            if not data:
                raise urllib3.exceptions.ProtocolError(
                    "Connection broken: IncompleteRead",
                    urllib3.exceptions.IncompleteRead(0, left),
                )
            if len(data) < size:
                read = recv  # http.client's buffer is empty (see _read_unchunked())
            if left >= len(data):
                # All data: a chunk longer than one read.
                left -= len(data)
                ended = not left
                yield data
                continue
            pieces = []
            if left:
                pieces.append(data[:left])
                data = data[left:]
                ended = True
            buffer = rest + data if rest else data
            try:
                at, left, ended, last = _undo_chunks(buffer, ended, pieces)
            except urllib3.exceptions.ProtocolError:
                if pieces:
                    yield b"".join(pieces)
                raise
            rest = buffer[at:]
            if pieces:
                yield pieces[0] if len(pieces) == 1 else b"".join(pieces)
            if last:
                return


def _read_unchunked(fp: http.client.HTTPResponse, sock: Any) -> Iterator[bytes]:
    """What each socket read of an undecoded body that is not chunked brings.

    Read from the socket itself (`sock`, or `None` to stay on http.client's
    buffer), counted against Content-Length: what http.client's `read1()`
    does through the socket's raw file, without their Python per read, which
    costs more than parsing the event (issue 14: 5,170 instructions per
    event in all, against 14,294 for a loop over http.client's `read1()`,
    `benchmarks.per_event_memory --instructions`). A body that ends before
    its Content-Length is urllib3's `ProtocolError` (`IncompleteRead`).
    """
    buffered = fp.fp
    read = buffered.read1
    recv = buffered.read1 if sock is None else sock.recv
    left: int | None = fp.length  # None: the body ends with the connection
    size = _READ_SIZE
    try:
        with _urllib3_errors():
            while left is None or left:
                want = size if left is None or left > size else left
                chunk = read(want)
                if not chunk:
                    break
                if len(chunk) < want:
                    # read1() returned all its buffer held, or what one read
                    # of the socket brought: the buffer is empty, and stays
                    # so as long as only we read.
                    read = recv
                if left is not None:
                    left -= len(chunk)
                yield chunk
    finally:
        # Where http.client would be, for whoever looks at the response next.
        fp.length = left
    if left:
        raise urllib3.exceptions.ProtocolError(
            "Connection broken: IncompleteRead",
            urllib3.exceptions.IncompleteRead(0, left),
        )


def _read_urllib3(raw: urllib3.response.BaseHTTPResponse, fp: Any) -> Iterator[bytes]:
    """What each socket read of the body brings, decompressed by urllib3's `read1()`."""
    # http.client takes a chunk size of -5 and then waits for bytes that
    # never come; the chunk it read is not the body's.
    chunked = fp if raw.chunked else None
    while chunk := raw.read1(_READ_SIZE, decode_content=True):
        if chunked is not None and (chunked.chunk_left or 0) < 0:
            raise urllib3.exceptions.ProtocolError("invalid chunk size in the body")
        yield chunk


class RequestsTransport(Transport[requests.Response]):
    """The transport over a `requests.Session` (a new one if `session` is `None`)."""

    def __init__(self, session: requests.Session | None = None) -> None:
        if session is not None and not isinstance(session, requests.Session):
            raise TypeError(f"session must be a requests.Session, not {type(session).__name__}")
        self._own = session is None
        self._session = requests.Session() if session is None else session
        # Whether the request was prepared: errors before that are the
        # caller's own (a missing scheme, an invalid header, a body that is
        # not JSON), which no reconnection can fix and classify() leaves be.
        self._prepared = False

    def send(self, request: Request) -> Response[requests.Response]:
        session = self._session
        self._prepared = False
        prepared = session.prepare_request(
            requests.Request(
                request.method,
                request.url,
                headers=_wire_headers(request.headers),
                params=request.params,
                json=request.json,
                data=request.content,
            )
        )
        self._prepared = True
        # What Session.request() adds: proxies and TLS settings from the
        # environment, and the session's own.
        settings = session.merge_environment_settings(prepared.url, {}, True, None, None)
        raw = session.send(
            prepared,
            timeout=(_CONNECT_TIMEOUT, request.read_timeout),
            allow_redirects=True,
            **settings,
        )
        # http.client reads a body whose Content-Length is not a number to
        # the connection's end, which a server holding it open never sends:
        # a malformed response, noticed at once as the other drivers do.
        length = raw.headers.get("content-length")
        if length is not None and not all(v.strip().isdigit() for v in length.split(",")):
            raw.close()
            raise urllib3.exceptions.ProtocolError(f"invalid Content-Length: {length!r}")
        return Response(raw.status_code, raw.headers, raw)

    def body(
        self, response: Response[requests.Response], read_timeout: float | None
    ) -> Iterator[bytes]:
        # read1() returns what one socket read brought (or what is already
        # buffered), decompressed, for chunked and for close-delimited bodies
        # alike; b"" only at the end. iter_content() would not do: with a
        # chunk_size it waits for that many bytes, and with None it reads a
        # close-delimited body to its end before returning anything.
        # Not a generator itself: the loop iterates the reader below
        # directly, one generator resumption per chunk rather than two.
        raw = response.raw.raw
        _set_read_timeout(raw, read_timeout)
        fp = getattr(raw, "_fp", None)
        if (
            isinstance(fp, http.client.HTTPResponse)
            and raw.headers.get("content-encoding", "identity").strip().lower() == "identity"
            and not getattr(raw, "_decoded_buffer", None)
        ):
            # Nothing to decompress: read what urllib3's read1() reads in the
            # end, http.client's buffer and then the socket itself, without
            # the Python of urllib3, http.client and the socket's file per
            # read (issue 14), with urllib3's errors.
            buffered: Any = fp.fp
            if buffered is None:  # closed: nothing to read
                return iter(())
            if fp.chunked:
                return _read_chunked(fp, _socket_of(fp))
            return _read_unchunked(fp, _socket_of(fp))
        return _read_urllib3(raw, fp)

    def release(self, response: Response[requests.Response]) -> None:
        # Closes the socket unless the body was read to its end (then urllib3
        # has already returned it to the pool).
        response.raw.close()

    def classify(self, error: Exception) -> Failure | None:
        """Sort a requests or urllib3 exception into a `Failure` kind."""
        if not self._prepared:
            return None
        if _is_read_timeout(error):
            return Failure.TIMEOUT
        # A redirect to another scheme, or to a URL requests cannot parse.
        if isinstance(error, (requests.exceptions.InvalidSchema, requests.exceptions.InvalidURL)):
            return Failure.PERMANENT
        # Session.send() raises requests' exceptions (refused, reset, TLS,
        # proxy, too many redirects, a malformed response, a caller's
        # HTTPAdapter giving up); reading `raw` raises urllib3's (a reset, an
        # incomplete body, a corrupt compressed body).
        if isinstance(error, (requests.exceptions.RequestException, urllib3.exceptions.HTTPError)):
            return Failure.TRANSIENT
        # Anything else once the request was prepared is the server's doing:
        # a redirect's URL that fails deeper down (brackets, bytes that are
        # not UTF-8).
        return Failure.PERMANENT if isinstance(error, ValueError) else None

    def close(self) -> None:
        if self._own:
            self._session.close()


def connect(
    url: str, *, session: requests.Session | None = None, **options: Unpack[StreamOptions]
) -> EventSource[requests.Response]:
    """Open a reconnecting event stream with a `requests.Session`.

    Nothing is sent until the first event is asked for. Here with a session
    of the caller's, whose default headers go with every request:

    ```python
    import requests

    session = requests.Session()
    session.headers["User-Agent"] = "example/1.0"
    with connect("http://127.0.0.1:8000/events", session=session) as source:
        received = [(event.id, event.data) for event in source]
    for event_id, data in received:
        print(event_id, data)
    ```

    Args:
        url: The stream's URL.
        session: A `requests.Session` to use (its auth, cookies, proxies,
            mounted adapters with their retries, and default headers apply);
            left open. `None`: a new one, closed with the source. The connect
            timeout is 30 seconds; `idle_timeout` is the read timeout.
        **options: The stream's options, the same for every driver: see
            [`StreamOptions`][ssec_proto.driver.StreamOptions]. Headers given
            more than once under one name are sent once, their values joined
            with `", "`.

    Returns:
        An [`EventSource`][ssec_proto.driver.EventSource] whose `response`
        is the `requests.Response`.

    Raises:
        TypeError: If `session` is not a `requests.Session`.
    """
    return EventSource(RequestsTransport(session), url, **options)
