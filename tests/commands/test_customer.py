"""``crm customer``: add, list, show (360), edit, tier, status, follow, transfer, team, lock/unlock,
hand-over, data scope, and every bad input of the records issue that touches customers.

Dedupe rules are in tests/services/test_dedupe.py, merge in tests/services/test_merge.py.
"""

from __future__ import annotations

import pytest

from crmcli.store.models import Customer
from tests.commands._customer_org import (CODE_HUAWEI, NOW, at, contact, contact_id, customer, customer_id,
                                          followups, listed, log, ok, org, tags, team)  # noqa: F401 (org: fixture)
from tests.commands._org import snapshot
from tests.commands.test_bad_input import assert_refused


@pytest.fixture(autouse=True)
def fixed_now(monkeypatch):
    monkeypatch.setenv("CRM_NOW", NOW)


@pytest.fixture
def unchanged(session):
    before = snapshot(session)

    def check() -> None:
        assert snapshot(session) == before

    return check


# --- add -------------------------------------------------------------------------------------------


def test_add_with_every_field(crm, session):
    result = crm("customer", "add", "華為技術有限公司", "--kind", "Company", "--industry", "Telecom", "--tier", "a",
                 "--source", "EVENT", "--address", "深圳市龙岗区", "--region", "Guangdong", "--phone", "0755 2878 0808",
                 "--email", "Info@Huawei.com", "--website", "https://huawei.com", "--credit-code", CODE_HUAWEI.lower(),
                 "--tag", "vip,key", "--next", "2026-11-25 14:30", "--json")
    data = ok(result).json()
    assert {k: data[k] for k in ("id", "name", "kind", "industry", "tier", "status", "source", "phone", "email",
                                 "credit_code", "owner", "locked", "deal_status", "tags", "next_contact_at",
                                 "owned_since", "merged_into_id", "team", "contacts")} == {
        "id": 1, "name": "華為技術有限公司", "kind": "company", "industry": "Telecom", "tier": "A", "status": "new",
        "source": "event", "phone": "0755 2878 0808", "email": "Info@Huawei.com", "credit_code": CODE_HUAWEI,
        "owner": "admin", "locked": False, "deal_status": "none", "tags": ["key", "vip"],
        "next_contact_at": "2026-11-25T14:30:00+00:00", "owned_since": NOW, "merged_into_id": None,
        "team": [], "contacts": []}
    row = customer(session, 1)
    # the dedupe keys: traditional → simplified, legal suffix gone; E.164; case-folded email
    assert (row.name_key, row.phone_key, row.email_key) == ("华为技术", "+867552878080" "8", "info@huawei.com")
    assert (row.owner_id, row.created_by, row.created_at) == (1, 1, at(NOW))
    assert tags(session, "customer", 1) == ["key", "vip"]
    [entry] = log(session, "customer.add")
    assert (entry.record_type, entry.record_id, entry.record_label) == ("customer", 1, "華為技術有限公司")
    assert entry.changes["tier"] == [None, "A"] and entry.changes["tags"] == [None, ["key", "vip"]]


def test_add_shows_the_360_view_as_plain_text(crm):
    result = ok(crm("customer", "add", "Acme Ltd", "--tier", "B", "--phone", "010-88886666", "--format", "plain"))
    assert result.out == (
        "id           1\n"
        "name         Acme Ltd\n"
        "type         company\n"
        "tier         B\n"
        "status       new\n"
        "phone        010-88886666\n"
        "owner        admin\n"
        "locked       no\n"
        "deal         none\n"
        "owned since  2026-11-20 10:00\n"
        "created      2026-11-20 10:00\n"
        "updated      2026-11-20 10:00\n"
        "\nTimeline\ntime              who    what\n"
        "2026-11-20 10:00  admin  customer.add\n")


