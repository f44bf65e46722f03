"""What a view says when it has nothing to show yet: what will be here, and how to get it."""

from __future__ import annotations

from rich.console import Group
from rich.text import Text
from textual.widgets import Static

from crmcli.tui.style import beside


class EmptyState(Static):
    DEFAULT_CSS = beside(__file__)

    def __init__(self, title: str = "", body: str = "", hint: str = "", **kwargs) -> None:
        super().__init__(**kwargs)
        self.show(title, body, hint)

    def show(self, title: str, body: str = "", hint: str = "") -> None:
        """Say ``title``, then ``body``, then a dim ``hint`` (usually the crm command to run)."""
        self.said = (title, body, hint)
        parts = [Text(title, style="bold", justify="center")]
        if body:
            parts += [Text(""), Text(body, justify="center")]
        if hint:
            parts += [Text(""), Text(hint, style="italic", justify="center")]
        self.update(Group(*parts))
