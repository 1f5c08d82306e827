"""The errors worklog reports to a user, each with its exit code.

The library raises these; the CLI prints ``str(error)`` as one line on stderr and exits
with ``error.exit_code``. Exit codes are part of the interface (docs/CLI.md).
"""

from __future__ import annotations

from enum import IntEnum
from pathlib import Path


class ExitCode(IntEnum):
    """worklog's exit codes (README.md, "Errors and exit codes")."""

    OK = 0
    FAILED = 1  # an action ran and failed (a snapshot, a command), or check found problems
    USAGE = 2  # a bad argument or option
    CHANGED = 3  # the log changed since it was read: nothing was written
    FILE = 4  # the log cannot be read or written
    HYPERVISOR = 5  # the hypervisor cannot be reached or libvirt-python is missing
    UNCONFIRMED = 6  # written, but the system could not confirm it is on disk
    INTERRUPTED = 130  # Ctrl-C (SIGINT) reached worklog itself, as a shell reports it


EXIT_OK = ExitCode.OK
EXIT_FAILED = ExitCode.FAILED
EXIT_USAGE = ExitCode.USAGE
EXIT_CHANGED = ExitCode.CHANGED
EXIT_FILE = ExitCode.FILE
EXIT_HYPERVISOR = ExitCode.HYPERVISOR
EXIT_UNCONFIRMED = ExitCode.UNCONFIRMED


class WorklogError(Exception):
    """An error with a message meant for the user."""

    exit_code: int = ExitCode.FAILED


class UsageError(WorklogError):
    """A bad argument: the message names it."""

    exit_code = ExitCode.USAGE


class ConfigError(WorklogError):
    """The configuration file cannot be used."""

    exit_code = ExitCode.USAGE


class LogFileError(WorklogError):
    """The log file cannot be read or written; nothing in it was changed."""

    exit_code = ExitCode.FILE

    def __init__(self, path: Path | str, message: str, line: int | None = None) -> None:
        where = f"{path}:{line}" if line is not None else str(path)
        super().__init__(f"{where}: {message}")
        self.path = Path(path)
        self.line = line
        self.reason = message


class FileChangedError(LogFileError):
    """The file changed between worklog's read and its write: the write was refused."""

    exit_code = ExitCode.CHANGED

    def __init__(self, path: Path | str) -> None:
        super().__init__(
            path,
            "changed since worklog read it (saved by another program?); "
            "nothing was written, run the command again",
        )


class UnconfirmedWriteError(WorklogError):
    """The new bytes are in the log, but the fsync that would confirm them on disk failed
    (after it the kernel may have dropped them): not "nothing changed", not "done"."""

    exit_code = EXIT_UNCONFIRMED

    def __init__(self, path: Path | str, reason: str) -> None:
        super().__init__(
            f"{path}: written, but the system could not confirm it is on disk ({reason}); "
            "look at the log before running the command again"
        )
        self.path = Path(path)
        self.reason = reason


class HypervisorError(WorklogError):
    """libvirt is missing or the hypervisor cannot be reached."""

    exit_code = ExitCode.HYPERVISOR


def os_error_message(exc: OSError) -> str:
    """A short, plain description of an OSError (no errno numbers, no path repeats)."""
    reason = exc.strerror or str(exc)
    return reason[:1].lower() + reason[1:]
