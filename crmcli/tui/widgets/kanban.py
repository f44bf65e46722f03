"""The kanban board's pieces: a column (a header and its cards) and the card list inside it.

A column is two widgets whatever the number of opportunities: a header (stage, count,
amount, weighted amount) and one :class:`CardList` — an ``OptionList``, which draws only
the lines on screen — holding the top cards the service returned and a last "+N more" line.
Cards are Rich renderables cut with an ellipsis by display width, so Chinese names keep the
columns aligned.
"""

from __future__ import annotations

from typing import Any

from rich.console import Group
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from crmcli.i18n import N_, _
from crmcli.tui.keys import localise
from crmcli.tui.style import beside


def _line(text: str, style: str = "") -> Text:
    return Text(text, style=style, no_wrap=True, overflow="ellipsis")


def card_renderable(card: Any, no_color: bool = False) -> Group:
    """Four lines: the opportunity; its customer; its amount; expected close, days in stage and owner.

    Narrow columns cut the end of each line, so what matters most comes first.
    """
    dim = "" if no_color else "dim"
    last = _line("")
    if card.close:
        passed = ("bold underline" if no_color else "bold red") if card.close_passed else ""
        last.append(card.close, style=passed)
        last.append(" · ")
    last.append(_("{n}d").format(n=card.days), style=dim)
    if card.owner:
        last.append(" · ")
        last.append(card.owner, style=dim)
    return Group(_line(card.name, "bold"), _line(card.customer, "italic" if no_color else dim),
                 _line(card.amount), last)


class CardList(OptionList):
    """The cards of one column; ``j``/``k`` move between them."""

    BINDINGS = [
        Binding("j", "cursor_down", N_("Down"), show=False, id="kanban.down"),
        Binding("k", "cursor_up", N_("Up"), show=False, id="kanban.up"),
        Binding("g", "first", N_("First"), show=False, id="kanban.first"),
        Binding("G", "last", N_("Last"), show=False, id="kanban.last"),
    ]

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        localise(self)
        self.cards: list[Any] = []

    def show(self, cards: list[Any], more: str, keep: int | None, no_color: bool) -> None:
        self.cards = list(cards)
        options: list[Option | None] = []
        for c in cards:
            options += [Option(card_renderable(c, no_color), id=str(c.id)), None]
        if more:
            options.append(Option(_line(more, "italic"), id="more", disabled=True))
        elif options:
            options.pop()
        self.clear_options()
        self.add_options(options)
        ids = [c.id for c in cards]
        if keep is not None and keep in ids:
            self.highlighted = ids.index(keep)
        elif cards:
            self.highlighted = min(self.highlighted or 0, len(cards) - 1)

    @property
    def card(self) -> Any | None:
        index = self.highlighted
        if index is None or not 0 <= index < len(self.cards):
            return None
        return self.cards[index]


class KanbanColumn(Vertical):
    """One stage: its header (count, amount, weighted) and its cards."""

    DEFAULT_CSS = beside(__file__)

    def __init__(self, stage_id: int, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.stage_id = stage_id
        self.column: Any = None

    def compose(self) -> ComposeResult:
        yield Static("", classes="column-header")
        yield CardList(classes="cards")

    @property
    def cards(self) -> CardList:
        return self.query_one(CardList)

    def show(self, column: Any, keep: int | None, no_color: bool) -> None:
        self.column = column
        head = Text(no_wrap=True, overflow="ellipsis")
        head.append(column.title, style="bold")
        head.append(f" {column.probability}%", style="" if no_color else "dim")
        if column.retired:
            head.append(" " + _("(retired)"))
        counts = _line(_("{n} · {amount}").format(n=column.count, amount=column.amount))
        weighted = _line(_("weighted {amount}").format(amount=column.weighted), "" if no_color else "dim")
        self.query_one(".column-header", Static).update(Group(head, counts, weighted))
        if column.more_unknown:
            more = _("+ more: narrow the search")
        elif column.more:
            more = _("+{n} more").format(n=column.more)
        else:
            more = ""
        self.cards.show(column.cards, more, keep, no_color)
