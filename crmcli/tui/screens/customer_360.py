"""Customer 360 (``crm customer show``): fields, contacts, opportunities, contracts and what is
owed, receivable plans, payments, and the timeline; ``f`` logs a follow-up."""

from __future__ import annotations

from rich.console import Group
from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.widgets import Static

from crmcli.i18n import N_, _
from crmcli.tui.data_customers import Customer360
from crmcli.tui.screens.base import ViewScreen
from crmcli.tui.screens.lead_actions import follow_up
from crmcli.tui.style import beside
from crmcli.tui.widgets.field_list import FieldList
from crmcli.tui.widgets.view_bar import ViewBar


def _table(columns: list[str], rows: list[list[str]]) -> Table:
    table = Table(box=None, padding=(0, 1), show_edge=False, header_style="bold", expand=False)
    for label in columns:
        table.add_column(Text(label), no_wrap=True, overflow="ellipsis")
    for row in rows:
        table.add_row(*[Text(value) for value in row])
    return table


class Customer360Screen(ViewScreen):
    DEFAULT_CSS = beside(__file__)
    VIEW = "customers"
    AUTO_FOCUS = "#body"
    WRITES = frozenset({"follow"})
    BINDINGS = [
        Binding("f", "follow", N_("Follow up"), id="customer.follow"),
        Binding("j", "scroll('down')", N_("Down"), show=False, id="customer.down"),
        Binding("k", "scroll('up')", N_("Up"), show=False, id="customer.up"),
        Binding("escape", "back", N_("Back"), id="view.back"),
    ]

    def __init__(self, customer_id: int) -> None:
        super().__init__()
        self.customer_id = customer_id
        self.detail: Customer360 | None = None

    def where(self) -> str:
        return f"#{self.customer_id}"

    def compose_body(self) -> ComposeResult:
        yield Static(_("Loading…"), id="title")
        with VerticalScroll(id="body", can_focus=True):
            yield FieldList(id="fields")
            yield Static("", id="sections")

    def reload(self) -> None:
        self.load(lambda: self.data.customer(self.customer_id), self.show)

    def show(self, detail: Customer360) -> None:
        self.detail = detail
        self.query_one("#title", Static).update(Text(f"{detail.title} · {detail.status_label}", style="bold"))
        bar = self.query_one(ViewBar)
        bar.where = f"#{detail.id}"
        bar.refresh()
        self.query_one("#fields", FieldList).show(detail.fields)
        parts: list = []
        for section in detail.sections:
            parts.append(Text(""))
            parts.append(Text(f"{section.title} ({len(section.rows)})", style="bold underline"))
            if section.rows:
                parts.append(_table(section.columns, section.rows))
        parts.append(Text(""))
        parts.append(Text(_("Timeline"), style="bold underline"))
        if detail.timeline:
            parts.append(_table([_("time"), _("who"), _("what")], [[e.at, e.who, e.what] for e in detail.timeline]))
        self.query_one("#sections", Static).update(Group(*parts))

    def action_scroll(self, where: str) -> None:
        body = self.query_one("#body", VerticalScroll)
        if where == "down":
            body.scroll_down(animate=False)
        else:
            body.scroll_up(animate=False)

    def action_follow(self) -> None:
        if self.refuse_write():
            return
        follow_up(self, "customer", self.customer_id, self.detail.title if self.detail else "")
