"""Leads and data scope: a rep, a manager, an admin and a custom-scoped user each see exactly what their
scope allows; a lead outside the scope is *not found* (exit 3, never 4, the same words as a missing id);
owners must be active and, for add and assign, inside the actor's scope; missing permissions are exit 4;
``crm why`` explains each case.

    Office            admin (super administrator), ka (Key accounts: custom scope = West)
    └── Sales         mgr (sales_manager: department and children)
        ├── East      east, east2 (sales_rep: self), jr (Junior: sales_rep without lead.transfer and
        │             followup.create), gone (disabled)
        └── West      west (sales_rep)
"""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from crmcli.store.models import AuditLog, Lead
from tests.commands._org import snapshot
from tests.commands.test_bad_input import assert_refused

NOW = "2026-11-20T10:00:00+00:00"


@pytest.fixture(autouse=True)
def fixed_now(monkeypatch):
    monkeypatch.setenv("CRM_NOW", NOW)


def ok(result):
    assert result.code == 0, result
    return result


@pytest.fixture
def org(crm) -> dict[str, int]:
    """The organisation above and one lead per owner (plus one in the pool); returns name -> lead id."""
    for args in (("dept", "add", "Sales"), ("dept", "add", "East", "--parent", "Sales"),
                 ("dept", "add", "West", "--parent", "Sales"),
                 ("user", "add", "mgr", "--name", "Manager Ma", "--dept", "Sales", "--role", "sales_manager"),
                 ("user", "add", "east", "--name", "Rep East", "--dept", "East", "--role", "sales_rep"),
                 ("user", "add", "east2", "--name", "Rep East 2", "--dept", "East", "--role", "sales_rep"),
                 ("user", "add", "west", "--name", "Rep West", "--dept", "West", "--role", "sales_rep"),
                 ("role", "add", "Key accounts", "--scope", "self", "--copy-from", "sales_rep"),
                 ("role", "scope", "Key accounts", "custom", "--dept", "West"),
                 ("user", "add", "ka", "--name", "Key Accounts", "--dept", "Office", "--role", "Key accounts"),
                 ("role", "add", "Junior", "--scope", "self", "--copy-from", "sales_rep"),
                 ("role", "revoke", "Junior", "lead.transfer", "followup.create"),
                 ("user", "add", "jr", "--name", "Junior", "--dept", "East", "--role", "Junior"),
                 ("user", "add", "gone", "--dept", "East", "--role", "sales_rep"),
                 ("user", "disable", "gone")):
        ok(crm(*args))
    leads = {}
    for name, owner in (("E1", "east"), ("E2", "east2"), ("W1", "west"), ("M1", "mgr"), ("A1", "admin"),
                        ("J1", "jr")):
        leads[name] = ok(crm("lead", "add", name, "--json", user=owner)).json()["id"]
    leads["P1"] = ok(crm("lead", "add", "P1", "--owner", "none", "--json")).json()["id"]
    assert leads == {"E1": 1, "E2": 2, "W1": 3, "M1": 4, "A1": 5, "J1": 6, "P1": 7}
    return leads


def visible(crm, login: str, *args) -> list[int]:
    result = ok(crm("lead", "list", "--sort", "id", "--format", "ids", *args, user=login))
    return [int(x) for x in result.out.split()]


def log_count(session) -> int:
    with session() as s:
        return s.execute(select(func.count()).select_from(AuditLog)).scalar_one()


def owner_of(session, lead_id: int) -> int | None:
    with session() as s:
        return s.get(Lead, lead_id).owner_id


@pytest.fixture
def frozen(session):
    """``frozen()`` asserts nothing was written since the fixture was first used in the test."""
    state: dict = {}

    def check() -> None:
        now = (snapshot(session), log_count(session))
        if not state:
            state["before"] = now
        assert now == state["before"]

    return check


# --- who sees what -----------------------------------------------------------------------------


@pytest.mark.parametrize("login, names", [
    ("admin", ["E1", "E2", "W1", "M1", "A1", "J1", "P1"]),  # all
    ("mgr", ["E1", "E2", "W1", "M1", "J1"]),  # Sales and below; not Office's, not the pool's
    ("east", ["E1"]),  # self
    ("east2", ["E2"]),
    ("west", ["W1"]),
    ("jr", ["J1"]),
    ("ka", ["W1"]),  # custom: West
])
def test_each_user_sees_exactly_their_scope(crm, org, login, names):
    assert visible(crm, login) == sorted(org[n] for n in names)


def test_filters_never_widen_the_scope(crm, org):
    assert visible(crm, "east", "--owner", "west") == []
    assert visible(crm, "east", "--owner", "none") == []
    assert visible(crm, "mgr", "--owner", "admin") == []
    assert visible(crm, "mgr", "--owner", "west") == [org["W1"]]
    assert visible(crm, "east", "--search", "W1") == []
    assert visible(crm, "east", "--search", "1") == [org["E1"]]  # the short (LIKE) search path too
    assert visible(crm, "ka", "--status", "new") == [org["W1"]]


