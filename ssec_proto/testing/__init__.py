"""A conformance kit for any Server-Sent Events parser.

A corpus of named cases written from WHATWG HTML "Server-sent events" (the
stream's bytes, the spec step they exercise, and what a conforming parser
makes of them), run under every chunking that matters, plus generated
streams through [`ssec_proto.strategies`][ssec_proto.strategies]. It tests
any parser: give it a factory of objects with `feed(bytes) -> events`
(see [`Parser`][ssec_proto.testing.Parser]), or, for a parser in another
language, an [`AdapterProcess`][ssec_proto.testing.AdapterProcess].

In pytest, a test per case:

```python
import pytest

from ssec_proto import Decoder
from ssec_proto.testing import assert_case, cases


@pytest.mark.parametrize("case", cases(), ids=str)
def test_sse_case(case):
    assert_case(Decoder, case)
```

The rest of ssec-proto never imports this module, and this module imports
Hypothesis only to generate streams.
"""

from __future__ import annotations

from ._corpus import CORPUS_VERSION, Case, Dispatched, cases
from ._process import AdapterProcess
from ._properties import StreamsResult, assert_streams, check_streams
from ._report import Report, assert_conforms, run
from ._run import (
    AdapterError,
    CaseResult,
    Chunking,
    Failure,
    Parser,
    assert_case,
    chunkings,
    normalize,
    run_case,
)

__all__ = [
    "CORPUS_VERSION",
    "AdapterError",
    "AdapterProcess",
    "Case",
    "CaseResult",
    "Chunking",
    "Dispatched",
    "Failure",
    "Parser",
    "Report",
    "StreamsResult",
    "assert_case",
    "assert_conforms",
    "assert_streams",
    "cases",
    "check_streams",
    "chunkings",
    "normalize",
    "run",
    "run_case",
]
