"""``crm why LOGIN RECORD``: access explained in words."""

from __future__ import annotations

import typer

from crmcli.commands._common import new_app, rt
from crmcli.i18n import _

app = new_app(_("Explain access."), group=False)


@app.command("why", help=_("Explain why LOGIN may or may not see and change RECORD: roles, data scope, "
                           "department path, ownership and team membership.\n\n"
                           "RECORD is TYPE:ID or TYPE:NAME. Asking about someone else needs role.edit; a "
                           "record you may not see yourself reads as 'no such record'. Examples:\n\n"
                           "  crm why bob user:alice\n\n  crm why bob customer:12"))
def why(login: str = typer.Argument(..., help=_("The user whose access to explain.")),
        record: str = typer.Argument(..., help=_("TYPE:ID or TYPE:NAME."))) -> None:
    from crmcli.services import why as why_service

    with rt().transaction(write=False) as (s, me):
        ex = why_service.explain(s, me, login, record)
    out = rt().out()
    yes_no = lambda b: _("yes") if b else _("no")  # noqa: E731
    if out.fmt in ("json", "jsonl"):
        out.record([], data={"user": ex.subject, "record": ex.record, "can_see": ex.can_see,
                             "can_change": ex.can_change, "facts": [{"what": k, "value": v} for k, v in ex.facts],
                             "reasons": ex.verdict})
        return
    fields = [("user", _("user"), ex.subject), ("record", _("record"), ex.record)]
    fields += [(f"fact{i}", label, value) for i, (label, value) in enumerate(ex.facts)]
    fields += [("can_see", _("may see"), yes_no(ex.can_see)), ("can_change", _("may change"), yes_no(ex.can_change))]
    fields += [(f"reason{i}", _("because"), reason) for i, reason in enumerate(ex.verdict)]
    out.record(fields)
