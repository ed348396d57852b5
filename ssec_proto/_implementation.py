"""Which decoder `ssec_proto.Decoder` is: the compiled one, or the pure-Python one.

The compiled decoder (`_cdecoder`, built from `_cdecoder.pyx` where a C
compiler is available) is used when it imports; the pure-Python decoder
(`_decoder.py`) is the reference and the fallback, with the same API and
the same events. Setting the environment variable `SSEC_PROTO_NO_EXTENSIONS`
to anything but `""` or `"0"` selects the pure one.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Literal

from ._decoder import Decoder as PureDecoder

__all__ = ["DECODER_IMPLEMENTATION", "Decoder", "load"]


def load() -> tuple[type[PureDecoder], Literal["compiled", "pure"]]:
    """The decoder class to use, and which one it is."""
    if os.environ.get("SSEC_PROTO_NO_EXTENSIONS", "") not in ("", "0"):
        return PureDecoder, "pure"
    try:
        from ._cdecoder import Decoder as CompiledDecoder  # noqa: PLC0415 - optional
    except ImportError:
        return PureDecoder, "pure"
    # The same API (see _cdecoder.pyi), though not a subclass.
    return CompiledDecoder, "compiled"  # type: ignore[return-value]


_loaded = load()

DECODER_IMPLEMENTATION: Literal["compiled", "pure"] = _loaded[1]
"""Which decoder [ssec_proto.Decoder][] is: `"compiled"` or `"pure"`.

`"compiled"` is the C extension built from `ssec_proto/_cdecoder.pyx` when
ssec-proto was installed where a C compiler was available (the wheels on
PyPI include it); `"pure"` is the pure-Python decoder, the reference, used
where the extension is missing or when the environment variable
`SSEC_PROTO_NO_EXTENSIONS` is set (to anything but `""` or `"0"`) before
ssec_proto is imported. Both take the same options and give the same events
and errors. `ssec-proto --version` shows it too.
"""

if TYPE_CHECKING:
    from ._decoder import Decoder
else:
    Decoder = _loaded[0]
