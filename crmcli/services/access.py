"""Who may see and change what: the one place every query and change goes through.

Two questions, kept apart as DOMAIN.md asks:

* **operation permissions** (功能权限) — may this actor perform ``noun.verb`` at all?
  :meth:`Actor.can` / :func:`require`.
* **data scope** (数据权限) — which records may the actor see?  A record is visible
  to its owner, its team members, and whoever's scope covers the owner's
  department.  :func:`visible_clause` turns that into one SQL condition every
  list query adds; :func:`check_record` guards single-record reads and changes.

A record that belongs to another one (an opportunity, contract, quote or contact
of a customer: a kind with ``team_type``) is also visible to whoever's scope
covers the owner of that record, and to its team: the owner of a customer sees
what a colleague added to it.

A record outside the actor's scope is reported as *not found*, never as
forbidden, so its existence does not leak.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, tzinfo
from typing import Any, Callable

from sqlalchemy import and_, exists, false, or_, select, true
from sqlalchemy.orm import Session, aliased

from crmcli.errors import NotFound, PermissionDenied
from crmcli.i18n import _
from crmcli.services.catalog import SCOPES
from crmcli.store.models import Department, Role, RoleDepartment, RolePermission, TeamMember, User, UserRole

_SCOPE_RANK = {scope: i for i, scope in enumerate(SCOPES)}


@dataclass(frozen=True)
class Actor:
    """The acting user, with everything access decisions need, loaded once per command."""

    id: int
    login: str
    name: str
    department_id: int
    is_super: bool
    permissions: frozenset[str]
    roles: tuple[str, ...]
    scopes: tuple[str, ...]
    # Departments whose members' records the actor sees; None means every department.
    scope_departments: frozenset[int] | None
    timezone: str | None = None
    language: str | None = None

    def zone(self) -> tzinfo:
        """The user's time zone: their own setting, else the config file's, else the machine's."""
        from crmcli import settings
        from crmcli.timezones import load_zone, local_zone_name

        return load_zone(self.timezone or settings.get("timezone") or local_zone_name())

    def today(self) -> date:
        """Today in the user's time zone: the default date of what they record (payments, invoices, signing)."""
        from crmcli import clock

        return clock.today(self.zone())

    def can(self, permission: str) -> bool:
        if self.is_super:
            return True
        noun = permission.split(".", 1)[0]
        return permission in self.permissions or f"{noun}.*" in self.permissions or "*" in self.permissions


SYSTEM = Actor(
    id=0, login="system", name="system", department_id=0, is_super=True,
    permissions=frozenset(), roles=("system",), scopes=("all",), scope_departments=None,
)


def department_children(session: Session) -> dict[int | None, list[int]]:
    children: dict[int | None, list[int]] = {}
    for dept_id, parent_id in session.execute(select(Department.id, Department.parent_id)):
        children.setdefault(parent_id, []).append(dept_id)
    return children


def subtree(children: dict[int | None, list[int]], root: int) -> set[int]:
    found, stack = set(), [root]
    while stack:
        node = stack.pop()
        if node not in found:
            found.add(node)
            stack.extend(children.get(node, ()))
    return found


def load_actor(session: Session, login: str) -> Actor:
    """Resolve a login to an Actor; unknown or disabled logins are refused (exit 4)."""
    user = session.execute(select(User).where(User.login == login)).scalar_one_or_none()
    if user is None:
        raise PermissionDenied(
            _("unknown user '{login}'").format(login=login),
            hint=_("act as a known user with --user LOGIN or CRM_USER; crm user list shows them"),
        )
    if user.disabled:
        raise PermissionDenied(_("user '{login}' is disabled").format(login=login))
    return actor_for(session, user)


