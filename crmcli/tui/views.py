"""The numbered views of ``crm tui``, in the order of their keys."""

from __future__ import annotations

from dataclasses import dataclass

from crmcli.i18n import N_


@dataclass(frozen=True)
class View:
    name: str  # the Textual mode
    key: str
    title: str  # N_() msgid, translated where shown


VIEWS = (
    View("pipeline", "1", N_("Pipeline")),
    View("today", "2", N_("Today")),
    View("customers", "3", N_("Customers")),
    View("leads", "4", N_("Leads")),
)
BY_NAME = {view.name: view for view in VIEWS}
