"""``crm lead convert``: a customer (new, linked by dedupe, or named with --customer) and a contact per lead;
the lead becomes converted with links to both.  Exit codes: a converted lead 5 (already done), an invalid
lead 6 (its lifecycle is over), a duplicate or ambiguous match 5, missing permission 4, out of scope 3."""

from __future__ import annotations

import pytest

from tests.commands._customer_org import (NOW, at, contact, contact_id, customer, customer_id, lead, listed, log, ok,
                                          org, tags)  # noqa: F401 (org: fixture)
from tests.commands._org import snapshot
from tests.commands.test_bad_input import assert_refused


@pytest.fixture(autouse=True)
def fixed_now(monkeypatch):
    monkeypatch.setenv("CRM_NOW", NOW)


def lead_id(crm, name: str, *args, user: str = "admin") -> int:
    return ok(crm("lead", "add", name, *args, "--json", user=user)).json()["id"]


def test_convert_creates_a_customer_and_a_contact(crm, session, org):
    lid = lead_id(crm, "张伟", "--company", "华为技术有限公司", "--title", "CTO", "--phone", "0755-28780808",
                  "--mobile", "13800138000", "--email", "zw@huawei.com", "--industry", "Telecom", "--source", "event",
                  "--region", "Guangdong", "--tag", "expo", "--next", "2026-11-25 10:00", user="rep")
    result = ok(crm("lead", "convert", lid, "--format", "tsv", user="rep"))
    assert result.rows() == [["id", "customer_id", "customer", "customer_action", "contact_id", "contact",
                              "contact_action"],
                             [str(lid), "1", "华为技术有限公司", "created", "1", "张伟", "created"]]
    assert result.err == "1 leads converted.\n"
    cust = customer(session, 1)
    assert (cust.name, cust.kind, cust.industry, cust.source, cust.region, cust.phone, cust.email, cust.owner_id) == (
        "华为技术有限公司", "company", "Telecom", "event", "Guangdong", "0755-28780808", None, org["rep"])
    assert tags(session, "customer", 1) == ["expo"]
    person = contact(session, 1)
    assert (person.name, person.title, person.mobile, person.email, person.customer_id, person.owner_id,
            person.is_primary) == ("张伟", "CTO", "13800138000", "zw@huawei.com", 1, org["rep"], True)
    row = lead(session, lid)
    assert (row.status, row.converted_at, row.customer_id, row.contact_id, row.next_contact_at) == (
        "converted", at(NOW), 1, 1, None)
    [entry] = log(session, "lead.convert")
    assert entry.changes == {"status": ["new", "converted"], "customer_id": [None, 1], "contact_id": [None, 1],
                             "next_contact_at": ["2026-11-25T10:00:00+00:00", None]}
    assert ok(crm("lead", "show", lid, "--json", user="rep")).json()["customer_id"] == 1


def test_a_lead_without_a_company_becomes_a_person(crm, session, org):
    lid = lead_id(crm, "Wang Fang", "--mobile", "13900139000", "--email", "wf@example.com", user="rep")
    ok(crm("lead", "convert", lid, user="rep"))
    cust = customer(session, lead(session, lid).customer_id)
    assert (cust.name, cust.kind, cust.phone, cust.email) == ("Wang Fang", "person", "13900139000", "wf@example.com")


@pytest.mark.parametrize("lead_args, reason", [
    (("--company", "ACME 有限公司"), "name"),
    (("--company", "Other", "--phone", "+86 10 8888 6666"), "phone"),
    (("--email", "INFO@acme.com"), "email"),
    (("--company", "Other", "--mobile", "13800138000"), "phone"),   # through a contact of the customer
    (("--email", "li.na@acme.com"), "email"),                       # through a contact of the customer
])
def test_convert_links_an_existing_customer_and_says_why(crm, session, org, lead_args, reason):
    acme = customer_id(crm, "Acme Co., Ltd.", "--phone", "010-88886666", "--email", "info@acme.com", user="rep")
    existing = contact_id(crm, "Li Na", acme, "--mobile", "13800138000", "--email", "li.na@acme.com", user="rep")
    lid = lead_id(crm, "Li Na" if "li.na" in str(lead_args) or "13800138000" in lead_args else "Zhao", *lead_args,
                  user="rep")
    result = ok(crm("lead", "convert", lid, "--format", "tsv", user="rep"))
    assert f"Lead {lid}: linked to existing customer {acme} (Acme Co., Ltd.), same {reason}.\n" in result.err
    row = lead(session, lid)
    assert row.customer_id == acme
    assert result.rows()[1][3] == "linked"
    if "li.na" in str(lead_args) or "13800138000" in lead_args:
        assert row.contact_id == existing and result.rows()[1][6] == "linked"
    else:
        assert row.contact_id != existing and contact(session, row.contact_id).customer_id == acme
    assert listed(crm, "customer", user="rep") == [acme]


