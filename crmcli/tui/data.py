"""The only place the TUI calls services.

Every method opens one transaction through :class:`crmcli.runtime.Runtime` (the
same acting user, database, language and time zone as the CLI), calls the
services the matching ``crm`` command calls, and returns plain dataclasses of
display strings, so no ORM object ever crosses from a worker thread to the UI.
Screens run these methods in thread workers (:meth:`ViewScreen.load`), so a
slow query never freezes the keys.  The calls of each view live in a mixin beside
this module (``data_pipeline``, ``data_today``, ``data_customers``, and ``data_cli`` for
the palette's crm commands); leads stay here.  Errors are the services' own
:class:`~crmcli.errors.CrmError` messages, shown as they are.

A read-only session (``crm tui --readonly``, or ``crm --read-only tui``) runs every call
on a :class:`~crmcli.runtime.Runtime` with ``read_only`` set: the database session itself
refuses any write (``ReadOnlySession``, exit 4 in the CLI), whatever a screen or a palette
command attempts.
"""

from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import datetime, tzinfo
from typing import TYPE_CHECKING, Any, Iterator

from crmcli.i18n import N_, _
from crmcli.tui.data_cli import CliData
from crmcli.tui.data_customers import CustomersData
from crmcli.tui.data_pipeline import PipelineData
from crmcli.tui.data_today import TodayData

if TYPE_CHECKING:
    from crmcli.runtime import Runtime

PAGE_SIZE = 100

OWNER_LABELS = {"me": N_("me"), "scope": N_("everyone I can see"), "none": N_("the lead pool")}
CUSTOMER_OWNER_LABELS = {**OWNER_LABELS, "none": N_("the public pool")}


@dataclass(frozen=True)
class Session:
    """Who is working, where, and how times are shown (fixed for the session)."""

    login: str
    name: str
    zone: str
    database: str
    readonly: bool


@dataclass(frozen=True)
class ListFilter:
    """What a list view asks for: ``--owner``, ``--status`` and ``--search`` of ``crm NOUN list``."""

    owner: str = "me"  # me | scope (everyone in my data scope) | none (in a pool)
    status: str | None = None  # None: every status
    search: str = ""

    def options(self, after: str | None, limit: int) -> Any:
        from crmcli.services.filters import ListOptions

        return ListOptions(owner=None if self.owner == "scope" else self.owner,
                           status=[self.status] if self.status else [],
                           search=self.search.strip() or None, limit=limit, after=after)


@dataclass(frozen=True)
class LeadRow:
    id: int
    label: str  # "name (company)", as the CLI names a lead
    name: str
    company: str
    status: str  # the status key (new, qualifying, …)
    status_label: str
    source: str
    owner: str
    mobile: str
    next_contact: str
    due: str | None  # "overdue" | "today" | None
    closed: bool


@dataclass(frozen=True)
class CustomerRow:
    id: int
    label: str
    name: str
    tier: str
    status: str
    status_label: str
    owner: str
    next_contact: str
    due: str | None  # "overdue" | "today" | None
    last_followup: str
    closed: bool
    days_left: str = ""  # before the public pool's rules recycle it (mine), or days in the pool (pooled)
    recycle_soon: bool = False


@dataclass(frozen=True)
class Page:
    rows: list[Any]
    cursor: str | None  # set when more rows follow


@dataclass(frozen=True)
class TimelineRow:
    at: str
    who: str
    what: str


@dataclass(frozen=True)
class RecordDetail:
    id: int
    title: str
    status_label: str
    closed: bool
    fields: list[tuple[str, str]] = field(default_factory=list)
    timeline: list[TimelineRow] = field(default_factory=list)


LeadDetail = RecordDetail


