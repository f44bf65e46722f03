"""crm user add/list/show/edit/disable/enable, and who may change whom."""

from sqlalchemy import select

from crmcli.store.models import Role, UserRole
from tests.commands._org import audit_rows, build_org, snapshot, user_row


def _roles_of(session, login: str) -> list[str]:
    user = user_row(session, login)
    with session() as s:
        return sorted(s.execute(select(Role.key).join(UserRole, UserRole.role_id == Role.id)
                                .where(UserRole.user_id == user.id)).scalars())


# --- add -------------------------------------------------------------------------------


def test_add_with_every_field(crm, session, monkeypatch):
    monkeypatch.setenv("CRM_NOW", "2026-11-22T09:00:00+08:00")
    assert crm("dept", "add", "华东销售部").code == 0
    assert crm("user", "add", "boss", "--name", "Boss").code == 0
    result = crm("user", "add", "wangfang", "--name", "王芳", "--email", "wf@example.com", "--phone", "138 0000 0000",
                 "--dept", "华东销售部", "--manager", "boss", "--role", "sales_rep", "--role", "marketing",
                 "--timezone", "Asia/Shanghai", "--language", "zh-CN", "--json")
    assert result.code == 0, result
    shown = result.json()
    assert {k: shown[k] for k in ("login", "name", "email", "phone", "department", "manager", "role_keys",
                                  "timezone", "language", "disabled", "created_at")} == {
        "login": "wangfang", "name": "王芳", "email": "wf@example.com", "phone": "138 0000 0000",
        "department": "Office / 华东销售部", "manager": "boss", "role_keys": ["sales_rep", "marketing"],
        "timezone": "Asia/Shanghai", "language": "zh_CN", "disabled": False,
        # CRM_NOW, shown in the acting admin's zone (none set, so TZ=UTC)
        "created_at": "2026-11-22T01:00:00+00:00",
    }
    row = user_row(session, "wangfang")
    assert (row.name, row.email, row.timezone, row.language, row.disabled) == (
        "王芳", "wf@example.com", "Asia/Shanghai", "zh_CN", False)
    assert _roles_of(session, "wangfang") == ["marketing", "sales_rep"]
    last = audit_rows(session)[-1]
    assert (last.actor_login, last.action, last.record_type, last.record_id, last.record_label) == (
        "admin", "user.add", "user", row.id, "wangfang")
    assert last.changes["login"] == [None, "wangfang"]
    assert last.changes["roles"] == [None, ["sales_rep", "marketing"]]
    assert last.at.isoformat() == "2026-11-22T01:00:00+00:00"


def test_add_defaults_to_top_department_sales_rep_and_login_as_name(crm, session):
    result = crm("user", "add", "bob", "--json")
    assert result.code == 0, result
    shown = result.json()
    assert (shown["name"], shown["department"], shown["role_keys"]) == ("bob", "Office", ["sales_rep"])
    assert _roles_of(session, "bob") == ["sales_rep"]


def test_add_refuses_bad_logins_emails_zones_and_languages(crm, session):
    before = snapshot(session)
    cases = [
        (("user", "add", "9lives"), "crm: error: '9lives' is not a valid login"),
        (("user", "add", "has space"), "crm: error: 'has space' is not a valid login"),
        (("user", "add", "ok", "--email", "not-an-email"), "crm: error: 'not-an-email' is not a valid email address"),
        (("user", "add", "ok", "--timezone", "Mars/Base"), "crm: error: unknown time zone 'Mars/Base'"),
        (("user", "add", "ok", "--language", "klingon"), "crm: error: unknown language 'klingon'"),
    ]
    for args, message in cases:
        result = crm(*args)
        assert result.code == 6, (args, result)
        assert result.err.startswith(message), result
        assert result.err.count("\n") == 1
    assert snapshot(session) == before


def test_add_with_unknown_role_or_manager_is_not_found(crm, session):
    before = snapshot(session)
    result = crm("user", "add", "bob", "--role", "astronaut")
    assert (result.code, result.err) == (3, "crm: error: no role named 'astronaut'\n")
    result = crm("user", "add", "bob", "--manager", "ghost")
    assert (result.code, result.err) == (3, "crm: error: no user named 'ghost'\n")
    assert snapshot(session) == before


