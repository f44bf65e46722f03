"""Users (员工): added, edited, disabled and enabled — never deleted.

Disabling a user who still owns records hands them over: each record type
registers a :data:`HANDOVERS` function that moves its rows in one statement.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Callable

from sqlalchemy import select
from sqlalchemy.orm import Session

from crmcli import clock, limits
from crmcli.errors import Conflict, PermissionDenied, ValidationError
from crmcli.i18n import _
from crmcli.services import audit, departments, lookup, roles
from crmcli.services.access import Actor, Kind, check_record, register_kind, require
from crmcli.store.models import Role, User, UserRole

LOGIN_PATTERN = re.compile(r"^[A-Za-z][A-Za-z0-9._-]{0,63}$")
EMAIL_PATTERN = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
PERSONAL_FIELDS = ("name", "email", "phone", "timezone", "language")
LOGGED_FIELDS = ("login", "name", "email", "phone", "department_id", "manager_id", "timezone", "language", "disabled")

USER = register_kind(Kind(
    name="user", model=User, noun="user", owner_attr="id", public=True,
    label=lambda u: u.login, aliases=("users",),
))

# record type -> (count owned by user id, move from user id to user id; returns rows moved)
HANDOVERS: dict[str, tuple[Callable[[Session, int], int], Callable[[Session, Actor, int, int], int]]] = {}


def register_handover(record_type: str, count: Callable[[Session, int], int],
                      move: Callable[[Session, Actor, int, int], int]) -> None:
    HANDOVERS[record_type] = (count, move)


def find(session: Session, ref: str) -> User:
    return lookup.one(
        ref, _("user"),
        by_id=lambda i: session.get(User, i),
        by_name=lambda t: session.execute(select(User).where(User.login == t)).scalars().all()
        or session.execute(select(User).where(User.name == t)).scalars().all(),
        describe=lambda u: f"#{u.id} {u.login} ({u.name})",
    )


def show(session: Session, actor: Actor, ref: str) -> User:
    """One user as ``crm user show`` sees them: anyone may look at themselves, others need user.view."""
    user = find(session, ref)
    if user.id != actor.id:
        require(actor, "user.view")
    return user


def find_active(session: Session, ref: str) -> User:
    """A user who may be given records or roles: disabled users are refused."""
    user = find(session, ref)
    if user.disabled:
        raise ValidationError(_("user '{login}' is disabled").format(login=user.login))
    return user


def check_login(login: str) -> str:
    login = (login or "").strip()
    if not LOGIN_PATTERN.match(login):
        raise ValidationError(
            _("'{login}' is not a valid login").format(login=limits.shown(login)),
            hint=_("a login starts with a letter and has only letters, digits, '.', '_' or '-' (at most 64)"),
        )
    return login


def check_email(email: str | None) -> str | None:
    if email is None or not email.strip():
        return None
    email = email.strip()
    if not EMAIL_PATTERN.match(email):
        raise ValidationError(_("'{email}' is not a valid email address").format(email=email))
    return email


def _check_timezone(name: str | None) -> str | None:
    if not name:
        return None
    from crmcli.timezones import load_zone

    load_zone(name)
    return name


def _check_language(value: str | None) -> str | None:
    if not value:
        return None
    from crmcli.settings import KEYS

    return KEYS["language"].check(value)


# How wide a data scope reaches, for "no one hands out more than they hold".
_SCOPE_REACH = {"self": 0, "department": 1, "custom": 2, "department_and_children": 2, "all": 3}


def _resolve_roles(session: Session, actor: Actor, refs: list[str]) -> list[Role]:
    """The roles named; a non-super actor may give only roles no wider than their own.

    "No wider" means every permission of the role is one the actor holds, and its data
    scope reaches no further than the actor's widest scope.  Otherwise a manager with
    user.edit could make anyone finance, which sees everything.
    """
    found = [roles.find(session, r) for r in refs]
    if actor.is_super:
        return found
    if any(r.is_super for r in found):
        raise PermissionDenied(_("only a super administrator may give the super administrator role"))
    reach = max((_SCOPE_REACH.get(scope, 0) for scope in actor.scopes), default=0)
    for role in found:
        missing = [p for p in roles.permissions_of(session, role) if not actor.can(p)]
        if missing or _SCOPE_REACH.get(role.data_scope, 0) > reach:
            raise PermissionDenied(
                _("{login} may not give the role {role}: it reaches further than their own roles").format(
                    login=actor.login, role=roles.display_name(role)),
                hint=_("a super administrator can give it"))
    return found


def _check_manager(session: Session, user: User | None, manager: User) -> None:
    node, seen = manager, set()
    while node is not None and node.id not in seen:
        if user is not None and node.id == user.id:
            raise ValidationError(_("{login} cannot report to {manager}: that would make a cycle").format(
                login=user.login, manager=manager.login))
        seen.add(node.id)
        node = session.get(User, node.manager_id) if node.manager_id else None


def add(session: Session, actor: Actor, login: str, name: str, *, email: str | None = None,
        phone: str | None = None, dept: str | None = None, manager: str | None = None,
        role_refs: list[str] | None = None, timezone: str | None = None, language: str | None = None) -> User:
    require(actor, "user.create")
    login = check_login(login)
    name = (name or "").strip() or login
    existing = session.execute(select(User.id).where(User.login == login)).scalar()
    if existing is not None:
        raise Conflict(_("the login '{login}' is taken (user {id})").format(login=login, id=existing))
    department = departments.find(session, dept) if dept else departments.top(session)
    boss = find_active(session, manager) if manager else None
    role_list = _resolve_roles(session, actor, role_refs or ["sales_rep"])
    user = User(
        login=login, name=name, email=check_email(email), phone=(phone or "").strip() or None,
        department_id=department.id, manager_id=boss.id if boss else None,
        timezone=_check_timezone(timezone), language=_check_language(language), created_at=clock.now(),
    )
    session.add(user)
    session.flush()
    check_record(session, actor, USER, user, "create")  # the new user must be in the actor's scope
    for role in role_list:
        session.add(UserRole(user_id=user.id, role_id=role.id))
    values = audit.snapshot(user, LOGGED_FIELDS)
    values["roles"] = [r.key for r in role_list]
    audit.record(session, actor, "user.add", "user", user.id, login, audit.created(values))
    return user


def role_keys(session: Session, user: User) -> list[str]:
    return list(session.execute(
        select(Role.key).join(UserRole, UserRole.role_id == Role.id).where(UserRole.user_id == user.id).order_by(Role.id)
    ).scalars())


def edit(session: Session, actor: Actor, ref: str, *, name: str | None = None, email: str | None = None,
         phone: str | None = None, dept: str | None = None, manager: str | None = None,
         timezone: str | None = None, language: str | None = None,
         add_roles: list[str] | None = None, remove_roles: list[str] | None = None) -> User:
    user = find(session, ref)
    organisational = any(v is not None for v in (dept, manager)) or add_roles or remove_roles
    if user.id != actor.id or organisational:
        check_record(session, actor, USER, user, "edit")
    before = audit.snapshot(user, LOGGED_FIELDS)
    before_roles = role_keys(session, user)
    if name is not None:
        if not name.strip():
            raise ValidationError(_("a user needs a name"))
        user.name = name.strip()
    if email is not None:
        user.email = check_email(email)
    if phone is not None:
        user.phone = phone.strip() or None
    if timezone is not None:
        user.timezone = _check_timezone(timezone)
    if language is not None:
        user.language = _check_language(language)
    if dept is not None:
        new_dept = departments.find(session, dept)
        if actor.scope_departments is not None and new_dept.id not in actor.scope_departments:
            raise PermissionDenied(
                _("{login} may not move users into {dept}: it is outside their data scope").format(
                    login=actor.login, dept=departments.path_of(session, new_dept)))
        user.department_id = new_dept.id
    if manager is not None:
        if manager.strip() in ("", "-", "none"):
            user.manager_id = None
        else:
            boss = find_active(session, manager)
            _check_manager(session, user, boss)
            user.manager_id = boss.id
    for role in _resolve_roles(session, actor, add_roles or []):
        if role.key not in before_roles:
            session.add(UserRole(user_id=user.id, role_id=role.id))
    for role in _resolve_roles(session, actor, remove_roles or []):
        link = session.get(UserRole, (user.id, role.id))
        if link is not None:
            if role.is_super:
                _ensure_other_super(session, user)
            session.delete(link)
    session.flush()
    after = audit.snapshot(user, LOGGED_FIELDS)
    after_roles = role_keys(session, user)
    changes = audit.diff({**before, "roles": before_roles}, {**after, "roles": after_roles})
    if changes:
        audit.record(session, actor, "user.edit", "user", user.id, user.login, changes)
    return user


def _ensure_other_super(session: Session, user: User) -> None:
    others = session.execute(
        select(User.id).join(UserRole, UserRole.user_id == User.id).join(Role, Role.id == UserRole.role_id)
        .where(Role.is_super.is_(True), User.disabled.is_(False), User.id != user.id)
    ).first()
    if others is None:
        raise Conflict(_("{login} is the last active super administrator").format(login=user.login),
                       hint=_("give another user the super administrator role first"))


@dataclass
class DisableResult:
    user: User
    handed_over: dict[str, int]


def owned_records(session: Session, user_id: int) -> dict[str, int]:
    from crmcli.services.kinds import load_all

    load_all()
    counts = {rtype: count(session, user_id) for rtype, (count, _move) in HANDOVERS.items()}
    return {k: v for k, v in counts.items() if v}


def disable(session: Session, actor: Actor, ref: str, handover_to: str | None = None,
            keep_records: bool = False) -> DisableResult:
    user = find(session, ref)
    check_record(session, actor, USER, user, "disable")
    if user.id == actor.id:
        raise ValidationError(_("you cannot disable yourself"))
    if user.disabled:
        raise Conflict(_("user '{login}' is already disabled").format(login=user.login))
    if "super_admin" in role_keys(session, user):
        _ensure_other_super(session, user)
    owned = owned_records(session, user.id)
    heir = find_active(session, handover_to) if handover_to else None
    if heir is not None and heir.id == user.id:
        raise ValidationError(_("hand the records over to someone else"))
    if owned and heir is None and not keep_records:
        summary = ", ".join(f"{n} {rtype}" for rtype, n in owned.items())
        raise Conflict(
            _("{login} still owns records ({summary})").format(login=user.login, summary=summary),
            hint=_("add --handover-to LOGIN to move them, or --keep-records to leave them"),
        )
    moved: dict[str, int] = {}
    if heir is not None:
        for rtype, (_count, move) in HANDOVERS.items():
            n = move(session, actor, user.id, heir.id)
            if n:
                moved[rtype] = n
    user.disabled = True
    user.disabled_at = clock.now()
    changes = {"disabled": [False, True]}
    if heir is not None:
        changes["handover_to"] = [None, heir.login]
        changes["handed_over"] = [None, moved]
    audit.record(session, actor, "user.disable", "user", user.id, user.login, changes)
    return DisableResult(user, moved)


def enable(session: Session, actor: Actor, ref: str) -> User:
    user = find(session, ref)
    check_record(session, actor, USER, user, "disable")
    if not user.disabled:
        raise Conflict(_("user '{login}' is not disabled").format(login=user.login))
    user.disabled = False
    user.disabled_at = None
    audit.record(session, actor, "user.enable", "user", user.id, user.login, {"disabled": [True, False]})
    return user


def list_all(session: Session, actor: Actor, include_disabled: bool = False, dept: str | None = None,
             role: str | None = None) -> list[User]:
    require(actor, "user.view")
    query = select(User).order_by(User.login)
    if not include_disabled:
        query = query.where(User.disabled.is_(False))
    if dept:
        from crmcli.services.access import department_children, subtree

        root = departments.find(session, dept)
        query = query.where(User.department_id.in_(sorted(subtree(department_children(session), root.id))))
    if role:
        role_row = roles.find(session, role)
        query = query.where(User.id.in_(select(UserRole.user_id).where(UserRole.role_id == role_row.id)))
    return list(session.execute(query).scalars())
