"""``?``: the keys of the current view, then the keys that work everywhere."""

from __future__ import annotations

from rich.console import Group
from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from crmcli.i18n import N_, _
from crmcli.tui.keys import localise
from crmcli.tui.style import beside


class KeysScreen(ModalScreen[None]):
    DEFAULT_CSS = beside(__file__)
    BINDINGS = [
        Binding("escape", "close", N_("Close"), id="keys.close"),
        Binding("question_mark", "close", N_("Close"), show=False, id="keys.close_again"),
        Binding("q", "close", N_("Close"), show=False, id="keys.close_q"),
    ]

    def __init__(self, title: str, here: list[tuple[str, str]], everywhere: list[tuple[str, str]]) -> None:
        super().__init__()
        self.view_title = title
        self.here = here
        self.everywhere = everywhere
        localise(self)

    def compose(self) -> ComposeResult:
        sections = [section for section in ((_("Keys: {view}").format(view=self.view_title), self.here),
                                            (_("Everywhere"), self.everywhere)) if section[1]]
        columns = Table.grid(padding=(0, 4))
        for _heading in sections:
            columns.add_column(vertical="top")
        columns.add_row(*[self._section(heading, rows) for heading, rows in sections])
        with VerticalScroll(id="keys-box"):
            yield Static(columns, id="keys")
            yield Static(_("esc closes"), id="keys-hint")

    @staticmethod
    def _section(heading: str, rows: list[tuple[str, str]]) -> Group:
        grid = Table.grid(padding=(0, 2))
        grid.add_column(no_wrap=True, style="bold")
        grid.add_column()
        for key, description in rows:
            grid.add_row(Text(key), Text(description))
        return Group(Text(heading, style="bold underline"), grid)

    def action_close(self) -> None:
        self.dismiss(None)
