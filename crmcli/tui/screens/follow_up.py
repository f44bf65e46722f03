"""The follow-up form (modal): via, note, next contact — ``crm NOUN follow`` in a window
(a lead, customer, contact or opportunity).

Nothing is checked here: the form hands what was typed to the same service as
the CLI, and shows that service's error (message and hint) inside the form.
Returns the new follow-up's id, or None when cancelled.
"""

from __future__ import annotations

from typing import Any, Callable

from textual.app import ComposeResult
from textual.containers import Grid, Vertical
from textual.widgets import Input, Label, Select, Static

from crmcli.i18n import _
from crmcli.tui.safe import text
from crmcli.tui.screens.form import FormScreen
from crmcli.tui.style import beside
from crmcli.tui.widgets.text_input import TextInput


class FollowUpScreen(FormScreen):
    DEFAULT_CSS = beside(__file__)
    FIRST = "note"

    def __init__(self, record_id: int, title: str, kind: str = "lead") -> None:
        super().__init__()
        self.record_id = self.lead_id = record_id
        self.kind = kind
        self.record_title = title

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Static(text(_("Log a follow-up: {record}").format(record=self.record_title)), id="form-title")
            with Grid(id="form"):
                yield Label(_("via"), classes="field-label")
                yield Select(self.app.data.follow_up_methods(), value="phone", allow_blank=False, compact=True,
                             id="via")
                yield Label(_("note"), classes="field-label")
                yield TextInput(placeholder=_("What was said or done."), compact=True, id="note")
                yield Label(_("next contact"), classes="field-label")
                yield TextInput(placeholder=_("e.g. tomorrow 10:00, friday, +3d (empty: none)"), compact=True, id="next")
            yield from self.error_and_buttons()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        if event.input.id == "note":
            self.query_one("#next", Input).focus()
        else:
            self.action_save()

    def job(self) -> Callable[[], Any]:
        via = self.query_one("#via", Select).value
        note = self.query_one("#note", Input).value
        next_contact = self.query_one("#next", Input).value
        data = self.app.data
        return lambda: data.follow(self.kind, self.record_id, str(via), note, next_contact)
