"""``crm quote``: lines from the catalog, pricing rules, totals and the one rounding, approval limits,
send/accept/reject, the printable quote, and bad input."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import select

from crmcli.store.models.pipeline import Quote, QuoteLine
from tests.commands._customer_org import NOW, customer_id, ok, org  # noqa: F401
from tests.commands._org import snapshot
from tests.commands.test_bad_input import assert_refused


@pytest.fixture(autouse=True)
def fixed_now(monkeypatch):
    monkeypatch.setenv("CRM_NOW", NOW)  # 2026-11-20


@pytest.fixture
def deal(crm):
    """Customer Acme (tier B), opportunity 1 in CNY; products SW (9800 CNY), ODD (33.33), USD-1 (USD), OFF (off sale)."""
    customer_id(crm, "Acme", "--tier", "B")
    ok(crm("opp", "add", "Acme", "Deal", "--amount", "100000"))
    ok(crm("product", "add", "SW", "CRM 标准版", "--price", "9800", "--unit", "套"))
    ok(crm("product", "add", "ODD", "Odd", "--price", "33.33"))
    ok(crm("product", "add", "USD-1", "Imported", "--price", "10", "--currency", "USD"))
    ok(crm("product", "add", "OFF", "Old", "--price", "1", "--off-sale"))
    return 1


def quote(session, qid: int) -> Quote:
    with session() as s:
        row = s.get(Quote, qid)
        s.expunge_all()
        return row


def test_a_quote_from_an_opportunity(crm, session, deal):
    result = crm("quote", "add", deal, "--tax", "13", "--json")
    assert result.code == 0, result
    data = result.json()
    assert {k: data[k] for k in ("id", "number", "opportunity_id", "customer", "status", "currency", "tax_rate",
                                 "valid_until", "total", "lines")} == {
        "id": 1, "number": "Q00001", "opportunity_id": 1, "customer": "Acme", "status": "draft", "currency": "CNY",
        "tax_rate": "13.00", "valid_until": "2026-12-20", "total": "0.00", "lines": []}


def test_lines_totals_and_rounding(crm, session, deal):
    ok(crm("quote", "add", deal, "--tax", "13"))
    ok(crm("quote", "line", "add", "1", "SW", "--quantity", "10", "--discount", "8"))
    ok(crm("quote", "line", "add", "Q00001", "ODD", "--quantity", "1.5", "--discount", "12.5"))
    q = quote(session, 1)
    # 10 × 9800 × 0.92 = 90160; 1.5 × 33.33 × 0.875 = 43.745625 → 43.75 (half up, once, at the line)
    assert (q.subtotal, q.tax, q.total) == (Decimal("90203.75"), Decimal("11726.49"), Decimal("101930.24"))
    with session() as s:
        lines = [(x.position, x.quantity, x.unit_price, x.discount, x.total)
                 for x in s.execute(select(QuoteLine).order_by(QuoteLine.id)).scalars()]
    assert lines == [(1, Decimal("10.000"), Decimal("9800.00"), Decimal("8.00"), Decimal("90160.00")),
                     (2, Decimal("1.500"), Decimal("33.33"), Decimal("12.50"), Decimal("43.75"))]
    ok(crm("quote", "line", "remove", "1", "1"))
    q = quote(session, 1)
    assert (q.subtotal, q.tax, q.total) == (Decimal("43.75"), Decimal("5.69"), Decimal("49.44"))


def test_half_up_at_the_minor_unit(crm, session, deal):
    ok(crm("quote", "add", deal))
    ok(crm("quote", "line", "add", "1", "ODD", "--quantity", "1", "--price", "0.05", "--discount", "50"))
    assert quote(session, 1).total == Decimal("0.03")  # 0.025 → 0.03, never banker's 0.02


def test_the_pricing_rules_give_the_default_discount(crm, session, deal):
    ok(crm("product", "rule", "add", "quantity", "--min-quantity", "10", "--discount", "5"))
    ok(crm("product", "rule", "add", "tier", "--tier", "B", "--discount", "3"))
    ok(crm("quote", "add", deal))
    ok(crm("quote", "line", "add", "1", "SW", "--quantity", "2"))  # tier B: 3%
    ok(crm("quote", "line", "add", "1", "SW", "--quantity", "10"))  # the larger: quantity 5%
    with session() as s:
        assert [x.discount for x in s.execute(select(QuoteLine).order_by(QuoteLine.id)).scalars()] == [
            Decimal("3.00"), Decimal("5.00")]


def test_a_discount_above_the_role_limit_needs_approval(crm, session, org):  # noqa: F811
    customer_id(crm, "RepCo", user="rep")
    ok(crm("opp", "add", "RepCo", "Deal", user="rep"))
    ok(crm("product", "add", "SW", "CRM", "--price", "100"))
    ok(crm("product", "rule", "add", "role", "--role", "sales_rep", "--discount", "10"))
    ok(crm("quote", "add", "1", user="rep"))
    ok(crm("quote", "line", "add", "1", "SW", "--discount", "10", user="rep"))
    assert quote(session, 1).needs_approval is False
    ok(crm("quote", "line", "add", "1", "SW", "--discount", "15", user="rep"))
    assert quote(session, 1).needs_approval is True
    before = snapshot(session)
    assert_refused(crm("quote", "send", "1", user="rep"), 6,
                   "crm: error: quote Q00001 gives a discount above your limit and needs approval "
                   "(hint: crm quote submit 1)\n")
    assert snapshot(session) == before
    # approving it goes through the approval flows: tests/commands/test_quote_approval.py
    ok(crm("quote", "line", "remove", "1", "2", user="rep"))
    assert quote(session, 1).needs_approval is False
    ok(crm("quote", "send", "1", user="rep"))
    assert quote(session, 1).status == "sent"


def test_send_accept_reject(crm, session, deal):
    ok(crm("quote", "add", deal))
    ok(crm("quote", "line", "add", "1", "SW"))
    result = crm("quote", "send", "1")
    assert result.code == 0 and result.err == "Quote Q00001 is sent.\n"
    assert ok(crm("quote", "accept", "1")).err == "Quote Q00001 is accepted.\n"
    q = quote(session, 1)
    assert (q.status, q.sent_at is not None, q.decided_at is not None) == ("accepted", True, True)
    ok(crm("quote", "add", deal))
    ok(crm("quote", "line", "add", "2", "SW"))
    ok(crm("quote", "send", "2"))
    ok(crm("quote", "reject", "2", "--reason", "too dear"))
    assert (quote(session, 2).status, quote(session, 2).reject_reason) == ("rejected", "too dear")
    assert [r["status"] for r in ok(crm("quote", "list", "--json")).json()] == ["rejected", "accepted"]


def test_the_printable_quote(crm, deal):
    ok(crm("quote", "add", deal, "--tax", "13", "--note", "Thank you."))
    ok(crm("quote", "line", "add", "1", "SW", "--quantity", "2"))
    assert ok(crm("quote", "show", "1", "--as", "markdown")).out == (
        "# Quote Q00001\n\n- Customer: Acme\n- Opportunity: Deal\n- Date: 2026-11-20\n- Valid until: 2026-12-20\n"
        "- Currency: CNY\n\n| # | Product | Description | Quantity | Unit | Unit price | Discount | Total |\n"
        "|---:|---|---|---:|---|---:|---:|---:|\n| 1 | SW | CRM 标准版 | 2 | 套 | 9,800.00 | 0.00% | 19,600.00 |\n\n"
        "**Subtotal:** 19,600.00  \n**Tax (13.00%):** 2,548.00  \n**Total:** 22,148.00 CNY  \n\nThank you.\n")
    text = ok(crm("quote", "show", "1", "--as", "text")).out.splitlines()
    assert text[:2] == ["Quote Q00001", "============"]
    assert text[8:] == [
        "#  Product  Description  Quantity  Unit  Unit price  Discount      Total",
        "------------------------------------------------------------------------",
        "1  SW       CRM 标准版          2  套      9,800.00     0.00%  19,600.00",
        "",
        "Subtotal      19,600.00",
        "Tax (13.00%)  2,548.00",
        "Total         22,148.00 CNY",
        "",
        "Thank you."]


@pytest.mark.parametrize("args, code, err", [
    (("quote", "line", "add", "1", "USD-1"), 6, "crm: error: product USD-1 is priced in USD, the quote in CNY "
                                                "(hint: one quote holds one currency: make another quote in USD)\n"),
    (("quote", "line", "add", "1", "OFF"), 6, "crm: error: product OFF (Old) is off sale\n"),
    (("quote", "line", "add", "1", "SW", "--discount", "101"), 6,
     "crm: error: the discount must be between 0 and 100%: 101\n"),
    (("quote", "line", "add", "1", "SW", "--quantity", "-1"), 6, "crm: error: the quantity must be more than 0: -1\n"),
    (("quote", "line", "add", "1", "SW", "--quantity", "0"), 6, "crm: error: the quantity must be more than 0: 0\n"),
    (("quote", "line", "add", "1", "SW", "--price", "-3"), 6, "crm: error: the unit price cannot be negative: -3\n"),
    (("quote", "line", "add", "2", "SW"), 6, "crm: error: quote Q00002 is sent: its lines can no longer change\n"),
    (("quote", "line", "remove", "1", "9"), 3, "crm: error: quote Q00001 has no line 9\n"),
    (("quote", "send", "1"), 6, "crm: error: quote Q00001 has no lines (hint: crm quote line add 1 PRODUCT --quantity N)\n"),
    (("quote", "send", "2"), 5, "crm: error: quote Q00002 is already sent\n"),
    (("quote", "accept", "1"), 6, "crm: error: quote Q00001 has not been sent (hint: crm quote send 1)\n"),
    (("quote", "add", "1", "--currency", "ABC"), 6,
     "crm: error: unknown currency 'ABC' (hint: crm currency list shows the supported codes)\n"),
    (("quote", "add", "1", "--currency", "KWD"), 6,
     "crm: error: KWD has 3 decimals; products, opportunities and quotes keep amounts to hundredths "
     "(hint: price it in another currency, e.g. USD)\n"),
    (("quote", "add", "1", "--tax", "-1"), 6, "crm: error: the tax rate must be between 0 and 100%: -1\n"),
    (("quote", "add", "1", "--valid-until", "2026-11-01"), 6,
     "crm: error: the quote would be valid only until 2026-11-01, which has passed\n"),
    (("quote", "add", "2"), 6, "crm: error: opportunity 2 is lost: reopen it before quoting\n"),
    (("quote", "show", "1", "--as", "pdf"), 2, "crm: error: --as is record, markdown or text, not pdf\n"),
    (("quote", "show", "9"), 3, "crm: error: no quote 9\n"),
])
def test_bad_input(crm, session, deal, args, code, err):
    ok(crm("quote", "add", deal))  # 1: a draft
    ok(crm("quote", "add", deal))  # 2: sent
    ok(crm("quote", "line", "add", "2", "SW"))
    ok(crm("quote", "send", "2"))
    ok(crm("opp", "add", "Acme", "Gone"))
    ok(crm("opp", "lose", "2", "--reason", "x"))
    before = snapshot(session)
    assert_refused(crm(*args), code, err)
    assert snapshot(session) == before


def test_an_expired_quote_cannot_be_accepted(crm, session, deal, monkeypatch):
    ok(crm("quote", "add", deal, "--valid-until", "2026-11-25"))
    ok(crm("quote", "line", "add", "1", "SW"))
    ok(crm("quote", "send", "1"))
    monkeypatch.setenv("CRM_NOW", "2026-11-26T10:00:00+00:00")
    before = snapshot(session)
    assert_refused(crm("quote", "accept", "1"), 6, "crm: error: quote Q00001 expired on 2026-11-25\n")
    assert snapshot(session) == before


def test_quotes_follow_the_opportunitys_scope(crm, session, org):  # noqa: F811
    customer_id(crm, "Theirs", user="rep2")
    ok(crm("opp", "add", "Theirs", "Deal", user="rep2"))
    ok(crm("product", "add", "SW", "CRM", "--price", "100"))
    ok(crm("quote", "add", "1", user="rep2"))
    before = snapshot(session)
    assert_refused(crm("quote", "show", "1", user="rep"), 3, "crm: error: no quote 1\n")
    assert_refused(crm("quote", "add", "1", user="rep"), 3, "crm: error: no opportunity 1\n")
    assert snapshot(session) == before
    assert ok(crm("quote", "list", "--json", user="rep")).json() == []
    assert [q["id"] for q in ok(crm("quote", "list", "--json", user="mgr")).json()] == [1]
