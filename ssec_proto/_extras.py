"""The optional extras: what to install when a module of ours is imported without one."""

from __future__ import annotations

__all__ = ["missing_extra"]


def missing_extra(module: str, extra: str, error: ModuleNotFoundError) -> ModuleNotFoundError:
    """The error for a module of ours imported without the extra it needs.

    Python's own names whatever module was missing, often a dependency of a
    dependency (`anyio` for httpx); this one says what to install.
    """
    return ModuleNotFoundError(
        f"{module} needs the {extra!r} extra of ssec-proto ({error}); install it with: "
        f"pip install 'ssec-proto[{extra}]'",
        name=error.name,
    )
