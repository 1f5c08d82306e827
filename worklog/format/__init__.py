"""The .LOG format of docs/FORMAT.md: bytes to a document and back, and its rules.

``SPEC_VERSION`` is the version of docs/FORMAT.md this package implements (a test holds
it to the spec's header); ``parse`` turns a file's bytes into a ``Document``. The
modules below import nothing above this package.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

SPEC_VERSION = "1.4"

__all__ = ["SPEC_VERSION", "parse"]

if TYPE_CHECKING:
    from worklog.format.document import parse
else:

    def __getattr__(name: str) -> Any:
        """``parse`` is imported on first use: importing one module of the package (the
        stamps, the writer) does not load the document parser."""
        if name == "parse":
            from worklog.format.document import parse  # noqa: PLC0415

            return parse
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
