"""``crm today``: one page of today's work, built from **sections** that areas register.

Each section is a function ``fetch(session, actor, ctx) -> list[Item]``; :func:`register_section`
adds one (in order, or ``after=`` another).  This module registers the sections of tasks,
follow-ups and events; the public pool adds "customers about to be recycled" and contracts add
"receivable plans due" the same way, from their own service modules (which are in
``services/kinds.MODULES``, so :func:`build` sees them after ``kinds.load_all()``)::

    from crmcli.services import today

    def _recycling(session, actor, ctx):
        ...  # rows for ctx.user_ids (ctx.user_ids: [me], or a SELECT of my team's ids with --team)
        return [today.Item("customer", c.id, when, c.name, _("returns to the pool in 3 days"), owner_login)]

    today.register_section("recycling", N_("Customers about to return to the pool"), _recycling)

A section's query must be bounded by the users it is for (index on owner and time), so that
``crm today`` costs the same in a database of a thousand records or of millions.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, tzinfo
from typing import Any, Callable

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from crmcli import clock
from crmcli.i18n import N_, _
from crmcli.services.access import KINDS, Actor, require
from crmcli.store.models import User


@dataclass
class Item:
    kind: str  # task | event | lead | customer | contact | … (what ``ref`` names)
    id: int
    when: datetime | None
    title: str
    detail: str | None = None
    who: str | None = None  # the user it is for
    due: str | None = None  # overdue | today | None

    def row(self, section: str) -> dict[str, Any]:
        return {"section": section, "kind": self.kind, "id": self.id, "ref": f"{self.kind}:{self.id}",
                "when": self.when, "title": self.title, "detail": self.detail, "who": self.who, "due": self.due}


@dataclass
class Context:
    actor: Actor
    now: datetime
    tz: tzinfo
    day_start: datetime  # local midnight today, in UTC
    day_end: datetime  # local midnight tomorrow, in UTC
    team: bool
    user_ids: Any  # the ids of the users the page is for: [me], or a SELECT of my team's (use .in_(ctx.user_ids))
    logins: dict[int, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Section:
    key: str
    title: str  # N_() text, translated when shown
    fetch: Callable[[Session, Actor, Context], list[Item]]


SECTIONS: list[Section] = []


def register_section(key: str, title: str, fetch: Callable[[Session, Actor, Context], list[Item]], *,
                     after: str | None = None) -> None:
    """Add a section to ``crm today`` (at the end unless ``after``); registering a key again replaces it."""
    for i, section in enumerate(SECTIONS):
        if section.key == key:
            SECTIONS[i] = Section(key, title, fetch)
            return
    position = len(SECTIONS)
    if after is not None:
        keys = [s.key for s in SECTIONS]
        if after in keys:
            position = keys.index(after) + 1
    SECTIONS.insert(position, Section(key, title, fetch))


@dataclass
class Page:
    sections: list[tuple[Section, list[Item]]]
    team: bool


def build(session: Session, actor: Actor, tz: tzinfo, team: bool = False, now: datetime | None = None) -> Page:
    from crmcli.services.kinds import load_all
    from crmcli.services.tasks import day_bounds, user_ids_in_scope

    load_all()
    now = now or clock.now()
    start, end = day_bounds(now, tz)
    user_ids = user_ids_in_scope(session, actor) if team else [actor.id]
    ctx = Context(actor, now, tz, start, end, team, user_ids)
    return Page([(s, s.fetch(session, actor, ctx)) for s in SECTIONS], team)


def _due(when: datetime | None, ctx: Context) -> str | None:
    if when is None:
        return None
    return "overdue" if when < ctx.now else ("today" if when < ctx.day_end else None)


def _logins(session: Session, ctx: Context, ids: set[int]) -> dict[int, str]:
    missing = sorted(i for i in ids if i not in ctx.logins)
    if missing:
        ctx.logins.update(session.execute(select(User.id, User.login).where(User.id.in_(missing))).all())
    return ctx.logins


# --- the sections of this area --------------------------------------------------------------------


def _tasks(session: Session, actor: Actor, ctx: Context) -> list[Item]:
    from crmcli.services import tasks
    from crmcli.store.models.schedule import Task, TaskParticipant

    if not actor.can("task.view"):
        return []
    awake = or_(Task.snoozed_until.is_(None), Task.snoozed_until <= ctx.now)
    base = select(Task).where(Task.status == "open", Task.due_at < ctx.day_end, awake)
    found = {t.id: t for t in session.execute(base.where(Task.assignee_id.in_(ctx.user_ids))).scalars()}
    if not ctx.team:  # tasks I take part in (their ids first: one index range, whatever the planner thinks)
        taking_part = list(session.execute(select(TaskParticipant.task_id).where(
            TaskParticipant.user_id == actor.id)).scalars())
        for chunk in range(0, len(taking_part), 500):
            found.update({t.id: t for t in session.execute(
                base.where(Task.id.in_(taking_part[chunk:chunk + 500]))).scalars()})
    views = tasks.describe(session, list(found.values()), ctx.now)
    return [Item("task", v.task.id, v.task.due_at, v.task.title,
                 " · ".join(x for x in (v.related, _("urgency {score}").format(score=v.urgency)) if x),
                 v.assignee, _due(v.task.due_at, ctx)) for v in views]


def followup_kinds() -> list[Any]:
    """Record kinds with an owner and a next contact time (leads, customers, contacts, opportunities …)."""
    from crmcli.services.kinds import load_all

    load_all()
    seen, found = set(), []
    for kind in KINDS.values():
        model = kind.model
        if kind.name in seen or kind.public or kind.name in ("task", "event"):
            continue
        if hasattr(model, "next_contact_at") and hasattr(model, kind.owner_attr):
            seen.add(kind.name)
            found.append(kind)
    return found


def followup_filter(kind: Any) -> Any:
    """SQL: records whose next contact is still wanted (open ones; see also :func:`without_tasks`)."""
    model = kind.model
    conditions = [model.next_contact_at.is_not(None)]
    if hasattr(model, "merged_into_id"):
        conditions.append(model.merged_into_id.is_(None))
    if kind.name == "lead":
        conditions.append(model.status.not_in(("converted", "invalid")))
    return and_(*conditions)


def without_tasks(session: Session, kind: Any, records: list[Any]) -> list[Any]:
    """The records whose next contact no follow-up task carries (a follow-up with ``--next`` made one).

    Looked up by the records' ids (one index range each), not as a correlated subquery, which SQLite's
    planner may run against the wrong index when most tasks relate to nothing.
    """
    from crmcli.store.models.schedule import Task

    if not records:
        return records
    from sqlalchemy import Integer, bindparam, text

    from crmcli.store.types import UTCDateTime

    covered: set[tuple[int, Any]] = set()
    ids = sorted({r.id for r in records})
    sqlite = session.get_bind().dialect.name == "sqlite"
    for chunk in range(0, len(ids), 500):
        part = ids[chunk:chunk + 500]
        if sqlite:  # SQLAlchemy renders no table hints for SQLite: name the index in the SQL itself
            query = text("SELECT record_id, due_at FROM task INDEXED BY ix_task_record WHERE record_type = :kind "
                         "AND record_id IN :ids AND followup_id IS NOT NULL").bindparams(
                bindparam("ids", expanding=True)).columns(record_id=Integer, due_at=UTCDateTime())
            rows = session.execute(query, {"kind": kind.name, "ids": part})
        else:
            rows = session.execute(select(Task.record_id, Task.due_at).where(
                Task.record_type == kind.name, Task.record_id.in_(part), Task.followup_id.is_not(None)))
        covered |= {(record_id, due) for record_id, due in rows}
    return [r for r in records if (r.id, r.next_contact_at) not in covered]


def _followups(session: Session, actor: Actor, ctx: Context) -> list[Item]:
    items: list[Item] = []
    for kind in followup_kinds():
        if not actor.can(f"{kind.noun}.view"):
            continue
        model = kind.model
        owner = kind.owner_column()
        rows = without_tasks(session, kind, list(session.execute(select(model).where(
            owner.in_(ctx.user_ids), model.next_contact_at < ctx.day_end, followup_filter(kind))
            .order_by(model.next_contact_at, model.id)).scalars()))
        logins = _logins(session, ctx, {getattr(r, kind.owner_attr) for r in rows})
        items += [Item(kind.name, r.id, r.next_contact_at, kind.label(r), _("next contact"),
                       logins.get(getattr(r, kind.owner_attr)), _due(r.next_contact_at, ctx)) for r in rows]
    return sorted(items, key=lambda i: (i.when, i.kind, i.id))


def _events(session: Session, actor: Actor, ctx: Context) -> list[Item]:
    from crmcli.services import events

    if not actor.can("event.view"):
        return []
    found = events.for_users(session, ctx.user_ids, ctx.day_start, ctx.day_end)
    views = events.describe(session, found)
    items = []
    for v in views:
        e = v.event
        span = _("all day") if e.all_day else "{0}–{1}".format(
            e.start_at.astimezone(ctx.tz).strftime("%H:%M"), e.end_at.astimezone(ctx.tz).strftime("%H:%M"))
        detail = " · ".join(x for x in (span, e.location, v.related) if x)
        items.append(Item("event", e.id, e.start_at, e.title, detail, ", ".join(v.participants)))
    return items


register_section("tasks", N_("Tasks: overdue and due today"), _tasks)
register_section("followups", N_("Follow-ups due"), _followups)
register_section("events", N_("Today's events"), _events)


def check(actor: Actor) -> None:
    require(actor, "task.view")
