"""``crm remind`` and ``crm today`` for the public pool: a customer entering its warning window (a rule
catches it within ``warn_days``) reminds its owner once; a follow-up that resets the clock, and a later
return to the window, reminds again; ``crm today`` lists the customers about to be recycled.

Every test runs on SQLite and, with CRM_TEST_DATABASE_URL, on PostgreSQL.
"""

from __future__ import annotations

import pytest
from sqlalchemy import select

from crmcli.store.models.schedule import Reminder
from tests.commands._customer_org import NOW, at, customer_id, ok, org  # noqa: F401

# NOW is 2026-11-20 10:00; the default rule: 30 days without a qualifying follow-up, warned 3 days before
IN_WINDOW = "2026-12-18T10:00:00+00:00"  # customers made at NOW are recycled 12-20 10:00, warned from 12-17
NEXT_CYCLE = "2027-01-15T10:00:00+00:00"  # a follow-up on 12-18 moves the clock to 2027-01-17 (warned 01-14)


@pytest.fixture(autouse=True)
def fixed_now(monkeypatch):
    monkeypatch.setenv("CRM_NOW", NOW)


@pytest.fixture
def clock(monkeypatch):
    return lambda when: monkeypatch.setenv("CRM_NOW", when)


@pytest.fixture
def book(crm, org, clock):
    """rep's "Old" (made at NOW) and "New" (made on 12-01: recycled 12-31, warned from 12-28)."""
    old = customer_id(crm, "Old", user="rep")
    clock("2026-12-01T10:00:00+00:00")
    new = customer_id(crm, "New", user="rep")
    clock(IN_WINDOW)
    return {"Old": old, "New": new}


def pool_reminders(session) -> list[tuple]:
    with session() as s:
        return [tuple(r) for r in s.execute(select(Reminder.record_id, Reminder.user_id, Reminder.remind_at,
                                                   Reminder.channel, Reminder.sent_at.is_not(None))
                                            .where(Reminder.source == "pool").order_by(Reminder.id))]


def test_a_customer_in_the_warning_window_is_reminded_once(crm, org, session, book):
    dry = ok(crm("remind", "--dry-run", "--json")).json()
    assert [(r["source"], r["ref"], r["user"]) for r in dry] == [("pool", f"customer:{book['Old']}", "rep")]
    assert pool_reminders(session) == []
    first = ok(crm("remind", "--json"))
    [row] = first.json()
    assert row == {"source": "pool", "ref": f"customer:{book['Old']}", "record_id": book["Old"], "user": "rep",
                   "email": None, "remind_at": "2026-12-17T10:00:00+00:00", "when": "2026-12-20T10:00:00+00:00",
                   "title": "Customer Old returns to Public pool on 2026-12-20 (no follow-up for 30 days)",
                   "detail": f"Follow it up (crm customer follow {book['Old']}) to keep it.", "channel": "stdout"}
    assert first.err == "1 reminders delivered.\n"
    # the second run sends nothing, and "New" (outside its window) is not reminded
    assert ok(crm("remind", "--json")).json() == []
    assert pool_reminders(session) == [(book["Old"], org["rep"], at("2026-12-17T10:00:00+00:00"), "stdout", True)]
    # crm pool warn still lists it
    assert ok(crm("pool", "warn", "--format", "ids")).out.split() == [str(book["Old"])]


def test_a_customer_outside_the_window_is_reminded_when_it_enters_it(crm, org, session, book, clock):
    ok(crm("remind"))
    clock("2026-12-27T10:00:00+00:00")  # a day before New's window ("Old", never recycled, was reminded already)
    assert [r["record_id"] for r in ok(crm("remind", "--json")).json()] == []
    clock("2026-12-28T11:00:00+00:00")
    assert [r["record_id"] for r in ok(crm("remind", "--json")).json()] == [book["New"]]
    assert ok(crm("remind", "--json")).json() == []