def test_the_scope_follows_the_owners_department(crm, org):
    ok(crm("user", "edit", "west", "--dept", "East"))
    assert visible(crm, "ka") == []
    assert visible(crm, "mgr") == sorted(org[n] for n in ("E1", "E2", "W1", "M1", "J1"))


def test_a_transferred_lead_leaves_the_old_owners_view(crm, org):
    ok(crm("lead", "transfer", org["E1"], "--to", "west", user="east"))  # transfer needs no scope over the new owner
    assert visible(crm, "east") == []
    assert visible(crm, "west") == [org["E1"], org["W1"]]
    assert visible(crm, "ka") == [org["E1"], org["W1"]]


# --- outside the scope: not found ---------------------------------------------------------------


@pytest.mark.parametrize("args", [
    ("show", "{id}"),
    ("edit", "{id}", "--title", "CEO"),
    ("follow", "{id}", "--via", "phone", "--note", "hello"),
    ("transfer", "{id}", "--to", "east"),
    ("qualify", "{id}"),
    ("invalidate", "{id}", "--reason", "x"),
    ("show", "W1"),  # by name, too
])
@pytest.mark.parametrize("login", ["east", "ka"])
def test_a_lead_outside_the_scope_is_not_found(crm, session, org, frozen, login, args):
    hidden = org["W1"] if login == "east" else org["E1"]
    frozen()
    argv = [a.format(id=hidden) for a in args]
    if login == "ka" and argv[1] == "W1":
        argv[1] = "E1"
    result = crm("lead", *argv, user=login)
    assert_refused(result, 3, f"crm: error: no lead {argv[1]}\n")
    frozen()
    # and a lead that does not exist at all reads the same, so the hidden one does not leak
    missing = crm("lead", *[a.format(id=999) for a in args], user=login)
    if argv[1].isdigit():
        assert (missing.code, missing.err) == (3, "crm: error: no lead 999\n")


def test_assign_outside_the_scope_is_not_found(crm, session, org, frozen):
    frozen()
    assert_refused(crm("lead", "assign", org["A1"], "--to", "east", user="mgr"), 3, f"crm: error: no lead {org['A1']}\n")
    assert_refused(crm("lead", "assign", org["P1"], "--to", "east", user="mgr"), 3, f"crm: error: no lead {org['P1']}\n")
    frozen()


def test_one_lead_outside_the_scope_stops_the_whole_batch(crm, session, org, frozen):
    frozen()
    assert_refused(crm("lead", "transfer", org["E1"], org["W1"], "--to", "east2", user="east"), 3,
                   f"crm: error: no lead {org['W1']}\n")
    assert_refused(crm("lead", "transfer", "-", "--to", "east2", user="east", stdin=f"{org['E1']}\n{org['W1']}\n"), 3,
                   f"crm: error: no lead {org['W1']}\n")
    assert_refused(crm("lead", "assign", org["E1"], org["A1"], "--to", "east", user="mgr"), 3,
                   f"crm: error: no lead {org['A1']}\n")
    frozen()
    assert owner_of(session, org["E1"]) == 3  # still east


def test_inside_the_scope_the_manager_and_custom_scope_may_act(crm, session, org):
    ok(crm("lead", "edit", org["E1"], "--title", "Buyer", user="mgr"))
    ok(crm("lead", "follow", org["W1"], "--via", "visit", "--note", "met at the expo", user="ka"))
    ok(crm("lead", "qualify", org["E2"], user="mgr"))
    ok(crm("lead", "assign", org["E1"], org["E2"], "--to", "west", user="mgr"))
    assert owner_of(session, org["E1"]) == owner_of(session, org["E2"]) == 5
    with session() as s:
        assert s.get(Lead, org["W1"]).status == "qualifying"


# --- owners: active and inside the scope ---------------------------------------------------------


@pytest.mark.parametrize("login, args, code, err", [
    ("east", ("add", "X", "--owner", "west"), 6,
     "crm: error: west is outside your data scope (hint: give it to someone in your departments, or ask their manager)\n"),
    ("east", ("add", "X", "--owner", "east2"), 6,  # self scope: not even a colleague in the same department
     "crm: error: east2 is outside your data scope (hint: give it to someone in your departments, or ask their "
     "manager)\n"),
    ("east", ("add", "X", "--owner", "gone"), 6, "crm: error: user 'gone' is disabled\n"),
    ("admin", ("add", "X", "--owner", "gone"), 6, "crm: error: user 'gone' is disabled\n"),
    ("mgr", ("add", "X", "--owner", "admin"), 6,
     "crm: error: admin is outside your data scope (hint: give it to someone in your departments, or ask their "
     "manager)\n"),
    ("ka", ("add", "X", "--owner", "east"), 6,
     "crm: error: east is outside your data scope (hint: give it to someone in your departments, or ask their "
     "manager)\n"),
    ("mgr", ("assign", "1", "--to", "admin"), 6,
     "crm: error: admin is outside your data scope (hint: give it to someone in your departments, or ask their "
     "manager)\n"),
    ("mgr", ("assign", "1", "3", "--to", "ka"), 6,
     "crm: error: ka is outside your data scope (hint: give it to someone in your departments, or ask their "
     "manager)\n"),
    ("mgr", ("assign", "1", "--to", "gone"), 6, "crm: error: user 'gone' is disabled\n"),
    ("mgr", ("transfer", "1", "--to", "gone"), 6, "crm: error: user 'gone' is disabled\n"),
    ("east", ("transfer", "1", "--to", "ghost"), 3, "crm: error: no user named 'ghost'\n"),
])
def test_owner_refusals(crm, session, org, frozen, login, args, code, err):
    frozen()
    assert_refused(crm("lead", *args, user=login), code, err)
    frozen()


