from __future__ import annotations

import pytest

from ssec_proto import Decoder as MyParser  # your parser: anything with feed(bytes) -> events
from ssec_proto.testing import Case, assert_case, assert_streams, cases


@pytest.mark.parametrize("case", cases(), ids=str)
def test_sse_case(case: Case) -> None:
    assert_case(MyParser, case)


def test_sse_generated_streams() -> None:
    assert_streams(MyParser)