def test_show_has_team_and_contacts_sections_once_they_have_rows(crm, org):
    ok(crm("customer", "add", "Acme Ltd"))
    ok(crm("contact", "add", "Li Lei", "--customer", "1", "--mobile", "13800138000"))
    ok(crm("customer", "team", "add", "1", "rep", "--access", "read"))
    out = ok(crm("customer", "show", "1", "--format", "plain")).out
    assert "\nTeam\nlogin  name      access\nrep    Rep Wang  read\n" in out
    assert "\nContacts\nid  name    role  mobile       email  primary  status\n" in out
    assert out.index("\nTeam\n") < out.index("\nContacts\n") < out.index("\nTimeline\n")


def test_add_owner_me_login_and_refusals(crm, session, org):
    assert customer(session, customer_id(crm, "Mine", "--owner", "me", user="rep")).owner_id == org["rep"]
    assert customer(session, customer_id(crm, "For rep", "--owner", "rep", user="mgr")).owner_id == org["rep"]
    before = snapshot(session)
    cases = [
        (("--owner", "rep2"), "rep", 6, "crm: error: rep2 is outside your data scope (hint: give it to someone in your "
                                        "departments, or ask their manager)\n"),
        (("--owner", "west"), "rep", 6, "crm: error: west is outside your data scope (hint: give it to someone in your "
                                        "departments, or ask their manager)\n"),
        (("--owner", "gone"), "admin", 6, "crm: error: user 'gone' is disabled\n"),
        (("--owner", "ghost"), "admin", 3, "crm: error: no user named 'ghost'\n"),
    ]
    for args, actor, code, err in cases:
        assert_refused(crm("customer", "add", "X", *args, user=actor), code, err)
    assert snapshot(session) == before


@pytest.mark.parametrize("args, code, err", [
    (("--email", "not-an-email"), 6, "crm: error: 'not-an-email' is not a valid email address\n"),
    (("--phone", "12"), 6, "crm: error: '12' is not a phone number\n"),
    (("--phone", "call me"), 6, "crm: error: 'call me' is not a phone number\n"),
    (("--credit-code", "914403001922038217"), 6,
     "crm: error: '914403001922038217' is not a valid unified social credit code (hint: 18 characters, digits and "
     "capital letters except I, O, S, V, Z, with a checksum last)\n"),
    (("--kind", "robot"), 6, "crm: error: unknown customer type 'robot' (hint: one of: company, person)\n"),
    (("--source", "fax"), 6, "crm: error: unknown source 'fax' (hint: one of: web, email, ads, event, content, phone, "
                             "referral, outreach, other)\n"),
    (("--tier", "A B"), 6, "crm: error: 'A B' is not a tier (hint: a short code such as A, B or C (at most 16 "
                           "characters, no spaces))\n"),
    (("--next", "someday"), 6, None),
    (("--set", "nosuch=1"), 6, "crm: error: customer has no field 'nosuch' (hint: crm field add customer nosuch "
                               "--type text)\n"),
])
def test_add_bad_input_writes_nothing(crm, unchanged, args, code, err):
    result = crm("customer", "add", "Acme", *args)
    assert_refused(result, code, err or "crm: error: ", exact=err is not None)
    unchanged()


def test_add_needs_a_name_and_the_permission(crm, org, unchanged):
    assert_refused(crm("customer", "add", "  "), 6, "crm: error: a customer needs a name\n")
    assert_refused(crm("customer", "add", "Acme", user="mk"), 4,
                   "crm: error: mk may not customer.create (hint: an administrator can grant it: crm role grant ROLE "
                   "customer.create)\n")
    unchanged()


def test_a_duplicate_is_refused_with_the_existing_id_unless_allowed(crm, session):
    first = customer_id(crm, "ACME Co., Ltd.", "--phone", "010-88886666")
    before = snapshot(session)
    result = crm("customer", "add", "Acme Limited")
    assert_refused(result, 5, f"crm: error: duplicate customer: #{first} ACME Co., Ltd. (same name; owner admin) "
                              "(hint: use that one, or add --allow-duplicate)\n")
    result = crm("customer", "add", "Other name", "--phone", "+86 10 8888 6666")
    assert_refused(result, 5, f"crm: error: duplicate customer: #{first} ACME Co., Ltd. (same phone; owner admin) "
                              "(hint: use that one, or add --allow-duplicate)\n")
    assert snapshot(session) == before
    second = customer_id(crm, "Acme Limited", "--allow-duplicate")
    assert customer(session, second).name_key == "acme"
    assert log(session, "customer.add")[-1].changes["allowed_duplicate_of"] == [None, [first]]


