"""``crm contact``: add (to a customer), list, show, edit, status, follow, primary, birthday, dedupe
across all contacts, and visibility that follows the customer's owner and team."""

from __future__ import annotations

import pytest

from tests.commands._customer_org import (NOW, at, contact, contact_id, customer_id, followups, listed, log, ok,
                                          org, tags)  # noqa: F401 (org: fixture)
from tests.commands._org import snapshot
from tests.commands.test_bad_input import assert_refused


@pytest.fixture(autouse=True)
def fixed_now(monkeypatch):
    monkeypatch.setenv("CRM_NOW", NOW)


@pytest.fixture
def acme(crm, org) -> int:
    """A customer of rep's."""
    return customer_id(crm, "Acme", user="rep")


# --- add -------------------------------------------------------------------------------------------


def test_add_with_every_field(crm, session, acme, org):
    result = crm("contact", "add", "张伟", "--customer", "Acme", "--role", "采购经理", "--title", "Director",
                 "--phone", "010-88886666", "--mobile", "138 0013 8000", "--email", "Zhang.Wei@Acme.com",
                 "--wechat", "zw_1985", "--address", "Beijing", "--birthday", "1985-03-12", "--tag", "vip",
                 "--next", "2026-11-25 14:30", "--json", user="rep")
    data = ok(result).json()
    assert {k: data[k] for k in ("id", "name", "customer_id", "customer", "role", "title", "phone", "mobile", "email",
                                 "wechat", "birthday", "primary", "status", "owner", "tags", "next_contact_at")} == {
        "id": 1, "name": "张伟", "customer_id": acme, "customer": "Acme", "role": "采购经理", "title": "Director",
        "phone": "010-88886666", "mobile": "138 0013 8000", "email": "Zhang.Wei@Acme.com", "wechat": "zw_1985",
        "birthday": "1985-03-12", "primary": True, "status": "new", "owner": "rep", "tags": ["vip"],
        "next_contact_at": "2026-11-25T14:30:00+00:00"}
    row = contact(session, 1)
    assert (row.email_key, row.phone_key, row.owner_id, row.created_by) == (
        "zhang.wei@acme.com", "+8613800138000", org["rep"], org["rep"])  # the mobile is the phone key
    assert tags(session, "contact", 1) == ["vip"]
    [entry] = log(session, "contact.add")
    assert entry.changes["customer_id"] == [None, acme] and entry.changes["is_primary"] == [None, True]


def test_add_shows_the_contact_as_plain_text(crm, acme):
    result = ok(crm("contact", "add", "Li Na", "--customer", acme, "--role", "buyer", "--format", "plain", user="rep"))
    assert result.out == ("id        1\n"
                          "name      Li Na\n"
                          f"customer  #{acme} Acme\n"
                          "role      buyer\n"
                          "primary   yes\n"
                          "status    new\n"
                          "owner     rep\n"
                          "created   2026-11-20 10:00\n"
                          "updated   2026-11-20 10:00\n"
                          "\nTimeline\ntime              who  what\n"
                          "2026-11-20 10:00  rep  contact.add\n")


def test_the_owner_comes_from_the_customer(crm, session, acme, org):
    # the manager adds a contact to rep's customer: rep owns it
    cid = contact_id(crm, "Li Na", acme, user="mgr")
    assert contact(session, cid).owner_id == org["rep"]


@pytest.mark.parametrize("args, code, err", [
    (("--email", "li@"), 6, "crm: error: 'li@' is not a valid email address\n"),
    (("--mobile", "12"), 6, "crm: error: '12' is not a phone number\n"),
    (("--phone", "n/a"), 6, "crm: error: 'n/a' is not a phone number\n"),
    (("--birthday", "not a date"), 6, None),
    (("--birthday", "2030-01-01"), 6, "crm: error: 2030-01-01 is not a birthday (hint: a date in the past, e.g. "
                                      "1985-03-12)\n"),
    (("--set", "nosuch=1"), 6, "crm: error: contact has no field 'nosuch' (hint: crm field add contact nosuch "
                               "--type text)\n"),
])
def test_add_bad_input_writes_nothing(crm, session, acme, args, code, err):
    before = snapshot(session)
    result = crm("contact", "add", "Li Na", "--customer", acme, *args, user="rep")
    assert_refused(result, code, err or "crm: error: ", exact=err is not None)
    assert snapshot(session) == before


