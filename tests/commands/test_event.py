"""``crm event``: add (times, all-day, participants, reminders), conflicts (exit 5 unless --allow-conflict),
list, show, edit, cancel, and bad input (nothing written)."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest
from sqlalchemy import select

from crmcli.store.models import AuditLog
from crmcli.store.models.schedule import Event, EventAttendee
from tests.commands._org import snapshot
from tests.commands.test_bad_input import assert_refused

NOW = "2026-11-20T10:00:00+00:00"  # a Friday
UTC = timezone.utc


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)


@pytest.fixture(autouse=True)
def fixed_now(monkeypatch):
    monkeypatch.setenv("CRM_NOW", NOW)


def ok(result):
    assert result.code == 0, result
    return result


def add(crm, title: str, *args, user: str = "admin") -> int:
    return ok(crm("event", "add", title, *args, "--json", user=user)).json()["id"]


def event(session, event_id: int) -> Event:
    with session() as s:
        row = s.get(Event, event_id)
        s.expunge_all()
        return row


def attendees(session, event_id: int) -> list[tuple[int, bool]]:
    with session() as s:
        return [tuple(r) for r in s.execute(select(EventAttendee.user_id, EventAttendee.active).where(
            EventAttendee.event_id == event_id).order_by(EventAttendee.user_id))]


@pytest.fixture
def people(crm):
    for args in (("user", "add", "bob", "--name", "Bob"), ("user", "add", "carol", "--name", "Carol"),
                 ("user", "add", "gone", "--name", "Gone"), ("user", "disable", "gone")):
        ok(crm(*args))


def test_add_with_every_field(crm, session, people):
    ok(crm("customer", "add", "Acme"))
    data = ok(crm("event", "add", "Demo", "--start", "2026-11-23 14:00", "--duration", "90min", "--location",
                  "Acme HQ, 3F", "-d", "bring the laptop", "-p", "bob", "--on", "customer:1", "--remind", "30min",
                  "--json")).json()
    assert {k: data[k] for k in ("id", "title", "start_at", "end_at", "all_day", "location", "status", "organizer",
                                 "participants", "related", "remind_at", "description")} == {
        "id": 1, "title": "Demo", "start_at": "2026-11-23T14:00:00+00:00", "end_at": "2026-11-23T15:30:00+00:00",
        "all_day": False, "location": "Acme HQ, 3F", "status": "scheduled", "organizer": "admin",
        "participants": ["admin", "bob"], "related": "customer:1 Acme", "remind_at": "2026-11-23T13:30:00+00:00",
        "description": "bring the laptop"}
    assert attendees(session, 1) == [(1, True), (2, True)]
    with session() as s:
        [entry] = s.execute(select(AuditLog).where(AuditLog.action == "event.add")).scalars().all()
    assert entry.changes["participants"] == [None, [1, 2]]


def test_m_is_minutes_in_durations_and_reminders(crm):
    """--duration 30m was a 30-month event and --remind 15m the clock time 00:15."""
    data = ok(crm("event", "add", "Call", "--start", "2026-11-23 14:00", "--duration", "30m", "--remind", "15m",
                  "--json")).json()
    assert (data["start_at"], data["end_at"], data["remind_at"]) == (
        "2026-11-23T14:00:00+00:00", "2026-11-23T14:30:00+00:00", "2026-11-23T13:45:00+00:00")
    data = ok(crm("event", "add", "Trip", "--start", "2026-12-01", "--duration", "1mo", "--json")).json()
    assert data["end_at"] == "2026-12-31T00:00:00+00:00"  # mo is months (30 days)


def test_default_length_is_one_hour_and_all_day_covers_whole_local_days(crm, session):
    ok(crm("user", "edit", "admin", "--timezone", "Asia/Shanghai"))
    one = add(crm, "Call", "--start", "2026-11-23 09:00")
    assert (event(session, one).start_at, event(session, one).end_at) == (
        at("2026-11-23T09:00:00+08:00"), at("2026-11-23T10:00:00+08:00"))
    expo = add(crm, "Expo", "--start", "2026-12-08", "--end", "2026-12-10", "--all-day")
    row = event(session, expo)
    assert (row.start_at, row.end_at, row.all_day) == (at("2026-12-08T00:00:00+08:00"), at("2026-12-11T00:00:00+08:00"), True)


def test_an_overlap_with_any_participants_event_is_a_conflict(crm, session, people):
    add(crm, "Bob's visit", "--start", "2026-11-23 14:00", "--end", "2026-11-23 16:00", user="bob")
    before = snapshot(session)
    result = crm("event", "add", "Demo", "--start", "2026-11-23 15:00", "-p", "bob,carol")
    assert_refused(result, 5, "crm: error: the event conflicts with existing events: bob has event 1 \"Bob's visit\""
                   .replace('"', "'"), exact=False)
    assert "2026-11-23 14:00–16:00" in result.err
    assert "(hint: pick another time, or add --allow-conflict to keep both)" in result.err
    assert snapshot(session) == before
    # touching is not overlapping
    add(crm, "Right after", "--start", "2026-11-23 16:00", "-p", "bob")
    kept = ok(crm("event", "add", "Demo", "--start", "2026-11-23 15:00", "-p", "bob", "--allow-conflict"))
    assert "Conflict kept (--allow-conflict): bob also has event 1 'Bob's visit'." in kept.err
    # a cancelled event no longer conflicts
    ok(crm("event", "cancel", "1", "--reason", "moved"))
    add(crm, "Later", "--start", "2026-11-23 14:00", "--duration", "30min", user="bob")


def test_list_show_edit_cancel(crm, session, people):
    a = add(crm, "A", "--start", "2026-11-23 09:00", "-p", "bob", "--remind", "15min")
    b = add(crm, "B", "--start", "2026-11-24 09:00")
    add(crm, "Past", "--start", "2026-11-19 09:00")
    assert [int(x) for x in ok(crm("event", "list", "--format", "ids")).out.split()] == [a, b]
    assert [int(x) for x in ok(crm("event", "list", "--format", "ids", "--user", "bob")).out.split()] == [a]
    assert [int(x) for x in ok(crm("event", "list", "--format", "ids", "--user", "bob", user="bob")).out.split()] == [a]
    ok(crm("event", "edit", a, "--start", "2026-11-23 10:00", "--title", "A2", "-p", "carol"))
    row = event(session, a)
    assert (row.title, row.start_at, row.end_at, row.remind_at, row.sequence) == (
        "A2", at("2026-11-23T10:00:00+00:00"), at("2026-11-23T11:00:00+00:00"), at("2026-11-23T09:45:00+00:00"), 1)
    assert attendees(session, a) == [(1, True), (3, True)]
    ok(crm("event", "cancel", a, "--reason", "postponed"))
    assert (event(session, a).status, event(session, a).cancel_reason) == ("cancelled", "postponed")
    assert attendees(session, a) == [(1, False), (3, False)]
    assert [int(x) for x in ok(crm("event", "list", "--format", "ids")).out.split()] == [b]
    assert_refused(crm("event", "cancel", a), 5, f"crm: error: event {a} is already cancelled\n")
    assert_refused(crm("event", "edit", a, "--title", "X"), 6,
                   f"crm: error: event {a} is cancelled: it can no longer change\n")


@pytest.mark.parametrize("args, code, err", [
    (("event", "add", "X", "--start", "2026-11-23 15:00", "--end", "2026-11-23 14:00"), 6,
     "crm: error: an event must end after it starts (2026-11-23 15:00 → 2026-11-23 14:00)\n"),
    (("event", "add", "X", "--start", "2026-11-23 15:00", "--end", "2026-11-23 15:00"), 6,
     "crm: error: an event must end after it starts (2026-11-23 15:00 → 2026-11-23 15:00)\n"),
    (("event", "add", "X", "--start", "2026-11-25", "--end", "2026-11-23", "--all-day"), 6,
     "crm: error: an event must end after it starts (2026-11-25 00:00 → 2026-11-24 00:00)\n"),
    (("event", "add", "X", "--start", "not a date"), 6, "crm: error: cannot read the date 'not a date'"),
    (("event", "add", "X", "--start", "2026-11-23 15:00", "-p", "gone"), 6, "crm: error: user 'gone' is disabled\n"),
    (("event", "add", "X", "--start", "2026-11-23 15:00", "--duration", "forever"), 6,
     "crm: error: cannot read the duration 'forever' (hint: for example 30m, 12h, 7d, 2w or 1mo (m is minutes, "
     "mo months))\n"),
    (("event", "add", "X", "--start", "2026-11-23 15:00", "--duration", "101y"), 6,
     "crm: error: the duration '101y' is out of range (hint: durations go up to 100 years)\n"),
    (("event", "add", "X", "--start", "2200-12-31 15:00", "--duration", "10h"), 6,
     "crm: error: the date '2201-01-01' is out of range (hint: dates go from 1900-01-01 to 2200-12-31)\n"),
    (("event", "add", "X", "--start", "9999-12-31", "--all-day"), 6,
     "crm: error: the date '9999-12-31' is out of range (hint: dates go from 1900-01-01 to 2200-12-31)\n"),
    (("event", "add", "X", "--start", "+100000y"), 6,
     "crm: error: the date '+100000y' is out of range (hint: dates go from 1900-01-01 to 2200-12-31)\n"),
    (("event", "add", "X", "--start", "1900-01-01 10:00", "--remind", "1d"), 6,
     "crm: error: the date '1d' is out of range (hint: dates go from 1900-01-01 to 2200-12-31)\n"),
    (("event", "add", "X", "--start", "2026-11-23 15:00", "--end", "2026-11-23 16:00", "--duration", "1h"), 6,
     "crm: error: give --end or --duration, not both\n"),
    (("event", "show", "42"), 3, "crm: error: no event 42\n"),
])
def test_bad_input_writes_nothing(crm, session, people, args, code, err):
    before = snapshot(session)
    assert_refused(crm(*args), code, err, exact=err.endswith("\n"))
    assert snapshot(session) == before


def test_a_moved_event_ending_before_it_starts_is_refused(crm, session):
    new = add(crm, "A", "--start", "2026-11-23 09:00")
    before = snapshot(session)
    assert_refused(crm("event", "edit", new, "--end", "2026-11-23 08:00"), 6,
                   "crm: error: an event must end after it starts (2026-11-23 09:00 → 2026-11-23 08:00)\n")
    assert snapshot(session) == before


def test_others_events_outside_scope_are_not_found(crm):
    ok(crm("user", "add", "rep", "--role", "sales_rep"))
    ok(crm("user", "add", "rep2", "--role", "sales_rep"))
    new = add(crm, "Private", "--start", "2026-11-23 09:00", user="rep")
    assert_refused(crm("event", "show", new, user="rep2"), 3, f"crm: error: no event {new}\n")
    assert add(crm, "Shared", "--start", "2026-11-24 09:00", "-p", "rep2", user="rep")
    assert ok(crm("event", "show", "2", "--json", user="rep2")).json()["participants"] == ["rep", "rep2"]
    assert_refused(crm("event", "cancel", "2", user="rep2"), 4, "crm: error: rep2 may see but not change event 2\n")
