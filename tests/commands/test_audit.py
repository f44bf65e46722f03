"""The operation log: written with every change, read through the reader's data scope, append-only."""

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError

from crmcli.store.models import AuditLog, User
from tests.commands._org import audit_rows, build_org, snapshot


def _ids(result) -> list[int]:
    assert result.code == 0, result
    return [int(x) for x in result.out.split()]


def _made_by(session, *logins: str) -> list[int]:
    with session() as s:
        return list(s.execute(select(AuditLog.id).where(AuditLog.actor_login.in_(logins))
                              .order_by(AuditLog.id.desc())).scalars())


@pytest.fixture
def org(crm):
    """The organisation of tests/commands/_org.py, where every user has made one change of their own."""
    ids = build_org(crm)
    for login in ("mgr", "rep", "rep2", "mk"):
        assert crm("user", "edit", "me", "--phone", f"{login}-phone", user=login).code == 0
    return ids


# --- who sees what ---------------------------------------------------------------------


def test_a_rep_sees_only_their_own_changes(crm, session, org):
    assert _ids(crm("audit", "list", "--format", "ids", user="rep")) == _made_by(session, "rep")
    rows = crm("audit", "list", "--json", user="rep").json()
    assert [(r["user"], r["action"], r["changes"]) for r in rows] == [
        ("rep", "user.edit", {"phone": [None, "rep-phone"]})]


def test_a_manager_sees_their_department_and_those_below(crm, session, org):
    visible = _ids(crm("audit", "list", "--format", "ids", user="mgr"))
    assert visible == _made_by(session, "mgr", "rep", "rep2")
    assert len(visible) == 3


def test_an_admin_sees_everything_including_system_rows(crm, session, org):
    visible = _ids(crm("audit", "list", "--format", "ids", "--limit", "1000"))
    with session() as s:
        assert visible == list(s.execute(select(AuditLog.id).order_by(AuditLog.id.desc())).scalars())
    assert crm("audit", "list", "--json", "--limit", "1000").json()[-1]["user"] == "system"


def test_department_scope_excludes_parent_and_child_departments(crm, session, org):
    assert crm("dept", "add", "Shanghai", "--parent", "East").code == 0
    assert crm("user", "add", "sh", "--dept", "Shanghai").code == 0
    assert crm("user", "edit", "me", "--phone", "1", user="sh").code == 0
    assert crm("role", "add", "Team lead", "--scope", "department").code == 0
    assert crm("role", "grant", "Team lead", "audit.view").code == 0
    assert crm("user", "add", "lead", "--dept", "East", "--role", "Team lead").code == 0
    assert _ids(crm("audit", "list", "--format", "ids", user="lead")) == _made_by(session, "rep", "rep2", "lead")


def test_custom_scope_covers_exactly_the_listed_departments(crm, session, org):
    assert crm("role", "add", "Auditor", "--scope", "self").code == 0
    assert crm("role", "grant", "Auditor", "audit.view").code == 0
    assert crm("role", "scope", "Auditor", "custom", "--dept", "Marketing", "--dept", "Sales").code == 0
    assert crm("user", "add", "aud", "--role", "Auditor").code == 0  # in Office, which the scope leaves out
    assert crm("user", "edit", "me", "--phone", "1", user="aud").code == 0
    assert _ids(crm("audit", "list", "--format", "ids", user="aud")) == _made_by(session, "aud", "mgr", "mk")


def test_scopes_of_several_roles_add_up(crm, session, org):
    assert crm("user", "edit", "mk", "--add-role", "sales_rep").code == 0  # sales_rep brings audit.view
    assert _ids(crm("audit", "list", "--format", "ids", user="mk")) == _made_by(session, "mk")
    assert crm("user", "edit", "rep", "--add-role", "finance").code == 0  # scope all
    assert len(_ids(crm("audit", "list", "--format", "ids", "--limit", "1000", user="rep"))) == len(audit_rows(session))


def test_reading_the_log_needs_audit_view(crm, org):
    result = crm("audit", "list", user="mk")  # the marketing role lacks audit.view
    assert result.code == 4
    assert result.err.startswith("crm: error: mk may not audit.view (hint: ")


# --- what a row holds ------------------------------------------------------------------


