"""crm demo: a demo organisation in a new database; anything more than crm init made is refused."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy import create_engine, func, select
from sqlalchemy.orm import Session

from crmcli.services import demo as demo_service
from crmcli.services import kinds
from crmcli.store.models import AuditLog, Department, Role, User, UserRole
from tests.commands._org import snapshot
from tests.conftest import ADMIN, run_crm

NOW = "2026-11-22T09:00:00+08:00"

kinds.load_all()  # every module's demo step is registered before a test copies demo_service.STEPS

SALES = {"wangfang", "zhaomin", "liqiang", "zhoujie", "sunli", "huanglei", "wuxia", "zhengkai", "chenhao",
         "linxiaoyu", "hejun", "guoting", "fengyu", "liumin", "emily", "james", "sofia", "kenji"}


@pytest.fixture
def demo(crm, monkeypatch):
    """The demo built on the test's new database (acting as its administrator), at a fixed time."""
    monkeypatch.setenv("CRM_NOW", NOW)
    result = crm("demo")
    assert result.code == 0, result
    return result


def _refused(result, code: int, start: str) -> None:
    assert result.code == code, result
    assert result.out == "", result
    assert result.err.startswith("crm: error: " + start), result
    assert result.err.count("\n") == 1, result


def _paths(s: Session) -> dict[str, str]:
    from crmcli.services.departments import path_of

    return {d.name: path_of(s, d) for d in s.execute(select(Department)).scalars()}


# --- what it makes ----------------------------------------------------------------------------


def test_the_department_tree(demo, session):
    with session() as s:
        paths = _paths(s)
    assert sorted(paths.values()) == sorted([
        "星海科技", "星海科技 / 总经办", "星海科技 / 销售部", "星海科技 / 销售部 / 华东销售部",
        "星海科技 / 销售部 / 华南销售部", "星海科技 / 销售部 / International Sales",
        "星海科技 / 市场部", "星海科技 / 客服部", "星海科技 / 财务部"])


def test_the_people_their_roles_departments_and_managers(demo, session):
    with session() as s:
        by_id = {u.id: u for u in s.execute(select(User)).scalars()}
        roles: dict[str, list[str]] = {}
        for user_id, key in s.execute(select(UserRole.user_id, Role.key).join(Role, Role.id == UserRole.role_id)):
            roles.setdefault(by_id[user_id].login, []).append(key)
        depts = {d.id: d.name for d in s.execute(select(Department)).scalars()}
    people = {u.login: u for u in by_id.values()}
    assert len(people) == 30 and 25 <= len(people) <= 40
    assert set(people) == demo_service.LOGINS | {ADMIN}
    for person in demo_service.PEOPLE:
        user = people[person.login]
        assert user.name == person.name
        assert roles[person.login] == [person.role]
        assert depts[user.department_id] == person.dept
        assert (by_id[user.manager_id].login if user.manager_id else None) == person.manager
        assert user.email == f"{person.login}@starsea.example.com"
        assert user.timezone == person.timezone
        assert user.phone and "#" not in user.phone
        assert user.disabled == person.left
    assert people["wangfang"].name == "王芳" and roles["wangfang"] == ["sales_manager"]
    assert people["liqiang"].name == "李强" and roles["liqiang"] == ["sales_rep"]
    assert people["emily"].name == "Emily Chen" and depts[people["emily"].department_id] == "International Sales"
    # the administrator who ran it, and one more super administrator
    assert sorted(login for login, keys in roles.items() if "super_admin" in keys) == sorted([ADMIN, "zhangwei"])
    # every default role is held by someone
    assert {k for keys in roles.values() for k in keys} == {
        "super_admin", "sales_manager", "sales_rep", "marketing", "customer_service", "finance"}
    # every manager is one of the people
    assert {people[p.login].manager_id for p in demo_service.PEOPLE if p.manager} <= {u.id for u in people.values()}


def test_summary_on_stdout_and_what_to_try_on_stderr(crm, monkeypatch):
    monkeypatch.setenv("CRM_NOW", NOW)
    result = crm("demo", "--json")
    assert result.code == 0, result
    data = result.json()
    assert data["company"] == "星海科技"
    assert (data["departments"], data["users"], data["disabled"]) == (8, 29, 1)
    assert data["administrators"] == [ADMIN, "zhangwei"]
    hints = result.err.splitlines()
    assert hints[0] == "The demo organisation is ready. Try next:"
    # --user was given on the command line, so the hints repeat it; the rest act as a demo user
    assert "  crm --user admin user list" in hints
    assert "  crm --user wangfang why wangfang user:liqiang" in hints
    assert "  crm --user liqiang audit list" in hints


