"""What a crm command run from the palette printed: its output, then its error line and exit code."""

from __future__ import annotations

from rich.console import Group
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from crmcli.i18n import N_, _
from crmcli.tui.keys import localise
from crmcli.tui.style import beside


class CliOutputScreen(ModalScreen[None]):
    DEFAULT_CSS = beside(__file__)
    BINDINGS = [
        Binding("escape", "close", N_("Close"), id="output.close"),
        Binding("q", "close", N_("Close"), show=False, id="output.close_q"),
        Binding("j", "scroll('down')", N_("Down"), show=False, id="output.down"),
        Binding("k", "scroll('up')", N_("Up"), show=False, id="output.up"),
    ]

    def __init__(self, result) -> None:
        super().__init__()
        self.result = result
        localise(self)

    def compose(self) -> ComposeResult:
        r = self.result
        parts = [Text(r.command, style="bold")]
        if r.out:
            parts.append(Text(r.out.rstrip("\n"), no_wrap=True, overflow="ellipsis"))
        if r.err:
            parts.append(Text(r.err.rstrip("\n"), style="bold" if r.code else ""))
        parts.append(Text(_("exit code {code} · esc closes").format(code=r.code), style="italic"))
        with VerticalScroll(id="output-box"):
            yield Static(Group(*parts), id="output")

    def action_scroll(self, where: str) -> None:
        box = self.query_one("#output-box", VerticalScroll)
        box.scroll_down(animate=False) if where == "down" else box.scroll_up(animate=False)

    def action_close(self) -> None:
        self.dismiss(None)
