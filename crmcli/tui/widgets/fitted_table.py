"""A small table (a section of the customer 360) fitted to the width it has, cutting no amount.

Rich shrinks every column of a table that is too wide, so at 80 columns amounts read
``104,000…`` and Chinese headers ``…``.  Here the widths are decided before Rich sees them:

* **exact** columns — amounts, numbers, dates, currency codes — always get their full width;
  their values never wrap and are never cut;
* **text** columns (names, statuses, e-mails) wrap inside the width they get, down to a few
  cells; a column of single words (a contract number, a status) is not broken inside a word;
* when the table is still too wide, the last text columns are left out (never the first,
  the record's name), then the headers of exact columns wrap above their values.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from rich.cells import cell_len
from rich.table import Table
from rich.text import Text

from crmcli.tui.safe import text

PAD = 2  # one cell either side of every column
TEXT_MIN = 6  # the narrowest a wrapping column gets
_EXACT = re.compile(r"^[-+]?\d[\d,]*(\.\d+)?%?( [A-Z]{3})?$|^\d{4}-\d{2}-\d{2}( \d{2}:\d{2})?$|^[A-Z]{3}$")
WORD = 14  # a column whose values are single words this short keeps them whole


@dataclass
class _Column:
    index: int
    header: str
    exact: bool
    values_width: int  # the widest value
    narrowest: int  # the least it may get
    width: int = 0


def _plan(columns: list[str], rows: list[list[str]], room: int) -> list[_Column]:
    """The columns shown, in order, with the width each gets."""
    cols = []
    for i, header in enumerate(columns):
        values = [row[i] for row in rows if i < len(row)]
        widest = max((cell_len(v) for v in values), default=0)
        exact = any(values) and all(not v or _EXACT.match(v) for v in values)
        words = widest <= WORD and not any(" " in v for v in values)
        narrowest = max(widest, min(cell_len(header), TEXT_MIN)) if words else min(widest, TEXT_MIN)
        cols.append(_Column(i, header, exact, widest, max(narrowest, 1)))
    for col in cols:
        col.width = max(col.values_width, cell_len(col.header))

    def total() -> int:
        return sum(c.width + PAD for c in cols)

    texts = [c for c in cols if not c.exact]
    # 1. text columns wrap, the widest first, down to their narrowest
    while total() > room:
        wide = [c for c in texts if c.width > c.narrowest]
        if not wide:
            break
        widest = max(wide, key=lambda c: c.width - c.narrowest)
        widest.width = max(widest.narrowest, widest.width - (total() - room))
    # 2. leave out text columns from the right, keeping the first (the record's name)
    while total() > room and len(texts) > 1:
        cols.remove(texts.pop())
    # what leaving out freed goes back to the columns that wrap
    for col in texts:
        spare = room - total()
        if spare <= 0:
            break
        col.width = min(max(col.values_width, cell_len(col.header)), col.width + spare)
    # 3. the headers of exact columns wrap above their values
    for col in cols:
        if total() <= room:
            break
        if col.exact:
            col.width = max(col.values_width, 1)
    # 4. the first text column gives what it still can
    if total() > room and texts:
        texts[0].width = max(3, texts[0].width - (total() - room))
    return cols


def fitted_table(columns: list[str], rows: list[list[str]], room: int) -> Table:
    """A Rich table of ``rows`` under ``columns`` (display strings) in ``room`` cells."""
    table = Table(box=None, padding=(0, 1), show_edge=False, header_style="bold", expand=False)
    plan = _plan(columns, rows, room) if room > 0 else _plan(columns, rows, 10**6)
    for col in plan:
        table.add_column(text(col.header), width=col.width, no_wrap=False, overflow="fold",
                         justify="left")
    for row in rows:
        cells: list[Text] = []
        for col in plan:
            value = row[col.index] if col.index < len(row) else ""
            cell = text(value, no_wrap=True) if col.exact else text(value, overflow="fold")
            cells.append(cell)
        table.add_row(*cells)
    return table
