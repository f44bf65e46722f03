"""What the TUI's modal forms share: save and cancel, one save at a time, the service's error inside.

A form checks nothing itself: :meth:`FormScreen.job` hands what was typed to the same service
as the CLI, run off the UI thread; while it runs the save button is disabled (a second
``ctrl+s`` or ``enter`` does nothing), and a refusal shows the service's message in the form,
which stays open.  The form is dismissed with what the service returned, or None on cancel.
A subclass composes ``#dialog`` (its fields, then :meth:`FormScreen.error_and_buttons`), names
the field that gets the focus first, and says what saving does.
"""

from __future__ import annotations

from typing import Any, Callable, ClassVar

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Static

from crmcli.errors import CrmError
from crmcli.i18n import N_, _
from crmcli.tui.keys import localise
from crmcli.tui.safe import text
from crmcli.tui.screens.base import run_in_thread, say_while_waiting
from crmcli.tui.style import beside


class FormScreen(ModalScreen[Any]):
    DEFAULT_CSS = beside(__file__)
    BINDINGS = [
        Binding("escape", "cancel", N_("Cancel"), id="form.cancel"),
        Binding("ctrl+s", "save", N_("Save"), id="form.save"),
    ]
    FIRST: ClassVar[str] = ""  # the id of the input that has the focus when the form opens

    def __init__(self) -> None:
        super().__init__()
        self.saving = False
        localise(self)

    # -- what a subclass says ---------------------------------------------------------------

    def job(self) -> Callable[[], Any]:
        """The service call for what the form holds now (run in a worker thread)."""
        raise NotImplementedError

    # -- the shared parts --------------------------------------------------------------------

    def error_and_buttons(self, button: str = "") -> ComposeResult:
        yield Static("", id="error")
        with Horizontal(id="buttons"):
            yield Button(button or _("Save"), variant="primary", compact=True, id="save")
            yield Button(_("Cancel"), compact=True, id="cancel")

    def on_mount(self) -> None:
        self.query_one("#error").display = False
        self.query_one(f"#{self.FIRST}", Input).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id == "save":
            self.action_save()
        else:
            self.action_cancel()

    def action_cancel(self) -> None:
        if not self.saving:
            self.dismiss(None)

    def action_save(self) -> None:
        if self.saving:
            return
        self.saving = True
        self.query_one("#save", Button).disabled = True
        say_while_waiting(self, run_in_thread(self, self.job(), self.dismiss, self.refused, group="write",
                                              exclusive=False))

    def refused(self, exc: CrmError) -> None:
        self.saving = False
        self.query_one("#save", Button).disabled = False
        error = self.query_one("#error", Static)
        error.update(text(exc.message))  # the service's words (never markup); its hints speak of command-line options
        error.display = True
