"""The follow-up form (modal): via, note, next contact — ``crm NOUN follow`` in a window
(a lead, customer, contact or opportunity).

Nothing is checked here: the form hands what was typed to the same service as
the CLI, and shows that service's error (message and hint) inside the form.
Returns the new follow-up's id, or None when cancelled.
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Grid, Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Select, Static

from crmcli.errors import CrmError
from crmcli.i18n import N_, _
from crmcli.tui.keys import localise
from crmcli.tui.screens.base import run_in_thread
from crmcli.tui.style import beside


class FollowUpScreen(ModalScreen[int | None]):
    DEFAULT_CSS = beside(__file__)
    BINDINGS = [
        Binding("escape", "cancel", N_("Cancel"), id="form.cancel"),
        Binding("ctrl+s", "save", N_("Save"), id="form.save"),
    ]

    def __init__(self, record_id: int, title: str, kind: str = "lead") -> None:
        super().__init__()
        self.record_id = self.lead_id = record_id
        self.kind = kind
        self.record_title = title
        self.saving = False
        localise(self)

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Static(_("Log a follow-up: {record}").format(record=self.record_title), id="form-title")
            with Grid(id="form"):
                yield Label(_("via"), classes="field-label")
                yield Select(self.app.data.follow_up_methods(), value="phone", allow_blank=False, compact=True,
                             id="via")
                yield Label(_("note"), classes="field-label")
                yield Input(placeholder=_("What was said or done."), compact=True, id="note")
                yield Label(_("next contact"), classes="field-label")
                yield Input(placeholder=_("e.g. tomorrow 10:00, friday, +3d (empty: none)"), compact=True, id="next")
            yield Static("", id="error")
            with Horizontal(id="buttons"):
                yield Button(_("Save"), variant="primary", compact=True, id="save")
                yield Button(_("Cancel"), compact=True, id="cancel")

    def on_mount(self) -> None:
        self.query_one("#error").display = False
        self.query_one("#note", Input).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id == "save":
            self.action_save()
        else:
            self.action_cancel()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        if event.input.id == "note":
            self.query_one("#next", Input).focus()
        else:
            self.action_save()

    def action_cancel(self) -> None:
        if not self.saving:
            self.dismiss(None)

    def action_save(self) -> None:
        if self.saving:
            return
        self.saving = True
        self.query_one("#save", Button).disabled = True
        via = self.query_one("#via", Select).value
        note = self.query_one("#note", Input).value
        next_contact = self.query_one("#next", Input).value
        data = self.app.data
        run_in_thread(self, lambda: data.follow(self.kind, self.record_id, str(via), note, next_contact),
                      self.dismiss, self.refused, group="write", exclusive=False)

    def refused(self, exc: CrmError) -> None:
        self.saving = False
        self.query_one("#save", Button).disabled = False
        error = self.query_one("#error", Static)
        error.update(exc.message)  # the service's words; its hints speak of command-line options
        error.display = True
