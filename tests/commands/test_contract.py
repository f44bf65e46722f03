"""``crm contract``: add (items, amount, numbering), list, show, edit, submit/activate/complete/terminate,
transfer, plans, payments, invoices, the customer 360 sections and every bad input.

Approval flows are in test_approval.py, receivables in test_receivable.py, rates in test_currency.py,
concurrency and the killed process in test_contract_concurrency.py.  Every test runs on SQLite and,
with CRM_TEST_DATABASE_URL, on PostgreSQL.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from crmcli.store.models import AuditLog, Customer
from crmcli.store.models.contracts import Contract, ContractItem, Invoice, Payment, ReceivablePlan
from tests.commands._org import snapshot
from tests.commands.test_bad_input import assert_refused

NOW = "2026-11-20T10:00:00+00:00"


@pytest.fixture(autouse=True)
def fixed_now(monkeypatch):
    monkeypatch.setenv("CRM_NOW", NOW)


def ok(result):
    assert result.code == 0, result
    return result


def customer(crm, name: str = "Acme", *args, user: str = "admin") -> int:
    return ok(crm("customer", "add", name, *args, "--json", user=user)).json()["id"]


def contract(crm, *args, customer_ref: str = "Acme", user: str = "admin") -> dict:
    return ok(crm("contract", "add", "--customer", customer_ref, *args, "--json", user=user)).json()


def active(crm, *args, amount: str = "10000.00", **kwargs) -> dict:
    """An approved and activated contract (no approval flow: submit approves at once)."""
    made = contract(crm, "--amount", amount, *args, **kwargs)
    ok(crm("contract", "submit", made["id"]))
    ok(crm("contract", "activate", made["id"]))
    return made


def row(session, contract_id: int) -> Contract:
    with session() as s:
        found = s.get(Contract, contract_id)
        s.expunge_all()
        return found


def rows(session, model, **where) -> list:
    with session() as s:
        query = select(model)
        for key, value in where.items():
            query = query.where(getattr(model, key) == value)
        found = list(s.execute(query.order_by(model.id)).scalars())
        s.expunge_all()
        return found


def actions(session, record_id: int) -> list[str]:
    with session() as s:
        return list(s.execute(select(AuditLog.action).where(AuditLog.record_type == "contract",
                                                            AuditLog.record_id == record_id)
                              .order_by(AuditLog.id)).scalars())


@pytest.fixture
def acme(crm) -> int:
    return customer(crm)


# --- add -------------------------------------------------------------------------------------------


def test_add_with_line_items(crm, session, acme):
    result = crm("contract", "add", "--customer", "Acme", "--title", "CRM 年度授权", "--item", "CRM licence=10*1200",
                 "--item", "Support=3*333.33", "--signed", "2026-11-20", "--start", "2026-12-01",
                 "--end", "2027-11-30", "--terms", "50%@signed,50%@end", "--json")
    assert result.code == 0, result
    data = result.json()
    assert {k: data[k] for k in ("id", "number", "title", "customer", "status", "owner", "currency", "amount", "paid",
                                 "owed", "invoiced", "signed_on", "start_on", "end_on", "terms")} == {
        "id": 1, "number": "HT-2026-0001", "title": "CRM 年度授权", "customer": "Acme", "status": "draft",
        "owner": "admin", "currency": "CNY", "amount": "12999.99", "paid": "0.00", "owed": "12999.99",
        "invoiced": "0.00", "signed_on": "2026-11-20", "start_on": "2026-12-01", "end_on": "2027-11-30",
        "terms": "50%@signed,50%@end"}
    assert data["items"] == [
        {"position": 1, "description": "CRM licence", "product_id": None, "quantity": "10", "unit_price": "1200.00",
         "total": "12000.00"},
        {"position": 2, "description": "Support", "product_id": None, "quantity": "3", "unit_price": "333.33",
         "total": "999.99"}]
    found = row(session, 1)
    assert (found.amount, found.customer_id, found.owner_id, found.created_by) == (Decimal("12999.99"), acme, 1, 1)
    assert [i.total for i in rows(session, ContractItem, contract_id=1)] == [Decimal("12000.00"), Decimal("999.99")]
    [entry] = rows(session, AuditLog, action="contract.add")
    assert (entry.record_type, entry.record_id, entry.record_label) == ("contract", 1, "HT-2026-0001 CRM 年度授权")
    assert entry.changes["amount"] == [None, "12999.99"]


def test_add_standalone_with_an_amount_in_another_currency(crm, acme):
    data = contract(crm, "--amount", "5000", "--currency", "usd")
    assert (data["currency"], data["amount"], data["title"], data["items"]) == ("USD", "5000.00", "Acme", [])


def test_a_line_total_is_rounded_half_up_to_the_currency(crm, acme):
    data = contract(crm, "--item", "Hours=2.5*33.33")  # 83.325 → 83.33
    assert (data["items"][0]["total"], data["amount"]) == ("83.33", "83.33")
    jpy = contract(crm, "--currency", "JPY", "--item", "Widget=3*1000")
    assert jpy["amount"] == "3000"


def test_numbers_are_gap_free_per_year_and_the_pattern_is_configurable(crm, monkeypatch, acme):
    assert [contract(crm, "--amount", "1")["number"] for _ in range(3)] == ["HT-2026-0001", "HT-2026-0002",
                                                                          "HT-2026-0003"]
    bad = crm("contract", "add", "--customer", "Acme", "--amount", "-1")  # refused: takes no number
    assert bad.code == 6
    monkeypatch.setenv("CRM_NOW", "2027-01-02T09:00:00+00:00")
    assert contract(crm, "--amount", "1")["number"] == "HT-2027-0001"
    ok(crm("contract", "numbering", "--pattern", "SO{year}/{seq:05d}"))
    assert crm("contract", "numbering", "--format", "tsv").out == "pattern\nSO{year}/{seq:05d}\n"
    assert contract(crm, "--amount", "1")["number"] == "SO2027/00001"


def test_add_from_a_product_code(crm, session, acme):
    from crmcli.store.models.pipeline import Product

    with session() as s:
        from crmcli import clock

        now = clock.now()
        s.add(Product(code="CRM-PRO", name="CRM Pro", unit="seat", list_price=Decimal("1200.00"), currency="CNY",
                      created_at=now, updated_at=now))
        s.commit()
    data = contract(crm, "--item", "@CRM-PRO=5", "--item", "@CRM-PRO=1*1000")
    assert [(i["description"], i["product_id"], i["total"]) for i in data["items"]] == [
        ("CRM Pro", 1, "6000.00"), ("CRM Pro", 1, "1000.00")]


def test_list_show_and_filters(crm, acme):
    customer(crm, "Globex")
    first = contract(crm, "--amount", "100", "--title", "Alpha", "--end", "2026-12-10")
    contract(crm, "--amount", "200", "--title", "Beta", customer_ref="Globex")
    result = ok(crm("contract", "list", "--format", "tsv"))
    assert result.rows() == [
        ["id", "number", "title", "customer", "status", "owner", "amount", "owed", "currency", "end_on"],
        ["2", "HT-2026-0002", "Beta", "Globex", "draft", "admin", "200.00", "200.00", "CNY", ""],
        ["1", "HT-2026-0001", "Alpha", "Acme", "draft", "admin", "100.00", "100.00", "CNY", "2026-12-10"]]
    assert ok(crm("contract", "list", "--customer", "Acme", "--format", "ids")).out == "1\n"
    assert ok(crm("contract", "list", "--search", "bet", "--format", "ids")).out == "2\n"
    assert ok(crm("contract", "list", "--where", "amount>150", "--format", "ids")).out == "2\n"
    assert ok(crm("contract", "show", "HT-2026-0001", "--json")).json()["id"] == first["id"]


def test_ending_within_lists_approved_and_active_contracts_ending_soon(crm, acme):
    soon = active(crm, "--end", "2026-12-10")
    active(crm, "--end", "2027-03-01")
    contract(crm, "--amount", "5", "--end", "2026-12-01")  # a draft: not in force
    ended = active(crm, "--end", "2026-11-19")
    assert ok(crm("contract", "list", "--ending-within", "30d", "--format", "ids")).out == f"{soon['id']}\n"
    assert ended["id"] not in [int(x) for x in crm("contract", "list", "--ending-within", "30d",
                                                   "--format", "ids").out.split()]


# --- edit and lifecycle --------------------------------------------------------------------------


def test_edit_a_draft_replaces_items_and_recomputes_the_amount(crm, session, acme):
    made = contract(crm, "--item", "A=1*100")
    data = ok(crm("contract", "edit", made["id"], "--item", "B=2*150", "--end", "2027-01-31", "--json")).json()
    assert (data["amount"], data["end_on"], [i["description"] for i in data["items"]]) == ("300.00", "2027-01-31", ["B"])
    [entry] = rows(session, AuditLog, action="contract.edit")
    assert entry.changes["amount"] == ["100.00", "300.00"]


def test_submit_without_a_flow_approves_activate_marks_the_customer_as_having_a_deal(crm, session, acme):
    made = contract(crm, "--amount", "1000")
    result = ok(crm("contract", "submit", made["id"]))
    assert result.err == "Contract HT-2026-0001 is approved (no approval step applies).\n"
    assert row(session, made["id"]).status == "approved"
    assert rows(session, Customer)[0].deal_status == "none"
    ok(crm("contract", "activate", made["id"], "--signed", "2026-11-18"))
    found = row(session, made["id"])
    assert (found.status, found.signed_on) == ("active", date(2026, 11, 18))
    buyer = rows(session, Customer)[0]
    assert buyer.deal_status == "won"
    assert buyer.last_deal_at is not None
    assert actions(session, made["id"]) == ["contract.add", "contract.submit", "contract.status", "contract.status",
                                            "contract.activate"]


def test_complete_and_terminate(crm, session, acme):
    paid = active(crm, amount="100")
    assert_refused(crm("contract", "complete", paid["id"]), 6,
                   "crm: error: contract HT-2026-0001 is still owed 100.00 CNY (hint: record the payment, or "
                   "terminate it with a reason)\n")
    ok(crm("contract", "pay", paid["id"], "--amount", "100"))
    assert row(session, paid["id"]).status == "active"  # its end has not passed and no --complete
    ok(crm("contract", "complete", paid["id"]))
    assert row(session, paid["id"]).status == "completed"
    other = active(crm, amount="50")
    assert_refused(crm("contract", "terminate", other["id"], "--reason", " "), 6, "crm: error: say why with --reason\n")
    ok(crm("contract", "terminate", other["id"], "--reason", "客户破产"))
    found = row(session, other["id"])
    assert (found.status, found.end_reason) == ("terminated", "客户破产")
    assert_refused(crm("contract", "terminate", other["id"], "--reason", "again"), 5,
                   "crm: error: contract HT-2026-0002 is already terminated\n")


def test_transfer(crm, session, acme):
    ok(crm("user", "add", "bob"))
    made = contract(crm, "--amount", "10")
    result = ok(crm("contract", "transfer", made["id"], "--to", "bob"))
    assert result.err == "1 contracts now belong to bob.\n"
    assert row(session, made["id"]).owner_id == 2
    [entry] = rows(session, AuditLog, action="contract.transfer")
    assert entry.changes == {"owner_id": [1, 2]}


def test_customer_transfer_with_contracts_moves_them(crm, session, acme):
    ok(crm("user", "add", "bob"))
    made = contract(crm, "--amount", "10")
    ok(crm("customer", "transfer", "Acme", "--to", "bob", "--with-contracts"))
    assert row(session, made["id"]).owner_id == 2


# --- payments ------------------------------------------------------------------------------------


def test_pay_against_a_plan_and_in_due_order(crm, session, acme):
    made = active(crm, amount="1000", **{})
    ok(crm("contract", "plan", "add", made["id"], "--amount", "400", "--due", "2026-12-01"))
    ok(crm("contract", "plan", "add", made["id"], "--amount", "600", "--due", "2027-01-01", "--method", "transfer",
           "--remind", "3d"))
    result = ok(crm("contract", "pay", made["id"], "--amount", "500", "--plan", "2", "--method", "transfer",
                    "--note", "first"))
    assert result.err == "Payment 1: 500.00 CNY on HT-2026-0001; still owed 500.00 CNY.\n"
    ok(crm("contract", "pay", made["id"], "--amount", "450", "--date", "2026-11-19"))
    plans = rows(session, ReceivablePlan, contract_id=made["id"])
    assert [(p.seq, p.paid, p.status, p.remind_days) for p in plans] == [
        (1, Decimal("400.00"), "paid", None), (2, Decimal("550.00"), "partial", 3)]
    payments = rows(session, Payment, contract_id=made["id"])
    assert [(p.amount, p.plan_id, p.paid_on, p.allocation) for p in payments] == [
        (Decimal("500.00"), plans[1].id, date(2026, 11, 20), {"2": "500.00"}),
        (Decimal("450.00"), None, date(2026, 11, 19), {"1": "400.00", "2": "50.00"})]
    assert row(session, made["id"]).paid == Decimal("950.00")
    data = ok(crm("contract", "show", made["id"], "--json")).json()
    assert (data["paid"], data["owed"]) == ("950.00", "50.00")
    assert [p["plan"] for p in data["payments"]] == [None, 2] or [p["plan"] for p in data["payments"]] == [2, None]


def test_paying_it_all_completes_only_after_the_end_or_with_complete(crm, session, acme, monkeypatch):
    ended = active(crm, "--end", "2026-11-01", amount="100")
    ok(crm("contract", "pay", ended["id"], "--amount", "100"))
    assert row(session, ended["id"]).status == "completed"
    running = active(crm, "--end", "2027-11-01", amount="100")
    ok(crm("contract", "pay", running["id"], "--amount", "60"))
    assert_refused(crm("contract", "pay", running["id"], "--amount", "30", "--complete"), 6,
                   "crm: error: --complete: contract HT-2026-0002 would still be owed 10.00 CNY\n")
    result = ok(crm("contract", "pay", running["id"], "--amount", "40", "--complete"))
    assert result.err.endswith("Contract HT-2026-0002 is completed.\n")
    assert row(session, running["id"]).status == "completed"


def test_force_pays_more_than_is_owed_with_the_permission(crm, session, acme):
    made = active(crm, amount="100")
    ok(crm("contract", "pay", made["id"], "--amount", "150", "--force"))
    found = row(session, made["id"])
    assert (found.paid, rows(session, Payment)[0].forced) == (Decimal("150.00"), True)
    ok(crm("user", "add", "rep", "--role", "sales_rep"))
    theirs = active(crm, amount="100", user="admin")
    ok(crm("contract", "transfer", theirs["id"], "--to", "rep"))
    before = snapshot(session)
    assert_refused(crm("contract", "pay", theirs["id"], "--amount", "101", "--force", user="rep"), 4,
                   "crm: error: rep may not payment.force", exact=False)
    assert snapshot(session) == before


def test_invoices(crm, session, acme):
    made = active(crm, amount="1000")
    result = ok(crm("contract", "invoice", "add", made["id"], "--amount", "600", "--number", "04400001",
                    "--buyer", "Acme Ltd", "--buyer-tax-id", "91110108ma01234567", "--date", "2026-11-19"))
    assert result.err == "Invoice 04400001: 600.00 CNY; invoiced 600.00 CNY of 1,000.00 CNY.\n"
    [invoice] = rows(session, Invoice)
    assert (invoice.amount, invoice.buyer_tax_id, invoice.issued_on) == (Decimal("600.00"), "91110108MA01234567",
                                                                         date(2026, 11, 19))
    assert row(session, made["id"]).invoiced == Decimal("600.00")
    assert ok(crm("contract", "invoice", "list", made["id"], "--format", "tsv")).rows()[1] == [
        "04400001", "2026-11-19", "600.00", "CNY", "Acme Ltd", "91110108MA01234567"]
    before = snapshot(session)
    assert_refused(crm("contract", "invoice", "add", made["id"], "--amount", "400.01", "--number", "2"), 6,
                   "crm: error: invoices would total 1,000.01 CNY, more than the contract amount 1,000.00 CNY\n")
    assert_refused(crm("contract", "invoice", "add", made["id"], "--amount", "1", "--number", "04400001"), 5,
                   "crm: error: invoice 04400001 exists\n")
    assert_refused(crm("contract", "invoice", "add", made["id"], "--amount", "1", "--number", "9",
                       "--buyer-tax-id", "12"), 6,
                   "crm: error: '12' is not a tax id (hint: 15 to 20 letters and digits, e.g. 91110108MA01234567)\n")
    assert snapshot(session) == before


def test_customer_show_has_contracts_plans_payments_and_what_is_owed(crm, acme):
    made = active(crm, amount="1000")
    ok(crm("contract", "plan", "add", made["id"], "--amount", "1000", "--due", "2026-12-01"))
    ok(crm("contract", "pay", made["id"], "--amount", "300"))
    data = ok(crm("customer", "show", "Acme", "--json")).json()
    assert data["contracts"] == [{"id": 1, "number": "HT-2026-0001", "title": "Acme", "status": "active",
                                  "amount": "1000.00", "paid": "300.00", "owed": "700.00", "currency": "CNY",
                                  "end_on": None}]
    assert data["receivable_plans"] == [{"contract": "HT-2026-0001", "seq": 1, "due_on": "2026-12-01",
                                         "amount": "1000.00", "unpaid": "700.00", "currency": "CNY",
                                         "status": "partial"}]
    assert [(p["amount"], p["paid_on"]) for p in data["payments"]] == [("300.00", "2026-11-20")]
    text = ok(crm("customer", "show", "Acme", "--format", "plain")).out
    assert "\nContracts\n" in text and "\nReceivable plans\n" in text and "\nPayments\n" in text


def test_show_lists_items_plans_payments_invoices_and_the_timeline(crm, acme):
    made = active(crm, amount="1000")
    ok(crm("contract", "plan", "add", made["id"], "--amount", "1000", "--due", "2026-12-01"))
    ok(crm("contract", "pay", made["id"], "--amount", "300", "--method", "cash"))
    ok(crm("contract", "invoice", "add", made["id"], "--amount", "300", "--number", "A1"))
    text = ok(crm("contract", "show", made["id"], "--format", "plain")).out
    for heading in ("Approvals", "Receivable plans", "Payments", "Invoices", "Timeline"):
        assert f"\n{heading}\n" in text, heading
    assert "still owed  700.00 CNY" in text
    assert "contract.pay" in text


# --- bad input -----------------------------------------------------------------------------------


@pytest.mark.parametrize("args, code, err", [
    (("--amount", "0"), 6, "crm: error: the amount must be more than zero: 0\n"),
    (("--amount", "-5"), 6, "crm: error: the amount must be more than zero: -5\n"),
    (("--amount", "12.345"), 6, "crm: error: 12.345 has more decimals than CNY has (2)\n"),
    (("--amount", "100.5", "--currency", "JPY"), 6, "crm: error: 100.5 has more decimals than JPY has (0)\n"),
    (("--amount", "abc"), 6, "crm: error: the amount 'abc' is not a number\n"),
    (("--amount", "10", "--currency", "XYZ"), 6,
     "crm: error: unknown currency 'XYZ' (hint: crm currency list shows the supported codes)\n"),
    ((), 6, "crm: error: a contract needs an amount or line items (hint: add --amount 50000 or --item "
            "'CRM licence=10*1200')\n"),
    (("--item", "nonsense"), 6, "crm: error: 'nonsense' is not a line item (hint: write DESCRIPTION=QTY*PRICE, "
                                "e.g. 'CRM licence=10*1200', or @PRODUCT_CODE=QTY)\n"),
    (("--item", "A=0*10"), 6, "crm: error: the quantity must be more than zero, with at most 3 decimals: 0\n"),
    (("--item", "A=1*10", "--amount", "11"), 6, "crm: error: --amount 11 is not the line items' total 10.00 CNY "
                                                "(hint: leave --amount out to use the items' total)\n"),
    (("--item", "@NOPE=1"), 3, "crm: error: no product with code 'NOPE'\n"),
    (("--amount", "10", "--start", "2027-01-01", "--end", "2026-12-01"), 6,
     "crm: error: the end date 2026-12-01 is before the start date 2027-01-01\n"),
])
def test_bad_add(crm, session, acme, args, code, err):
    before = snapshot(session)
    assert_refused(crm("contract", "add", "--customer", "Acme", *args), code, err)
    assert snapshot(session) == before


def test_add_for_an_unknown_or_invisible_customer(crm, session, acme):
    ok(crm("user", "add", "rep", "--role", "sales_rep"))
    before = snapshot(session)
    assert_refused(crm("contract", "add", "--customer", "Nobody", "--amount", "1"), 3, "crm: error: no customer Nobody\n")
    assert_refused(crm("contract", "add", "--customer", "Acme", "--amount", "1", user="rep"), 3,
                   "crm: error: no customer Acme\n")
    assert_refused(crm("contract", "add", "--amount", "1"), 6, "crm: error: a contract needs --customer (or --from-quote)\n")
    assert snapshot(session) == before


def test_paying_a_draft_rejected_or_completed_contract_is_refused(crm, session, acme):
    draft = contract(crm, "--amount", "100")
    before = snapshot(session)
    assert_refused(crm("contract", "pay", draft["id"], "--amount", "10"), 6,
                   "crm: error: contract HT-2026-0001 is draft: payments only on an approved or active contract\n")
    ok(crm("approval", "flow", "set", "contract", "--step", "user:admin"))
    ok(crm("contract", "submit", draft["id"]))
    ok(crm("approval", "reject", "1", "--comment", "too cheap"))
    before = snapshot(session)
    assert_refused(crm("contract", "pay", draft["id"], "--amount", "10"), 6,
                   "crm: error: contract HT-2026-0001 is rejected: payments only on an approved or active contract\n")
    assert snapshot(session) == before


@pytest.mark.parametrize("args, code, err", [
    (("--amount", "0"), 6, "crm: error: the amount must be more than zero: 0\n"),
    (("--amount", "-1"), 6, "crm: error: the amount must be more than zero: -1\n"),
    (("--amount", "1.001"), 6, "crm: error: 1.001 has more decimals than CNY has (2)\n"),
    (("--amount", "100.01"), 6, "crm: error: 100.01 CNY is more than what contract HT-2026-0001 is still owed "
                                "(100.00 CNY) (hint: a user with the payment.force permission may add --force)\n"),
    (("--amount", "10", "--plan", "9"), 3, "crm: error: contract HT-2026-0001 has no receivable plan 9\n"),
    (("--amount", "60", "--plan", "1"), 6, "crm: error: 60.00 CNY is more than plan 1 still needs (50.00 CNY) "
                                           "(hint: pay it without --plan to spread it over the instalments)\n"),
    (("--amount", "10", "--date", "2026-12-01"), 6, "crm: error: a payment cannot be in the future: 2026-12-01\n"),
])
def test_bad_payments(crm, session, acme, args, code, err):
    made = active(crm, amount="100")
    ok(crm("contract", "plan", "add", made["id"], "--amount", "50", "--due", "2026-12-01"))
    before = snapshot(session)
    assert_refused(crm("contract", "pay", made["id"], *args), code, err)
    assert snapshot(session) == before


def test_editing_an_approved_contract_is_refused(crm, session, acme):
    made = active(crm, amount="100")
    before = snapshot(session)
    assert_refused(crm("contract", "edit", made["id"], "--title", "X"), 6,
                   "crm: error: contract HT-2026-0001 is active: only a draft or rejected contract may be edited\n")
    assert snapshot(session) == before


def test_plans_may_not_exceed_the_amount(crm, session, acme):
    made = contract(crm, "--amount", "1000")
    ok(crm("contract", "plan", "add", made["id"], "--amount", "700", "--due", "2026-12-01"))
    before = snapshot(session)
    assert_refused(crm("contract", "plan", "add", made["id"], "--amount", "300.01", "--due", "2027-01-01"), 6,
                   "crm: error: the instalments would total 1,000.01 CNY, more than the contract amount 1,000.00 CNY "
                   "(hint: still unplanned: 300.00 CNY)\n")
    assert_refused(crm("contract", "edit", made["id"], "--amount", "699"), 6,
                   "crm: error: the receivable plans already total 700.00 CNY, more than 699.00 CNY\n")
    assert snapshot(session) == before


def test_generate_plans_from_terms_sums_exactly(crm, session, acme):
    made = contract(crm, "--amount", "1000.00", "--signed", "2026-11-20", "--end", "2027-01-31")
    result = ok(crm("contract", "plan", "generate", made["id"], "--terms", "33.33%@signed,33.33%@signed+1m,33.34%@end+90d",
                    "--format", "tsv"))
    assert [r[:4] for r in result.rows()[1:]] == [["1", "2026-11-20", "333.30", "0.00"],
                                                  ["2", "2026-12-20", "333.30", "0.00"],
                                                  ["3", "2027-05-01", "333.40", "0.00"]]
    odd = contract(crm, "--amount", "100.00", "--signed", "2026-11-20")
    result = ok(crm("contract", "plan", "generate", odd["id"], "--terms", "30%@signed,30%@signed+30d,40%@signed+60d",
                    "--format", "tsv"))
    assert [r[2] for r in result.rows()[1:]] == ["30.00", "30.00", "40.00"]
    cents = contract(crm, "--amount", "0.10", "--signed", "2026-11-20")  # 0.0333 → 0.03, 0.03, the last absorbs
    result = ok(crm("contract", "plan", "generate", cents["id"], "--terms", "33.33%@signed,33.33%@today+1w,33.34%@today+2w",
                    "--format", "tsv"))
    assert [r[:3] for r in result.rows()[1:]] == [["1", "2026-11-20", "0.03"], ["2", "2026-11-27", "0.03"],
                                                  ["3", "2026-12-04", "0.04"]]
    with session() as s:
        total = s.execute(select(func.sum(ReceivablePlan.amount))).scalar_one()
        count = s.execute(select(func.count()).select_from(ReceivablePlan)).scalar_one()
    assert count == 9
    assert total == Decimal("1100.10")


@pytest.mark.parametrize("terms, code, err", [
    ("30%@signed,60%@end", 6, "crm: error: the payment terms total 90%, not 100%\n"),
    ("30%@signed,80%@end", 6, "crm: error: the payment terms total 110%, not 100%\n"),
    ("all now", 6, "crm: error: 'all now' is not a payment term (hint: write PERCENT%@ANCHOR[+OFFSET], e.g. "
                   "30%@signed,40%@signed+30d,30%@end+90d)\n"),
    ("50%@start,50%@end", 6, "crm: error: contract HT-2026-0001 has no start date for '50%@start' (hint: set it "
                             "first: crm contract edit HT-2026-0001 --start DATE)\n"),
])
def test_bad_terms(crm, session, acme, terms, code, err):
    contract(crm, "--amount", "100", "--signed", "2026-11-20", "--end", "2027-01-01")
    before = snapshot(session)
    assert_refused(crm("contract", "plan", "generate", "1", "--terms", terms), code, err)
    assert snapshot(session) == before


def test_generate_twice_is_a_conflict(crm, session, acme):
    contract(crm, "--amount", "100", "--signed", "2026-11-20")
    ok(crm("contract", "plan", "generate", "1", "--terms", "100%@signed"))
    before = snapshot(session)
    assert_refused(crm("contract", "plan", "generate", "1", "--terms", "100%@signed"), 5,
                   "crm: error: contract HT-2026-0001 already has receivable plans (hint: add more one by one: "
                   "crm contract plan add)\n")
    assert snapshot(session) == before


def test_a_contract_outside_the_scope_is_not_found(crm, session, acme):
    ok(crm("user", "add", "rep", "--role", "sales_rep"))
    made = contract(crm, "--amount", "100")
    assert_refused(crm("contract", "show", made["id"], user="rep"), 3, "crm: error: no contract 1\n")
    assert ok(crm("contract", "list", "--format", "ids", user="rep")).out == ""


def test_add_from_an_accepted_quote(crm, session, acme):
    """The pipeline area's quote (lines with discounts, tax) becomes a draft contract of exactly its total."""
    ok(crm("opp", "add", "Acme", "CRM rollout", "--amount", "100000"))
    ok(crm("product", "add", "SW-001", "CRM 标准版", "--unit", "套", "--price", "9800"))
    ok(crm("quote", "add", "1", "--tax", "13"))
    ok(crm("quote", "line", "add", "1", "SW-001", "--quantity", "10", "--discount", "5"))
    ok(crm("quote", "send", "1"))
    before = snapshot(session)
    assert_refused(crm("contract", "add", "--from-quote", "1"), 6,
                   "crm: error: quote Q00001 is sent: only an accepted quote becomes a contract\n")
    assert snapshot(session) == before
    ok(crm("quote", "accept", "1"))
    data = ok(crm("contract", "add", "--from-quote", "Q00001", "--end", "2027-11-30", "--json")).json()
    assert {k: data[k] for k in ("title", "customer", "amount", "currency", "opportunity_id", "quote_id", "end_on")} == {
        "title": "CRM rollout", "customer": "Acme", "amount": "105203.00", "currency": "CNY", "opportunity_id": 1,
        "quote_id": 1, "end_on": "2027-11-30"}
    assert [(i["description"], i["quantity"], i["unit_price"], i["total"]) for i in data["items"]] == [
        ("CRM 标准版 (-5%)", "10", "9800.00", "93100.00"), ("Tax 13%", "1", "12103.00", "12103.00")]
    assert_refused(crm("contract", "add", "--from-quote", "1"), 5,
                   "crm: error: quote Q00001 is already contract HT-2026-0001\n")


