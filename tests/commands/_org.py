"""A small organisation shared by the organisation and access tests, and a DB snapshot helper.

    Office (admin: super administrator)
    ├── Sales (mgr: sales_manager, department_and_children)
    │   └── East (rep, rep2: sales_rep, self)
    └── Marketing (mk: marketing, department)
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select, text

LOGINS = ("mgr", "rep", "rep2", "mk")


def build_org(crm) -> dict[str, int]:
    """Create the tree and the users above; returns login -> user id."""
    for args in (("dept", "add", "Sales"), ("dept", "add", "East", "--parent", "Sales"), ("dept", "add", "Marketing"),
                 ("user", "add", "mgr", "--name", "Manager Ma", "--dept", "Sales", "--role", "sales_manager"),
                 ("user", "add", "rep", "--name", "Rep Wang", "--dept", "East", "--role", "sales_rep"),
                 ("user", "add", "rep2", "--name", "Rep Li", "--dept", "East", "--role", "sales_rep"),
                 ("user", "add", "mk", "--name", "Mark Zhao", "--dept", "Marketing", "--role", "marketing")):
        result = crm(*args)
        assert result.code == 0, result
    ids = crm("user", "list", "--json").json()
    return {u["login"]: u["id"] for u in ids}


def user_row(session, login: str) -> Any:
    from crmcli.store.models import User

    with session() as s:
        return s.execute(select(User).where(User.login == login)).scalar_one_or_none()


def audit_rows(session) -> list[Any]:
    from crmcli.store.models import AuditLog

    with session() as s:
        return list(s.execute(select(AuditLog).order_by(AuditLog.id)).scalars())


def snapshot(session) -> dict[str, list[tuple]]:
    """Every row of every table (sorted), to prove that a failed command wrote nothing."""
    from sqlmodel import SQLModel

    import crmcli.store.models  # noqa: F401

    dump: dict[str, list[tuple]] = {}
    with session() as s:
        for table in SQLModel.metadata.sorted_tables:
            rows = s.execute(select(table)).all()
            dump[table.name] = sorted((tuple(r) for r in rows), key=repr)
        dump["alembic_version"] = [tuple(r) for r in s.execute(text("SELECT version_num FROM alembic_version"))]
    return dump
