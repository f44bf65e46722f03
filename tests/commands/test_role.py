"""crm role list/show/add/grant/revoke/scope/permissions."""

from sqlalchemy import select

from crmcli.services import catalog
from crmcli.store.models import Department, Role, RoleDepartment, RolePermission
from tests.commands._org import audit_rows, snapshot


def _role(session, key: str) -> tuple[Role, list[str], list[str]]:
    """The role, its permissions and its custom departments' names."""
    with session() as s:
        role = s.execute(select(Role).where(Role.key == key)).scalar_one()
        perms = sorted(s.execute(select(RolePermission.permission).where(RolePermission.role_id == role.id)).scalars())
        depts = sorted(s.execute(select(Department.name).join(RoleDepartment, RoleDepartment.department_id == Department.id)
                                 .where(RoleDepartment.role_id == role.id)).scalars())
        return role, perms, depts


def test_list_shows_the_default_roles(crm):
    result = crm("role", "list")
    assert result.code == 0, result
    rows = result.rows()
    assert rows[0] == ["id", "key", "name", "scope", "permissions", "users"]
    table = {r[1]: (r[2], r[3], r[5]) for r in rows[1:]}
    assert table == {
        "super_admin": ("Super administrator", "all", "1"),
        "sales_manager": ("Sales manager", "department_and_children", "0"),
        "sales_rep": ("Sales rep", "self", "0"),
        "marketing": ("Marketing", "department", "0"),
        "customer_service": ("Customer service", "all", "0"),
        "finance": ("Finance", "all", "0"),
    }
    counts = {r[1]: int(r[4]) for r in rows[1:]}
    assert counts["super_admin"] == len(catalog.all_permissions())
    assert counts["sales_rep"] == len(dict((k, p) for k, _n, _s, p, _d in catalog.DEFAULT_ROLES)["sales_rep"])


def test_builtin_role_names_are_shown_in_the_users_language(crm, monkeypatch):
    monkeypatch.setenv("CRM_LANG", "zh_CN")
    names = {r["key"]: r["name"] for r in crm("role", "list", "--json").json()}
    assert names["sales_rep"] == "销售代表"
    assert crm("role", "add", "Key accounts").code == 0
    names = {r["key"]: r["name"] for r in crm("role", "list", "--json").json()}
    assert names["key_accounts"] == "Key accounts"  # a custom role keeps the name it was given
    assert crm("role", "show", "销售代表", "--format", "ids").out == crm("role", "show", "sales_rep", "--format", "ids").out


def test_show_lists_scope_permissions_and_holders(crm):
    assert crm("user", "add", "bob", "--role", "sales_rep").code == 0
    shown = crm("role", "show", "sales_rep", "--json").json()
    assert (shown["key"], shown["scope"], shown["super"], shown["builtin"], shown["users"]) == (
        "sales_rep", "self", False, True, ["bob"])
    assert "customer.view" in shown["permissions"] and "customer.delete" not in shown["permissions"]
    # by display name too, case-insensitively
    assert crm("role", "show", "sales REP", "--json").json() == shown
    admin = crm("role", "show", "super_admin", "--json").json()
    assert admin["permissions"] == catalog.all_permissions()
    assert admin["users"] == ["admin"]


def test_permissions_lists_every_noun_verb(crm):
    result = crm("role", "permissions", "--json")
    assert result.code == 0
    perms = result.json()
    assert [p["permission"] for p in perms] == catalog.all_permissions()
    assert {"permission": "user.disable", "noun": "user", "verb": "disable"} in perms


def test_add_copies_permissions_and_logs(crm, session):
    result = crm("role", "add", "Key accounts", "--scope", "department", "--copy-from", "sales_rep",
                 "--description", "Big customers", "--json")
    assert result.code == 0, result
    shown = result.json()
    assert (shown["key"], shown["name"], shown["scope"], shown["builtin"]) == (
        "key_accounts", "Key accounts", "department", False)
    _r, rep_perms, _d = _role(session, "sales_rep")
    role, perms, _d = _role(session, "key_accounts")
    assert perms == rep_perms
    assert role.description == "Big customers"
    last = audit_rows(session)[-1]
    assert (last.action, last.record_id, last.changes["data_scope"]) == ("role.add", role.id, [None, "department"])


def test_add_a_chinese_role_gets_a_generated_key(crm, session):
    result = crm("role", "add", "大客户经理", "--json")
    assert result.code == 0, result
    shown = result.json()
    assert shown["name"] == "大客户经理" and shown["scope"] == "self"
    assert shown["key"].startswith("role_")
    assert shown["permissions"] == []


def test_add_refusals(crm, session):
    before = snapshot(session)
    cases = [
        (("role", "add", "Sales rep"), 5, "crm: error: a role named 'Sales rep' already exists\n"),
        (("role", "add", " "), 6, "crm: error: a role needs a name\n"),
        (("role", "add", "X", "--scope", "galaxy"), 6, "crm: error: unknown data scope 'galaxy' (hint: one of: "
                                                       "self, department, department_and_children, custom, all)\n"),
        (("role", "add", "X", "--copy-from", "ghost"), 3, "crm: error: no role named 'ghost'\n"),
    ]
    for args, code, err in cases:
        result = crm(*args)
        assert (result.code, result.err) == (code, err), args
    custom = crm("role", "add", "X", "--scope", "custom")
    assert custom.code == 6 and custom.err.startswith("crm: error: give a custom scope's departments")
    assert snapshot(session) == before