def test_only_a_super_administrator_gives_the_super_administrator_role(crm, session):
    build_org(crm)
    assert crm("role", "grant", "sales_manager", "user.create").code == 0
    before = snapshot(session)
    result = crm("user", "add", "evil", "--dept", "East", "--role", "super_admin", user="mgr")
    assert result.code == 4
    assert result.err == "crm: error: only a super administrator may give the super administrator role\n"
    assert snapshot(session) == before
    assert crm("user", "add", "boss2", "--role", "super_admin").code == 0
    assert _roles_of(session, "boss2") == ["super_admin"]


def test_a_manager_adds_users_only_inside_their_scope(crm, session):
    build_org(crm)
    assert crm("role", "grant", "sales_manager", "user.create").code == 0
    ok = crm("user", "add", "newrep", "--dept", "East", user="mgr")
    assert ok.code == 0, ok
    before = snapshot(session)
    refused = crm("user", "add", "newmk", "--dept", "Marketing", user="mgr")
    assert refused.code == 4, refused
    assert refused.err.startswith("crm: error: mgr may see but not change user newmk")
    assert snapshot(session) == before
    assert user_row(session, "newmk") is None


# --- list and show ---------------------------------------------------------------------


def test_list_hides_disabled_users_unless_all_and_filters_by_department_and_role(crm):
    build_org(crm)
    assert crm("user", "disable", "rep2").code == 0
    result = crm("user", "list")
    assert result.code == 0
    rows = result.rows()
    assert rows[0] == ["id", "login", "name", "department", "roles", "email"]
    assert [r[1] for r in rows[1:]] == ["admin", "mgr", "mk", "rep"]
    assert [r[1] for r in crm("user", "list", "--all").rows()[1:]] == ["admin", "mgr", "mk", "rep", "rep2"]
    everyone = {u["login"]: u for u in crm("user", "list", "--all", "--json").json()}
    assert everyone["rep2"]["disabled"] is True and everyone["rep"]["disabled"] is False
    assert everyone["rep"]["department"] == "Office / Sales / East"
    assert everyone["rep"]["roles"] == ["sales_rep"]
    # --dept includes the departments below it
    assert [u["login"] for u in crm("user", "list", "--dept", "Sales", "--json").json()] == ["mgr", "rep"]
    assert [u["login"] for u in crm("user", "list", "--dept", "East", "--all", "--json").json()] == ["rep", "rep2"]
    assert [u["login"] for u in crm("user", "list", "--role", "sales_rep", "--all", "--json").json()] == ["rep", "rep2"]
    unknown = crm("user", "list", "--dept", "Nowhere")
    assert (unknown.code, unknown.err) == (3, "crm: error: no department named 'Nowhere'\n")


def test_show_by_login_id_and_me(crm):
    ids = build_org(crm)
    by_login = crm("user", "show", "rep", "--json").json()
    assert by_login["id"] == ids["rep"]
    assert crm("user", "show", str(ids["rep"]), "--json").json() == by_login
    assert crm("user", "show", "me", "--json", user="rep").json() == by_login
    assert crm("user", "show", "Rep Wang", "--json").json() == by_login  # by full name
    plain = crm("user", "show", "rep", "--format", "plain")
    assert plain.code == 0
    assert "login       rep\n" in plain.out
    assert "department  Office / Sales / East\n" in plain.out
    missing = crm("user", "show", "#999")
    assert (missing.code, missing.err) == (3, "crm: error: no user with id 999\n")


# --- edit ------------------------------------------------------------------------------