def test_a_duplicate_outside_the_scope_names_its_id_and_owner_only(crm, org):
    theirs = customer_id(crm, "Tencent", "--email", "bd@tencent.com", user="rep2")
    assert_refused(crm("customer", "add", "QQ", "--email", "BD@Tencent.com", user="rep"), 5,
                   f"crm: error: duplicate customer: #{theirs} (same email; owner rep2) "
                   "(hint: use that one, or add --allow-duplicate)\n")


def test_the_credit_code_is_a_strong_key(crm, session):
    first = customer_id(crm, "华为技术有限公司", "--credit-code", CODE_HUAWEI)
    before = snapshot(session)
    result = crm("customer", "add", "Huawei Shenzhen", "--credit-code", CODE_HUAWEI, "--allow-duplicate")
    assert_refused(result, 5, f"crm: error: duplicate customer: #{first} 华为技术有限公司 (same unified social credit "
                              f"code; owner admin) (hint: a unified social credit code belongs to one organisation: use "
                              f"or merge customer {first})\n")
    assert snapshot(session) == before


# --- show, get ---------------------------------------------------------------------------------


def test_show_by_id_exact_name_or_name_key(crm):
    one = customer_id(crm, "ACME Co., Ltd.")
    other = customer_id(crm, "Acme Trading")
    for ref in (str(one), f"#{one}", "ACME Co., Ltd.", "acme", "Acme Ltd"):
        assert ok(crm("customer", "show", ref, "--json")).json()["id"] == one, ref
    assert ok(crm("customer", "show", "Acme Trading", "--format", "ids")).out == f"{other}\n"
    result = crm("customer", "show", "nosuch")
    assert_refused(result, 3, "crm: error: no customer nosuch\n")


def test_show_lists_team_and_contacts_the_actor_sees(crm, org):
    cust = customer_id(crm, "Acme", user="rep")
    contact_id(crm, "Li Na", cust, "--role", "buyer", user="rep")
    ok(crm("customer", "team", "add", cust, "rep2", "--access", "read", user="rep"))
    data = ok(crm("customer", "show", cust, "--json", user="rep2")).json()
    assert data["team"] == [{"login": "rep2", "name": "Rep Li", "access": "read"}]
    assert [(c["name"], c["role"], c["primary"]) for c in data["contacts"]] == [("Li Na", "buyer", True)]


# --- list and data scope -----------------------------------------------------------------------


@pytest.fixture
def book(crm, org) -> dict[str, int]:
    """One customer per owner: R (rep), R2 (rep2), W (west), M (mgr), A (admin), K (mk)."""
    made = {}
    for name, owner, args in (("R", "rep", ("--tier", "A")), ("R2", "rep2", ("--tier", "B", "--kind", "person")),
                              ("W", "west", ()), ("M", "mgr", ("--tier", "A")), ("A", "admin", ()),
                              ("K", "admin", ("--owner", "mk"))):
        made[name] = customer_id(crm, name, *args, user=owner)
    assert made == {"R": 1, "R2": 2, "W": 3, "M": 4, "A": 5, "K": 6}
    return made


@pytest.mark.parametrize("login, expected", [
    ("rep", [1]),                   # self scope: own customers only
    ("rep2", [2]),
    ("west", [3]),
    ("mgr", [4, 3, 2, 1]),          # Sales and below
    ("mk", [6]),                    # department scope: Marketing
    ("cs", [6, 5, 4, 3, 2, 1]),     # scope all
    ("admin", [6, 5, 4, 3, 2, 1]),
])
def test_each_user_lists_exactly_the_customers_of_their_scope(crm, book, login, expected):
    assert listed(crm, "customer", user=login) == expected


