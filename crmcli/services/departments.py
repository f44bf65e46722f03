"""Departments (部门): a tree under one top department."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from crmcli import clock
from crmcli.errors import Conflict, ValidationError
from crmcli.i18n import _
from crmcli.services import audit, lookup
from crmcli.services.access import Actor, Kind, register_kind, require
from crmcli.store.models import Department, User


def _by_name(session: Session, text: str) -> list[Department]:
    if "/" in text:
        return [d for d in session.execute(select(Department)).scalars() if path_of(session, d) == _norm_path(text)]
    return list(session.execute(select(Department).where(Department.name == text)).scalars())


def _norm_path(text: str) -> str:
    return " / ".join(part.strip() for part in text.split("/") if part.strip())


DEPT = register_kind(Kind(
    name="dept", model=Department, noun="dept", owner_attr="id", public=True,
    label=lambda d: d.name, aliases=("department",),
))


def find(session: Session, ref: str) -> Department:
    return lookup.one(
        ref, _("department"),
        by_id=lambda i: session.get(Department, i),
        by_name=lambda t: _by_name(session, t),
        describe=lambda d: f"#{d.id} {path_of(session, d)}",
    )


def top(session: Session) -> Department:
    return session.execute(
        select(Department).where(Department.parent_id.is_(None)).order_by(Department.id)
    ).scalars().first()


def path_of(session: Session, dept: Department) -> str:
    names, node, seen = [], dept, set()
    while node is not None and node.id not in seen:
        seen.add(node.id)
        names.append(node.name)
        node = session.get(Department, node.parent_id) if node.parent_id else None
    return " / ".join(reversed(names))


def _check_name(name: str) -> str:
    name = (name or "").strip()
    if not name:
        raise ValidationError(_("a department needs a name"))
    if "/" in name:
        raise ValidationError(_("a department name may not contain '/'"))
    if len(name) > 120:
        raise ValidationError(_("a department name may be at most 120 characters"))
    return name


def _check_sibling(session: Session, parent_id: int | None, name: str, exclude: int | None = None) -> None:
    query = select(Department.id).where(Department.parent_id == parent_id, Department.name == name)
    clash = session.execute(query).scalars().first()
    if clash is not None and clash != exclude:
        raise Conflict(_("a department named '{name}' already exists there (id {id})").format(name=name, id=clash))


def add(session: Session, actor: Actor, name: str, parent: str | None = None) -> Department:
    require(actor, "dept.create")
    name = _check_name(name)
    parent_dept = find(session, parent) if parent else top(session)
    _check_sibling(session, parent_dept.id, name)
    dept = Department(name=name, parent_id=parent_dept.id, created_at=clock.now())
    session.add(dept)
    session.flush()
    audit.record(session, actor, "dept.add", "dept", dept.id, path_of(session, dept),
                 audit.created({"name": name, "parent_id": parent_dept.id}))
    return dept


def rename(session: Session, actor: Actor, ref: str, new_name: str) -> Department:
    require(actor, "dept.edit")
    dept = find(session, ref)
    new_name = _check_name(new_name)
    _check_sibling(session, dept.parent_id, new_name, exclude=dept.id)
    before = dept.name
    dept.name = new_name
    audit.record(session, actor, "dept.rename", "dept", dept.id, path_of(session, dept), {"name": [before, new_name]})
    return dept


def move(session: Session, actor: Actor, ref: str, new_parent: str) -> Department:
    require(actor, "dept.edit")
    dept = find(session, ref)
    parent = find(session, new_parent)
    node = parent
    while node is not None:
        if node.id == dept.id:
            raise ValidationError(
                _("moving '{dept}' under '{parent}' would make a cycle in the department tree").format(
                    dept=dept.name, parent=parent.name
                )
            )
        node = session.get(Department, node.parent_id) if node.parent_id else None
    _check_sibling(session, parent.id, dept.name, exclude=dept.id)
    before = dept.parent_id
    dept.parent_id = parent.id
    audit.record(session, actor, "dept.move", "dept", dept.id, path_of(session, dept), {"parent_id": [before, parent.id]})
    return dept


@dataclass
class DeptRow:
    id: int
    name: str
    path: str
    parent_id: int | None
    users: int


def list_all(session: Session, actor: Actor) -> list[DeptRow]:
    require(actor, "dept.view")
    counts = dict(session.execute(
        select(User.department_id, func.count()).where(User.disabled.is_(False)).group_by(User.department_id)
    ).all())
    depts = session.execute(select(Department)).scalars().all()
    rows = [DeptRow(d.id, d.name, path_of(session, d), d.parent_id, counts.get(d.id, 0)) for d in depts]
    return sorted(rows, key=lambda r: r.path)