def test_a_row_records_who_when_what_record_command_and_before_after(crm, session, monkeypatch):
    monkeypatch.setenv("CRM_NOW", "2026-11-20T08:30:00Z")
    assert crm("user", "add", "bob", "--name", "Bob").code == 0
    assert crm("user", "edit", "admin", "--timezone", "Asia/Shanghai").code == 0
    monkeypatch.setenv("CRM_NOW", "2026-11-21T02:00:00Z")
    assert crm("user", "edit", "bob", "--name", "Bob Li", "--email", "bob@example.com").code == 0
    with session() as s:
        row = s.execute(select(AuditLog).order_by(AuditLog.id.desc())).scalars().first()
        bob_id = s.execute(select(User.id).where(User.login == "bob")).scalar_one()
    assert (row.actor_login, row.action, row.record_type, row.record_id, row.record_label) == (
        "admin", "user.edit", "user", bob_id, "bob")
    assert row.at.isoformat() == "2026-11-21T02:00:00+00:00"
    assert row.command == "crm --user admin user edit bob --name 'Bob Li' --email bob@example.com"
    assert row.changes == {"name": ["Bob", "Bob Li"], "email": [None, "bob@example.com"]}
    shown = crm("audit", "list", "--json", "--limit", "1").json()
    assert shown[0].pop("recorded_at") != shown[0]["at"]  # the real time (tests/commands/test_audit_time.py)
    assert shown == [{"id": row.id, "at": "2026-11-21T10:00:00+08:00",  # in the reader's time zone
                      "user": "admin", "action": "user.edit", "record": f"user:{bob_id}", "label": "bob",
                      "command": row.command, "changes": row.changes, "reason": None, "values_hidden": False}]
    tsv = crm("audit", "list", "--limit", "1").rows()
    assert tsv[0] == ["id", "at", "user", "action", "record", "label", "changes", "command", "reason", "recorded_at"]
    assert tsv[1][6] == '{"email": [null, "bob@example.com"], "name": ["Bob", "Bob Li"]}'


def test_passwords_in_a_db_url_are_hidden_in_the_logged_command():
    from crmcli.cli import command_line

    assert command_line("crm", ["--db", "postgresql+psycopg://crm:s3cret@db/crm", "user", "add", "x"]) == (
        "crm --db 'postgresql+psycopg://crm:***@db/crm' user add x")


def test_the_change_and_its_log_row_are_one_transaction(crm, session, monkeypatch):
    from crmcli.services import audit

    before = snapshot(session)
    real = audit.record

    def record_then_fail(*args, **kwargs):
        real(*args, **kwargs)
        raise RuntimeError("disk full")

    monkeypatch.setattr(audit, "record", record_then_fail)
    result = crm("user", "add", "bob")
    assert result.code == 1
    assert result.err.startswith("crm: error: internal error: RuntimeError: disk full")
    assert snapshot(session) == before


def test_a_refused_change_writes_no_log_row(crm, session):
    before = len(audit_rows(session))
    assert crm("user", "add", "bob").code == 0
    assert crm("user", "add", "bob").code == 5
    assert crm("dept", "move", "Office", "--to", "Office").code == 6
    assert len(audit_rows(session)) == before + 1


# --- filters ---------------------------------------------------------------------------


def test_filter_by_user_record_and_action(crm, session, org):
    rep_rows = _made_by(session, "rep")
    assert _ids(crm("audit", "list", "--by", "rep", "--format", "ids")) == rep_rows
    assert _ids(crm("audit", "list", "--user", "rep", "--format", "ids")) == rep_rows
    assert _ids(crm("audit", "list", "--user", "nobody", "--format", "ids")) == []
    with session() as s:
        def where(*conditions):
            return list(s.execute(select(AuditLog.id).where(*conditions).order_by(AuditLog.id.desc())).scalars())

        rep = org["rep"]
        assert _ids(crm("audit", "list", "--record", f"user:{rep}", "--format", "ids")) == where(
            AuditLog.record_type == "user", AuditLog.record_id == rep)
        assert len(where(AuditLog.record_type == "user", AuditLog.record_id == rep)) == 2  # add, edit
        assert _ids(crm("audit", "list", "--record", "dept", "--format", "ids")) == where(AuditLog.record_type == "dept")
        assert _ids(crm("audit", "list", "--action", "user.edit", "--format", "ids")) == where(
            AuditLog.action == "user.edit")
        all_user = where(AuditLog.action.in_(["user.add", "user.edit"]))
        assert _ids(crm("audit", "list", "--action", "user", "--format", "ids")) == all_user
        assert _ids(crm("audit", "list", "--action", "user.*", "--format", "ids")) == all_user
        assert _ids(crm("audit", "list", "--action", "user.edit", "--by", "mgr", "--format", "ids")) == where(
            AuditLog.action == "user.edit", AuditLog.actor_login == "mgr")
    # the reader's scope still applies on top of the filters
    assert _ids(crm("audit", "list", "--by", "mk", "--format", "ids", user="mgr")) == []