def test_the_demo_has_contracts_in_every_state(crm, monkeypatch):
    monkeypatch.setenv("CRM_NOW", "2026-11-22T09:00:00+08:00")
    ok(crm("demo"))
    found = {c["title"]: c["status"] for c in ok(crm("contract", "list", "--json")).json()}
    assert found["数据中台一期"] == "pending" and found["呼叫中心坐席"] == "rejected"
    assert found["门店 POS 升级"] == "completed" and found["CRM 标准版年度授权"] == "active"
    assert ok(crm("receivable", "list", "--overdue", "--format", "ids")).out.split()
    assert [a["label"] for a in ok(crm("approval", "list", "--mine", "--json", user="zhaomin")).json()] == [
        "HT-2026-0003 数据中台一期"]
    assert ok(crm("contract", "list", "--ending-within", "30d", "--json")).json()[0]["title"] == "年度维保"


@pytest.mark.parametrize("args, code, err", [
    (("invoice", "add", "1", "--amount", "10", "--number", "X1"), 6,
     "crm: error: contract HT-2026-0001 is draft: invoices only on an approved, active or completed contract\n"),
    (("plan", "add", "1", "--amount", "10", "--due", "2026-12-01", "--remind", "soon"), 6,
     "crm: error: cannot read the duration 'soon' (hint: for example 30m, 12h, 7d, 2w or 1mo (m is minutes, mo months))\n"),
    (("plan", "add", "1", "--amount", "0", "--due", "2026-12-01"), 6,
     "crm: error: the amount must be more than zero: 0\n"),
    (("activate", "1"), 6, "crm: error: contract HT-2026-0001 is draft: it cannot be activated\n"),
    (("complete", "1"), 6, "crm: error: contract HT-2026-0001 is draft: it cannot be completed\n"),
    (("numbering", "--pattern", "HT-{seq}"), 6,
     "crm: error: 'HT-{seq}' is not a number pattern (hint: use {year} and {seq}, e.g. HT-{year}-{seq:04d})\n"),
    (("show", "HT-2099-0001"), 3, "crm: error: no contract HT-2099-0001\n"),
    (("transfer", "1", "--to", "ghost"), 3, "crm: error: no user named 'ghost'\n"),
])
def test_more_bad_input(crm, session, acme, args, code, err):
    contract(crm, "--amount", "100")
    before = snapshot(session)
    assert_refused(crm("contract", *args), code, err)
    assert snapshot(session) == before


