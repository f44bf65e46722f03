"""``crm pool``: pools, members, rules, claim/assign/return (customers and leads), explain, simulate, warn,
recycle, ``crm customer list --recycle-within``, and every bad input of the public-pool issue.

Races between processes are in test_pool_concurrency.py.  Every test runs on SQLite and, with
CRM_TEST_DATABASE_URL, on PostgreSQL.
"""

from __future__ import annotations

import pytest
from sqlalchemy import update

from crmcli.store.models import Customer, Lead
from crmcli.store.models.pool import Pool, PoolRule
from tests.commands._customer_org import NOW, at, customer, customer_id, lead, log, ok, org  # noqa: F401
from tests.commands._org import snapshot
from tests.commands.test_bad_input import assert_refused

LATER = "2026-12-21T10:00:00+00:00"  # 31 days after NOW


@pytest.fixture(autouse=True)
def fixed_now(monkeypatch):
    monkeypatch.setenv("CRM_NOW", NOW)


@pytest.fixture
def clock(monkeypatch):
    """``clock(iso)`` moves CRM_NOW."""
    return lambda when: monkeypatch.setenv("CRM_NOW", when)


@pytest.fixture
def unchanged(session):
    before = snapshot(session)

    def check() -> None:
        assert snapshot(session) == before

    return check


def pooled(crm, owner: str = "rep", n: int = 1, *names: str) -> list[int]:
    """Customers made by ``owner`` and returned to the default pool."""
    ids = [customer_id(crm, name, user=owner) for name in (names or [f"Pooled {i}" for i in range(n)])]
    ok(crm("pool", "return", *ids, "--reason", "no budget this year", user=owner))
    return ids


def set_customer(session, cid: int, **values) -> None:
    with session() as s:
        s.execute(update(Customer).where(Customer.id == cid).values(**values))
        s.commit()


def ids_of(result) -> list[int]:
    return [int(x) for x in ok(result).out.split()]


# --- the default pools ----------------------------------------------------------------------------


def test_a_new_database_has_the_default_pools_and_rules(crm, session):
    rows = ok(crm("pool", "list", "--format", "tsv")).rows()
    assert rows == [["id", "name", "kind", "default", "department", "records", "admin"],
                    ["1", "Public pool", "customer", "true", "", "0", "true"],
                    ["2", "Lead pool", "lead", "true", "", "0", "true"]]
    data = ok(crm("pool", "rule", "show", "--json")).json()
    assert data == {"pool": "Public pool", "pool_id": 1, "tiers": {}, "rule": {
        "followup_days": 30, "followup_via": "phone,email,visit,sms,wechat", "min_note": 6, "deal_days": 90,
        "exempt_locked": True, "exempt_deal": False, "warn_days": 3, "max_owned": 0, "max_claims_per_day": 0,
        "reclaim_days": 7}}
    lead_rule = ok(crm("pool", "rule", "show", "--pool", "Lead pool", "--json")).json()
    assert lead_rule["rule"] == {"max_owned": 0, "max_claims_per_day": 0, "reclaim_days": 7}


def test_a_chinese_database_names_them_in_chinese(empty_db_url, monkeypatch):
    from tests.conftest import run_crm

    monkeypatch.setenv("CRM_LANG", "zh_CN")
    assert run_crm(["--db", empty_db_url, "init", "--admin", "admin"]).code == 0
    monkeypatch.setenv("CRM_LANG", "en")
    out = run_crm(["--db", empty_db_url, "--user", "admin", "pool", "list", "--format", "ids"])
    names = run_crm(["--db", empty_db_url, "--user", "admin", "pool", "list", "--json"]).json()
    assert out.out.split() == ["1", "2"]
    assert [p["name"] for p in names] == ["公海", "线索池"]


# --- return, claim, assign ------------------------------------------------------------------------


def test_return_then_claim(crm, org, session):
    cid = customer_id(crm, "Acme", user="rep")
    result = ok(crm("pool", "return", cid, "--reason", "no budget this year", user="rep"))
    assert result.err == "Returned 1 customer to Public pool.\n"
    row = customer(session, cid)
    assert (row.owner_id, row.prev_owner_id, row.pool_id, row.pooled_at, row.owned_since) == (
        None, org["rep"], 1, at(NOW), None)
    [entry] = log(session, "customer.return")
    assert (entry.actor_login, entry.record_id, entry.reason, entry.changes) == (
        "rep", cid, "no budget this year", {"owner_id": [org["rep"], None], "pool_id": [None, 1]})

    listed = ok(crm("pool", "customers", "--format", "tsv", user="rep2")).rows()
    assert listed == [["id", "name", "tier", "industry", "region", "pool", "pooled_at", "days_in_pool", "prev_owner",
                       "last_followup_at"],
                      [str(cid), "Acme", "", "", "", "Public pool", NOW, "0", "rep", ""]]

    result = ok(crm("pool", "claim", cid, user="rep2"))
    assert result.err == "Claimed 1 customer.\n"
    row = customer(session, cid)
    assert (row.owner_id, row.owned_since, row.pooled_at, row.pool_id) == (org["rep2"], at(NOW), None, 1)
    [entry] = log(session, "customer.claim")
    assert (entry.actor_login, entry.record_id, entry.changes, entry.reason) == (
        "rep2", cid, {"owner_id": [None, org["rep2"]]}, "pool: Public pool")
    assert ids_of(crm("pool", "customers", "--format", "ids", user="rep2")) == []


