"""A conformance adapter for a Python SSE parser: ssec-proto's own Decoder.

`ssec-proto conformance -- python adapter.py` runs the kit against the
parser behind this script. It reads one JSON request per line on stdin and
answers each with one JSON line on stdout (the protocol is on the docs page
"Test your parser"). To test another parser, change `new_parser()` and
`as_json()`; the loop stays as it is.
"""

from __future__ import annotations

import base64
import json
import sys

from ssec_proto import Decoder, Event


def new_parser() -> Decoder:
    """The parser under test, for a new stream."""
    return Decoder()


def as_json(event: Event) -> dict[str, object]:
    """One of its events, as the protocol wants it."""
    return {"type": event.event, "data": event.data, "id": event.id}


def state(parser: Decoder) -> dict[str, object]:
    """What it knows after a stream; leave out what your parser does not expose."""
    return {"last_event_id": parser.last_event_id, "retry": parser.retry}


def main() -> None:
    parser = new_parser()
    for line in sys.stdin:
        request = json.loads(line)
        try:
            if request["op"] == "new":
                parser = new_parser()
                answer = state(parser)
            elif request["op"] == "feed":
                events = parser.feed(base64.b64decode(request["data"]))
                answer = {"events": [as_json(event) for event in events]}
            else:  # "end": the stream is over; a conforming parser dispatches nothing now
                answer = {"events": [], **state(parser)}
        except Exception as error:  # the parser failed: say so, and keep serving
            answer = {"error": f"{type(error).__name__}: {error}"}
        print(json.dumps(answer), flush=True)


if __name__ == "__main__":
    main()
