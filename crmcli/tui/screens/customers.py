"""View 3, customers and the public pool.

My customers by default, with the days left before the public pool's rules recycle each
one (``crm customer list --days-left``); ``o`` switches to everyone I can see, then to the
pool (``crm pool list``).  ``/`` searches, ``s`` filters the status.  In the pool ``c``
claims the customer (``crm pool claim``: the pool's limits, and a colleague who claimed it
first, are the service's to refuse); elsewhere ``t`` transfers it (``crm customer
transfer``), ``f`` logs a follow-up and ``enter`` opens the customer 360 view.
"""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual.binding import Binding

from crmcli.i18n import N_, _
from crmcli.tui.data import CUSTOMER_OWNER_LABELS, ListFilter, Page
from crmcli.tui.screens.record_list import RecordListScreen
from crmcli.tui.style import beside, due_style
from crmcli.tui.widgets.empty_state import EmptyState
from crmcli.tui.widgets.record_table import Col


class CustomersScreen(RecordListScreen):
    DEFAULT_CSS = beside(__file__)
    VIEW = "customers"
    OWNERS = ("me", "scope", "none")
    OWNER_LABELS = CUSTOMER_OWNER_LABELS
    WRITES = frozenset({"claim", "transfer", "follow"})
    BINDINGS = [
        Binding("c", "claim", N_("Claim"), id="customers.claim"),
        Binding("t", "transfer", N_("Transfer"), id="customers.transfer"),
        Binding("f", "follow", N_("Follow up"), show=False, id="customers.follow"),
    ]

    def columns(self) -> list[Col]:
        return [
            Col("id", "id", width=5, justify="right"),
            Col("name", _("name"), min=12, weight=3),
            Col("tier", _("tier"), width=4, drop=3),
            Col("status", _("status"), width=11, drop=5),
            Col("owner", _("owner"), width=8, drop=2),
            Col("days_left", _("days left"), width=11, justify="right"),
            Col("next_contact", _("next contact"), width=16, drop=1),
            Col("last_followup", _("last follow-up"), width=16, drop=4),
        ]

    def fetch(self, wanted: ListFilter, after: str | None, limit: int) -> Page:
        return self.data.customers(wanted, after, limit)

    def cells(self, row: Any) -> dict[str, Any]:
        no_color = self.app.no_color
        soon = ("bold underline" if no_color else "bold red") if row.recycle_soon else ""
        return {"id": Text(str(row.id)), "name": Text(row.name), "tier": Text(row.tier),
                "status": Text(row.status_label, style="dim" if row.closed else ""), "owner": Text(row.owner),
                "days_left": Text(row.days_left, style=soon),
                "next_contact": Text(row.next_contact, style=due_style(row.due, no_color)),
                "last_followup": Text(row.last_followup), "title": f"#{row.id} {row.name}"}

    def statuses(self) -> list[tuple[str, str]]:
        return self.data.customer_statuses()

    def search_hint(self) -> str:
        return _("search name, phone, email")

    def open_label(self) -> str | None:
        return _("Open")

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        pooled = self.wanted.owner == "none"
        if action == "claim":
            return True if pooled else None  # shown (dimmed) only where it applies
        if action in ("transfer", "follow"):
            return None if pooled else True
        return super().check_action(action, parameters)

    def _refilter(self, **changes: Any) -> None:
        super()._refilter(**changes)
        self.refresh_bindings()

    def open_record(self, record_id: int) -> None:
        from crmcli.tui.screens.customer_360 import Customer360Screen

        if self.wanted.owner == "none":
            self.notify(_("Claim the customer with c to open it; crm pool show {id} describes it.").format(
                id=record_id))
            return
        self.app.push_screen(Customer360Screen(record_id))

    def say_empty(self, state: EmptyState, filtered: bool) -> None:
        if self.wanted.owner == "none":
            state.show(_("The public pool is empty."),
                       _("Customers returned by their owners or recycled by the pool's rules appear here."),
                       "crm pool rules")
        elif filtered:
            state.show(_("No customers match."),
                       _("Change the filters: s for the status, o for the owner, / to search."))
        else:
            state.show(_("You have no customers yet."),
                       _("Customers you add, convert from leads or are given appear here."),
                       "crm customer add 华为技术有限公司 --tier A")

    # -- writes -------------------------------------------------------------------------

    def action_claim(self) -> None:
        if self.refuse_write():
            return
        record_id = self.selected()
        if record_id is None or self.wanted.owner != "none":
            return
        data = self.data

        def claimed(message: str) -> None:
            self.notify(message)
            self.reload()

        self.load(lambda: data.claim_customer(record_id), claimed, group="write", exclusive=False)

    def action_transfer(self) -> None:
        from crmcli.tui.screens.ask import AskScreen

        if self.refuse_write():
            return
        record_id = self.selected()
        if record_id is None or self.wanted.owner == "none":
            return
        data = self.data

        def moved(message: str | None) -> None:
            if message:
                self.notify(message)

        title = self.table.values(record_id)["title"]
        self.app.push_screen(AskScreen(_("Transfer {customer}").format(customer=title), _("to"),
                                       lambda login: data.transfer_customer(record_id, login),
                                       placeholder=_("a user's login"), button=_("Transfer")), moved)

    def action_follow(self) -> None:
        from crmcli.tui.screens.lead_actions import follow_up

        if self.refuse_write():
            return
        record_id = self.selected()
        if record_id is not None and self.wanted.owner != "none":
            follow_up(self, "customer", record_id, self.table.values(record_id)["title"])
