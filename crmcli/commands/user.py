"""``crm user``: people who use crm. Never deleted: disabled, with their records handed over."""

from __future__ import annotations

from typing import List

import typer

from crmcli.commands._common import new_app, rt
from crmcli.i18n import _

app = new_app(_("Users (员工): add, list, show, edit, disable, enable.\n\n"
                "Examples:\n\n  crm user add bob --name 'Bob Li' --dept Sales --role sales_rep\n\n"
                "  crm user edit bob --add-role sales_manager --manager alice\n\n"
                "  crm user disable bob --handover-to carol\n\n  crm user list --dept Sales --json"))


def _user_fields(session, user) -> list[tuple[str, str, object]]:
    from crmcli.services import departments, roles, users
    from crmcli.store.models import Department, Role, User

    dept = session.get(Department, user.department_id)
    manager = session.get(User, user.manager_id) if user.manager_id else None
    keys = users.role_keys(session, user)
    role_names = []
    for key in keys:
        role = session.query(Role).filter(Role.key == key).one()
        role_names.append(roles.display_name(role))
    return [
        ("id", "id", user.id), ("login", _("login"), user.login), ("name", _("name"), user.name),
        ("email", _("email"), user.email), ("phone", _("phone"), user.phone),
        ("department", _("department"), departments.path_of(session, dept)),
        ("manager", _("manager"), manager.login if manager else None),
        ("roles", _("roles"), role_names), ("role_keys", _("role keys"), keys),
        ("timezone", _("time zone"), user.timezone), ("language", _("language"), user.language),
        ("disabled", _("disabled"), user.disabled), ("created_at", _("created"), user.created_at),
    ]


def _show(session, user) -> None:
    rt().out().record(_user_fields(session, user))


@app.command("add", help=_("Add a user (role sales_rep and the top department unless given).\n\n"
                           "Example: crm user add wangfang --name 王芳 --dept 华东销售部 --role sales_rep"))
def add(
    login: str = typer.Argument(..., help=_("Login: starts with a letter; letters, digits, '.', '_', '-'.")),
    name: str = typer.Option(None, "--name", help=_("Full name (default: the login).")),
    email: str = typer.Option(None, "--email"),
    phone: str = typer.Option(None, "--phone"),
    dept: str = typer.Option(None, "--dept", metavar="DEPT", help=_("Department: id, name or path.")),
    manager: str = typer.Option(None, "--manager", metavar="LOGIN", help=_("Their manager (上级).")),
    role: List[str] = typer.Option(None, "--role", metavar="ROLE", help=_("A role (repeatable).")),
    timezone: str = typer.Option(None, "--timezone", metavar="ZONE"),
    language: str = typer.Option(None, "--language", metavar="LANG", help=_("en or zh_CN.")),
) -> None:
    from crmcli.services import users

    with rt().transaction() as (s, me):
        user = users.add(s, me, login, name, email=email, phone=phone, dept=dept, manager=manager,
                         role_refs=role or None, timezone=timezone, language=language)
        _show(s, user)


@app.command("list", help=_("List users (active ones unless --all)."))
def list_(
    all_: bool = typer.Option(False, "--all", help=_("Include disabled users.")),
    dept: str = typer.Option(None, "--dept", metavar="DEPT", help=_("Only this department and those below it.")),
    role: str = typer.Option(None, "--role", metavar="ROLE", help=_("Only users with this role.")),
) -> None:
    from sqlalchemy import select

    from crmcli.output import Column
    from crmcli.services import departments, users
    from crmcli.store.models import Department, Role, UserRole

    with rt().transaction(write=False) as (s, me):
        found = users.list_all(s, me, include_disabled=all_, dept=dept, role=role)
        dept_paths = {d.id: departments.path_of(s, d) for d in s.execute(select(Department)).scalars()}
        role_map: dict[int, list[str]] = {}
        for user_id, key in s.execute(select(UserRole.user_id, Role.key).join(Role, Role.id == UserRole.role_id)):
            role_map.setdefault(user_id, []).append(key)
        logins = {u.id: u.login for u in found}
        rows = [{"id": u.id, "login": u.login, "name": u.name, "department": dept_paths.get(u.department_id),
                 "roles": role_map.get(u.id, []), "manager": logins.get(u.manager_id) if u.manager_id else None,
                 "email": u.email, "disabled": u.disabled} for u in found]
    columns = [Column("id", "id", "right"), Column("login", _("login")), Column("name", _("name")),
               Column("department", _("department")), Column("roles", _("roles")), Column("email", _("email"))]
    if all_:
        columns.append(Column("disabled", _("disabled")))
    rt().out().rows(columns, rows)


@app.command("show", help=_("Show one user: department, manager, roles, settings."))
def show(user: str = typer.Argument("me", help=_("Login or id ('me' for yourself)."))) -> None:
    from crmcli.services import users

    with rt().transaction(write=False) as (s, me):
        _show(s, users.show(s, me, me.login if user == "me" else user))


@app.command("edit", help=_("Change a user. Anyone may change their own name, email, phone, time zone and "
                            "language; the rest needs user.edit over that user's department.\n\n"
                            "Example: crm user edit me --timezone Asia/Shanghai --language zh_CN"))
def edit(
    user: str = typer.Argument(..., help=_("Login or id ('me' for yourself).")),
    name: str = typer.Option(None, "--name"),
    email: str = typer.Option(None, "--email"),
    phone: str = typer.Option(None, "--phone"),
    dept: str = typer.Option(None, "--dept", metavar="DEPT"),
    manager: str = typer.Option(None, "--manager", metavar="LOGIN", help=_("New manager, or 'none'.")),
    timezone: str = typer.Option(None, "--timezone", metavar="ZONE"),
    language: str = typer.Option(None, "--language", metavar="LANG"),
    add_role: List[str] = typer.Option(None, "--add-role", metavar="ROLE"),
    remove_role: List[str] = typer.Option(None, "--remove-role", metavar="ROLE"),
) -> None:
    from crmcli.services import users

    with rt().transaction() as (s, me):
        updated = users.edit(s, me, me.login if user == "me" else user, name=name, email=email, phone=phone,
                             dept=dept, manager=manager, timezone=timezone, language=language,
                             add_roles=add_role or None, remove_roles=remove_role or None)
        _show(s, updated)


@app.command("disable", help=_("Disable a user (users are never deleted). Records they own move to "
                               "--handover-to; without it, a user who owns records is refused.\n\n"
                               "Example: crm user disable bob --handover-to carol"))
def disable(
    user: str = typer.Argument(..., help=_("Login or id.")),
    handover_to: str = typer.Option(None, "--handover-to", metavar="LOGIN", help=_("Who receives their records.")),
    keep_records: bool = typer.Option(False, "--keep-records", help=_("Leave their records with them.")),
) -> None:
    from crmcli.services import users

    with rt().transaction() as (s, me):
        result = users.disable(s, me, user, handover_to, keep_records)
    rt().message(_("Disabled {login}.").format(login=result.user.login))
    for rtype, n in result.handed_over.items():
        rt().message(_("Handed over {n} {type} records to {login}.").format(n=n, type=rtype, login=handover_to))


@app.command("enable", help=_("Enable a disabled user again."))
def enable(user: str = typer.Argument(..., help=_("Login or id."))) -> None:
    from crmcli.services import users

    with rt().transaction() as (s, me):
        result = users.enable(s, me, user)
    rt().message(_("Enabled {login}.").format(login=result.login))
