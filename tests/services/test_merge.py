"""``crm customer merge KEEP DROP``: everything moves to KEEP, DROP is marked merged, and no field value is
lost silently — conflicts are shown and refused (exit 5) unless --prefer keep|drop."""

from __future__ import annotations

import pytest

from crmcli.services import merge
from tests.commands._customer_org import (NOW, contact, contact_id, customer, customer_id, followups, lead, listed,
                                          log, ok, org, tags, team)  # noqa: F401 (org: fixture)
from tests.commands._org import snapshot
from tests.commands.test_bad_input import assert_refused


@pytest.fixture(autouse=True)
def fixed_now(monkeypatch):
    monkeypatch.setenv("CRM_NOW", NOW)


@pytest.fixture
def pair(crm, session, org) -> tuple[int, int]:
    """KEEP (rep's) and DROP (rep2's), both in East, with contacts, follow-ups, tags, a team and a lead."""
    keep = customer_id(crm, "Acme Co., Ltd.", "--phone", "010-88886666", "--tier", "A", "--tag", "vip", user="rep")
    drop = customer_id(crm, "ACME Limited", "--phone", "+86 10 8888 6666", "--email", "info@acme.com", "--region",
                       "Beijing", "--tier", "B", "--tag", "old,vip", "--allow-duplicate", user="rep2")
    contact_id(crm, "Keep Person", keep, user="rep")
    contact_id(crm, "Drop Person", drop, user="rep2")
    ok(crm("customer", "follow", drop, "--via", "phone", "--note", "called", user="rep2"))
    ok(crm("customer", "team", "add", drop, "west", "--access", "read", user="rep2"))
    lid = ok(crm("lead", "add", "Zhao", "--email", "info@acme.com", "--json", user="rep2")).json()["id"]
    ok(crm("lead", "convert", lid, user="rep2"))
    assert (keep, drop) == (1, 2)
    return keep, drop


def test_conflicts_are_shown_and_refused(crm, session, pair):
    keep, drop = pair
    before = snapshot(session)
    result = crm("customer", "merge", keep, drop, "--yes", user="mgr")
    # the phones are the same number written two ways: not a conflict
    assert_refused(result, 5, "crm: error: customers 1 and 2 differ — name: 'Acme Co., Ltd.' / 'ACME Limited'; "
                              "tier: 'A' / 'B' (hint: --prefer keep or --prefer drop says whose values win; --dry-run "
                              "shows the plan)\n")
    assert snapshot(session) == before


def test_dry_run_shows_the_plan(crm, session, pair):
    keep, drop = pair
    before = snapshot(session)
    result = ok(crm("customer", "merge", keep, drop, "--dry-run", "--format", "tsv", user="mgr"))
    assert result.rows() == [["field", "keep", "drop", "result"],
                             ["name", "Acme Co., Ltd.", "ACME Limited", "?"],
                             ["tier", "A", "B", "?"],
                             ["status", "new", "active", "drop"],   # new counts as empty
                             ["region", "", "Beijing", "drop"],
                             ["email", "", "info@acme.com", "drop"]]
    assert result.err == "Dry run: nothing changed.\n"
    prefer = ok(crm("customer", "merge", keep, drop, "--dry-run", "--prefer", "drop", "--format", "tsv", user="mgr"))
    assert [r[3] for r in prefer.rows()[1:]] == ["drop", "drop", "drop", "drop", "drop"]
    assert snapshot(session) == before


def test_merge_prefer_keep_moves_everything(crm, session, pair, org):
    keep, drop = pair
    drop_contact = [c for c in range(1, 5) if contact(session, c) and contact(session, c).customer_id == drop]
    result = ok(crm("customer", "merge", keep, drop, "--prefer", "keep", "--yes", user="mgr"))
    assert result.err == ("Merged customer 2 into 1 (moved: 2 contacts, 1 follow-ups, 1 leads, 2 tags, "
                          "2 team members).\n")
    kept = customer(session, keep)
    assert (kept.name, kept.tier, kept.phone, kept.region, kept.email, kept.email_key) == (
        "Acme Co., Ltd.", "A", "010-88886666", "Beijing", "info@acme.com", "info@acme.com")
    assert kept.last_followup_at is not None
    gone = customer(session, drop)
    assert (gone.merged_into_id, gone.name, gone.tier) == (keep, "ACME Limited", "B")  # DROP keeps its values
    for cid in drop_contact:
        moved = contact(session, cid)
        assert (moved.customer_id, moved.owner_id, moved.is_primary) == (keep, org["rep"], False)
    assert [f.content for f in followups(session, "customer", keep)] == ["called"]
    assert followups(session, "customer", drop) == []
    assert tags(session, "customer", keep) == ["old", "vip"] and tags(session, "customer", drop) == []
    assert team(session, keep) == {org["rep2"]: "write", org["west"]: "read"}  # DROP's owner stays on it
    assert team(session, drop) == {}
    assert lead(session, 1).customer_id == keep
    # DROP is no longer listed, but can be shown; it cannot be changed
    assert listed(crm, "customer", user="mgr") == [keep]
    assert ok(crm("customer", "show", drop, "--json", user="mgr")).json()["merged_into_id"] == keep
    before = snapshot(session)
    for args in (("edit", drop, "--tier", "C"), ("follow", drop, "--via", "phone", "--note", "x"),
                 ("merge", keep, drop, "--yes")):
        assert_refused(crm("customer", *args, user="mgr"), 5,
                       f"crm: error: customer {drop} was merged into customer {keep} (hint: crm customer show {keep})\n")
    assert snapshot(session) == before
    merged = log(session, "customer.merge")[-1]
    assert merged.record_id == keep
    assert merged.changes["merged"] == [None, drop]
    assert merged.changes["discarded"] == [{"name": "ACME Limited", "tier": "B"}, None]
    assert merged.changes["region"] == [None, "Beijing"]
    assert log(session, "customer.merged")[-1].changes == {"merged_into_id": [None, keep]}


