"""The pipeline (销售漏斗 in the terminal) and the forecast: set-based aggregates over open opportunities.

Both report on the opportunities *owned* by a selection of people: the actor (default), one
user (``--owner``), or a department with every department below it (``--dept``).  The
selection must lie inside the actor's data scope; records the actor sees only through a
customer team are not part of anyone's pipeline.

* :func:`pipeline` — per open stage (and currency, and optionally month of expected close):
  count, amount, and amount weighted by the stage's probability.  One ``GROUP BY`` query.
* :func:`forecast` — for the open opportunities expected to close in a period, per owner
  (and currency): the amount, the amount weighted by the stages' probabilities, and — where
  history allows — weighted by historical win rates: of the closed (won or lost) opportunities
  that once entered a stage, the share that were won; per owner and stage when that owner has
  at least :data:`MIN_HISTORY` such closed opportunities, else per stage over the whole
  selection, else the stage's configured probability.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, tzinfo
from decimal import Decimal
from typing import Any

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from crmcli.errors import PermissionDenied
from crmcli.i18n import _
from crmcli.services import pricing, stages, users
from crmcli.services.access import Actor, department_children, require, subtree
from crmcli.store.models import User
from crmcli.store.models.pipeline import Opportunity, Stage, StageChange

MIN_HISTORY = 5


@dataclass
class Selection:
    """Whose opportunities: one owner id, or the users of a set of departments."""

    label: str
    owner_id: int | None = None
    departments: frozenset[int] | None = None

    def clause(self) -> Any:
        if self.owner_id is not None:
            return Opportunity.owner_id == self.owner_id
        members = select(User.id).where(User.department_id.in_(sorted(self.departments or ()))).scalar_subquery()
        return Opportunity.owner_id.in_(members)


def select_people(session: Session, actor: Actor, owner: str | None = None, dept: str | None = None) -> Selection:
    """``--owner me|LOGIN`` or ``--dept NAME`` (with its children); the actor's scope must cover it."""
    require(actor, "opportunity.view")
    if owner and dept:
        from crmcli.errors import UsageError

        raise UsageError(_("give --owner or --dept, not both"))
    if dept:
        from crmcli.services import departments

        found = departments.find(session, dept)
        wanted = frozenset(subtree(department_children(session), found.id))
        if actor.scope_departments is not None and not wanted <= actor.scope_departments:
            raise PermissionDenied(_("department {dept} is outside your data scope").format(dept=found.name))
        return Selection(found.name, departments=wanted)
    if owner is None or owner == "me":
        return Selection(actor.login, owner_id=actor.id)
    user = users.find(session, owner)
    if user.id != actor.id and actor.scope_departments is not None and \
            user.department_id not in actor.scope_departments:
        raise PermissionDenied(_("{login} is outside your data scope").format(login=user.login))
    return Selection(user.login, owner_id=user.id)


def _month(session: Session) -> Any:
    if session.get_bind().dialect.name == "postgresql":
        return func.to_char(Opportunity.expected_close, "YYYY-MM")
    return func.strftime("%Y-%m", Opportunity.expected_close)


@dataclass
class PipelineRow:
    stage_id: int
    stage: str
    probability: int
    currency: str
    month: str | None
    count: int
    amount: Decimal
    weighted: Decimal


def pipeline(session: Session, actor: Actor, selection: Selection, *, by_month: bool = False,
             currency: str | None = None, closing: tuple[date | None, date | None] | None = None
             ) -> list[PipelineRow]:
    """Open opportunities per stage (and currency, and month of expected close when ``by_month``)."""
    month = _month(session).label("month") if by_month else None
    columns = [Opportunity.stage_id, Opportunity.currency] + ([month] if month is not None else [])
    query = select(*columns, func.count(), func.sum(Opportunity.amount)).where(
        Opportunity.status == "open", selection.clause())
    if currency:
        query = query.where(Opportunity.currency == pricing.check_currency(currency))
    if closing:
        since, until = closing
        if since is not None:
            query = query.where(Opportunity.expected_close >= since)
        if until is not None:
            query = query.where(Opportunity.expected_close <= until)
    query = query.group_by(*columns)
    found = session.execute(query).all()
    order = {s.id: i for i, s in enumerate(stages.ordered(session, include_retired=True))}
    by_id = stages.by_id(session)
    rows = []
    for row in found:
        stage = by_id[row[0]]
        amount = row[-1] if row[-1] is not None else Decimal("0.00")
        rows.append(PipelineRow(stage.id, stages.display(stage), stage.probability, row[1],
                                row[2] if by_month else None, row[-2], amount,
                                pricing.weighted(amount, stage.probability)))
    rows.sort(key=lambda r: (r.month or "", order.get(r.stage_id, 0), r.currency))
    return rows