class Data(PipelineData, TodayData, CustomersData, CliData):
    """The TUI's gateway to the services, for one acting user."""

    def __init__(self, runtime: "Runtime", readonly: bool = False) -> None:
        self.readonly = readonly or runtime.read_only
        self.rt = replace(runtime, read_only=True) if self.readonly else runtime
        self.tz: tzinfo | None = None
        self.session: Session | None = None

    # -- the session ------------------------------------------------------------------

    def open(self) -> Session:
        """Check the database and the acting user (raising the CLI's errors) and fix the time zone.

        Called before the screen is taken over, so a missing database or an unknown user
        is one line on stderr, like any other command.
        """
        with self.rt.transaction(write=False) as (_s, me):
            login, name = me.login, me.name
        self.tz = self.rt.timezone()
        zone = getattr(self.tz, "key", None) or str(self.tz)
        self.session = Session(login=login, name=name, zone=zone, database=self.rt.target().display(),
                               readonly=self.readonly)
        return self.session

    def when(self, value: datetime | None) -> str:
        """A time in the user's zone, written as the CLI writes it in tables."""
        if value is None:
            return ""
        return value.astimezone(self.tz).strftime("%Y-%m-%d %H:%M")

    @contextmanager
    def _write(self, command: str) -> Iterator[tuple[Any, Any]]:
        """A write transaction recorded in the operation log as ``crm tui: COMMAND``.

        The changes are flushed before the caller's result is handed back, so a read-only
        session's refusal (raised by the session at the flush) comes instead of any "done".
        """
        base = self.rt.command_line or "crm tui"
        with replace(self.rt, command_line=f"{base}: {command}").transaction(write=True) as (session, me):
            yield session, me
            session.flush()

    # -- leads ------------------------------------------------------------------------

    def _due(self, when: datetime | None, now: datetime) -> str | None:
        """How a next-contact time stands against now, as the ``--next-contact`` windows read it."""
        if when is None:
            return None
        if when < now:
            return "overdue"
        if when.astimezone(self.tz).date() == now.astimezone(self.tz).date():
            return "today"
        return None

    def leads(self, wanted: ListFilter, after: str | None = None, limit: int = PAGE_SIZE) -> Page:
        """One page of leads, as ``crm lead list`` with the same filters would show them."""
        from crmcli.services import filters, leads

        with self.rt.transaction(write=False) as (s, me):
            page = filters.select_page(s, me, leads.LISTING, wanted.options(after, limit), self.tz)
            return Page(self._lead_rows(s, page.rows), page.next_cursor)

    def _lead_rows(self, session: Any, found: list[Any]) -> list[LeadRow]:
        from crmcli import clock
        from crmcli.services import leads

        owners = _logins(session, [lead.owner_id for lead in found])
        now = clock.now()
        rows = []
        for lead in found:
            due = self._due(lead.next_contact_at, now)
            rows.append(LeadRow(
                id=lead.id, label=leads.LEAD.label(lead), name=lead.name, company=lead.company or "", status=lead.status,
                status_label=_(leads.STATUS_LABELS.get(lead.status, lead.status)),
                source=_(leads.SOURCE_LABELS[lead.source]) if lead.source in leads.SOURCE_LABELS else (lead.source or ""),
                owner=owners.get(lead.owner_id, ""), mobile=lead.mobile or lead.phone or "",
                next_contact=self.when(lead.next_contact_at), due=due, closed=lead.status in leads.CLOSED))
        return rows

    def lead(self, lead_id: int) -> LeadDetail:
        """One lead's fields and timeline, as ``crm lead show`` has them."""
        from crmcli.services import leads, records

        with self.rt.transaction(write=False) as (s, me):
            lead = leads.get(s, me, lead_id)
            owners = _logins(s, [lead.owner_id])
            tags = records.tags_of(s, "lead", lead.id)
            source = _(leads.SOURCE_LABELS[lead.source]) if lead.source in leads.SOURCE_LABELS else lead.source
            status = _(leads.STATUS_LABELS.get(lead.status, lead.status))
            values: list[tuple[str, Any]] = [
                (_("name"), lead.name), (_("company"), lead.company), (_("title"), lead.title),
                (_("status"), status), (_("invalid because"), lead.invalid_reason),
                (_("owner"), owners.get(lead.owner_id)), (_("mobile"), lead.mobile), (_("phone"), lead.phone),
                (_("email"), lead.email), (_("website"), lead.website), (_("address"), lead.address),
                (_("region"), lead.region), (_("industry"), lead.industry), (_("source"), source),
                (_("campaign"), lead.campaign), (_("score"), lead.score), (_("tags"), ", ".join(tags)),
                (_("next contact"), lead.next_contact_at), (_("last follow-up"), lead.last_followup_at),
                (_("customer"), lead.customer_id), (_("contact"), lead.contact_id),
                (_("created"), lead.created_at), (_("updated"), lead.updated_at),
            ]
            values += list((lead.custom or {}).items())
            shown = [(label, self.when(v) if isinstance(v, datetime) else str(v))
                     for label, v in values if v not in (None, "", [], {})]
            timeline = [TimelineRow(self.when(e.at), e.who, e.summary)
                        for e in records.timeline(s, "lead", lead.id)]
            title = f"#{lead.id} {leads.LEAD.label(lead)}"
            return LeadDetail(lead.id, title, status, lead.status in leads.CLOSED, shown, timeline)

    def follow_lead(self, lead_id: int, via: str, note: str, next_contact: str = "") -> int:
        """Log a follow-up as ``crm lead follow ID --via --note --next`` does; returns its id."""
        return self.follow("lead", lead_id, via, note, next_contact)

    # -- choices the forms offer ------------------------------------------------------

    @staticmethod
    def follow_up_methods() -> list[tuple[str, str]]:
        """(label, value) for every way of following up the services accept."""
        from crmcli.services import records

        return [(_(records.VIA_LABELS[v]), v) for v in records.VIA]

    @staticmethod
    def lead_statuses() -> list[tuple[str, str]]:
        from crmcli.services import leads

        return [(_(leads.STATUS_LABELS[s]), s) for s in leads.STATUSES]

    @staticmethod
    def customer_statuses() -> list[tuple[str, str]]:
        from crmcli.services import customers

        return [(_(customers.STATUS_LABELS[s]), s) for s in customers.STATUSES]


def _logins(session: Any, ids: list[int | None]) -> dict[int, str]:
    from sqlalchemy import select

    from crmcli.store.models import User

    wanted = {i for i in ids if i}
    if not wanted:
        return {}
    return dict(session.execute(select(User.id, User.login).where(User.id.in_(wanted))).all())