def test_quiet_prints_no_hints(crm):
    result = crm("demo", "--quiet", "--format", "tsv")
    assert result.code == 0, result
    assert result.err == ""
    assert result.rows()[0] == ["database", "company", "departments", "users", "disabled", "leads", "customers",
                                "contacts", "followups", "pools", "pool_customers", "products", "opportunities",
                                "quotes", "contracts", "payments", "tasks", "events", "administrators"]


def test_everything_is_in_the_operation_log_at_crm_now(demo, session):
    with session() as s:
        rows = list(s.execute(select(AuditLog).order_by(AuditLog.id)).scalars())
        users = list(s.execute(select(User)).scalars())
    actions = [r.action for r in rows]
    assert actions[0] == "db.init"
    assert actions.count("dept.rename") == 1 and actions.count("dept.add") == 8
    assert actions.count("user.add") == 29 and actions.count("user.disable") == 1
    # each person entered their own phone, as themselves
    own = [r for r in rows if r.action == "user.edit"]
    assert sorted(r.actor_login for r in own) == sorted(demo_service.LOGINS)
    assert all(r.record_label == r.actor_login and "phone" in r.changes for r in own)
    assert all(r.command == "crm --user admin demo" for r in rows[1:])
    demo_time = rows[-1].at
    assert demo_time.isoformat() == "2026-11-22T01:00:00+00:00"
    assert all(r.at == demo_time for r in rows[1:])
    assert all(u.created_at == demo_time for u in users if u.login != ADMIN)


def test_the_same_demo_every_run(tmp_path, monkeypatch):
    monkeypatch.setenv("CRM_NOW", NOW)
    listings = []
    for name in ("one.sqlite", "two.sqlite"):
        db = str(tmp_path / name)
        assert run_crm(["--db", db, "--user", "boss", "demo"]).code == 0
        listed = run_crm(["--db", db, "--user", "boss", "--json", "user", "list", "--all"])
        shown = [run_crm(["--db", db, "--user", "boss", "--json", "user", "show", login]).json()
                 for login in sorted(demo_service.LOGINS)]
        records = [run_crm(["--db", db, "--user", "boss", noun, "export", "--format", "jsonl", "--sort", "id"]).out
                   for noun in ("lead", "customer", "contact")]
        log = run_crm(["--db", db, "--user", "boss", "--json", "audit", "list", "--limit", "100000"]).json()
        # the command names the file; recorded_at is the real clock, which no CRM_NOW fixes
        log = [{k: v for k, v in row.items() if k not in ("command", "recorded_at")} for row in log]
        listings.append((listed.json(), shown, records, log))
    assert listings[0] == listings[1]
    assert all(len(out.splitlines()) > 100 for out in listings[0][2])
    assert {s["login"]: s["phone"] for s in listings[0][1]}["wangfang"].startswith("+86 13")
    assert {s["login"]: s["phone"] for s in listings[0][1]}["james"].startswith("+44 20 ")


# --- access in the demo -------------------------------------------------------------------------


def test_a_sales_rep_sees_only_their_own_audit_rows(demo, crm, session):
    with session() as s:
        liqiang = s.execute(select(User).where(User.login == "liqiang")).scalar_one()
    rows = crm("audit", "list", "--json", "--limit", "10000", user="liqiang").json()
    assert {r["user"] for r in rows} == {"liqiang"}
    own = [r for r in rows if r["action"].startswith("user.")]
    assert [(r["user"], r["action"], r["record"]) for r in own] == [("liqiang", "user.edit", f"user:{liqiang.id}")]
    assert own[0]["changes"] == {"phone": [None, liqiang.phone]}
    assert {r["action"] for r in rows} >= {"lead.add", "customer.add", "contact.add", "followup.add"}


def test_the_sales_director_sees_the_log_of_every_sales_team(demo, crm):
    rows = crm("audit", "list", "--json", "--limit", "100000", user="wangfang").json()
    assert {r["user"] for r in rows} == SALES
    east = crm("audit", "list", "--json", "--limit", "100000", user="zhaomin").json()
    assert {r["user"] for r in east} == {"zhaomin", "liqiang", "zhoujie", "sunli", "huanglei", "wuxia", "zhengkai"}


