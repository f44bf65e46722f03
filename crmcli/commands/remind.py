"""``crm remind``: deliver due reminders once each (for cron)."""

from __future__ import annotations

import typer

from crmcli.commands._common import new_app, rt
from crmcli.i18n import _

HELP = _("Deliver every reminder whose time has come and that was not sent yet — tasks, events, follow-ups "
                "(and receivable plans) — once each: by email when smtp.host is set, else to stdout. Safe to run "
                "twice or overlapping; for cron.\n\n"
                "Examples:\n\n  crm remind --dry-run\n\n  crm --user admin remind --json\n\n"
                "  */5 * * * * crm --user admin remind --quiet")
app = new_app(HELP, group=False)


@app.command("remind", help=HELP)
def remind(dry_run: bool = typer.Option(False, "--dry-run", help=_("Show what is due; send and mark nothing.")),
           since: str = typer.Option("7d", "--since", metavar="LENGTH",
                                     help=_("Look back this far for reminders not sent (default 7d)."))) -> None:
    from crmcli import dates
    from crmcli.output import Column
    from crmcli.services import reminders

    r = rt()
    r.busy_retries = 3  # a cron job: waits again rather than fail while another crm writes
    window = dates.parse_duration(since)
    columns = [Column("remind_at", _("remind at")), Column("user", _("user")), Column("ref", _("record")),
               Column("title", _("subject")), Column("when", _("when")), Column("channel", _("sent by"))]
    if dry_run:
        with r.transaction(write=False) as (s, me):
            due = reminders.pending(s, me, since=window)
        r.out().rows(columns, [d.row() for d in due])
        r.message(_("{n} reminders due (dry run: nothing sent).").format(n=len(due)))
        return
    report = reminders.run(r.transaction, r.timezone(), since=window)
    r.out().rows(columns, [d.row() for d in report.delivered])
    r.message(_("{n} reminders delivered.").format(n=len(report.delivered)))
    reminders.raise_for(report)
