"""``?``: the keys of the current view, then the keys that work everywhere."""

from __future__ import annotations

from rich.console import Group
from rich.measure import Measurement
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


FRAME = 7  # the box's border and padding, left and right, and a scrollbar's column


class KeysScreen(ModalScreen[None]):
    DEFAULT_CSS = beside(__file__)
    BINDINGS = [
        Binding("escape", "close", N_("Close"), id="keys.close"),
        Binding("question_mark", "close", N_("Close"), show=False, id="keys.close_again"),
        Binding("q", "close", N_("Close"), show=False, id="keys.close_q"),
        Binding("j", "scroll('down')", N_("Down"), show=False, id="keys.down"),
        Binding("k", "scroll('up')", N_("Up"), show=False, id="keys.up"),
    ]

    def __init__(self, title: str, here: list[tuple[str, str]], everywhere: list[tuple[str, str]]) -> None:
        super().__init__()
        self.view_title = title
        self.here = here
        self.everywhere = everywhere
        localise(self)

    def compose(self) -> ComposeResult:
        sections = [self._section(heading, rows)
                    for heading, rows in ((_("Keys: {view}").format(view=self.view_title), self.here),
                                          (_("Everywhere"), self.everywhere)) if rows]
        columns = Table.grid(padding=(0, 4))
        for _section in sections:
            columns.add_column(vertical="top")
        columns.add_row(*sections)
        console = self.app.console
        wide = Measurement.get(console, console.options, columns).maximum
        room = self.app.size.width - FRAME - 2
        if wide <= room:  # side by side when they fit, else one above the other (the box scrolls)
            keys, width = columns, wide
        else:
            parts: list = []
            for section in sections:
                parts += [section, Text("")]
            keys = Group(*parts[:-1])
            width = min(room, max(Measurement.get(console, console.options, s).maximum for s in sections))
        with VerticalScroll(id="keys-box") as box:
            box.styles.width = width + FRAME
            yield Static(keys, id="keys")
            yield Static(_("esc closes"), id="keys-hint")

    @staticmethod
    def _section(heading: str, rows: list[tuple[str, str]]) -> Group:
        grid = Table.grid(padding=(0, 2))
        grid.add_column(no_wrap=True, style="bold")
        grid.add_column()
        for key, description in rows:
            grid.add_row(Text(key), Text(description))
        return Group(Text(heading, style="bold underline"), grid)

    def action_scroll(self, where: str) -> None:
        box = self.query_one("#keys-box", VerticalScroll)
        box.scroll_down(animate=False) if where == "down" else box.scroll_up(animate=False)

    def action_close(self) -> None:
        self.dismiss(None)