def test_the_suggested_why_works(demo, crm):
    result = crm("why", "wangfang", "user:liqiang", "--json", user="wangfang")
    assert result.code == 0, result
    data = result.json()
    assert data["can_see"] is True and data["can_change"] is False


def test_a_former_employee_cannot_act(demo, crm):
    _refused(crm("user", "list", user="liumin"), 4, "user 'liumin' is disabled")


# --- where it runs ----------------------------------------------------------------------------


def test_a_new_database_at_db_path_is_created_first(empty_db_url):
    result = run_crm(["--db", empty_db_url, "--user", "boss", "demo"])
    assert result.code == 0, result
    assert "Created the crm database at" in result.err and "boss is its administrator" in result.err
    engine = create_engine(empty_db_url)
    with Session(engine) as s:
        assert s.execute(select(func.count()).select_from(User)).scalar() == 30
        assert s.execute(select(func.count()).select_from(Department)).scalar() == 9
    engine.dispose()


def test_the_default_location_when_nothing_exists_yet(tmp_path, monkeypatch):
    monkeypatch.setenv("CRM_USER", "boss")
    result = run_crm(["demo"])
    assert result.code == 0, result
    data_dir = Path(tmp_path / "home" / ".local" / "share")
    files = list(data_dir.rglob("*.sqlite"))
    assert len(files) == 1, files
    assert "crm user list\n" in result.err  # no --db or --user needed afterwards
    listed = run_crm(["--format", "ids", "user", "list"])
    assert len(listed.out.split()) == 29  # 30 people, one of whom has left


# --- refusals: nothing written ---------------------------------------------------------------------


def test_a_second_run_refuses_and_writes_nothing(demo, crm, session):
    before = snapshot(session)
    again = crm("demo")
    _refused(again, 5, "")
    assert "already holds data (9 departments, 30 users, " in again.err
    assert " rows in lead" in again.err
    assert "crm demo fills only a new database" in again.err
    assert snapshot(session) == before


@pytest.mark.parametrize("change", [
    ("dept", "add", "Sales"),
    ("user", "add", "bob"),
    ("role", "add", "Auditor"),
    ("role", "grant", "sales_rep", "customer.delete"),
    ("user", "edit", "me", "--phone", "123"),
], ids=lambda c: " ".join(c))
def test_any_change_after_init_makes_the_database_not_new(crm, session, change):
    assert crm(*change).code == 0
    before = snapshot(session)
    _refused(crm("demo"), 5, "")
    assert snapshot(session) == before


def test_a_demo_login_as_administrator_is_refused_before_anything_is_created(tmp_path):
    db = tmp_path / "new.sqlite"
    _refused(run_crm(["--db", str(db), "--user", "wangfang", "demo"]), 5,
             "the login 'wangfang' belongs to one of the demo's users")
    assert not db.exists()


def test_an_unknown_acting_user_is_refused(crm, session):
    before = snapshot(session)
    _refused(crm("demo", user="ghost"), 4, "unknown user 'ghost'")
    assert snapshot(session) == before


def test_a_failing_step_leaves_nothing_behind(crm, session, monkeypatch):
    def broken(s, actor, demo):
        raise demo_service.Conflict("a later step failed")

    monkeypatch.setattr(demo_service, "STEPS", list(demo_service.STEPS))
    demo_service.add_step("broken", broken)
    before = snapshot(session)
    _refused(crm("demo"), 5, "a later step failed")
    assert snapshot(session) == before


def test_steps_can_be_added_and_see_what_earlier_ones_made(crm, session, monkeypatch):
    seen = {}

    def count_sales(s, actor, demo):
        seen["users"] = len(demo.users)
        seen["dept"] = demo.departments["华东销售部"].name
        seen["draw"] = demo.rng("count_sales").random()
        demo.count("sales people", sum(1 for p in demo_service.PEOPLE if p.login in SALES))

    monkeypatch.setattr(demo_service, "STEPS", list(demo_service.STEPS))
    demo_service.add_step("count_sales", count_sales, after="users")
    assert [s.name for s in demo_service.STEPS].index("count_sales") == 3
    result = crm("demo", "--json")
    assert result.code == 0, result
    assert result.json()["created"]["sales people"] == len(SALES)
    assert seen["users"] == 29 and seen["dept"] == "华东销售部"
    assert seen["draw"] == demo_service.Demo().rng("count_sales").random()
    with pytest.raises(ValueError):
        demo_service.add_step("count_sales", count_sales)


