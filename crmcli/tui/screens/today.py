"""View 2, today's work: for now, my open leads whose next contact is overdue or today.

Tasks, events, customers about to return to the pool and receivables join this
view as those records exist (the same content as ``crm today``).
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import Static

from crmcli.i18n import N_, _
from crmcli.tui.screens.base import ViewScreen
from crmcli.tui.screens.lead_actions import follow_up_lead, lead_cells, open_lead
from crmcli.tui.style import beside
from crmcli.tui.widgets.empty_state import EmptyState
from crmcli.tui.widgets.record_table import Col, RecordTable


class TodayScreen(ViewScreen):
    DEFAULT_CSS = beside(__file__)
    VIEW = "today"
    WRITES = frozenset({"follow"})
    BINDINGS = [
        Binding("f", "follow", N_("Follow up"), id="today.follow"),
    ]

    def compose_body(self) -> ComposeResult:
        yield Static(_("Loading…"), classes="section-title", id="due-title")
        yield RecordTable([
            Col("next_contact", _("next contact"), width=16),
            Col("name", _("name"), min=8),
            Col("company", _("company"), min=10, weight=2),
            Col("status", _("status"), width=10, drop=1),
            Col("id", "id", width=5, justify="right", drop=2),
        ], open_label=_("Open"), id="due")
        yield EmptyState(_("Nothing to contact today."),
                         _("Leads whose next contact is overdue or today appear here; so will tasks, events, "
                           "customers about to return to the pool and payments due, once crm has them."),
                         "crm lead list --owner me --next-contact week", id="nothing-due")
        yield Static(_("Tasks, events, customers about to return to the pool and payments due will join this "
                       "list once crm has them."), classes="note", id="later")

    def on_mount(self) -> None:
        self.query_one("#nothing-due").display = False

    def reload(self) -> None:
        self.load(self.data.due_leads, self.show)

    def show(self, rows) -> None:
        table = self.query_one("#due", RecordTable)
        table.show([(row.id, lead_cells(row, self.app.no_color)) for row in rows], keep=table.selected_key)
        self.query_one("#due-title", Static).update(
            _("Leads to contact: overdue or due today ({n})").format(n=len(rows)))
        table.display = bool(rows)
        self.query_one("#nothing-due").display = not rows
        if rows:
            table.focus()

    def _selected(self) -> int | None:
        key = self.query_one("#due", RecordTable).selected_key
        return int(key) if key else None

    def on_data_table_row_selected(self, event) -> None:
        event.stop()
        lead_id = self._selected()
        if lead_id is not None:
            open_lead(self, lead_id)

    def action_follow(self) -> None:
        if self.refuse_write():
            return
        lead_id = self._selected()
        if lead_id is not None:
            follow_up_lead(self, lead_id, self.query_one("#due", RecordTable).values(lead_id)["title"])
