# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True
# cython: initializedcheck=False, embedsignature=False
"""The compiled decoder: the same `Decoder` as `_decoder.py`, as a byte-level state machine.

The pure-Python decoder (`ssec_proto._decoder.Decoder`) is the reference:
this one takes the same options, returns the same events, raises the same
errors in the same `feed()` calls, and shows `on_comment` the same comments
(the tests run every decoder test and property against both, and compare
them with the spec-literal reference under random chunkings).

How it works: one pass over each chunk, in C. The line endings (CR LF, LF,
lone CR, also split across chunks) and the leading BOM are handled on the
bytes; each complete line gets the field rules of WHATWG HTML "Interpreting
an event stream" at once, on its bytes (a field name, the colon, the space
and NUL are ASCII, which never occurs inside a multi-byte UTF-8 sequence, so
matching the bytes is matching the text). Only what becomes a string is
decoded: the data of an event at dispatch (its lines joined by LF, which
decodes as the lines would one by one), its type, its id, and comments for
`on_comment`. The line under way and the data of the open event are kept in
C buffers, bounded by the limits.

`iter_feed()` runs the same scan lazily: the chunk is kept as pending input
with the offset reached, and each step of its iterator resumes the scan
there and stops it right after the next dispatch that makes an event.

Safety: every index stays within the buffers it reads (the scan reads
`[0, n)` of the chunk it holds a reference to, and the buffers grow before
they are written). A callback (`on_comment`) that calls back into the same
decoder is refused (`RuntimeError`), as it would change the buffers under
the scan.
"""

from cpython.bytes cimport PyBytes_AS_STRING, PyBytes_FromStringAndSize, PyBytes_GET_SIZE
from cpython.list cimport PyList_GET_SIZE
from cpython.mem cimport PyMem_Free, PyMem_Realloc
from cpython.unicode cimport PyUnicode_DecodeUTF8
from libc.string cimport memchr, memcmp, memcpy, memmove

import sys

from ._decoder import DEFAULT_MAX_EVENT_SIZE, DEFAULT_MAX_LINE_SIZE, Tuning, _as_bytes, _check_id
from ._errors import EventTooLarge, LineTooLong
from ._events import Event

cdef extern from *:
    """
    /* Build an Event as tuple.__new__(Event, (a, b, c, d)) does: allocate the
       tuple subclass with four items and fill them (new references). */
    static PyObject *ssec_new_event(PyObject *type, PyObject *a, PyObject *b,
                                    PyObject *c, PyObject *d) {
        PyTypeObject *t = (PyTypeObject *)type;
        PyObject *o = t->tp_alloc(t, 4);
        if (o == NULL) return NULL;
        Py_INCREF(a); PyTuple_SET_ITEM(o, 0, a);
        Py_INCREF(b); PyTuple_SET_ITEM(o, 1, b);
        Py_INCREF(c); PyTuple_SET_ITEM(o, 2, c);
        Py_INCREF(d); PyTuple_SET_ITEM(o, 3, d);
        /* Its items are str, int or None, which hold no references: the
           collector would untrack it at its first pass (as it does any such
           tuple); untracking it now spares the passes that a chunk of many
           events would otherwise trigger over all of them. */
        PyObject_GC_UnTrack(o);
        return o;
    }
    """
    object ssec_new_event(object type, object a, object b, object c, object d)

cdef extern from *:
    """
    /* Present the class as ssec_proto.Decoder (its public name) in reprs,
       tracebacks and reports, as the pure one is: a static type takes its
       __module__ and __qualname__ from tp_name. */
    static void ssec_present_as(PyObject *type, const char *name) {
        ((PyTypeObject *)type)->tp_name = name;
    }
    """
    void ssec_present_as(object type, const char *name)