def test_a_team_member_sees_a_customer_outside_their_scope(crm, session, book, org):
    ok(crm("customer", "team", "add", book["W"], "rep", "--access", "read", user="west"))
    assert team(session, book["W"]) == {org["rep"]: "read"}
    assert listed(crm, "customer", user="rep") == [3, 1]
    assert ok(crm("customer", "show", "W", "--json", user="rep")).json()["owner"] == "west"
    # read access: may look, not change (exit 4, not 3: the member knows it exists)
    assert_refused(crm("customer", "edit", "W", "--industry", "x", user="rep"), 4,
                   "crm: error: rep may see but not change customer W (hint: ask the owner for write access to the "
                   "team)\n")
    ok(crm("customer", "team", "add", book["W"], "rep", "--access", "write", user="west"))
    assert ok(crm("customer", "edit", "W", "--industry", "Retail", "--json", user="rep")).json()["industry"] == "Retail"
    # a write member still may not manage the team
    assert_refused(crm("customer", "team", "add", book["W"], "rep2", user="rep"), 4,
                   "crm: error: rep may not change the team of customer W (hint: the owner, or someone whose data "
                   "scope covers the owner, manages the team)\n")
    ok(crm("customer", "team", "remove", book["W"], "rep", user="west"))
    assert listed(crm, "customer", user="rep") == [1]
    assert crm("customer", "show", book["W"], user="rep").code == 3


@pytest.mark.parametrize("args", [("show",), ("edit", "--tier", "C"), ("follow", "--via", "phone", "--note", "hi"),
                                  ("transfer", "--to", "rep"), ("lock",), ("tier", "C"), ("status", "active")])
def test_a_customer_outside_the_scope_is_not_found(crm, book, session, args):
    before = snapshot(session)
    verb, *rest = args
    if verb in ("tier", "status"):
        argv = ("customer", verb, rest[0], book["R2"])
    else:
        argv = ("customer", verb, book["R2"], *rest)
    result = crm(*argv, user="rep")
    assert result.code == 3, result
    assert result.err.startswith("crm: error: no customer"), result
    assert snapshot(session) == before


@pytest.mark.parametrize("args, expected", [
    (("--tier", "A"), [4, 1]),
    (("--tier", "a", "--tier", "B"), [4, 2, 1]),
    (("--kind", "person"), [2]),
    (("--kind", "company"), [6, 5, 4, 3, 1]),
    (("--owner", "rep"), [1]),
    (("--status", "new"), [6, 5, 4, 3, 2, 1]),
    (("--status", "active"), []),
    (("--locked",), []),
    (("--unlocked",), [6, 5, 4, 3, 2, 1]),
    (("--where", "tier=B"), [2]),
    (("--search", "R2"), [2]),
    (("--sort", "name"), [5, 6, 4, 1, 2, 3]),
])
def test_list_filters(crm, book, args, expected):
    assert listed(crm, "customer", *args) == expected


def test_list_tsv_columns(crm, book):
    rows = ok(crm("customer", "list", "--owner", "rep", "--format", "tsv")).rows()
    assert rows == [["id", "name", "tier", "status", "owner", "phone", "locked", "last_followup_at", "next_contact_at",
                     "created_at"],
                    ["1", "R", "A", "new", "rep", "", "false", "", "", NOW]]


@pytest.mark.parametrize("args, err", [
    (("--status", "open"), "crm: error: unknown status 'open' (hint: one of: new, active, maintaining, inactive, "
                           "closed)\n"),
    (("--kind", "robot"), "crm: error: unknown customer type 'robot' (hint: one of: company, person)\n"),
    (("--sort", "colour"), None),
])
def test_list_bad_filters(crm, book, args, err):
    assert_refused(crm("customer", "list", *args), 6, err or "crm: error: unknown sort", exact=err is not None)


