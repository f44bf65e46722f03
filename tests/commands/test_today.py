"""``crm today``: due and overdue tasks, follow-ups due (next contact times), today's events; --team; the
sections other areas register."""

from __future__ import annotations

import pytest


NOW = "2026-11-20T10:00:00+00:00"  # a Friday


@pytest.fixture(autouse=True)
def fixed_now(monkeypatch):
    monkeypatch.setenv("CRM_NOW", NOW)


def ok(result):
    assert result.code == 0, result
    return result


@pytest.fixture
def work(crm):
    for args in (("user", "add", "bob", "--name", "Bob"),
                 ("task", "add", "Overdue", "--due", "2026-11-19 10:00"),
                 ("task", "add", "Due today", "--due", "2026-11-20 17:00", "--priority", "high"),
                 ("task", "add", "Tomorrow", "--due", "2026-11-21 10:00"),
                 ("task", "add", "No date"),
                 ("lead", "add", "Zhang", "--company", "Huawei", "--next", "2026-11-20 15:00"),
                 ("lead", "add", "Li", "--next", "2026-11-25 15:00"),
                 ("customer", "add", "Acme", "--next", "2026-11-18 09:00"),
                 ("contact", "add", "Wang", "--customer", "Acme", "--next", "2026-11-20 11:00"),
                 ("customer", "add", "Bob's", "--owner", "bob", "--next", "2026-11-20 12:00"),
                 ("task", "add", "Bob's task", "--due", "2026-11-20 12:00", "--assignee", "bob"),
                 ("event", "add", "Demo", "--start", "2026-11-20 14:00", "--end", "2026-11-20 15:30",
                  "--location", "Acme"),
                 ("event", "add", "Next week", "--start", "2026-11-27 14:00")):
        ok(crm(*args))


def test_today_for_me(crm, work):
    rows = ok(crm("today", "--format", "tsv")).rows()
    assert rows[0] == ["section", "kind", "id", "ref", "when", "due", "title", "detail", "who"]
    assert [(r[0], r[3], r[5], r[6]) for r in rows[1:]] == [
        ("tasks", "task:2", "today", "Due today"),
        ("tasks", "task:1", "overdue", "Overdue"),
        ("followups", "customer:1", "overdue", "Acme"),
        ("followups", "contact:1", "today", "Wang"),
        ("followups", "lead:1", "today", "Zhang (Huawei)"),
        ("events", "event:1", "", "Demo")]
    text = ok(crm("today", "--format", "plain")).out
    assert "Tasks: overdue and due today (2)" in text
    assert "Follow-ups due (3)" in text
    assert "Today's events (1)" in text
    assert "14:00–15:30 · Acme" in text


def test_today_for_the_team(crm, work):
    rows = ok(crm("today", "--team", "--json")).json()
    assert [r["ref"] for r in rows if r["section"] == "tasks"] == ["task:2", "task:1", "task:5"]
    assert {r["ref"]: r["who"] for r in rows if r["section"] == "followups"}["customer:2"] == "bob"
    # bob's own page has only his
    mine = ok(crm("today", "--json", user="bob")).json()
    assert [r["ref"] for r in mine] == ["task:5", "customer:2"]


def test_a_follow_up_task_replaces_the_follow_up_line(crm, work):
    ok(crm("lead", "follow", "1", "--via", "phone", "--note", "called", "--next", "2026-11-20 16:00"))
    rows = ok(crm("today", "--json")).json()
    assert "lead:1" not in [r["ref"] for r in rows]
    assert "Contact Zhang (Huawei)" in [r["title"] for r in rows if r["section"] == "tasks"]


def test_other_areas_register_sections(crm, work):
    from crmcli.services import today

    def recycling(session, actor, ctx):
        return [today.Item("customer", 1, ctx.now, "Acme", "returns to the pool in 3 days", actor.login)]

    today.register_section("test-recycling", "Customers about to return to the pool", recycling, after="followups")
    try:
        rows = ok(crm("today", "--json")).json()
        assert [r["section"] for r in rows].index("test-recycling") == 5
        assert "Customers about to return to the pool (1)" in ok(crm("today", "--format", "plain")).out
    finally:
        today.SECTIONS[:] = [s for s in today.SECTIONS if s.key != "test-recycling"]


def test_an_empty_day(crm):
    result = ok(crm("today", "--format", "plain"))
    assert result.err == "Nothing due today.\n"
