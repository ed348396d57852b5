"""ssec-proto: a spec-exact, sans-IO Server-Sent Events protocol library.

The core (everything importable from this package) does no I/O and imports no
HTTP library. Transports live in :mod:`ssec_proto.adapters`, and Hypothesis
strategies in :mod:`ssec_proto.strategies`; neither is imported here.
"""

from __future__ import annotations

from ._client import (
    DEFAULT_IDLE_TIMEOUT,
    Closed,
    Connecting,
    Failed,
    Lifecycle,
    Opened,
    Retrying,
)
from ._decoder import DEFAULT_MAX_EVENT_SIZE, DEFAULT_MAX_LINE_SIZE, Decoder
from ._encoder import encode
from ._errors import (
    EventTimeout,
    EventTooLarge,
    LimitExceeded,
    LineTooLong,
    PolicyError,
    ResponseError,
    RetriesExhausted,
    SSEError,
)
from ._events import Event
from ._http import is_event_stream, parse_retry_after
from ._reconnect import (
    DEFAULT_RECONNECTION_TIME,
    DEFAULT_RETRY_STATUSES,
    TRANSITIONS,
    Advice,
    ConnectionInput,
    ConnectionState,
    Fail,
    Proceed,
    Reconnect,
    ReconnectConfig,
    ReconnectPolicy,
    Stop,
)
from ._version import __version__

__all__ = [
    "DEFAULT_IDLE_TIMEOUT",
    "DEFAULT_MAX_EVENT_SIZE",
    "DEFAULT_MAX_LINE_SIZE",
    "DEFAULT_RECONNECTION_TIME",
    "DEFAULT_RETRY_STATUSES",
    "TRANSITIONS",
    "Advice",
    "Closed",
    "Connecting",
    "ConnectionInput",
    "ConnectionState",
    "Decoder",
    "Event",
    "EventTimeout",
    "EventTooLarge",
    "Fail",
    "Failed",
    "Lifecycle",
    "LimitExceeded",
    "LineTooLong",
    "Opened",
    "PolicyError",
    "Proceed",
    "Reconnect",
    "ReconnectConfig",
    "ReconnectPolicy",
    "ResponseError",
    "RetriesExhausted",
    "Retrying",
    "SSEError",
    "Stop",
    "__version__",
    "encode",
    "is_event_stream",
    "parse_retry_after",
]

# Present public names as ssec_proto.X in reprs and tracebacks.
for _name in __all__:
    _obj = globals()[_name]
    if getattr(_obj, "__module__", "").startswith("ssec_proto."):
        _obj.__module__ = "ssec_proto"
del _name, _obj