# --- write access, reversals, the --force ceiling (issue 11) ----------------------------------------


@pytest.fixture
def shared(crm, acme):
    """rep2's active contract on rep2's customer Theirs; rep is on that customer's team with read access,
    rep3 with write access (sales reps: scope 'self', payment.create, no payment.force)."""
    ok(crm("role", "grant", "sales_rep", "invoice.create"))
    for login in ("rep", "rep2", "rep3"):
        ok(crm("user", "add", login, "--role", "sales_rep"))
    theirs = customer(crm, "Theirs", user="rep2")
    ok(crm("customer", "team", "add", theirs, "rep", "--access", "read", user="rep2"))
    ok(crm("customer", "team", "add", theirs, "rep3", "--access", "write", user="rep2"))
    made = contract(crm, "--amount", "1000", customer_ref=str(theirs), user="rep2")
    ok(crm("contract", "submit", made["id"], user="rep2"))
    ok(crm("contract", "activate", made["id"], user="rep2"))
    return made


def test_a_read_only_team_member_may_look_but_not_record_money(crm, session, shared):
    """Every write in the contracts area loads the contract for writing: pay, reverse, invoice, plans,
    edit, lifecycle, and adding a contract to the customer."""
    cid = shared["id"]
    assert ok(crm("contract", "show", cid, "--json", user="rep")).json()["number"] == "HT-2026-0001"
    ok(crm("contract", "pay", cid, "--amount", "100", user="admin"))
    before = snapshot(session)
    denied = "crm: error: rep may see but not change contract HT-2026-0001 Theirs (hint: ask the owner for write " \
             "access to the team)\n"
    for args in (("pay", cid, "--amount", "10"), ("pay", "--reverse", "1", "--reason", "x"),
                 ("pay", cid, "--reverse", "1", "--reason", "x"),
                 ("invoice", "add", cid, "--amount", "10", "--number", "R1")):
        assert_refused(crm("contract", *args, user="rep"), 4, denied)
    for args in (("plan", "add", cid, "--amount", "10", "--due", "2026-12-01"), ("terminate", cid, "--reason", "x"),
                 ("complete", cid)):
        assert_refused(crm("contract", *args, user="rep"), 4, "crm: error: rep may see but not change contract",
                       exact=False)
    assert_refused(crm("contract", "add", "--customer", "Theirs", "--amount", "5", user="rep"), 4,
                   "crm: error: rep may see but not change customer Theirs (hint: ask the owner for write access to "
                   "the team)\n")
    assert snapshot(session) == before
    # a read-write member records money
    ok(crm("contract", "pay", cid, "--amount", "10", user="rep3"))
    ok(crm("contract", "invoice", "add", cid, "--amount", "10", "--number", "W1", user="rep3"))
    ok(crm("contract", "pay", "--reverse", "2", "--reason", "wrong contract", user="rep3"))