def test_a_follow_up_resets_the_clock_and_a_new_window_reminds_again(crm, org, session, book, clock):
    assert [r["record_id"] for r in ok(crm("remind", "--json")).json()] == [book["Old"]]
    ok(crm("customer", "follow", book["Old"], "--via", "phone", "--note", "discussed the renewal", user="rep"))
    clock("2026-12-19T10:00:00+00:00")
    assert ok(crm("remind", "--json")).json() == []
    assert ok(crm("pool", "warn", "--format", "ids")).out.split() == []
    clock(NEXT_CYCLE)
    [row] = [r for r in ok(crm("remind", "--json")).json() if r["record_id"] == book["Old"]]
    assert (row["remind_at"], row["when"]) == ("2027-01-14T10:00:00+00:00", "2027-01-17T10:00:00+00:00")
    assert ok(crm("remind", "--json")).json() == []
    assert [r[2] for r in pool_reminders(session) if r[0] == book["Old"]] == [
        at("2026-12-17T10:00:00+00:00"), at("2027-01-14T10:00:00+00:00")]


def test_locked_and_pooled_customers_are_not_reminded(crm, org, session, book):
    ok(crm("customer", "lock", book["Old"], user="admin"))
    assert ok(crm("remind", "--json")).json() == []
    ok(crm("customer", "unlock", book["Old"], user="admin"))
    ok(crm("pool", "return", book["Old"], "--reason", "no budget this year", user="rep"))
    assert ok(crm("remind", "--json")).json() == []
    assert pool_reminders(session) == []


def test_the_rule_s_warn_days_decide_the_window(crm, org, session, book):
    ok(crm("pool", "rule", "set", "warn_days=0"))  # warned when due: at the next recycle run
    assert ok(crm("remind", "--json")).json() == []
    ok(crm("pool", "rule", "set", "warn_days=20"))  # both are inside (New from 12-11)
    assert [r["record_id"] for r in ok(crm("remind", "--json")).json()] == [book["Old"], book["New"]]


def test_a_rep_reminds_only_within_their_scope(crm, org, session, book):
    assert ok(crm("remind", "--json", user="west")).json() == []
    assert [r["record_id"] for r in ok(crm("remind", "--json", user="rep")).json()] == [book["Old"]]


def test_crm_today_shows_the_customers_about_to_be_recycled(crm, org, book, clock):
    rows = ok(crm("today", "--json", user="rep")).json()
    assert [(r["section"], r["ref"], r["title"], r["detail"], r["who"], r["due"]) for r in rows
            if r["section"] == "recycling"] == [
        ("recycling", f"customer:{book['Old']}", "Old", "returns to Public pool in 2 days (no follow-up for 30 days)",
         "rep", None)]
    text = ok(crm("today", "--format", "plain", user="rep")).out
    assert "Customers about to be recycled (1)" in text
    # not in someone else's page; in the manager's team page
    assert [r for r in ok(crm("today", "--json", user="west")).json() if r["section"] == "recycling"] == []
    assert [r["ref"] for r in ok(crm("today", "--team", "--json", user="mgr")).json()
            if r["section"] == "recycling"] == [f"customer:{book['Old']}"]
    clock("2026-12-20T10:00:00+00:00")
    [item] = [r for r in ok(crm("today", "--json", user="rep")).json() if r["section"] == "recycling"]
    assert (item["detail"], item["due"]) == ("returns to Public pool at the next recycle run (no follow-up for 30 days)",
                                             "today")


def test_long_overdue_customers_are_not_reminded_unless_since_reaches_them(crm, org, session, book, clock):
    clock("2026-12-29T10:00:00+00:00")  # "Old" was due on 12-20 (no recycle run since): 9 days ago
    assert [r["record_id"] for r in ok(crm("remind", "--json")).json()] == [book["New"]]
    assert [r["record_id"] for r in ok(crm("remind", "--since", "30d", "--json")).json()] == [book["Old"]]


def test_the_reminder_in_chinese(crm, org, book, monkeypatch):
    monkeypatch.setenv("CRM_LANG", "zh_CN")
    [row] = ok(crm("remind", "--json")).json()
    assert row["title"] == "客户 Old 将于 2026-12-20 回收到Public pool（30 天未跟进）"
    assert row["detail"] == f"及时跟进（crm customer follow {book['Old']}）即可保留该客户。"