def actor_for(session: Session, user: User) -> Actor:
    roles = session.execute(
        select(Role).join(UserRole, UserRole.role_id == Role.id).where(UserRole.user_id == user.id)
    ).scalars().all()
    is_super = any(r.is_super for r in roles)
    role_ids = [r.id for r in roles]
    permissions = frozenset(
        session.execute(select(RolePermission.permission).where(RolePermission.role_id.in_(role_ids))).scalars()
    ) if role_ids else frozenset()
    scope_departments: set[int] | None = set()
    if is_super or any(r.data_scope == "all" for r in roles):
        scope_departments = None
    else:
        children: dict[int | None, list[int]] | None = None
        for role in roles:
            if role.data_scope == "department":
                scope_departments.add(user.department_id)
            elif role.data_scope == "department_and_children":
                children = children if children is not None else department_children(session)
                scope_departments |= subtree(children, user.department_id)
            elif role.data_scope == "custom":
                scope_departments |= set(
                    session.execute(
                        select(RoleDepartment.department_id).where(RoleDepartment.role_id == role.id)
                    ).scalars()
                )
    return Actor(
        id=user.id,
        login=user.login,
        name=user.name,
        department_id=user.department_id,
        is_super=is_super,
        permissions=permissions,
        roles=tuple(r.key for r in roles),
        scopes=tuple(sorted({r.data_scope for r in roles}, key=_SCOPE_RANK.get)),
        scope_departments=None if scope_departments is None else frozenset(scope_departments),
        timezone=user.timezone,
        language=user.language,
    )


def require(actor: Actor, permission: str) -> None:
    """Refuse (exit 4) unless the actor holds ``permission``."""
    if not actor.can(permission):
        raise PermissionDenied(
            _("{login} may not {permission}").format(login=actor.login, permission=permission),
            hint=_("an administrator can grant it: crm role grant ROLE {permission}").format(permission=permission),
        )


# --- data scope ----------------------------------------------------------------------


def owner_in_scope_clause(actor: Actor, owner_column: Any) -> Any:
    """SQL: the owner is the actor or belongs to a department the actor's scope covers."""
    if actor.scope_departments is None:
        return true()
    if not actor.scope_departments:
        return owner_column == actor.id
    in_departments = owner_column.in_(
        select(User.id).where(User.department_id.in_(sorted(actor.scope_departments))).scalar_subquery()
    )
    return or_(owner_column == actor.id, in_departments)


def team_clause(actor: Actor, record_type: str, id_column: Any, write: bool = False) -> Any:
    conditions = [
        TeamMember.record_type == record_type,
        TeamMember.record_id == id_column,
        TeamMember.user_id == actor.id,
    ]
    if write:
        conditions.append(TeamMember.access == "write")
    return exists().where(and_(*conditions))


def visible_clause(actor: Actor, kind: "Kind") -> Any:
    """The one condition every list query of an owned record type adds."""
    if kind.public or actor.scope_departments is None:
        return true()
    clause = owner_in_scope_clause(actor, kind.owner_column())
    if kind.has_team:
        clause = or_(clause, team_clause(actor, kind.team_record_type(), kind.team_id_column()))
    parent = kind.parent()
    if parent is not None:
        clause = or_(clause, parent_in_scope_clause(actor, kind, parent))
    return clause


def parent_in_scope_clause(actor: Actor, kind: "Kind", parent: "Kind") -> Any:
    """SQL: the record this one belongs to (its customer) is owned by someone the actor's scope covers."""
    owner = aliased(parent.model)
    return exists().where(getattr(owner, "id") == kind.team_id_column(),
                          owner_in_scope_clause(actor, getattr(owner, parent.owner_attr)))


# --- record kinds --------------------------------------------------------------------