def test_a_pooled_customer_is_claimed_by_its_name(crm, org, session):
    cid = customer_id(crm, "Acme", user="rep")
    ok(crm("pool", "return", "Acme", "--reason", "no budget this year", user="rep"))
    assert customer(session, cid).owner_id is None
    assert ok(crm("pool", "claim", "Acme", user="rep2")).err == "Claimed 1 customer.\n"
    assert customer(session, cid).owner_id == org["rep2"]


def test_a_name_that_fits_several_customers_is_refused(crm, org, session):
    crm("customer", "add", "Acme", user="rep")
    crm("customer", "add", "Acme", "--allow-duplicate", user="rep2")
    before = snapshot(session)
    assert_refused(crm("pool", "claim", "Acme", user="rep"), 6,
                   "crm: error: 'Acme' could mean several customer records: #1, #2 (hint: name it by id instead)\n")
    assert snapshot(session) == before


def test_days_in_the_pool(crm, org, clock):
    cid = pooled(crm)[0]
    clock("2026-11-25T09:00:00+00:00")
    data = ok(crm("pool", "customers", "--json", user="rep2")).json()
    assert [(d["id"], d["days_in_pool"], d["prev_owner"]) for d in data] == [(cid, 4, "rep")]


def test_batch_claim_with_ids_on_stdin(crm, org, session):
    ids = pooled(crm, "rep", 3)
    result = ok(crm("pool", "claim", "-", "--format", "ids", user="rep2", stdin=" ".join(map(str, ids))))
    assert result.out.split() == [str(i) for i in ids]
    assert [customer(session, i).owner_id for i in ids] == [org["rep2"]] * 3
    assert len(log(session, "customer.claim")) == 3


def test_a_manager_assigns_from_the_pool(crm, org, session):
    cid = pooled(crm)[0]
    # the public pool is the whole company's: a department-scoped pool.admin does not administer it …
    before = snapshot(session)
    assert_refused(crm("pool", "assign", cid, "--to", "rep2", user="mgr"), 4,
                   f"crm: error: mgr is not an administrator of pool Public pool, which holds customer {cid} "
                   "(hint: members claim with crm pool claim; administrators assign)\n")
    assert snapshot(session) == before
    # … until listed as one of its administrators
    ok(crm("pool", "members", "Public pool", "--admin", "mgr"))
    result = ok(crm("pool", "assign", cid, "--to", "rep2", "--reason", "east region", user="mgr"))
    assert result.err == "Assigned 1 customer to rep2.\n"
    row = customer(session, cid)
    assert (row.owner_id, row.owned_since) == (org["rep2"], at(NOW))
    [entry] = log(session, "customer.assign")
    assert (entry.actor_login, entry.changes, entry.reason) == ("mgr", {"owner_id": [None, org["rep2"]]},
                                                                "east region")


def test_return_to_a_named_pool(crm, org, session):
    ok(crm("pool", "add", "East pool", "--dept", "East"))
    cid = customer_id(crm, "Acme", user="rep")
    ok(crm("pool", "return", cid, "--reason", "later", "--pool", "East pool", user="rep"))
    assert customer(session, cid).pool_id == 3
    assert ids_of(crm("pool", "customers", "East pool", "--format", "ids", user="rep2")) == [cid]
    assert ids_of(crm("pool", "customers", "Public pool", "--format", "ids", user="rep2")) == []
    # the west rep is not a member of the East pool
    assert ids_of(crm("pool", "customers", "--format", "ids", user="west")) == []
    assert_refused(crm("pool", "claim", cid, user="west"), 4,
                   f"crm: error: customer {cid} is in pool East pool, and west is not a member of it "
                   "(hint: crm pool list shows your pools)\n")
    ok(crm("pool", "claim", cid, user="rep2"))
    assert customer(session, cid).pool_id == 3  # its home pool stays


# --- claim limits ---------------------------------------------------------------------------------


def test_max_owned(crm, org, session, unchanged):
    ok(crm("pool", "rule", "set", "max_owned=2"))
    customer_id(crm, "Mine", user="rep2")
    ids = pooled(crm, "rep", 2)
    check = snapshot(session)
    result = crm("pool", "claim", *ids, user="rep2")
    assert_refused(result, 5, "crm: error: rep2 owns 1 customer records; pool Public pool allows at most 2, and this "
                              "would make 3 (hint: return some first: crm pool return IDS --reason …)\n")
    assert snapshot(session) == check
    ok(crm("pool", "claim", ids[0], user="rep2"))
    # assignments count too
    assert_refused(crm("pool", "assign", ids[1], "--to", "rep2"), 5,
                   "crm: error: rep2 owns 2 customer records", exact=False)


