"""The driver kit: the reconnecting loop, for any transport.

The adapters in `ssec_proto.adapters` are this loop over httpx, aiohttp and
requests. To follow a stream over anything else (urllib3, pycurl, a raw
socket, a message bus that carries SSE bytes), write a
[`Transport`][ssec_proto.driver.Transport] (or an
[`AsyncTransport`][ssec_proto.driver.AsyncTransport]): a class that sends a
[`Request`][ssec_proto.driver.Request], hands back a
[`Response`][ssec_proto.driver.Response] and its body's chunks, releases it,
sleeps, and sorts its own exceptions into
[`Failure`][ssec_proto.driver.Failure] kinds. Then
[`EventSource`][ssec_proto.driver.EventSource] (or
[`AsyncEventSource`][ssec_proto.driver.AsyncEventSource]) runs it with every
option of [`StreamOptions`][ssec_proto.driver.StreamOptions], and behaves
exactly as the adapters do.

Like `ssec_proto` itself, the kit imports no HTTP library.
"""

from __future__ import annotations

from .._http import is_event_stream, parse_retry_after
from .._reconnect import TRANSITIONS, ConnectionInput
from ._async import AsyncEventSource
from ._options import DEFAULT_IDLE_TIMEOUT, StreamOptions
from ._sync import EventSource
from ._transport import AsyncTransport, Failure, Request, Response, Transport

__all__ = [
    "DEFAULT_IDLE_TIMEOUT",
    "TRANSITIONS",
    "AsyncEventSource",
    "AsyncTransport",
    "ConnectionInput",
    "EventSource",
    "Failure",
    "Request",
    "Response",
    "StreamOptions",
    "Transport",
    "is_event_stream",
    "parse_retry_after",
]

# Present public names as ssec_proto.driver.X in reprs and tracebacks.
for _name in __all__:
    _obj = globals()[_name]
    if getattr(_obj, "__module__", "").startswith("ssec_proto.driver."):
        _obj.__module__ = __name__
del _name, _obj