@dataclass
class Kind:
    """A record type that access rules apply to (registered by each service module)."""

    name: str  # as in record references: customer:12
    model: type
    noun: str  # permission noun
    label: Callable[[Any], str]
    owner_attr: str = "owner_id"
    has_team: bool = False
    public: bool = False  # a directory everyone may read (users, departments)
    find_by_name: Callable[[Session, str], list[Any]] | None = None
    aliases: tuple[str, ...] = field(default_factory=tuple)
    # A kind whose team is another record's (a contact shares its customer's team): that
    # record's type, and the attribute of this record that holds its id.
    team_type: str | None = None
    team_attr: str = "id"

    def owner_column(self) -> Any:
        return getattr(self.model, self.owner_attr)

    def id_column(self) -> Any:
        return self.model.id

    def team_record_type(self) -> str:
        return self.team_type or self.name

    def team_id_column(self) -> Any:
        return getattr(self.model, self.team_attr)

    def team_record_id(self, record: Any) -> int | None:
        return getattr(record, self.team_attr)

    def parent(self) -> "Kind | None":
        """The kind of the record this one belongs to (``team_type``: a customer), if any.

        Such a record is visible to, and may be changed by, whoever's scope covers that record's
        owner, as well as its own owner's: the owner of a customer sees the opportunities,
        contracts, quotes and contacts a colleague added to it.
        """
        if self.team_type is None or self.team_type == self.name:
            return None
        return KINDS.get(self.team_type)


KINDS: dict[str, Kind] = {}


def register_kind(kind: Kind) -> Kind:
    for name in (kind.name, *kind.aliases):
        KINDS[name] = kind
    return kind


def kind_named(name: str) -> Kind:
    from crmcli.services.kinds import load_all

    load_all()
    kind = KINDS.get(name.lower())
    if kind is None:
        raise NotFound(
            _("unknown record type '{name}'").format(name=name),
            hint=_("one of: {choices}").format(choices=", ".join(sorted({k.name for k in KINDS.values()}))),
        )
    return kind


def owner_department(session: Session, owner_id: int | None) -> int | None:
    owner = session.get(User, owner_id) if owner_id is not None else None
    return owner.department_id if owner else None


def in_scope(session: Session, actor: Actor, kind: Kind, record: Any) -> bool:
    """Whether the actor's data scope (not counting team membership) covers the record.

    For public kinds (the user directory) this still decides who may *change* a record.
    """
    if actor.scope_departments is None:
        return True
    owner_id = getattr(record, kind.owner_attr)
    if owner_id == actor.id:
        return True
    return owner_department(session, owner_id) in actor.scope_departments


def parent_in_scope(session: Session, actor: Actor, kind: Kind, record: Any) -> bool:
    """Whether the actor's scope covers the owner of the record this one belongs to (its customer)."""
    parent = kind.parent()
    parent_id = kind.team_record_id(record) if parent is not None else None
    if parent_id is None:
        return False
    found = session.get(parent.model, parent_id)
    return found is not None and getattr(found, parent.owner_attr) is not None and in_scope(session, actor, parent, found)


def team_access(session: Session, actor: Actor, kind: Kind, record: Any) -> str | None:
    if not kind.has_team or kind.team_record_id(record) is None:
        return None
    member = session.get(TeamMember, (kind.team_record_type(), kind.team_record_id(record), actor.id))
    return member.access if member else None


def can_see(session: Session, actor: Actor, kind: Kind, record: Any) -> bool:
    if kind.public:
        return True
    return (in_scope(session, actor, kind, record) or parent_in_scope(session, actor, kind, record)
            or team_access(session, actor, kind, record) is not None)


def can_change(session: Session, actor: Actor, kind: Kind, record: Any) -> bool:
    """Scope covers it (or the owner of the customer it belongs to), or the actor is a read-write team member."""
    return (in_scope(session, actor, kind, record) or parent_in_scope(session, actor, kind, record)
            or team_access(session, actor, kind, record) == "write")


def check_record(session: Session, actor: Actor, kind: Kind, record: Any, verb: str = "view") -> Any:
    """Guard a single record: invisible means not found (exit 3); visible but not allowed is exit 4."""
    if record is None or not can_see(session, actor, kind, record):
        raise NotFound(_("no {kind} with that id").format(kind=kind.name))
    require(actor, f"{kind.noun}.{verb}")
    if verb != "view" and not can_change(session, actor, kind, record):
        raise PermissionDenied(
            _("{login} may see but not change {kind} {label}").format(
                login=actor.login, kind=kind.name, label=kind.label(record)
            ),
            hint=_("ask the owner for write access to the team") if kind.has_team else None,
        )
    return record
