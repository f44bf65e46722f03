"""crmcli.services.access: operation permissions, data scope as SQL, and single-record checks.

The owned records here are rows of the lead table seen through a throwaway Kind (``probe``, with a
record team), so the rules are tested on their own, apart from any lead service.
"""

from datetime import datetime, timezone

import pytest
from sqlalchemy import select

from crmcli.errors import ExitCode, NotFound, PermissionDenied
from crmcli.services import access
from crmcli.services.access import Kind, check_record, load_actor, owner_in_scope_clause, visible_clause
from crmcli.store.models import AuditLog, Department, Lead, TeamMember, User
from tests.commands._org import build_org

PROBE = Kind(name="probe", model=Lead, noun="lead", label=lambda r: r.name, has_team=True)
T0 = datetime(2026, 11, 1, tzinfo=timezone.utc)


@pytest.fixture
def org(crm):
    """The organisation of tests/commands/_org.py plus 'aud' (custom scope: Marketing) and 'nobody' (no role)."""
    ids = build_org(crm)
    for args in (("role", "add", "Auditor"), ("role", "grant", "Auditor", "audit.view", "lead.view"),
                 ("role", "scope", "Auditor", "custom", "--dept", "Marketing"),
                 ("user", "add", "aud", "--role", "Auditor"),
                 ("user", "add", "nobody"), ("user", "edit", "nobody", "--remove-role", "sales_rep")):
        assert crm(*args).code == 0, args
    return {u["login"]: u["id"] for u in crm("user", "list", "--json").json()}


@pytest.fixture
def db(session, org):
    with session() as s:
        yield s


def _dept_ids(s, *names: str) -> frozenset[int]:
    return frozenset(s.execute(select(Department.id).where(Department.name.in_(names))).scalars())


def _lead(s, owner_id, name: str) -> Lead:
    lead = Lead(name=name, owner_id=owner_id, created_at=T0, updated_at=T0)
    s.add(lead)
    s.flush()
    return lead


# --- the actor --------------------------------------------------------------------------------


def test_load_actor_resolves_scope_departments(db):
    admin, mgr, rep, mk, aud, nobody = (load_actor(db, login) for login in
                                         ("admin", "mgr", "rep", "mk", "aud", "nobody"))
    assert (admin.is_super, admin.scope_departments, admin.scopes) == (True, None, ("all",))
    assert mgr.scope_departments == _dept_ids(db, "Sales", "East")
    assert mgr.scopes == ("department_and_children",)
    assert rep.scope_departments == frozenset() and rep.scopes == ("self",)
    assert mk.scope_departments == _dept_ids(db, "Marketing")
    assert aud.scope_departments == _dept_ids(db, "Marketing") and aud.scopes == ("custom",)
    assert (nobody.roles, nobody.permissions, nobody.scope_departments) == ((), frozenset(), frozenset())


def test_the_widest_scope_of_several_roles_wins(crm, db):
    assert crm("user", "edit", "rep", "--add-role", "finance").code == 0
    rep = load_actor(db, "rep")
    assert rep.scope_departments is None
    assert rep.scopes == ("self", "all")


def test_permissions_with_wildcards():
    actor = access.Actor(id=9, login="x", name="x", department_id=1, is_super=False,
                         permissions=frozenset({"lead.*", "customer.view"}), roles=("r",), scopes=("self",),
                         scope_departments=frozenset())
    assert actor.can("lead.view") and actor.can("lead.delete")
    assert actor.can("customer.view") and not actor.can("customer.edit")
    assert not actor.can("contract.view")
    everything = access.Actor(id=9, login="x", name="x", department_id=1, is_super=False,
                              permissions=frozenset({"*"}), roles=("r",), scopes=("self",), scope_departments=frozenset())
    assert everything.can("contract.approve")
    assert access.SYSTEM.can("anything.at_all")


def test_require_refuses_with_exit_4(db):
    rep = load_actor(db, "rep")
    access.require(rep, "lead.view")
    with pytest.raises(PermissionDenied) as info:
        access.require(rep, "role.edit")
    assert info.value.exit_code == ExitCode.PERMISSION
    assert info.value.message == "rep may not role.edit"


def test_unknown_and_disabled_logins_are_refused(crm, db):
    with pytest.raises(PermissionDenied, match="unknown user 'ghost'"):
        load_actor(db, "ghost")
    assert crm("user", "disable", "rep2").code == 0
    db.expire_all()
    with pytest.raises(PermissionDenied, match="user 'rep2' is disabled"):
        load_actor(db, "rep2")


# --- owner_in_scope_clause on the user and audit tables ------------------------------------------


@pytest.mark.parametrize("login, visible", [
    ("admin", ["admin", "aud", "mgr", "mk", "nobody", "rep", "rep2"]),
    ("mgr", ["mgr", "rep", "rep2"]),        # Sales and below
    ("rep", ["rep"]),                        # self
    ("mk", ["mk"]),                          # Marketing only
    ("aud", ["aud", "mk"]),                  # custom: Marketing, and always oneself
    ("nobody", ["nobody"]),                  # no role: only oneself
])
def test_owner_in_scope_clause_on_users(db, login, visible):
    actor = load_actor(db, login)
    query = select(User.login).where(owner_in_scope_clause(actor, User.id)).order_by(User.login)
    assert list(db.execute(query).scalars()) == visible


