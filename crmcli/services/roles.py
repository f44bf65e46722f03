"""Roles (角色): operation permissions and one data scope each."""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from crmcli.errors import Conflict, ValidationError
from crmcli.i18n import _
from crmcli.services import audit, catalog, departments, lookup
from crmcli.services.access import Actor, Kind, register_kind, require
from crmcli.store.models import Role, RoleDepartment, RolePermission, UserRole

ROLE = register_kind(Kind(name="role", model=Role, noun="role", owner_attr="id", public=True, label=lambda r: r.name))


def display_name(role: Role) -> str:
    """Built-in roles are shown in the user's language; custom ones as named."""
    return _(role.name) if role.builtin else role.name


def _by_name(session: Session, text: str) -> list[Role]:
    roles = session.execute(select(Role)).scalars().all()
    folded = text.casefold()
    return [r for r in roles if folded in (r.key.casefold(), r.name.casefold(), display_name(r).casefold())]


def find(session: Session, ref: str) -> Role:
    return lookup.one(
        ref, _("role"),
        by_id=lambda i: session.get(Role, i),
        by_name=lambda t: _by_name(session, t),
        describe=lambda r: f"#{r.id} {r.key}",
    )


def _guard_super(role: Role) -> None:
    if role.is_super:
        raise ValidationError(_("the super administrator role cannot be changed"))


def check_permission_name(name: str) -> str:
    name = name.strip().lower()
    noun, _sep, verb = name.partition(".")
    verbs = catalog.PERMISSIONS.get(noun)
    if verbs is None or not verb or (verb != "*" and verb not in verbs):
        raise ValidationError(
            _("unknown permission '{name}'").format(name=name),
            hint=_("crm role permissions lists them; NOUN.* grants every verb on a noun"),
        )
    return name


def check_scope(scope: str) -> str:
    scope = scope.strip().lower().replace("-", "_")
    if scope not in catalog.SCOPES:
        raise ValidationError(
            _("unknown data scope '{scope}'").format(scope=scope),
            hint=_("one of: {choices}").format(choices=", ".join(catalog.SCOPES)),
        )
    return scope


def _slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_")


def add(session: Session, actor: Actor, name: str, scope: str = "self", description: str | None = None,
        copy_from: str | None = None) -> Role:
    require(actor, "role.create")
    name = (name or "").strip()
    if not name:
        raise ValidationError(_("a role needs a name"))
    scope = check_scope(scope)
    if scope == "custom":
        raise ValidationError(_("give a custom scope's departments with crm role scope ROLE custom --dept D"))
    if _by_name(session, name):
        raise Conflict(_("a role named '{name}' already exists").format(name=name))
    source = find(session, copy_from) if copy_from else None
    key = _slug(name)
    if not key or session.execute(select(Role.id).where(Role.key == key)).first():
        key = f"role_{(session.execute(select(func.max(Role.id))).scalar() or 0) + 1}"
    role = Role(key=key, name=name, description=description, data_scope=scope)
    session.add(role)
    session.flush()
    permissions: list[str] = []
    if source is not None:
        permissions = permissions_of(session, source)
        for perm in permissions:
            session.add(RolePermission(role_id=role.id, permission=perm))
    audit.record(session, actor, "role.add", "role", role.id, name,
                 audit.created({"name": name, "data_scope": scope, "permissions": permissions or None}))
    return role


def permissions_of(session: Session, role: Role) -> list[str]:
    return sorted(session.execute(
        select(RolePermission.permission).where(RolePermission.role_id == role.id)
    ).scalars())


def grant(session: Session, actor: Actor, ref: str, permissions: list[str]) -> Role:
    require(actor, "role.edit")
    role = find(session, ref)
    _guard_super(role)
    wanted = [check_permission_name(p) for p in permissions]
    have = set(permissions_of(session, role))
    added = [p for p in dict.fromkeys(wanted) if p not in have]
    for perm in added:
        session.add(RolePermission(role_id=role.id, permission=perm))
    if added:
        audit.record(session, actor, "role.grant", "role", role.id, role.name, {"permissions": [None, added]})
    return role


def revoke(session: Session, actor: Actor, ref: str, permissions: list[str]) -> Role:
    require(actor, "role.edit")
    role = find(session, ref)
    _guard_super(role)
    wanted = [check_permission_name(p) for p in permissions]
    have = set(permissions_of(session, role))
    removed = [p for p in dict.fromkeys(wanted) if p in have]
    if removed:
        session.execute(delete(RolePermission).where(
            RolePermission.role_id == role.id, RolePermission.permission.in_(removed)))
        audit.record(session, actor, "role.revoke", "role", role.id, role.name, {"permissions": [removed, None]})
    return role


def set_scope(session: Session, actor: Actor, ref: str, scope: str, dept_refs: list[str] | None = None) -> Role:
    require(actor, "role.edit")
    role = find(session, ref)
    _guard_super(role)
    scope = check_scope(scope)
    dept_ids: list[int] = []
    if scope == "custom":
        if not dept_refs:
            raise ValidationError(_("a custom scope needs at least one --dept"))
        dept_ids = sorted({departments.find(session, d).id for d in dept_refs})
    elif dept_refs:
        raise ValidationError(_("--dept goes only with the custom scope"))
    before = {"data_scope": role.data_scope, "departments": custom_departments(session, role)}
    role.data_scope = scope
    session.execute(delete(RoleDepartment).where(RoleDepartment.role_id == role.id))
    for dept_id in dept_ids:
        session.add(RoleDepartment(role_id=role.id, department_id=dept_id))
    audit.record(session, actor, "role.scope", "role", role.id, role.name,
                 audit.diff(before, {"data_scope": scope, "departments": dept_ids}))
    return role


def custom_departments(session: Session, role: Role) -> list[int]:
    return sorted(session.execute(
        select(RoleDepartment.department_id).where(RoleDepartment.role_id == role.id)
    ).scalars())


@dataclass
class RoleRow:
    id: int
    key: str
    name: str
    scope: str
    permissions: int
    users: int
    builtin: bool
    is_super: bool


def list_all(session: Session, actor: Actor) -> list[RoleRow]:
    require(actor, "role.view")
    perm_counts = dict(session.execute(
        select(RolePermission.role_id, func.count()).group_by(RolePermission.role_id)).all())
    user_counts = dict(session.execute(select(UserRole.role_id, func.count()).group_by(UserRole.role_id)).all())
    return [
        RoleRow(r.id, r.key, display_name(r), r.data_scope,
                len(catalog.all_permissions()) if r.is_super else perm_counts.get(r.id, 0),
                user_counts.get(r.id, 0), r.builtin, r.is_super)
        for r in session.execute(select(Role).order_by(Role.id)).scalars()
    ]
