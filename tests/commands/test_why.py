"""crm why LOGIN RECORD: access explained — roles, scope, department path, ownership, team membership.

Owned records use a throwaway record kind ``probe`` over the lead table (owner, and a record team),
registered for the test only, so these tests do not depend on how the lead commands evolve.
"""

from datetime import datetime, timezone

import pytest

from crmcli.services import access
from crmcli.store.models import Lead, TeamMember
from tests.commands._org import build_org


@pytest.fixture
def probe(monkeypatch):
    kind = access.Kind(name="probe", model=Lead, noun="lead", label=lambda r: r.name, has_team=True)
    monkeypatch.setitem(access.KINDS, "probe", kind)
    return kind


@pytest.fixture
def org(crm):
    return build_org(crm)


def _lead(session, owner_id: int | None, name: str = "Acme") -> int:
    now = datetime(2026, 11, 1, tzinfo=timezone.utc)
    with session() as s:
        lead = Lead(name=name, owner_id=owner_id, created_at=now, updated_at=now)
        s.add(lead)
        s.commit()
        return lead.id


def _team(session, record_id: int, user_id: int, access_: str) -> None:
    with session() as s:
        s.add(TeamMember(record_type="probe", record_id=record_id, user_id=user_id, access=access_,
                         added_at=datetime(2026, 11, 1, tzinfo=timezone.utc)))
        s.commit()


def _why(crm, login: str, record: str, user: str = "admin") -> dict:
    result = crm("why", login, record, "--json", user=user)
    assert result.code == 0, result
    data = result.json()
    data["facts"] = [(f["what"], f["value"]) for f in data["facts"]]
    return data


# --- owned records ----------------------------------------------------------------------


def test_the_owner_sees_and_changes_their_record(crm, session, org, probe):
    lead = _lead(session, org["rep"])
    ex = _why(crm, "rep", f"probe:{lead}")
    assert ex == {
        "user": "rep (Rep Wang)", "record": f"probe:{lead} Acme", "can_see": True, "can_change": True,
        "facts": [("department", "Office / Sales / East"), ("role", "Sales rep — self: own records only"),
                  ("owner", "rep — Office / Sales / East"), ("team", "not a member")],
        "reasons": ["rep owns it"],
    }


def test_a_colleague_with_self_scope_does_not_see_it(crm, session, org, probe):
    lead = _lead(session, org["rep"])
    ex = _why(crm, "rep2", f"probe:{lead}")
    assert (ex["can_see"], ex["can_change"]) == (False, False)
    assert ex["reasons"] == ["scope does not cover the owner's department, and not on the team"]


def test_the_manager_above_sees_it_through_department_and_children(crm, session, org, probe):
    lead = _lead(session, org["rep"])
    ex = _why(crm, "mgr", f"probe:{lead}")
    assert ex["facts"][:2] == [("department", "Office / Sales"),
                               ("role", "Sales manager — department and children: the user's department "
                                        "and every department below it")]
    assert (ex["can_see"], ex["can_change"], ex["reasons"]) == (True, True, ["scope covers the owner's department"])


def test_another_department_does_not_see_it_and_the_admin_sees_everything(crm, session, org, probe):
    lead = _lead(session, org["rep"])
    mk = _why(crm, "mk", f"probe:{lead}")
    assert (mk["can_see"], mk["can_change"]) == (False, False)
    admin = _why(crm, "admin", f"probe:{lead}")
    assert (admin["can_see"], admin["can_change"], admin["reasons"]) == (True, True, ["scope covers every record"])


def test_team_members_see_it_and_change_it_only_with_write_access(crm, session, org, probe):
    lead = _lead(session, org["rep"])
    _team(session, lead, org["rep2"], "read")
    _team(session, lead, org["mk"], "write")
    reader = _why(crm, "rep2", f"probe:{lead}")
    assert ("team", "member with read access") in reader["facts"]
    assert (reader["can_see"], reader["can_change"]) == (True, False)
    assert reader["reasons"] == ["visible through team membership only", "read-only team member"]
    writer = _why(crm, "mk", f"probe:{lead}")
    assert ("team", "member with write access") in writer["facts"]
    assert (writer["can_see"], writer["can_change"]) == (True, True)