def test_filter_by_time_limit_and_paging(crm, session, monkeypatch):
    for day in (19, 20, 21, 22):
        monkeypatch.setenv("CRM_NOW", f"2026-11-{day}T12:00:00Z")
        assert crm("dept", "add", f"D{day}").code == 0
    with session() as s:
        by_name = {r.record_label: r.id for r in s.execute(select(AuditLog).where(AuditLog.action == "dept.add")).scalars()}
    d = {day: by_name[f"Office / D{day}"] for day in (19, 20, 21, 22)}
    listed = lambda *a: _ids(crm("audit", "list", "--action", "dept.add", "--format", "ids", *a))  # noqa: E731
    assert listed("--since", "2026-11-20") == [d[22], d[21], d[20]]
    assert listed("--until", "2026-11-20") == [d[20], d[19]]  # a date alone includes that whole day
    assert listed("--since", "2026-11-20", "--until", "2026-11-21") == [d[21], d[20]]
    assert listed("--since", "-2d") == [d[22], d[21], d[20]]  # relative to CRM_NOW (the 22nd)
    assert listed("--since", "2026-11-21T12:00:00Z") == [d[22], d[21]]
    assert listed("--limit", "2") == [d[22], d[21]]
    assert listed("--limit", "2", "--before", str(d[21])) == [d[20], d[19]]


def test_bad_filters_are_refused(crm):
    for args, code, err in (
        (("--since", "notadate"), 6, "crm: error: cannot read the date 'notadate' (hint: "),
        (("--until", "32/13/2026"), 6, "crm: error: cannot read the date '32/13/2026' (hint: "),
        (("--record", "user:bob"), 6, "crm: error: --record takes TYPE or TYPE:ID with a numeric id\n"),
        (("--limit", "0"), 2, "crm: error: Invalid value for '--limit'"),
    ):
        result = crm("audit", "list", *args)
        assert result.code == code, (args, result)
        assert result.err.startswith(err), result
        assert result.out == ""


# --- append-only -----------------------------------------------------------------------


@pytest.mark.parametrize("statement", [
    "UPDATE audit_log SET action = 'forged'",
    "UPDATE audit_log SET changes = NULL WHERE id = 1",
    "DELETE FROM audit_log",
    "DELETE FROM audit_log WHERE id = 1",
])
def test_the_database_refuses_to_change_or_delete_log_rows(crm, session, statement):
    assert crm("user", "add", "bob").code == 0
    before = snapshot(session)
    with session() as s:
        with pytest.raises(DBAPIError, match="append-only"):
            s.execute(text(statement))
            s.commit()
        s.rollback()
    assert snapshot(session) == before


def test_there_is_no_verb_that_changes_the_log(crm):
    result = crm("audit", "delete", "1")
    assert result.code == 2
    assert "No such command 'delete'" in result.err


def test_inserting_new_rows_still_works_after_a_refused_update(crm, session):
    with session() as s:
        with pytest.raises(DBAPIError):
            s.execute(text("DELETE FROM audit_log"))
        s.rollback()
        count = s.execute(select(func.count()).select_from(AuditLog)).scalar_one()
    assert crm("user", "add", "bob").code == 0
    with session() as s:
        assert s.execute(select(func.count()).select_from(AuditLog)).scalar_one() == count + 1


# --- values need the record type's view permission (issue 11) ------------------------------------------


def test_values_of_a_record_type_the_reader_may_not_view_are_left_out(crm, session, org):
    """A reader sees that a change happened, not what the record is called or what changed."""
    assert crm("role", "add", "Auditor", "--scope", "all").code == 0
    assert crm("role", "grant", "Auditor", "audit.view", "customer.view").code == 0
    assert crm("user", "add", "aud", "--name", "Auditor", "--role", "Auditor").code == 0
    customer = crm("customer", "add", "Acme", "--json", user="rep").json()["id"]
    assert crm("lead", "add", "Secret Lead", "--company", "Hidden Co", user="rep").code == 0
    before = snapshot(session)
    rows = {r["action"]: r for r in crm("audit", "list", "--json", user="aud").json()}
    assert rows["lead.add"]["values_hidden"] is True
    assert (rows["lead.add"]["label"], rows["lead.add"]["changes"], rows["lead.add"]["record"]) == (None, None, "lead:1")
    assert rows["customer.add"]["values_hidden"] is False  # customer.view: the values are shown
    assert rows["customer.add"]["label"] == "Acme" and rows["customer.add"]["changes"]["name"] == [None, "Acme"]
    table = crm("audit", "list", "--changes", "--format", "plain", user="aud").out
    assert "(hidden: needs lead.view)" in table and "Secret" not in table and "Hidden Co" not in table
    assert f"customer:{customer}" in table
    # the reader with lead.view (the rep who made it) sees it all; reading wrote nothing back
    rep_rows = {r["action"]: r for r in crm("audit", "list", "--json", user="rep").json()}
    assert rep_rows["lead.add"]["label"] == "Secret Lead (Hidden Co)"
    assert snapshot(session) == before
