"""A list of records: a row cursor, vim keys, columns fitted to the terminal, and paging.

Columns are declared with :class:`Col`; flexible ones share the width left by the
fixed ones, and optional ones (``drop`` > 0) disappear first when the terminal is
narrow, so the list fits 80 columns without scrolling sideways.  Cells are
:class:`rich.text.Text` (never markup: a name with brackets stays a name) cut
with an ellipsis by display width, so Chinese text keeps the columns aligned.

When the cursor comes within ``near_end`` rows of the last one it posts
:class:`RecordTable.NearEnd`, which the screen answers by loading the next page.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from rich.text import Text
from textual.binding import Binding
from textual.message import Message
from textual.widgets import DataTable

from crmcli.i18n import N_, _
from crmcli.tui.style import beside


@dataclass(frozen=True)
class Col:
    key: str
    label: str  # already translated
    width: int = 0  # fixed width; 0 means flexible
    min: int = 8  # narrowest a flexible column gets
    weight: int = 1  # share of the spare width among flexible columns
    drop: int = 0  # > 0: may be left out when narrow; the highest goes first
    justify: str = "left"


class RecordTable(DataTable):
    DEFAULT_CSS = beside(__file__)
    BINDINGS = [
        Binding("j", "cursor_down", N_("Down"), show=False, id="list.down"),
        Binding("k", "cursor_up", N_("Up"), show=False, id="list.up"),
        Binding("g", "scroll_top", N_("First"), show=False, id="list.first"),
        Binding("G", "scroll_bottom", N_("Last"), show=False, id="list.last"),
    ]

    class NearEnd(Message):
        """The cursor is close to the last row: time to load the next page."""

        def __init__(self, table: "RecordTable") -> None:
            super().__init__()
            self.table = table

        @property
        def control(self) -> "RecordTable":
            return self.table

    def __init__(self, columns: list[Col], *, open_label: str | None = None, near_end: int = 10,
                 **kwargs: Any) -> None:
        super().__init__(cursor_type="row", zebra_stripes=False, **kwargs)
        self.specs = columns
        self.near_end = near_end
        self._records: list[tuple[str, dict[str, Any]]] = []
        self._laid_out_for = -1
        self._columns_shown: list[tuple[Col, int]] = []
        from crmcli.tui.keys import localise

        if open_label:  # enter opens the record: say so in the footer
            table = self._bindings.key_to_bindings
            table["enter"] = [replace(b, description=open_label, show=True, id="list.open")
                              if b.action == "select_cursor" else b for b in table.get("enter", [])]
        localise(self)

    # -- content ----------------------------------------------------------------------

    def show(self, rows: list[tuple[Any, dict[str, Any]]], keep: Any = None) -> None:
        """Replace the rows (``(key, {column: value})``); the cursor stays on ``keep`` if it is still there."""
        self._records = [(str(key), values) for key, values in rows]
        self._fill(keep if keep is not None else None, reset=True)

    def extend(self, rows: list[tuple[Any, dict[str, Any]]]) -> None:
        """Append the next page of rows."""
        new = [(str(key), values) for key, values in rows]
        known = {key for key, _v in self._records}
        new = [(k, v) for k, v in new if k not in known]
        self._records += new
        if self._columns_shown:
            for key, values in new:
                self._add(key, values)

    @property
    def selected_key(self) -> str | None:
        if not self._records or self.cursor_row < 0 or self.cursor_row >= len(self._records):
            return None
        return self._records[self.cursor_row][0]

    def values(self, key: object) -> dict[str, Any]:
        """The values a row was given (including ones no column shows)."""
        for record_key, values in self._records:
            if record_key == str(key):
                return values
        raise KeyError(key)

    @property
    def keys(self) -> list[str]:
        return [key for key, _v in self._records]

    # -- layout -----------------------------------------------------------------------

    def _visible_columns(self, width: int) -> list[tuple[Col, int]]:
        pad = 2 * self.cell_padding
        cols = list(self.specs)
        while True:
            fixed = sum(c.width + pad for c in cols if c.width)
            flex = [c for c in cols if not c.width]
            needed = fixed + sum(c.min + pad for c in flex)
            droppable = [c for c in cols if c.drop]
            if needed <= width or not droppable:
                break
            cols.remove(max(droppable, key=lambda c: c.drop))
        spare = max(0, width - fixed - sum(c.min + pad for c in flex))
        weights = sum(c.weight for c in flex) or 1
        sized: list[tuple[Col, int]] = []
        given = 0
        for i, c in enumerate(cols):
            if c.width:
                sized.append((c, c.width))
                continue
            extra = spare * c.weight // weights
            if c is flex[-1]:
                extra = spare - given
            given += extra
            sized.append((c, c.min + extra))
        return sized

    def _room(self) -> int:
        """Columns available for cells, keeping room for the vertical scrollbar."""
        return self.size.width - self.styles.scrollbar_size_vertical

    def _fill(self, keep: Any = None, reset: bool = False) -> None:
        width = self._room()
        if width <= 0:  # not laid out yet, or hidden (a list that was empty): on_resize fills it
            self._laid_out_for = -1  # whatever width it comes back with, even the one it had
            return
        key = keep if keep is not None else self.selected_key
        row = self.cursor_row
        self.clear(columns=True)
        self._laid_out_for = width
        self._columns_shown = self._visible_columns(width)
        for col, size in self._columns_shown:
            self.add_column(Text(col.label, justify=col.justify, no_wrap=True, overflow="ellipsis"),
                            width=size, key=col.key)
        for record_key, values in self._records:
            self._add(record_key, values)
        keys = self.keys
        if key is not None and str(key) in keys:
            self.move_cursor(row=keys.index(str(key)), animate=False, scroll=True)
        elif keys:
            self.move_cursor(row=0 if reset else min(row, len(keys) - 1), animate=False)

    def _add(self, key: str, values: dict[str, Any]) -> None:
        cells = []
        for col, _size in self._columns_shown:
            value = values.get(col.key, "")
            if not isinstance(value, Text):
                value = Text("" if value is None else str(value))
            value = value.copy()
            value.no_wrap, value.overflow = True, "ellipsis"
            value.justify = col.justify  # type: ignore[assignment]
            cells.append(value)
        self.add_row(*cells, key=key)

    def on_resize(self) -> None:
        if self._room() != self._laid_out_for:
            self._fill()

    # -- paging -----------------------------------------------------------------------

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        if event.data_table is self and self.row_count and event.cursor_row >= self.row_count - self.near_end:
            self.post_message(self.NearEnd(self))
