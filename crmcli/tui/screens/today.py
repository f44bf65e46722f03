"""View 2, today's work: the same page as ``crm today``, section by section.

Tasks overdue and due today, follow-ups due, today's events, customers about to return to
the public pool and receivable plans due — whatever sections the services register.
``space`` completes a task (``crm task done``), ``s`` snoozes it (``crm task snooze``), ``f``
logs a follow-up on the record (``crm NOUN follow``), ``enter`` opens the record.
"""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import Static

from crmcli.i18n import N_, _
from crmcli.tui.data_today import FOLLOWABLE, TodayPage
from crmcli.tui.safe import text
from crmcli.tui.screens.base import ViewScreen
from crmcli.tui.style import beside, due_style
from crmcli.tui.widgets.empty_state import EmptyState
from crmcli.tui.widgets.record_table import Col, RecordTable

SECTION = "section"  # the key prefix of a section's heading row
# short headings for the sections crm registers (a section added later shows its own title)
SHORT = {"tasks": N_("Tasks"), "followups": N_("Follow-ups"), "events": N_("Events"),
         "recycling": N_("Pool soon"), "receivables": N_("Receivables")}


class TodayScreen(ViewScreen):
    DEFAULT_CSS = beside(__file__)
    VIEW = "today"
    WRITES = frozenset({"done", "snooze", "follow"})
    BINDINGS = [
        Binding("space", "done", N_("Done"), id="today.done"),
        Binding("s", "snooze", N_("Snooze"), id="today.snooze"),
        Binding("f", "follow", N_("Follow up"), id="today.follow"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.page: TodayPage | None = None

    def compose_body(self) -> ComposeResult:
        yield Static(_("Loading…"), classes="section-title", id="due-title")
        yield RecordTable([
            Col("when", _("when"), width=16),
            Col("title", _("subject"), min=12, weight=2),
            Col("detail", _("detail"), min=10, weight=2, drop=1),
            Col("ref", _("record"), width=12, drop=2),
        ], open_label=_("Open"), near_end=0, id="due")
        yield EmptyState(_("Nothing due today."),
                         _("Overdue and due tasks, follow-ups due, today's events, customers about to return to "
                           "the pool and payments due appear here."),
                         "crm task add '给客户回电话' --due today", id="nothing-due")

    def on_mount(self) -> None:
        self.query_one("#nothing-due").display = False

    @property
    def table(self) -> RecordTable:
        return self.query_one("#due", RecordTable)

    def reload(self) -> None:
        self.load(self.data.today, self.show)

    def show(self, page: TodayPage) -> None:
        self.page = page
        no_color = self.app.no_color
        rows: list[tuple[str, dict[str, Any]]] = []
        total = 0
        for key, title, items in page.sections:
            if not items:
                continue
            total += len(items)
            short = _(SHORT[key]) if key in SHORT else title
            rows.append((f"{SECTION}:{key}", {"when": Text(f"{short} ({len(items)})", style="bold underline")}))
            for item in items:
                rows.append((f"{item.kind}:{item.id}", {
                    "when": Text(item.when, style=due_style(item.due, no_color)),
                    "title": Text(item.title), "detail": Text(item.detail, style="" if no_color else "dim"),
                    "ref": Text(f"{item.kind}:{item.id}"), "item": item}))
        table = self.table
        keep, place = table.selected_key, table.cursor_row
        table.show(rows, keep=keep)
        if keep is None or keep not in table.keys:
            # the item went (done, snoozed): stay at its place, on the row that took it, so that
            # space down the list completes each task in turn; at the end, the row before
            row = _item_near(table.keys, place if keep is not None else 0)
            if row is not None:
                table.move_cursor(row=row, animate=False)
        empty = [_(SHORT[k]) if k in SHORT else t for k, t, items in page.sections if not items]
        summary = _("Today: {n} to do").format(n=total)
        if empty and total:
            summary += " · " + _("nothing in: {sections}").format(sections=", ".join(empty))
        self.query_one("#due-title", Static).update(text(summary))
        table.display = bool(total)
        self.query_one("#nothing-due").display = not total
        if total:
            table.focus()

    # -- the item under the cursor ----------------------------------------------------

    def _selected(self) -> Any:
        key = self.table.selected_key
        if not key or key.startswith(SECTION):
            return None
        return self.table.values(key).get("item")

    def on_data_table_row_selected(self, event: Any) -> None:
        event.stop()
        item = self._selected()
        if item is not None:
            open_record(self, item.kind, item.id)

    def _selected_task(self) -> Any:
        item = self._selected()
        if item is None:
            return None
        if item.kind != "task":
            self.notify(_("Only a task can be completed or snoozed here."), severity="warning")
            return None
        return item

    def action_done(self) -> None:
        if self.refuse_write():
            return
        item = self._selected_task()
        if item is None:
            return
        data = self.data

        def done(message: str) -> None:
            self.notify(message)
            self.reload()

        self.load(lambda: data.complete_task(item.id), done, group="write", exclusive=False)

    def action_snooze(self) -> None:
        from crmcli.tui.screens.ask import AskScreen

        if self.refuse_write():
            return
        item = self._selected_task()
        if item is None:
            return
        data = self.data

        def snoozed(message: str | None) -> None:
            if message:
                self.notify(message)

        self.app.push_screen(AskScreen(
            _("Snooze task {id}: {title}").format(id=item.id, title=item.title), _("until"),
            lambda until: data.snooze_task(item.id, until), value="tomorrow 09:00",
            placeholder=_("e.g. tomorrow 09:00, friday, +3d"), button=_("Snooze")), snoozed)

    def action_follow(self) -> None:
        from crmcli.tui.screens.lead_actions import follow_up

        if self.refuse_write():
            return
        item = self._selected()
        if item is None:
            return
        if item.kind not in FOLLOWABLE:
            self.notify(_("A follow-up is logged on a lead, customer, contact or opportunity."), severity="warning")
            return
        follow_up(self, item.kind, item.id, f"#{item.id} {item.title}")


def _item_near(keys: list[str], place: int) -> int | None:
    """The first item (not a section heading) at or after ``place``, else the last one before it."""
    items = [i for i, key in enumerate(keys) if not key.startswith(SECTION)]
    if not items:
        return None
    return next((i for i in items if i >= place), items[-1])


def open_record(screen: Any, kind: str, record_id: int) -> None:
    """Open a lead, customer or opportunity on the current view's stack; say how to see anything else."""
    if kind == "lead":
        from crmcli.tui.screens.lead_detail import LeadDetailScreen

        screen.app.push_screen(LeadDetailScreen(record_id))
    elif kind == "customer":
        from crmcli.tui.screens.customer_360 import Customer360Screen

        screen.app.push_screen(Customer360Screen(record_id))
    elif kind == "opportunity":
        from crmcli.tui.screens.opportunity import OpportunityScreen

        screen.app.push_screen(OpportunityScreen(record_id))
    else:
        noun = {"opportunity": "opp"}.get(kind, kind)
        screen.notify(_("See it with: crm {noun} show {id}").format(noun=noun, id=record_id))
