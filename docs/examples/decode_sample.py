"""Decode a sample event stream with the sans-IO core: no network, no server.

Run it with ``.venv/bin/python docs/examples/decode_sample.py``. The stream is
fed in awkward pieces (a BOM split in two, a CR LF split across chunks, a
multi-byte character split in half) to show that chunking never matters.
"""

from __future__ import annotations

from itertools import pairwise

from ssec_proto import Decoder, encode

STREAM = (
    b"\xef\xbb\xbf: a comment, e.g. a keep-alive\r\n"
    b"retry: 3000\r\n"
    b"\r\n"
    + encode("first event", id="1")
    + encode('{"token": "café"}', event="delta", id="2")
    + b"data: line one\rdata: line two\r\r"
    + b"id: 3\n\n"
    + b"data: an unfinished event is never dispatched\n"
)


def main() -> None:
    """Feed STREAM in uneven chunks and print every event."""
    decoder = Decoder(on_comment=lambda text: print(f"comment: {text!r}"))
    cuts = sorted(
        {
            0,
            1,  # inside the BOM
            STREAM.index(b"\r\n") + 1,  # between CR and LF
            STREAM.index("é".encode()) + 1,  # inside a two-byte character
            STREAM.index(b"\r\r") + 1,  # between two CRs
            len(STREAM),
        }
    )
    for start, end in pairwise(cuts):
        for event in decoder.feed(STREAM[start:end]):
            shown = event.json() if event.event == "delta" else event.data
            print(f"{event.event:>8} id={event.id!r:5} retry={event.retry}  {shown!r}")
    print(f"last_event_id={decoder.last_event_id!r} retry={decoder.retry} ms")


if __name__ == "__main__":
    main()
