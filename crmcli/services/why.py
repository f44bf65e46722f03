"""``crm why``: explain, in words, why a user may or may not see and change a record."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from crmcli.errors import NotFound, ValidationError
from crmcli.i18n import _
from crmcli.services import access, departments, users
from crmcli.services.access import Actor, Kind, require
from crmcli.services.catalog import SCOPE_LABELS
from crmcli.store.models import Department, Role, RoleDepartment, TeamMember, User, UserRole


@dataclass
class Explanation:
    subject: str
    record: str
    facts: list[tuple[str, str]] = field(default_factory=list)
    can_see: bool = False
    can_change: bool = False
    verdict: list[str] = field(default_factory=list)


def parse_reference(text: str) -> tuple[str, str]:
    kind, sep, ref = text.partition(":")
    if not sep or not kind.strip() or not ref.strip():
        raise ValidationError(
            _("'{text}' is not a record reference").format(text=text),
            hint=_("write TYPE:ID or TYPE:NAME, e.g. customer:12 or user:bob"),
        )
    return kind.strip(), ref.strip()


ACCESS_ADMIN = "role.edit"
"""The permission of those who administer access: they may ask ``crm why`` about anyone and any record.

Everyone else may ask only about themselves, and only about records they may see themselves
(their scope and the noun's ``view`` permission): any other reference reads exactly like a missing
one, so ``crm why`` cannot be used to learn names, owners or ids outside one's scope.
"""


def _not_found(reference: str) -> NotFound:
    return NotFound(_("no such record: {reference}").format(reference=reference))


def resolve(session: Session, kind: Kind, ref: str, asker: Actor | None = None, reference: str | None = None):
    """The record ``ref`` names, among those ``asker`` may see (all of them for an access administrator).

    Missing and invisible records raise the same :class:`NotFound` ("no such record").
    """
    reference = reference or f"{kind.name}:{ref}"

    def visible(record: Any) -> bool:
        if asker is None or asker.can(ACCESS_ADMIN):
            return True
        if kind.name == "user" and record.id == asker.id:
            return True  # one's own user record
        return asker.can(f"{kind.noun}.view") and access.can_see(session, asker, kind, record)

    from crmcli import limits

    if limits.as_id(ref) is not None:
        record = session.get(kind.model, limits.as_id(ref))
        if record is not None:
            if visible(record):
                return record
            raise _not_found(reference)
    if kind.find_by_name is not None:
        matches = [m for m in kind.find_by_name(session, ref) if visible(m)]
        if len(matches) == 1:
            return matches[0]
    finders = {"user": users.find, "dept": departments.find}
    found = None
    try:
        if kind.name in finders:
            found = finders[kind.name](session, ref)
        elif kind.name == "role":
            from crmcli.services import roles

            found = roles.find(session, ref)
    except NotFound:
        found = None
    if found is not None and visible(found):
        return found
    raise _not_found(reference)


def explain(session: Session, asker: Actor, login: str, reference: str) -> Explanation:
    """Why ``login`` may or may not see and change ``reference``.

    Asking about someone else needs :data:`ACCESS_ADMIN` (exit 4); a record the asker may not see
    is "no such record" (exit 3) unless the asker holds it.
    """
    if login.strip() == "me":
        login = asker.login
    if login.strip() != asker.login:
        require(asker, ACCESS_ADMIN)
    subject = users.find(session, login)
    kind_name, ref = parse_reference(reference)
    kind = access.kind_named(kind_name)
    record = resolve(session, kind, ref, asker, reference.strip())
    ex = Explanation(subject=f"{subject.login} ({subject.name})", record=f"{kind.name}:{record.id} {kind.label(record)}")
    if subject.disabled:
        ex.facts.append((_("account"), _("disabled: may do nothing at all")))
        ex.verdict.append(_("{login} is disabled").format(login=subject.login))
        return ex
    actor = access.actor_for(session, subject)
    dept = session.get(Department, subject.department_id)
    ex.facts.append((_("department"), departments.path_of(session, dept)))
    role_rows = session.execute(
        select(Role).join(UserRole, UserRole.role_id == Role.id).where(UserRole.user_id == subject.id)
    ).scalars().all()
    from crmcli.services.roles import display_name

    for role in role_rows:
        scope_text = _(SCOPE_LABELS[role.data_scope])
        if role.data_scope == "custom":
            names = [session.get(Department, d).name for d in session.execute(
                select(RoleDepartment.department_id).where(RoleDepartment.role_id == role.id)).scalars()]
            scope_text += " (" + ", ".join(names) + ")"
        ex.facts.append((_("role"), f"{display_name(role)} — {scope_text}"))
    if not role_rows:
        ex.facts.append((_("role"), _("none: may do nothing")))

    # departments and roles are a directory: nobody owns them, and their permission alone decides changes
    directory = kind.public and kind.name != "user"
    owner_id = None if directory else getattr(record, kind.owner_attr)
    owner = session.get(User, owner_id) if owner_id is not None else None
    if directory:
        pass
    elif kind.owner_attr == "id" and kind.name == "user":
        record_dept = departments.path_of(session, session.get(Department, record.department_id))
        ex.facts.append((_("record"), _("a user belongs to their own department") + f" ({record_dept})"))
    elif owner is not None:
        ex.facts.append((_("owner"), f"{owner.login} — {departments.path_of(session, session.get(Department, owner.department_id))}"))
    else:
        ex.facts.append((_("owner"), _("nobody (in a pool)")))

    member = (session.get(TeamMember, (kind.team_record_type(), kind.team_record_id(record), subject.id))
              if kind.has_team and kind.team_record_id(record) is not None else None)
    if kind.has_team:
        ex.facts.append((_("team"), _("member with {access} access").format(access=member.access) if member
                         else _("not a member")))

    scope_ok = access.in_scope(session, actor, kind, record)
    ex.can_see = access.can_see(session, actor, kind, record)
    view_perm = f"{kind.noun}.view"
    edit_perm = f"{kind.noun}.edit"
    if kind.public:
        if actor.can(view_perm):  # the directory is open to everyone who holds its view permission
            ex.verdict.append(_("everyone may see {kind} records").format(kind=kind.name))
    elif actor.scope_departments is None:
        ex.verdict.append(_("scope covers every record"))
    elif owner is not None and owner.id == subject.id:
        ex.verdict.append(_("{login} owns it").format(login=subject.login))
    elif scope_ok:
        ex.verdict.append(_("scope covers the owner's department"))
    elif access.parent_in_scope(session, actor, kind, record):
        parent = kind.parent()
        ex.verdict.append(_("scope covers the owner of the {kind} it belongs to").format(kind=parent.name))
    elif member is not None:
        ex.verdict.append(_("visible through team membership only"))
    else:
        ex.verdict.append(_("scope does not cover the owner's department, and not on the team"))
    if not actor.can(view_perm):
        ex.can_see = False
        ex.verdict.append(_("lacks the permission {permission}").format(permission=view_perm))
    scope_allows_change = directory or access.can_change(session, actor, kind, record)
    ex.can_change = ex.can_see and actor.can(edit_perm) and scope_allows_change
    if ex.can_see and not actor.can(edit_perm):
        ex.verdict.append(_("lacks the permission {permission}").format(permission=edit_perm))
    elif ex.can_see and not scope_allows_change:
        ex.verdict.append(_("read-only team member") if member is not None
                          else _("scope does not cover the owner's department, so it may not be changed"))
    if kind.name == "user" and record.id == subject.id and not ex.can_change:
        ex.verdict.append(_("may still change their own name, email, phone, time zone and language"))
    return ex