# --- edit, tier, status -------------------------------------------------------------------------


def test_edit_changes_fields_keys_tags_and_logs_a_diff(crm, session):
    cid = customer_id(crm, "Acme", "--tag", "old")
    data = ok(crm("customer", "edit", cid, "--name", "Acme Trading", "--phone", "021-55501234", "--add-tag", "vip",
                  "--remove-tag", "old", "--next", "2026-12-01 09:00", "--json")).json()
    assert (data["name"], data["phone"], data["tags"]) == ("Acme Trading", "021-55501234", ["vip"])
    row = customer(session, cid)
    assert (row.name_key, row.phone_key) == ("acmetrading", "+862155501234")
    [entry] = log(session, "customer.edit")
    assert entry.changes == {"name": ["Acme", "Acme Trading"], "phone": [None, "021-55501234"],
                             "next_contact_at": [None, "2026-12-01T09:00:00+00:00"], "tags": [["old"], ["vip"]]}
    # nothing changed: nothing logged
    ok(crm("customer", "edit", cid, "--name", "Acme Trading"))
    assert len(log(session, "customer.edit")) == 1


def test_edit_dedupes_only_what_changed(crm, session):
    first = customer_id(crm, "Acme", "--email", "a@acme.com")
    second = customer_id(crm, "Acme", "--allow-duplicate")
    ok(crm("customer", "edit", second, "--industry", "Retail"))  # the old, allowed duplicate does not block
    before = snapshot(session)
    assert_refused(crm("customer", "edit", second, "--email", "A@ACME.com"), 5,
                   f"crm: error: duplicate customer: #{first} Acme (same email; owner admin) "
                   "(hint: use that one, or add --allow-duplicate)\n")
    assert snapshot(session) == before
    ok(crm("customer", "edit", second, "--email", "A@ACME.com", "--allow-duplicate"))


def test_tier_batch_and_clear(crm, session, book):
    ok(crm("customer", "tier", "b", book["R"], book["W"]))
    assert (customer(session, book["R"]).tier, customer(session, book["W"]).tier) == ("B", "B")
    result = ok(crm("customer", "tier", "none", book["R"]))
    assert result.err == "1 customers now have no tier.\n"
    assert customer(session, book["R"]).tier is None
    assert [e.changes for e in log(session, "customer.tier")] == [{"tier": ["A", "B"]}, {"tier": [None, "B"]},
                                                                 {"tier": ["B", None]}]
    before = snapshot(session)
    assert_refused(crm("customer", "tier", "B", book["R"], "999"), 3, "crm: error: no customer", exact=False)
    assert snapshot(session) == before


def test_status_follows_the_lifecycle(crm, session):
    cid = customer_id(crm, "Acme")
    for status in ("active", "maintaining", "inactive", "closed", "active"):
        result = ok(crm("customer", "status", status, cid))
        assert customer(session, cid).status == status
    assert result.err == "1 customers are now active.\n"
    ok(crm("customer", "status", "closed", cid))
    before = snapshot(session)
    assert_refused(crm("customer", "status", "maintaining", cid), 5,
                   f"crm: error: customer {cid} is closed: it cannot become maintaining (hint: from closed: active)\n")
    assert_refused(crm("customer", "status", "new", cid), 5,
                   f"crm: error: customer {cid} is closed: it cannot become new (hint: from closed: active)\n")
    assert_refused(crm("customer", "status", "lost", cid), 6,
                   "crm: error: unknown status 'lost' (hint: one of: new, active, maintaining, inactive, closed)\n")
    assert snapshot(session) == before


# --- follow-ups --------------------------------------------------------------------------------


