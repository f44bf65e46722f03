"""``crm today``: one page of today's work."""

from __future__ import annotations

import typer

from crmcli.commands._common import new_app, rt
from crmcli.i18n import _

HELP = _("Today's work on one page: overdue and due tasks, follow-ups due, today's events (and, as those "
                "areas add them, customers about to return to the pool and receivable plans due).\n\n"
                "Examples:\n\n  crm today\n\n  crm today --team\n\n  crm today --json")
app = new_app(HELP, group=False)


@app.command("today", help=HELP)
def today(team: bool = typer.Option(False, "--team", help=_("For everyone your data scope covers, not just you."))) -> None:
    from crmcli.output import Column
    from crmcli.services import today as service

    r = rt()
    with r.transaction(write=False) as (s, me):
        page = service.build(s, me, r.timezone(), team=team)
    out = r.out()
    rows = [item.row(section.key) for section, items in page.sections for item in items]
    if out.fmt not in ("table", "plain"):
        out.rows([Column(k, k) for k in ("section", "kind", "id", "ref", "when", "due", "title", "detail", "who")], rows)
        return
    columns = [Column("when", _("when")), Column("due", "", labels={"overdue": _("overdue"), "today": _("today")}),
               Column("ref", _("record")), Column("title", _("subject")), Column("detail", _("detail"))]
    if team:
        columns.append(Column("who", _("user")))
    for section, items in page.sections:
        out.section(f"{_(section.title)} ({len(items)})")
        if items:
            out.rows(columns, [item.row(section.key) for item in items])
    if not rows:
        r.message(_("Nothing due today."))