def test_reverse_a_payment(crm, session, acme):
    made = active(crm, "--end", "2026-11-01", amount="1000")
    ok(crm("contract", "plan", "add", made["id"], "--amount", "400", "--due", "2026-12-01"))
    ok(crm("contract", "plan", "add", made["id"], "--amount", "600", "--due", "2027-01-01"))
    ok(crm("contract", "pay", made["id"], "--amount", "500", "--method", "transfer", "--date", "2026-11-18"))
    ok(crm("contract", "pay", made["id"], "--amount", "500"))
    assert row(session, made["id"]).status == "completed"  # the end has passed
    result = ok(crm("contract", "pay", "--reverse", "1", "--reason", "the bank returned it", "--date", "2026-11-19"))
    assert result.err == ("Payment 3 reverses payment 1: -500.00 CNY on HT-2026-0001; still owed 500.00 CNY.\n"
                          "Contract HT-2026-0001 is active again.\n")
    found = row(session, made["id"])
    assert (found.paid, found.status, found.closed_at) == (Decimal("500.00"), "active", None)
    plans = rows(session, ReceivablePlan, contract_id=made["id"])
    assert [(p.paid, p.status) for p in plans] == [(Decimal("0.00"), "open"), (Decimal("500.00"), "partial")]
    payments = rows(session, Payment, contract_id=made["id"])
    assert len(payments) == 3  # nothing deleted
    entry = payments[2]
    assert (entry.amount, entry.reverses_id, entry.reason, entry.paid_on, entry.method, entry.allocation) == (
        Decimal("-500.00"), 1, "the bank returned it", date(2026, 11, 19), "transfer", {"1": "-400.00", "2": "-100.00"})
    with session() as s:
        log = s.execute(select(AuditLog).where(AuditLog.action == "contract.reverse")).scalar_one()
        assert (log.record_id, log.reason) == (made["id"], "the bank returned it")
        assert log.changes == {"paid": ["1000.00", "500.00"], "payment": [None, 3], "reverses": [None, 1],
                               "amount": [None, "-500.00"], "plans": [None, {"1": ["400.00", "0.00"],
                                                                              "2": ["600.00", "500.00"]}]}
    assert actions(session, made["id"])[-2:] == ["contract.reverse", "contract.status"]
    data = ok(crm("contract", "show", made["id"], "--json")).json()
    assert [(p["id"], p["amount"], p["reverses"], p["reversed_by"], p["reason"]) for p in data["payments"]] == [
        (1, "500.00", None, 3, None), (3, "-500.00", 1, None, "the bank returned it"), (2, "500.00", None, None, None)]
    assert (data["paid"], data["owed"], data["status"]) == ("500.00", "500.00", "active")
    text = ok(crm("contract", "show", made["id"], "--format", "plain")).out
    assert "reverses" in text and "the bank returned it" in text
    assert ok(crm("contract", "pay", made["id"], "--reverse", "2", "--reason", "twice", "--format", "ids")).out == "4\n"
    # paid again: the plans fill up again in due order
    ok(crm("contract", "pay", made["id"], "--amount", "1000", "--complete"))
    assert [(p.paid, p.status) for p in rows(session, ReceivablePlan, contract_id=made["id"])] == [
        (Decimal("400.00"), "paid"), (Decimal("600.00"), "paid")]
    assert row(session, made["id"]).status == "completed"