def test_claims_per_day(crm, org, session, clock):
    ok(crm("pool", "rule", "set", "max_claims_per_day=2"))
    ids = pooled(crm, "rep", 4)
    ok(crm("pool", "claim", ids[0], user="rep2"))
    check = snapshot(session)
    assert_refused(crm("pool", "claim", ids[1], ids[2], user="rep2"), 5,
                   "crm: error: rep2 has claimed 1 today; pool Public pool allows 2 claims a day (hint: try again "
                   "tomorrow)\n")
    assert snapshot(session) == check
    ok(crm("pool", "claim", ids[1], user="rep2"))
    assert_refused(crm("pool", "claim", ids[2], user="rep2"), 5, "crm: error: rep2 has claimed 2 today", exact=False)
    clock("2026-11-21T00:30:00+00:00")  # a new day (UTC)
    ok(crm("pool", "claim", ids[2], user="rep2"))


def test_the_previous_owner_waits_before_claiming_again(crm, org, clock):
    cid = pooled(crm)[0]
    assert_refused(crm("pool", "claim", cid, user="rep"), 5,
                   f"crm: error: rep had customer {cid} until 2026-11-20: pool Public pool lets a previous owner claim "
                   "it again only after 7 days (hint: from 2026-11-27)\n")
    clock("2026-11-27T10:00:00+00:00")
    ok(crm("pool", "claim", cid, user="rep"))


def test_limits_are_per_pool_rules(crm, org):
    ok(crm("pool", "rule", "set", "reclaim_days=0"))
    cid = pooled(crm)[0]
    ok(crm("pool", "claim", cid, user="rep"))


# --- bad moves ------------------------------------------------------------------------------------


def test_claiming_an_owned_customer(crm, org, session):
    cid = customer_id(crm, "Acme", user="rep")
    before = snapshot(session)
    # outside rep2's scope it reads as not found: the owner is not revealed
    assert_refused(crm("pool", "claim", cid, user="rep2"), 3, f"crm: error: no customer {cid}\n")
    assert_refused(crm("pool", "claim", cid, user="mgr"), 5,
                   f"crm: error: customer {cid} is not in a pool: it belongs to rep\n")
    assert snapshot(session) == before


@pytest.mark.parametrize("args, code, err", [
    (("pool", "claim", "99"), 3, "crm: error: no customer 99\n"),
    (("pool", "claim", "Ghost Ltd"), 3, "crm: error: no customer named 'Ghost Ltd'\n"),
    (("pool", "claim", "Acme"), 5, "crm: error: customer 1 is not in a pool: it belongs to admin\n"),
    (("pool", "claim", "--leads", "99"), 3, "crm: error: no lead 99\n"),
    (("pool", "return", "99", "--reason", "x"), 3, "crm: error: no customer 99\n"),
    (("pool", "return", "1", "--reason", "  "), 6, "crm: error: say why with --reason\n"),
    (("pool", "return", "1", "--reason", "x", "--pool", "ghost"), 3, "crm: error: no pool named 'ghost'\n"),
    (("pool", "return", "1", "--reason", "x", "--pool", "Lead pool"), 6,
     "crm: error: pool Lead pool holds leads, not customers\n"),
    (("pool", "assign", "1", "--to", "ghost"), 3, "crm: error: no user named 'ghost'\n"),
    (("pool", "recycle", "--pool", "ghost"), 3, "crm: error: no pool named 'ghost'\n"),
    (("pool", "recycle", "--pool", "Lead pool"), 6, "crm: error: pool Lead pool holds leads, not customers\n"),
    (("pool", "customers", "ghost"), 3, "crm: error: no pool named 'ghost'\n"),
    (("pool", "explain", "99"), 3, "crm: error: no customer 99\n"),
])
def test_bad_references(crm, org, session, args, code, err):
    customer_id(crm, "Acme", user="admin")
    before = snapshot(session)
    assert_refused(crm(*args), code, err)
    assert snapshot(session) == before


def test_assigning_without_being_a_pool_administrator(crm, org, session):
    cid = pooled(crm)[0]
    before = snapshot(session)
    assert_refused(crm("pool", "assign", cid, "--to", "rep2", user="rep"), 4,
                   "crm: error: rep may not customer.assign (hint: an administrator can grant it: crm role grant ROLE "
                   "customer.assign)\n")
    # the sales manager administers pools of departments in their scope, not Marketing's
    ok(crm("pool", "add", "Marketing pool", "--dept", "Marketing"))
    ok(crm("pool", "members", "Marketing pool", "--add", "rep2"))
    other = customer_id(crm, "Globex", user="rep")
    ok(crm("pool", "return", other, "--reason", "x", "--pool", "Marketing pool", user="rep"))
    before = snapshot(session)
    assert_refused(crm("pool", "assign", other, "--to", "rep2", user="mgr"), 4,
                   f"crm: error: mgr is not an administrator of pool Marketing pool, which holds customer {other} "
                   "(hint: members claim with crm pool claim; administrators assign)\n")
    assert snapshot(session) == before
    # a listed administrator may
    ok(crm("pool", "members", "Marketing pool", "--admin", "mgr"))
    ok(crm("pool", "assign", other, "--to", "rep2", user="mgr"))