def test_add_refusals_about_the_customer(crm, session, acme, org):
    theirs = customer_id(crm, "Theirs", user="rep2")
    ok(crm("customer", "team", "add", acme, "west", "--access", "read", user="rep"))
    before = snapshot(session)
    assert_refused(crm("contact", "add", "X", "--customer", theirs, user="rep"), 3, "crm: error: no customer",
                   exact=False)
    assert_refused(crm("contact", "add", "X", "--customer", "nosuch", user="rep"), 3,
                   "crm: error: no customer nosuch\n")
    assert_refused(crm("contact", "add", "X", "--customer", acme, user="west"), 4,
                   "crm: error: west may see but not change customer Acme (hint: ask the owner for write access to "
                   "the team)\n")
    assert_refused(crm("contact", "add", "X", "--customer", acme, user="mk"), 4,
                   "crm: error: mk may not contact.create (hint: an administrator can grant it: crm role grant ROLE "
                   "contact.create)\n")
    assert_refused(crm("contact", "add", " ", "--customer", acme, user="rep"), 6, "crm: error: a contact needs a name\n")
    assert snapshot(session) == before


# --- dedupe ----------------------------------------------------------------------------------------


def test_dedupe_on_email_and_mobile_across_all_customers(crm, session, acme):
    other = customer_id(crm, "Other", user="rep2")
    first = contact_id(crm, "Li Na", acme, "--email", "li.na@acme.com", "--mobile", "13800138000", user="rep")
    before = snapshot(session)
    # rep2 cannot see rep's contact: the id and owner, not the name
    assert_refused(crm("contact", "add", "Lina", "--customer", other, "--email", "LI.NA@acme.com", user="rep2"), 5,
                   f"crm: error: duplicate contact: #{first} (same email; owner rep) (hint: use that one, or add "
                   "--allow-duplicate)\n")
    assert_refused(crm("contact", "add", "Lina", "--customer", acme, "--mobile", "+86 138-0013-8000", user="rep"), 5,
                   f"crm: error: duplicate contact: #{first} Li Na (same phone; owner rep) (hint: use that one, or add "
                   "--allow-duplicate)\n")
    assert snapshot(session) == before
    second = contact_id(crm, "Lina", other, "--email", "li.na@acme.com", "--allow-duplicate", user="rep2")
    assert log(session, "contact.add")[-1].changes["allowed_duplicate_of"] == [None, [first]]
    # an edit checks only what it changes
    ok(crm("contact", "edit", second, "--role", "buyer", user="rep2"))
    assert_refused(crm("contact", "edit", second, "--mobile", "13800138000", user="rep2"), 5,
                   f"crm: error: duplicate contact: #{first} (same phone; owner rep) (hint: use that one, or add "
                   "--allow-duplicate)\n")


def test_a_shared_landline_is_a_key_only_without_a_mobile(crm, acme):
    contact_id(crm, "A", acme, "--phone", "010-88886666", "--mobile", "13800138000", user="rep")
    contact_id(crm, "B", acme, "--phone", "010-88886666", "--mobile", "13900139000", user="rep")
    assert crm("contact", "add", "C", "--customer", acme, "--phone", "010-88886666", user="rep").code == 0


# --- primary ---------------------------------------------------------------------------------------


def test_one_primary_contact_per_customer(crm, session, acme):
    first = contact_id(crm, "First", acme, user="rep")
    second = contact_id(crm, "Second", acme, user="rep")
    assert (contact(session, first).is_primary, contact(session, second).is_primary) == (True, False)
    third = contact_id(crm, "Third", acme, "--primary", user="rep")
    assert [contact(session, i).is_primary for i in (first, second, third)] == [False, False, True]
    result = ok(crm("contact", "primary", second, user="rep"))
    assert result.err == f"Contact {second} is the primary contact of customer {acme}.\n"
    assert [contact(session, i).is_primary for i in (first, second, third)] == [False, True, False]
    ok(crm("contact", "edit", first, "--primary", user="rep"))
    assert [contact(session, i).is_primary for i in (first, second, third)] == [True, False, False]
    # another customer's primary is untouched
    other = customer_id(crm, "Other", user="rep")
    elsewhere = contact_id(crm, "Elsewhere", other, user="rep")
    assert contact(session, elsewhere).is_primary and contact(session, first).is_primary
    assert listed(crm, "contact", "--customer", acme, "--primary", user="rep") == [first]
    assert listed(crm, "contact", "--customer", acme, "--not-primary", user="rep") == [third, second]
    shown = ok(crm("customer", "show", acme, "--json", user="rep")).json()
    assert [c["id"] for c in shown["contacts"]] == [first, second, third]  # the primary first


