"""``crm audit``: read the operation log. There is no verb that changes it."""

from __future__ import annotations

import typer

from crmcli.commands._common import new_app, rt
from crmcli.i18n import _

app = new_app(_("The operation log (操作记录): every change, who made it, when, through which command, "
                "with before/after values. Read-only.\n\n"
                "Examples:\n\n  crm audit list --user bob --since -7d\n\n  crm audit list --record user:2\n\n"
                "  crm audit list --action role.* --json"))


@app.command("list", help=_("List log entries, newest first, that your data scope covers. The label and the "
                            "before/after values of a record type you may not view (contracts without "
                            "contract.view, say) are left out.\n\nExample: crm audit list --record contract --changes"))
def list_(
    user: str = typer.Option(None, "--user", "--by", metavar="LOGIN", help=_("Only changes made by this login.")),
    record: str = typer.Option(None, "--record", metavar="TYPE[:ID]", help=_("Only changes to this record or type.")),
    action: str = typer.Option(None, "--action", help=_("An action such as user.add, or a noun such as role.")),
    since: str = typer.Option(None, "--since", metavar="WHEN", help=_("From this time (e.g. -7d, 2026-11-01).")),
    until: str = typer.Option(None, "--until", metavar="WHEN", help=_("Up to this time.")),
    limit: int = typer.Option(100, "--limit", min=1, max=1_000_000, help=_("At most this many rows.")),
    before: int = typer.Option(None, "--before", metavar="ID", min=1, max=2**63 - 1, help=_("Only entries older than this id (paging).")),
    changes: bool = typer.Option(False, "--changes", help=_("Show the before/after values in the table.")),
) -> None:
    from crmcli import dates
    from crmcli.output import Column
    from crmcli.services import audit

    r = rt()
    flt = audit.AuditFilter(actor_login=user, action=action, limit=limit, before_id=before)
    if record:
        rtype, _sep, rid = record.partition(":")
        flt.record_type = rtype
        if rid:
            from crmcli.limits import as_id

            if not rid.isdigit() or as_id(rid) is None:
                from crmcli.errors import ValidationError

                raise ValidationError(_("--record takes TYPE or TYPE:ID with a numeric id"))
            flt.record_id = as_id(rid)
    with r.transaction(write=False) as (s, me):
        tz = r.timezone()
        flt.since = dates.parse_datetime(since, tz) if since is not None else None
        flt.until = dates.parse_due(until, tz) if until is not None else None
        entries = audit.list_entries(s, me, flt)
    # a row of a record type the reader may not view keeps who/when/what, not the record's values
    hidden = {e.id for e in entries if not audit.may_read_values(me, e.record_type)}
    structured = r.output_format() not in ("table", "plain")
    rows = [{"id": e.id, "at": e.at, "user": e.actor_login, "action": e.action,
             "record": f"{e.record_type}:{e.record_id}" if e.record_id is not None else e.record_type,
             "label": _("(hidden: needs {permission})").format(permission=audit.view_permission(e.record_type))
             if e.id in hidden and not structured else e.record_label,
             "command": e.command, "changes": e.changes, "reason": e.reason,
             "recorded_at": e.recorded_at, **({"values_hidden": e.id in hidden} if structured else {})}
            for e in entries]
    columns = [Column("id", "id", "right"), Column("at", _("time")), Column("user", _("user")),
               Column("action", _("action")), Column("record", _("record")), Column("label", _("label"))]
    if r.output_format() in ("table", "plain") and any(audit.back_dated(row["at"], row["recorded_at"]) for row in rows):
        # the real time only where CRM_NOW set another business time, so the table keeps to 80 columns
        rows = [dict(row, recorded_at=row["recorded_at"] if audit.back_dated(row["at"], row["recorded_at"]) else None)
                for row in rows]
        columns.insert(2, Column("recorded_at", _("recorded")))
    if changes or r.output_format() not in ("table", "plain"):
        columns += [Column("changes", _("changes")), Column("command", _("command")), Column("reason", _("reason"))]
    if r.output_format() not in ("table", "plain"):
        columns.append(Column("recorded_at", _("recorded")))
    r.out().rows(columns, rows)