@pytest.mark.parametrize("args, code, err", [
    (("--reverse", "1", "--reason", "again"), 5, "crm: error: payment 1 is already reversed (by payment 3)\n"),
    (("--reverse", "3", "--reason", "undo"), 5,
     "crm: error: payment 3 reverses payment 1: it cannot be reversed itself (hint: record the payment again: "
     "crm contract pay HT-2026-0001 --amount …)\n"),
    (("--reverse", "2"), 6, "crm: error: say why with --reason\n"),
    (("--reverse", "2", "--reason", "  "), 6, "crm: error: say why with --reason\n"),
    (("--reverse", "99", "--reason", "x"), 3, "crm: error: no payment 99\n"),
    (("--reverse", "abc", "--reason", "x"), 3, "crm: error: no payment abc\n"),
    (("--reverse", "99999999999999999999999", "--reason", "x"), 3, "crm: error: no payment 99999999999999999999999\n"),
    (("2", "--reverse", "2", "--reason", "x"), 3, "crm: error: contract HT-2026-0002 has no payment 2\n"),
    (("--reverse", "2", "--reason", "x", "--date", "2026-12-01"), 6,
     "crm: error: a payment cannot be in the future: 2026-12-01\n"),
    (("--reverse", "2", "--reason", "x", "--date", "2026-11-01"), 6,
     "crm: error: a reversal cannot be before the payment it reverses (2026-11-20)\n"),
    (("--reverse", "2", "--reason", "x", "--amount", "5"), 2, "crm: error: --reverse takes only --reason and --date\n"),
    (("1", "--amount", "5", "--reason", "x"), 2, "crm: error: --reason is for --reverse; a payment takes --note\n"),
    (("1",), 2, "crm: error: a payment needs a contract and --amount (hint: crm contract pay HT-2026-0001 "
                "--amount 5000)\n"),
    ((), 2, "crm: error: a payment needs a contract and --amount (hint: crm contract pay HT-2026-0001 "
            "--amount 5000)\n"),
])
def test_bad_reversals(crm, session, acme, args, code, err):
    made = active(crm, amount="1000")
    active(crm, amount="50")
    ok(crm("contract", "pay", made["id"], "--amount", "100"))
    ok(crm("contract", "pay", made["id"], "--amount", "200"))
    ok(crm("contract", "pay", "--reverse", "1", "--reason", "typo"))
    before = snapshot(session)
    assert_refused(crm("contract", "pay", *args), code, err)
    assert snapshot(session) == before


