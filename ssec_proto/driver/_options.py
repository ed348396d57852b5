"""The options of a stream, declared once for every driver.

Each adapter's `connect()` / `aconnect()` and the kit's event sources take
these as keyword arguments; the type checker checks them against
[`StreamOptions`][ssec_proto.driver.StreamOptions], and `Stream` (the loop's
sans-IO half) reads them, each in one place. Adding an option means adding it
here, documenting it here, and reading it there.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Final, TypedDict

if TYPE_CHECKING:
    import random
    from collections.abc import Callable

    from .._http import HeadersLike
    from .._lifecycle import Lifecycle
    from .._reconnect import ReconnectConfig

__all__ = ["DEFAULT_IDLE_TIMEOUT", "StreamOptions"]

#: Seconds without a single byte (keep-alive comments count) after which a
#: connection is presumed dead, dropped and re-established. Servers that
#: expect idle periods send keep-alive comments every 15 to 30 seconds
#: (sse-starlette's default ping is 15 s) to stop proxies from cutting them,
#: and LLM APIs can pause for a minute or more while a model thinks; five
#: minutes is ten times the usual keep-alive interval, yet notices a half-open
#: TCP connection (a peer that vanished without a FIN or RST) within minutes
#: rather than hours.
DEFAULT_IDLE_TIMEOUT: Final = 300.0


class StreamOptions(TypedDict, total=False):
    """The options every driver takes, as keyword arguments; all optional.

    Attributes:
        method: The request method (default `"GET"`). Only GET requests
            reconnect, unless `reconnect=ReconnectConfig(reconnect_non_get=True)`.
        headers: Extra request headers: a mapping or `(name, value)` pairs,
            `str` or UTF-8 `bytes`. `Accept: text/event-stream` (unless given
            here), `Cache-Control: no-store` and `Last-Event-ID` are added; a
            `Last-Event-ID` given here is where the stream resumes. Values
            are sent as UTF-8.
        params: Query parameters, in the form the HTTP library takes.
        json: A JSON request body (e.g. the POST body of an LLM API).
        content: A raw request body (`bytes` or `str`). Not together with
            `json`.
        last_event_id: Resume after this event ID (e.g. one saved from
            `source.last_event_id` by an earlier run).
        idle_timeout: Seconds without a single byte (keep-alive comments
            count) after which the connection is dropped and re-established;
            also the wait for the response's headers. It replaces the
            library's read timeout. `None` disables it; the default is
            [`DEFAULT_IDLE_TIMEOUT`][ssec_proto.driver.DEFAULT_IDLE_TIMEOUT]
            (5 minutes).
        event_timeout: Seconds without a complete event (comments do not
            count), checked whenever bytes arrive; treated like an idle
            timeout. `None` (the default) turns it off.
        reconnect: A [`ReconnectConfig`][ssec_proto.ReconnectConfig]; `True`
            or `None` for the defaults; `False` never to reconnect.
        on_lifecycle: Called with each [`Lifecycle`][ssec_proto.Lifecycle]
            notice: [`Connecting`][ssec_proto.Connecting],
            [`Opened`][ssec_proto.Opened], [`Retrying`][ssec_proto.Retrying],
            [`Closed`][ssec_proto.Closed], [`Failed`][ssec_proto.Failed].
        max_line_size: The decoder's limit on one line, in bytes (`None`: no
            limit). See [`Decoder`][ssec_proto.Decoder].
        max_event_size: The decoder's limit on one event's data, in
            characters (`None`: no limit).
        rng: The source of backoff jitter (seed one for reproducible tests).
    """

    method: str
    headers: HeadersLike | None
    params: Any
    json: Any
    content: Any
    last_event_id: str | None
    idle_timeout: float | None
    event_timeout: float | None
    reconnect: ReconnectConfig | bool | None
    on_lifecycle: Callable[[Lifecycle], object] | None
    max_line_size: int | None
    max_event_size: int | None
    rng: random.Random | None