def test_merge_prefer_drop_takes_drops_values(crm, session, pair):
    keep, drop = pair
    ok(crm("customer", "merge", keep, drop, "--prefer", "drop", "--yes", user="mgr"))
    kept = customer(session, keep)
    assert (kept.name, kept.tier, kept.name_key) == ("ACME Limited", "B", "acme")
    assert log(session, "customer.merge")[-1].changes["discarded"] == [{"name": "Acme Co., Ltd.", "tier": "A"}, None]


def test_custom_field_conflicts_and_fills(crm, session, org):
    from crmcli.services import fields
    from crmcli.services.access import load_actor

    with session() as s:
        fields.add(s, load_actor(s, "admin"), "customer", "budget", "number")
        fields.add(s, load_actor(s, "admin"), "customer", "code", "text")
        s.commit()
    keep = customer_id(crm, "A", "--set", "budget=100")
    drop = customer_id(crm, "B", "--set", "budget=200", "--set", "code=X1")
    assert_refused(crm("customer", "merge", keep, drop, "--yes"), 5,
                   f"crm: error: customers {keep} and {drop} differ — name: 'A' / 'B'; custom.budget: '100' / '200' "
                   "(hint: --prefer keep or --prefer drop says whose values win; --dry-run shows the plan)\n")
    ok(crm("customer", "merge", keep, drop, "--prefer", "keep", "--yes"))
    assert customer(session, keep).custom == {"budget": 100, "code": "X1"}


def test_an_earlier_merge_follows_the_chain(crm, session):
    a = customer_id(crm, "A")
    b = customer_id(crm, "B")
    c = customer_id(crm, "C")
    ok(crm("customer", "merge", b, a, "--prefer", "keep", "--yes"))
    ok(crm("customer", "merge", c, b, "--prefer", "keep", "--yes"))
    assert (customer(session, a).merged_into_id, customer(session, b).merged_into_id) == (c, c)
    assert listed(crm, "customer") == [c]


def test_merge_refusals(crm, session, pair, org):
    keep, drop = pair
    outsider = customer_id(crm, "Far", user="west")
    before = snapshot(session)
    cases = [
        ((keep, drop, "--prefer", "keep", "--yes"), "rep", 4,
         "crm: error: rep may not customer.merge (hint: an administrator can grant it: crm role grant ROLE "
         "customer.merge)\n"),
        ((keep, keep, "--prefer", "keep", "--yes"), "mgr", 6, "crm: error: a customer cannot be merged into itself\n"),
        ((keep, drop, "--prefer", "both", "--yes"), "mgr", 6, "crm: error: --prefer takes keep or drop, not 'both'\n"),
        ((keep, "999", "--prefer", "keep", "--yes"), "mgr", 3, "crm: error: no customer 999\n"),
        ((keep, drop, "--prefer", "keep"), "mgr", 1,
         "crm: error: Merge customer 2 into 1? — refusing without a terminal (hint: add --yes to confirm)\n"),
    ]
    for args, actor, code, err in cases:
        assert_refused(crm("customer", "merge", *args, user=actor), code, err)
    result = crm("customer", "merge", keep, outsider, "--prefer", "keep", "--yes", user="rep")
    assert result.code == 4  # the permission first
    assert snapshot(session) == before
    assert outsider


def test_plan_is_a_pure_function(session, pair):
    from crmcli.store.models import Customer

    with session() as s:
        take, conflicts = merge.plan(s.get(Customer, 1), s.get(Customer, 2))
    assert take == {"status": "active", "region": "Beijing", "email": "info@acme.com"}
    assert [(c.field, c.keep, c.drop) for c in conflicts] == [("name", "Acme Co., Ltd.", "ACME Limited"),
                                                              ("tier", "A", "B")]