def test_a_permission_is_needed_besides_the_scope(crm, session, org, probe):
    lead = _lead(session, org["rep"])
    assert crm("role", "revoke", "sales_rep", "lead.edit").code == 0
    ex = _why(crm, "rep", f"probe:{lead}")
    assert (ex["can_see"], ex["can_change"]) == (True, False)
    assert ex["reasons"] == ["rep owns it", "lacks the permission lead.edit"]
    assert crm("role", "revoke", "sales_rep", "lead.view").code == 0
    ex = _why(crm, "rep", f"probe:{lead}")
    assert (ex["can_see"], ex["can_change"]) == (False, False)
    assert ex["reasons"] == ["rep owns it", "lacks the permission lead.view"]


def test_a_record_in_a_pool_has_no_owner(crm, session, org, probe):
    lead = _lead(session, None)
    ex = _why(crm, "rep", f"probe:{lead}")
    assert ("owner", "nobody (in a pool)") in ex["facts"]
    assert ex["can_see"] is False


def test_custom_scope_names_its_departments(crm, session, org, probe):
    assert crm("role", "scope", "marketing", "custom", "--dept", "East").code == 0
    lead = _lead(session, org["rep"])
    ex = _why(crm, "mk", f"probe:{lead}")
    assert ("role", "Marketing — custom: records owned by anyone in the listed departments (East)") in ex["facts"]
    assert (ex["can_see"], ex["reasons"]) == (True, ["scope covers the owner's department"])


def test_a_disabled_user_may_do_nothing(crm, session, org, probe):
    lead = _lead(session, org["rep"])
    assert crm("user", "disable", "rep", "--keep-records").code == 0
    ex = _why(crm, "rep", f"probe:{lead}")
    assert ex["facts"] == [("account", "disabled: may do nothing at all")]
    assert (ex["can_see"], ex["can_change"], ex["reasons"]) == (False, False, ["rep is disabled"])


def test_a_user_without_roles_may_do_nothing(crm, session, org, probe):
    assert crm("user", "edit", "rep2", "--remove-role", "sales_rep").code == 0
    ex = _why(crm, "rep2", "user:rep2")
    assert ("role", "none: may do nothing") in ex["facts"]
    assert (ex["can_see"], ex["can_change"]) == (False, False)


# --- the directory: users, departments, roles --------------------------------------------


def test_users_are_changed_by_whoever_holds_user_edit_over_their_department(crm, org):
    assert crm("role", "grant", "sales_manager", "user.edit").code == 0
    inside = _why(crm, "mgr", "user:rep")
    assert ("record", "a user belongs to their own department (Office / Sales / East)") in inside["facts"]
    assert (inside["can_see"], inside["can_change"]) == (True, True)
    outside = _why(crm, "mgr", "user:mk")
    assert (outside["can_see"], outside["can_change"]) == (True, False)
    assert outside["reasons"] == ["everyone may see user records",
                                  "scope does not cover the owner's department, so it may not be changed"]


def test_a_rep_is_told_they_may_edit_their_own_personal_fields(crm, org):
    ex = _why(crm, "rep", "user:rep", user="rep")  # asking about oneself needs no permission
    assert (ex["can_see"], ex["can_change"]) == (True, False)
    assert ex["reasons"] == ["everyone may see user records", "lacks the permission user.edit",
                             "may still change their own name, email, phone, time zone and language"]