def test_hints_repeat_the_options_the_run_needed_but_never_a_password(monkeypatch):
    from crmcli.commands.demo import _next_steps
    from crmcli.runtime import Runtime

    monkeypatch.delenv("CRM_DATABASE_URL", raising=False)
    hints = _next_steps(Runtime(db="postgresql+psycopg://crm:s3cret@db.example.com/crm", user="boss"))
    assert hints[0] == "crm --db 'postgresql+psycopg://crm:***@db.example.com/crm' --user boss dept list"
    assert "crm --db 'postgresql+psycopg://crm:***@db.example.com/crm' --user liqiang audit list" in hints
    assert not any("s3cret" in h for h in hints)
    # given through the environment, they are not repeated
    monkeypatch.setenv("CRM_DATABASE_URL", "team.sqlite")
    monkeypatch.setenv("CRM_USER", "boss")
    assert _next_steps(Runtime(db="team.sqlite", user="boss"))[:2] == ["crm dept list", "crm user list"]


# --- the records step: leads, customers, contacts, follow-ups --------------------------------------


def test_the_records_of_the_sales_people(demo, session):
    from crmcli.services import customers as customer_service
    from crmcli.services import leads as lead_service
    from crmcli.services.demo_records import SHOWCASE
    from crmcli.store.models import Contact, CustomField, Customer, FollowUp, Lead, TeamMember

    with session() as s:
        logins = {u.id: u.login for u in s.execute(select(User)).scalars()}
        lead_rows = list(s.execute(select(Lead)).scalars())
        customer_rows = list(s.execute(select(Customer)).scalars())
        contact_rows = list(s.execute(select(Contact)).scalars())
        follow_rows = list(s.execute(select(FollowUp)).scalars())
        team = list(s.execute(select(TeamMember).where(TeamMember.record_type == "customer")).scalars())
        field = s.execute(select(CustomField).where(CustomField.name == "industry_code")).scalar_one()
    # a few hundred records
    assert 150 <= len(lead_rows) <= 300 and 90 <= len(customer_rows) <= 200
    assert 150 <= len(contact_rows) <= 300 and 300 <= len(follow_rows) <= 700
    # owned by the sales people (and a few pool leads from marketing); 刘敏 left and handed hers to 陈浩
    owners = {logins.get(r.owner_id) for r in lead_rows + customer_rows + contact_rows}
    assert owners - {None} <= SALES | {"yangxue"} and "chenhao" in owners
    open_records = [r for r in lead_rows if r.status not in ("converted", "invalid")] + customer_rows + contact_rows
    assert "liumin" not in {logins.get(r.owner_id) for r in open_records}  # closed leads stay hers
    assert sum(1 for r in lead_rows if r.owner_id is None) >= 3
    # Chinese and English names and companies
    assert any(r.name.isascii() for r in lead_rows) and any(not r.name.isascii() for r in lead_rows)
    assert any(r.company and r.company.endswith("有限公司") for r in lead_rows)
    assert any(r.company and r.company.endswith(("Ltd", "S.L.", "K.K.")) for r in lead_rows)
    # every source and status; invalid ones have a reason; converted ones link what they became
    assert {r.source for r in lead_rows} == set(lead_service.SOURCES)
    assert {r.status for r in lead_rows} == set(lead_service.STATUSES)
    assert all(r.invalid_reason for r in lead_rows if r.status == "invalid")
    converted = [r for r in lead_rows if r.status == "converted"]
    assert len(converted) >= 10 and all(r.customer_id and r.contact_id and r.converted_at for r in converted)
    # customers: tiers, every status, locked key accounts, teams, the custom field
    assert {r.tier for r in customer_rows} >= {"A", "B", "C"}
    assert {r.status for r in customer_rows} == set(customer_service.STATUSES)
    assert any(r.locked for r in customer_rows) and all(r.tier == "A" for r in customer_rows if r.locked)
    assert len(team) >= 10 and {m.access for m in team} == {"read", "write"}
    assert field.type == "text"
    assert sum(1 for r in customer_rows if (r.custom or {}).get("industry_code")) >= 50
    assert all(r.credit_code is None or len(r.credit_code) == 18 for r in customer_rows)
    # contacts: one primary per customer that has contacts, roles, birthdays
    primaries: dict[int, int] = {}
    for c in contact_rows:
        primaries[c.customer_id] = primaries.get(c.customer_id, 0) + int(c.is_primary)
    assert set(primaries.values()) == {1}
    assert {"decision maker", "technical lead", "决策人", "采购"} <= {c.role for c in contact_rows}
    assert sum(1 for c in contact_rows if c.birthday) >= 50
    # follow-ups on all three kinds, in the past; next contacts around now
    assert {f.record_type for f in follow_rows} == {"lead", "customer", "contact"}
    now = datetime.fromisoformat(NOW)
    assert all(f.at <= now for f in follow_rows)
    nexts = [r.next_contact_at for r in lead_rows + customer_rows + contact_rows if r.next_contact_at]
    assert any(t < now for t in nexts) and any(t > now for t in nexts)
    # closed records wait for no contact
    assert all(r.next_contact_at is None for r in lead_rows if r.status in ("invalid", "converted"))
    # the customer the hints show
    showcase = next(r for r in customer_rows if r.name == SHOWCASE[1])
    assert logins[showcase.owner_id] == "liqiang" and showcase.tier == "A" and showcase.locked
    assert primaries[showcase.id] == 1 and sum(1 for c in contact_rows if c.customer_id == showcase.id) == 3