def test_follow_logs_moves_the_clock_and_activates_a_new_customer(crm, session, org):
    cid = customer_id(crm, "Acme", user="rep")
    result = ok(crm("customer", "follow", cid, "--via", "Visit", "--note", "拜访采购部", "--next", "2026-11-27 10:00",
                    user="rep"))
    assert result.err == f"Logged follow-up 1 on customer {cid}.\n"
    [entry] = followups(session, "customer", cid)
    assert (entry.via, entry.content, entry.author_id, entry.at) == ("visit", "拜访采购部", org["rep"], at(NOW))
    row = customer(session, cid)
    assert (row.status, row.last_followup_at, row.next_contact_at) == ("active", at(NOW),
                                                                       at("2026-11-27T10:00:00+00:00"))
    [logged] = log(session, "followup.add")
    assert logged.changes["status"] == ["new", "active"]  # one log row for the follow-up and what it moved
    assert log(session, "customer.status") == []
    timeline = ok(crm("customer", "show", cid, "--format", "plain", user="rep")).out
    assert "[visit] 拜访采购部" in timeline


def test_follow_refusals_write_nothing(crm, session, org):
    cid = customer_id(crm, "Acme", user="rep")
    closed = customer_id(crm, "Closed Co", user="rep")
    ok(crm("customer", "status", "closed", closed, user="rep"))
    ok(crm("customer", "team", "add", cid, "rep2", user="rep"))
    before = snapshot(session)
    cases = [
        ((cid, "--via", "fax", "--note", "x"), "rep", 6,
         "crm: error: unknown follow-up method 'fax' (hint: one of: phone, email, visit, sms, wechat, other)\n"),
        ((cid, "--via", "phone", "--note", " "), "rep", 6,
         "crm: error: a follow-up needs a note (hint: add --note 'what was said')\n"),
        ((closed, "--via", "phone", "--note", "x"), "rep", 6,
         f"crm: error: customer {closed} is closed: it takes no more follow-ups (hint: reopen it first: crm customer "
         f"status active {closed})\n"),
        # finance sees every customer but may not write follow-ups
        ((cid, "--via", "phone", "--note", "x"), "fin", 4,
         "crm: error: fin may not followup.create (hint: an administrator can grant it: crm role grant ROLE "
         "followup.create)\n"),
        # a read member of the team sees it, but following up is a change
        ((cid, "--via", "phone", "--note", "x"), "rep2", 4,
         "crm: error: rep2 may see but not follow up customer Acme\n"),
        ((cid, "--via", "phone", "--note", "x"), "west", 3, None),
    ]
    for args, actor, code, err in cases:
        result = crm("customer", "follow", *args, user=actor)
        assert_refused(result, code, err or "crm: error: no customer", exact=err is not None)
    assert snapshot(session) == before


# --- transfer ------------------------------------------------------------------------------------


def test_transfer_with_contacts_and_keep_member(crm, session, org, monkeypatch):
    one = customer_id(crm, "One", user="rep")
    two = customer_id(crm, "Two", user="rep")
    c1 = contact_id(crm, "Li Na", one, user="rep")
    c2 = contact_id(crm, "Wang Wu", two, user="rep")
    monkeypatch.setenv("CRM_NOW", "2026-11-21T09:00:00+00:00")
    result = ok(crm("customer", "transfer", one, two, "--to", "rep2", "--with-contacts", "--with-opportunities",
                    "--with-contracts", "--keep-member", "read", "--reason", "rebalancing", user="mgr"))
    assert result.err == ("2 customers now belong to rep2.\n"
                          "Moved along: 2 contacts, 0 opportunities, 0 contracts.\n")
    for cid in (one, two):
        row = customer(session, cid)
        assert (row.owner_id, row.owned_since) == (org["rep2"], at("2026-11-21T09:00:00+00:00"))
        assert team(session, cid) == {org["rep"]: "read"}
    assert (contact(session, c1).owner_id, contact(session, c2).owner_id) == (org["rep2"], org["rep2"])
    entries = log(session, "customer.transfer")
    assert [(e.record_id, e.changes, e.reason) for e in entries] == [
        (one, {"owner_id": [org["rep"], org["rep2"]], "team": [None, {"rep": "read"}]}, "rebalancing"),
        (two, {"owner_id": [org["rep"], org["rep2"]], "team": [None, {"rep": "read"}]}, "rebalancing")]
    assert {e.record_id for e in log(session, "contact.transfer")} == {c1, c2}
    # the previous owner still sees them (read), the new owner too
    assert listed(crm, "customer", user="rep") == [two, one]
    assert listed(crm, "contact", user="rep2") == [c2, c1]


