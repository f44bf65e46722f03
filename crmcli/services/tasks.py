"""Tasks (任务): add, edit, done, reopen, assign, snooze; views; urgency; recurrence.

A task belongs to its **assignee** (the owner for access: it is visible to them and to whoever's
data scope covers them), and is also visible to its **participants** and its creator.  A task
is ``open`` or ``done``; snoozing (``snoozed_until``) hides an open task from the inbox, today
and next views until that time.  Views (DOMAIN.md): **inbox** — open, no due date; **today** —
due today or overdue; **next** — due in the next 7 days after today; **later** — due after that,
or snoozed.  Every list is ordered by urgency (:mod:`crmcli.services.urgency`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta, timezone, tzinfo
from decimal import Decimal
from typing import Any

from sqlalchemy import delete, exists, or_, select
from sqlalchemy.orm import Session

from crmcli import clock, dates, limits
from crmcli.errors import Conflict, NotFound, PermissionDenied, ValidationError
from crmcli.i18n import N_, _
from crmcli.services import audit, recurrence, urgency, users
from crmcli.services.access import (KINDS, Actor, Kind, can_change, can_see, kind_named, register_kind, require,
                                    visible_clause)
from crmcli.store.models import User
from crmcli.store.models.schedule import Task, TaskParticipant

STATUSES = ("open", "done")
STATUS_LABELS = {"open": N_("open"), "done": N_("done")}
PRIORITIES = ("high", "medium", "low")
PRIORITY_LABELS = {"high": N_("high"), "medium": N_("medium"), "low": N_("low")}
_PRIORITY_ALIASES = {"h": "high", "m": "medium", "l": "low", "high": "high", "medium": "medium", "low": "low",
                     "高": "high", "中": "medium", "低": "low"}
VIEWS = ("inbox", "today", "next", "later")
LOGGED = ("title", "description", "status", "priority", "assignee_id", "due_at", "snoozed_until", "remind_at",
          "record_type", "record_id", "recur_n", "recur_unit", "recur_mode", "done_at")

TASK = register_kind(Kind(name="task", model=Task, noun="task", owner_attr="assignee_id",
                          label=lambda t: t.title, aliases=("tasks",)))


# --- parsing what users type -----------------------------------------------------------------


def check_priority(value: str | None) -> str | None:
    if value is None or not value.strip() or value.strip().lower() == "none":
        return None
    found = _PRIORITY_ALIASES.get(value.strip().lower())
    if found is None:
        raise ValidationError(_("unknown priority '{value}'").format(value=value),
                              hint=_("one of: {choices}").format(choices="high, medium, low, none"))
    return found


def check_title(title: str | None) -> str:
    title = (title or "").strip()
    if not title:
        raise ValidationError(_("a task needs a title"))
    if len(title) > 200:
        raise ValidationError(_("a title may be at most 200 characters"))
    return title


_DAY_AND_TIME = re.compile(r"^(.+?)\s+(?:at\s+)?(\d{1,2}):(\d{2})$")


def parse_moment(text: str, tz: tzinfo, due: bool = False) -> datetime:
    """:func:`crmcli.dates.parse_datetime` (``parse_due`` when ``due``), also reading 'DAY HH:MM'
    where DAY is any word the date parser knows: ``tomorrow 10:00``, ``fri 17:00``, ``+3d 09:30``."""
    parse = dates.parse_due if due else dates.parse_datetime
    try:
        return parse(text, tz)
    except ValidationError:
        m = _DAY_AND_TIME.match(text.strip())
        if not m or int(m.group(2)) > 23 or int(m.group(3)) > 59:
            raise
        try:
            day = dates.parse_date(m.group(1), tz)
        except ValidationError:
            raise dates._bad_date(text) from None
        local = datetime.combine(day, time(int(m.group(2)), int(m.group(3))), tz)
        return local.astimezone(timezone.utc)


def reminder_time(text: str | None, anchor: datetime | None, tz: tzinfo, what: str) -> datetime | None:
    """``--remind``: a duration before ``anchor`` (``15m``, ``1h``, ``1d`` — ``m`` is minutes, as in
    every duration) or a time (``2026-12-01 09:00``); within the date range either way."""
    if text is None or not text.strip():
        return None
    value = text.strip().lower()
    if dates.is_duration(value):
        if anchor is None:
            raise ValidationError(_("a reminder '{text}' before the {what} needs a {what}").format(
                text=limits.shown(text), what=what),
                hint=_("give a time instead, e.g. --remind 'tomorrow 09:00'"))
        return limits.check_moment(anchor - dates.parse_duration(value), text)
    return parse_moment(text, tz)


def related(session: Session, actor: Actor, text: str | None) -> tuple[str, int, str] | None:
    """``--on customer:12``: the record's type, id and label (visible to the actor, else not found)."""
    if text is None or not text.strip():
        return None
    from crmcli.services import records
    from crmcli.services.why import parse_reference

    kind_name, ref = parse_reference(text.strip())
    kind = kind_named(kind_name)
    if kind.public or kind.name in ("task", "event"):
        raise ValidationError(_("tasks and events relate to records such as leads, customers, contacts: not {kind}").format(
            kind=kind.name), hint=_("write --on TYPE:ID, e.g. --on customer:12"))
    record = records.get(session, actor, kind, ref, "view")
    return kind.name, record.id, kind.label(record)


