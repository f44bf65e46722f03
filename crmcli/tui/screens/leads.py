"""View 4, leads: my leads by default (``o``: everyone I can see, the lead pool); follow up with ``f``."""

from __future__ import annotations

from typing import Any

from textual.binding import Binding

from crmcli.i18n import N_, _
from crmcli.tui.data import ListFilter, Page
from crmcli.tui.screens.lead_actions import follow_up_lead, lead_cells, open_lead
from crmcli.tui.screens.record_list import RecordListScreen
from crmcli.tui.widgets.empty_state import EmptyState
from crmcli.tui.widgets.record_table import Col


class LeadsScreen(RecordListScreen):
    VIEW = "leads"
    OWNERS = ("me", "scope", "none")
    WRITES = frozenset({"follow"})
    BINDINGS = [
        Binding("f", "follow", N_("Follow up"), id="leads.follow"),
    ]

    def columns(self) -> list[Col]:
        return [
            Col("id", "id", width=5, justify="right"),
            Col("name", _("name"), min=8),
            Col("company", _("company"), min=10, weight=2),
            Col("status", _("status"), width=10),
            Col("owner", _("owner"), width=8, drop=3),
            Col("mobile", _("mobile"), width=13, drop=4),
            Col("source", _("source"), width=10, drop=5),
            Col("next_contact", _("next contact"), width=16, drop=1),
        ]

    def fetch(self, wanted: ListFilter, after: str | None, limit: int) -> Page:
        return self.data.leads(wanted, after, limit)

    def cells(self, row: Any) -> dict[str, Any]:
        return lead_cells(row, self.app.no_color)

    def statuses(self) -> list[tuple[str, str]]:
        return self.data.lead_statuses()

    def open_label(self) -> str | None:
        return _("Open")

    def open_record(self, record_id: int) -> None:
        open_lead(self, record_id)

    def say_empty(self, state: EmptyState, filtered: bool) -> None:
        if filtered:
            state.show(_("No leads match."), _("Change the filters: s for the status, o for the owner, / to search."))
        else:
            state.show(_("You have no leads yet."), _("Leads you add, or that are assigned to you, appear here."),
                       "crm lead add 张伟 --company 华为技术有限公司 --mobile 13800138000")

    def action_follow(self) -> None:
        if self.refuse_write():
            return
        lead_id = self.selected()
        if lead_id is not None:
            follow_up_lead(self, lead_id, self.table.values(lead_id)["title"])
