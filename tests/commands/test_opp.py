"""``crm opp``: add, list (filters), show (stage history), edit, follow, transfer, advance/win/lose/reopen,
the customer's deal status and 360 view, lead conversion into an opportunity, data scope and bad input."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import select

from crmcli.store.models import AuditLog, Customer, FollowUp, Lead
from crmcli.store.models.pipeline import Opportunity, OpportunityContact, OpportunityProduct, StageChange
from tests.commands._customer_org import NOW, at, contact_id, customer_id, ok, org  # noqa: F401
from tests.commands.test_bad_input import assert_refused, unchanged  # noqa: F401


@pytest.fixture(autouse=True)
def fixed_now(monkeypatch):
    monkeypatch.setenv("CRM_NOW", NOW)


def opp_id(crm, customer, name, *args, user="admin") -> int:
    return ok(crm("opp", "add", customer, name, *args, "--json", user=user)).json()["id"]


def opp(session, oid: int) -> Opportunity:
    with session() as s:
        row = s.get(Opportunity, oid)
        s.expunge_all()
        return row


def history(session, oid: int) -> list[tuple]:
    with session() as s:
        return [(c.from_stage_id, c.to_stage_id, c.move, c.reason, c.actor_id) for c in s.execute(
            select(StageChange).where(StageChange.opportunity_id == oid).order_by(StageChange.id)).scalars()]


def ids(crm, *args, user="admin") -> list[int]:
    return [int(x) for x in ok(crm("opp", "list", *args, "--format", "ids", user=user)).out.split()]


def actions(session, record_type="opportunity") -> list[str]:
    with session() as s:
        return list(s.execute(select(AuditLog.action).where(AuditLog.record_type == record_type)
                              .order_by(AuditLog.id)).scalars())


# --- add ------------------------------------------------------------------------------------------


def test_add_with_every_field(crm, session):
    cid = customer_id(crm, "华为技术有限公司")
    contact = contact_id(crm, "张伟", cid)
    ok(crm("product", "add", "SW-001", "CRM", "--price", "9800"))
    result = crm("opp", "add", "华为技术有限公司", "核心交换机扩容", "--amount", "1,200,000.50", "--currency", "usd",
                 "--close", "2026-12-31", "--contact", "张伟", "--product", "SW-001:10", "--source", "referral",
                 "--next", "2026-11-25 10:00", "--json")
    assert result.code == 0, result
    data = result.json()
    assert {k: data[k] for k in ("id", "name", "customer_id", "customer", "stage", "probability", "status", "amount",
                                 "currency", "expected_close", "source", "owner", "contacts", "products")} == {
        "id": 1, "name": "核心交换机扩容", "customer_id": cid, "customer": "华为技术有限公司", "stage": "new",
        "probability": 10, "status": "open", "amount": "1200000.50", "currency": "USD", "expected_close": "2026-12-31",
        "source": "referral", "owner": "admin", "contacts": [{"id": contact, "name": "张伟"}],
        "products": [{"code": "SW-001", "name": "CRM", "quantity": "10.000"}]}
    row = opp(session, 1)
    assert (row.amount, row.stage_id, row.owner_id, row.created_at, row.next_contact_at) == (
        Decimal("1200000.50"), 1, 1, at(NOW), at("2026-11-25T10:00:00+00:00"))
    with session() as s:
        assert s.execute(select(OpportunityContact.contact_id)).scalars().all() == [contact]
        assert s.execute(select(OpportunityProduct.quantity)).scalars().all() == [Decimal("10.000")]
        [entry] = s.execute(select(AuditLog).where(AuditLog.action == "opportunity.add")).scalars()
        assert entry.changes["amount"] == [None, "1200000.50"]
        assert entry.changes["stage"] == [None, "new"]
    assert history(session, 1) == [(None, 1, "create", None, 1)]


def test_add_in_a_given_stage_and_for_another_owner(crm, org, session):
    cid = customer_id(crm, "Acme", "--owner", "rep")
    oid = opp_id(crm, cid, "Deal", "--stage", "proposal", "--owner", "rep")
    row = opp(session, oid)
    assert (row.stage_id, row.owner_id, row.amount, row.currency) == (3, org["rep"], Decimal("0.00"), "CNY")


def test_money_is_exact(crm, session):
    cid = customer_id(crm, "Acme")
    oid = opp_id(crm, cid, "Big", "--amount", "999999999999.99")  # the largest amount (limits.MAX_AMOUNT) less a cent
    assert opp(session, oid).amount == Decimal("999999999999.99")
    assert ok(crm("opp", "show", oid, "--json")).json()["amount"] == "999999999999.99"


# --- stages ---------------------------------------------------------------------------------------


def test_advance_records_every_move(crm, session):
    cid = customer_id(crm, "Acme")
    oid = opp_id(crm, cid, "Deal")
    result = crm("opp", "advance", oid)
    assert result.code == 0, result
    assert result.err == f"Opportunity {oid}: advanced, new → needs confirmed.\n"
    ok(crm("opp", "advance", oid, "--stage", "negotiation", "--reason", "fast track"))
    ok(crm("opp", "advance", oid, "--stage", "需求确认"))  # stage names in either language… typed as shown
    assert history(session, oid) == [(None, 1, "create", None, 1), (1, 2, "advance", None, 1),
                                     (2, 4, "skip", "fast track", 1), (4, 2, "back", None, 1)]
    assert opp(session, oid).stage_changed_at == at(NOW)
    assert actions(session) == ["opportunity.add", "opportunity.advance", "opportunity.advance", "opportunity.advance"]


def test_win_marks_the_customer_as_having_a_deal_and_reopen_clears_it(crm, session):
    cid = customer_id(crm, "Acme")
    oid = opp_id(crm, cid, "Deal", "--stage", "negotiation")
    result = crm("opp", "win", oid, "--json")
    assert result.code == 0, result
    assert result.json() == {"id": oid, "move": "win", "from": "negotiation/contract", "to": "won"}
    row = opp(session, oid)
    assert (row.status, row.stage_id, row.closed_at) == ("won", 5, at(NOW))
    with session() as s:
        customer = s.get(Customer, cid)
        assert (customer.deal_status, customer.last_deal_at) == ("won", at(NOW))
    shown = ok(crm("customer", "show", cid, "--json")).json()
    assert shown["deal_status"] == "won"
    assert shown["opportunities"] == [{"id": oid, "name": "Deal", "stage": "won", "status": "won",
                                       "amount": "0.00", "currency": "CNY", "expected_close": None, "owner": "admin"}]
    ok(crm("opp", "reopen", oid))
    row = opp(session, oid)
    assert (row.status, row.stage_id, row.closed_at) == ("open", 4, None)  # back where it was closed from
    with session() as s:
        assert s.get(Customer, cid).deal_status == "none"
    assert [h[2] for h in history(session, oid)] == ["create", "win", "reopen"]
    assert "customer.deal" in actions(session, "customer")



def test_lose_and_reopen_into_a_stage(crm, session):
    cid = customer_id(crm, "Acme")
    oid = opp_id(crm, cid, "Deal")
    ok(crm("opp", "lose", oid, "--reason", "预算取消"))
    row = opp(session, oid)
    assert (row.status, row.stage_id, row.lost_reason) == ("lost", 6, "预算取消")
    ok(crm("opp", "reopen", oid, "--stage", "proposal"))
    row = opp(session, oid)
    assert (row.status, row.stage_id, row.lost_reason) == ("open", 3, None)


def test_customer_show_lists_its_opportunities(crm):
    cid = customer_id(crm, "Acme")
    opp_id(crm, cid, "Deal", "--amount", "5000")
    out = ok(crm("customer", "show", cid, "--format", "plain")).out
    assert "\nOpportunities\n" in out
    assert "Deal" in out and "5000.00" in out


# --- show, edit, follow, transfer -----------------------------------------------------------------


def test_show_has_the_stage_history_and_the_timeline(crm):
    cid = customer_id(crm, "Acme")
    oid = opp_id(crm, cid, "Deal", "--amount", "1234.5")
    ok(crm("opp", "advance", oid))
    ok(crm("opp", "follow", oid, "--via", "phone", "--note", "called"))
    out = ok(crm("opp", "show", oid, "--format", "plain")).out
    assert "amount          1,234.50 CNY" in out
    assert "\nStage history\n" in out and "advanced" in out and "needs confirmed" in out
    assert "\nTimeline\n" in out and "[phone] called" in out
    data = ok(crm("opp", "show", oid, "--json")).json()
    assert [(h["move"], h["from"], h["to"], h["who"]) for h in data["history"]] == [
        ("create", None, "new", "admin"), ("advance", "new", "needs confirmed", "admin")]


def test_edit_changes_fields_contacts_products_and_tags(crm, session):
    cid = customer_id(crm, "Acme")
    c1 = contact_id(crm, "Li", cid)
    ok(crm("product", "add", "P1", "One", "--price", "10"))
    oid = opp_id(crm, cid, "Deal", "--contact", "Li")
    ok(crm("opp", "edit", oid, "--name", "Deal 2", "--amount", "300", "--close", "2027-01-15", "--remove-contact", "Li",
           "--add-product", "P1:2", "--add-tag", "vip"))
    row = opp(session, oid)
    assert (row.name, row.amount, row.expected_close) == ("Deal 2", Decimal("300.00"), date(2027, 1, 15))
    with session() as s:
        assert s.execute(select(OpportunityContact)).all() == []
        [entry] = s.execute(select(AuditLog).where(AuditLog.action == "opportunity.edit")).scalars()
    assert entry.changes["contacts"] == [[c1], []]
    assert entry.changes["tags"] == [[], ["vip"]]
    assert entry.changes["amount"] == ["0.00", "300.00"]


def test_follow_up_moves_the_clock(crm, session):
    cid = customer_id(crm, "Acme")
    oid = opp_id(crm, cid, "Deal")
    result = crm("opp", "follow", oid, "--via", "visit", "--note", "demo", "--next", "2026-11-27 09:00")
    assert result.code == 0, result
    row = opp(session, oid)
    assert (row.last_followup_at, row.next_contact_at) == (at(NOW), at("2026-11-27T09:00:00+00:00"))
    with session() as s:
        [f] = s.execute(select(FollowUp)).scalars()
        assert (f.record_type, f.record_id, f.via) == ("opportunity", oid, "visit")


def test_transfer(crm, org, session):
    cid = customer_id(crm, "Acme")
    a, b = opp_id(crm, cid, "A"), opp_id(crm, cid, "B")
    result = crm("opp", "transfer", a, b, "--to", "rep")
    assert result.code == 0 and result.err == "2 opportunities now belong to rep.\n"
    assert opp(session, a).owner_id == org["rep"] == opp(session, b).owner_id
    assert ids(crm, user="rep") == [b, a]


def test_customer_transfer_with_opportunities(crm, org, session):
    cid = customer_id(crm, "Acme")
    oid = opp_id(crm, cid, "A")
    ok(crm("customer", "transfer", cid, "--to", "rep", "--with-opportunities"))
    assert opp(session, oid).owner_id == org["rep"]


# --- list -----------------------------------------------------------------------------------------


def test_list_filters(crm):
    cid = customer_id(crm, "Acme")
    other = customer_id(crm, "Globex")
    small = opp_id(crm, cid, "Small", "--amount", "500", "--close", "2026-11-25")
    big = opp_id(crm, cid, "Big", "--amount", "150000", "--close", "2026-12-10", "--stage", "proposal")
    late = opp_id(crm, other, "Late", "--amount", "90000", "--close", "2026-11-10")
    assert ids(crm) == [late, big, small]
    assert ids(crm, "--stage", "proposal") == [big]
    assert ids(crm, "--stage", "new", "--stage", "proposal") == [late, big, small]
    assert ids(crm, "--closing", "this-month") == [late, small]
    assert ids(crm, "--closing", "next-month") == [big]
    assert ids(crm, "--closing", "overdue") == [late]
    assert ids(crm, "--closing", "2026-12") == [big]
    assert ids(crm, "--min-amount", "90000") == [late, big]
    assert ids(crm, "--customer", "Globex") == [late]
    assert ids(crm, "--search", "glob") == [late]
    assert ids(crm, "--sort", "-amount") == [big, late, small]
    assert ids(crm, "--where", "amount>1000", "--sort", "amount") == [late, big]
    assert ids(crm, "--where", "amount>500.004") == [late, big]  # compared exactly, not rounded
    ok(crm("opp", "win", big))
    assert ids(crm, "--status", "open") == [late, small]
    # keyset paging by amount
    first = crm("opp", "list", "--sort", "amount", "--limit", "1", "--format", "ids")
    cursor = first.err.split("--after ")[1].strip()
    assert ids(crm, "--sort", "amount", "--limit", "5", "--after", cursor) == [late, big]


def test_list_shows_stage_and_amount(crm):
    cid = customer_id(crm, "Acme")
    opp_id(crm, cid, "Deal", "--amount", "5000", "--close", "2026-12-01")
    rows = ok(crm("opp", "list", "--format", "tsv")).rows()
    assert rows[0] == ["id", "name", "customer", "stage", "status", "amount", "currency", "expected_close", "owner",
                       "created_at"]
    assert rows[1][:9] == ["1", "Deal", "Acme", "new", "open", "5000.00", "CNY", "2026-12-01", "admin"]


# --- data scope -----------------------------------------------------------------------------------


def test_scope_follows_the_owner_and_the_customer_team(crm, org):
    mine = customer_id(crm, "Mine", user="rep")
    theirs = customer_id(crm, "Theirs", user="rep2")
    a = opp_id(crm, mine, "A", user="rep")
    b = opp_id(crm, theirs, "B", user="rep2")
    assert ids(crm, user="rep") == [a]
    assert set(ids(crm, user="mgr")) == {a, b}
    assert_refused(crm("opp", "show", b, user="rep"), 3, f"crm: error: no opportunity {b}\n")
    ok(crm("customer", "team", "add", theirs, "rep", "--access", "read", user="rep2"))
    assert ids(crm, user="rep") == [b, a]
    assert_refused(crm("opp", "advance", b, user="rep"), 4, "crm: error: rep may see but not change opportunity B",
                   exact=False)



# --- lead conversion ------------------------------------------------------------------------------


def test_lead_convert_creates_the_opportunity(crm, session):
    ok(crm("lead", "add", "张三", "--company", "腾讯", "--source", "event"))
    result = crm("lead", "convert", "1", "--opportunity", "首批采购", "--amount", "80000", "--close", "2026-12-31",
                 "--format", "tsv")
    assert result.code == 0, result
    assert result.rows()[0][-1] == "opportunity_id" and result.rows()[1][-1] == "1"
    row = opp(session, 1)
    with session() as s:
        lead = s.get(Lead, 1)
        contacts = s.execute(select(OpportunityContact.contact_id)).scalars().all()
    assert (row.name, row.amount, row.customer_id, row.source, row.expected_close) == (
        "首批采购", Decimal("80000.00"), lead.customer_id, "event", date(2026, 12, 31))
    assert lead.opportunity_id == 1 and contacts == [lead.contact_id]
    assert actions(session)[0] == "opportunity.convert"



def test_a_move_from_what_was_seen_is_refused_when_the_opportunity_moved_meanwhile(crm, session):
    """opportunities.as_seen: the rule behind crm tui's refusal to move a card a colleague moved."""
    from crmcli.errors import Conflict
    from crmcli.services import opportunities
    from crmcli.services.access import actor_for
    from crmcli.store.models import User

    ok_add = crm("customer", "add", "Seen Co")
    assert ok_add.code == 0, ok_add
    assert crm("opp", "add", "Seen Co", "Deal", "--amount", "100").code == 0
    with session() as s:
        opp = s.execute(select(Opportunity)).scalars().one()
        seen = (opp.status, opp.stage_id, opp.stage_changed_at)
    assert crm("opp", "advance", str(opp.id)).code == 0
    with session() as s:
        me = actor_for(s, s.execute(select(User).where(User.login == "admin")).scalar_one())
        with pytest.raises(Conflict) as refused:
            opportunities.as_seen(s, me, opp.id, *seen)
        assert str(refused.value) == f"opportunity {opp.id} changed meanwhile: it is now in stage needs confirmed"
        fresh = s.get(Opportunity, opp.id)
        assert opportunities.as_seen(s, me, opp.id, fresh.status, fresh.stage_id, fresh.stage_changed_at) is fresh
