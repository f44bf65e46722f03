"""A searchable, filterable, paged list of one kind of record: what the leads and customers views share.

``/`` searches (the list follows the typing), ``s`` cycles the status, ``o`` the
owner (me, everyone in my data scope, and the pool where the kind has one); the
filters are those of ``crm NOUN list`` (``--owner``, ``--status``, ``--search``),
applied by the same service.  Pages of 100 load as the cursor nears the end.

A subclass says which records (:meth:`fetch`, run in a thread), how a row looks
(:meth:`cells`), which statuses exist, and what ``enter`` does.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any, ClassVar

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.widgets import Input, Static

from crmcli.i18n import N_, _
from crmcli.tui.data import OWNER_LABELS, PAGE_SIZE, ListFilter, Page
from crmcli.tui.safe import text
from crmcli.tui.screens.base import ViewScreen
from crmcli.tui.screens.search_box import SearchBox
from crmcli.tui.style import beside
from crmcli.tui.widgets.text_input import TextInput
from crmcli.tui.widgets.empty_state import EmptyState
from crmcli.tui.widgets.record_table import Col, RecordTable


class RecordListScreen(SearchBox, ViewScreen):
    DEFAULT_CSS = beside(__file__)
    OWNERS: ClassVar[tuple[str, ...]] = ("me", "scope")
    OWNER_LABELS: ClassVar[dict[str, str]] = OWNER_LABELS
    BINDINGS = [
        Binding("slash", "search", N_("Search"), id="list.search"),
        Binding("s", "next_status", N_("Status"), id="list.status"),
        Binding("o", "next_owner", N_("Owner"), id="list.owner"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.wanted = ListFilter()
        self.next_cursor: str | None = None
        self.generation = 0  # bumped by every reload; a page for an older one is dropped
        self.loading_more = False

    # -- what a subclass says ---------------------------------------------------------

    def columns(self) -> list[Col]:
        raise NotImplementedError

    def fetch(self, wanted: ListFilter, after: str | None, limit: int) -> Page:
        """Runs in a worker thread: one page through :mod:`crmcli.tui.data`."""
        raise NotImplementedError

    def cells(self, row: Any) -> dict[str, Any]:
        raise NotImplementedError

    def statuses(self) -> list[tuple[str, str]]:
        return []

    def search_hint(self) -> str:
        return _("search name, company, phone, email")

    def open_label(self) -> str | None:
        """The footer's word for ``enter`` (None: enter does nothing here yet)."""
        return None

    def open_record(self, record_id: int) -> None:
        pass

    def say_empty(self, state: EmptyState, filtered: bool) -> None:
        state.show(_("Nothing matches."), _("Change the filters: s for the status, o for the owner, / to search."))

    # -- layout -----------------------------------------------------------------------

    def compose_body(self) -> ComposeResult:
        with Horizontal(id="filters"):
            yield Static(_("Loading…"), id="summary")
            yield TextInput(placeholder=self.search_hint(), compact=True, id="search")
        yield RecordTable(self.columns(), open_label=self.open_label(), id="records")
        yield EmptyState(id="no-records")

    def on_mount(self) -> None:
        self.query_one("#no-records").display = False

    @property
    def table(self) -> RecordTable:
        return self.query_one("#records", RecordTable)

    # -- loading ----------------------------------------------------------------------

    def reload(self) -> None:
        self.generation += 1
        self.loading_more = False
        limit = min(max(PAGE_SIZE, self.table.row_count), 1000)  # keep what was already scrolled through
        wanted = self.wanted
        self.load(lambda: self.fetch(wanted, None, limit), self.show)

    def show(self, page: Page) -> None:
        table = self.table
        table.show([(row.id, self.cells(row)) for row in page.rows], keep=table.selected_key)
        self.next_cursor = page.cursor
        self._summarise()
        empty = not page.rows
        table.display = not empty
        state = self.query_one("#no-records", EmptyState)
        state.display = empty
        if empty:
            self.say_empty(state, filtered=self.wanted != ListFilter())
        box = self.query_one("#search", Input)
        if not empty and not (box.display and box.has_focus):
            table.focus()

    def on_record_table_near_end(self, event: RecordTable.NearEnd) -> None:
        if self.next_cursor is None or self.loading_more:
            return
        self.loading_more = True
        wanted, after, generation = self.wanted, self.next_cursor, self.generation

        def more(page: Page) -> None:
            if generation != self.generation:
                return
            self.loading_more = False
            self.table.extend([(row.id, self.cells(row)) for row in page.rows])
            self.next_cursor = page.cursor
            self._summarise()

        self.load(lambda: self.fetch(wanted, after, PAGE_SIZE), more, group="more")

    def _summarise(self) -> None:
        w = self.wanted
        status = dict((value, label) for label, value in self.statuses()).get(w.status, _("all"))
        parts = [f"{_('owner')}: {_(self.OWNER_LABELS[w.owner])}", f"{_('status')}: {status}"]
        if w.search.strip():
            parts.append(f"{_('search')}: {w.search.strip()}")
        shown = _("{n} shown").format(n=len(self.table.keys))  # the rows held, drawn or not yet
        parts.append(shown + ("+" if self.next_cursor else ""))
        self.query_one("#summary", Static).update(text(" · ".join(parts)))

    # -- filters ----------------------------------------------------------------------

    def _refilter(self, **changes: Any) -> None:
        self.wanted = replace(self.wanted, **changes)
        self.reload()

    def action_next_status(self) -> None:
        choices = [None] + [value for _label, value in self.statuses()]
        self._refilter(status=choices[(choices.index(self.wanted.status) + 1) % len(choices)])

    def action_next_owner(self) -> None:
        owners = self.OWNERS
        self._refilter(owner=owners[(owners.index(self.wanted.owner) + 1) % len(owners)])

    def search_for(self, text: str) -> None:
        if text != self.wanted.search:
            self._refilter(search=text)

    def refocus(self) -> None:
        self.table.focus()

    def action_back(self) -> None:
        if self.leave_search():  # esc leaves the search: cleared, the full list back
            return
        super().action_back()

    # -- records ----------------------------------------------------------------------

    def selected(self) -> int | None:
        key = self.table.selected_key if self.table.display else None
        return int(key) if key else None

    def on_data_table_row_selected(self, event: Any) -> None:
        event.stop()
        record_id = self.selected()
        if record_id is not None:
            self.open_record(record_id)
