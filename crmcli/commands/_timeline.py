"""Rendering a record's timeline (follow-ups and changes) under its ``show``."""

from __future__ import annotations

from crmcli.commands._common import rt
from crmcli.i18n import _


def show_timeline(session, record_type: str, record_id: int, limit: int = 20) -> None:
    from crmcli.output import Column
    from crmcli.services import records

    out = rt().out()
    if out.fmt not in ("table", "plain"):
        return  # structured formats carry the record only; `crm audit list --record` has the rest
    entries = records.timeline(session, record_type, record_id, limit)
    out.section(_("Timeline"))
    out.rows([Column("at", _("time")), Column("who", _("who")), Column("summary", _("what"))],
             [{"at": e.at, "who": e.who, "summary": e.summary} for e in entries])