def test_assigning_to_someone_outside_the_pool(crm, org, session):
    ok(crm("pool", "add", "East pool", "--dept", "East"))
    cid = customer_id(crm, "Acme", user="rep")
    ok(crm("pool", "return", cid, "--reason", "x", "--pool", "East pool", user="rep"))
    before = snapshot(session)
    assert_refused(crm("pool", "assign", cid, "--to", "west", user="mgr"), 6,
                   "crm: error: west is not a member of pool East pool (hint: add them first: crm pool members 3 "
                   "--add west)\n")
    assert snapshot(session) == before


def test_returning_someone_elses_customer(crm, org, session):
    cid = customer_id(crm, "Acme", user="rep")
    before = snapshot(session)
    # rep2 cannot even see it
    assert_refused(crm("pool", "return", cid, "--reason", "x", user="rep2"), 3, f"crm: error: no customer {cid}\n")
    # the manager sees it but is not its owner
    assert_refused(crm("pool", "return", cid, "--reason", "x", user="mgr"), 4,
                   f"crm: error: customer {cid} belongs to rep: only its owner can return it (hint: an administrator "
                   "moves other people's records with crm customer transfer)\n")
    assert snapshot(session) == before


def test_returning_a_pooled_customer(crm, org, session):
    cid = pooled(crm)[0]
    before = snapshot(session)
    assert_refused(crm("pool", "return", cid, "--reason", "x"), 5,
                   f"crm: error: customer {cid} is already in pool Public pool\n")
    assert snapshot(session) == before


def test_a_batch_is_all_or_nothing(crm, org, session):
    ids = pooled(crm, "rep", 2)
    owned = customer_id(crm, "Owned", user="rep")
    before = snapshot(session)
    assert_refused(crm("pool", "claim", ids[0], owned, ids[1], user="mgr"), 5,
                   f"crm: error: customer {owned} is not in a pool: it belongs to rep\n")
    assert snapshot(session) == before


# --- pools and members ----------------------------------------------------------------------------


def test_add_a_department_pool_and_its_members(crm, org, session):
    result = ok(crm("pool", "add", "East pool", "--dept", "East", "--description", "华东", "--json"))
    assert result.json() == {"id": 3, "name": "East pool", "kind": "customer", "default": False,
                             "department": "Office / Sales / East", "everyone": False, "members": 1, "records": 0,
                             "admin": True, "description": "华东"}
    ok(crm("pool", "members", "East pool", "--add", "west", "--admin", "mgr"))
    rows = ok(crm("pool", "members", "3", "--format", "tsv", user="rep")).rows()
    assert rows == [["type", "name", "full_name", "role"], ["user", "mgr", "Manager Ma", "admin"],
                    ["user", "west", "Rep West", "member"], ["dept", "Office / Sales / East", "", "member"]]
    ok(crm("pool", "members", "East pool", "--remove", "west"))
    assert [e.changes for e in log(session, "pool.members")] == [
        {"user.west": [None, "member"], "user.mgr": [None, "admin"]}, {"user.west": ["member", None]}]
    # its rules start as a copy of the default pool's
    with session() as s:
        assert s.get(PoolRule, (3, "*")).followup_days == 30
    assert [p["name"] for p in ok(crm("pool", "list", "--json", user="rep")).json()] == [
        "Public pool", "East pool", "Lead pool"]
    assert_refused(crm("pool", "list", user="mk"), 4, "crm: error: mk may not pool.view", exact=False)


def test_edit_a_pool(crm, org, session):
    ok(crm("pool", "add", "East pool"))
    data = ok(crm("pool", "edit", "East pool", "--name", "华东公海", "--everyone", "--default", "--json")).json()
    assert (data["name"], data["everyone"], data["default"]) == ("华东公海", True, True)
    with session() as s:
        assert not s.get(Pool, 1).is_default
    # returns now go to the new default
    cid = customer_id(crm, "Acme", user="rep")
    ok(crm("pool", "return", cid, "--reason", "x", user="rep"))
    assert customer(session, cid).pool_id == 3