def test_everyone_may_edit_their_own_personal_fields(crm, session):
    build_org(crm)
    result = crm("user", "edit", "me", "--name", "王小明", "--email", "rep@example.com", "--phone", "123",
                 "--timezone", "Asia/Shanghai", "--language", "zh_CN", "--json", user="rep")
    assert result.code == 0, result
    row = user_row(session, "rep")
    assert (row.name, row.email, row.phone, row.timezone, row.language) == (
        "王小明", "rep@example.com", "123", "Asia/Shanghai", "zh_CN")
    last = audit_rows(session)[-1]
    assert (last.actor_login, last.action, last.record_id) == ("rep", "user.edit", row.id)
    assert last.changes == {"name": ["Rep Wang", "王小明"], "email": [None, "rep@example.com"], "phone": [None, "123"],
                            "timezone": [None, "Asia/Shanghai"], "language": [None, "zh_CN"]}


def test_an_edit_that_changes_nothing_writes_no_log_row(crm, session):
    build_org(crm)
    before = len(audit_rows(session))
    assert crm("user", "edit", "rep", "--name", "Rep Wang").code == 0
    assert len(audit_rows(session)) == before


def test_a_rep_may_not_change_their_own_department_or_roles_or_anyone_else(crm, session):
    build_org(crm)
    before = snapshot(session)
    for args, perm in ((("user", "edit", "me", "--dept", "Marketing"), "user.edit"),
                       (("user", "edit", "me", "--add-role", "finance"), "user.edit"),
                       (("user", "edit", "rep2", "--name", "X"), "user.edit"),
                       (("user", "disable", "rep2"), "user.disable")):
        result = crm(*args, user="rep")
        assert result.code == 4, (args, result)
        assert result.err.startswith(f"crm: error: rep may not {perm} (hint: ")
    assert snapshot(session) == before


def test_a_manager_with_user_edit_changes_users_in_scope_only(crm, session):
    build_org(crm)
    assert crm("role", "grant", "sales_manager", "user.edit", "user.disable").code == 0
    ok = crm("user", "edit", "rep", "--name", "Renamed", "--manager", "mgr", user="mgr")
    assert ok.code == 0, ok
    assert user_row(session, "rep").name == "Renamed"
    assert user_row(session, "rep").manager_id == user_row(session, "mgr").id
    before = snapshot(session)
    for target in ("mk", "admin"):
        result = crm("user", "edit", target, "--name", "Nope", user="mgr")
        assert result.code == 4, result
        assert result.err.startswith(f"crm: error: mgr may see but not change user {target}")
        result = crm("user", "disable", target, user="mgr")
        assert result.code == 4, result
    assert snapshot(session) == before


def test_a_manager_may_not_move_a_user_out_of_their_scope_or_themselves_up(crm, session):
    build_org(crm)
    assert crm("role", "grant", "sales_manager", "user.edit").code == 0
    assert crm("user", "edit", "rep", "--dept", "Sales", user="mgr").code == 0  # within the subtree: fine
    before = snapshot(session)
    for target, dept in (("rep", "Marketing"), ("mgr", "Office")):
        result = crm("user", "edit", target, "--dept", dept, user="mgr")
        assert result.code == 4, result
        path = {"Marketing": "Office / Marketing", "Office": "Office"}[dept]
        assert result.err == f"crm: error: mgr may not move users into {path}: it is outside their data scope\n"
    assert snapshot(session) == before


def test_edit_roles_and_department_as_admin(crm, session):
    build_org(crm)
    result = crm("user", "edit", "rep", "--dept", "Marketing", "--add-role", "marketing", "--remove-role", "sales_rep")
    assert result.code == 0, result
    assert _roles_of(session, "rep") == ["marketing"]
    last = audit_rows(session)[-1]
    assert last.changes["roles"] == [["sales_rep"], ["marketing"]]
    assert last.changes["department_id"][0] != last.changes["department_id"][1]
    assert crm("user", "edit", "rep", "--manager", "none").code == 0


def test_a_manager_cycle_is_refused(crm, session):
    build_org(crm)
    assert crm("user", "edit", "rep", "--manager", "mgr").code == 0
    before = snapshot(session)
    for target, boss in (("mgr", "rep"), ("mgr", "mgr")):
        result = crm("user", "edit", target, "--manager", boss)
        assert result.code == 6, result
        assert result.err == f"crm: error: {target} cannot report to {boss}: that would make a cycle\n"
    assert snapshot(session) == before


