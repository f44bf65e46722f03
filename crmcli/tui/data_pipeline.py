"""The pipeline view's calls to the services (a part of :class:`crmcli.tui.data.Data`).

The board is the aggregate of ``crm opp pipeline`` (one ``GROUP BY``: count, amount and
weighted amount per stage) plus, per column, the top cards of ``crm opp list --stage S
--status open --sort -amount --limit N`` — never every row, so the first paint costs the
same with a hundred opportunities or a hundred thousand.  Moves go through the services of
``crm opp advance|win|lose``; before each, the card as it was loaded is compared with the
database inside the same write transaction (`opportunities.as_seen`), and a card that moved meanwhile is refused
(:class:`~crmcli.errors.Conflict`) instead of being moved again from where it no longer is.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from crmcli.errors import NotFound, ValidationError
from crmcli.i18n import N_, _

CARDS = 30  # cards fetched per column; the rest are counted ("+N more")
CLOSING_LABELS = {"": N_("any time"), "this-month": N_("this month"), "next-month": N_("next month"),
                  "this-quarter": N_("this quarter"), "next-quarter": N_("next quarter"),
                  "this-year": N_("this year"), "overdue": N_("overdue")}


@dataclass(frozen=True)
class BoardFilter:
    """Whose opportunities (``--owner`` or ``--dept`` of ``crm opp pipeline``), closing when, matching what."""

    owner: str = "me"  # me | a login | a department (with the departments below it)
    closing: str = ""  # "" or one of opportunities.CLOSING
    search: str = ""


@dataclass(frozen=True)
class Card:
    id: int
    name: str
    customer: str
    amount: str  # "120,000.00 CNY"
    close: str  # expected close, YYYY-MM-DD
    close_passed: bool
    owner: str
    days: int  # days in the current stage
    stage_id: int
    # as loaded: compared with the database before a move (a stale card is refused)
    status: str = "open"
    stage_changed_at: datetime | None = None


@dataclass(frozen=True)
class BoardColumn:
    stage_id: int
    title: str
    probability: int
    count: int
    amount: str
    weighted: str
    cards: list[Card] = field(default_factory=list)
    more: int = 0  # cards not fetched
    more_unknown: bool = False  # with a text search: more match, how many is not counted
    retired: bool = False


@dataclass(frozen=True)
class Board:
    who: str
    filter: BoardFilter
    columns: list[BoardColumn]


@dataclass(frozen=True)
class Moved:
    id: int
    move: str  # the service's move: advance, skip, back, win, lose
    move_label: str
    from_stage: str
    to_stage: str
    to_stage_id: int


def compact(amount: Decimal) -> str:
    """A column total in few characters: 950, 12.5k, 3.2M, 1.1B (cards show exact amounts)."""
    value = abs(amount)
    sign = "-" if amount < 0 else ""
    for limit, suffix in ((Decimal(10) ** 9, "B"), (Decimal(10) ** 6, "M"), (Decimal(10) ** 3, "k")):
        if value >= limit:
            shown = (value / limit).quantize(Decimal("0.1"))
            text = f"{shown:f}".rstrip("0").rstrip(".")
            return f"{sign}{text}{suffix}"
    return f"{sign}{value.quantize(Decimal(1)):f}"


def _money(per_currency: dict[str, Decimal]) -> str:
    if not per_currency:
        return "0"
    return " + ".join(f"{compact(v)} {c}" for c, v in sorted(per_currency.items()))


class PipelineData:
    """Mixed into :class:`crmcli.tui.data.Data`."""

    def _selection(self, session: Any, me: Any, wanted: BoardFilter) -> Any:
        """``--owner`` when the text names a user (or is ``me``), else ``--dept``: the services' own checks."""
        from crmcli.services import forecast

        text = (wanted.owner or "me").strip() or "me"
        try:
            return forecast.select_people(session, me, owner=text)
        except NotFound:
            pass
        try:
            return forecast.select_people(session, me, dept=text)
        except NotFound:
            raise NotFound(_("no user or department named '{name}'").format(name=text)) from None

    def board(self, wanted: BoardFilter, per_column: int = CARDS) -> Board:
        """The kanban: one column per open stage (and per retired stage still holding open opportunities)."""
        from crmcli import clock
        from crmcli.services import filters, forecast, opportunities, pricing, stages
        from crmcli.store.models import Customer

        with self.rt.transaction(write=False) as (s, me):
            selection = self._selection(s, me, wanted)
            period = opportunities.closing_range(wanted.closing, self.tz) if wanted.closing else None
            totals = forecast.pipeline(s, me, selection, closing=period)
            per_stage: dict[int, tuple[int, dict[str, Decimal], dict[str, Decimal]]] = {}
            for row in totals:
                n, amounts, weighted = per_stage.get(row.stage_id, (0, {}, {}))
                amounts[row.currency] = amounts.get(row.currency, Decimal(0)) + row.amount
                weighted[row.currency] = weighted.get(row.currency, Decimal(0)) + row.weighted
                per_stage[row.stage_id] = (n + row.count, amounts, weighted)
            shown = [st for st in stages.ordered(s, include_retired=True)
                     if st.kind == "open" and (not st.retired or st.id in per_stage)]
            now = clock.now()
            today = now.astimezone(self.tz).date()
            picked: list[tuple[Any, list[Any], bool]] = []
            for stage in shown:
                opts = filters.ListOptions(status=["open"], search=wanted.search.strip() or None, sort="-amount",
                                           limit=per_column)
                found, opts = opportunities.listing(s, opts, self.tz, stage=[str(stage.id)],
                                                    closing=wanted.closing or None, actor=me)
                inner = found.extra

                def narrowed(query: Any, o: Any, inner: Any = inner) -> Any:
                    return inner(query, o).where(selection.clause())

                page = filters.select_page(s, me, replace(found, extra=narrowed), opts, self.tz)
                picked.append((stage, page.rows, page.next_cursor is not None))
            every = [o for _st, rows, _more in picked for o in rows]
            names = {}
            if every:
                from sqlalchemy import select

                wanted_ids = sorted({o.customer_id for o in every})
                names = dict(s.execute(select(Customer.id, Customer.name).where(Customer.id.in_(wanted_ids))).all())
            from crmcli.tui.data import _logins

            logins = _logins(s, [o.owner_id for o in every])
            columns = []
            for stage, rows, has_more in picked:
                count, amounts, weighted = per_stage.get(stage.id, (0, {}, {}))
                cards = [Card(
                    id=o.id, name=o.name, customer=names.get(o.customer_id, ""),
                    amount=f"{pricing.show(o.amount, o.currency)} {o.currency}",
                    close=o.expected_close.isoformat() if isinstance(o.expected_close, date) else "",
                    close_passed=bool(o.expected_close and o.expected_close < today),
                    owner=logins.get(o.owner_id, ""),
                    days=max(0, int((now - (o.stage_changed_at or o.created_at)).total_seconds() // 86400)),
                    stage_id=o.stage_id, status=o.status, stage_changed_at=o.stage_changed_at) for o in rows]
                searching = bool(wanted.search.strip())
                columns.append(BoardColumn(
                    stage_id=stage.id, title=stages.display(stage), probability=stage.probability,
                    count=count, amount=_money(amounts), weighted=_money(weighted), cards=cards,
                    more=0 if searching else max(0, count - len(cards)), more_unknown=searching and has_more,
                    retired=stage.retired))
            return Board(selection.label, wanted, columns)

    # -- moves ------------------------------------------------------------------------

    def _fresh(self, session: Any, me: Any, card: Card) -> Any:
        """The opportunity, if it still is where the card shows it (the service decides)."""
        from crmcli.services import opportunities

        return opportunities.as_seen(session, me, card.id, card.status, card.stage_id, card.stage_changed_at)

    def _moved(self, session: Any, change: Any) -> Moved:
        from crmcli.services import opportunities, stages

        names = {i: stages.display(st) for i, st in stages.by_id(session).items()}
        return Moved(change.opportunity_id, change.move, _(opportunities.MOVE_LABELS[change.move]),
                     names.get(change.from_stage_id, "-"), names.get(change.to_stage_id, "-"), change.to_stage_id)

    def move_card(self, card: Card, direction: int) -> Moved:
        """``L`` (+1): ``crm opp advance ID``; ``H`` (-1): ``crm opp advance ID --stage PREVIOUS``."""
        from crmcli.services import opportunities, stages

        verb = "advance" if direction > 0 else "back"
        with self._write(f"opp {verb} {card.id}") as (s, me):
            opp = self._fresh(s, me, card)
            if direction > 0:
                change = opportunities.advance(s, me, opp.id)
            else:
                active = [st for st in stages.ordered(s) if st.kind == "open"]
                ids = [st.id for st in active]
                here = ids.index(opp.stage_id) if opp.stage_id in ids else len(ids)
                if here == 0:
                    raise ValidationError(_("opportunity {id} is in the first stage").format(id=opp.id))
                change = opportunities.advance(s, me, opp.id, str(active[here - 1].id))
            return self._moved(s, change)

    def win_card(self, card: Card, reason: str = "") -> Moved:
        from crmcli.services import opportunities

        with self._write(f"opp win {card.id}") as (s, me):
            opp = self._fresh(s, me, card)
            return self._moved(s, opportunities.win(s, me, opp.id, reason.strip() or None))

    def lose_card(self, card: Card, reason: str) -> Moved:
        from crmcli.services import opportunities

        with self._write(f"opp lose {card.id}") as (s, me):
            opp = self._fresh(s, me, card)
            return self._moved(s, opportunities.lose(s, me, opp.id, reason))

    # -- one opportunity --------------------------------------------------------------

    def opportunity(self, opp_id: int) -> Any:
        """One opportunity's fields, stage history and timeline, as ``crm opp show`` has them."""
        from crmcli.services import opportunities, pricing, records, stages
        from crmcli.tui.data import RecordDetail, TimelineRow

        with self.rt.transaction(write=False) as (s, me):
            v = opportunities.view(s, me, opp_id)
            o = v.opportunity
            status = _(opportunities.STATUS_LABELS.get(o.status, o.status))
            values: list[tuple[str, Any]] = [
                (_("name"), o.name), (_("customer"), f"#{v.customer.id} {v.customer.name}"),
                (_("stage"), f"{stages.display(v.stage)} ({v.stage.probability}%)"), (_("status"), status),
                (_("amount"), f"{pricing.show(o.amount, o.currency)} {o.currency}"),
                (_("expected close"), o.expected_close.isoformat() if o.expected_close else None),
                (_("owner"), v.owner), (_("lost because"), o.lost_reason),
                (_("contacts"), ", ".join(c.name for c in v.contacts)),
                (_("products"), ", ".join(f"{p.code}×{pricing.show_quantity(q)}" for p, q in v.products)),
                (_("tags"), ", ".join(v.tags)),
                (_("next contact"), o.next_contact_at), (_("last follow-up"), o.last_followup_at),
                (_("in stage since"), o.stage_changed_at), (_("created"), o.created_at),
            ]
            shown = [(label, self.when(val) if isinstance(val, datetime) else str(val))
                     for label, val in values if val not in (None, "", [], {})]
            history = [TimelineRow(self.when(h.at), h.who or "", "{move}: {src} → {dst}{why}".format(
                move=_(opportunities.MOVE_LABELS.get(h.move, h.move)), src=h.from_stage or "-", dst=h.to_stage,
                why=f" ({h.reason})" if h.reason else "")) for h in v.history]
            moves = {f"opportunity.{m}" for m in ("add", "advance", "win", "lose", "reopen", "convert")}
            timeline = [TimelineRow(self.when(e.at), e.who, e.summary)
                        for e in records.timeline(s, "opportunity", o.id)
                        if not (e.what == "change" and e.summary in moves)]  # the stage history says these
            return RecordDetail(o.id, f"#{o.id} {o.name}", status, o.status != "open", shown,
                                sorted(history + timeline, key=lambda r: r.at, reverse=True))
