"""A one-question form (modal): a reason to lose a deal, when to snooze a task, whom to transfer to.

Nothing is checked here: the answer goes to the same service as the CLI's option
(``--reason``, ``--until``, ``--to``), run off the UI thread, and that service's error is shown
inside the form, which stays open.  Returns what the service call returned, or None when
cancelled.
"""

from __future__ import annotations

from typing import Any, Callable

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Static

from crmcli.errors import CrmError
from crmcli.i18n import N_, _
from crmcli.tui.keys import localise
from crmcli.tui.screens.base import run_in_thread
from crmcli.tui.style import beside


class AskScreen(ModalScreen[Any]):
    DEFAULT_CSS = beside(__file__)
    BINDINGS = [
        Binding("escape", "cancel", N_("Cancel"), id="form.cancel"),
        Binding("ctrl+s", "save", N_("Save"), id="form.save"),
    ]

    def __init__(self, title: str, label: str, submit: Callable[[str], Any], *, placeholder: str = "",
                 value: str = "", button: str = "") -> None:
        super().__init__()
        self.form_title = title
        self.label = label
        self.submit = submit
        self.placeholder = placeholder
        self.value = value
        self.button = button or _("Save")
        self.saving = False
        localise(self)

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Static(self.form_title, id="form-title")
            with Horizontal(id="row"):
                yield Label(self.label, classes="field-label")
                yield Input(value=self.value, placeholder=self.placeholder, compact=True, id="answer")
            yield Static("", id="error")
            with Horizontal(id="buttons"):
                yield Button(self.button, variant="primary", compact=True, id="save")
                yield Button(_("Cancel"), compact=True, id="cancel")

    def on_mount(self) -> None:
        self.query_one("#error").display = False
        self.query_one("#answer", Input).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id == "save":
            self.action_save()
        else:
            self.action_cancel()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.action_save()

    def action_cancel(self) -> None:
        if not self.saving:
            self.dismiss(None)

    def action_save(self) -> None:
        if self.saving:
            return
        self.saving = True
        self.query_one("#save", Button).disabled = True
        answer = self.query_one("#answer", Input).value
        run_in_thread(self, lambda: self.submit(answer), self.dismiss, self.refused, group="write", exclusive=False)

    def refused(self, exc: CrmError) -> None:
        self.saving = False
        self.query_one("#save", Button).disabled = False
        error = self.query_one("#error", Static)
        error.update(exc.message)
        error.display = True
