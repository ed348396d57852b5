"""Reconnecting event streams over requests (:func:`connect`).

Thin by design: this module sends requests, reads decoded bytes and sleeps.
What to send, whether a response is an event stream, when and how long to
wait, and when to give up are decided by the sans-IO core
(:class:`ssec_proto._client.StreamCore`), exactly as in the other adapters.

requests is synchronous, so there is no async form. The body is read with
urllib3's ``HTTPResponse.read1()`` (urllib3 2.2 or later): one socket read at a
time, decompressed, so each event is delivered as soon as its bytes arrive.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import requests
import urllib3.exceptions
import urllib3.response
from requests.structures import CaseInsensitiveDict

from .._client import DEFAULT_IDLE_TIMEOUT, StreamCore, check_idle_timeout
from .._decoder import DEFAULT_MAX_EVENT_SIZE, DEFAULT_MAX_LINE_SIZE
from .._reconnect import Fail, Proceed, Reconnect, ReconnectConfig, Stop

if TYPE_CHECKING:
    import random
    from collections.abc import Callable, Generator, Iterator
    from types import TracebackType

    from .._client import Lifecycle
    from .._events import Event
    from .._reconnect import Advice

__all__ = ["EventSource", "connect"]

#: Connect timeout of every request, in seconds. A requests Session has no
#: timeout of its own, so unlike httpx there is no caller's value to keep.
_CONNECT_TIMEOUT = 30.0

#: The most bytes one read returns (decompressed). Only an upper bound:
#: ``read1()`` returns as soon as one socket read brought anything.
_READ_SIZE = 64 * 1024

# What a failed connection or read looks like. ``Session.request()`` raises
# requests' exceptions (connection refused or reset, timeouts, TLS, proxy,
# too many redirects, a caller's HTTPAdapter giving up); reading ``raw``
# directly raises urllib3's (ReadTimeoutError, ProtocolError for a reset or an
# incomplete chunked or Content-Length body, DecodeError for a corrupt
# compressed body).
_TRANSPORT_ERRORS = (requests.exceptions.RequestException, urllib3.exceptions.HTTPError)

# requests' errors in the caller's own request, raised while requests
# prepares it, before anything is sent: no reconnection can fix them, so they
# are raised at once, as httpx raises a TypeError for an unserializable body.
# InvalidURL and InvalidSchema are not among them: a redirect's Location can
# cause those too, so they count as transport errors, as httpx's
# UnsupportedProtocol does ("localhost:8000/x" is read as scheme "localhost").
_CALLER_ERRORS = (
    requests.exceptions.MissingSchema,
    requests.exceptions.InvalidHeader,
    requests.exceptions.InvalidJSONError,
    requests.exceptions.URLRequired,
)


def _require_read1(response_class: type) -> None:
    # requests still allows urllib3 1.26, whose responses have no read1():
    # fail on import with the fix rather than on the first read.
    if not hasattr(response_class, "read1"):
        raise ImportError(
            "ssec_proto.adapters.requests needs urllib3 2.2 or later (for "
            "HTTPResponse.read1); install it with: pip install 'urllib3>=2.2'"
        )


_require_read1(urllib3.response.HTTPResponse)


def _text(value: Any) -> Any:
    # requests takes bytes header names and values as well as str; the core
    # takes str (and rejects anything else with a clear TypeError) and sends
    # values as UTF-8, so UTF-8 bytes go out unchanged. Other bytes would not
    # survive that round trip: decoding them raises UnicodeDecodeError.
    return value.decode("utf-8") if isinstance(value, bytes) else value


def _caller_headers(headers: Any) -> list[tuple[str, str]] | None:
    if headers is None:
        return None
    items = headers.items() if isinstance(headers, Mapping) else headers
    return [(_text(name), _text(value)) for name, value in items]


def _wire_headers(pairs: list[tuple[bytes, bytes]]) -> CaseInsensitiveDict[bytes]:
    # requests takes headers as a mapping, so a name the caller repeated is
    # sent once with its values joined by ", " (RFC 9110 section 5.3). Values
    # stay bytes: requests and http.client send bytes as they are, so a
    # non-ASCII Last-Event-ID goes out as UTF-8 (a str would go out as
    # Latin-1, or fail).
    headers: CaseInsensitiveDict[bytes] = CaseInsensitiveDict()
    for raw_name, value in pairs:
        name = raw_name.decode("ascii")
        previous = headers.get(name)
        headers[name] = value if previous is None else previous + b", " + value
    return headers


def _is_read_timeout(exc: BaseException) -> bool:
    # A read timeout comes in several shapes: requests' ReadTimeout while
    # waiting for the headers; urllib3's ReadTimeoutError while reading
    # ``raw``; a requests ConnectionError wrapping MaxRetryError(reason=
    # ReadTimeoutError) when the caller's HTTPAdapter retried reads
    # (max_retries=Retry(...)) and gave up; and a ConnectionError wrapping
    # ReadTimeoutError itself, which is what iter_content() raises.
    if isinstance(exc, (requests.exceptions.ReadTimeout, urllib3.exceptions.ReadTimeoutError)):
        return True
    if isinstance(exc, requests.exceptions.ConnectionError) and exc.args:
        inner = exc.args[0]
        reason = inner.reason if isinstance(inner, urllib3.exceptions.MaxRetryError) else inner
        return isinstance(reason, urllib3.exceptions.ReadTimeoutError)
    return False


def _chunks(response: requests.Response) -> Iterator[bytes]:
    # read1() returns what one socket read brought (or what is already
    # buffered), decompressed, for chunked and for close-delimited bodies
    # alike; b"" only at the end of the body. iter_content() would not do:
    # with a chunk_size it waits for that many bytes, and with None it reads
    # a close-delimited body to its end before returning anything.
    # decode_content=True: requests asks urllib3 not to decode by default.
    raw = response.raw
    while chunk := raw.read1(_READ_SIZE, decode_content=True):
        yield chunk


def _start_of_body(chunks: Iterator[bytes], limit: int) -> bytes:
    body = b""
    for chunk in chunks:
        body += chunk
        if len(body) >= limit:
            break
    return body[:limit]


class EventSource:
    """A reconnecting event stream over a ``requests.Session``; see :func:`connect`.

    Iterate over it for :class:`~ssec_proto.Event` objects. Use it as a
    context manager, or call :meth:`close`, to release the connection (and
    the session, when it created its own).
    """

    def __init__(
        self,
        url: str,
        *,
        session: requests.Session | None,
        method: str,
        headers: Any,
        params: Any,
        json: Any,
        content: Any,
        last_event_id: str | None,
        idle_timeout: float | None,
        event_timeout: float | None,
        reconnect: ReconnectConfig | bool | None,
        on_lifecycle: Callable[[Lifecycle], object] | None,
        max_line_size: int | None,
        max_event_size: int | None,
        rng: random.Random | None,
    ) -> None:
        check_idle_timeout(idle_timeout)
        if session is not None and not isinstance(session, requests.Session):
            raise TypeError(f"session must be a requests.Session, not {type(session).__name__}")
        self._url = url
        self._method = method
        self._params = params
        self._json = json
        self._content = content
        # The read timeout is the idle timeout: urllib3 raises when no byte
        # arrives for that long, while waiting for the headers or for the body.
        self._timeout = (_CONNECT_TIMEOUT, idle_timeout)
        self._core = StreamCore(
            method=method,
            headers=_caller_headers(headers),
            last_event_id=last_event_id,
            reconnect=reconnect,
            event_timeout=event_timeout,
            max_line_size=max_line_size,
            max_event_size=max_event_size,
            on_lifecycle=on_lifecycle,
            rng=rng,
        )
        self._own_session = session is None
        self._session = requests.Session() if session is None else session
        self._response: requests.Response | None = None
        self._iterator: Generator[list[Event], None, None] | None = None
        self._pending: Iterator[Event] = iter(())

    @property
    def last_event_id(self) -> str:
        """The last event ID: where a reconnect (or a later run) resumes from."""
        return self._core.last_event_id

    @property
    def response(self) -> requests.Response | None:
        """The current (or last) HTTP response, for its status and headers."""
        return self._response

    def __enter__(self) -> EventSource:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def __iter__(self) -> Iterator[Event]:
        return self

    def __next__(self) -> Event:
        # _run() yields each chunk's events as one list; handing them out
        # from a list iterator costs less than resuming it for every event.
        event = next(self._pending, None)
        if event is not None:
            return event
        if self._iterator is None:
            self._iterator = self._run()
        self._pending = iter(next(self._iterator))
        return next(self._pending)

    def close(self) -> None:
        """Close the connection (and the session, if this source created it).

        Iterating a closed source yields nothing more, even one closed before
        its first request.
        """
        if self._iterator is None:
            # A generator closed before it started never runs its body, so
            # a later next() ends at once instead of sending a request.
            self._iterator = self._run()
        self._pending = iter(())
        self._iterator.close()
        self._core.close()
        if self._own_session:
            self._session.close()

    def _send(self) -> requests.Response:
        return self._session.request(
            self._method,
            self._url,
            headers=_wire_headers(self._core.request_headers()),
            params=self._params,
            json=self._json,
            data=self._content,
            timeout=self._timeout,
            allow_redirects=True,
            stream=True,
        )

    def _failed(self, exc: Exception) -> Advice:
        if _is_read_timeout(exc):
            return self._core.idle_timed_out(exc)
        return self._core.transport_failed(exc)

    def _run(self) -> Generator[list[Event], None, None]:
        core = self._core
        while True:
            advice: Advice
            try:
                response = self._send()
            except _CALLER_ERRORS:
                raise
            except _TRANSPORT_ERRORS as exc:
                advice = self._failed(exc)
            else:
                self._response = response
                try:
                    headers = response.headers
                    body = b""
                    if core.needs_body(response.status_code, headers):
                        body = _start_of_body(_chunks(response), core.max_error_body)
                    advice = core.response_received(response.status_code, headers, body)
                    if isinstance(advice, Proceed):
                        for chunk in _chunks(response):
                            events, stop = core.feed(chunk)
                            if events:
                                yield events
                            if stop is not None:
                                advice = stop
                                break
                        else:
                            advice = core.stream_ended()
                except _TRANSPORT_ERRORS as exc:
                    advice = self._failed(exc)
                finally:
                    # Closes the socket unless the body was read to its end
                    # (then urllib3 has already returned it to the pool).
                    response.close()
            if isinstance(advice, Reconnect):
                time.sleep(advice.delay)
                core.reconnecting()
            elif isinstance(advice, Stop):
                return
            else:
                assert isinstance(advice, Fail)  # Proceed was replaced above
                raise advice.error


def connect(
    url: str,
    *,
    session: requests.Session | None = None,
    method: str = "GET",
    headers: Any = None,
    params: Any = None,
    json: Any = None,
    content: Any = None,
    last_event_id: str | None = None,
    idle_timeout: float | None = DEFAULT_IDLE_TIMEOUT,
    event_timeout: float | None = None,
    reconnect: ReconnectConfig | bool | None = None,
    on_lifecycle: Callable[[Lifecycle], object] | None = None,
    max_line_size: int | None = DEFAULT_MAX_LINE_SIZE,
    max_event_size: int | None = DEFAULT_MAX_EVENT_SIZE,
    rng: random.Random | None = None,
) -> EventSource:
    """Open a reconnecting event stream with a ``requests.Session``.

    Nothing is sent until the first event is asked for::

        with connect("http://127.0.0.1:8000/events") as source:
            for event in source:
                print(event.event, event.data)

    Args:
        url: The stream's URL.
        session: A ``requests.Session`` to use (its auth, cookies, proxies,
            mounted adapters with their retries, and default headers apply);
            it is left open. ``None``: a new one, closed by :meth:`close`.
        method: The request method. Only GET requests reconnect, unless
            ``reconnect=ReconnectConfig(reconnect_non_get=True)``.
        headers: Extra request headers: a mapping or ``(name, value)`` pairs
            (a repeated name is sent once, its values joined with ``", "``),
            each ``str`` or UTF-8 ``bytes``; values are sent as UTF-8.
            ``Accept: text/event-stream`` (unless given here),
            ``Cache-Control: no-store`` and ``Last-Event-ID`` are added; a
            ``Last-Event-ID`` given here is where the stream resumes.
        params: Query parameters, as for requests.
        json: A JSON request body (e.g. the POST body of an LLM API).
        content: A raw request body (bytes or str); requests' ``data``.
        last_event_id: Resume after this event ID (e.g. one saved from
            :attr:`EventSource.last_event_id` by an earlier run).
        idle_timeout: Seconds without a single byte (keep-alive comments
            count) after which the connection is dropped and re-established:
            requests' read timeout. ``None`` disables it. The default is
            :data:`ssec_proto.DEFAULT_IDLE_TIMEOUT` (5 minutes). The connect
            timeout is 30 seconds.
        event_timeout: Seconds without a complete event (comments do not
            count), checked whenever bytes arrive; ``None`` (default) off.
        reconnect: A :class:`~ssec_proto.ReconnectConfig`; ``True`` or
            ``None`` for the defaults; ``False`` never to reconnect.
        on_lifecycle: Called with :class:`~ssec_proto.Connecting`,
            :class:`~ssec_proto.Opened`, :class:`~ssec_proto.Retrying`,
            :class:`~ssec_proto.Failed` and :class:`~ssec_proto.Closed`.
        max_line_size: The decoder's line limit in bytes.
        max_event_size: The decoder's event data limit in characters.
        rng: The source of backoff jitter (seed one for reproducible tests).

    Returns:
        An :class:`EventSource`. Iterating it raises
        :class:`~ssec_proto.ResponseError` when the server answers with
        something other than an event stream,
        :class:`~ssec_proto.RetriesExhausted` (chaining the last failure,
        e.g. a ``requests.ConnectionError``) when the reconnect policy gives
        up, and :class:`~ssec_proto.LimitExceeded` for an oversized line or
        event. Iteration ends normally on HTTP 204 No Content. Errors in the
        request itself (a missing URL scheme, an invalid header, a body that
        is not JSON-serializable) are raised as requests raises them.

    Raises:
        ValueError: If ``idle_timeout`` is not a positive, finite number or
            ``None``, another option is out of range, or a ``bytes`` header
            is not UTF-8.
        TypeError: If ``session`` is not a ``requests.Session``, ``reconnect``
            is not a ``ReconnectConfig`` or a bool, or a header name or value
            is neither ``str`` nor ``bytes``.
    """
    return EventSource(
        url,
        session=session,
        method=method,
        headers=headers,
        params=params,
        json=json,
        content=content,
        last_event_id=last_event_id,
        idle_timeout=idle_timeout,
        event_timeout=event_timeout,
        reconnect=reconnect,
        on_lifecycle=on_lifecycle,
        max_line_size=max_line_size,
        max_event_size=max_event_size,
        rng=rng,
    )
