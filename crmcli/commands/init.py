"""``crm init``: create the database on first use; running it again changes nothing."""

from __future__ import annotations

import typer

from crmcli.commands._common import new_app, rt
from crmcli.i18n import _

app = new_app(_("Create the database."), group=False)


@app.command("init", help=_(
    "Create the database (default: a SQLite file in your XDG data dir), the top department "
    "'Office', the default roles and a super administrator for you. Running it again changes nothing.\n\n"
    "Examples:\n\n  crm init\n\n  crm --db team.sqlite init --admin alice --name 'Alice Wang'\n\n"
    "  crm --db postgresql+psycopg://crm@db.example.com/crm init"))
def init(
    admin: str = typer.Option(None, "--admin", metavar="LOGIN", help=_("The administrator's login (default: the acting login).")),
    name: str = typer.Option(None, "--name", help=_("The administrator's full name.")),
    timezone: str = typer.Option(None, "--timezone", metavar="ZONE", help=_("The administrator's time zone, e.g. Asia/Shanghai.")),
) -> None:
    from crmcli.services import database

    r = rt()
    target = r.target()
    result = database.initialise(target, admin or r.login(), name, timezone)
    if result.created:
        r.message(_("Created the crm database at {where}.").format(where=target.display()))
        r.message(_("Top department: {dept}. Administrator: {login}.").format(dept=result.department, login=result.admin_login))
    else:
        r.message(_("The crm database at {where} already exists; nothing changed.").format(where=target.display()))
