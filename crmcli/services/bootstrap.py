"""A new database: schema, the top department, the default roles, the first administrator."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from crmcli import clock
from crmcli.services import audit, catalog
from crmcli.services.access import SYSTEM
from crmcli.store.models import Department, Role, RolePermission, User, UserRole

TOP_DEPARTMENT = "Office"
TOP_DEPARTMENT_ZH = "办公室"


def top_department_name() -> str:
    """'Office', or 办公室 when the database is created in Chinese (renamable either way)."""
    from crmcli.i18n import current_language

    return TOP_DEPARTMENT_ZH if current_language() == "zh_CN" else TOP_DEPARTMENT


@dataclass
class InitResult:
    created: bool
    admin_login: str
    department: str


def seed(session: Session, admin_login: str, admin_name: str | None = None, timezone: str | None = None) -> InitResult:
    """Fill an empty schema. Does nothing (and says so) when the organisation already exists."""
    existing = session.execute(select(Department).where(Department.parent_id.is_(None))).scalars().first()
    if existing is not None:
        return InitResult(False, admin_login, existing.name)
    now = clock.now()
    top = Department(name=top_department_name(), created_at=now)
    session.add(top)
    session.flush()
    role_ids: dict[str, int] = {}
    for key, name, scope, permissions, description in catalog.DEFAULT_ROLES:
        role = Role(key=key, name=name, description=description, data_scope=scope,
                    builtin=True, is_super=key == catalog.SUPER_ADMIN)
        session.add(role)
        session.flush()
        role_ids[key] = role.id
        for perm in permissions:
            session.add(RolePermission(role_id=role.id, permission=perm))
    admin = User(login=admin_login, name=admin_name or admin_login, department_id=top.id,
                 timezone=timezone, created_at=now)
    session.add(admin)
    session.flush()
    session.add(UserRole(user_id=admin.id, role_id=role_ids[catalog.SUPER_ADMIN]))
    from crmcli.services import pool  # the default public pool (公海) and the lead pool, with default rules

    pool.seed_defaults(session)
    from crmcli.services import stages

    stages.seed(session)  # the default sales stages (migration 0004 adds them to upgraded databases)
    audit.record(session, SYSTEM, "db.init", "dept", top.id, top.name,
                 audit.created({"department": top.name, "admin": admin_login,
                                "roles": [k for k, *_ in catalog.DEFAULT_ROLES]}))
    return InitResult(True, admin_login, top.name)
