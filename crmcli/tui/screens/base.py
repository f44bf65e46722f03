"""What every view shares: the view bar and footer, loading off the UI thread, refresh, back.

A view declares which numbered view it belongs to (``VIEW``), which of its actions
write (``WRITES``: their keys are marked in a read-only session and refuse there),
and implements :meth:`ViewScreen.reload`.  It asks for data with
:meth:`ViewScreen.load`, which runs a :mod:`crmcli.tui.data` call in a thread
worker and hands the result back on the UI thread.
"""

from __future__ import annotations

import os
from typing import Any, Callable, ClassVar, TypeVar

from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import Footer
from textual.worker import Worker, get_current_worker

from crmcli.errors import CrmError
from crmcli.i18n import N_, _
from crmcli.tui.keys import localise
from crmcli.tui.style import beside
from crmcli.tui.widgets.view_bar import ViewBar

T = TypeVar("T")


def error_text(exc: CrmError) -> str:
    """A service's error as the CLI words it: the message, then the hint."""
    if exc.hint:
        return exc.message + " " + _("(hint: {hint})").format(hint=exc.hint)
    return exc.message


def run_in_thread(node: Any, job: Callable[[], T], done: Callable[[T], None],
                  failed: Callable[[CrmError], None], *, group: str, exclusive: bool) -> Worker:
    """Run ``job`` in a thread worker of ``node``; ``done``/``failed`` run on the UI thread.

    With ``exclusive`` a newer load of the same group supersedes an older one, whose
    result is then dropped (a thread cannot be stopped, but its answer can be ignored).
    """
    app = node.app

    def deliver(callback: Callable[..., None], value: Any) -> None:
        try:
            app.call_from_thread(callback, value)
        except RuntimeError:  # the app has already stopped
            pass

    def run() -> None:
        worker = get_current_worker()
        try:
            result = job()
        except CrmError as exc:
            if not worker.is_cancelled:
                deliver(failed, exc)
            return
        except Exception as exc:  # noqa: BLE001 - a bug: say so in one line, as the CLI does
            if os.environ.get("CRM_DEBUG"):
                raise
            deliver(failed, CrmError(_("internal error: {kind}: {detail}").format(
                kind=type(exc).__name__, detail=exc)))
            return
        if not worker.is_cancelled:
            deliver(done, result)

    return node.run_worker(run, thread=True, exclusive=exclusive, group=group, exit_on_error=False)


class ViewScreen(Screen):
    """A screen of one of the numbered views (also a record opened from it)."""

    DEFAULT_CSS = beside(__file__)
    AUTO_FOCUS = "RecordTable"
    VIEW: ClassVar[str] = ""
    RELOADS: ClassVar[bool] = True  # False for a view with nothing to fetch yet (r is then hidden)
    WRITES: ClassVar[frozenset[str]] = frozenset()
    BINDINGS = [
        Binding("r", "reload", N_("Refresh"), id="view.refresh"),
        Binding("escape", "back", N_("Back"), show=False, id="view.back"),
    ]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        localise(self, self.WRITES, self.readonly)

    @property
    def data(self):
        return self.app.data

    @property
    def readonly(self) -> bool:
        return bool(getattr(self.app, "readonly", False))

    def where(self) -> str:
        """What the view bar shows on the right instead of the user (a record's title)."""
        return ""

    def compose(self) -> ComposeResult:
        yield ViewBar(self.VIEW, self.where())
        yield from self.compose_body()
        yield Footer(compact=True, show_command_palette=False)

    def compose_body(self) -> ComposeResult:
        yield from ()

    # -- data -------------------------------------------------------------------------

    def load(self, job: Callable[[], T], done: Callable[[T], None], *, group: str = "load",
             exclusive: bool = True, failed: Callable[[CrmError], None] | None = None) -> Worker:
        return run_in_thread(self, job, done, failed or self.failed, group=group, exclusive=exclusive)

    def failed(self, exc: CrmError) -> None:
        self.notify(error_text(exc), severity="error", timeout=8)

    def reload(self) -> None:
        """Fetch this view's records again (another process's changes appear)."""

    def on_screen_resume(self) -> None:
        self.reload()

    # -- actions ----------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "reload" and not self.RELOADS:
            return False
        return True

    def action_reload(self) -> None:
        self.reload()

    def action_back(self) -> None:
        if len(self.app.screen_stack) > 1:
            self.app.pop_screen()

    def refuse_write(self) -> bool:
        """In a read-only session, say so and return True (the caller then does nothing)."""
        if not self.readonly:
            return False
        self.notify(_("this is a read-only session (crm tui --readonly): nothing can be changed"),
                    severity="warning")
        return True