cdef object _Event = Event
cdef str _MESSAGE = "message"
cdef str _EMPTY = ""
cdef bytes _BOM = b"\xef\xbb\xbf"
cdef Py_ssize_t _MAX_RETRY_DIGITS = 640
cdef Py_ssize_t _NO_LIMIT = sys.maxsize
cdef enum:
    # The longest type or id value kept in the one-entry caches.
    _CACHED = 64
    # Buffers larger than this are given back once their line or event is done.
    _KEEP = 64 * 1024


cdef inline str _decode(const char *p, Py_ssize_t n):
    if n == 0:
        return _EMPTY
    return PyUnicode_DecodeUTF8(p, n, "replace")


cdef class Decoder:
    """Push-style, sans-IO decoder for a `text/event-stream` byte stream (compiled).

    The same API, events and errors as the pure-Python decoder, whose
    docstring ([ssec_proto.Decoder][]) documents them; which one
    `ssec_proto.Decoder` is, `ssec_proto.DECODER_IMPLEMENTATION` tells.
    """

    # The route thresholds of the pure decoder: no routes here, so no effect;
    # kept so that code (and tests) that subclass with their own works alike.
    _TUNING = Tuning()

    # The line under way (after the line endings are normalised).
    cdef char *_line
    cdef Py_ssize_t _line_len, _line_cap
    # The open event's data: its data lines' values joined by LF.
    cdef char *_data
    cdef Py_ssize_t _data_len, _data_cap
    cdef bint _has_data
    # The data buffer's size as the pure decoder counts it (characters, plus
    # an LF per line), while `_exact`; else an upper bound, in bytes.
    cdef Py_ssize_t _data_size
    cdef bint _exact
    cdef Py_ssize_t _max_line, _max_data_size
    cdef object _max_line_size, _max_event_size
    # The spec's buffers and the event source's state.
    cdef object _event_type  # str, "" for none
    cdef object _id_buffer  # str
    cdef object _block_retry  # int or None
    cdef object _on_comment
    cdef object _last_event_id
    cdef object _retry
    # One-entry caches of the last decoded type and id, by their bytes (for
    # values of up to _CACHED bytes).
    cdef char _type_raw[_CACHED]
    cdef char _id_raw[_CACHED]
    cdef Py_ssize_t _type_len, _id_len
    cdef str _type_str, _id_str
    # Framing state.
    cdef bint _at_start, _skip_lf, _dropping, _skipping, _busy
    cdef char _head[3]
    cdef Py_ssize_t _head_len
    # What feed() returns or raises.
    cdef list _events
    cdef object _limit_error, _comment_error
    # What iter_feed() keeps: the events decoded and not yet handed out,
    # oldest last (so that pop() takes it); the pending input (None for
    # none) and the offset the scan has reached in it; whether the iterator
    # of call number _turn may still take that input.
    cdef list _queue
    cdef bytes _pending
    cdef Py_ssize_t _pos, _turn
    cdef bint _lazy
    # Where the scan of the pending input found the next LF and CR (see
    # _scan()), so that a resumed scan does not search the rest of the input
    # for them again at each event: -1 for not yet.
    cdef Py_ssize_t _next_lf, _next_cr

    def __cinit__(self, *args, **kwargs):
        self._line = NULL
        self._data = NULL
        self._line_len = self._line_cap = 0
        self._data_len = self._data_cap = 0
        self._events = []
        self._queue = []
        self._pending = None
        self._pos = 0
        self._turn = 0
        self._lazy = False
        self._event_type = _EMPTY
        self._id_buffer = _EMPTY
        self._last_event_id = _EMPTY
        self._type_len = 0
        self._type_str = _EMPTY
        self._id_len = 0
        self._id_str = _EMPTY

    def __dealloc__(self):
        PyMem_Free(self._line)
        PyMem_Free(self._data)

    def __init__(
        self,
        *,
        max_line_size=DEFAULT_MAX_LINE_SIZE,
        max_event_size=DEFAULT_MAX_EVENT_SIZE,
        last_event_id="",
        retry=None,
        on_comment=None,
    ):
        for name, limit in (("max_line_size", max_line_size), ("max_event_size", max_event_size)):
            if limit is not None and (not isinstance(limit, int) or limit < 1):
                raise ValueError(f"{name} must be a positive int or None, not {limit!r}")
        if retry is not None and (
            not isinstance(retry, int) or isinstance(retry, bool) or retry < 0
        ):
            raise ValueError(f"retry must be a non-negative int or None, not {retry!r}")
        self._last_event_id = _check_id(last_event_id, "last_event_id")
        self._retry = retry
        self._on_comment = on_comment
        self._max_line_size = max_line_size
        self._max_event_size = max_event_size
        self._max_line = _NO_LIMIT if max_line_size is None else min(max_line_size, _NO_LIMIT)
        # One more than the limit on the data: the buffer counts an LF per line.
        self._max_data_size = (
            _NO_LIMIT if max_event_size is None else min(max_event_size, _NO_LIMIT - 1) + 1
        )
        self._events = []
        self._limit_error = None
        self._comment_error = None
        self._busy = False
        self._new_block()
        self._restart()

    @property
    def last_event_id(self):
        """The last event ID as of the last blank line (`""` until then)."""
        return self._last_event_id

    @property
    def retry(self):
        """The reconnection time in milliseconds from the last valid `retry` field."""
        return self._retry

    cdef void _restart(self):
        self._line_len = 0
        self._at_start = True
        self._head_len = 0
        self._skip_lf = False
        self._dropping = False

    cdef void _new_block(self):
        self._data_len = 0
        self._has_data = False
        self._data_size = 0
        self._exact = False
        self._event_type = _EMPTY
        self._id_buffer = self._last_event_id
        self._block_retry = None
        self._skipping = False

    def reset(self):
        """Prepare for a new connection (a new stream); see the pure decoder."""
        if self._busy:
            raise RuntimeError("Decoder.reset() called from its own on_comment callback")
        # The input an iter_feed() iterator left is discarded (the events it
        # found wait for the next call, as feed()'s do).
        self._unqueue()
        self._lazy = False
        self._pending = None
        self._new_block()
        self._restart()
        if self._line_cap > _KEEP:
            # Give back what a long line took.
            PyMem_Free(self._line)
            self._line = NULL
            self._line_cap = 0
        if self._data_cap > _KEEP:
            PyMem_Free(self._data)
            self._data = NULL
            self._data_cap = 0

    def feed(self, data):
        """Consume a chunk of the stream and return the events it completes.

        Args:
            data: The next bytes of the response body, of any length
                (including empty).

        Returns:
            The events whose blank line is in this chunk, in stream order.

        Raises:
            TypeError: If `data` is not bytes-like (e.g. a `str`).
            LineTooLong: If a line exceeds `max_line_size`.
            EventTooLarge: If an event's data exceeds `max_event_size`.
            Exception: What `on_comment` raised.
        """
        cdef bytes chunk
        cdef list events
        if type(data) is bytes:
            chunk = <bytes>data
        else:
            chunk = _as_bytes(data)
        if self._busy:
            raise RuntimeError("Decoder.feed() called from its own on_comment callback")
        self._busy = True
        try:
            if self._lazy:
                self._settle()
            self._take(chunk)
        finally:
            self._busy = False
        if self._limit_error is None and self._comment_error is None:
            events = self._events
            self._events = []
            return events
        return self._finish()

    def iter_feed(self, data):
        """Consume a chunk of the stream lazily: an iterator over the events it completes.

        The same semantics as the pure decoder's (see
        [iter_feed][ssec_proto.Decoder.iter_feed]).

        Args:
            data: The next bytes of the response body, of any length
                (including empty).

        Returns:
            An iterator over the events whose blank line is in this chunk (or
            in the input an earlier call left pending), in stream order.

        Raises:
            TypeError: If `data` is not bytes-like (e.g. a `str`).
        """
        cdef bytes chunk
        cdef Py_ssize_t at
        cdef _Events iterator
        if type(data) is bytes:
            chunk = <bytes>data
        else:
            chunk = _as_bytes(data, "iter_feed")
        if self._busy:
            raise RuntimeError("Decoder.iter_feed() called from its own on_comment callback")
        if self._events:
            # Events an on_comment exception left: handed out first.
            self._events.reverse()
            self._events.extend(self._queue)
            self._queue = self._events
            self._events = []
        self._next_lf = self._next_cr = -1
        if self._pending is not None:
            # What an earlier iterator left (never empty): first.
            self._pending = self._pending[self._pos:] + chunk
            self._pos = 0
        else:
            self._busy = True
            try:
                at = self._start(chunk)
            finally:
                self._busy = False
            if at < PyBytes_GET_SIZE(chunk):
                self._pending = chunk
                self._pos = at
        # A new call: an earlier call's iterator, if still running, ends.
        self._turn += 1
        self._lazy = True
        iterator = _Events.__new__(_Events)
        iterator._decoder = self
        iterator._turn = self._turn
        return iterator

    cdef object _next_event(self, Py_ssize_t turn):
        """The next event of the iter_feed() call number `turn` (None: no more)."""
        cdef bytes chunk
        cdef Py_ssize_t at, n
        if not self._lazy or turn != self._turn:
            # A later call took the pending input over.
            return None
        if self._queue:
            return self._queue.pop()
        if self._busy:
            raise RuntimeError(
                "a Decoder.iter_feed() iterator advanced from its own on_comment callback"
            )
        if self._pending is not None:
            chunk = self._pending
            n = PyBytes_GET_SIZE(chunk)
            self._busy = True
            try:
                at = self._scan(PyBytes_AS_STRING(chunk), n, self._pos, True)
            except BaseException:
                # Out of on_comment (not an Exception, which waits for the
                # end of the call) or out of memory: the rest of the input
                # is lost, as the rest of its chunk is in feed().
                self._pending = None
                self._lazy = False
                raise
            finally:
                self._busy = False
            if at < n:
                self._pos = at
            else:
                self._pending = None
            if PyList_GET_SIZE(self._events):
                # The scan stopped right after this event's dispatch.
                return self._events.pop()
        # The end of the call: feed()'s, with every event handed out.
        self._lazy = False
        if self._limit_error is None and self._comment_error is None:
            return None
        return self._finish()

    cdef int _unqueue(self) except -1:
        """Put the events iter_feed() has not handed out back where feed() takes them."""
        if self._queue:
            self._queue.reverse()
            self._queue.extend(self._events)
            self._events = self._queue
            self._queue = []
        return 0

    cdef int _settle(self) except -1:
        """End the iter_feed() call under way: decode at once the input it left."""
        cdef bytes chunk
        self._lazy = False
        self._unqueue()
        if self._pending is not None:
            chunk = self._pending
            self._pending = None
            self._scan(PyBytes_AS_STRING(chunk), PyBytes_GET_SIZE(chunk), self._pos, False)
        return 0

    cdef object _finish(self):
        events = self._events
        error = self._comment_error
        if error is not None:
            # The events and any limit error wait for the next call.
            self._comment_error = None
            raise error
        limit_error = self._limit_error
        self._limit_error = None
        self._events = []
        limit_error.events = events
        raise limit_error

    cdef int _take(self, bytes chunk) except -1:
        self._scan(PyBytes_AS_STRING(chunk), PyBytes_GET_SIZE(chunk), self._start(chunk), False)
        return 0

    cdef Py_ssize_t _start(self, bytes chunk) except -1:
        """The BOM step: where in `chunk` the scan starts (its length: nowhere)."""
        cdef const char *p = PyBytes_AS_STRING(chunk)
        cdef Py_ssize_t n = PyBytes_GET_SIZE(chunk)
        cdef Py_ssize_t have, want
        cdef char head[3]
        if self._at_start:
            # "The UTF-8 decode algorithm strips one leading UTF-8 Byte Order
            # Mark (BOM), if any": hold up to three bytes until we know.
            have = self._head_len
            want = min(3 - have, n)
            memcpy(self._head + have, p, want)
            if memcmp(self._head, PyBytes_AS_STRING(_BOM), have + want) == 0:
                if have + want < 3:
                    self._head_len = have + want
                    return n
                # The BOM: dropped.
                self._at_start = False
                self._head_len = 0
                return want
            # No BOM: the held bytes first (a part of a BOM, so no line ends
            # there and nothing is dispatched), then the chunk.
            self._at_start = False
            self._head_len = 0
            if have:
                memcpy(head, self._head, have)
                self._scan(head, have, 0, False)
        return 0

    cdef int _append_line(self, const char *p, Py_ssize_t n) except -1:
        cdef Py_ssize_t need = self._line_len + n
        cdef Py_ssize_t cap
        cdef char *grown
        if need > self._line_cap:
            cap = max(need, self._line_cap + self._line_cap // 2, 256)
            grown = <char *>PyMem_Realloc(self._line, cap)
            if grown == NULL:
                raise MemoryError()
            self._line = grown
            self._line_cap = cap
        memcpy(self._line + self._line_len, p, n)
        self._line_len = need
        return 0

    cdef Py_ssize_t _scan(self, const char *p, Py_ssize_t n, Py_ssize_t i, bint lazy) except -1:
        """Cut `p[i:n]` into lines and apply the rules to each complete one.

        Returns where it stopped: `n`, or with `lazy`, just after the line
        whose dispatch made an event (the list of events is empty before).
        A lazy scan is of the pending input, and resumes with the LF and CR
        that the one before found.
        """
        cdef Py_ssize_t e, lf, cr, nxt, total
        cdef const char *hit
        if i >= n:
            return n
        if self._skip_lf:
            # The previous chunk ended with CR: an LF opening this one is the
            # second half of a CR LF pair. (A lazy scan resumes just after a
            # line ending that it consumed whole, so never with this set.)
            self._skip_lf = False
            if p[i] == b'\n':
                i += 1
        # The next LF and CR at or after i (n for none), found with memchr
        # and looked for again only once passed: linear in n.
        if lazy:
            lf = self._next_lf
            cr = self._next_cr
        else:
            lf = -1
            cr = -1
        while i < n:
            if lf < i:
                hit = <const char *>memchr(p + i, b'\n', n - i)
                lf = n if hit == NULL else hit - p
            if cr < i:
                hit = <const char *>memchr(p + i, b'\r', n - i)
                cr = n if hit == NULL else hit - p
            e = lf if lf < cr else cr
            if e == n:
                # The line under way.
                if self._dropping:
                    return n
                if self._line_len + (n - i) > self._max_line:
                    # Over max_line_size already: its block goes now (this
                    # call raises), and the rest of the line as it arrives.
                    self._line_len = 0
                    self._dropping = True
                    self._too_long()
                    return n
                self._append_line(p + i, n - i)
                return n
            if p[e] == b'\r':
                if e + 1 < n:
                    nxt = e + 2 if p[e + 1] == b'\n' else e + 1
                else:
                    self._skip_lf = True
                    nxt = e + 1
            else:
                nxt = e + 1
            if self._dropping:
                # The end of a line over the limit, already reported.
                self._dropping = False
            elif self._line_len == 0:
                if e - i > self._max_line:
                    self._too_long()
                else:
                    self._line_rules(p + i, e - i)
            else:
                total = self._line_len + (e - i)
                if total > self._max_line:
                    self._line_len = 0
                    self._too_long()
                else:
                    self._append_line(p + i, e - i)
                    # Taken out of the buffer before the rules run, so that
                    # the state is whole whatever they raise.
                    self._line_len = 0
                    self._line_rules(self._line, total)
                    if self._line_cap > _KEEP:
                        PyMem_Free(self._line)
                        self._line = NULL
                        self._line_cap = 0
            i = nxt
            if lazy and PyList_GET_SIZE(self._events):
                # An event: iter_feed() hands it out before scanning on.
                self._next_lf = lf
                self._next_cr = cr
                return i
        return n

    cdef int _too_long(self) except -1:
        """A line over max_line_size: the block goes (unless it is going already)."""
        if not self._skipping:
            self._drop_block(LineTooLong(self._max_line_size))
        return 0

    cdef int _drop_block(self, error) except -1:
        if self._limit_error is None:
            self._limit_error = error
        self._new_block()
        self._skipping = True
        return 0

    cdef int _line_rules(self, const char *p, Py_ssize_t n) except -1:
        """The field rules, for one complete line `p[0:n]` (no line ending)."""
        cdef const char *colon
        cdef const char *v
        cdef Py_ssize_t f, vn
        if self._skipping:
            # The rest of a block that broke a limit, up to its blank line.
            if n == 0:
                self._skipping = False
            return 0
        if n == 0:
            # "If the line is empty (a blank line): Dispatch the event."
            return self._dispatch()
        if p[0] == b':':
            # "Ignore the line", once on_comment has seen it.
            if self._on_comment is not None:
                if n > 1 and p[1] == b' ':
                    self._comment(_decode(p + 2, n - 2))
                else:
                    self._comment(_decode(p + 1, n - 1))
            return 0
        colon = <const char *>memchr(p, b':', n)
        if colon == NULL:
            f = n
            v = p + n
            vn = 0
        else:
            f = colon - p
            v = colon + 1
            vn = n - f - 1
            if vn > 0 and v[0] == b' ':
                v += 1
                vn -= 1
        # "Field names must be compared literally, with no case folding."
        if f == 4 and memcmp(p, b"data", 4) == 0:
            return self._data_line(v, vn)
        if f == 5 and memcmp(p, b"event", 5) == 0:
            self._event_type = self._type_of(v, vn)
        elif f == 2 and memcmp(p, b"id", 2) == 0:
            # Ignored if the value contains NUL.
            if vn == 0 or memchr(v, 0, vn) == NULL:
                self._id_buffer = self._id_of(v, vn)
        elif f == 5 and memcmp(p, b"retry", 5) == 0:
            self._retry_line(v, vn)
        # "Otherwise: The field is ignored."
        return 0

    cdef int _data_line(self, const char *v, Py_ssize_t vn) except -1:
        cdef Py_ssize_t size, need, cap, chars
        cdef char *grown
        # The limit is counted as the buffer grows, in characters, plus an
        # LF per line: bytes bound characters from above, so the exact count
        # (decoding) is needed only once the bytes pass the limit.
        if self._exact:
            chars = len(_decode(v, vn))
            size = self._data_size + chars + 1
        else:
            size = self._data_size + vn + 1
            if size > self._max_data_size:
                self._exact = True
                if self._has_data:
                    self._data_size = len(_decode(self._data, self._data_len)) + 1
                else:
                    self._data_size = 0
                chars = len(_decode(v, vn))
                size = self._data_size + chars + 1
        if size > self._max_data_size:
            return self._drop_block(EventTooLarge(self._max_event_size))
        self._data_size = size
        if not self._has_data and vn > 4096 and self._line <= v < self._line + self._line_cap:
            # A long first line, assembled in the line buffer: that buffer
            # becomes the data buffer (the value moved to its start), and the
            # data buffer the line buffer, rather than a copy of the value.
            grown = self._data
            cap = self._data_cap
            self._data = self._line
            self._data_cap = self._line_cap
            self._line = grown
            self._line_cap = cap
            memmove(self._data, v, vn)
            self._data_len = vn
            self._has_data = True
            return 0
        need = self._data_len + vn + (1 if self._has_data else 0)
        if need > self._data_cap:
            cap = max(need, self._data_cap + self._data_cap // 2, 256)
            grown = <char *>PyMem_Realloc(self._data, cap)
            if grown == NULL:
                raise MemoryError()
            self._data = grown
            self._data_cap = cap
        if self._has_data:
            self._data[self._data_len] = b'\n'
            self._data_len += 1
        memcpy(self._data + self._data_len, v, vn)
        self._data_len += vn
        self._has_data = True
        return 0

    cdef object _type_of(self, const char *v, Py_ssize_t vn):
        if vn == self._type_len and memcmp(v, self._type_raw, vn) == 0:
            return self._type_str
        self._type_str = _decode(v, vn)
        if vn <= _CACHED:
            memcpy(self._type_raw, v, vn)
            self._type_len = vn
        else:
            self._type_len = -1
        return self._type_str

    cdef object _id_of(self, const char *v, Py_ssize_t vn):
        if vn == self._id_len and memcmp(v, self._id_raw, vn) == 0:
            return self._id_str
        self._id_str = _decode(v, vn)
        if vn <= _CACHED:
            memcpy(self._id_raw, v, vn)
            self._id_len = vn
        else:
            self._id_len = -1
        return self._id_str

    cdef int _retry_line(self, const char *v, Py_ssize_t vn) except -1:
        """ASCII digits only, at most 640 once leading zeros are dropped."""
        cdef Py_ssize_t k, start = 0
        cdef long long small = 0
        if vn == 0:
            return 0
        for k in range(vn):
            if v[k] < b'0' or v[k] > b'9':
                return 0
        while start < vn and v[start] == b'0':
            start += 1
        if vn - start > _MAX_RETRY_DIGITS:
            return 0
        if vn - start <= 18:
            for k in range(start, vn):
                small = small * 10 + (v[k] - 48)
            value = small
        else:
            value = int(PyBytes_FromStringAndSize(v + start, vn - start))
        self._retry = value
        self._block_retry = value
        return 0

    cdef int _comment(self, str text) except -1:
        """Show on_comment a comment; what it raises waits for feed()'s end."""
        try:
            self._on_comment(text)
        except Exception as exc:
            if self._comment_error is None:
                self._comment_error = exc
        return 0

    cdef int _dispatch(self) except -1:
        # 1. The last event ID string takes the last event ID buffer.
        self._last_event_id = self._id_buffer
        # 2.-6. An event if the data buffer is not empty: its data without
        # the last LF, the type from the buffer or "message".
        if self._has_data:
            self._events.append(
                ssec_new_event(
                    _Event,
                    self._event_type or _MESSAGE,
                    _decode(self._data, self._data_len),
                    self._last_event_id,
                    self._block_retry,
                )
            )
        # 7. Empty the buffers.
        if self._data_cap > _KEEP:
            PyMem_Free(self._data)
            self._data = NULL
            self._data_cap = 0
        self._data_len = 0
        self._has_data = False
        self._data_size = 0
        self._exact = False
        self._event_type = _EMPTY
        self._block_retry = None
        return 0

    # --- For the tests: what the decoder holds, as comparable values. ---------

    def _debug_state(self):
        return (
            PyBytes_FromStringAndSize(self._line, self._line_len),
            PyBytes_FromStringAndSize(self._data, self._data_len),
            self._has_data,
            self._data_size,
            self._exact,
            self._event_type,
            self._id_buffer,
            self._block_retry,
            self._on_comment,
            self._last_event_id,
            self._retry,
            self._at_start,
            PyBytes_FromStringAndSize(self._head, self._head_len),
            self._skip_lf,
            self._dropping,
            self._skipping,
            list(self._events),
            self._limit_error,
            self._comment_error,
            list(self._queue),
            b"" if self._pending is None else self._pending[self._pos:],
            self._lazy,
        )

    def _debug_held(self):
        """The bytes of the line under way, and the characters of the open event's data."""
        return (
            self._line_len,
            len(_decode(self._data, self._data_len)) if self._has_data else 0,
        )


cdef class _Events:
    """The iterator `Decoder.iter_feed()` returns: each step decodes up to an event."""

    cdef Decoder _decoder
    cdef Py_ssize_t _turn

    def __iter__(self):
        return self

    def __next__(self):
        event = self._decoder._next_event(self._turn)
        if event is None:
            raise StopIteration
        return event


ssec_present_as(Decoder, "ssec_proto.Decoder")
