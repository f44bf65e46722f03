"""A record's fields as aligned ``label  value`` lines (Chinese labels and values keep their columns)."""

from __future__ import annotations

from rich.table import Table
from rich.text import Text
from textual.widgets import Static

from crmcli.tui.style import beside


class FieldList(Static):
    DEFAULT_CSS = beside(__file__)

    def show(self, fields: list[tuple[str, str]]) -> None:
        grid = Table.grid(padding=(0, 2))
        grid.add_column(no_wrap=True, style="bold")
        grid.add_column(overflow="fold")
        for label, value in fields:
            grid.add_row(Text(label), Text(value))
        self.update(grid)
