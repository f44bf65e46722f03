"""One opportunity: its fields, and its stage history with its timeline, as ``crm opp show``."""

from __future__ import annotations

from textual.binding import Binding

from crmcli.i18n import N_
from crmcli.tui.screens.lead_actions import follow_up
from crmcli.tui.screens.lead_detail import LeadDetailScreen


class OpportunityScreen(LeadDetailScreen):
    VIEW = "pipeline"
    BINDINGS = [
        Binding("f", "follow", N_("Follow up"), id="opportunity.follow"),
    ]

    def __init__(self, opp_id: int) -> None:
        super().__init__(opp_id)
        self.opp_id = opp_id

    def reload(self) -> None:
        self.load(lambda: self.data.opportunity(self.opp_id), self.show)

    def action_follow(self) -> None:
        if self.refuse_write():
            return
        follow_up(self, "opportunity", self.opp_id, self.detail.title if self.detail else "")
