"""Customer 360 (``crm customer show``): fields, contacts, opportunities, contracts and what is
owed, receivable plans, payments, and the timeline; ``f`` logs a follow-up."""

from __future__ import annotations

from rich.console import Group
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
from crmcli.tui.widgets.fitted_table import fitted_table
from crmcli.tui.widgets.view_bar import ViewBar


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
        self.query_one("#title", Static).update(
            Text(f"{detail.title} · {detail.status_label}", style="bold", no_wrap=True, overflow="ellipsis"))
        bar = self.query_one(ViewBar)
        bar.where = f"#{detail.id}"
        bar.refresh()
        self.query_one("#fields", FieldList).show(detail.fields)
        self._show_sections()

    def on_resize(self) -> None:
        if self.detail is not None:
            self._show_sections()

    def _show_sections(self) -> None:
        """The sections' tables fitted to the width there is: amounts whole, other columns wrap or go."""
        detail = self.detail
        box = self.query_one("#sections", Static)
        body = self.query_one("#body", VerticalScroll)
        # the scrollbar's column is kept whether it shows yet or not, and the padding either side
        room = (body.size.width or self.size.width) - body.styles.scrollbar_size_vertical - 2
        parts: list = []
        for section in detail.sections:
            parts.append(Text(""))
            parts.append(Text(f"{section.title} ({len(section.rows)})", style="bold underline"))
            if section.rows:
                parts.append(fitted_table(section.columns, section.rows, room))
        parts.append(Text(""))
        parts.append(Text(_("Timeline"), style="bold underline"))
        if detail.timeline:
            parts.append(fitted_table([_("time"), _("who"), _("what")],
                                      [[e.at, e.who, e.what] for e in detail.timeline], room))
        box.update(Group(*parts))

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