@pytest.mark.parametrize("args, code, err", [
    (("pool", "add", "Public pool"), 5, "crm: error: a pool named 'Public pool' already exists (id 1)\n"),
    (("pool", "add", " "), 6, "crm: error: a pool needs a name\n"),
    (("pool", "add", "42"), 6, "crm: error: a pool name may not be a number (numbers are pool ids)\n"),
    (("pool", "add", "X", "--dept", "Nowhere"), 3, "crm: error: no department named 'Nowhere'\n"),
    (("pool", "members", "1", "--add", "ghost"), 3, "crm: error: no user named 'ghost'\n"),
    (("pool", "members", "1", "--remove", "rep"), 6, "crm: error: rep is not on the member list of pool Public pool\n"),
    (("pool", "edit", "ghost", "--name", "X"), 3, "crm: error: no pool named 'ghost'\n"),
])
def test_bad_pool_changes(crm, org, session, args, code, err):
    before = snapshot(session)
    assert_refused(crm(*args), code, err)
    assert snapshot(session) == before


def test_only_pool_administrators_change_pools(crm, org, session):
    before = snapshot(session)
    assert_refused(crm("pool", "add", "Mine", user="rep"), 4, "crm: error: rep may not pool.admin", exact=False)
    assert_refused(crm("pool", "rule", "set", "followup_days=5", user="rep"), 4, "crm: error: rep may not pool.admin",
                   exact=False)
    assert_refused(crm("pool", "recycle", user="rep"), 4, "crm: error: rep may not pool.admin", exact=False)
    assert snapshot(session) == before


# --- rules ----------------------------------------------------------------------------------------


def test_set_rules_and_tier_overrides(crm, org, session):
    ok(crm("pool", "rule", "set", "followup_days=45", "deal_days=off", "followup_via=visit,phone", "min_note=10",
           "exempt_deal=yes"))
    ok(crm("pool", "rule", "set", "--tier", "a", "followup_days=60", "warn_days=7"))
    data = ok(crm("pool", "rule", "show", "--json")).json()
    assert data["rule"]["followup_days"] == 45 and data["rule"]["deal_days"] == 0
    assert data["rule"]["followup_via"] == "phone,visit" and data["rule"]["exempt_deal"] is True
    assert data["tiers"] == {"A": {"followup_days": 60, "warn_days": 7}}
    rows = ok(crm("pool", "rule", "show", "--format", "tsv")).rows()
    assert rows[0] == ["rule", "value", "tier_A", "meaning"]
    assert rows[1][:3] == ["followup_days", "45", "60"]
    entries = log(session, "pool.rule")
    assert entries[0].changes["followup_days"] == [30, 45]
    assert entries[1].changes == {"A.followup_days": [None, 60], "A.warn_days": [None, 7]}
    assert entries[1].record_label == "Public pool [A]"
    ok(crm("pool", "rule", "set", "--tier", "A", "followup_days=inherit", "warn_days=inherit"))
    assert ok(crm("pool", "rule", "show", "--json")).json()["tiers"] == {}


@pytest.mark.parametrize("args, err", [
    (("followup_days=-5",), "crm: error: followup_days cannot be negative (-5)\n"),
    (("deal_days=99999",), "crm: error: deal_days = 99999 is more than the most allowed (3650)\n"),
    (("warn_days=400",), "crm: error: warn_days = 400 is more than the most allowed (365)\n"),
    (("followup_days=soon",), "crm: error: followup_days must be a whole number, not 'soon'\n"),
    (("colour=blue",), "crm: error: unknown rule 'colour' (hint: one of: followup_days, followup_via, min_note, "
                       "deal_days, exempt_locked, exempt_deal, warn_days, max_owned, max_claims_per_day, "
                       "reclaim_days)\n"),
    (("followup_via=fax",), "crm: error: unknown follow-up method 'fax' (hint: one or more of: phone, email, visit, "
                            "sms, wechat, other)\n"),
    (("exempt_locked=maybe",), "crm: error: exempt_locked must be yes or no, not 'maybe'\n"),
    (("followup_days",), "crm: error: 'followup_days' is not RULE=VALUE (hint: for example followup_days=30 or "
                         "exempt_locked=yes)\n"),
    (("--tier", "A", "max_owned=5"), "crm: error: max_owned apply to the whole pool, not to one tier (hint: set them "
                                     "without --tier)\n"),
    (("--pool", "Lead pool", "followup_days=5"), "crm: error: the lead pool has claim limits only, no recycling rules "
                                                 "(hint: one of: max_owned, max_claims_per_day, reclaim_days)\n"),
    (("--tier", "A B", "followup_days=5"), "crm: error: 'A B' is not a tier", ),
    (("--pool", "ghost", "followup_days=5"), "crm: error: no pool named 'ghost'\n"),
    (("followup_days=20", "deal_days=-1"), "crm: error: deal_days cannot be negative (-1)\n"),
])
def test_bad_rules(crm, org, session, args, err):
    before = snapshot(session)
    result = crm("pool", "rule", "set", *args)
    code = 3 if "no pool named" in err else 6
    assert_refused(result, code, err, exact=err.endswith("\n"))
    assert snapshot(session) == before


# --- the recycle clock ----------------------------------------------------------------------------


