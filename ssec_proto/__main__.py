"""`python -m ssec_proto`: the `ssec-proto` command."""

from __future__ import annotations

from .cli import main

if __name__ == "__main__":  # pragma: no cover - runs only as a script
    raise SystemExit(main())
