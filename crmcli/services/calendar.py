"""``crm cal``: whose calendar (me, a user, my team, a department) and what is on it.

A calendar shows the events its people take part in and their dated open tasks.  Another
user's or a department's calendar is shown only when the actor's data scope covers them;
``--team`` is everyone the scope covers (for a rep with scope ``self``: just them).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone, tzinfo
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from crmcli.errors import PermissionDenied, ValidationError
from crmcli.i18n import _
from crmcli.services import departments, events, tasks, users
from crmcli.services.access import Actor, department_children, require, subtree
from crmcli.store.models import User
from crmcli.store.models.schedule import Task

SPANS = ("day", "week", "month")


@dataclass
class Entry:
    kind: str  # event | task
    id: int
    start: datetime
    end: datetime | None
    all_day: bool
    title: str
    who: list[str]
    location: str | None = None
    status: str | None = None

    def row(self) -> dict[str, Any]:
        return {"kind": self.kind, "id": self.id, "ref": f"{self.kind}:{self.id}", "start": self.start,
                "end": self.end, "all_day": self.all_day, "title": self.title, "who": self.who,
                "location": self.location, "status": self.status}


def people(session: Session, actor: Actor, user: str | None = None, team: bool = False,
           dept: str | None = None) -> list[User]:
    """The users whose calendar is asked for (refused when the actor's scope does not cover them, or
    without ``event.view``: every calendar view and export starts here)."""
    require(actor, "event.view")
    if sum(bool(x) for x in (user, team, dept)) > 1:
        raise ValidationError(_("give one of --user, --team and --dept"))
    if team:
        return list(session.execute(select(User).where(User.id.in_(tasks.user_ids_in_scope(session, actor)))
                                    .order_by(User.login)).scalars())
    if dept:
        found = departments.find(session, dept)
        wanted = subtree(department_children(session), found.id)
        if actor.scope_departments is not None and not wanted <= actor.scope_departments:
            raise PermissionDenied(_("department {name} is outside your data scope").format(name=found.name))
        return list(session.execute(select(User).where(User.department_id.in_(sorted(wanted)),
                                                       User.disabled.is_(False)).order_by(User.login)).scalars())
    if user and user != "me":
        other = users.find(session, user)
        if other.id != actor.id and actor.scope_departments is not None \
                and other.department_id not in actor.scope_departments:
            raise PermissionDenied(_("{login}'s calendar is outside your data scope").format(login=other.login))
        return [other]
    return [session.get(User, actor.id)]


def span(kind: str, around: date) -> tuple[date, date]:
    """The first day and the day after the last of the day, week (Monday first) or month around a date."""
    if kind == "day":
        return around, around + timedelta(days=1)
    if kind == "week":
        monday = around - timedelta(days=around.weekday())
        return monday, monday + timedelta(days=7)
    first = around.replace(day=1)
    following = (first + timedelta(days=32)).replace(day=1)
    return first, following


def entries(session: Session, actor: Actor, who: list[User], start: datetime, end: datetime,
            with_tasks: bool = True) -> list[Entry]:
    require(actor, "event.view")
    ids = [u.id for u in who]
    found: list[Entry] = []
    for v in events.describe(session, events.for_users(session, ids, start, end)):
        e = v.event
        found.append(Entry("event", e.id, e.start_at, e.end_at, e.all_day, e.title, v.participants, e.location,
                           e.status))
    if with_tasks and actor.can("task.view"):
        for v in tasks.describe(session, dated_tasks(session, actor, who, start, end)):
            t = v.task
            found.append(Entry("task", t.id, t.due_at, None, False, t.title, [v.assignee or "?"], None, t.status))
    return sorted(found, key=lambda x: (x.start, x.kind, x.id))


def dated_tasks(session: Session, actor: Actor, who: list[User], start: datetime | None = None,
                end: datetime | None = None) -> list[Task]:
    """The dated tasks of ``who`` (from :func:`people`, so within the actor's scope), due in [start, end).

    Needs ``task.view``: a calendar shows tasks only to those who may see tasks at all.
    """
    require(actor, "task.view")
    query = select(Task).where(Task.assignee_id.in_([u.id for u in who]), Task.due_at.is_not(None))
    if start is not None:
        query = query.where(Task.due_at >= start)
    if end is not None:
        query = query.where(Task.due_at < end)
    return list(session.execute(query.order_by(Task.due_at, Task.id)).scalars())


def bounds(first: date, after: date, tz: tzinfo) -> tuple[datetime, datetime]:
    return (datetime.combine(first, time(0, 0), tz).astimezone(timezone.utc),
            datetime.combine(after, time(0, 0), tz).astimezone(timezone.utc))
