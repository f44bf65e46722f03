"""``crm demo``: a realistic demo organisation in a new database, so a newcomer sees something at once."""

from __future__ import annotations

import os
import re
import shlex

from crmcli.commands._common import new_app, rt
from crmcli.i18n import _

app = new_app(_("Fill a new database with a demo organisation."), group=False)


@app.command("demo", help=_(
    "Fill a new database with a realistic demo organisation: the company 星海科技 with its departments "
    "(销售部 with 华东销售部, 华南销售部 and International Sales; 市场部, 客服部, 财务部, 总经办), "
    "29 people with their managers and roles, and their first entries in the operation log. "
    "A database that does not exist yet is created first; one that holds more than crm init made "
    "is refused (exit 5) and left as it was. The same demo every run; CRM_NOW sets its dates.\n\n"
    "Examples:\n\n  crm demo\n\n  crm --db demo.sqlite demo\n\n  crm --db demo.sqlite --user wangfang user list"))
def demo() -> None:
    from crmcli.services import demo as demo_service

    r = rt()
    target = r.target()
    created = demo_service.prepare(target, r.login())
    if created is not None:
        r.message(_("Created the crm database at {where}; {login} is its administrator.").format(
            where=target.display(), login=created.admin_login))
    with r.transaction() as (s, me):
        result = demo_service.build(s, me, target.display())
    counts = result.created
    fields = [("database", _("database"), target.display()), ("company", _("company"), result.company),
              ("departments", _("departments"), counts.get("departments", 0)),
              ("users", _("users"), counts.get("users", 0)), ("disabled", _("disabled"), counts.get("disabled", 0)),
              ("administrators", _("administrators"), result.admins)]
    r.out().record(fields, data={**{key: value for key, _label, value in fields}, "created": counts})
    r.message(_("The demo organisation is ready. Try next:"))
    for line in _next_steps(r):
        r.message("  " + line)


def _next_steps(r) -> list[str]:
    """Commands to try, with the --db and --user this run needed so that they work when pasted."""
    prefix = "crm"
    if r.db and r.db != os.environ.get("CRM_DATABASE_URL"):
        shown = re.sub(r"(://[^:/@\s]+):[^@\s]*@", r"\1:***@", r.db)  # never echo a password
        prefix += " --db " + shlex.quote(shown)
    me = prefix
    if r.user and r.user != os.environ.get("CRM_USER"):
        me += " --user " + shlex.quote(r.user)
    return [
        f"{me} dept list",
        f"{me} user list",
        f"{me} user show wangfang",
        f"{me} role show sales_manager",
        f"{prefix} --user wangfang user list --dept 销售部",
        f"{prefix} --user wangfang why wangfang user:liqiang",
        f"{prefix} --user liqiang audit list",
        f"{me} audit list --action user",
        f"{prefix} --user liqiang --format json user show me",
    ]
