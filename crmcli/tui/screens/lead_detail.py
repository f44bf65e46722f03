"""One lead: its fields and its timeline (follow-ups and logged changes), as ``crm lead show``."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Container, Vertical, VerticalScroll
from textual.widgets import Static

from crmcli.i18n import N_, _
from crmcli.tui.data import LeadDetail
from crmcli.tui.safe import text
from crmcli.tui.screens.base import ViewScreen
from crmcli.tui.screens.lead_actions import follow_up_lead
from crmcli.tui.style import beside
from crmcli.tui.widgets.field_list import FieldList
from crmcli.tui.widgets.record_table import Col, RecordTable
from crmcli.tui.widgets.view_bar import ViewBar

WIDE = 110  # from this many columns, fields and timeline sit side by side


class LeadDetailScreen(ViewScreen):
    DEFAULT_CSS = beside(__file__)
    VIEW = "leads"
    WRITES = frozenset({"follow"})
    BINDINGS = [
        Binding("f", "follow", N_("Follow up"), id="lead.follow"),
        Binding("escape", "back", N_("Back"), id="view.back"),
    ]

    def __init__(self, lead_id: int) -> None:
        super().__init__()
        self.lead_id = lead_id
        self.detail: LeadDetail | None = None

    def where(self) -> str:
        return f"#{self.lead_id}"

    def compose_body(self) -> ComposeResult:
        yield Static(_("Loading…"), id="title")
        with Container(id="panes"):
            with VerticalScroll(id="fields-pane"):
                yield FieldList(id="fields")
            with Vertical(id="timeline-pane"):
                yield Static(_("Timeline"), classes="section-title")
                yield RecordTable([
                    Col("at", _("time"), width=16),
                    Col("who", _("who"), width=8, drop=1),
                    Col("what", _("what"), min=12),
                ], id="timeline")

    def on_resize(self) -> None:
        self.set_class(self.size.width < WIDE, "-narrow")

    def on_mount(self) -> None:
        self.set_class(self.size.width < WIDE, "-narrow")
        self.query_one("#timeline", RecordTable).focus()

    def reload(self) -> None:
        self.load(lambda: self.data.lead(self.lead_id), self.show)

    def show(self, detail: LeadDetail) -> None:
        self.detail = detail
        title = self.query_one("#title", Static)
        title.update(text(f"{detail.title} · {detail.status_label}", no_wrap=True, overflow="ellipsis"))
        bar = self.query_one(ViewBar)
        bar.where = f"#{detail.id}"
        bar.refresh()
        self.query_one("#fields", FieldList).show(detail.fields)
        self.query_one("#timeline", RecordTable).show(
            [(i, {"at": e.at, "who": e.who, "what": e.what}) for i, e in enumerate(detail.timeline)])

    def action_follow(self) -> None:
        if self.refuse_write():
            return
        follow_up_lead(self, self.lead_id, self.detail.title if self.detail else "")
