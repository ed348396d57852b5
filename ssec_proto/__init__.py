"""ssec-proto: a spec-exact, sans-IO Server-Sent Events protocol library.

The core (everything importable from this package) does no I/O and imports no
HTTP library. Transports live in :mod:`ssec_proto.adapters`, and Hypothesis
strategies in :mod:`ssec_proto.strategies`; neither is imported here.
"""

from __future__ import annotations

from ._decoder import DEFAULT_MAX_EVENT_SIZE, DEFAULT_MAX_LINE_SIZE, Decoder
from ._encoder import encode
from ._errors import EventTooLarge, LimitExceeded, LineTooLong, SSEError
from ._events import Event
from ._version import __version__

__all__ = [
    "DEFAULT_MAX_EVENT_SIZE",
    "DEFAULT_MAX_LINE_SIZE",
    "Decoder",
    "Event",
    "EventTooLarge",
    "LimitExceeded",
    "LineTooLong",
    "SSEError",
    "__version__",
    "encode",
]

# Present public names as ssec_proto.X in reprs and tracebacks.
for _name in __all__:
    _obj = globals()[_name]
    if getattr(_obj, "__module__", "").startswith("ssec_proto."):
        _obj.__module__ = "ssec_proto"
del _name, _obj
