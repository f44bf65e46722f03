"""Ctrl-C: one handler, one message, and the truth about what was written.

``cli.run`` installs :func:`handler` for SIGINT while a command line runs.  It raises
:class:`~crmcli.errors.Interrupted`, which ``cli.run`` finds even where Typer turned it into a
silent exit 130 (``Interrupted.last``), and which ``crm batch`` re-raises at once instead of
counting one failed line; ``cli.run`` prints one line built by :func:`message` from the
runtime's ``committed`` flag (``Runtime.mark_committed``).

A commit runs inside :func:`deferred`: an interrupt that arrives while the database is
committing is acted on right after, when the runtime already knows the change was written.
"""

from __future__ import annotations

import signal
import threading
from contextlib import contextmanager
from typing import Any, Iterator

from crmcli.errors import Interrupted
from crmcli.i18n import _

_state = {"depth": 0, "pending": False}


def handler(_signum: int, _frame: Any) -> None:
    if _state["depth"]:
        _state["pending"] = True
        return
    raise Interrupted()


@contextmanager
def deferred() -> Iterator[None]:
    """Hold Ctrl-C during a short critical step (a commit and its bookkeeping), then act on it."""
    _state["depth"] += 1
    try:
        yield
    finally:
        _state["depth"] -= 1
        if not _state["depth"] and _state["pending"]:
            _state["pending"] = False
            raise Interrupted()


@contextmanager
def installed() -> Iterator[None]:
    """SIGINT raises Interrupted while the block runs (main thread only; a nested run keeps it)."""
    if threading.current_thread() is not threading.main_thread() or signal.getsignal(signal.SIGINT) is handler:
        yield
        return
    previous = signal.signal(signal.SIGINT, handler)
    _state["pending"] = False
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def message(committed: bool, note: str | None) -> str:
    """The one line printed on Ctrl-C."""
    if note:
        return _("crm: interrupted: {note}").format(note=note)
    if committed:
        return _("crm: interrupted, but the change had already been saved")
    return _("crm: interrupted: nothing was written")
