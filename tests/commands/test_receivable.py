"""``crm receivable``: unpaid instalments due or overdue, by owner or department, and the aging summary."""

from __future__ import annotations

import pytest

from tests.commands._org import build_org, snapshot
from tests.commands.test_bad_input import assert_refused
from tests.commands.test_contract import active, customer, ok

NOW = "2026-11-20T10:00:00+00:00"


@pytest.fixture(autouse=True)
def fixed_now(monkeypatch):
    monkeypatch.setenv("CRM_NOW", NOW)


@pytest.fixture
def book(crm):
    """Two contracts of rep (CNY), one of rep2 (USD), with plans spread over the aging buckets."""
    build_org(crm)
    customer(crm, "Acme", "--owner", "rep")
    customer(crm, "Globex", "--owner", "rep2")
    a = active(crm, amount="10000")
    ok(crm("contract", "transfer", a["id"], "--to", "rep"))
    b = active(crm, "--currency", "USD", amount="3000", customer_ref="Globex")
    ok(crm("contract", "transfer", b["id"], "--to", "rep2"))
    for amount, due in (("1000", "2026-11-20"),   # due today: 0–30
                        ("2000", "2026-10-01"),   # 50 days: 31–60
                        ("3000", "2026-08-01"),   # 111 days: 90+
                        ("4000", "2026-12-01")):  # not yet due (in 11 days)
        ok(crm("contract", "plan", "add", a["id"], "--amount", amount, "--due", due))
    ok(crm("contract", "plan", "add", b["id"], "--amount", "3000", "--due", "2026-09-15"))  # 66 days: 61–90
    ok(crm("contract", "pay", a["id"], "--amount", "2500"))  # pays plan 3 (earliest due) … in due order
    return a, b


def test_list_overdue(crm, book):
    result = ok(crm("receivable", "list", "--overdue", "--format", "tsv"))
    assert result.rows() == [
        ["contract", "plan", "customer", "owner", "due_on", "unpaid", "currency", "days_overdue"],
        ["HT-2026-0001", "3", "Acme", "rep", "2026-08-01", "500.00", "CNY", "111"],
        ["HT-2026-0002", "1", "Globex", "rep2", "2026-09-15", "3000.00", "USD", "66"],
        ["HT-2026-0001", "2", "Acme", "rep", "2026-10-01", "2000.00", "CNY", "50"]]


def test_list_due_within_and_by_owner(crm, book):
    assert [r[1] for r in ok(crm("receivable", "list", "--due-within", "7d", "--format", "tsv")).rows()[1:]] == ["1"]
    assert [r[1] for r in ok(crm("receivable", "list", "--due-within", "14d", "--format", "tsv")).rows()[1:]] == ["1", "4"]
    assert [r[0] for r in ok(crm("receivable", "list", "--owner", "rep2", "--format", "tsv")).rows()[1:]] == [
        "HT-2026-0002"]
    assert len(ok(crm("receivable", "list", "--dept", "Sales", "--format", "tsv")).rows()) == 6
    assert len(ok(crm("receivable", "list", "--dept", "Marketing", "--format", "tsv")).rows()) == 1


def test_the_data_scope_applies(crm, book):
    assert {r[0] for r in ok(crm("receivable", "list", "--format", "tsv", user="rep")).rows()[1:]} == {"HT-2026-0001"}
    assert {r[0] for r in ok(crm("receivable", "list", "--format", "tsv", user="mgr")).rows()[1:]} == {
        "HT-2026-0001", "HT-2026-0002"}


def test_aging_keeps_currencies_apart(crm, book):
    result = ok(crm("receivable", "aging", "--format", "tsv"))
    assert result.rows() == [
        ["currency", "not_due", "d0_30", "d31_60", "d61_90", "d90_plus", "total"],
        ["CNY", "4000.00", "1000.00", "2000.00", "0.00", "500.00", "7500.00"],
        ["USD", "0.00", "0.00", "0.00", "3000.00", "0.00", "3000.00"]]
    by_owner = ok(crm("receivable", "aging", "--by", "owner", "--overdue", "--format", "tsv")).rows()
    assert by_owner[1:] == [["rep", "CNY", "0.00", "0.00", "2000.00", "0.00", "500.00", "2500.00"],
                            ["rep2", "USD", "0.00", "0.00", "0.00", "3000.00", "0.00", "3000.00"]]
    by_dept = ok(crm("receivable", "aging", "--by", "department", "--format", "tsv")).rows()
    assert [r[:2] for r in by_dept[1:]] == [["East", "CNY"], ["East", "USD"]]
    text = ok(crm("receivable", "aging", "--format", "plain")).out
    assert text.splitlines()[0].split() == ["currency", "not", "yet", "due", "0–30", "31–60", "61–90", "90+", "total"]


