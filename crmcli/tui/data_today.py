"""The today view's calls to the services (a part of :class:`crmcli.tui.data.Data`).

The page is ``crm today``'s: :func:`crmcli.services.today.build` with its registered sections
(tasks, follow-ups due, events, customers about to return to the pool, receivables due — as
the areas register them).  ``space`` is ``crm task done``, ``s`` is ``crm task snooze``, ``f``
is ``crm NOUN follow``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from crmcli.i18n import _

# record kinds a follow-up can be logged on from the TUI, and the service function of each
FOLLOWABLE = ("lead", "customer", "contact", "opportunity")


@dataclass(frozen=True)
class TodayItem:
    section: str
    kind: str  # task | event | lead | customer | opportunity | contract | …
    id: int
    when: str
    due: str | None  # overdue | today | None
    title: str
    detail: str
    who: str


@dataclass(frozen=True)
class TodayPage:
    sections: list[tuple[str, str, list[TodayItem]]] = field(default_factory=list)  # (key, title, items)


class TodayData:
    """Mixed into :class:`crmcli.tui.data.Data`."""

    def today(self) -> TodayPage:
        """What ``crm today`` shows, section by section."""
        from datetime import date, datetime

        from crmcli.services import today

        with self.rt.transaction(write=False) as (s, me):
            page = today.build(s, me, self.tz)
            sections = []
            for section, items in page.sections:
                rows = []
                for item in items:
                    when = item.when
                    if isinstance(when, datetime):
                        shown = self.when(when)
                    elif isinstance(when, date):
                        shown = when.isoformat()
                    else:
                        shown = ""
                    rows.append(TodayItem(section.key, item.kind, item.id, shown, item.due, item.title or "",
                                          item.detail or "", item.who or ""))
                sections.append((section.key, _(section.title), rows))
            return TodayPage(sections)

    def complete_task(self, task_id: int) -> str:
        """``crm task done ID``; returns what to say (the next task of a recurring one)."""
        from crmcli.services import tasks

        with self._write(f"task done {task_id}") as (s, me):
            done = tasks.done(s, me, [str(task_id)], self.tz)[0]
            if done.next_task is not None:
                return _("Task {id} done; the next one is task {next}, due {due}.").format(
                    id=task_id, next=done.next_task.id, due=self.when(done.next_task.due_at))
            return _("Task {id} done.").format(id=task_id)

    def snooze_task(self, task_id: int, until: str) -> str:
        """``crm task snooze ID --until WHEN``."""
        from crmcli.services import tasks

        with self._write(f"task snooze {task_id}") as (s, me):
            task = tasks.snooze(s, me, task_id, until, self.tz)
            return _("Task {id} snoozed until {until}.").format(id=task_id, until=self.when(task.snoozed_until))

    def follow(self, kind: str, record_id: int, via: str, note: str, next_contact: str = "") -> int:
        """``crm NOUN follow ID --via --note --next`` for a lead, customer, contact or opportunity."""
        from crmcli import dates
        from crmcli.errors import ValidationError
        from crmcli.services import contacts, customers, leads, opportunities

        services = {"lead": leads.follow, "customer": customers.follow, "contact": contacts.follow,
                    "opportunity": opportunities.follow}
        if kind not in services:
            raise ValidationError(_("a follow-up is logged on a lead, customer, contact or opportunity"))
        noun = "opp" if kind == "opportunity" else kind
        with self._write(f"{noun} follow {record_id}") as (s, me):
            when = dates.parse_datetime(next_contact, self.tz) if next_contact.strip() else None
            entry = services[kind](s, me, record_id, via, note, None, when)
            return entry.id
