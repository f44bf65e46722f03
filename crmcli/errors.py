"""Every exit code and every error the program can report, in one place.

Services raise these; the CLI turns them into one line on stderr and the
matching exit code.  Keeping the table here means scripts and cron jobs can
rely on the codes documented in ``docs/exit-codes.md``.
"""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    OK = 0
    ERROR = 1
    USAGE = 2
    NOT_FOUND = 3
    PERMISSION = 4
    CONFLICT = 5
    VALIDATION = 6
    INTERRUPTED = 130


class CrmError(Exception):
    """An error a user can act on: a message, an optional hint, an exit code."""

    exit_code: ExitCode = ExitCode.ERROR
    debug: str | None = None  # details (a driver's SQL and parameters) shown only with CRM_DEBUG=1

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint


class UsageError(CrmError):
    """The command line itself is wrong (a malformed option value, a bad URL)."""

    exit_code = ExitCode.USAGE


class NotFound(CrmError):
    """The record does not exist, or the actor may not see it (so it cannot leak)."""

    exit_code = ExitCode.NOT_FOUND


class PermissionDenied(CrmError):
    """The actor is unknown, disabled, or lacks the operation permission."""

    exit_code = ExitCode.PERMISSION


class ReadOnlySession(PermissionDenied):
    """A write in a session opened read-only (``--read-only``, ``CRM_READ_ONLY=1``, ``crm tui --readonly``)."""


class Conflict(CrmError):
    """A duplicate, an already-claimed record, a stale write."""

    exit_code = ExitCode.CONFLICT


class Busy(Conflict):
    """SQLite's write lock stayed taken by another crm for longer than CRM_BUSY_TIMEOUT."""


class Collision(Conflict):
    """PostgreSQL ended the transaction (deadlock, serialization failure, lock timeout); retrying may work."""


class Interrupted(KeyboardInterrupt):
    """Ctrl-C (SIGINT), raised by crm's own handler (``crmcli/interrupts.py``).

    A ``KeyboardInterrupt``, so libraries clean up as for Ctrl-C (psycopg cancels the running
    query) and ``except Exception`` cannot swallow it.  Typer turns a ``KeyboardInterrupt`` into
    a silent exit 130; the newest one raised is kept in ``Interrupted.last``, so ``cli.run``
    still prints one line saying what was written.  ``committed`` and ``note`` carry that truth
    from a batch line to the batch.
    """

    last: "Interrupted | None" = None

    def __init__(self, committed: bool = False, note: str | None = None) -> None:
        super().__init__()
        self.committed = committed
        self.note = note
        Interrupted.last = self


class ValidationError(CrmError):
    """Bad input; nothing was written."""

    exit_code = ExitCode.VALIDATION
