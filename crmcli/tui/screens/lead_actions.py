"""What every screen that lists leads shares: how a lead row looks, opening one, following one up."""

from __future__ import annotations

from typing import Any

from rich.text import Text

from crmcli.i18n import _
from crmcli.tui.style import due_style


def lead_cells(row: Any, no_color: bool = False) -> dict[str, Any]:
    """A :class:`crmcli.tui.data.LeadRow` as table cells; an overdue next contact stands out."""
    return {
        "id": Text(str(row.id)),
        "name": Text(row.name),
        "company": Text(row.company),
        "status": Text(row.status_label, style="dim" if row.closed else ""),
        "owner": Text(row.owner),
        "mobile": Text(row.mobile),
        "source": Text(row.source),
        "next_contact": Text(row.next_contact, style=due_style(row.due, no_color)),
        "title": f"#{row.id} {row.label}",  # not a column: the follow-up form's title
    }


def open_lead(screen: Any, lead_id: int) -> None:
    from crmcli.tui.screens.lead_detail import LeadDetailScreen

    screen.app.push_screen(LeadDetailScreen(lead_id))


def follow_up(screen: Any, kind: str, record_id: int, title: str = "") -> None:
    """Open the follow-up form for a lead, customer, contact or opportunity; after a save, say so."""
    from crmcli.tui.screens.follow_up import FollowUpScreen

    def saved(entry_id: int | None) -> None:
        if entry_id is not None:
            screen.notify(_("Logged follow-up {id} on {record}.").format(id=entry_id, record=f"{kind}:{record_id}"))

    screen.app.push_screen(FollowUpScreen(record_id, title or f"#{record_id}", kind), saved)


def follow_up_lead(screen: Any, lead_id: int, title: str = "") -> None:
    """Open the follow-up form for a lead; after a save, say so.

    The screen below reloads when the form closes (``ViewScreen.on_screen_resume``).
    """
    from crmcli.tui.screens.follow_up import FollowUpScreen

    def saved(entry_id: int | None) -> None:
        if entry_id is None:
            return
        screen.notify(_("Logged follow-up {id} on lead {lead}.").format(id=entry_id, lead=lead_id))

    screen.app.push_screen(FollowUpScreen(lead_id, title or f"#{lead_id}"), saved)