def totals(rows: list[PipelineRow]) -> dict[str, tuple[int, Decimal, Decimal]]:
    """Per currency: count, amount, weighted."""
    found: dict[str, tuple[int, Decimal, Decimal]] = {}
    for r in rows:
        n, a, w = found.get(r.currency, (0, Decimal("0.00"), Decimal("0.00")))
        found[r.currency] = (n + r.count, a + r.amount, w + r.weighted)
    return found


@dataclass
class ForecastRow:
    owner: str
    currency: str
    count: int
    amount: Decimal
    weighted: Decimal
    historical: Decimal
    based_on: dict[str, int] = field(default_factory=dict)  # how many figures came from owner/stage/configured


def win_rates(session: Session, selection: Selection) -> tuple[dict[tuple[int, int], tuple[int, int]],
                                                               dict[int, tuple[int, int]]]:
    """(won, closed) per (owner, stage) and per stage, over closed opportunities that entered the stage."""
    won = func.count(func.distinct(case((Opportunity.status == "won", Opportunity.id))))
    closed = func.count(func.distinct(Opportunity.id))
    query = (select(Opportunity.owner_id, StageChange.to_stage_id, won, closed)
             .join(StageChange, StageChange.opportunity_id == Opportunity.id)
             .where(Opportunity.status.in_(("won", "lost")), selection.clause())
             .group_by(Opportunity.owner_id, StageChange.to_stage_id))
    per_owner: dict[tuple[int, int], tuple[int, int]] = {}
    per_stage: dict[int, tuple[int, int]] = {}
    for owner_id, stage_id, n_won, n_closed in session.execute(query):
        per_owner[(owner_id, stage_id)] = (n_won, n_closed)
        w, c = per_stage.get(stage_id, (0, 0))
        per_stage[stage_id] = (w + n_won, c + n_closed)
    return per_owner, per_stage


def forecast(session: Session, actor: Actor, selection: Selection, period: tuple[date | None, date | None]
             ) -> list[ForecastRow]:
    """Open opportunities expected to close in ``period``, per owner and currency."""
    since, until = period
    query = select(Opportunity.owner_id, Opportunity.stage_id, Opportunity.currency, func.count(),
                   func.sum(Opportunity.amount)).where(Opportunity.status == "open", selection.clause())
    if since is not None:
        query = query.where(Opportunity.expected_close >= since)
    if until is not None:
        query = query.where(Opportunity.expected_close <= until)
    query = query.group_by(Opportunity.owner_id, Opportunity.stage_id, Opportunity.currency)
    found = session.execute(query).all()
    per_owner, per_stage = win_rates(session, selection) if found else ({}, {})
    by_id = stages.by_id(session)
    logins = dict(session.execute(select(User.id, User.login)).all())
    rows: dict[tuple[str, str], ForecastRow] = {}
    for owner_id, stage_id, currency, count, amount in found:
        amount = amount if amount is not None else Decimal("0.00")
        stage = by_id[stage_id]
        login = logins.get(owner_id, "-")
        row = rows.setdefault((login, currency), ForecastRow(login, currency, 0, Decimal("0.00"), Decimal("0.00"),
                                                             Decimal("0.00")))
        row.count += count
        row.amount += amount
        row.weighted += pricing.weighted(amount, stage.probability)
        mine = per_owner.get((owner_id, stage_id), (0, 0))
        everyone = per_stage.get(stage_id, (0, 0))
        if mine[1] >= MIN_HISTORY:
            rate, basis = Decimal(mine[0]) * 100 / Decimal(mine[1]), "owner"
        elif everyone[1] >= MIN_HISTORY:
            rate, basis = Decimal(everyone[0]) * 100 / Decimal(everyone[1]), "stage"
        else:
            rate, basis = Decimal(stage.probability), "configured"
        row.historical += pricing.weighted(amount, rate)
        row.based_on[basis] = row.based_on.get(basis, 0) + count
    return sorted(rows.values(), key=lambda r: (r.currency, r.owner))
