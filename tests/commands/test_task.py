"""``crm task``: add, views (inbox, today, next, later), urgency order and explanation, done/reopen,
recurrence, assign, snooze, follow-ups' next contact as a task, the operation log and bad input."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest
from sqlalchemy import select

from crmcli.store.models import AuditLog
from crmcli.store.models.schedule import Task, TaskParticipant
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
    return ok(crm("task", "add", title, *args, "--json", user=user)).json()["id"]


def task(session, task_id: int) -> Task:
    with session() as s:
        row = s.get(Task, task_id)
        s.expunge_all()
        return row


def ids(crm, *args, user: str = "admin") -> list[int]:
    return [int(x) for x in ok(crm("task", *args, "--format", "ids", user=user)).out.split()]


def log(session, action: str) -> list[AuditLog]:
    with session() as s:
        return list(s.execute(select(AuditLog).where(AuditLog.action == action).order_by(AuditLog.id)).scalars())


@pytest.fixture
def people(crm):
    for args in (("user", "add", "bob", "--name", "Bob"), ("user", "add", "carol", "--name", "Carol"),
                 ("user", "add", "gone", "--name", "Gone"), ("user", "disable", "gone")):
        ok(crm(*args))


# --- add and show ---------------------------------------------------------------------------------


def test_add_with_every_field(crm, session, people):
    ok(crm("customer", "add", "Acme"))
    result = ok(crm("task", "add", "Send the quote", "-d", "with the discount", "--due", "2026-11-21 17:00",
                    "--priority", "H", "--on", "customer:1", "--participant", "bob,carol", "--remind", "1h",
                    "--json"))
    data = result.json()
    assert {k: data[k] for k in ("id", "title", "status", "priority", "due_at", "assignee", "participants", "related",
                                 "record_type", "record_id", "remind_at", "description", "recurrence")} == {
        "id": 1, "title": "Send the quote", "status": "open", "priority": "high", "due_at": "2026-11-21T17:00:00+00:00",
        "assignee": "admin", "participants": ["bob", "carol"], "related": "customer:1 Acme", "record_type": "customer",
        "record_id": 1, "remind_at": "2026-11-21T16:00:00+00:00", "description": "with the discount",
        "recurrence": None}
    row = task(session, 1)
    assert (row.assignee_id, row.created_by, row.created_at) == (1, 1, at(NOW))
    with session() as s:
        assert sorted(s.execute(select(TaskParticipant.user_id)).scalars()) == [2, 3]
    [entry] = log(session, "task.add")
    assert (entry.record_type, entry.record_id, entry.record_label) == ("task", 1, "Send the quote")
    assert entry.changes["participants"] == [None, [2, 3]]
    assert entry.changes["priority"] == [None, "high"]


def test_a_date_alone_is_due_at_the_end_of_that_day_in_the_users_zone(crm, session):
    ok(crm("user", "edit", "admin", "--timezone", "Asia/Shanghai"))
    new = add(crm, "Report", "--due", "2026-11-21")
    assert task(session, new).due_at == at("2026-11-21T23:59:59+08:00")
    assert ok(crm("task", "show", new, "--json")).json()["due_at"] == "2026-11-21T23:59:59+08:00"
    new = add(crm, "Call", "--due", "tomorrow 09:30")
    assert task(session, new).due_at == at("2026-11-21T09:30:00+08:00")


def test_assign_to_someone_else_and_participants_see_it(crm, session, people):
    new = add(crm, "Visit", "--assignee", "bob", "--participant", "carol")
    assert task(session, new).assignee_id == 2
    assert ids(crm, "list", user="bob") == [new]
    assert ids(crm, "list", user="carol") == [new]  # a participant's own list has it
    assert ok(crm("task", "show", new, "--json", user="carol")).json()["assignee"] == "bob"


def test_show_explains_the_urgency(crm, people):
    ok(crm("config", "set", "urgency.priority.high", "10"))
    new = add(crm, "Call", "--due", "2026-11-13 10:00", "--priority", "high", "--participant", "bob")
    result = ok(crm("task", "show", new, "--format", "plain"))
    lines = result.out.splitlines()
    assert "urgency       26.0" in lines
    start = lines.index("Urgency 26.0 = the sum of coefficient × factor:")
    assert [line.split() for line in lines[start + 1:]] == [
        ["term", "coefficient", "factor", "value"],
        ["due", "date", "12", "1", "12"],  # 7 days overdue: the full due coefficient
        ["overdue", "3", "1", "3"],
        ["priority", "10", "1", "10"],
        ["age", "2", "0", "0"],
        ["related", "amount", "2", "0", "0"],
        ["participants", "1", "1", "1"]]
    data = ok(crm("task", "show", new, "--json")).json()
    assert data["urgency"] == 26.0
    assert data["urgency_terms"][0] == {"term": "due", "coefficient": 12.0, "factor": 1.0, "value": 12.0}


# --- views and order -------------------------------------------------------------------------------


def test_views_inbox_today_next_later_and_urgency_order(crm):
    inbox = add(crm, "Someday")
    overdue = add(crm, "Overdue", "--due", "2026-11-18")
    today_low = add(crm, "Today low", "--due", "2026-11-20 18:00", "--priority", "low")
    today_high = add(crm, "Today high", "--due", "2026-11-20 18:00", "--priority", "high")
    soon = add(crm, "Monday", "--due", "2026-11-23 09:00")
    week_end = add(crm, "In a week", "--due", "2026-11-27 12:00")
    later = add(crm, "Next month", "--due", "2026-12-20")
    assert ids(crm, "inbox") == [inbox]
    assert ids(crm, "today") == [today_high, overdue, today_low]  # by urgency
    assert ids(crm, "next") == [soon, week_end]
    assert ids(crm, "later") == [later]
    assert ids(crm, "list") == [today_high, overdue, today_low, soon, week_end, later, inbox]
    rows = ok(crm("task", "today", "--format", "tsv")).rows()
    assert rows[0] == ["id", "urgency", "due_at", "priority", "title", "assignee", "related", "status"]
    assert rows[1][:5] == [str(today_high), "14.65", "2026-11-20T18:00:00+00:00", "high", "Today high"]


def test_a_related_amount_raises_urgency(crm, session):
    from crmcli.services import tasks

    a = add(crm, "A", "--due", "2026-12-20")
    b = add(crm, "B", "--due", "2026-12-20")
    with session() as s:
        views = tasks.describe(s, [s.get(Task, a), s.get(Task, b)], at(NOW))
        assert [v.urgency for v in views] == [2.4, 2.4]
    # an amount (opportunities, contracts) counts in: a fake kind with an amount column stands in for them
    from crmcli.services.urgency import terms

    found = {t.name: t.value for t in terms(due=None, priority=None, created=at(NOW), now=at(NOW),
                                            amount=__import__("decimal").Decimal("500000"))}
    assert found["amount"] == 1.0


def test_team_lists_the_tasks_of_everyone_in_scope(crm, people):
    mine = add(crm, "Mine", "--due", "2026-11-20 12:00")
    bobs = add(crm, "Bob's", "--due", "2026-11-20 11:00", user="bob")
    assert ids(crm, "today") == [mine]
    assert sorted(ids(crm, "today", "--team")) == [mine, bobs]
    assert ids(crm, "today", "--team", user="bob") == [bobs]  # a rep's team is themselves


# --- done, reopen, recurrence -----------------------------------------------------------------------


def test_done_and_reopen(crm, session):
    new = add(crm, "Call")
    result = ok(crm("task", "done", new))
    assert result.err == "1 tasks done.\n"
    row = task(session, new)
    assert (row.status, row.done_at) == ("done", at(NOW))
    assert ids(crm, "list") == []
    assert ids(crm, "list", "--status", "done") == [new]
    assert_refused(crm("task", "done", new), 5, f"crm: error: task {new} is already done\n")
    ok(crm("task", "reopen", new))
    assert (task(session, new).status, task(session, new).done_at) == ("open", None)
    assert_refused(crm("task", "reopen", new), 5, f"crm: error: task {new} is already open\n")
    assert [e.action for e in log(session, "task.done") + log(session, "task.reopen")] == ["task.done", "task.reopen"]


def test_every_week_makes_the_next_task_when_done(crm, session):
    new = add(crm, "Weekly report", "--due", "2026-11-20 17:00", "--recur", "weekly", "--remind", "1h")
    result = ok(crm("task", "done", new))
    assert "Task 1 done; next one: task 2 due 2026-11-27 17:00." in result.err
    following = task(session, 2)
    assert (following.title, following.due_at, following.remind_at, following.status, following.series_id) == (
        "Weekly report", at("2026-11-27T17:00:00+00:00"), at("2026-11-27T16:00:00+00:00"), "open", 1)
    assert (following.recur_n, following.recur_unit, following.recur_mode) == (1, "week", "every")


def test_every_n_months_keeps_the_day_and_skips_past_dates(crm, session, monkeypatch):
    new = add(crm, "Invoice", "--due", "2026-08-31 09:00", "--recur", "every 2 months")
    ok(crm("task", "done", new))  # done late (now is 2026-11-20): the next one is the first after now
    assert task(session, 2).due_at == at("2026-12-31T09:00:00+00:00")


def test_remind_15m_is_fifteen_minutes_before(crm, session):
    """--remind 15m was read as the clock time 00:15; m is minutes, as in every duration."""
    new = add(crm, "Call", "--due", "2026-11-23 10:00", "--remind", "15m")
    assert task(session, new).remind_at == at("2026-11-23T09:45:00+00:00")
    new = add(crm, "Renew", "--due", "2027-03-01 10:00", "--remind", "1mo")
    assert task(session, new).remind_at == at("2027-01-30T10:00:00+00:00")  # mo is months (30 days)


def test_a_series_ends_when_its_next_task_would_leave_the_date_range(crm, session):
    new = add(crm, "Last one", "--due", "2200-12-15 09:00", "--recur", "monthly")
    result = ok(crm("task", "done", new))
    assert "Task 1 done; its series ends here: the next one would be due after 2200-12-31." in result.err
    with session() as s:
        assert s.execute(select(Task.id)).scalars().all() == [new]


def test_a_task_stored_due_9999_12_31_can_still_be_completed_and_exported(crm, session, tmp_path):
    """Before the range existed, a due date of 9999-12-31 with a recurrence made completing it an overflow."""
    new = add(crm, "Forever", "--due", "2026-11-25", "--recur", "daily")
    with session() as s:
        s.get(Task, new).due_at = datetime(9999, 12, 31, 23, 59, 59, tzinfo=UTC)
        s.commit()
    ok(crm("task", "export", "--ics", tmp_path / "t.ics"))
    assert "DUE:99991231T235959Z" in (tmp_path / "t.ics").read_text()
    result = ok(crm("task", "done", new))
    assert "its series ends here" in result.err


def test_n_days_after_done(crm, session, monkeypatch):
    new = add(crm, "Water the plants", "--recur", "3 days after done")
    monkeypatch.setenv("CRM_NOW", "2026-11-22T08:00:00+00:00")
    ok(crm("task", "done", new))
    assert task(session, 2).due_at == at("2026-11-25T08:00:00+00:00")
    assert ok(crm("task", "show", 2, "--json")).json()["recurrence"] == "3 days after done"


# --- assign, snooze, edit ---------------------------------------------------------------------------


def test_assign_and_edit(crm, session, people):
    new = add(crm, "Call")
    ok(crm("task", "assign", new, "--to", "bob"))
    assert task(session, new).assignee_id == 2
    ok(crm("task", "edit", new, "--title", "Call back", "--priority", "low", "--due", "+2d", "--participant", "carol"))
    row = task(session, new)
    assert (row.title, row.priority, row.due_at) == ("Call back", "low", at("2026-11-22T23:59:59+00:00"))
    [entry] = log(session, "task.edit")
    assert entry.changes["title"] == ["Call", "Call back"]
    assert entry.changes["participants"] == [None, [3]]
    ok(crm("task", "edit", new, "--no-due", "--priority", "none"))
    assert (task(session, new).due_at, task(session, new).priority) == (None, None)


def test_snooze_hides_until_then(crm, session):
    new = add(crm, "Call", "--due", "2026-11-20 12:00")
    result = ok(crm("task", "snooze", new, "--until", "monday 09:00"))
    assert result.err == f"Task {new} snoozed until 2026-11-23 09:00.\n"
    assert ids(crm, "today") == []
    assert ids(crm, "later") == [new]
    assert task(session, new).remind_at == at("2026-11-23T09:00:00+00:00")


# --- follow-ups --------------------------------------------------------------------------------------


def test_a_follow_up_with_next_makes_a_task_for_the_author(crm, session, people, monkeypatch):
    ok(crm("customer", "add", "Acme", "--owner", "bob"))
    ok(crm("customer", "follow", "1", "--via", "phone", "--note", "called", "--next", "2026-11-24 10:00"))
    [row] = [task(session, 1)]
    assert (row.title, row.assignee_id, row.due_at, row.remind_at, row.record_type, row.record_id, row.followup_id) == (
        "Contact Acme", 1, at("2026-11-24T10:00:00+00:00"), at("2026-11-24T10:00:00+00:00"), "customer", 1, 1)
    assert ids(crm, "list", "--on", "customer:1") == [1]
    # the next follow-up after that time closes it, and makes the next one
    monkeypatch.setenv("CRM_NOW", "2026-11-24T11:00:00+00:00")
    ok(crm("customer", "follow", "1", "--via", "visit", "--note", "met", "--next", "2026-12-01 10:00"))
    assert task(session, 1).status == "done"
    assert (task(session, 2).due_at, task(session, 2).status) == (at("2026-12-01T10:00:00+00:00"), "open")


def test_lead_follow_up_task(crm, session):
    ok(crm("lead", "add", "Zhang", "--company", "Huawei"))
    ok(crm("lead", "follow", "1", "--via", "wechat", "--note", "hi", "--next", "+3d"))
    assert (task(session, 1).title, task(session, 1).record_type) == ("Contact Zhang (Huawei)", "lead")


# --- bad input ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("args, code, err", [
    (("task", "add", "X", "--due", "someday soon"), 6,
     "crm: error: cannot read the date 'someday soon' (hint: try 2026-12-01, 2026-12-01 14:30, today, tomorrow, "
     "friday, +3d, -2w, eow or eom)\n"),
    (("task", "add", "X", "--participant", "gone"), 6, "crm: error: user 'gone' is disabled\n"),
    (("task", "add", "X", "--assignee", "gone"), 6, "crm: error: user 'gone' is disabled\n"),
    (("task", "add", "X", "--participant", "ghost"), 3, "crm: error: no user named 'ghost'\n"),
    (("task", "add", "X", "--due", "+1d", "--recur", "every 0 days"), 6,
     "crm: error: a recurrence must repeat after at least 1 day, week or month (got 0)\n"),
    (("task", "add", "X", "--recur", "0 days after done"), 6,
     "crm: error: a recurrence must repeat after at least 1 day, week or month (got 0)\n"),
    (("task", "add", "X", "--recur", "fortnightly"), 6,
     "crm: error: cannot read the recurrence 'fortnightly' (hint: try daily, weekly, monthly, 'every 2 weeks', "
     "'every 3d' or '5 days after done')\n"),
    (("task", "add", "X", "--recur", "weekly"), 6,
     "crm: error: a task that repeats every 1 week needs a due date (hint: add --due, or repeat it '… after done')\n"),
    (("task", "add", "X", "--priority", "urgent"), 6,
     "crm: error: unknown priority 'urgent' (hint: one of: high, medium, low, none)\n"),
    (("task", "add", "  "), 6, "crm: error: a task needs a title\n"),
    (("task", "add", "X", "--remind", "1h"), 6,
     "crm: error: a reminder '1h' before the due time needs a due time (hint: give a time instead, e.g. "
     "--remind 'tomorrow 09:00')\n"),
    (("task", "add", "X", "--on", "customer:99"), 3, "crm: error: no customer 99\n"),
    (("task", "add", "X", "--on", "planet:1"), 3, "crm: error: unknown record type 'planet'"),
    (("task", "add", "X", "--on", "user:bob"), 6, "crm: error: tasks and events relate to records"),
    (("task", "show", "99"), 3, "crm: error: no task 99\n"),
    (("task", "done", "99"), 3, "crm: error: no task 99\n"),
    (("task", "show", "99999999999999999999"), 3, "crm: error: no task 99999999999999999999\n"),
    (("task", "add", "X", "--due", "0001-01-01"), 6,
     "crm: error: the date '0001-01-01' is out of range (hint: dates go from 1900-01-01 to 2200-12-31)\n"),
    (("task", "add", "X", "--due", "9999-12-31", "--recur", "daily"), 6,
     "crm: error: the date '9999-12-31' is out of range (hint: dates go from 1900-01-01 to 2200-12-31)\n"),
    (("task", "add", "X", "--due", "+100000y"), 6,
     "crm: error: the date '+100000y' is out of range (hint: dates go from 1900-01-01 to 2200-12-31)\n"),
    (("task", "add", "X", "--recur", "every 3m", "--due", "friday"), 6,
     "crm: error: a recurrence repeats by days, weeks or months, not 'm' (hint: m is minutes; write mo for months, "
     "e.g. 'every 3mo')\n"),
    (("task", "add", "X", "--recur", "every 99999999999999999999 days", "--due", "friday"), 6,
     "crm: error: a recurrence may repeat after at most 1000 days, weeks or months (got 1001)\n"),
])
def test_bad_input_writes_nothing(crm, session, people, args, code, err):
    before = snapshot(session)
    assert_refused(crm(*args), code, err, exact=err.endswith("\n"))
    assert snapshot(session) == before


def test_snoozing_a_done_task_is_refused(crm, session):
    new = add(crm, "Call")
    ok(crm("task", "done", new))
    before = snapshot(session)
    assert_refused(crm("task", "snooze", new, "--until", "+1d"), 6,
                   f"crm: error: task {new} is done: a done task cannot be snoozed (hint: reopen it first: "
                   f"crm task reopen {new})\n")
    assert snapshot(session) == before


def test_snoozing_into_the_past_is_refused(crm, session):
    new = add(crm, "Call")
    assert_refused(crm("task", "snooze", new, "--until", "yesterday"), 6,
                   "crm: error: snooze until a time in the future\n")


def test_done_is_all_or_nothing(crm, session):
    a = add(crm, "A")
    before = snapshot(session)
    assert_refused(crm("task", "done", a, "99"), 3, "crm: error: no task 99\n")
    assert snapshot(session) == before


def test_scope_a_rep_cannot_see_anothers_task(crm, people):
    ok(crm("user", "add", "rep", "--role", "sales_rep"))
    ok(crm("user", "add", "rep2", "--role", "sales_rep"))
    new = add(crm, "Private", user="rep")
    assert_refused(crm("task", "show", new, user="rep2"), 3, f"crm: error: no task {new}\n")
    assert ids(crm, "list", "--assignee", "all", user="rep2") == []
    assert_refused(crm("task", "add", "X", "--assignee", "rep", user="rep2"), 6,
                   "crm: error: rep is outside your data scope", exact=False)


def test_disabling_a_user_hands_their_open_tasks_over(crm, session, people):
    open_task = add(crm, "Open", "--assignee", "bob")
    closed = add(crm, "Closed", "--assignee", "bob")
    ok(crm("task", "done", closed))
    ok(crm("user", "disable", "bob", "--handover-to", "carol"))
    assert (task(session, open_task).assignee_id, task(session, closed).assignee_id) == (3, 2)
    [entry] = log(session, "task.handover")
    assert (entry.record_id, entry.changes) == (open_task, {"assignee_id": [2, 3]})


def test_open_tasks_do_not_keep_a_user_from_being_disabled(crm, session, people):
    add(crm, "Open", "--assignee", "bob")
    ok(crm("user", "disable", "bob"))