def test_departments_and_roles_have_no_owner_only_permissions(crm, org):
    assert crm("role", "grant", "sales_manager", "dept.edit").code == 0
    for ref in ("dept:Marketing", "dept:Office / Sales"):
        ex = _why(crm, "mgr", ref)
        assert not any(what == "owner" for what, _v in ex["facts"]), ex
        assert (ex["can_see"], ex["can_change"], ex["reasons"]) == (True, True, ["everyone may see dept records"])
    role = _why(crm, "rep", "role:sales_rep")  # sales_rep lacks role.view
    assert (role["can_see"], role["can_change"], role["reasons"]) == (False, False, ["lacks the permission role.view"])
    role = _why(crm, "mgr", "role:sales_rep")
    assert (role["can_see"], role["can_change"], role["reasons"]) == (
        True, False, ["everyone may see role records", "lacks the permission role.edit"])


def test_plain_output_reads_as_sentences(crm, org):
    result = crm("why", "rep", "user:mgr", "--format", "plain")
    assert result.code == 0, result
    assert result.out.splitlines() == [
        "user        rep (Rep Wang)",
        "record      user:2 mgr",
        "department  Office / Sales / East",
        "role        Sales rep — self: own records only",
        "record      a user belongs to their own department (Office / Sales)",
        "may see     yes",
        "may change  no",
        "because     everyone may see user records",
        "because     lacks the permission user.edit",
    ]


# --- asking, and bad references -----------------------------------------------------------


def test_asking_about_someone_else_needs_role_edit(crm, session, org):
    result = crm("why", "rep2", "user:rep", user="rep")
    assert result.code == 4
    assert result.err.startswith("crm: error: rep may not role.edit (hint: ")
    # the sales manager may read roles (role.view) but does not administer access
    assert crm("why", "rep", "user:rep", user="mgr").code == 4
    assert crm("why", "mgr", "user:rep", user="mgr").code == 0  # about oneself: no permission needed
    assert crm("why", "me", "user:rep", user="mgr").code == 0  # 'me' is oneself too


def test_a_record_the_asker_cannot_see_is_no_such_record(crm, session, org, probe):
    """The same words and exit code as a missing id, so names, owners and ids cannot be probed."""
    hidden = _lead(session, org["rep2"], name="Secret Co")
    missing = crm("why", "rep", "probe:999", user="rep")
    outside = crm("why", "rep", f"probe:{hidden}", user="rep")
    by_name = crm("why", "rep", "probe:Secret Co", user="rep")
    assert (missing.code, missing.err) == (3, "crm: error: no such record: probe:999\n")
    assert (outside.code, outside.err, outside.out) == (3, f"crm: error: no such record: probe:{hidden}\n", "")
    assert (by_name.code, by_name.err, by_name.out) == (3, "crm: error: no such record: probe:Secret Co\n", "")
    # the manager above sees it, so may ask about it (for themselves)
    assert _why(crm, "mgr", f"probe:{hidden}", user="mgr")["can_see"] is True
    # a role without the noun's view permission cannot ask about it either
    assert crm("why", "mk", f"probe:{_lead(session, org['mk'])}", user="mk").code == 0  # marketing has lead.view
    ok_admin = _why(crm, "rep", f"probe:{hidden}")  # the access administrator asks about anyone and anything
    assert ok_admin["can_see"] is False


@pytest.mark.parametrize("login, record, code, err", [
    ("rep", "rep", 6, "crm: error: 'rep' is not a record reference (hint: write TYPE:ID or TYPE:NAME"),
    ("rep", "user:", 6, "crm: error: 'user:' is not a record reference"),
    ("rep", "spaceship:1", 3, "crm: error: unknown record type 'spaceship' (hint: one of: "),
    ("rep", "user:ghost", 3, "crm: error: no such record: user:ghost\n"),
    ("rep", "dept:#99", 3, "crm: error: no such record: dept:#99\n"),
    ("ghost", "user:rep", 3, "crm: error: no user named 'ghost'\n"),
])
def test_bad_references(crm, org, login, record, code, err):
    result = crm("why", login, record)
    assert result.code == code, result
    assert result.err.startswith(err), result
    assert result.out == ""


def test_a_missing_owned_record_is_not_found(crm, org, probe):
    result = crm("why", "rep", "probe:999")
    assert (result.code, result.err) == (3, "crm: error: no such record: probe:999\n")
