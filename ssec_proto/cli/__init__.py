"""The `ssec-proto` command line (`python -m ssec_proto`).

Not imported by `import ssec_proto`. `main()` runs the command;
`ExitCode` lists how it can end.
"""

from __future__ import annotations

from ._exits import EXIT_CODES, ExitCode
from ._main import main

__all__ = ["EXIT_CODES", "ExitCode", "main"]