def test_owner_in_scope_clause_on_the_audit_log_leaves_out_system_rows_for_scoped_readers(db):
    mgr, admin = load_actor(db, "mgr"), load_actor(db, "admin")

    def actors(actor):
        return set(db.execute(select(AuditLog.actor_login).where(owner_in_scope_clause(actor, AuditLog.actor_id))).scalars())

    assert actors(admin) == {"system", "admin"}  # only the admin and crm init have changed anything yet
    assert actors(mgr) == set()


# --- visible_clause and check_record on owned records ---------------------------------------------


@pytest.fixture
def leads(db, org):
    """One lead per owner, one in the pool, and team members on rep's lead."""
    made = {login: _lead(db, org[login], f"lead of {login}") for login in ("mgr", "rep", "rep2", "mk")}
    made["pool"] = _lead(db, None, "pool lead")
    db.add(TeamMember(record_type="probe", record_id=made["rep"].id, user_id=org["rep2"], access="read", added_at=T0))
    db.add(TeamMember(record_type="probe", record_id=made["rep"].id, user_id=org["mk"], access="write", added_at=T0))
    db.add(TeamMember(record_type="other", record_id=made["rep"].id, user_id=org["aud"], access="write", added_at=T0))
    db.flush()
    return made


@pytest.mark.parametrize("login, visible", [
    ("admin", ["lead of mgr", "lead of mk", "lead of rep", "lead of rep2", "pool lead"]),
    ("mgr", ["lead of mgr", "lead of rep", "lead of rep2"]),
    ("rep", ["lead of rep"]),
    ("rep2", ["lead of rep", "lead of rep2"]),  # rep's lead through the team
    ("mk", ["lead of mk", "lead of rep"]),      # Marketing, and rep's lead through the team
    ("aud", ["lead of mk"]),                    # a team row for another record type does not count
    ("nobody", []),
])
def test_visible_clause_owner_scope_and_team(db, leads, login, visible):
    actor = load_actor(db, login)
    query = select(Lead.name).where(visible_clause(actor, PROBE)).order_by(Lead.name)
    assert list(db.execute(query).scalars()) == visible


def test_the_sql_clause_and_the_single_record_check_agree(db, leads):
    for login in ("admin", "mgr", "rep", "rep2", "mk", "aud", "nobody"):
        actor = load_actor(db, login)
        by_sql = set(db.execute(select(Lead.id).where(visible_clause(actor, PROBE))).scalars())
        by_check = {lead.id for lead in leads.values() if access.can_see(db, actor, PROBE, lead)}
        assert by_sql == by_check, login


def test_a_public_kind_is_visible_to_everyone(db):
    public = Kind(name="dir", model=User, noun="user", label=lambda u: u.login, owner_attr="id", public=True)
    rep = load_actor(db, "rep")
    assert len(db.execute(select(User.id).where(visible_clause(rep, public))).all()) == 7


def test_check_record(db, leads):
    rep, rep2, mk, mgr = (load_actor(db, login) for login in ("rep", "rep2", "mk", "mgr"))
    lead = leads["rep"]
    assert check_record(db, rep, PROBE, lead, "edit") is lead
    assert check_record(db, mgr, PROBE, lead, "edit") is lead
    assert check_record(db, mk, PROBE, lead, "edit") is lead  # read-write team member
    assert check_record(db, rep2, PROBE, lead, "view") is lead  # read-only team member may look
    with pytest.raises(PermissionDenied) as info:
        check_record(db, rep2, PROBE, lead, "edit")
    assert info.value.message == "rep2 may see but not change probe lead of rep"
    assert info.value.hint == "ask the owner for write access to the team"
    # outside the scope reads as not found, so existence does not leak
    for record in (leads["mk"], leads["pool"], None):
        with pytest.raises(NotFound) as info:
            check_record(db, rep, PROBE, record, "view")
        assert (info.value.message, info.value.exit_code) == ("no probe with that id", ExitCode.NOT_FOUND)


def test_check_record_needs_the_permission_too(db, leads):
    rep = load_actor(db, "rep")
    with pytest.raises(PermissionDenied) as info:
        check_record(db, rep, PROBE, leads["rep"], "delete")  # sales_rep lacks lead.delete
    assert info.value.message == "rep may not lead.delete"


def test_kind_named_knows_registered_kinds_and_refuses_others(monkeypatch):
    monkeypatch.setitem(access.KINDS, "probe", PROBE)
    assert access.kind_named("PROBE") is PROBE
    assert access.kind_named("user").name == "user"
    with pytest.raises(NotFound) as info:
        access.kind_named("spaceship")
    assert info.value.message == "unknown record type 'spaceship'"
