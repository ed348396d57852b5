"""Line endings and the byte order mark: the bytes-level half of the parsing rules.

"Interpreting an event stream" decodes the stream as UTF-8, stripping one
leading byte order mark (BOM), then cuts it into lines at CR LF, LF or CR.
`LineEndings` does the two byte-level parts of that, across chunk
boundaries, and hands on bytes in which every line ends with a single LF (to
the decoder's framing, `_decoder.py`):

* the one leading BOM, also when its three bytes arrive in separate chunks;
* CR LF and lone CR become LF, including a CR at the very end of a chunk
  whose LF arrives with the next one.

Working on bytes is exact: the bytes 0x0A and 0x0D never occur inside a
multi-byte UTF-8 sequence, so the line structure of the bytes is the line
structure of the text, and decoding the stream line by line gives the same
text as decoding it whole (a line ends at an ASCII byte, where a UTF-8
decoder holds no partial sequence).
"""

from __future__ import annotations

__all__ = ["LineEndings", "to_lf"]

_BOM = b"\xef\xbb\xbf"


class LineEndings:
    """Strip the leading BOM and turn every line ending into a single LF.

    `settled` is true once the BOM question is decided and no CR is
    pending: from then on a chunk without a CR byte passes through unchanged,
    so a caller may skip `feed()` for it.
    """

    __slots__ = ("_at_start", "_head", "_skip_lf")

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        """Start a new stream, which may have a BOM of its own."""
        self._head = b""
        self._at_start = True
        self._skip_lf = False

    @property
    def settled(self) -> bool:
        """Whether a chunk without a CR byte would pass through unchanged."""
        return not (self._at_start or self._skip_lf)

    def feed(self, data: bytes) -> bytes:
        """Return the next bytes of the stream with LF line endings only."""
        if self._at_start:
            # "The UTF-8 decode algorithm strips one leading UTF-8 Byte Order
            # Mark (BOM), if any." Hold back up to three bytes until we know
            # whether they are that BOM.
            head = self._head + data
            if len(head) < 3 and _BOM.startswith(head):
                self._head = head
                return b""
            self._at_start = False
            self._head = b""
            data = head[3:] if head.startswith(_BOM) else head
        if self._skip_lf and data:
            # The previous chunk ended with CR: that line has already ended,
            # so an LF opening this chunk is the second half of a CR LF pair.
            self._skip_lf = False
            if data[0] == 10:
                data = data[1:]
        # An int needle: with a bytes needle, bytes.__contains__ first tries
        # it as an int and swallows a TypeError, which costs ten times more.
        if 13 in data:
            # "a U+000D CR U+000A LF character pair, a single U+000A LF
            # character not preceded by a U+000D CR character, and a single
            # U+000D CR character not followed by a U+000A LF character being
            # the ways in which a line can end."
            self._skip_lf = data[-1] == 13
            data = to_lf(data)
        return data


def to_lf(data: bytes) -> bytes:
    """Turn CR LF and lone CR into LF (a CR at the end included)."""
    data = data.replace(b"\r\n", b"\n")
    if 13 in data:
        data = data.replace(b"\r", b"\n")
    return data
