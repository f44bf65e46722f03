"""``crm dept``: the department tree."""

from __future__ import annotations

import typer

from crmcli.commands._common import new_app, rt
from crmcli.i18n import _

app = new_app(_("Departments (部门): a tree under the top department.\n\n"
                "Examples:\n\n  crm dept add Sales\n\n  crm dept add 'East China' --parent Sales\n\n"
                "  crm dept move 'East China' --to Office\n\n  crm dept list"))


def _show(dept, session) -> None:
    from crmcli.services.departments import path_of

    rt().out().record([("id", "id", dept.id), ("name", _("name"), dept.name),
                       ("path", _("path"), path_of(session, dept)), ("parent_id", _("parent"), dept.parent_id)])


@app.command("add", help=_("Add a department (under the top department unless --parent is given)."))
def add(name: str = typer.Argument(..., help=_("The new department's name.")),
        parent: str = typer.Option(None, "--parent", metavar="DEPT", help=_("Parent department: id, name or path.")),
        ) -> None:
    from crmcli.services import departments

    with rt().transaction() as (s, me):
        dept = departments.add(s, me, name, parent)
        _show(dept, s)


@app.command("list", help=_("List departments with their paths and number of active users."))
def list_() -> None:
    from crmcli.output import Column
    from crmcli.services import departments

    with rt().transaction(write=False) as (s, me):
        rows = departments.list_all(s, me)
    rt().out().rows(
        [Column("id", "id", "right"), Column("path", _("department")), Column("users", _("users"), "right"),
         Column("parent_id", _("parent"), "right")],
        [vars(r) for r in rows])


@app.command("rename", help=_("Rename a department."))
def rename(dept: str = typer.Argument(..., help=_("Department: id, name or path.")),
           new_name: str = typer.Argument(..., metavar="NEW_NAME", help=_("Its new name."))) -> None:
    from crmcli.services import departments

    with rt().transaction() as (s, me):
        _show(departments.rename(s, me, dept, new_name), s)


@app.command("move", help=_("Move a department under another one (a move that would make a cycle is refused)."))
def move(dept: str = typer.Argument(..., help=_("Department: id, name or path.")),
         to: str = typer.Option(..., "--to", metavar="DEPT", help=_("The new parent department."))) -> None:
    from crmcli.services import departments

    with rt().transaction() as (s, me):
        _show(departments.move(s, me, dept, to), s)