@pytest.fixture
def book(crm, org, session, clock):
    """rep's customers at NOW, and what happened to them before LATER (31 days on):

    1 nothing · 2 a phone call with a real note on 12-05 · 3 a follow-up by 'other' on 12-05 ·
    4 a phone call noted 'ok' on 12-05 · 5 locked · 6 transferred to rep2 on 12-10 ·
    7 a visit noted on one of its contacts on 12-05
    """
    names = ["Nothing", "Called", "Other", "Short", "Locked", "Moved", "Contacted"]
    ids = {name: customer_id(crm, name, user="rep") for name in names}
    clock("2026-12-05T10:00:00+00:00")
    ok(crm("customer", "follow", ids["Called"], "--via", "phone", "--note", "discussed the renewal", user="rep"))
    ok(crm("customer", "follow", ids["Other"], "--via", "other", "--note", "saw them at the expo", user="rep"))
    ok(crm("customer", "follow", ids["Short"], "--via", "phone", "--note", "ok", user="rep"))
    ok(crm("customer", "lock", ids["Locked"], user="admin"))
    contact = ok(crm("contact", "add", "Li Lei", "--customer", ids["Contacted"], "--json", user="rep")).json()["id"]
    ok(crm("contact", "follow", contact, "--via", "visit", "--note", "visited the purchasing team", user="rep"))
    clock("2026-12-10T10:00:00+00:00")
    ok(crm("customer", "transfer", ids["Moved"], "--to", "rep2", user="mgr"))
    clock(LATER)
    return ids


def test_recycle_moves_what_the_rules_catch(crm, org, session, book):
    result = ok(crm("pool", "recycle"))
    assert result.out == "pool\ttier\trule\tcount\nPublic pool\t\tfollowup\t3\n"
    assert result.err == "Recycled 3 customers.\n"
    moved = [book["Nothing"], book["Other"], book["Short"]]
    for name, cid in book.items():
        row = customer(session, cid)
        if cid in moved:
            assert (row.owner_id, row.prev_owner_id, row.pool_id, row.pooled_at, row.owned_since) == (
                None, org["rep"], 1, at(LATER), None), name
        else:
            assert row.owner_id is not None, name
    entries = log(session, "customer.recycle")
    assert [(e.record_id, e.actor_login, e.reason, e.changes) for e in entries] == [
        (cid, "admin", "no qualifying follow-up for 30 days", {"owner_id": [org["rep"], None], "pool_id": [None, 1]})
        for cid in moved]
    # safe to run twice: the second run moves nothing and says nothing
    again = crm("pool", "recycle")
    assert (again.code, again.out, again.err) == (0, "", "")
    assert len(log(session, "customer.recycle")) == 3
    verbose = ok(crm("pool", "recycle", "--verbose"))
    assert (verbose.out, verbose.err) == ("", "Nothing to recycle.\n")


def test_recycle_json_and_dry_run(crm, session, book):
    before = snapshot(session)
    data = ok(crm("pool", "recycle", "--dry-run", "--json")).json()
    assert data == {"as_of": LATER, "dry_run": True, "moved": 3, "ids": [book["Nothing"], book["Other"], book["Short"]],
                    "rules": [{"pool": "Public pool", "tier": "*", "rule": "followup", "count": 3}]}
    assert snapshot(session) == before
    assert ok(crm("pool", "recycle", "--json")).json()["moved"] == 3
    assert ok(crm("pool", "recycle", "--json")).json() == {"as_of": LATER, "dry_run": False, "moved": 0, "ids": [],
                                                           "rules": []}


def test_simulate_changes_nothing(crm, session, book):
    before = snapshot(session)
    rows = ok(crm("pool", "simulate", "--format", "tsv")).rows()
    assert [r[0] for r in rows[1:]] == [str(book[n]) for n in ("Nothing", "Other", "Short")]
    # later, the others' clocks run out too (the locked one never)
    later = ok(crm("pool", "simulate", "--as-of", "2027-01-10", "--format", "ids")).out.split()
    assert later == [str(book[n]) for n in ("Nothing", "Called", "Other", "Short", "Moved", "Contacted")]
    # under a laxer rule every follow-up counts; and without the exemption the locked one goes too
    ids = ok(crm("pool", "simulate", "--set", "followup_via=any", "--set", "min_note=0", "--set", "exempt_locked=no",
                 "--format", "ids")).out.split()
    assert ids == [str(book[n]) for n in ("Nothing", "Locked")]
    err = crm("pool", "simulate", "--set", "followup_days=-3")
    assert_refused(err, 6, "crm: error: followup_days cannot be negative (-3)\n")
    assert snapshot(session) == before


def test_a_follow_up_or_a_transfer_resets_the_clock(crm, org, session, book):
    ok(crm("customer", "follow", book["Nothing"], "--via", "wechat", "--note", "sent the new catalogue", user="rep"))
    ok(crm("customer", "transfer", book["Short"], "--to", "rep2", user="mgr"))
    ok(crm("pool", "recycle"))
    assert [e.record_id for e in log(session, "customer.recycle")] == [book["Other"]]