def record_label(session: Session, record_type: str | None, record_id: int | None) -> str | None:
    if record_type is None or record_id is None:
        return None
    from crmcli.services.kinds import load_all

    load_all()
    kind = KINDS.get(record_type)
    record = session.get(kind.model, record_id) if kind else None
    return f"{record_type}:{record_id}" + (f" {kind.label(record)}" if record is not None else "")


def participants_of(session: Session, actor: Actor, logins: list[str] | None) -> list[User]:
    """Active users by login; a disabled one is refused (exit 6)."""
    found: dict[int, User] = {}
    for value in logins or []:
        for login in value.split(","):
            if login.strip():
                user = users.find_active(session, login.strip())
                found[user.id] = user
    return list(found.values())


def resolve_assignee(session: Session, actor: Actor, assignee: str | None) -> User:
    if assignee is None or assignee == "me":
        return session.get(User, actor.id)
    user = users.find_active(session, assignee)
    from crmcli.services.leads import ensure_in_scope

    ensure_in_scope(session, actor, user)
    return user


# --- access ------------------------------------------------------------------------------------


def visible(actor: Actor) -> Any:
    """Tasks the actor sees: the assignee is in scope, or the actor created it or takes part."""
    return or_(visible_clause(actor, TASK), Task.created_by == actor.id,
               exists().where(TaskParticipant.task_id == Task.id, TaskParticipant.user_id == actor.id))


def _participant_ids(session: Session, task_id: int) -> list[int]:
    return list(session.execute(select(TaskParticipant.user_id).where(TaskParticipant.task_id == task_id)
                                .order_by(TaskParticipant.user_id)).scalars())


def get(session: Session, actor: Actor, ref: Any, verb: str = "view") -> Task:
    text = str(ref).strip().lstrip("#")
    task = session.get(Task, limits.as_id(text)) if limits.as_id(text) is not None else None
    from crmcli.services import locking

    task = locking.hold(session, task)  # a write locks the row first, so the checks below see it as written
    if task is None or not (can_see(session, actor, TASK, task) or task.created_by == actor.id
                            or actor.id in _participant_ids(session, task.id)):
        raise NotFound(_("no task {ref}").format(ref=ref))
    require(actor, f"task.{verb}")
    if verb != "view" and not (can_change(session, actor, TASK, task) or task.created_by == actor.id):
        raise PermissionDenied(_("{login} may see but not change task {id}").format(login=actor.login, id=task.id))
    return task


# --- changes ------------------------------------------------------------------------------------


def _set_participants(session: Session, task: Task, people: list[User]) -> None:
    session.execute(delete(TaskParticipant).where(TaskParticipant.task_id == task.id))
    for user in people:
        if user.id != task.assignee_id:
            session.add(TaskParticipant(task_id=task.id, user_id=user.id))


def _logged(session: Session, task: Task) -> dict[str, Any]:
    values = audit.snapshot(task, LOGGED)
    values["participants"] = _participant_ids(session, task.id) or None
    return values


@dataclass
class TaskInput:
    title: str | None = None
    description: str | None = None
    assignee: str | None = None
    participants: list[str] | None = None
    due: str | None = None
    priority: str | None = None
    on: str | None = None
    remind: str | None = None
    recur: str | None = None


