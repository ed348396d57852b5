"""An earlier commit's ``ssec_proto``, importable next to the working tree's.

``--baseline REF`` (in ``benchmarks.run`` and ``benchmarks.instructions``)
measures the decoder of git commit ``REF`` as one more target of the same
run, so that before and after are side by side, under the same load:

* :func:`extract` writes ``git archive REF ssec_proto`` into a temporary
  directory as the package ``ssec_proto_baseline`` (the package imports its
  own modules relatively, so it works under another name);
* :func:`load` imports it from there.

The directory is removed when the process that extracted it exits.
"""

from __future__ import annotations

import atexit
import importlib
import io
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from types import ModuleType

__all__ = ["NAME", "extract", "label", "load"]

#: The package name the baseline is imported under.
NAME = "ssec_proto_baseline"
ROOT = Path(__file__).resolve().parent.parent


def label(ref: str) -> str:
    """The baseline's name in reports: ``ssec_proto@<short commit>``."""
    commit = subprocess.run(
        ["git", "rev-parse", "--short", f"{ref}^{{commit}}"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    return f"ssec_proto@{commit}"


def extract(ref: str) -> Path:
    """Write ``ref``'s ``ssec_proto`` as ``ssec_proto_baseline`` into a new directory."""
    archive = subprocess.run(
        ["git", "archive", "--format=tar", ref, "ssec_proto"],
        cwd=ROOT,
        capture_output=True,
        check=True,
    ).stdout
    directory = Path(tempfile.mkdtemp(prefix="ssec-baseline-"))
    atexit.register(shutil.rmtree, directory, ignore_errors=True)
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        for member in tar.getmembers():
            if not member.isfile():
                continue
            path = directory / NAME / Path(member.name).relative_to("ssec_proto")
            path.parent.mkdir(parents=True, exist_ok=True)
            source = tar.extractfile(member)
            assert source is not None
            path.write_bytes(source.read())
    return directory


def load(directory: Path | str) -> ModuleType:
    """Import the baseline package from ``directory`` (made by :func:`extract`)."""
    if str(directory) not in sys.path:
        sys.path.insert(0, str(directory))
    return importlib.import_module(NAME)
