"""The top line: the numbered views (the current one marked), who is working, read-only."""

from __future__ import annotations

from rich.cells import cell_len
from rich.style import Style
from rich.text import Text
from textual.widget import Widget

from crmcli.i18n import _
from crmcli.tui.style import beside
from crmcli.tui.views import VIEWS


class ViewBar(Widget):
    DEFAULT_CSS = beside(__file__)
    COMPONENT_CLASSES = {"view-bar--view", "view-bar--active", "view-bar--key", "view-bar--info",
                         "view-bar--readonly"}

    def __init__(self, active: str, where: str = "", **kwargs) -> None:
        super().__init__(**kwargs)
        self.active = active
        self.where = where  # e.g. a record's title on a detail screen

    def render(self) -> Text:
        width = self.size.width
        line = Text(no_wrap=True, overflow="ellipsis")
        for view in VIEWS:
            style = self.get_component_rich_style("view-bar--active" if view.name == self.active else "view-bar--view")
            key_style = style + self.get_component_rich_style("view-bar--key")
            click = Style.from_meta({"@click": f"app.switch_view('{view.name}')"})
            line.append(f" {view.key}", key_style + click)
            line.append(f" {_(view.title)} ", style + click)
        session = getattr(self.app, "data", None)
        session = getattr(session, "session", None)
        info = Text(no_wrap=True, overflow="ellipsis")
        if self.where:
            info.append(f" {self.where} ", self.get_component_rich_style("view-bar--info"))
        elif session is not None:
            info.append(f" {session.login} · {session.zone} ", self.get_component_rich_style("view-bar--info"))
        if session is not None and session.readonly:
            info.append(f" {_('read-only')} ", self.get_component_rich_style("view-bar--readonly"))
        room = width - cell_len(line.plain)
        if room <= 1:
            return line
        if cell_len(info.plain) > room - 1:
            info.truncate(room - 1, overflow="ellipsis")
        line.append(" " * (room - cell_len(info.plain)))
        line.append_text(info)
        return line