def add(session: Session, actor: Actor, data: TaskInput, tz: tzinfo) -> Task:
    require(actor, "task.create")
    title = check_title(data.title)
    priority = check_priority(data.priority)
    due = parse_moment(data.due, tz, due=True) if data.due else None
    rule = recurrence.parse(data.recur) if data.recur else None
    if rule is not None and rule.mode == "every" and due is None:
        raise ValidationError(_("a task that repeats {rule} needs a due date").format(rule=rule.describe()),
                              hint=_("add --due, or repeat it '… after done'"))
    remind = reminder_time(data.remind, due, tz, _("due time"))
    assignee = resolve_assignee(session, actor, data.assignee)
    if data.assignee not in (None, "me"):
        require(actor, "task.assign")
    people = participants_of(session, actor, data.participants)
    link = related(session, actor, data.on)
    now = clock.now()
    task = Task(title=title, description=(data.description or "").strip() or None, priority=priority,
                assignee_id=assignee.id, due_at=due, remind_at=remind, created_by=actor.id, created_at=now,
                updated_at=now, record_type=link[0] if link else None, record_id=link[1] if link else None,
                recur_n=rule.n if rule else None, recur_unit=rule.unit if rule else None,
                recur_mode=rule.mode if rule else None)
    session.add(task)
    session.flush()
    if rule is not None:
        task.series_id = task.id
    _set_participants(session, task, people)
    session.flush()
    audit.record(session, actor, "task.add", "task", task.id, title, audit.created(_logged(session, task)))
    return task


def edit(session: Session, actor: Actor, ref: Any, data: TaskInput, tz: tzinfo, *, clear_due: bool = False,
         clear_remind: bool = False, clear_recur: bool = False, clear_on: bool = False) -> Task:
    task = get(session, actor, ref, "edit")
    before = _logged(session, task)
    if data.title is not None:
        task.title = check_title(data.title)
    if data.description is not None:
        task.description = data.description.strip() or None
    if data.priority is not None:
        task.priority = check_priority(data.priority)
    if data.due is not None:
        task.due_at = parse_moment(data.due, tz, due=True)
    elif clear_due:
        task.due_at = None
    if data.recur is not None:
        rule = recurrence.parse(data.recur)
        task.recur_n, task.recur_unit, task.recur_mode = rule.n, rule.unit, rule.mode
        task.series_id = task.series_id or task.id
    elif clear_recur:
        task.recur_n = task.recur_unit = task.recur_mode = None
    if task.recur_mode == "every" and task.due_at is None:
        raise ValidationError(_("a task that repeats needs a due date"), hint=_("add --due, or repeat it '… after done'"))
    if data.remind is not None:
        task.remind_at = reminder_time(data.remind, task.due_at, tz, _("due time"))
    elif clear_remind:
        task.remind_at = None
    if data.on is not None:
        link = related(session, actor, data.on)
        task.record_type, task.record_id = (link[0], link[1]) if link else (None, None)
    elif clear_on:
        task.record_type = task.record_id = None
    if data.assignee is not None:
        require(actor, "task.assign")
        task.assignee_id = resolve_assignee(session, actor, data.assignee).id
    if data.participants is not None:
        _set_participants(session, task, participants_of(session, actor, data.participants))
    session.flush()
    changes = audit.diff(before, _logged(session, task))
    if changes:
        task.updated_at = clock.now()
        audit.record(session, actor, "task.edit", "task", task.id, task.title, changes)
    return task


def _batch(session: Session, actor: Actor, refs: list[str], verb: str) -> list[Task]:
    if not refs:
        raise ValidationError(_("name at least one task"))
    from crmcli.services import locking

    return locking.lock_batch(session, refs, lambda ref: get(session, actor, ref, verb))


@dataclass
class Done:
    task: Task
    next_task: Task | None = None
    series_ended: bool = False  # a recurring task whose next occurrence would fall after the date range


def done(session: Session, actor: Actor, refs: list[str], tz: tzinfo) -> list[Done]:
    """Mark tasks done (batch, all-or-nothing); a recurring task makes its next one."""
    tasks = _batch(session, actor, refs, "edit")
    for task in tasks:
        if task.status == "done":
            raise Conflict(_("task {id} is already done").format(id=task.id))
    now = clock.now()
    result = []
    for task in tasks:
        task.status, task.done_at, task.updated_at, task.snoozed_until = "done", now, now, None
        following = _next_of(session, actor, task, now, tz) if task.recur_mode else None
        changes: dict[str, Any] = {"status": ["open", "done"], "done_at": [None, audit.snapshot(task, ["done_at"])["done_at"]]}
        if following is not None:
            changes["next_task"] = [None, following.id]
        audit.record(session, actor, "task.done", "task", task.id, task.title, changes)
        result.append(Done(task, following, series_ended=bool(task.recur_mode) and following is None))
    return result


