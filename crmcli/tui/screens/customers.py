"""View 3, customers and the public pool.

For now: a read-only, searchable list of my customers (``o``: everyone I can see),
as ``crm customer list`` shows them.  The public pool (days left before a customer
returns to it, claiming with ``c``), transfer with ``t`` and the customer 360 view
join this view as those services exist.
"""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.widgets import Static

from crmcli.i18n import _
from crmcli.tui.data import ListFilter, Page
from crmcli.tui.screens.record_list import RecordListScreen
from crmcli.tui.style import beside, due_style
from crmcli.tui.widgets.empty_state import EmptyState
from crmcli.tui.widgets.record_table import Col


class CustomersScreen(RecordListScreen):
    DEFAULT_CSS = beside(__file__)
    VIEW = "customers"

    def compose_body(self) -> ComposeResult:
        yield from super().compose_body()
        yield Static(_("The public pool, claiming and each customer's full record will join this view."),
                     classes="note")

    def columns(self) -> list[Col]:
        return [
            Col("id", "id", width=5, justify="right"),
            Col("name", _("name"), min=12, weight=3),
            Col("tier", _("tier"), width=4, drop=3),
            Col("status", _("status"), width=11),
            Col("owner", _("owner"), width=8, drop=2),
            Col("next_contact", _("next contact"), width=16, drop=1),
            Col("last_followup", _("last follow-up"), width=16, drop=4),
        ]

    def fetch(self, wanted: ListFilter, after: str | None, limit: int) -> Page:
        return self.data.customers(wanted, after, limit)

    def cells(self, row: Any) -> dict[str, Any]:
        return {"id": Text(str(row.id)), "name": Text(row.name), "tier": Text(row.tier),
                "status": Text(row.status_label, style="dim" if row.closed else ""), "owner": Text(row.owner),
                "next_contact": Text(row.next_contact, style=due_style(row.due, self.app.no_color)),
                "last_followup": Text(row.last_followup)}

    def statuses(self) -> list[tuple[str, str]]:
        return self.data.customer_statuses()

    def search_hint(self) -> str:
        return _("search name, phone, email")

    def say_empty(self, state: EmptyState, filtered: bool) -> None:
        if filtered:
            state.show(_("No customers match."),
                       _("Change the filters: s for the status, o for the owner, / to search."))
        else:
            state.show(_("You have no customers yet."),
                       _("Customers you add, convert from leads or are given appear here."),
                       "crm customer add 华为技术有限公司 --tier A")
