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
    "29 people with their managers and roles, and their first entries in the operation log; "
    "then the sales people's leads (every source and status, some invalid, some converted), customers "
    "(tiers A/B/C, lifecycle statuses, locked key accounts, teams, the custom field industry_code), their "
    "contacts (primary, role, birthday) and follow-ups, with next contacts overdue, due today and this week; "
    "the public pool with department pools, products, opportunities at every stage with their history, "
    "quotes, contracts with approvals, receivable plans, payments and invoices, tasks and events. "
    "A database that does not exist yet is created first; one that holds more than crm init made "
    "is refused (exit 5) and left as it was. The same demo every run; CRM_NOW sets its dates.\n\n"
    "Examples:\n\n  crm demo\n\n  crm --db demo.sqlite demo\n\n  crm --db demo.sqlite --user wangfang user list"))
def demo() -> None:
    from crmcli.services import demo as demo_service
    from crmcli.services import kinds

    kinds.load_all()  # every capability's module, so that each adds its demo step

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
              ("leads", _("leads"), counts.get("leads", 0)), ("customers", _("customers"), counts.get("customers", 0)),
              ("contacts", _("contacts"), counts.get("contacts", 0)),
              ("followups", _("follow-ups"), counts.get("follow-ups", 0))]
    fields += [(key.replace(" ", "_"), label, counts[key]) for key, label in _area_counts() if key in counts]
    fields.append(("administrators", _("administrators"), result.admins))
    r.out().record(fields, data={**{key: value for key, _label, value in fields}, "created": counts})
    r.message(_("The demo organisation is ready. Try next:"))
    for line in _next_steps(r):
        r.message("  " + line)


def _area_counts() -> list[tuple[str, str]]:
    """The counts the later capabilities' demo steps report, in the order the summary shows them."""
    return [("pools", _("pools")), ("pool customers", _("pool customers")), ("products", _("products")),
            ("opportunities", _("opportunities")), ("quotes", _("quotes")), ("contracts", _("contracts")),
            ("payments", _("payments")), ("tasks", _("tasks")), ("events", _("events"))]


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
        f"{prefix} --user liqiang lead list",
        f"{prefix} --user liqiang lead list --next-contact overdue",
        f"{prefix} --user zhaomin customer list --tier A --status active",
        f"{prefix} --user liqiang customer show 杭州联创电子科技有限公司",
        f"{prefix} --user wangfang contact list --next-contact week",
        f"{prefix} --user emily lead list --search Contoso",
        f"{prefix} --user liqiang pool customers",
        f"{prefix} --user liqiang customer list --recycle-within 7d",
        f"{prefix} --user wangfang opp pipeline --dept 销售部",
        f"{prefix} --user liqiang opp list --closing this-quarter",
        f"{prefix} --user liqiang today",
        f"{prefix} --user liqiang cal --week",
        f"{prefix} --user wangfang contract list",
        f"{prefix} --user wangfang receivable list --overdue",
        f"{prefix} --user liqiang tui",
    ]