def _next_of(session: Session, actor: Actor, task: Task, now: datetime, tz: tzinfo) -> Task | None:
    """The next task of a series, or None when it would be due after the date range (the series ends)."""
    rule = recurrence.Rule(task.recur_n, task.recur_unit, task.recur_mode)
    due = recurrence.next_due(rule, task.due_at, now, tz)
    if due is None:
        return None
    remind = due - (task.due_at - task.remind_at) if task.remind_at and task.due_at else None
    following = Task(title=task.title, description=task.description, priority=task.priority,
                     assignee_id=task.assignee_id, due_at=due, remind_at=remind, record_type=task.record_type,
                     record_id=task.record_id, recur_n=task.recur_n, recur_unit=task.recur_unit,
                     recur_mode=task.recur_mode, series_id=task.series_id or task.id, created_by=actor.id,
                     created_at=now, updated_at=now)
    session.add(following)
    session.flush()
    for user_id in _participant_ids(session, task.id):
        session.add(TaskParticipant(task_id=following.id, user_id=user_id))
    session.flush()
    audit.record(session, actor, "task.add", "task", following.id, following.title,
                 {**audit.created(_logged(session, following)), "previous": [None, task.id]})
    return following


def reopen(session: Session, actor: Actor, refs: list[str]) -> list[Task]:
    tasks = _batch(session, actor, refs, "edit")
    for task in tasks:
        if task.status == "open":
            raise Conflict(_("task {id} is already open").format(id=task.id))
    for task in tasks:
        audit.record(session, actor, "task.reopen", "task", task.id, task.title,
                     {"status": ["done", "open"], "done_at": [audit.snapshot(task, ["done_at"])["done_at"], None]})
        task.status, task.done_at, task.updated_at = "open", None, clock.now()
    return tasks


def assign(session: Session, actor: Actor, refs: list[str], to: str) -> list[Task]:
    require(actor, "task.assign")
    user = resolve_assignee(session, actor, to)
    tasks = _batch(session, actor, refs, "edit")
    for task in tasks:
        if task.assignee_id == user.id:
            continue
        audit.record(session, actor, "task.assign", "task", task.id, task.title, {"assignee_id": [task.assignee_id, user.id]})
        task.assignee_id = user.id
        task.updated_at = clock.now()
        session.execute(delete(TaskParticipant).where(TaskParticipant.task_id == task.id,
                                                      TaskParticipant.user_id == user.id))
    return tasks


def snooze(session: Session, actor: Actor, ref: Any, until: str, tz: tzinfo) -> Task:
    """Hide an open task until a time; its reminder (if any was due before) comes then."""
    task = get(session, actor, ref, "edit")
    if task.status == "done":
        raise ValidationError(_("task {id} is done: a done task cannot be snoozed").format(id=task.id),
                              hint=_("reopen it first: crm task reopen {id}").format(id=task.id))
    moment = parse_moment(until, tz)
    now = clock.now()
    if moment <= now:
        raise ValidationError(_("snooze until a time in the future"))
    before = _logged(session, task)
    task.snoozed_until = moment
    if task.remind_at is None or task.remind_at < moment:
        task.remind_at = moment
    task.updated_at = now
    audit.record(session, actor, "task.snooze", "task", task.id, task.title, audit.diff(before, _logged(session, task)))
    return task


# --- follow-ups (records.follow --next) ---------------------------------------------------------