def test_the_last_super_administrator_keeps_the_role(crm, session):
    before = snapshot(session)
    result = crm("user", "edit", "admin", "--remove-role", "super_admin")
    assert result.code == 5
    assert result.err.startswith("crm: error: admin is the last active super administrator")
    assert snapshot(session) == before
    assert crm("user", "add", "boss2", "--role", "super_admin").code == 0
    assert crm("user", "edit", "admin", "--remove-role", "super_admin").code == 0
    assert _roles_of(session, "admin") == []


# --- disable and enable ---------------------------------------------------------------


def test_disable_and_enable(crm, session, monkeypatch):
    build_org(crm)
    monkeypatch.setenv("CRM_NOW", "2026-11-22T10:00:00Z")
    result = crm("user", "disable", "rep", "--handover-to", "rep2")
    assert result.code == 0, result
    assert result.err == "Disabled rep.\n"
    row = user_row(session, "rep")
    assert row.disabled is True
    assert row.disabled_at.isoformat() == "2026-11-22T10:00:00+00:00"
    last = audit_rows(session)[-1]
    assert (last.action, last.changes) == (
        "user.disable", {"disabled": [False, True], "handover_to": [None, "rep2"], "handed_over": [None, {}]})
    # a disabled user can do nothing, not even read
    refused = crm("user", "list", user="rep")
    assert (refused.code, refused.err) == (4, "crm: error: user 'rep' is disabled\n")
    again = crm("user", "disable", "rep")
    assert (again.code, again.err) == (5, "crm: error: user 'rep' is already disabled\n")
    enabled = crm("user", "enable", "rep")
    assert (enabled.code, enabled.err) == (0, "Enabled rep.\n")
    row = user_row(session, "rep")
    assert (row.disabled, row.disabled_at) == (False, None)
    assert audit_rows(session)[-1].action == "user.enable"
    assert crm("user", "list", "--format", "ids", user="rep").code == 0
    not_disabled = crm("user", "enable", "rep")
    assert (not_disabled.code, not_disabled.err) == (5, "crm: error: user 'rep' is not disabled\n")


def test_disable_refusals_write_nothing(crm, session):
    build_org(crm)
    assert crm("user", "disable", "rep2").code == 0
    before = snapshot(session)
    cases = [
        (("user", "disable", "admin"), 6, "crm: error: you cannot disable yourself\n"),
        (("user", "disable", "rep", "--handover-to", "rep"), 6, "crm: error: hand the records over to someone else\n"),
        (("user", "disable", "rep", "--handover-to", "rep2"), 6, "crm: error: user 'rep2' is disabled\n"),
        (("user", "disable", "rep", "--handover-to", "ghost"), 3, "crm: error: no user named 'ghost'\n"),
        (("user", "disable", "ghost"), 3, "crm: error: no user named 'ghost'\n"),
    ]
    for args, code, err in cases:
        result = crm(*args)
        assert (result.code, result.err) == (code, err), args
    assert snapshot(session) == before


def test_disabled_users_cannot_become_managers(crm, session):
    build_org(crm)
    assert crm("user", "disable", "mgr").code == 0
    before = snapshot(session)
    result = crm("user", "edit", "rep", "--manager", "mgr")
    assert (result.code, result.err) == (6, "crm: error: user 'mgr' is disabled\n")
    assert snapshot(session) == before


# --- hand-over of owned records -------------------------------------------------------------


def _leads_owned_by(session, login: str, count: int = 0) -> list[int]:
    """Give ``login`` ``count`` new leads (inserted directly), and return the ids of the leads they own."""
    from datetime import datetime, timezone

    from crmcli.store.models import Lead

    owner = user_row(session, login)
    with session() as s:
        t0 = datetime(2026, 11, 1, tzinfo=timezone.utc)
        for i in range(count):
            s.add(Lead(name=f"lead {i} of {login}", owner_id=owner.id, created_at=t0, updated_at=t0))
        s.commit()
        return sorted(s.execute(select(Lead.id).where(Lead.owner_id == owner.id)).scalars())