def test_tier_overrides(crm, session, book):
    ok(crm("customer", "tier", "A", book["Nothing"], user="admin"))
    ok(crm("pool", "rule", "set", "--tier", "A", "followup_days=60"))
    ok(crm("pool", "recycle"))
    assert [e.record_id for e in log(session, "customer.recycle")] == [book["Other"], book["Short"]]


def test_the_deal_rule(crm, org, session, clock):
    ok(crm("pool", "rule", "set", "followup_days=off", "deal_days=20"))
    won = customer_id(crm, "Won", user="rep")
    old_deal = customer_id(crm, "Old deal", user="rep")
    none = customer_id(crm, "None", user="rep")
    set_customer(session, won, last_deal_at=at("2026-12-10T00:00:00+00:00"), deal_status="won")
    set_customer(session, old_deal, last_deal_at=at("2026-11-01T00:00:00+00:00"), deal_status="won")
    clock(LATER)
    assert ok(crm("pool", "recycle", "--dry-run", "--format", "ids")).out.split() == [str(old_deal), str(none)]
    ok(crm("pool", "rule", "set", "exempt_deal=yes"))
    ok(crm("pool", "recycle"))
    [entry] = log(session, "customer.recycle")
    assert (entry.record_id, entry.reason) == (none, "no deal for 20 days")


def test_a_department_pool_is_its_customers_home(crm, org, session, clock):
    ok(crm("pool", "add", "East pool", "--dept", "East"))
    ok(crm("pool", "rule", "set", "--pool", "East pool", "followup_days=10"))
    east = customer_id(crm, "East customer", user="rep")
    west = customer_id(crm, "West customer", user="west")
    clock("2026-12-02T10:00:00+00:00")  # 12 days on: only the East pool's rule has run out
    ok(crm("pool", "recycle"))
    assert customer(session, east).pool_id == 3 and customer(session, east).owner_id is None
    assert customer(session, west).owner_id == org["west"]
    clock(LATER)
    assert ok(crm("pool", "recycle", "--pool", "East pool", "--format", "ids")).out == ""
    ok(crm("pool", "recycle", "--pool", "Public pool"))
    assert customer(session, west).pool_id == 1


def test_explain(crm, org, session, book):
    data = ok(crm("pool", "explain", book["Called"], "--json", user="rep")).json()
    assert {k: data[k] for k in ("pool", "rule", "received_at", "last_followup_at", "followup_due_at", "deal_due_at",
                                 "exemptions", "due_at", "days_left", "reason")} == {
        "pool": "Public pool", "rule": "*", "received_at": NOW, "last_followup_at": "2026-12-05T10:00:00+00:00",
        "followup_due_at": "2027-01-04T10:00:00+00:00", "deal_due_at": "2027-02-18T10:00:00+00:00",
        "exemptions": [], "due_at": "2027-01-04T10:00:00+00:00", "days_left": 14, "reason": "followup"}
    text = ok(crm("pool", "explain", book["Called"], "--format", "plain", user="rep")).out
    assert "last qualifying follow-up  2026-12-05 10:00 (#1, phone)" in text
    assert "verdict                    recycled to Public pool on 2027-01-04 10:00 (no follow-up) unless followed " \
           "up; the owner is warned 3 days before" in text
    locked = ok(crm("pool", "explain", book["Locked"], "--json", user="rep")).json()
    assert (locked["exemptions"], locked["due_at"], locked["days_left"]) == (["locked"], None, None)
    assert "never recycled while it is locked" in locked["verdict"]
    short = ok(crm("pool", "explain", book["Short"], "--json", user="rep")).json()
    assert (short["last_followup_at"], short["days_left"], short["verdict"]) == (
        None, -1, "due: the next recycle run returns it to Public pool (no follow-up)")
    ok(crm("pool", "recycle"))
    pooled_view = ok(crm("pool", "explain", book["Short"], "--json", user="rep2")).json()
    assert (pooled_view["owner"], pooled_view["verdict"], pooled_view["days_in_pool"]) == (None, "pooled", 0)
    # outside one's scope: not found
    assert_refused(crm("pool", "explain", book["Called"], user="rep2"), 3, f"crm: error: no customer {book['Called']}\n")