def for_followup(session: Session, actor: Actor, kind: Kind, record: Any, entry: Any) -> Task | None:
    """A follow-up's next contact becomes a task for its author, linked to the record.

    Earlier open follow-up tasks of the same author on the same record that were due by now are
    done: the contact they asked for just happened.
    """
    now = clock.now()
    for old in session.execute(select(Task).where(
            Task.record_type == kind.name, Task.record_id == record.id, Task.assignee_id == actor.id,
            Task.status == "open", Task.followup_id.is_not(None), Task.due_at <= now)).scalars():
        old.status, old.done_at, old.updated_at = "done", now, now
        audit.record(session, actor, "task.done", "task", old.id, old.title, {"status": ["open", "done"]})
    if entry.next_contact_at is None:
        return None
    title = _("Contact {label}").format(label=kind.label(record))[:200]
    task = Task(title=title, assignee_id=actor.id, due_at=entry.next_contact_at, remind_at=entry.next_contact_at,
                record_type=kind.name, record_id=record.id, followup_id=entry.id, created_by=actor.id,
                created_at=now, updated_at=now)
    session.add(task)
    session.flush()
    audit.record(session, actor, "task.add", "task", task.id, title, audit.created(_logged(session, task)))
    return task


# --- reading ------------------------------------------------------------------------------------


@dataclass
class TaskView:
    """A task with what lists show beside it."""

    task: Task
    assignee: str | None
    participants: list[str] = field(default_factory=list)
    related: str | None = None
    amount: Decimal | None = None
    terms: list[urgency.Term] = field(default_factory=list)
    urgency: float = 0.0

    def row(self) -> dict[str, Any]:
        t = self.task
        return {"id": t.id, "title": t.title, "status": t.status, "priority": t.priority, "due_at": t.due_at,
                "assignee": self.assignee, "participants": self.participants, "related": self.related,
                "record_type": t.record_type, "record_id": t.record_id, "urgency": self.urgency,
                "snoozed_until": t.snoozed_until, "remind_at": t.remind_at,
                "recurrence": describe_recurrence(t), "description": t.description, "done_at": t.done_at,
                "created_at": t.created_at, "updated_at": t.updated_at}


def describe_recurrence(task: Task) -> str | None:
    if not task.recur_mode:
        return None
    return recurrence.Rule(task.recur_n, task.recur_unit, task.recur_mode).describe()


def amounts(session: Session, tasks: list[Task]) -> dict[tuple[str, int], Decimal]:
    """The amount of each related record that has one (opportunities, contracts …)."""
    wanted: dict[str, set[int]] = {}
    for t in tasks:
        if t.record_type and t.record_id:
            wanted.setdefault(t.record_type, set()).add(t.record_id)
    found: dict[tuple[str, int], Decimal] = {}
    for record_type, ids in wanted.items():
        kind = KINDS.get(record_type)
        column = getattr(kind.model, "amount", None) if kind else None
        if column is None:
            continue
        for record_id, amount in session.execute(select(kind.model.id, column).where(kind.model.id.in_(sorted(ids)))):
            if amount is not None:
                found[(record_type, record_id)] = Decimal(str(amount))
    return found


def describe(session: Session, tasks: list[Task], now: datetime | None = None) -> list[TaskView]:
    """Views of tasks with urgency, ordered most urgent first (open before done)."""
    now = now or clock.now()
    ids = [t.id for t in tasks]
    people: dict[int, list[int]] = {}
    for chunk in range(0, len(ids), 500):
        for task_id, user_id in session.execute(select(TaskParticipant.task_id, TaskParticipant.user_id).where(
                TaskParticipant.task_id.in_(ids[chunk:chunk + 500])).order_by(TaskParticipant.user_id)):
            people.setdefault(task_id, []).append(user_id)
    user_ids = {t.assignee_id for t in tasks} | {u for v in people.values() for u in v}
    logins = dict(session.execute(select(User.id, User.login).where(User.id.in_(sorted(user_ids)))).all()) if user_ids else {}
    money = amounts(session, tasks)
    labels: dict[tuple[str, int], str | None] = {}
    views = []
    for t in tasks:
        key = (t.record_type, t.record_id)
        if t.record_type and key not in labels:
            labels[key] = record_label(session, t.record_type, t.record_id)
        amount = money.get(key) if t.record_type else None
        found = urgency.terms(due=t.due_at, priority=t.priority, created=t.created_at, now=now, amount=amount,
                              participants=len(people.get(t.id, [])))
        views.append(TaskView(t, logins.get(t.assignee_id), [logins.get(u, "?") for u in people.get(t.id, [])],
                              labels.get(key) if t.record_type else None, amount, found,
                              urgency.score(found) if t.status == "open" else 0.0))
    views.sort(key=lambda v: (v.task.status != "open", -v.urgency, v.task.due_at is None,
                              v.task.due_at or now, v.task.id))
    return views


