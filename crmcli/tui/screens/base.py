"""What every view shares: the view bar and footer, loading off the UI thread, refresh, back.

A view declares which numbered view it belongs to (``VIEW``), which of its actions
write (``WRITES``: their keys are marked in a read-only session and refuse there),
and implements :meth:`ViewScreen.reload`.  It asks for data with
:meth:`ViewScreen.load`, which runs a :mod:`crmcli.tui.data` call in a thread
worker and hands the result back on the UI thread.
"""

from __future__ import annotations

from typing import Any, Callable, ClassVar, TypeVar

from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import Footer
from textual.worker import Worker, get_current_worker

from crmcli.errors import CrmError
from crmcli.i18n import N_, _
from crmcli.tui.crash import debug, guarded, hint, summary, write_log
from crmcli.tui.keys import localise
from crmcli.tui.safe import clean, clean_all
from crmcli.tui.style import beside
from crmcli.tui.widgets.view_bar import ViewBar

T = TypeVar("T")
WAIT_HINT = 1.0  # seconds a write may take before the user is told it is waiting for the database


def error_text(exc: CrmError) -> str:
    """A service's error as the CLI words it: the message, then the hint (control characters made visible)."""
    if exc.hint:
        return clean(exc.message) + " " + _("(hint: {hint})").format(hint=clean(exc.hint))
    return clean(exc.message)


def run_in_thread(node: Any, job: Callable[[], T], done: Callable[[T], None],
                  failed: Callable[[CrmError], None], *, group: str, exclusive: bool) -> Worker:
    """Run ``job`` in a thread worker of ``node``; ``done``/``failed`` run on the UI thread.

    This is the one road from the data layer to the screen: the result's strings are made
    safe to show (:func:`crmcli.tui.safe.clean_all`), and ``done`` and ``failed`` are
    :func:`crmcli.tui.crash.guarded`, so a bug in them is reported instead of lost in the worker.
    With ``exclusive`` a newer load of the same group supersedes an older one, whose
    result is then dropped (a thread cannot be stopped, but its answer can be ignored).
    """
    app = node.app
    on_done, on_failed = guarded(node, done), guarded(node, failed)

    def deliver(callback: Callable[..., Any], value: Any) -> None:
        try:
            app.call_from_thread(callback, value)
        except RuntimeError:  # the app has already stopped
            pass

    def run() -> None:
        worker = get_current_worker()
        try:
            result = clean_all(job())
        except CrmError as exc:
            if not worker.is_cancelled:
                deliver(on_failed, exc)
            return
        except Exception as exc:  # noqa: BLE001 - a bug: say so in one line, as the CLI does
            if debug():
                raise
            path = write_log(exc)
            deliver(on_failed, CrmError(summary(exc), hint=hint(path)))
            return
        if not worker.is_cancelled:
            deliver(on_done, result)

    return node.run_worker(run, thread=True, exclusive=exclusive, group=group, exit_on_error=False)


def say_while_waiting(node: Any, worker: Worker) -> None:
    """If a write is still running after :data:`WAIT_HINT` (another crm holds the lock), say so."""

    def check() -> None:
        if not worker.is_finished:
            node.app.notify(_("Saving… the database is busy (another crm is writing); this waits for it."),
                            timeout=max(3, WAIT_HINT * 3))

    node.set_timer(WAIT_HINT, guarded(node, check))


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
        worker = run_in_thread(self, job, done, failed or self.failed, group=group, exclusive=exclusive)
        if group == "write":
            say_while_waiting(self, worker)
        return worker

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
