"""ssec-proto: a spec-exact, sans-IO Server-Sent Events protocol library.

The core (everything importable from this package) does no I/O and imports no
HTTP library: the decoder, the event, the encoder, the reconnect policy with
its lifecycle notices, and the errors. The driver kit lives in
`ssec_proto.driver`, the transports in `ssec_proto.adapters`, and Hypothesis
strategies in `ssec_proto.strategies`; none of them is imported here.
"""

from __future__ import annotations

import contextlib
import logging

from ._decoder import DEFAULT_MAX_EVENT_SIZE, DEFAULT_MAX_LINE_SIZE
from ._encoder import encode
from ._errors import (
    ConnectionFailed,
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
from ._implementation import DECODER_IMPLEMENTATION, Decoder
from ._lifecycle import Closed, Connecting, Failed, Lifecycle, Opened, Retrying
from ._reconnect import (
    DEFAULT_RECONNECTION_TIME,
    DEFAULT_RETRY_STATUSES,
    ConnectionState,
    ReconnectConfig,
    ReconnectPolicy,
)
from ._version import __version__

__all__ = [
    "DECODER_IMPLEMENTATION",
    "DEFAULT_MAX_EVENT_SIZE",
    "DEFAULT_MAX_LINE_SIZE",
    "DEFAULT_RECONNECTION_TIME",
    "DEFAULT_RETRY_STATUSES",
    "Closed",
    "Connecting",
    "ConnectionFailed",
    "ConnectionState",
    "Decoder",
    "Event",
    "EventTimeout",
    "EventTooLarge",
    "Failed",
    "Lifecycle",
    "LimitExceeded",
    "LineTooLong",
    "Opened",
    "PolicyError",
    "ReconnectConfig",
    "ReconnectPolicy",
    "ResponseError",
    "RetriesExhausted",
    "Retrying",
    "SSEError",
    "__version__",
    "encode",
]

# A library logs and the application decides what is shown: without a handler
# of its own, Python's last-resort handler would print our warnings to stderr.
logging.getLogger(__name__).addHandler(logging.NullHandler())

# Present public names as ssec_proto.X in reprs and tracebacks.
for _name in __all__:
    _obj = globals()[_name]
    if getattr(_obj, "__module__", "").startswith("ssec_proto."):
        # (The compiled Decoder, an extension type, keeps its own.)
        with contextlib.suppress(TypeError):
            _obj.__module__ = "ssec_proto"
del _name, _obj
