"""``crm approval``: flows, submitting, step-by-step decisions, who may decide, the log and the timeline."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from crmcli.store.models import AuditLog
from crmcli.store.models.contracts import Approval, ApprovalDecision
from tests.commands._org import build_org, snapshot
from tests.commands.test_bad_input import assert_refused
from tests.commands.test_contract import contract, customer, ok, row, rows

NOW = "2026-11-20T10:00:00+00:00"


@pytest.fixture(autouse=True)
def fixed_now(monkeypatch):
    monkeypatch.setenv("CRM_NOW", NOW)


@pytest.fixture
def org(crm):
    """mgr (sales manager) manages rep; fin holds the finance role."""
    ids = build_org(crm)
    ok(crm("user", "edit", "rep", "--manager", "mgr"))
    ids["fin"] = ok(crm("user", "add", "fin", "--name", "Fiona", "--role", "finance", "--json")).json()["id"]
    ok(crm("approval", "flow", "set", "contract", "--step", "manager", "--step", "role:finance if amount > 100000"))
    customer(crm, "Acme", "--owner", "rep")
    return ids


def test_flow_set_and_show(crm, session, org):
    result = ok(crm("approval", "flow", "show", "contract", "--format", "tsv"))
    assert result.rows() == [["step", "rule"], ["1", "manager"], ["2", "role:finance if amount > 100000"]]
    ok(crm("approval", "flow", "set", "contract", "--step", "user:mgr", "--step", "ROLE:finance if amount >= 5000 usd"))
    assert ok(crm("approval", "flow", "show", "contract", "--format", "tsv")).rows()[1:] == [
        ["1", "user:mgr"], ["2", "role:finance if amount >= 5000 USD"]]
    entries = rows(session, AuditLog, action="approval.flow")
    assert entries[-1].changes == {"steps": [["manager", "role:finance if amount > 100000"],
                                             ["user:mgr", "role:finance if amount >= 5000 USD"]]}


def test_a_small_contract_needs_only_the_manager(crm, session, org):
    made = contract(crm, "--amount", "50000", user="rep")
    result = ok(crm("contract", "submit", made["id"], user="rep"))
    assert result.err == "Contract HT-2026-0001 is waiting for approval 1.\n"
    assert row(session, made["id"]).status == "pending"
    mine = ok(crm("approval", "list", "--mine", "--json", user="mgr")).json()
    assert [(a["id"], a["record"], a["step"], a["amount"], a["submitted_by"]) for a in mine] == [
        (1, "contract:1", "manager", "50000.00", "rep")]
    assert ok(crm("approval", "list", "--mine", "--json", user="fin")).json() == []
    result = ok(crm("approval", "approve", "1", "--comment", "同意", user="mgr"))
    assert result.err == "Approval 1 (HT-2026-0001 Acme) is approved.\n"
    assert row(session, made["id"]).status == "approved"


def test_a_large_contract_goes_to_finance_after_the_manager(crm, session, org):
    made = contract(crm, "--amount", "200000", user="rep")
    ok(crm("contract", "submit", made["id"], user="rep"))
    before = snapshot(session)
    assert_refused(crm("approval", "approve", "1", user="fin"), 4,
                   "crm: error: fin is not an approver of step 1 (manager) of approval 1 (hint: crm approval list "
                   "--mine shows what waits for you)\n")
    assert_refused(crm("approval", "approve", "1", user="rep"), 4,
                   "crm: error: rep is not an approver of step 1 (manager) of approval 1", exact=False)
    assert snapshot(session) == before
    result = ok(crm("approval", "approve", "1", user="mgr"))
    assert result.err == "Approval 1 (HT-2026-0001 Acme): step done; now waiting for role:finance if amount > 100000.\n"
    assert row(session, made["id"]).status == "pending"
    assert_refused(crm("approval", "approve", "1", user="mgr"), 4,
                   "crm: error: mgr is not an approver of step 2 (role:finance if amount > 100000) of approval 1",
                   exact=False)
    ok(crm("approval", "approve", "1", "--comment", "ok", user="fin"))
    assert row(session, made["id"]).status == "approved"
    with session() as s:
        decisions = [(d.step, d.decision, d.actor_id, d.comment) for d in s.execute(select(ApprovalDecision)).scalars()]
    assert decisions == [(0, "approve", org["mgr"], None), (1, "approve", org["fin"], "ok")]
    logged = [(e.action, e.actor_login, e.reason) for e in rows(session, AuditLog, record_type="contract")]
    assert logged[-3:] == [("contract.approve", "mgr", None), ("contract.approve", "fin", "ok"),
                           ("contract.status", "fin", None)]
    text = ok(crm("contract", "show", made["id"], "--format", "plain")).out
    assert "contract.approve" in text.split("\nTimeline\n")[1]
    assert_refused(crm("approval", "approve", "1", user="fin"), 5, "crm: error: approval 1 is already approved\n")


def test_reject_then_edit_and_resubmit(crm, session, org):
    made = contract(crm, "--amount", "50000", user="rep")
    ok(crm("contract", "submit", made["id"], user="rep"))
    assert_refused(crm("approval", "reject", "1", user="mgr"), 6, "crm: error: say why with --comment\n")
    result = ok(crm("approval", "reject", "1", "--comment", "折扣太大", user="mgr"))
    assert result.err == "Approval 1 (HT-2026-0001 Acme) is rejected.\n"
    assert row(session, made["id"]).status == "rejected"
    ok(crm("contract", "edit", made["id"], "--amount", "60000", user="rep"))
    ok(crm("contract", "submit", made["id"], user="rep"))
    assert [(a.id, a.status) for a in rows(session, Approval)] == [(1, "rejected"), (2, "pending")]
    assert_refused(crm("contract", "submit", made["id"], user="rep"), 5,
                   "crm: error: contract HT-2026-0001 is already waiting for approval\n")
    assert_refused(crm("contract", "edit", made["id"], "--title", "x", user="rep"), 6,
                   "crm: error: contract HT-2026-0001 is pending approval: only a draft or rejected contract may be "
                   "edited\n")


def test_without_a_manager_a_super_administrator_approves(crm, session, org):
    customer(crm, "Mine")
    made = contract(crm, "--amount", "10", customer_ref="Mine")  # admin has no manager
    ok(crm("contract", "submit", made["id"]))
    assert [a["step"] for a in ok(crm("approval", "list", "--mine", "--json")).json()] == ["manager"]
    ok(crm("approval", "approve", "1"))
    assert row(session, made["id"]).status == "approved"


def test_approval_list_filters(crm, org):
    for amount in ("10", "20"):
        made = contract(crm, "--amount", amount, user="rep")
        ok(crm("contract", "submit", made["id"], user="rep"))
    ok(crm("approval", "reject", "1", "--comment", "no", user="mgr"))
    assert [a["id"] for a in ok(crm("approval", "list", "--status", "pending", "--json", user="rep")).json()] == [2]
    assert [a["id"] for a in ok(crm("approval", "list", "--json", user="rep")).json()] == [2, 1]
    assert [a["id"] for a in ok(crm("approval", "list", "--mine", "--json", user="mgr")).json()] == [2]


@pytest.mark.parametrize("args, code, err", [
    (("flow", "set", "contract", "--step", "nobody knows"), 6,
     "crm: error: 'nobody knows' is not an approval step (hint: manager, role:KEY or user:LOGIN, optionally "
     "followed by 'if amount > N')\n"),
    (("flow", "set", "contract", "--step", "role:ghost"), 3, "crm: error: no role 'ghost' (hint: crm role list shows them)\n"),
    (("flow", "set", "contract", "--step", "user:ghost"), 3, "crm: error: no user named 'ghost'\n"),
    (("flow", "set", "invoice", "--step", "manager"), 6,
     "crm: error: unknown record type 'invoice' (hint: one of: contract, quote)\n"),
    (("flow", "set", "contract", "--step", "manager if amount > 10 XYZ"), 6,
     "crm: error: unknown currency 'XYZ' (hint: crm currency list shows the supported codes)\n"),
    (("approve", "99"), 3, "crm: error: no approval 99\n"),
    (("list", "--status", "maybe"), 6,
     "crm: error: unknown status 'maybe' (hint: one of: pending, approved, rejected, cancelled)\n"),
])
def test_bad_approval_input(crm, session, org, args, code, err):
    before = snapshot(session)
    assert_refused(crm("approval", *args), code, err)
    assert snapshot(session) == before


def test_only_an_administrator_sets_flows(crm, session, org):
    before = snapshot(session)
    assert_refused(crm("approval", "flow", "set", "contract", "--step", "manager", user="mgr"), 4,
                   "crm: error: mgr may not approval.admin", exact=False)
    assert snapshot(session) == before


def test_the_quote_service_can_use_the_same_mechanism(crm, session, org, db_url):
    """approvals.submit / register_target, as the quote service calls them."""
    from decimal import Decimal

    from sqlalchemy import create_engine
    from sqlalchemy.orm import Session

    from crmcli.services import approvals
    from crmcli.services.access import load_actor

    ok(crm("approval", "flow", "set", "quote", "--step", "manager"))
    heard = []
    kept = approvals.TARGETS.get("quote")
    approvals.register_target("quote", lambda s, actor, record_id, outcome: heard.append((record_id, outcome)))
    engine = create_engine(db_url)
    try:
        with Session(engine) as s:
            rep = load_actor(s, "rep")
            approval = approvals.submit(s, rep, "quote", 42, amount=Decimal("9000.00"), currency="CNY", label="Q-42",
                                        owner_id=rep.id)
            assert (approval.status, approval.steps[0]["rule"]) == ("pending", "manager")
            approval_id = approval.id
            s.commit()
        with Session(engine) as s:
            approvals.decide(s, load_actor(s, "mgr"), approval_id, "approve", "ok")
            s.commit()
    finally:
        engine.dispose()
        approvals.TARGETS.pop("quote", None)
        if kept is not None:
            approvals.TARGETS["quote"] = kept
    assert heard == [(42, "approved")]