def test_customer_list_recycle_within_and_days_left(crm, org, book, clock):
    clock("2026-12-30T10:00:00+00:00")  # Called is due 01-04, Moved 01-09, Contacted 01-04
    rows = ok(crm("customer", "list", "--owner", "rep", "--recycle-within", "7d", "--sort", "id", "--format", "tsv",
                  user="rep")).rows()
    assert rows[0] == ["id", "name", "tier", "status", "owner", "phone", "locked", "last_followup_at", "recycle_at",
                       "days_left", "recycle_reason"]
    assert [(r[0], r[8], r[9], r[10]) for r in rows[1:]] == [
        (str(book[n]), due, left, "followup") for n, due, left in (
            ("Nothing", "2026-12-20T10:00:00+00:00", "-10"), ("Called", "2027-01-04T10:00:00+00:00", "5"),
            ("Other", "2026-12-20T10:00:00+00:00", "-10"), ("Short", "2026-12-20T10:00:00+00:00", "-10"),
            ("Contacted", "2027-01-04T10:00:00+00:00", "5"))]
    short = ok(crm("customer", "list", "--recycle-within", "2d", "--format", "ids", user="rep")).out.split()
    assert sorted(map(int, short)) == sorted(book[n] for n in ("Nothing", "Other", "Short"))
    data = ok(crm("customer", "list", "--days-left", "--json", "--sort", "id", user="admin")).json()
    assert [(d["id"], d["days_left"], d["recycle_reason"]) for d in data][4:6] == [
        (book["Locked"], None, "locked"), (book["Moved"], 10, "followup")]
    assert_refused(crm("customer", "list", "--recycle-within", "soon"), 6,
                   "crm: error: cannot read the duration 'soon' (hint: for example 30m, 12h, 7d, 2w or 1mo (m is minutes, mo months))\n")


def test_warn(crm, org, book, clock):
    clock("2027-01-02T10:00:00+00:00")  # Called and Contacted are due 01-04: within the 3 warning days
    rows = ok(crm("pool", "warn", "--format", "tsv", user="mgr")).rows()
    assert rows[0] == ["owner", "id", "name", "pool", "due_at", "days_left", "reason"]
    body = [(r[0], r[1], r[5]) for r in rows[1:]]
    assert ("rep", str(book["Called"]), "2") in body and ("rep", str(book["Contacted"]), "2") in body
    assert ("rep2", str(book["Moved"]), "7") not in body
    assert any(r[1] == str(book["Moved"]) for r in ok(crm("pool", "warn", "--within", "8d", "--format", "tsv",
                                                          user="mgr")).rows()[1:])
    assert ok(crm("pool", "warn", "--owner", "me", "--format", "ids", user="rep2")).out == ""


# --- the lead pool --------------------------------------------------------------------------------


def test_the_lead_pool(crm, org, session, clock):
    made = ok(crm("lead", "add", "Zhang Wei", "--company", "Acme", "--owner", "none", "--json", user="mgr")).json()
    mine = ok(crm("lead", "add", "Li Na", "--json", user="rep")).json()
    rows = ok(crm("pool", "leads", "--format", "tsv", user="rep2")).rows()
    assert rows[0] == ["id", "name", "company", "source", "pool", "pooled_at", "days_in_pool", "prev_owner",
                       "last_followup_at"]
    assert [r[:5] for r in rows[1:]] == [[str(made["id"]), "Zhang Wei", "Acme", "", "Lead pool"]]
    ok(crm("pool", "claim", "--leads", made["id"], user="rep2"))
    assert lead(session, made["id"]).owner_id == org["rep2"]
    [entry] = log(session, "lead.claim")
    assert entry.changes == {"owner_id": [None, org["rep2"]]}
    ok(crm("pool", "return", "--leads", mine["id"], "--reason", "wrong region", user="rep"))
    row = lead(session, mine["id"])
    assert (row.owner_id, row.prev_owner_id, row.pooled_at) == (None, org["rep"], at(NOW))
    assert_refused(crm("pool", "claim", "--leads", mine["id"], user="rep"), 5,
                   f"crm: error: rep had lead {mine['id']} until 2026-11-20", exact=False)
    ok(crm("pool", "assign", "--leads", mine["id"], "--to", "rep2"))  # the lead pool is the company's: admin
    assert lead(session, mine["id"]).owner_id == org["rep2"]
    assert [e.action for e in log(session) if e.record_type == "lead"][-3:] == ["lead.claim", "lead.return",
                                                                                 "lead.assign"]


def test_lead_pool_bad_moves(crm, org, session):
    made = ok(crm("lead", "add", "Zhang Wei", "--owner", "none", "--json")).json()
    ok(crm("lead", "invalidate", made["id"], "--reason", "spam"))
    before = snapshot(session)
    assert_refused(crm("pool", "claim", "--leads", made["id"], user="rep"), 6,
                   f"crm: error: lead {made['id']} is invalid: it cannot be claimed\n")
    assert_refused(crm("pool", "claim", "--leads", made["id"], user="cs"), 4,
                   "crm: error: cs may not lead.claim", exact=False)
    assert snapshot(session) == before


def test_lead_pool_limits(crm, org):
    ok(crm("pool", "rule", "set", "--pool", "Lead pool", "max_owned=1"))
    a = ok(crm("lead", "add", "A", "--owner", "none", "--json")).json()["id"]
    b = ok(crm("lead", "add", "B", "--owner", "none", "--json")).json()["id"]
    ok(crm("pool", "claim", "--leads", a, user="rep"))
    assert_refused(crm("pool", "claim", "--leads", b, user="rep"), 5,
                   "crm: error: rep owns 1 lead records; pool Lead pool allows at most 1", exact=False)