# --- edit, status, follow ------------------------------------------------------------------------------


def test_edit_fields_birthday_and_log(crm, session, acme):
    cid = contact_id(crm, "Li Na", acme, "--birthday", "1990-01-02", user="rep")
    data = ok(crm("contact", "edit", cid, "--role", "decision maker", "--email", "li@acme.com", "--birthday",
                  "1985-03-12", "--json", user="rep")).json()
    assert (data["role"], data["birthday"]) == ("decision maker", "1985-03-12")
    assert contact(session, cid).email_key == "li@acme.com"
    [entry] = log(session, "contact.edit")
    assert entry.changes == {"role": [None, "decision maker"], "email": [None, "li@acme.com"],
                             "birthday": ["1990-01-02", "1985-03-12"]}
    ok(crm("contact", "edit", cid, "--no-birthday", user="rep"))
    assert contact(session, cid).birthday is None


def test_status_follows_the_lifecycle(crm, session, acme):
    one = contact_id(crm, "One", acme, user="rep")
    two = contact_id(crm, "Two", acme, user="rep")
    result = ok(crm("contact", "status", "active", one, two, user="rep"))
    assert result.err == "2 contacts are now active.\n"
    for status in ("inactive", "invalid", "active"):
        ok(crm("contact", "status", status, one, user="rep"))
        assert contact(session, one).status == status
    ok(crm("contact", "status", "invalid", two, user="rep"))
    before = snapshot(session)
    assert_refused(crm("contact", "status", "inactive", two, user="rep"), 5,
                   f"crm: error: contact {two} is invalid: it cannot become inactive (hint: from invalid: active)\n")
    assert_refused(crm("contact", "status", "inactive", one, two, user="rep"), 5,
                   f"crm: error: contact {two} is invalid: it cannot become inactive (hint: from invalid: active)\n")
    assert_refused(crm("contact", "status", "gone", one, user="rep"), 6,
                   "crm: error: unknown status 'gone' (hint: one of: new, active, inactive, invalid)\n")
    assert snapshot(session) == before


def test_follow_and_its_refusals(crm, session, acme, org):
    cid = contact_id(crm, "Li Na", acme, user="rep")
    result = ok(crm("contact", "follow", cid, "--via", "wechat", "--note", "确认了需求", "--next", "friday", user="rep"))
    assert result.err == f"Logged follow-up 1 on contact {cid}.\n"
    [entry] = followups(session, "contact", cid)
    assert (entry.via, entry.author_id) == ("wechat", org["rep"])
    row = contact(session, cid)
    assert (row.status, row.last_followup_at, row.next_contact_at) == ("active", at(NOW),
                                                                       at("2026-11-27T00:00:00+00:00"))
    before = snapshot(session)
    assert_refused(crm("contact", "follow", cid, "--via", "pigeon", "--note", "x", user="rep"), 6,
                   "crm: error: unknown follow-up method 'pigeon' (hint: one of: phone, email, visit, sms, wechat, "
                   "other)\n")
    assert snapshot(session) == before
    ok(crm("contact", "status", "invalid", cid, user="rep"))
    before = snapshot(session)
    assert_refused(crm("contact", "follow", cid, "--via", "phone", "--note", "x", user="rep"), 6,
                   f"crm: error: contact {cid} is invalid: it takes no more follow-ups\n")
    for args in (("role", "add", "Quiet", "--scope", "all", "--copy-from", "customer_service"),
                 ("role", "revoke", "Quiet", "followup.create"), ("user", "add", "quiet", "--role", "Quiet")):
        ok(crm(*args))
    before = snapshot(session)
    assert_refused(crm("contact", "follow", cid, "--via", "phone", "--note", "x", user="quiet"), 4,
                   "crm: error: quiet may not followup.create (hint: an administrator can grant it: crm role grant "
                   "ROLE followup.create)\n")
    assert_refused(crm("contact", "follow", cid, "--via", "phone", "--note", "x", user="rep2"), 3,
                   "crm: error: no contact", exact=False)
    assert snapshot(session) == before


