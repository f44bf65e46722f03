"""View 1, the pipeline as a kanban: one column per open stage, a card per open opportunity.

Each column's header has the stage's count, amount and weighted amount (the aggregate of
``crm opp pipeline``); its cards are the top ones by amount, then "+N more".  ``h``/``l`` move
between columns, ``j``/``k`` between cards; ``L``/``H`` advance the card or move it back
(``crm opp advance``), ``w``/``x`` win or lose it (a form asks the reason), ``enter`` opens it.
``o`` picks whose pipeline (me, a user, or a department with the ones below it), ``p`` the
closing period, ``/`` searches names.  A card another process moved meanwhile is not moved:
the data layer says where it is now (press ``r``).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, HorizontalScroll
from textual.widgets import Input, OptionList, Static

from crmcli.i18n import N_, _
from crmcli.tui.data_pipeline import CLOSING_LABELS, Board, BoardFilter, Moved
from crmcli.tui.safe import text
from crmcli.tui.screens.base import ViewScreen
from crmcli.tui.screens.search_box import SearchBox
from crmcli.tui.style import beside
from crmcli.tui.widgets.text_input import TextInput
from crmcli.tui.widgets.kanban import CardList, KanbanColumn

CLOSING = ("", "this-month", "next-month", "this-quarter", "next-quarter", "this-year", "overdue")


class PipelineScreen(SearchBox, ViewScreen):
    DEFAULT_CSS = beside(__file__)
    VIEW = "pipeline"
    AUTO_FOCUS = "CardList"
    WRITES = frozenset({"advance", "move_back", "win", "lose", "follow"})
    BINDINGS = [
        Binding("h", "column(-1)", N_("Left"), show=False, id="pipeline.left"),
        Binding("left", "column(-1)", N_("Left"), show=False, id="pipeline.left_arrow"),
        Binding("l", "column(1)", N_("Right"), show=False, id="pipeline.right"),
        Binding("right", "column(1)", N_("Right"), show=False, id="pipeline.right_arrow"),
        Binding("L", "advance", N_("Advance"), id="pipeline.advance"),
        Binding("H", "move_back", N_("Move back"), id="pipeline.back"),
        Binding("w", "win", N_("Win"), id="pipeline.win"),
        Binding("x", "lose", N_("Lose"), id="pipeline.lose"),
        Binding("f", "follow", N_("Follow up"), show=False, id="pipeline.follow"),
        Binding("o", "owner", N_("Owner"), id="pipeline.owner"),
        Binding("p", "period", N_("Period"), id="pipeline.period"),
        Binding("slash", "search", N_("Search"), id="pipeline.search"),
        # r still refreshes (and ? lists it); off the footer so that "q Quit" fits in 80 columns
        Binding("r", "reload", N_("Refresh"), show=False, id="view.refresh"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.wanted = BoardFilter()
        self.board: Board | None = None
        self.focus_stage: int | None = None
        self.focus_card: int | None = None
        self.busy = False  # a move is on its way: further moves wait for it
        self.queued: list[int] = []  # L/H pressed during a move: made, in order, once the board shows it

    def compose_body(self) -> ComposeResult:
        with Horizontal(id="filters"):
            yield Static(_("Loading…"), id="summary")
            yield TextInput(placeholder=_("search opportunity or customer names"), compact=True, id="search")
        yield HorizontalScroll(id="board")

    # -- loading ----------------------------------------------------------------------

    def reload(self) -> None:
        wanted = self.wanted
        self.load(lambda: self.data.board(wanted), self.show)

    @property
    def columns(self) -> list[KanbanColumn]:
        return list(self.query(KanbanColumn))

    def _current(self) -> tuple[KanbanColumn | None, Any]:
        focused = self.focused
        for column in self.columns:
            if focused is column.cards:
                return column, column.cards.card
        return None, None

    async def show(self, board: Board) -> None:
        moved = self.focus_card  # the card a move just put somewhere (None after a plain load)
        if self.focus_card is None:  # else a move said where to go: the card it moved
            column, card = self._current()
            if column is not None:
                self.focus_stage = column.stage_id
                self.focus_card = card.id if card is not None else None
        self.board = board
        self.wanted = board.filter
        holder = self.query_one("#board", HorizontalScroll)
        if [c.stage_id for c in self.columns] != [c.stage_id for c in board.columns]:
            await holder.remove_children()
            await holder.mount_all([KanbanColumn(c.stage_id) for c in board.columns])
        no_color = self.app.no_color
        for widget, column_data in zip(self.columns, board.columns):
            keep = self.focus_card if widget.stage_id == self.focus_stage else None
            widget.show(column_data, keep, no_color)
        self._summarise()
        box = self.query_one("#search", Input)
        if not (box.display and box.has_focus):
            self.refocus()
        self.focus_card = None
        if self.queued and not self.busy:  # the next move, on the card as it is now, where the last one put it
            direction = self.queued.pop(0)
            card = next((c for column in board.columns for c in column.cards if c.id == moved), None)
            if card is None:  # it left the board meanwhile
                self.queued.clear()
            else:
                self._run_move(lambda: self.data.move_card(card, direction), card)

    def refocus(self) -> None:
        columns = self.columns
        if not columns:
            return
        target = next((c for c in columns if c.stage_id == self.focus_stage), None)
        if target is None:
            target = next((c for c in columns if c.cards.cards), columns[0])
        target.cards.focus()
        target.scroll_visible(animate=False)

    def _summarise(self) -> None:
        board, w = self.board, self.wanted
        parts = [f"{_('owner')}: {board.who if board else w.owner}",
                 f"{_('closing')}: {_(CLOSING_LABELS.get(w.closing, w.closing))}"]
        if w.search.strip():
            parts.append(f"{_('search')}: {w.search.strip()}")
        if board:
            total = sum(c.count for c in board.columns)
            parts.append(_("{n} open").format(n=total))
        self.query_one("#summary", Static).update(text(" · ".join(parts)))

    # -- moving around ----------------------------------------------------------------

    def action_column(self, step: int) -> None:
        columns = self.columns
        if not columns:
            return
        column, _card = self._current()
        here = columns.index(column) if column is not None else 0
        target = columns[max(0, min(len(columns) - 1, here + step))]
        target.cards.focus()
        target.scroll_visible(animate=False)

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        if isinstance(event.option_list, CardList) and event.option.id and event.option.id.isdigit():
            self.open(int(event.option.id))

    def open(self, opp_id: int) -> None:
        from crmcli.tui.screens.opportunity import OpportunityScreen

        self.app.push_screen(OpportunityScreen(opp_id))

    # -- moves ------------------------------------------------------------------------

    def _card(self) -> Any:
        _column, card = self._current()
        return card

    def _run_move(self, job: Any, card: Any) -> None:
        if self.busy:
            return
        self.busy = True

        def done(moved: Moved) -> None:
            self.notify(_("Opportunity {id}: {move}, {from_stage} → {to_stage}.").format(
                id=moved.id, move=moved.move_label, from_stage=moved.from_stage, to_stage=moved.to_stage))
            if moved.move not in ("win", "lose"):
                self.focus_stage, self.focus_card = moved.to_stage_id, moved.id
            wanted = self.wanted

            async def shown(board: Board) -> None:  # busy until the board shows the card where it is now
                self.busy = False
                await self.show(board)

            self.load(lambda: self.data.board(wanted), shown, failed=failed)

        def failed(exc: Any) -> None:
            self.busy = False
            self.queued.clear()  # the next moves were meant after this one
            self.failed(exc)

        self.load(job, done, group="write", exclusive=False, failed=failed)

    def action_advance(self) -> None:
        self._move(1)

    def action_back(self) -> None:
        if self.leave_search():
            return
        if len(self.app.screen_stack) > 1:
            super().action_back()

    def action_move_back(self) -> None:
        self._move(-1)

    def _move(self, direction: int) -> None:
        if self.refuse_write():
            return
        if self.busy:  # L L: the second move follows the first, on the card where it landed
            self.queued.append(direction)
            return
        card = self._card()
        if card is not None:
            self._run_move(lambda: self.data.move_card(card, direction), card)

    def action_win(self) -> None:
        self._close(win=True)

    def action_lose(self) -> None:
        self._close(win=False)

    def _close(self, win: bool) -> None:
        from crmcli.tui.screens.ask import AskScreen

        if self.refuse_write():
            return
        card = self._card()
        if card is None:
            return
        data = self.data
        if win:
            form = AskScreen(_("Win #{id} {name}").format(id=card.id, name=card.name), _("reason"),
                             lambda reason: data.win_card(card, reason), placeholder=_("optional"), button=_("Win"))
        else:
            form = AskScreen(_("Lose #{id} {name}").format(id=card.id, name=card.name), _("reason"),
                             lambda reason: data.lose_card(card, reason), placeholder=_("why it was lost"),
                             button=_("Lose"))

        def closed(moved: Moved | None) -> None:
            if moved is None:
                return
            self.notify(_("Opportunity {id}: {move}, {from_stage} → {to_stage}.").format(
                id=moved.id, move=moved.move_label, from_stage=moved.from_stage, to_stage=moved.to_stage))

        self.app.push_screen(form, closed)

    def action_follow(self) -> None:
        from crmcli.tui.screens.lead_actions import follow_up

        if self.refuse_write():
            return
        card = self._card()
        if card is not None:
            follow_up(self, "opportunity", card.id, f"#{card.id} {card.name}")

    # -- filters ----------------------------------------------------------------------

    def action_owner(self) -> None:
        from crmcli.tui.screens.ask import AskScreen

        wanted, data = self.wanted, self.data

        def chosen(board: Board | None) -> None:
            if board is not None:  # the form checked the name by loading this board; show it fresh
                self.wanted = board.filter
                self.reload()

        self.app.push_screen(AskScreen(
            _("Whose pipeline"), _("owner"), lambda text: data.board(replace(wanted, owner=text.strip() or "me")),
            placeholder=_("me, a user's login, or a department"), value=wanted.owner, button=_("Show")), chosen)

    def action_period(self) -> None:
        here = CLOSING.index(self.wanted.closing) if self.wanted.closing in CLOSING else 0
        self.wanted = replace(self.wanted, closing=CLOSING[(here + 1) % len(CLOSING)])
        self._summarise()
        self.reload()

    def search_for(self, text: str) -> None:
        if text != self.wanted.search:
            self.wanted = replace(self.wanted, search=text)
            self.reload()
