"""Events (日程): add, edit, cancel, list; conflicts between participants' events.

An event is organised by ``organizer_id`` (the owner for access) and has participants, the
organiser among them.  Each participant has an ``event_attendee`` row repeating the event's
start and end, so a person's calendar and the conflict check read one index range per user.
A new or moved event that overlaps any participant's existing (not cancelled) event is a
**conflict** (exit 5) unless ``allow_conflict``.  Events end after they start; an all-day event
covers whole local days (``end`` is exclusive, the day after the last).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, time, timedelta, timezone, tzinfo
from typing import Any

from sqlalchemy import exists, func, or_, select, update
from sqlalchemy.orm import Session

from crmcli import clock, dates, limits
from crmcli.errors import Conflict, NotFound, PermissionDenied, ValidationError
from crmcli.i18n import N_, _
from crmcli.services import audit, users
from crmcli.services.access import Actor, Kind, can_change, can_see, register_kind, require, visible_clause
from crmcli.services.tasks import check_title, parse_moment, participants_of, related, reminder_time
from crmcli.store.models import User
from crmcli.store.models.schedule import Event, EventAttendee, Task

STATUSES = ("scheduled", "cancelled")
STATUS_LABELS = {"scheduled": N_("scheduled"), "cancelled": N_("cancelled")}
LOGGED = ("title", "description", "start_at", "end_at", "all_day", "location", "status", "organizer_id",
          "record_type", "record_id", "remind_at")

EVENT = register_kind(Kind(name="event", model=Event, noun="event", owner_attr="organizer_id",
                           label=lambda e: e.title, aliases=("events",)))


def visible(actor: Actor) -> Any:
    return or_(visible_clause(actor, EVENT),
               exists().where(EventAttendee.event_id == Event.id, EventAttendee.user_id == actor.id))


def attendee_ids(session: Session, event_id: int) -> list[int]:
    return list(session.execute(select(EventAttendee.user_id).where(EventAttendee.event_id == event_id)
                                .order_by(EventAttendee.user_id)).scalars())


def get(session: Session, actor: Actor, ref: Any, verb: str = "view") -> Event:
    text = str(ref).strip().lstrip("#")
    event = session.get(Event, limits.as_id(text)) if limits.as_id(text) is not None else None
    from crmcli.services import locking

    event = locking.hold(session, event)  # a write locks the row first, so the checks below see it as written
    if event is None or not (can_see(session, actor, EVENT, event) or actor.id in attendee_ids(session, event.id)):
        raise NotFound(_("no event {ref}").format(ref=ref))
    require(actor, f"event.{verb}")
    if verb != "view" and not can_change(session, actor, EVENT, event):
        raise PermissionDenied(_("{login} may see but not change event {id}").format(login=actor.login, id=event.id))
    return event


@dataclass
class EventInput:
    title: str | None = None
    description: str | None = None
    start: str | None = None
    end: str | None = None
    duration: str | None = None
    all_day: bool | None = None
    location: str | None = None
    participants: list[str] | None = None
    on: str | None = None
    remind: str | None = None


def times(data: EventInput, tz: tzinfo, start: datetime | None = None, end: datetime | None = None,
          all_day: bool = False) -> tuple[datetime, datetime, bool]:
    """Start and end from what was typed (an edit passes the current values: a moved event keeps its length)."""
    if data.end is not None and data.duration is not None:
        raise ValidationError(_("give --end or --duration, not both"))
    all_day = data.all_day if data.all_day is not None else all_day
    length = end - start if start is not None and end is not None else None
    if data.start is not None:
        start = parse_moment(data.start, tz)
    if start is None:
        raise ValidationError(_("an event needs a start"), hint=_("add --start, e.g. --start 'tomorrow 10:00'"))
    midnight = lambda d: datetime.combine(d, time(0, 0), tz)  # noqa: E731
    if all_day:
        start = midnight(start.astimezone(tz).date())
    if data.end is not None:
        end = midnight(dates.parse_date(data.end, tz) + timedelta(days=1)) if all_day else parse_moment(data.end, tz)
    elif data.duration is not None:
        span = dates.parse_duration(data.duration)
        end = start + (timedelta(days=max(span.days, 1)) if all_day else span)
    elif length is not None:
        end = start + length
    else:
        end = start + (timedelta(days=1) if all_day else timedelta(hours=1))
    if all_day and end > start:  # whole local days: up to the midnight after the last day
        last = (end - timedelta(microseconds=1)).astimezone(tz).date()
        end = midnight(last + timedelta(days=1))
    if end > start:  # a long --duration may carry the end past the date range
        limits.check_date((end - timedelta(microseconds=1)).astimezone(tz).date())
    if end <= start:
        raise ValidationError(_("an event must end after it starts ({start} → {end})").format(
            start=start.astimezone(tz).strftime("%Y-%m-%d %H:%M"), end=end.astimezone(tz).strftime("%Y-%m-%d %H:%M")))
    return start.astimezone(timezone.utc), end.astimezone(timezone.utc), all_day


@dataclass
class Clash:
    user: str
    event_id: int
    title: str
    start: datetime
    end: datetime


def conflicts(session: Session, user_ids: list[int], start: datetime, end: datetime,
              ignore: int | None = None) -> list[Clash]:
    """Existing (not cancelled) events of these users that overlap [start, end)."""
    if not user_ids:
        return []
    query = (select(EventAttendee.user_id, Event.id, Event.title, Event.start_at, Event.end_at)
             .join(Event, Event.id == EventAttendee.event_id)
             .where(EventAttendee.user_id.in_(user_ids), EventAttendee.end_at > start, EventAttendee.start_at < end,
                    EventAttendee.active.is_(True))
             .order_by(EventAttendee.start_at, Event.id))
    if ignore is not None:
        query = query.where(Event.id != ignore)
    rows = session.execute(query).all()
    logins = dict(session.execute(select(User.id, User.login).where(User.id.in_(user_ids))).all())
    return [Clash(logins.get(r[0], "?"), r[1], r[2], r[3], r[4]) for r in rows]


def _refuse_conflicts(clashes: list[Clash], tz: tzinfo) -> None:
    if not clashes:
        return
    shown = "; ".join(_("{login} has event {id} '{title}' {start}–{end}").format(
        login=c.user, id=c.event_id, title=c.title, start=c.start.astimezone(tz).strftime("%Y-%m-%d %H:%M"),
        end=c.end.astimezone(tz).strftime("%H:%M")) for c in clashes[:5])
    raise Conflict(_("the event conflicts with existing events: {clashes}").format(clashes=shown),
                   hint=_("pick another time, or add --allow-conflict to keep both"))


def _logged(session: Session, event: Event) -> dict[str, Any]:
    values = audit.snapshot(event, LOGGED)
    values["participants"] = attendee_ids(session, event.id) or None
    return values


def _set_attendees(session: Session, event: Event, user_ids: list[int]) -> None:
    existing = {a.user_id: a for a in session.execute(
        select(EventAttendee).where(EventAttendee.event_id == event.id)).scalars()}
    for user_id, row in existing.items():
        if user_id not in user_ids:
            session.delete(row)
    for user_id in user_ids:
        row = existing.get(user_id)
        if row is None:
            session.add(EventAttendee(event_id=event.id, user_id=user_id, start_at=event.start_at,
                                      end_at=event.end_at, active=event.status == "scheduled"))
        else:
            row.start_at, row.end_at, row.active = event.start_at, event.end_at, event.status == "scheduled"


def add(session: Session, actor: Actor, data: EventInput, tz: tzinfo, allow_conflict: bool = False) -> tuple[Event, list[Clash]]:
    require(actor, "event.create")
    title = check_title(data.title)
    start, end, all_day = times(data, tz)
    remind = reminder_time(data.remind, start, tz, _("start"))
    people = participants_of(session, actor, data.participants)
    user_ids = [actor.id] + [u.id for u in people if u.id != actor.id]
    link = related(session, actor, data.on)
    clashes = conflicts(session, user_ids, start, end)
    if not allow_conflict:
        _refuse_conflicts(clashes, tz)
    now = clock.now()
    event = Event(title=title, description=(data.description or "").strip() or None, start_at=start, end_at=end,
                  all_day=all_day, location=(data.location or "").strip() or None, organizer_id=actor.id,
                  record_type=link[0] if link else None, record_id=link[1] if link else None, remind_at=remind,
                  created_by=actor.id, created_at=now, updated_at=now)
    session.add(event)
    session.flush()
    _set_attendees(session, event, user_ids)
    session.flush()
    audit.record(session, actor, "event.add", "event", event.id, title, audit.created(_logged(session, event)))
    return event, clashes


def edit(session: Session, actor: Actor, ref: Any, data: EventInput, tz: tzinfo, allow_conflict: bool = False,
         clear_remind: bool = False) -> tuple[Event, list[Clash]]:
    event = get(session, actor, ref, "edit")
    if event.status == "cancelled":
        raise ValidationError(_("event {id} is cancelled: it can no longer change").format(id=event.id))
    before = _logged(session, event)
    if data.title is not None:
        event.title = check_title(data.title)
    if data.description is not None:
        event.description = data.description.strip() or None
    if data.location is not None:
        event.location = data.location.strip() or None
    old_start = event.start_at
    if any(v is not None for v in (data.start, data.end, data.duration, data.all_day)):
        event.start_at, event.end_at, event.all_day = times(data, tz, event.start_at, event.end_at, event.all_day)
    if data.remind is not None:
        event.remind_at = reminder_time(data.remind, event.start_at, tz, _("start"))
    elif clear_remind:
        event.remind_at = None
    elif event.remind_at is not None and event.start_at != old_start:
        event.remind_at = event.remind_at + (event.start_at - old_start)  # the reminder moves with the event
    if data.on is not None:
        link = related(session, actor, data.on)
        event.record_type, event.record_id = (link[0], link[1]) if link else (None, None)
    user_ids = attendee_ids(session, event.id)
    if data.participants is not None:
        people = participants_of(session, actor, data.participants)
        user_ids = [event.organizer_id] + [u.id for u in people if u.id != event.organizer_id]
    clashes = conflicts(session, user_ids, event.start_at, event.end_at, ignore=event.id)
    if not allow_conflict:
        _refuse_conflicts(clashes, tz)
    _set_attendees(session, event, user_ids)
    session.flush()
    changes = audit.diff(before, _logged(session, event))
    if changes:
        event.updated_at = clock.now()
        event.sequence += 1
        audit.record(session, actor, "event.edit", "event", event.id, event.title, changes)
    return event, clashes


def cancel(session: Session, actor: Actor, refs: list[str], reason: str | None = None) -> list[Event]:
    if not refs:
        raise ValidationError(_("name at least one event"))
    from crmcli.services import locking

    found = {event.id: event for event in locking.lock_batch(session, refs, lambda ref: get(session, actor, ref, "edit"))}
    for event in found.values():
        if event.status == "cancelled":
            raise Conflict(_("event {id} is already cancelled").format(id=event.id))
    now = clock.now()
    for event in found.values():
        audit.record(session, actor, "event.cancel", "event", event.id, event.title,
                     {"status": ["scheduled", "cancelled"]}, reason=(reason or "").strip() or None)
        event.status, event.cancel_reason, event.updated_at = "cancelled", (reason or "").strip() or None, now
        event.sequence += 1
        session.execute(update(EventAttendee).where(EventAttendee.event_id == event.id).values(active=False))
    return list(found.values())


# --- reading -----------------------------------------------------------------------------------


@dataclass
class EventView:
    event: Event
    organizer: str | None
    participants: list[str] = field(default_factory=list)
    related: str | None = None

    def row(self) -> dict[str, Any]:
        e = self.event
        return {"id": e.id, "title": e.title, "start_at": e.start_at, "end_at": e.end_at, "all_day": e.all_day,
                "location": e.location, "status": e.status, "organizer": self.organizer,
                "participants": self.participants, "related": self.related, "record_type": e.record_type,
                "record_id": e.record_id, "remind_at": e.remind_at, "description": e.description,
                "cancel_reason": e.cancel_reason, "created_at": e.created_at, "updated_at": e.updated_at}


def describe(session: Session, events: list[Event]) -> list[EventView]:
    from crmcli.services.tasks import record_label

    ids = [e.id for e in events]
    people: dict[int, list[int]] = {}
    for chunk in range(0, len(ids), 500):
        for event_id, user_id in session.execute(select(EventAttendee.event_id, EventAttendee.user_id).where(
                EventAttendee.event_id.in_(ids[chunk:chunk + 500])).order_by(EventAttendee.user_id)):
            people.setdefault(event_id, []).append(user_id)
    user_ids = {e.organizer_id for e in events} | {u for v in people.values() for u in v}
    logins = dict(session.execute(select(User.id, User.login).where(User.id.in_(sorted(user_ids)))).all()) if user_ids else {}
    return [EventView(e, logins.get(e.organizer_id), [logins.get(u, "?") for u in people.get(e.id, [])],
                      record_label(session, e.record_type, e.record_id)) for e in events]


def for_users(session: Session, user_ids: list[int] | Any, start: datetime, end: datetime,
              cancelled: bool = False) -> list[Event]:
    """Events any of these users takes part in that overlap [start, end), by start time."""
    query = (select(Event).join(EventAttendee, EventAttendee.event_id == Event.id)
             .where(EventAttendee.user_id.in_(user_ids), EventAttendee.end_at > start, EventAttendee.start_at < end))
    if not cancelled:
        query = query.where(EventAttendee.active.is_(True))
    found = {e.id: e for e in session.execute(query).scalars()}
    return sorted(found.values(), key=lambda e: (e.start_at, e.id))


def find(session: Session, actor: Actor, start: datetime | None, end: datetime | None, *, user: str | None = "me",
         cancelled: bool = False, on: str | None = None, limit: int = 100) -> list[EventView]:
    require(actor, "event.view")
    query = select(Event).where(visible(actor))
    if start is not None:
        query = query.where(Event.end_at > start)
    if end is not None:
        query = query.where(Event.start_at < end)
    if not cancelled:
        query = query.where(Event.status == "scheduled")
    if user:
        user_id = actor.id if user == "me" else users.find(session, user).id
        query = query.where(exists().where(EventAttendee.event_id == Event.id, EventAttendee.user_id == user_id))
    if on:
        link = related(session, actor, on)
        query = query.where(Event.record_type == link[0], Event.record_id == link[1])
    if not 1 <= limit <= 100_000:
        raise ValidationError(_("--limit must be between 1 and {max}").format(max=100_000))
    events = list(session.execute(query.order_by(Event.start_at, Event.id).limit(limit)).scalars())
    return describe(session, events)



# --- the demo ------------------------------------------------------------------------------------


def _demo_schedule(session: Session, actor: Actor, state: Any) -> None:
    """Each sales team's Monday meeting, a customer visit per seller, and a few tasks of their own.

    (Follow-ups with a next contact, made by the records step, already became tasks.)
    """
    from crmcli.services import demo, tasks
    from crmcli.services.access import actor_for
    from crmcli.store.models import Customer
    from crmcli.timezones import load_zone

    rng = state.rng("schedule")
    now = clock.now()
    sellers = [p for p in demo.PEOPLE if p.role in ("sales_rep", "sales_manager") and not p.left
               and p.login in state.users]
    teams: dict[str, list[Any]] = {}
    for person in sellers:
        teams.setdefault(person.dept, []).append(person)
    made = {"events": 0, "tasks": 0}
    for dept, members in teams.items():
        lead = next((p for p in members if p.role == "sales_manager"), members[0])
        who = actor_for(session, state.users[lead.login])
        tz = load_zone(lead.timezone)
        local = now.astimezone(tz).date()
        monday = local + timedelta(days=(7 - local.weekday()) % 7 or 7)
        add(session, who, EventInput(title=f"{dept} 周例会", start=f"{monday.isoformat()} 09:30", duration="1h",
                                     location="会议室 A", participants=[p.login for p in members if p is not lead],
                                     remind="15min"), tz, allow_conflict=True)
        made["events"] += 1
    for person in sellers:
        who = actor_for(session, state.users[person.login])
        tz = load_zone(person.timezone)
        local = now.astimezone(tz).date()
        customer = session.execute(select(Customer).where(Customer.owner_id == who.id).order_by(Customer.id)
                                   .limit(1)).scalar_one_or_none()
        day = local + timedelta(days=rng.randint(0, 3))
        hour = rng.choice((10, 14, 15, 16))
        add(session, who, EventInput(title=f"拜访 {customer.name}" if customer else "客户拜访",
                                     start=f"{day.isoformat()} {hour}:00", duration="90min",
                                     on=f"customer:{customer.id}" if customer else None, remind="1h"),
            tz, allow_conflict=True)
        tasks.add(session, who, tasks.TaskInput(title="周报", due=f"{(local + timedelta(days=(4 - local.weekday()) % 7)).isoformat()} 17:00",
                                                recur="weekly", remind="1h", priority="medium"), tz)
        tasks.add(session, who, tasks.TaskInput(title="整理客户资料"), tz)
        if customer is not None:
            tasks.add(session, who, tasks.TaskInput(title=f"给 {customer.name} 发报价", due=local.isoformat(),
                                                    priority="high", on=f"customer:{customer.id}"), tz)
            made["tasks"] += 1
        made["events"] += 1
        made["tasks"] += 2
    state.count("events", made["events"])
    state.count("tasks", session.execute(select(func.count()).select_from(Task)).scalar_one())


def _register_demo() -> None:
    from crmcli.services import demo

    if not any(step.name == "schedule" for step in demo.STEPS):
        names = [step.name for step in demo.STEPS]
        demo.add_step("schedule", _demo_schedule, after="records" if "records" in names else None)


_register_demo()