def test_reversing_needs_the_pay_permission_and_sight_of_the_payment(crm, session, acme):
    made = active(crm, amount="1000")
    ok(crm("contract", "pay", made["id"], "--amount", "100"))
    ok(crm("user", "add", "rep", "--role", "sales_rep"))
    ok(crm("user", "add", "viewer", "--role", "customer_service"))
    before = snapshot(session)
    assert_refused(crm("contract", "pay", "--reverse", "1", "--reason", "x", user="rep"), 3,
                   "crm: error: no payment 1\n")  # the contract is outside rep's scope: no such payment
    assert_refused(crm("contract", "pay", made["id"], "--reverse", "1", "--reason", "x", user="rep"), 3,
                   "crm: error: no contract 1\n")
    assert_refused(crm("contract", "pay", "--reverse", "1", "--reason", "x", user="viewer"), 4,
                   "crm: error: viewer may not payment.create", exact=False)
    assert snapshot(session) == before


def test_force_has_a_ceiling_of_the_contract_amount_once_more(crm, session, acme):
    made = active(crm, amount="100")
    ok(crm("contract", "pay", made["id"], "--amount", "30"))
    before = snapshot(session)
    assert_refused(crm("contract", "pay", made["id"], "--amount", "170.01", "--force"), 6,
                   "crm: error: 170.01 CNY is more than --force accepts on contract HT-2026-0001: at most 170.00 CNY, "
                   "what is owed plus the contract amount once more (hint: check the amount; a larger overpayment is "
                   "two payments' worth of mistake)\n")
    assert_refused(crm("contract", "pay", made["id"], "--amount", "1000000000", "--force"), 6,
                   "crm: error: 1,000,000,000.00 CNY is more than --force accepts", exact=False)
    assert snapshot(session) == before
    ok(crm("contract", "pay", made["id"], "--amount", "170", "--force"))
    assert row(session, made["id"]).paid == Decimal("200.00")
    assert_refused(crm("contract", "pay", made["id"], "--amount", "0.01", "--force"), 6,
                   "crm: error: 0.01 CNY is more than --force accepts on contract HT-2026-0001: at most 0.00 CNY",
                   exact=False)
    ok(crm("contract", "pay", "--reverse", "2", "--reason", "overpaid by mistake"))
    assert row(session, made["id"]).paid == Decimal("30.00")


def test_money_is_dated_in_the_users_time_zone(crm, session, acme, monkeypatch):
    """06:30 on the 21st in Shanghai is still the 20th in UTC: a payment, an invoice and a signing
    made then are dated the 21st, and '--date today' is not 'in the future'."""
    ok(crm("user", "add", "songjia", "--role", "super_admin", "--timezone", "Asia/Shanghai"))
    monkeypatch.setenv("CRM_NOW", "2026-11-20T22:30:00+00:00")
    made = active(crm, amount="1000")
    assert row(session, made["id"]).signed_on == date(2026, 11, 20)  # admin's zone is UTC
    ok(crm("contract", "pay", made["id"], "--amount", "100", user="songjia"))
    ok(crm("contract", "pay", made["id"], "--amount", "100", "--date", "today", user="songjia"))
    ok(crm("contract", "invoice", "add", made["id"], "--amount", "100", "--number", "FP-1", user="songjia"))
    assert {p.paid_on for p in rows(session, Payment, contract_id=made["id"])} == {date(2026, 11, 21)}