def test_convert_into_a_named_customer(crm, session, org):
    acme = customer_id(crm, "Acme", user="rep")
    lid = lead_id(crm, "Zhao", "--company", "Totally Different", user="rep")
    result = ok(crm("lead", "convert", lid, "--customer", "Acme", "--format", "tsv", user="rep"))
    assert result.rows()[1][:4] == [str(lid), str(acme), "Acme", "given"]
    assert contact(session, lead(session, lid).contact_id).customer_id == acme


def test_a_batch_converts_leads_of_one_company_into_one_customer(crm, session, org):
    one = lead_id(crm, "A", "--company", "Tencent", user="rep")
    two = lead_id(crm, "B", "--company", "Tencent Ltd", user="rep")
    result = ok(crm("lead", "convert", one, two, "--format", "tsv", user="rep"))
    rows = result.rows()
    assert [r[3] for r in rows[1:]] == ["created", "linked"]
    assert lead(session, one).customer_id == lead(session, two).customer_id
    assert [contact(session, lead(session, i).contact_id).is_primary for i in (one, two)] == [True, False]


def test_converted_and_invalid_leads_are_refused_and_the_batch_writes_nothing(crm, session, org):
    done = lead_id(crm, "Done", "--company", "Done Co", user="rep")
    ok(crm("lead", "convert", done, user="rep"))
    bad = lead_id(crm, "Bad", user="rep")
    ok(crm("lead", "invalidate", bad, "--reason", "spam", user="rep"))
    fresh = lead_id(crm, "Fresh", "--company", "Fresh Co", user="rep")
    before = snapshot(session)
    assert_refused(crm("lead", "convert", fresh, done, user="rep"), 5,
                   f"crm: error: lead {done} is already converted\n")
    assert_refused(crm("lead", "convert", fresh, bad, user="rep"), 6,
                   f"crm: error: lead {bad} is invalid: its status can no longer change\n")
    assert snapshot(session) == before


def test_convert_refusals(crm, session, org):
    mine = lead_id(crm, "Mine", "--company", "Shared Co", user="rep")
    theirs = lead_id(crm, "Theirs", user="rep2")
    marketing = lead_id(crm, "Mk", "--company", "Mk Co", user="mk")
    other = customer_id(crm, "Shared Co Ltd", user="rep2")
    twin_a = customer_id(crm, "Twin", "--email", "x@twin.com", user="rep")
    twin_b = customer_id(crm, "Twin B", "--phone", "021-55501234", user="rep")
    twin_lead = lead_id(crm, "T", "--email", "x@twin.com", "--phone", "021-55501234", user="rep")
    before = snapshot(session)
    cases = [
        ((theirs,), "rep", 3, "crm: error: no lead"),
        ((mine,), "rep", 5, f"crm: error: lead {mine} matches customer #{other} (same name; owner rep2), which you "
                            "may not change (hint: ask its owner, or name one of your customers with --customer)\n"),
        ((twin_lead,), "rep", 5, f"crm: error: lead {twin_lead} matches several customers: #{twin_a} Twin (same "
                                 f"email; owner rep); #{twin_b} Twin B (same phone; owner rep) (hint: say which with "
                                 "--customer ID)\n"),
        ((mine, "--customer", str(other)), "rep", 3, "crm: error: no customer"),
        ((mine, "--customer", "nosuch"), "rep", 3, "crm: error: no customer nosuch\n"),
        # marketing may convert leads but not create customers
        ((marketing,), "mk", 4, "crm: error: mk may not customer.create (hint: an administrator can grant it: crm "
                                "role grant ROLE customer.create)\n"),
        (("999",), "rep", 3, "crm: error: no lead"),
    ]
    for args, actor, code, err in cases:
        result = crm("lead", "convert", *args, user=actor)
        assert_refused(result, code, err, exact=err.endswith("\n"))
    assert snapshot(session) == before
    # the ambiguous one goes where it is told
    ok(crm("lead", "convert", twin_lead, "--customer", twin_b, user="rep"))
    assert lead(session, twin_lead).customer_id == twin_b


def test_convert_needs_the_permission(crm, session, org):
    for args in (("role", "add", "NoConvert", "--scope", "self", "--copy-from", "sales_rep"),
                 ("role", "revoke", "NoConvert", "lead.convert"),
                 ("user", "add", "nc", "--dept", "East", "--role", "NoConvert")):
        ok(crm(*args))
    lid = lead_id(crm, "X", user="nc")
    before = snapshot(session)
    assert_refused(crm("lead", "convert", lid, user="nc"), 4,
                   "crm: error: nc may not lead.convert (hint: an administrator can grant it: crm role grant ROLE "
                   "lead.convert)\n")
    assert snapshot(session) == before