def test_a_user_who_owns_records_is_disabled_only_with_a_handover_or_keep_records(crm, session):
    build_org(crm)
    leads = _leads_owned_by(session, "rep", 2)
    before = snapshot(session)
    refused = crm("user", "disable", "rep")
    assert (refused.code, refused.err) == (5, "crm: error: rep still owns records (2 lead) (hint: add --handover-to "
                                              "LOGIN to move them, or --keep-records to leave them)\n")
    assert snapshot(session) == before
    kept = crm("user", "disable", "rep", "--keep-records")
    assert (kept.code, kept.err) == (0, "Disabled rep.\n")
    assert _leads_owned_by(session, "rep") == leads


def test_disable_hands_the_records_over(crm, session):
    build_org(crm)
    leads = _leads_owned_by(session, "rep", 2)
    result = crm("user", "disable", "rep", "--handover-to", "rep2")
    assert result.code == 0, result
    assert result.err == "Disabled rep.\nHanded over 2 lead records to rep2.\n"
    assert _leads_owned_by(session, "rep") == []
    assert _leads_owned_by(session, "rep2") == leads
    disable_row = [r for r in audit_rows(session) if r.action == "user.disable"][-1]
    assert disable_row.changes == {"disabled": [False, True], "handover_to": [None, "rep2"],
                                   "handed_over": [None, {"lead": 2}]}


def test_show_needs_user_view_except_for_oneself(crm):
    assert crm("role", "add", "Outsider").code == 0  # a role without any permission
    assert crm("user", "add", "out", "--role", "Outsider").code == 0
    assert crm("user", "show", "me", "--format", "ids", user="out").code == 0
    assert crm("user", "show", "out", "--format", "ids", user="out").code == 0
    for args in (("user", "show", "admin"), ("user", "list")):
        result = crm(*args, user="out")
        assert result.code == 4, result
        assert result.err.startswith("crm: error: out may not user.view (hint: ")


def test_the_last_super_administrator_cannot_be_disabled(crm, session):
    assert crm("role", "grant", "finance", "user.disable").code == 0  # finance's scope is all
    assert crm("user", "add", "fin", "--role", "finance").code == 0
    before = snapshot(session)
    result = crm("user", "disable", "admin", user="fin")
    assert result.code == 5
    assert result.err == ("crm: error: admin is the last active super administrator "
                          "(hint: give another user the super administrator role first)\n")
    assert snapshot(session) == before
    assert crm("user", "add", "boss2", "--role", "super_admin").code == 0
    assert crm("user", "disable", "admin", user="fin").code == 0


def test_a_manager_may_not_hand_out_a_role_wider_than_their_own(crm, session):
    from sqlalchemy import func, select

    from crmcli.store.models import AuditLog, UserRole

    assert crm("dept", "add", "Sales").code == 0
    assert crm("role", "add", "HR manager", "--scope", "department_and_children",
               "--copy-from", "sales_manager").code == 0
    assert crm("role", "grant", "HR manager", "user.create", "user.edit").code == 0
    assert crm("user", "add", "mgr", "--dept", "Sales", "--role", "HR manager").code == 0
    with session() as s:
        links_before = s.execute(select(func.count()).select_from(UserRole)).scalar()
        log_before = s.execute(select(func.count()).select_from(AuditLog)).scalar()

    wider = crm("user", "add", "fin", "--dept", "Sales", "--role", "finance", user="mgr")
    assert wider.code == 4
    assert wider.err == ("crm: error: mgr may not give the role Finance: it reaches further than their own "
                         "roles (hint: a super administrator can give it)\n")
    with session() as s:
        assert s.execute(select(func.count()).select_from(UserRole)).scalar() == links_before
        assert s.execute(select(func.count()).select_from(AuditLog)).scalar() == log_before

    narrower = crm("user", "add", "rep1", "--dept", "Sales", "--role", "sales_rep", user="mgr")
    assert narrower.code == 0, narrower