def test_owners_the_scope_covers_are_fine(crm, session, org):
    assert ok(crm("lead", "add", "X", "--owner", "west", "--json", user="mgr")).json()["owner"] == "west"
    assert ok(crm("lead", "add", "Y", "--owner", "west", "--json", user="ka")).json()["owner"] == "west"
    assert ok(crm("lead", "add", "Z", "--owner", "east", "--json", user="east")).json()["owner"] == "east"
    assert ok(crm("lead", "add", "Q", "--owner", "mgr", "--json", user="admin")).json()["owner"] == "mgr"


# --- permissions: exit 4 ----------------------------------------------------------------------------


@pytest.mark.parametrize("login, args, permission", [
    ("jr", ("transfer", "6", "--to", "east"), "lead.transfer"),
    ("jr", ("follow", "6", "--via", "phone", "--note", "hello"), "followup.create"),
    ("east", ("assign", "1", "--to", "east2"), "lead.assign"),
    ("ka", ("assign", "3", "--to", "west"), "lead.assign"),
])
def test_a_missing_permission_is_refused(crm, session, org, frozen, login, args, permission):
    frozen()
    assert_refused(crm("lead", *args, user=login), 4,
                   f"crm: error: {login} may not {permission} (hint: an administrator can grant it: "
                   f"crm role grant ROLE {permission})\n")
    frozen()


def test_a_granted_permission_takes_effect(crm, session, org):
    ok(crm("role", "grant", "Junior", "followup.create"))
    ok(crm("lead", "follow", org["J1"], "--via", "phone", "--note", "hello", user="jr"))


def test_without_lead_view_nothing_is_listed_or_shown(crm, session, org, frozen):
    ok(crm("role", "revoke", "Junior", "lead.view"))
    frozen()
    assert_refused(crm("lead", "show", org["J1"], user="jr"), 4,
                   "crm: error: jr may not lead.view (hint: an administrator can grant it: crm role grant ROLE "
                   "lead.view)\n")
    frozen()


# --- crm why ------------------------------------------------------------------------------------------


def why(crm, login: str, lead_id: int) -> dict:
    data = ok(crm("why", login, f"lead:{lead_id}", "--json")).json()
    data["facts"] = {f["what"]: f["value"] for f in data["facts"]}
    return data


def test_why_explains_each_case(crm, org):
    rep = why(crm, "east", org["W1"])
    assert rep["facts"]["owner"] == "west — Office / Sales / West"
    assert rep["facts"]["department"] == "Office / Sales / East"
    assert (rep["can_see"], rep["can_change"], rep["reasons"]) == (
        False, False, ["scope does not cover the owner's department, and not on the team"])

    owner = why(crm, "east", org["E1"])
    assert (owner["can_see"], owner["can_change"], owner["reasons"]) == (True, True, ["east owns it"])

    mgr = why(crm, "mgr", org["W1"])
    assert mgr["facts"]["role"].startswith("Sales manager — department and children")
    assert (mgr["can_see"], mgr["can_change"], mgr["reasons"]) == (True, True, ["scope covers the owner's department"])

    mgr_out = why(crm, "mgr", org["A1"])
    assert mgr_out["facts"]["owner"] == "admin — Office"
    assert (mgr_out["can_see"], mgr_out["reasons"]) == (
        False, ["scope does not cover the owner's department, and not on the team"])

    admin = why(crm, "admin", org["W1"])
    assert (admin["can_see"], admin["can_change"], admin["reasons"]) == (True, True, ["scope covers every record"])

    custom = why(crm, "ka", org["W1"])
    assert custom["facts"]["role"] == ("Key accounts — custom: records owned by anyone in the listed departments "
                                       "(West)")
    assert (custom["can_see"], custom["can_change"], custom["reasons"]) == (
        True, True, ["scope covers the owner's department"])
    assert why(crm, "ka", org["E1"])["can_see"] is False

    pool = why(crm, "mgr", org["P1"])
    assert pool["facts"]["owner"] == "nobody (in a pool)"
    assert pool["can_see"] is False


def test_why_agrees_with_what_each_user_sees(crm, org):
    for login in ("admin", "mgr", "east", "west", "ka", "jr"):
        seen = set(visible(crm, login))
        for lead_id in org.values():
            assert why(crm, login, lead_id)["can_see"] == (lead_id in seen), (login, lead_id)


def test_why_in_plain_text(crm, org):
    result = ok(crm("why", "east", f"lead:{org['W1']}", "--format", "plain"))
    assert "Office / Sales / West" in result.out
    assert "scope does not cover the owner's department, and not on the team" in result.out