def test_transfer_without_contacts_leaves_them_and_drops_the_new_owner_from_the_team(crm, session, org):
    cid = customer_id(crm, "One", user="rep")
    cont = contact_id(crm, "Li Na", cid, user="rep")
    ok(crm("customer", "team", "add", cid, "rep2", "--access", "write", user="rep"))
    result = ok(crm("customer", "transfer", cid, "--to", "rep2", user="rep"))
    assert result.err == "1 customers now belong to rep2.\n"
    assert team(session, cid) == {}
    assert contact(session, cont).owner_id == org["rep"]


def test_transfer_is_all_or_nothing(crm, session, org):
    mine = customer_id(crm, "Mine", user="rep")
    theirs = customer_id(crm, "Theirs", user="rep2")
    before = snapshot(session)
    cases = [
        ((mine, theirs, "--to", "rep2"), "rep", 3, "crm: error: no customer"),
        ((mine, "--to", "gone"), "rep", 6, "crm: error: user 'gone' is disabled\n"),
        ((mine, "--to", "ghost"), "rep", 3, "crm: error: no user named 'ghost'\n"),
        ((mine, "--to", "rep2", "--keep-member", "admin"), "rep", 6,
         "crm: error: unknown access 'admin' (hint: one of: read, write)\n"),
        ((mine, "--to", "rep2"), "cs", 4,
         "crm: error: cs may not customer.transfer (hint: an administrator can grant it: crm role grant ROLE "
         "customer.transfer)\n"),
        ((mine, "--to", "rep2"), "mk", 4, "crm: error: mk may not customer.transfer", ),
    ]
    for args, actor, code, err in cases:
        result = crm("customer", "transfer", *args, user=actor)
        assert_refused(result, code, err, exact=err.endswith("\n"))
    assert snapshot(session) == before


def test_transfer_by_a_read_member_is_refused(crm, session, org):
    cid = customer_id(crm, "Mine", user="rep")
    ok(crm("customer", "team", "add", cid, "rep2", user="rep"))
    before = snapshot(session)
    assert_refused(crm("customer", "transfer", cid, "--to", "rep2", user="rep2"), 4,
                   "crm: error: rep2 may see but not change customer Mine (hint: ask the owner for write access to the "
                   "team)\n")
    assert snapshot(session) == before


def test_transfer_dry_run_and_ids_from_stdin(crm, session, org):
    one = customer_id(crm, "One", user="rep")
    two = customer_id(crm, "Two", user="rep")
    before = snapshot(session)
    result = ok(crm("customer", "transfer", "-", "--to", "rep2", "--dry-run", user="mgr", stdin=f"{one}\n{two}\n"))
    assert result.err == "2 customers would go to rep2 (dry run).\n"
    assert snapshot(session) == before
    result = ok(crm("customer", "transfer", "-", "--to", "rep2", "--format", "ids", user="mgr", stdin=f"{one} {two}"))
    assert result.out == f"{one}\n{two}\n"
    assert customer(session, one).owner_id == org["rep2"]


# --- team ------------------------------------------------------------------------------------------


