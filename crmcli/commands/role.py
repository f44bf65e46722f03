"""``crm role``: operation permissions and the data scope of each role."""

from __future__ import annotations

from typing import List

import typer

from crmcli.commands._common import new_app, rt
from crmcli.i18n import _

app = new_app(_("Roles (角色): operation permissions (noun.verb) and one data scope each.\n\n"
                "Scopes: self, department, department_and_children, custom (listed departments), all.\n\n"
                "Examples:\n\n  crm role list\n\n  crm role show sales_rep\n\n"
                "  crm role add 'Key accounts' --scope department --copy-from sales_rep\n\n"
                "  crm role grant 'Key accounts' customer.transfer lead.assign\n\n"
                "  crm role scope 'Key accounts' custom --dept Sales --dept Marketing"))


def _show(session, role) -> None:
    from crmcli.services import catalog, roles
    from crmcli.services.departments import path_of
    from crmcli.services.users import list_all  # noqa: F401  (keeps the kind registered)
    from crmcli.store.models import Department, User, UserRole

    perms = catalog.all_permissions() if role.is_super else roles.permissions_of(session, role)
    depts = [path_of(session, session.get(Department, d)) for d in roles.custom_departments(session, role)]
    holders = [u.login for u in session.query(User).join(UserRole, UserRole.user_id == User.id)
               .filter(UserRole.role_id == role.id).order_by(User.login)]
    rt().out().record([
        ("id", "id", role.id), ("key", _("key"), role.key), ("name", _("name"), roles.display_name(role)),
        ("scope", _("data scope"), role.data_scope), ("departments", _("scope departments"), depts),
        ("super", _("super administrator"), role.is_super), ("builtin", _("built in"), role.builtin),
        ("description", _("description"), _(role.description) if role.builtin and role.description else role.description),
        ("permissions", _("permissions"), perms), ("users", _("users"), holders),
    ])


@app.command("list", help=_("List roles with their scope, number of permissions and users."))
def list_() -> None:
    from crmcli.output import Column
    from crmcli.services import roles

    with rt().transaction(write=False) as (s, me):
        rows = roles.list_all(s, me)
    rt().out().rows([Column("id", "id", "right"), Column("key", _("key")), Column("name", _("name")),
                     Column("scope", _("data scope")), Column("permissions", _("permissions"), "right"),
                     Column("users", _("users"), "right")], [vars(r) for r in rows])


@app.command("show", help=_("Show a role: scope, permissions and who holds it."))
def show(role: str = typer.Argument(..., help=_("Role: key, name or id."))) -> None:
    from crmcli.services import roles
    from crmcli.services.access import require

    with rt().transaction(write=False) as (s, me):
        require(me, "role.view")
        _show(s, roles.find(s, role))


@app.command("permissions", help=_("List every operation permission there is (noun.verb)."))
def permissions() -> None:
    from crmcli.output import Column
    from crmcli.services import catalog

    rt().out().rows([Column("permission", _("permission")), Column("noun", _("noun")), Column("verb", _("verb"))],
                    [{"permission": p, "noun": p.split(".")[0], "verb": p.split(".")[1]}
                     for p in catalog.all_permissions()])


@app.command("add", help=_("Add a role, optionally copying another role's permissions."))
def add(name: str = typer.Argument(..., help=_("The role's name (may be Chinese).")),
        scope: str = typer.Option("self", "--scope", help=_("self, department, department_and_children or all.")),
        copy_from: str = typer.Option(None, "--copy-from", metavar="ROLE", help=_("Start with this role's permissions.")),
        description: str = typer.Option(None, "--description")) -> None:
    from crmcli.services import roles

    with rt().transaction() as (s, me):
        _show(s, roles.add(s, me, name, scope, description, copy_from))


@app.command("grant", help=_("Grant permissions to a role (noun.verb, or noun.* for every verb).\n\n"
                             "Example: crm role grant sales_rep customer.delete lead.assign"))
def grant(role: str = typer.Argument(..., help=_("Role: key, name or id.")),
          permission: List[str] = typer.Argument(..., metavar="PERMISSION...")) -> None:
    from crmcli.services import roles

    with rt().transaction() as (s, me):
        _show(s, roles.grant(s, me, role, permission))


@app.command("revoke", help=_("Revoke permissions from a role."))
def revoke(role: str = typer.Argument(..., help=_("Role: key, name or id.")),
           permission: List[str] = typer.Argument(..., metavar="PERMISSION...")) -> None:
    from crmcli.services import roles

    with rt().transaction() as (s, me):
        _show(s, roles.revoke(s, me, role, permission))


@app.command("scope", help=_("Set a role's data scope; custom takes one --dept or more.\n\n"
                             "Example: crm role scope marketing custom --dept Marketing --dept 'Office / Sales'"))
def scope(role: str = typer.Argument(..., help=_("Role: key, name or id.")),
          scope: str = typer.Argument(..., help=_("self, department, department_and_children, custom or all.")),
          dept: List[str] = typer.Option(None, "--dept", metavar="DEPT", help=_("A department of a custom scope (repeatable)."))) -> None:
    from crmcli.services import roles

    with rt().transaction() as (s, me):
        _show(s, roles.set_scope(s, me, role, scope, dept or None))