def test_aging_converted_with_a_recorded_rate(crm, session, book):
    before = snapshot(session)
    assert_refused(crm("receivable", "aging", "--in", "CNY"), 6,
                   "crm: error: no USD→CNY rate recorded on or before 2026-11-20 (hint: record one: crm currency rate "
                   "set USD CNY RATE --date 2026-11-20)\n")
    assert snapshot(session) == before
    ok(crm("currency", "rate", "set", "USD", "CNY", "7.1", "--date", "2026-11-01"))
    result = ok(crm("receivable", "aging", "--in", "cny", "--format", "tsv"))
    assert result.rows()[1:] == [["CNY", "4000.00", "1000.00", "2000.00", "21300.00", "500.00", "28800.00"]]
    assert result.err == "converted at 1 USD = 7.1 CNY\n"


def test_paid_plans_and_draft_contracts_are_not_owed(crm, book):
    a, _b = book
    ok(crm("contract", "pay", a["id"], "--amount", "7500"))
    assert [r[0] for r in ok(crm("receivable", "list", "--format", "tsv")).rows()[1:]] == ["HT-2026-0002"]
    ok(crm("contract", "add", "--customer", "Acme", "--amount", "99"))
    ok(crm("contract", "plan", "add", "3", "--amount", "99", "--due", "2026-01-01"))
    assert [r[0] for r in ok(crm("receivable", "list", "--format", "tsv")).rows()[1:]] == ["HT-2026-0002"]


@pytest.mark.parametrize("args, code, err", [
    (("list", "--due-within", "soon"), 6,
     "crm: error: cannot read the duration 'soon' (hint: for example 30m, 12h, 7d, 2w or 1mo (m is minutes, mo months))\n"),
    (("aging", "--by", "planet"), 6, "crm: error: unknown grouping 'planet' (hint: one of: owner, department)\n"),
    (("aging", "--in", "XYZ"), 6, "crm: error: unknown currency 'XYZ' (hint: crm currency list shows the supported codes)\n"),
    (("list", "--owner", "ghost"), 3, "crm: error: no user named 'ghost'\n"),
])
def test_bad_receivable_input(crm, session, book, args, code, err):
    before = snapshot(session)
    assert_refused(crm("receivable", *args), code, err)
    assert snapshot(session) == before


def _small(crm) -> int:
    made = active(crm, amount="100")
    ok(crm("contract", "transfer", made["id"], "--to", "rep"))
    return made["id"]


def test_today_shows_instalments_overdue_or_inside_their_reminder_days(crm, book):
    small = _small(crm)
    ok(crm("contract", "plan", "add", small, "--amount", "10", "--due", "2026-11-23", "--remind", "3d"))
    ok(crm("contract", "plan", "add", small, "--amount", "10", "--due", "2026-11-24", "--remind", "3d"))
    data = ok(crm("today", "--json", user="rep")).json()
    rows = [r for r in data if r.get("section") == "receivables"]
    assert [(r["title"], r["due"]) for r in rows] == [
        ("HT-2026-0001 plan 3: 500.00 CNY unpaid", "overdue"), ("HT-2026-0001 plan 2: 2,000.00 CNY unpaid", "overdue"),
        ("HT-2026-0001 plan 1: 1,000.00 CNY unpaid", "today"), ("HT-2026-0003 plan 1: 10.00 CNY unpaid", None)]
    assert [r for r in ok(crm("today", "--json", user="rep2")).json() if r.get("section") == "receivables"][0][
        "title"] == "HT-2026-0002 plan 1: 3,000.00 USD unpaid"


def test_remind_delivers_an_instalment_reminder_once(crm, book):
    small = _small(crm)
    ok(crm("contract", "plan", "add", small, "--amount", "10", "--due", "2026-11-22", "--remind", "2d"))
    first = ok(crm("remind", "--json"))
    assert [(r["ref"], r["user"], r["title"]) for r in first.json() if r["ref"] == f"contract:{small}"] == [
        (f"contract:{small}", "rep", "HT-2026-0003 plan 1: 10.00 CNY due")]
    again = ok(crm("remind", "--json"))
    assert [r for r in again.json() if r["ref"].startswith("contract:")] == []
