"""Build the optional compiled decoder (ssec_proto/_cdecoder.pyx); metadata is in pyproject.toml.

The extension is optional: where it cannot be built (no C compiler, no
Cython, an interpreter other than CPython, or SSEC_PROTO_NO_EXTENSIONS=1 at
build time) the build warns and the package installs with the pure-Python
decoder alone, which it then uses. SSEC_PROTO_REQUIRE_EXTENSION=1 turns that
warning into an error (the release wheels are built so).
"""

from __future__ import annotations

import os
import platform
import sys

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext


def _wanted() -> bool:
    if os.environ.get("SSEC_PROTO_NO_EXTENSIONS", "") not in ("", "0"):
        return False
    return platform.python_implementation() == "CPython"


class OptionalBuildExt(build_ext):
    """build_ext that falls back to the pure-Python decoder on any failure."""

    def run(self) -> None:
        """Build the extensions, or warn that the pure decoder will be used."""
        try:
            super().run()
        except Exception as exc:
            _skipped(exc)

    def build_extension(self, ext: Extension) -> None:
        """Build one extension, or warn that the pure decoder will be used."""
        try:
            super().build_extension(ext)
        except Exception as exc:
            _skipped(exc)


def _skipped(exc: BaseException) -> None:
    if os.environ.get("SSEC_PROTO_REQUIRE_EXTENSION", "") not in ("", "0"):
        # Release builds (cibuildwheel) must not ship a wheel without it.
        raise RuntimeError("the compiled decoder is required and failed to build") from exc
    print(
        f"WARNING: ssec_proto's compiled decoder was not built ({exc}); "
        "the pure-Python decoder will be used.",
        file=sys.stderr,
    )


def _extensions() -> list[Extension]:
    if not _wanted():
        return []
    try:
        from Cython.Build import cythonize  # noqa: PLC0415 - optional
    except ImportError as exc:
        _skipped(exc)
        return []
    extension = Extension(
        "ssec_proto._cdecoder",
        ["ssec_proto/_cdecoder.pyx"],
        optional=True,
        extra_compile_args=["-O2", "-g0"] if sys.platform != "win32" else [],
    )
    return list(cythonize([extension], quiet=True, compiler_directives={"language_level": 3}))


setup(ext_modules=_extensions(), cmdclass={"build_ext": OptionalBuildExt})
