"""``crm opp pipeline`` and ``crm opp forecast``: per stage / per owner aggregates, scope selection, history."""

from __future__ import annotations

import pytest

from tests.commands._customer_org import NOW, customer_id, ok, org  # noqa: F401


@pytest.fixture(autouse=True)
def fixed_now(monkeypatch):
    monkeypatch.setenv("CRM_NOW", NOW)  # 2026-11-20


def add(crm, user, customer, name, amount, close, stage="new", currency="CNY") -> int:
    return ok(crm("opp", "add", customer, name, "--amount", amount, "--close", close, "--stage", stage,
                  "--currency", currency, "--json", user=user)).json()["id"]


@pytest.fixture
def book(crm, org):  # noqa: F811
    """rep (East) and west (West) with opportunities, and admin (Office, outside Sales) with one."""
    r = customer_id(crm, "RepCo", user="rep")
    w = customer_id(crm, "WestCo", user="west")
    m = customer_id(crm, "MkCo")
    add(crm, "rep", r, "a", "1000", "2026-11-25")
    add(crm, "rep", r, "b", "3000", "2026-12-05", "proposal")
    add(crm, "rep", r, "c", "500.50", "2026-11-28", "proposal")
    add(crm, "west", w, "d", "10000", "2026-11-30", "negotiation")
    add(crm, "west", w, "usd", "200", "2026-11-30", "negotiation", "USD")
    won = add(crm, "west", w, "done", "99999", "2026-11-30", "negotiation")
    ok(crm("opp", "win", won, user="west"))
    add(crm, "admin", m, "mk", "7", "2026-11-30")
    return {"rep": r, "west": w}


def pipeline(crm, *args, user="admin"):
    return ok(crm("opp", "pipeline", *args, "--json", user=user)).json()


def test_pipeline_for_me_a_user_and_a_department(crm, book):
    mine = pipeline(crm, user="rep")
    assert [(r["stage"], r["count"], r["amount"], r["weighted"]) for r in mine] == [
        ("new", 1, "1000.00", "100.00"), ("proposal/quote", 2, "3500.50", "1750.25")]
    assert pipeline(crm, "--owner", "rep", user="mgr") == mine
    sales = pipeline(crm, "--dept", "Sales", user="mgr")
    assert [(r["stage"], r["currency"], r["count"], r["amount"], r["weighted"]) for r in sales] == [
        ("new", "CNY", 1, "1000.00", "100.00"), ("proposal/quote", "CNY", 2, "3500.50", "1750.25"),
        ("negotiation/contract", "CNY", 1, "10000.00", "8000.00"),
        ("negotiation/contract", "USD", 1, "200.00", "160.00")]
    assert sum(r["count"] for r in pipeline(crm, "--dept", "Office")) == 6  # Office and every department below


def test_pipeline_by_month_and_the_text_table(crm, book):
    rows = pipeline(crm, "--owner", "rep", "--by-month")
    assert [(r["month"], r["stage"], r["count"]) for r in rows] == [
        ("2026-11", "new", 1), ("2026-11", "proposal/quote", 1), ("2026-12", "proposal/quote", 1)]
    out = ok(crm("opp", "pipeline", "--owner", "rep", "--format", "plain")).out
    assert out.splitlines() == [
        "stage           probability %  currency  count    amount  weighted",
        "new                        10  CNY           1  1,000.00    100.00",
        "proposal/quote             50  CNY           2  3,500.50  1,750.25",
        "total                          CNY           3  4,500.50  1,850.25"]


def test_pipeline_closing_and_currency_filters(crm, book):
    assert [r["count"] for r in pipeline(crm, "--dept", "Sales", "--closing", "2026-12")] == [1]
    assert [r["currency"] for r in pipeline(crm, "--dept", "Sales", "--currency", "usd")] == ["USD"]


def test_forecast_weights_by_stage_and_by_history(crm, org):  # noqa: F811
    c = customer_id(crm, "RepCo", user="rep")
    # history: five of rep's opportunities passed through proposal; four were won, one lost
    for i in range(5):
        oid = add(crm, "rep", c, f"old{i}", "100", "2026-10-01", "proposal")
        if i < 4:
            ok(crm("opp", "win", oid, user="rep"))
        else:
            ok(crm("opp", "lose", oid, "--reason", "no", user="rep"))
    add(crm, "rep", c, "now", "1000", "2026-11-26", "proposal")
    add(crm, "rep", c, "fresh", "2000", "2026-11-27", "new")  # no history at new: its configured 10%
    add(crm, "rep", c, "later", "5000", "2027-02-01", "proposal")  # outside the period
    rows = ok(crm("opp", "forecast", "--period", "this-month", "--json", user="rep")).json()
    assert rows == [{"owner": "rep", "currency": "CNY", "count": 2, "amount": "3000.00", "weighted": "700.00",
                     "historical": "1000.00", "based_on": {"owner": 1, "configured": 1}}]
    # 1000 × 80% (rep's own history at proposal) + 2000 × 10% (no history at new: configured) = 1000
    quarter = ok(crm("opp", "forecast", "--period", "2027-Q1", "--json", user="rep")).json()
    assert [(r["count"], r["amount"], r["historical"]) for r in quarter] == [(1, "5000.00", "4000.00")]
    text = ok(crm("opp", "forecast", "--format", "plain", user="rep")).out.splitlines()
    assert text[0].split() == ["owner", "currency", "count", "amount", "weighted", "by", "win", "rate"]
    assert text[-1].split() == ["total", "CNY", "2", "3,000.00", "700.00", "1,000.00"]


def test_forecast_of_nothing_is_empty(crm):
    assert ok(crm("opp", "forecast", "--json")).json() == []
