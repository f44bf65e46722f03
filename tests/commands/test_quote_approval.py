"""Quotes over a role's discount limit go through the approval flows (as contracts do): submit, the
current step's approvers decide with ``crm approval approve|reject`` (or ``crm quote approve``), and
only an approved quote can be sent; the default flow, a configured one, rejection, refusals, the log."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from crmcli.store.models import AuditLog
from crmcli.store.models.contracts import Approval, ApprovalDecision
from crmcli.store.models.pipeline import Quote
from tests.commands._customer_org import NOW, customer_id, ok, org  # noqa: F401
from tests.commands._org import snapshot
from tests.commands.test_bad_input import assert_refused


@pytest.fixture(autouse=True)
def fixed_now(monkeypatch):
    monkeypatch.setenv("CRM_NOW", NOW)


@pytest.fixture
def discounted(crm, org):  # noqa: F811
    """rep (manager: mgr) quotes 15% where sales_rep may give 10%: quote 1 needs approval; no flow is set."""
    ok(crm("user", "edit", "rep", "--manager", "mgr"))
    customer_id(crm, "RepCo", user="rep")
    ok(crm("opp", "add", "RepCo", "Deal", user="rep"))
    ok(crm("product", "add", "SW", "CRM", "--price", "100"))
    ok(crm("product", "rule", "add", "role", "--role", "sales_rep", "--discount", "10"))
    ok(crm("quote", "add", "1", user="rep"))
    ok(crm("quote", "line", "add", "1", "SW", "--discount", "5", user="rep"))
    ok(crm("quote", "line", "add", "1", "SW", "--discount", "15", user="rep"))
    return org


def quote(session, qid: int = 1) -> Quote:
    with session() as s:
        row = s.get(Quote, qid)
        s.expunge_all()
        return row


def approvals(session) -> list[tuple]:
    with session() as s:
        return [(a.id, a.record_type, a.record_id, a.label, str(a.amount), a.status)
                for a in s.execute(select(Approval).order_by(Approval.id)).scalars()]


def logged(session) -> list[tuple]:
    with session() as s:
        return [(e.action, e.actor_login) for e in s.execute(
            select(AuditLog).where(AuditLog.record_type == "quote").order_by(AuditLog.id)).scalars()]


def test_the_default_flow_is_the_owners_manager(crm, session, discounted):
    assert ok(crm("approval", "flow", "show", "quote", "--format", "tsv")).rows() == [["step", "rule"],
                                                                                      ["1", "manager"]]
    result = ok(crm("quote", "submit", "1", user="rep"))
    assert result.err == "Quote Q00001 is waiting for approval 1 (manager).\n"
    assert approvals(session) == [(1, "quote", 1, "Q00001", "180.00", "pending")]
    mine = ok(crm("approval", "list", "--mine", "--json", user="mgr")).json()
    assert [(a["id"], a["record"], a["label"], a["step"]) for a in mine] == [(1, "quote:1", "Q00001", "manager")]
    before = snapshot(session)
    assert_refused(crm("quote", "send", "1", user="rep"), 6,
                   "crm: error: quote Q00001 is waiting for approval 1 (manager) "
                   "(hint: its approvers: crm approval approve 1)\n")
    assert snapshot(session) == before
    result = ok(crm("approval", "approve", "1", "--comment", "同意", user="mgr"))
    assert result.err == "Approval 1 (Q00001) is approved.\n"
    assert quote(session).needs_approval is False
    assert approvals(session)[0][-1] == "approved"
    assert ok(crm("quote", "send", "1", user="rep")).err == "Quote Q00001 is sent.\n"
    assert quote(session).status == "sent"
    with session() as s:
        assert [(d.step, d.decision, d.actor_id, d.comment) for d in s.execute(select(ApprovalDecision)).scalars()] \
            == [(0, "approve", discounted["mgr"], "同意")]
    assert logged(session)[-4:] == [("quote.approval.submit", "rep"), ("quote.approval.approve", "mgr"),
                                    ("quote.approved", "mgr"), ("quote.send", "rep")]
    data = ok(crm("quote", "show", "1", "--json", user="rep")).json()
    assert (data["needs_approval"], data["approval"]) == (False, {"id": 1, "status": "approved", "waiting_for": None})
    text = ok(crm("quote", "show", "1", "--format", "plain", user="rep")).out
    timeline = text.split("\nTimeline\n")[1]
    assert "quote.approval.submit" in timeline and "quote.approval.approve" in timeline


def test_a_wrong_approver_is_refused_and_nothing_is_written(crm, session, discounted):
    ok(crm("quote", "submit", "1", user="rep"))
    before = snapshot(session)
    # rep2 may not see rep's quotes: the approval reads as not found (outside scope is not found)
    assert_refused(crm("approval", "approve", "1", user="rep2"), 3, "crm: error: no approval 1\n")
    assert_refused(crm("approval", "approve", "1", user="rep"), 4,
                   "crm: error: rep is not an approver of step 1 (manager) of approval 1", exact=False)
    assert_refused(crm("quote", "approve", "1"), 4,  # admin: not the manager step's approver
                   "crm: error: admin is not an approver of step 1 (manager) of approval 1", exact=False)
    assert_refused(crm("approval", "reject", "1", "--comment", "no", user="fin"), 3,  # finance: no quote.view
                   "crm: error: no approval 1\n")
    assert snapshot(session) == before
    assert quote(session).needs_approval is True
    assert approvals(session)[0][-1] == "pending"


def test_rejection_keeps_it_a_draft_until_approved(crm, session, discounted):
    ok(crm("quote", "submit", "1", user="rep"))
    assert_refused(crm("approval", "reject", "1", user="mgr"), 6, "crm: error: say why with --comment\n")
    result = ok(crm("approval", "reject", "1", "--comment", "折扣太大", user="mgr"))
    assert result.err == "Approval 1 (Q00001) is rejected.\n"
    q = quote(session)
    assert (q.status, q.needs_approval) == ("draft", True)
    data = ok(crm("quote", "show", "1", "--json", user="rep")).json()
    assert data["approval"] == {"id": 1, "status": "rejected", "waiting_for": None}
    before = snapshot(session)
    assert_refused(crm("quote", "send", "1", user="rep"), 6,
                   "crm: error: approval 1 of quote Q00001 was rejected "
                   "(hint: lower the discount, or submit it again: crm quote submit 1)\n")
    assert snapshot(session) == before
    assert ("quote.approval.reject", "mgr") in logged(session)
    # submitted again, approved with the alias
    assert ok(crm("quote", "submit", "1", user="rep")).err == "Quote Q00001 is waiting for approval 2 (manager).\n"
    assert ok(crm("quote", "approve", "Q00001", user="mgr")).err == "Approval 2 (Q00001) is approved.\n"
    ok(crm("quote", "send", "1", user="rep"))
    assert [a[-1] for a in approvals(session)] == ["rejected", "approved"]


def test_a_configured_flow(crm, session, discounted):
    ok(crm("approval", "flow", "set", "quote", "--step", "manager", "--step", "role:finance if amount > 150"))
    ok(crm("quote", "submit", "1", user="rep"))
    result = ok(crm("quote", "approve", "1", user="mgr"))
    assert result.err == "Approval 1 (Q00001): step done; now waiting for role:finance if amount > 150.\n"
    assert quote(session).needs_approval is True
    before = snapshot(session)
    assert_refused(crm("approval", "approve", "1", user="mgr"), 4,
                   "crm: error: mgr is not an approver of step 2 (role:finance if amount > 150) of approval 1",
                   exact=False)
    assert_refused(crm("quote", "send", "1", user="rep"), 6,
                   "crm: error: quote Q00001 is waiting for approval 1 (role:finance if amount > 150) "
                   "(hint: its approvers: crm approval approve 1)\n")
    assert snapshot(session) == before
    ok(crm("approval", "approve", "1", user="fin"))
    assert quote(session).needs_approval is False


def test_an_empty_flow_approves_at_once(crm, session, discounted):
    ok(crm("approval", "flow", "set", "quote"))
    assert ok(crm("quote", "submit", "1", user="rep")).err == "Quote Q00001 is approved: no approval step applies.\n"
    assert quote(session).needs_approval is False
    assert approvals(session)[0][-1] == "approved"
    ok(crm("quote", "send", "1", user="rep"))


def test_changing_a_line_cancels_the_pending_approval(crm, session, discounted):
    ok(crm("quote", "submit", "1", user="rep"))
    ok(crm("quote", "line", "remove", "1", "2", user="rep"))  # the 15% line: no approval needed any more
    assert approvals(session)[0][-1] == "cancelled"
    assert quote(session).needs_approval is False
    assert_refused(crm("approval", "approve", "1", user="mgr"), 5, "crm: error: approval 1 is already cancelled\n")
    ok(crm("quote", "send", "1", user="rep"))


@pytest.mark.parametrize("setup, args, code, err", [
    ((), ("quote", "approve", "1"), 6,
     "crm: error: quote Q00001 has not been submitted for approval (hint: crm quote submit 1)\n"),
    ((("quote", "submit", "1"),), ("quote", "submit", "1"), 5,
     "crm: error: quote Q00001 is already waiting for approval (hint: crm approval list --type quote)\n"),
    ((("quote", "line", "remove", "1", "2"),), ("quote", "submit", "1"), 5,
     "crm: error: quote Q00001 does not need approval (hint: crm quote send 1)\n"),
    ((("quote", "line", "remove", "1", "2"),), ("quote", "approve", "1"), 5,
     "crm: error: quote Q00001 does not need approval\n"),
    ((("quote", "line", "remove", "1", "2"), ("quote", "send", "1")), ("quote", "submit", "1"), 5,
     "crm: error: quote Q00001 is already sent\n"),
    ((), ("quote", "submit", "9"), 3, "crm: error: no quote 9\n"),
])
def test_bad_input(crm, session, discounted, setup, args, code, err):
    for step in setup:
        ok(crm(*step, user="rep"))
    before = snapshot(session)
    assert_refused(crm(*args, user="rep"), code, err)
    assert snapshot(session) == before
