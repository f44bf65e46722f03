"""View 1, the pipeline (kanban): a placeholder until opportunities exist in crm."""

from __future__ import annotations

from textual.app import ComposeResult

from crmcli.i18n import _
from crmcli.tui.screens.base import ViewScreen
from crmcli.tui.style import beside
from crmcli.tui.widgets.empty_state import EmptyState


class PipelineScreen(ViewScreen):
    DEFAULT_CSS = beside(__file__)
    VIEW = "pipeline"
    RELOADS = False

    def compose_body(self) -> ComposeResult:
        yield EmptyState(
            _("The sales pipeline will be here."),
            _("One column per stage, with its count, amount and weighted amount; a card for each open "
              "opportunity to advance, win or lose. It fills in once crm has opportunities."),
            _("Meanwhile: 4 for leads, 2 for today's follow-ups."))
