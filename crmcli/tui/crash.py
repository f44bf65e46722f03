"""When the app's own code fails: the user is told, and the details go to a crash log.

Two kinds of failure, two endings:

* a bug in a **background job's callback** (a worker's result arriving, a timer, a form's
  answer) must not vanish — Textual would swallow it in the worker, leaving a view on
  "Loading…" forever.  :func:`guarded` wraps every such callback: the error becomes a toast
  naming the crash log, and the app goes on;
* an exception that **ends the app** (an event handler's) makes ``crm tui`` exit with 1 and one
  line, ``crm: error: … (hint: the details are in …/tui-crash.log)`` — :func:`ended_on` reads
  it from :class:`crmcli.tui.app.CrmApp` after ``run()``.

The traceback is written to ``tui-crash.log`` in crm's data directory (without the local
variables Textual would print, which could hold customers' data); ``CRM_DEBUG=1`` prints it too.
"""

from __future__ import annotations

import inspect
import os
import traceback
from datetime import datetime, timezone
from functools import wraps
from pathlib import Path
from typing import Any, Callable

from crmcli.errors import CrmError
from crmcli.i18n import _

LOG_NAME = "tui-crash.log"


def debug() -> bool:
    return os.environ.get("CRM_DEBUG", "") not in ("", "0")


def log_path() -> Path:
    from crmcli import settings

    return settings.data_dir() / LOG_NAME


def write_log(exc: BaseException) -> Path | None:
    """Append ``exc``'s traceback to the crash log; its path, or None if it cannot be written."""
    path = log_path()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        stamp = datetime.now(timezone.utc).isoformat(timespec="seconds")
        with path.open("a", encoding="utf-8") as log:
            log.write(f"--- crm tui, {stamp}\n")
            log.write("".join(traceback.format_exception(type(exc), exc, exc.__traceback__)))
    except OSError:
        return None
    return path


def summary(exc: BaseException) -> str:
    """One line naming the failure, as the CLI's internal errors do."""
    lines = [line for line in str(exc).strip().splitlines() if line.strip()]
    return _("internal error: {kind}: {detail}").format(kind=type(exc).__name__, detail=lines[0] if lines else "")


def hint(path: Path | None) -> str:
    if path is None:
        return _("run again with CRM_DEBUG=1 for the traceback")
    return _("the details are in {path}").format(path=path)


def report(app: Any, exc: BaseException) -> None:
    """Tell the user about a bug in a callback (a toast) and keep the traceback in the crash log."""
    path = write_log(exc)
    if debug():
        traceback.print_exception(type(exc), exc, exc.__traceback__)
    app.notify(f"{summary(exc)} ({hint(path)})", severity="error", timeout=15)


def guarded(node: Any, callback: Callable[..., Any]) -> Callable[..., Any]:
    """``callback`` (plain or async), with any exception it raises reported by :func:`report`."""

    @wraps(callback)
    async def run(*args: Any, **kwargs: Any) -> Any:
        try:
            result = callback(*args, **kwargs)
            if inspect.isawaitable(result):
                result = await result
            return result
        except Exception as exc:  # noqa: BLE001 - a bug: say it, keep the app
            report(node.app, exc)
            return None

    return run


def ended_on(app: Any) -> CrmError | None:
    """The error ``crm tui`` ends with when the app stopped on an exception (None after a normal quit)."""
    if not app.return_code:
        return None
    exc = getattr(app, "crash", None)
    if exc is None:
        return CrmError(_("the app stopped with exit code {code}").format(code=app.return_code))
    return CrmError(summary(exc), hint=hint(getattr(app, "crash_log", None)))
