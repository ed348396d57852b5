"""Bytes to lines: the first half of the WHATWG parsing rules.

This layer owns everything that happens below the level of a line:

* the one leading byte order mark (BOM) of a stream, also when its three bytes
  arrive in separate chunks;
* the three line endings CR LF, LF and CR, including a CR at the very end of a
  chunk whose LF arrives with the next one;
* UTF-8 decoding with U+FFFD for invalid sequences;
* the line size limit, so that a line that never ends costs bounded memory.

Splitting works on bytes, before decoding. That is exact: the bytes 0x0A and
0x0D never occur inside a multi-byte UTF-8 sequence, and a newline ends any
incomplete sequence before it, so decoding each run of complete lines on its
own gives the same text as decoding the stream as a whole ("Interpreting an
event stream": streams are UTF-8 decoded, then parsed line by line). Keeping
the incomplete last line as raw bytes in a ``bytearray`` makes appending
amortised O(1) and never rescans it, so a line of any length costs linear time.
"""

from __future__ import annotations

import sys
from typing import cast

__all__ = ["LineSplitter"]

_BOM = b"\xef\xbb\xbf"
_CR = b"\r"
_LF = b"\n"


class LineSplitter:
    """Cut a UTF-8 byte stream into complete, decoded lines.

    :meth:`feed` returns the lines completed by a chunk, without their line
    endings. A line longer than ``max_line_size`` bytes is replaced by a single
    ``None`` at its position, and its bytes are dropped as they arrive.
    """

    __slots__ = ("_at_start", "_buf", "_head", "_max", "_overlong", "_skip_lf")

    def __init__(self, max_line_size: int | None) -> None:
        self._max = sys.maxsize if max_line_size is None else max_line_size
        self._buf = bytearray()
        self._head = b""
        self._at_start = True
        self._skip_lf = False
        self._overlong = False

    def reset(self) -> None:
        """Forget the current stream: partial line, BOM and CR state."""
        self._buf = bytearray()
        self._head = b""
        self._at_start = True
        self._skip_lf = False
        self._overlong = False

    @property
    def limit(self) -> int:
        """The line size limit in bytes."""
        return self._max

    @property
    def pending(self) -> int:
        """Bytes held for the incomplete last line."""
        return len(self._buf) + len(self._head)

    def feed(self, data: bytes) -> list[str | None]:
        """Consume a chunk; return the lines it completes, in order."""
        if (
            10 not in data
            and 13 not in data
            and not (self._at_start or self._skip_lf or self._overlong)
            and len(self._buf) + len(data) <= self._max
        ):
            # The middle of a line (small chunks, long lines): just keep it.
            self._buf += data
            return []
        if self._at_start:
            # "The UTF-8 decode algorithm strips one leading UTF-8 Byte Order
            # Mark (BOM), if any." Hold back up to three bytes until we know
            # whether they are that BOM.
            head = self._head + data
            if len(head) < 3 and _BOM.startswith(head):
                self._head = head
                return []
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
            # the ways in which a line can end." Normalise all three to LF.
            self._skip_lf = data[-1] == 13
            data = data.replace(b"\r\n", _LF).replace(_CR, _LF)
        if self._overlong:
            # Drop the rest of a line that already broke the limit.
            nl = data.find(_LF)
            if nl < 0:
                return []
            self._overlong = False
            data = data[nl + 1 :]
        nl = data.rfind(_LF)
        if nl < 0:
            if data:
                self._extend(data)
                if self._overlong:
                    return [None]
            return []
        buf = self._buf
        if buf:
            buf += data[:nl]
            region: bytes | bytearray = buf
            self._buf = bytearray()
        else:
            region = data[:nl]
        lines = cast("list[str | None]", region.decode("utf-8", "replace").split("\n"))
        if len(region) > self._max:
            limit = self._max
            for i, raw in enumerate(region.split(_LF)):
                if len(raw) > limit:
                    lines[i] = None
        if nl + 1 < len(data):
            self._extend(data[nl + 1 :])
            if self._overlong:
                lines.append(None)
        return lines

    def _extend(self, data: bytes) -> None:
        if len(self._buf) + len(data) > self._max:
            self._buf = bytearray()
            self._overlong = True
        else:
            self._buf += data