def test_team_add_change_list_remove(crm, session, org):
    cid = customer_id(crm, "Acme", user="rep")
    result = ok(crm("customer", "team", "add", cid, "rep2", user="rep"))
    assert result.err == f"rep2 is on the team of customer {cid} with read access.\n"
    ok(crm("customer", "team", "add", "Acme", "west", "--access", "write", user="mgr"))
    ok(crm("customer", "team", "add", cid, "rep2", "--access", "write", user="rep"))
    assert team(session, cid) == {org["rep2"]: "write", org["west"]: "write"}
    rows = ok(crm("customer", "team", "list", cid, "--format", "tsv", user="rep")).rows()
    assert rows == [["login", "name", "access"], ["rep2", "Rep Li", "write"], ["west", "Rep West", "write"]]
    ok(crm("customer", "team", "remove", cid, "west", user="rep"))
    assert team(session, cid) == {org["rep2"]: "write"}
    assert [e.changes for e in log(session) if e.action.startswith("customer.team")] == [
        {"team.rep2": [None, "read"]}, {"team.west": [None, "write"]}, {"team.rep2": ["read", "write"]},
        {"team.west": ["write", None]}]


def test_team_refusals(crm, session, org):
    cid = customer_id(crm, "Acme", user="rep")
    before = snapshot(session)
    cases = [
        ((cid, "rep"), "add", "rep", 6, f"crm: error: rep owns customer {cid}: the owner is not a team member\n"),
        ((cid, "gone"), "add", "rep", 6, "crm: error: user 'gone' is disabled\n"),
        ((cid, "rep2", "--access", "admin"), "add", "rep", 6,
         "crm: error: unknown access 'admin' (hint: one of: read, write)\n"),
        ((cid, "rep2"), "remove", "rep", 6, f"crm: error: rep2 is not on the team of customer {cid}\n"),
        ((cid, "rep2"), "add", "rep2", 3, None),
    ]
    for args, verb, actor, code, err in cases:
        result = crm("customer", "team", verb, *args, user=actor)
        assert_refused(result, code, err or "crm: error: no customer", exact=err is not None)
    assert snapshot(session) == before


# --- lock ------------------------------------------------------------------------------------------


def test_lock_and_unlock(crm, session, book):
    before = snapshot(session)
    assert_refused(crm("customer", "lock", book["R"], user="rep"), 4,
                   "crm: error: rep may not customer.lock (hint: an administrator can grant it: crm role grant ROLE "
                   "customer.lock)\n")
    assert snapshot(session) == before
    result = ok(crm("customer", "lock", book["R"], book["R2"], user="mgr"))
    assert result.err == "2 customers locked.\n"
    assert customer(session, book["R"]).locked is True
    assert listed(crm, "customer", "--locked") == [2, 1]
    ok(crm("customer", "unlock", book["R"], user="mgr"))
    assert listed(crm, "customer", "--locked") == [2]
    assert [(e.action, e.record_id) for e in log(session) if e.action in ("customer.lock", "customer.unlock")] == [
        ("customer.lock", 1), ("customer.lock", 2), ("customer.unlock", 1)]


# --- hand-over ---------------------------------------------------------------------------------------


def test_disabling_a_user_hands_over_customers_and_contacts(crm, session, org):
    cid = customer_id(crm, "Acme", user="rep")
    cont = contact_id(crm, "Li Na", cid, user="rep")
    refused = crm("user", "disable", "rep")
    assert (refused.code, refused.err) == (5, "crm: error: rep still owns records (1 customer, 1 contact) (hint: add "
                                              "--handover-to LOGIN to move them, or --keep-records to leave them)\n")
    ok(crm("user", "disable", "rep", "--handover-to", "rep2"))
    assert customer(session, cid).owner_id == org["rep2"]
    assert customer(session, cid).owned_since == at(NOW)
    assert contact(session, cont).owner_id == org["rep2"]
    assert log(session, "user.disable")[-1].changes["handed_over"] == [None, {"customer": 1, "contact": 1}]
    assert [e.record_id for e in log(session, "customer.handover")] == [cid]


def test_the_customer_table_is_not_written_by_reads(crm, session, book):
    """list, show and dupes are read-only units of work."""
    before = snapshot(session)
    for args in (("list",), ("show", book["R"]), ("dupes",), ("team", "list", book["R"])):
        ok(crm("customer", *args))
    assert snapshot(session) == before
    assert Customer.__tablename__ == "customer"
