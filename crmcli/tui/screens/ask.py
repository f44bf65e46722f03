"""A one-question form (modal): a reason to lose a deal, when to snooze a task, whom to transfer to.

Nothing is checked here: the answer goes to the same service as the CLI's option
(``--reason``, ``--until``, ``--to``), run off the UI thread, and that service's error is shown
inside the form, which stays open.  Returns what the service call returned, or None when
cancelled.
"""

from __future__ import annotations

from typing import Any, Callable

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Input, Label, Static

from crmcli.i18n import _
from crmcli.tui.safe import text
from crmcli.tui.screens.form import FormScreen
from crmcli.tui.style import beside
from crmcli.tui.widgets.text_input import TextInput


class AskScreen(FormScreen):
    DEFAULT_CSS = beside(__file__)
    FIRST = "answer"

    def __init__(self, title: str, label: str, submit: Callable[[str], Any], *, placeholder: str = "",
                 value: str = "", button: str = "") -> None:
        super().__init__()
        self.form_title = title
        self.label = label
        self.submit = submit
        self.placeholder = placeholder
        self.value = value
        self.button = button or _("Save")

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Static(text(self.form_title), id="form-title")
            with Horizontal(id="row"):
                yield Label(text(self.label), classes="field-label")
                yield TextInput(value=self.value, placeholder=self.placeholder, compact=True, id="answer")
            yield from self.error_and_buttons(self.button)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.action_save()

    def job(self) -> Callable[[], Any]:
        answer = self.query_one("#answer", Input).value
        return lambda: self.submit(answer)