def day_bounds(now: datetime, tz: tzinfo) -> tuple[datetime, datetime]:
    """The start and end (exclusive) of the local day containing ``now``, in UTC."""
    local = now.astimezone(tz).date()
    start = datetime.combine(local, time(0, 0), tz).astimezone(timezone.utc)
    end = datetime.combine(local + timedelta(days=1), time(0, 0), tz).astimezone(timezone.utc)
    return start, end


def view_clause(view: str, now: datetime, tz: tzinfo) -> Any:
    """The SQL condition of a view (on open tasks)."""
    start, end = day_bounds(now, tz)
    week_end = datetime.combine(now.astimezone(tz).date() + timedelta(days=8), time(0, 0), tz).astimezone(timezone.utc)
    awake = or_(Task.snoozed_until.is_(None), Task.snoozed_until <= now)
    if view == "inbox":
        return (Task.due_at.is_(None)) & awake
    if view == "today":
        return (Task.due_at < end) & awake
    if view == "next":
        return (Task.due_at >= end) & (Task.due_at < week_end) & awake
    if view == "later":
        return or_(Task.due_at >= week_end, Task.snoozed_until > now)
    raise ValidationError(_("unknown view '{value}'").format(value=view),
                          hint=_("one of: {choices}").format(choices=", ".join(VIEWS)))


@dataclass
class TaskQuery:
    view: str | None = None  # inbox | today | next | later
    status: str = "open"  # open | done | all
    assignee: str | None = "me"  # me | LOGIN | None (everyone visible)
    team: bool = False
    on: str | None = None
    limit: int = 100


def user_ids_in_scope(session: Session, actor: Actor) -> Any:
    """SQL: the ids of the users whose records the actor's scope covers (the actor's team)."""
    from crmcli.services.access import owner_in_scope_clause

    return select(User.id).where(owner_in_scope_clause(actor, User.id), User.disabled.is_(False))


def find(session: Session, actor: Actor, q: TaskQuery, tz: tzinfo, now: datetime | None = None) -> list[TaskView]:
    require(actor, "task.view")
    now = now or clock.now()
    query = select(Task).where(visible(actor))
    if q.status not in ("open", "done", "all"):
        raise ValidationError(_("unknown status '{value}'").format(value=q.status),
                              hint=_("one of: {choices}").format(choices="open, done, all"))
    if q.status != "all":
        query = query.where(Task.status == q.status)
    if q.view:
        query = query.where(view_clause(q.view, now, tz))
    if q.team:
        query = query.where(Task.assignee_id.in_(user_ids_in_scope(session, actor)))
    elif q.assignee:
        if q.assignee == "me":
            mine = or_(Task.assignee_id == actor.id,
                       exists().where(TaskParticipant.task_id == Task.id, TaskParticipant.user_id == actor.id))
            query = query.where(mine)
        else:
            query = query.where(Task.assignee_id == users.find(session, q.assignee).id)
    if q.on:
        link = related(session, actor, q.on)
        query = query.where(Task.record_type == link[0], Task.record_id == link[1])
    if not 1 <= q.limit <= 100_000:
        raise ValidationError(_("--limit must be between 1 and {max}").format(max=100_000))
    tasks = list(session.execute(query.order_by(Task.id)).scalars())
    return describe(session, tasks, now)[:q.limit]


# --- hand-over ----------------------------------------------------------------------------------


def _count_open(session: Session, user_id: int) -> int:
    """Open tasks do not keep a user from being disabled (they stay visible to managers), so: none."""
    return 0


def hand_over(session: Session, actor: Actor, from_id: int, to_id: int) -> int:
    """When a disabled user's records go to someone (``--handover-to``), their open tasks go along."""
    from sqlalchemy import update

    ids = list(session.execute(select(Task.id).where(Task.assignee_id == from_id, Task.status == "open")).scalars())
    if not ids:
        return 0
    session.execute(update(Task).where(Task.id.in_(ids)).values(assignee_id=to_id, updated_at=clock.now()))
    audit.record_many(session, [
        {"actor_id": actor.id, "actor_login": actor.login, "action": "task.handover", "record_type": "task",
         "record_id": i, "changes": {"assignee_id": [from_id, to_id]}} for i in ids])
    return len(ids)


users.register_handover("task", _count_open, hand_over)
