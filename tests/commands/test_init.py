"""crm init: creates the organisation once; a second run changes nothing and says so."""

from sqlalchemy import func, select

from crmcli.store.models import AuditLog, Department, Role, User, UserRole
from tests.conftest import run_crm


def test_init_creates_office_roles_and_admin(empty_db_url):
    result = run_crm(["--db", empty_db_url, "init", "--admin", "boss", "--name", "Boss Wang"])
    assert result.code == 0, result
    assert "Created the crm database" in result.err
    from sqlalchemy import create_engine
    from sqlalchemy.orm import Session

    engine = create_engine(empty_db_url)
    with Session(engine) as s:
        assert [d.name for d in s.execute(select(Department)).scalars()] == ["Office"]
        keys = sorted(s.execute(select(Role.key)).scalars())
        assert keys == sorted(["super_admin", "sales_manager", "sales_rep", "marketing", "customer_service", "finance"])
        boss = s.execute(select(User).where(User.login == "boss")).scalar_one()
        assert boss.name == "Boss Wang"
        role_ids = s.execute(select(UserRole.role_id).where(UserRole.user_id == boss.id)).scalars().all()
        assert [s.get(Role, r).key for r in role_ids] == ["super_admin"]
        assert s.execute(select(func.count()).select_from(AuditLog)).scalar() == 1
    engine.dispose()


def test_init_twice_changes_nothing(empty_db_url):
    assert run_crm(["--db", empty_db_url, "init", "--admin", "boss"]).code == 0
    again = run_crm(["--db", empty_db_url, "init", "--admin", "someone_else"])
    assert again.code == 0
    assert "already exists; nothing changed" in again.err
    listed = run_crm(["--db", empty_db_url, "--user", "boss", "user", "list", "--format", "ids"])
    assert listed.out == "1\n"