def test_a_follow_up_with_a_contact_follows_up_its_customer(crm, session, acme, monkeypatch):
    from tests.commands._customer_org import customer

    cid = contact_id(crm, "Li Na", acme, user="rep")
    assert customer(session, acme).last_followup_at is None
    ok(crm("contact", "follow", cid, "--via", "phone", "--note", "asked for a quote", user="rep"))
    assert customer(session, acme).last_followup_at == at(NOW)  # the clock recycling reads
    monkeypatch.setenv("CRM_NOW", "2026-11-21T10:00:00+00:00")
    ok(crm("contact", "follow", cid, "--via", "phone", "--note", "older call", "--at", "2026-11-19 10:00", user="rep"))
    assert customer(session, acme).last_followup_at == at(NOW)  # an older follow-up does not move it back
    shown = ok(crm("customer", "show", acme, "--format", "plain", user="rep")).out.split("Timeline\n")[1]
    assert shown.splitlines()[1:] == ["2026-11-20 10:00  rep  customer.add",
                                      "2026-11-20 10:00  rep  [phone] Li Na: asked for a quote",
                                      "2026-11-19 10:00  rep  [phone] Li Na: older call"]


# --- visibility follows the customer --------------------------------------------------------------------


def test_visibility_follows_the_customers_owner_and_team(crm, session, acme, org):
    mine = contact_id(crm, "Mine", acme, user="rep")
    theirs = contact_id(crm, "Theirs", customer_id(crm, "Other", user="rep2"), user="rep2")
    assert listed(crm, "contact", user="rep") == [mine]
    assert listed(crm, "contact", user="rep2") == [theirs]
    assert listed(crm, "contact", user="mgr") == [theirs, mine]
    assert listed(crm, "contact", user="cs") == [theirs, mine]
    assert listed(crm, "contact", user="mk") == []
    for verb in (("show", mine), ("edit", mine, "--role", "x")):
        result = crm("contact", *verb, user="rep2")
        assert result.code == 3 and result.err.startswith("crm: error: no contact"), result
    # on the customer's team: rep2 sees the contacts (read), then may change them (write)
    ok(crm("customer", "team", "add", acme, "rep2", user="rep"))
    assert listed(crm, "contact", user="rep2") == [theirs, mine]
    assert_refused(crm("contact", "edit", mine, "--role", "x", user="rep2"), 4,
                   "crm: error: rep2 may see but not change contact Mine (hint: ask the owner for write access to the "
                   "team)\n")
    ok(crm("customer", "team", "add", acme, "rep2", "--access", "write", user="rep"))
    ok(crm("contact", "edit", mine, "--role", "buyer", user="rep2"))
    assert contact(session, mine).role == "buyer"
    why = ok(crm("why", "rep2", f"contact:{mine}")).out
    assert "member with write access" in why


def test_list_filters_and_search(crm, acme):
    a = contact_id(crm, "Li Na", acme, "--email", "li@acme.com", "--tag", "vip", user="rep")
    b = contact_id(crm, "Wang Wu", acme, "--mobile", "13900139000", user="rep")
    ok(crm("contact", "status", "active", b, user="rep"))
    assert listed(crm, "contact", "--status", "active", user="rep") == [b]
    assert listed(crm, "contact", "--tag", "vip", user="rep") == [a]
    assert listed(crm, "contact", "--search", "139001", user="rep") == [b]
    assert listed(crm, "contact", "--sort", "name", user="rep") == [a, b]
    assert listed(crm, "contact", "--where", "email~acme", user="rep") == [a]
    rows = ok(crm("contact", "list", "--format", "tsv", user="rep")).rows()
    assert rows[0] == ["id", "name", "customer", "role", "mobile", "email", "primary", "status", "owner"]
    assert rows[2] == [str(a), "Li Na", "Acme", "", "", "li@acme.com", "true", "new", "rep"]
    assert_refused(crm("contact", "list", "--status", "lost", user="rep"), 6,
                   "crm: error: unknown status 'lost' (hint: one of: new, active, inactive, invalid)\n")