def test_summary_counts_the_records(crm, session, monkeypatch):
    from crmcli.store.models import Contact, Customer, FollowUp, Lead

    monkeypatch.setenv("CRM_NOW", NOW)
    data = crm("demo", "--json").json()
    with session() as s:
        counts = {what: s.execute(select(func.count()).select_from(model)).scalar_one()
                  for what, model in (("leads", Lead), ("customers", Customer), ("contacts", Contact),
                                      ("follow-ups", FollowUp))}
    assert {k: data["created"][k] for k in counts} == counts
    assert (data["leads"], data["customers"], data["contacts"], data["followups"]) == (
        counts["leads"], counts["customers"], counts["contacts"], counts["follow-ups"])


@pytest.mark.parametrize("login", ["liqiang", "hejun", "james", "chenhao"])
def test_every_sales_rep_has_something_overdue_and_due_today(demo, crm, login):
    for noun in ("lead", "customer"):
        for when in ("overdue", "today", "week"):
            result = crm(noun, "list", "--owner", "me", "--next-contact", when, "--format", "ids", user=login)
            assert result.code == 0, result
            assert result.out.split(), (noun, when)


def test_the_suggested_record_commands_work(demo, crm):
    """Every hint after the organisation's runs and shows rows (crm tui aside: it is tested in tests/tui)."""
    from crmcli.commands.demo import _next_steps
    from crmcli.runtime import Runtime

    hints = [h for h in _next_steps(Runtime()) if not h.endswith(" tui") and "--user" in h]
    hints = hints[hints.index("crm --user liqiang lead list"):]
    assert len(hints) == 14
    for hint in hints:
        args = hint.split()[1:]
        user = args[args.index("--user") + 1]
        rest = [a for i, a in enumerate(args) if a != "--user" and (i == 0 or args[i - 1] != "--user")]
        result = crm(*rest, "--format", "tsv", user=user)
        assert result.code == 0, (hint, result)
        assert len(result.out.splitlines()) >= 2, (hint, result)


def test_the_showcase_customer_360_view(demo, crm):
    from crmcli.services.demo_records import SHOWCASE

    data = crm("customer", "show", SHOWCASE[1], "--json", user="liqiang").json()
    assert data["tier"] == "A" and data["locked"] is True and data["custom"] == {"industry_code": "C39"}
    assert [m["login"] for m in data["team"]] == ["zhoujie"]
    assert len(data["contacts"]) == 3 and sum(c["primary"] for c in data["contacts"]) == 1
    # a team member sees it whatever their scope; another rep does not
    assert crm("customer", "show", SHOWCASE[1], "--json", user="zhoujie").code == 0
    refused = crm("customer", "show", SHOWCASE[1], user="hejun")
    assert refused.code == 3 and refused.out == ""