def test_grant_and_revoke(crm, session):
    result = crm("role", "grant", "sales_rep", "customer.delete", "lead.*", "customer.delete")
    assert result.code == 0, result
    _r, perms, _d = _role(session, "sales_rep")
    assert "customer.delete" in perms and "lead.*" in perms
    last = audit_rows(session)[-1]
    assert (last.action, last.changes) == ("role.grant", {"permissions": [None, ["customer.delete", "lead.*"]]})
    # granting what it has already changes nothing and logs nothing
    count = len(audit_rows(session))
    assert crm("role", "grant", "sales_rep", "customer.delete").code == 0
    assert len(audit_rows(session)) == count
    assert crm("role", "revoke", "sales_rep", "customer.delete", "lead.*").code == 0
    _r, after, _d = _role(session, "sales_rep")
    assert "customer.delete" not in after and "lead.*" not in after
    assert audit_rows(session)[-1].changes == {"permissions": [["customer.delete", "lead.*"], None]}


def test_a_granted_permission_takes_effect(crm, session):
    assert crm("user", "add", "bob", "--role", "sales_rep").code == 0
    assert crm("dept", "add", "Sales", user="bob").code == 4
    assert crm("role", "grant", "sales_rep", "dept.*").code == 0
    assert crm("dept", "add", "Sales", user="bob").code == 0
    assert crm("role", "revoke", "sales_rep", "dept.*").code == 0
    assert crm("dept", "add", "Sales2", user="bob").code == 4


def test_unknown_permissions_are_refused_and_nothing_is_granted(crm, session):
    before = snapshot(session)
    for perm in ("lead.fly", "spaceship.view", "lead", ".view"):
        result = crm("role", "grant", "sales_rep", "lead.assign", perm)
        assert result.code == 6, (perm, result)
        assert result.err.startswith(f"crm: error: unknown permission '{perm}' (hint: crm role permissions")
    assert snapshot(session) == before


def test_scope_custom_with_departments(crm, session):
    assert crm("dept", "add", "Sales").code == 0
    assert crm("dept", "add", "Marketing").code == 0
    result = crm("role", "scope", "marketing", "custom", "--dept", "Sales", "--dept", "Office / Marketing", "--json")
    assert result.code == 0, result
    assert result.json()["departments"] == ["Office / Sales", "Office / Marketing"]  # by id
    role, _p, depts = _role(session, "marketing")
    assert (role.data_scope, depts) == ("custom", ["Marketing", "Sales"])
    last = audit_rows(session)[-1]
    assert last.action == "role.scope"
    assert last.changes["data_scope"] == ["department", "custom"]
    # back to a plain scope drops the departments
    assert crm("role", "scope", "marketing", "department-and-children").code == 0
    role, _p, depts = _role(session, "marketing")
    assert (role.data_scope, depts) == ("department_and_children", [])


def test_scope_refusals(crm, session):
    before = snapshot(session)
    cases = [
        (("role", "scope", "marketing", "custom", "--dept", "Nowhere"), 3, "crm: error: no department named 'Nowhere'\n"),
        (("role", "scope", "marketing", "custom"), 6, "crm: error: a custom scope needs at least one --dept\n"),
        (("role", "scope", "marketing", "all", "--dept", "Office"), 6,
         "crm: error: --dept goes only with the custom scope\n"),
        (("role", "scope", "ghost", "all"), 3, "crm: error: no role named 'ghost'\n"),
    ]
    for args, code, err in cases:
        result = crm(*args)
        assert (result.code, result.err) == (code, err), args
    assert snapshot(session) == before


def test_the_super_administrator_role_cannot_be_changed(crm, session):
    before = snapshot(session)
    for args in (("role", "grant", "super_admin", "lead.view"), ("role", "revoke", "super_admin", "lead.view"),
                 ("role", "scope", "super_admin", "self"), ("role", "grant", "Super administrator", "lead.view")):
        result = crm(*args)
        assert (result.code, result.err) == (6, "crm: error: the super administrator role cannot be changed\n"), args
    assert snapshot(session) == before


def test_role_changes_need_permissions(crm, session):
    assert crm("user", "add", "mgr", "--role", "sales_manager").code == 0
    before = snapshot(session)
    for args, perm in ((("role", "add", "X"), "role.create"), (("role", "grant", "sales_rep", "lead.view"), "role.edit"),
                       (("role", "revoke", "sales_rep", "lead.view"), "role.edit"),
                       (("role", "scope", "sales_rep", "all"), "role.edit")):
        result = crm(*args, user="mgr")
        assert result.code == 4, result
        assert result.err.startswith(f"crm: error: mgr may not {perm} (hint: ")
    assert snapshot(session) == before
    assert crm("role", "show", "sales_rep", user="mgr").code == 0  # sales_manager has role.view
