"""Receivable plans (回款计划) and what is still owed: instalments, payment terms, the receivables list, aging.

* :func:`add_plan` — one instalment; the instalments of a contract never total more than its amount.
* :func:`generate` — instalments from payment terms, ``30%@signed,40%@signed+30d,30%@end+90d``:
  each share is rounded ROUND_HALF_UP to the currency's minor unit and the last one absorbs the
  rounding, so they sum exactly to the contract amount.  Anchors: ``signed``, ``start``, ``end``,
  ``today``; offsets ``+Nd``, ``+Nw``, ``+Nm`` (months), ``+Ny``.
* :func:`due` — unpaid instalments of approved and active contracts the actor may see, overdue or
  due within a window, by owner or department; :func:`aging` — their unpaid amounts in buckets of
  days overdue (not yet due, 0–30, 31–60, 61–90, 90+), one row per currency (never mixed) unless
  converted with recorded rates.

Both lists are one SQL statement each (the bucket bounds are dates computed here, so the SQL is
the same on SQLite and PostgreSQL); ``benchmarks/contracts/run.py`` measures them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import BigInteger, and_, case, func, literal, select, type_coerce
from sqlalchemy.orm import Session

from crmcli import clock
from crmcli.errors import Conflict, ValidationError
from crmcli.i18n import N_, _
from crmcli.services import audit, money
from crmcli.services.access import Actor, require, visible_clause
from crmcli.store.models import Department, User
from crmcli.store.models.contracts import MONEY_SCALE, Contract, ReceivablePlan

PLAN_STATUSES = ("open", "partial", "paid")
PLAN_STATUS_LABELS = {"open": N_("open"), "partial": N_("partly paid"), "paid": N_("paid")}
BUCKETS = ("not_due", "d0_30", "d31_60", "d61_90", "d90_plus")
BUCKET_LABELS = {"not_due": N_("not yet due"), "d0_30": "0–30", "d31_60": "31–60", "d61_90": "61–90",
                 "d90_plus": "90+"}
PLANNABLE = ("draft", "pending", "approved", "rejected", "active")
RECEIVABLE = ("approved", "active")
_TERM = re.compile(r"^\s*([0-9]+(?:\.[0-9]+)?)\s*%\s*@\s*(signed|start|end|today)\s*"
                   r"(?:([+-])\s*([0-9]+)\s*(d|w|m|y))?\s*$", re.IGNORECASE)


def _scaled(value: Any) -> Decimal:
    return Decimal(int(value or 0)).scaleb(-MONEY_SCALE)


def plan_status(plan: ReceivablePlan) -> str:
    if plan.paid >= plan.amount:
        return "paid"
    return "partial" if plan.paid > 0 else "open"


def _contract_for_plans(session: Session, actor: Actor, ref: Any) -> Contract:
    from crmcli.services import contracts

    contract = contracts.lock(session, contracts.get(session, actor, ref, "edit"))
    if contract.status not in PLANNABLE:
        raise ValidationError(_("contract {number} is {status}: it takes no more receivable plans").format(
            number=contract.number, status=contracts.status_label(contract.status)))
    return contract


def _next_seq(session: Session, contract_id: int) -> int:
    return (session.execute(select(func.max(ReceivablePlan.seq)).where(
        ReceivablePlan.contract_id == contract_id)).scalar() or 0) + 1


def check_method(method: str | None) -> str | None:
    value = (method or "").strip()
    if len(value) > 32:
        raise ValidationError(_("a payment method may be at most 32 characters"))
    return value or None


def check_remind(remind: str | None) -> int | None:
    if remind is None or not remind.strip():
        return None
    from crmcli import dates

    days = dates.parse_duration(remind).days
    if days < 0 or days > 365:
        raise ValidationError(_("--remind must be between 0d and 365d"))
    return days


def add_plan(session: Session, actor: Actor, ref: Any, amount: Any, due_on: date, *, method: str | None = None,
             remind: str | None = None, note: str | None = None) -> ReceivablePlan:
    from crmcli.services import contracts

    contract = _contract_for_plans(session, actor, ref)
    value = money.parse_amount(amount, contract.currency)
    planned = contracts.plans_total(session, contract.id)
    if planned + value > contract.amount:
        raise ValidationError(
            _("the instalments would total {total}, more than the contract amount {amount}").format(
                total=money.fmt(planned + value, contract.currency), amount=money.fmt(contract.amount, contract.currency)),
            hint=_("still unplanned: {rest}").format(rest=money.fmt(contract.amount - planned, contract.currency)))
    plan = ReceivablePlan(contract_id=contract.id, seq=_next_seq(session, contract.id), amount=value,
                          due_on=due_on, method=check_method(method), remind_days=check_remind(remind),
                          note=(note or "").strip() or None, created_at=clock.now())
    session.add(plan)
    session.flush()
    audit.record(session, actor, "contract.plan", "contract", contract.id, contracts.label(contract),
                 {"plan": [None, plan.seq], "amount": [None, str(value)], "due_on": [None, due_on.isoformat()]})
    return plan


def _add_months(day: date, months: int) -> date:
    import calendar

    y, m = divmod(day.month - 1 + months, 12)
    year, month = day.year + y, m + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def parse_terms(terms: str, contract: Contract) -> list[tuple[Decimal, date]]:
    """``30%@signed,40%@signed+30d,30%@end+90d`` → [(percent, due date)]; percentages total 100."""
    parts = [p for p in (terms or "").split(",") if p.strip()]
    hint = _("write PERCENT%@ANCHOR[+OFFSET], e.g. 30%@signed,40%@signed+30d,30%@end+90d")
    if not parts:
        raise ValidationError(_("'{terms}' are not payment terms").format(terms=terms), hint=hint)
    anchors = {"signed": contract.signed_on, "start": contract.start_on, "end": contract.end_on,
               "today": clock.now().date()}
    found: list[tuple[Decimal, date]] = []
    for part in parts:
        m = _TERM.match(part)
        if not m:
            raise ValidationError(_("'{term}' is not a payment term").format(term=part.strip()), hint=hint)
        percent, anchor, sign, number, unit = m.groups()
        base = anchors[anchor.lower()]
        if base is None:
            raise ValidationError(_("contract {number} has no {anchor} date for '{term}'").format(
                number=contract.number, anchor=anchor.lower(), term=part.strip()),
                hint=_("set it first: crm contract edit {number} --{anchor} DATE").format(
                    number=contract.number, anchor=anchor.lower()))
        due = base
        if number:
            n = int(number) * (-1 if sign == "-" else 1)
            unit = unit.lower()
            due = (base + timedelta(days=n) if unit == "d" else base + timedelta(weeks=n) if unit == "w"
                   else _add_months(base, n) if unit == "m" else _add_months(base, 12 * n))
        value = Decimal(percent)
        if value <= 0:
            raise ValidationError(_("'{term}' is not a payment term").format(term=part.strip()), hint=hint)
        found.append((value, due))
    total = sum((p for p, _d in found), Decimal(0))
    if total != 100:
        raise ValidationError(_("the payment terms total {total}%, not 100%").format(total=total))
    return found


def generate(session: Session, actor: Actor, ref: Any, terms: str, *, method: str | None = None,
             remind: str | None = None) -> list[ReceivablePlan]:
    """Instalments from payment terms; the contract must have no plans yet."""
    from crmcli.services import contracts

    contract = _contract_for_plans(session, actor, ref)
    if contracts.plans_total(session, contract.id) or _next_seq(session, contract.id) > 1:
        raise Conflict(_("contract {number} already has receivable plans").format(number=contract.number),
                       hint=_("add more one by one: crm contract plan add"))
    found = parse_terms(terms, contract)
    shares = money.split(contract.amount, [p for p, _d in found], contract.currency)
    method, remind_days, now = check_method(method), check_remind(remind), clock.now()
    plans = [ReceivablePlan(contract_id=contract.id, seq=seq, amount=share, due_on=due, method=method,
                            remind_days=remind_days, created_at=now)
             for seq, (share, (_p, due)) in enumerate(zip(shares, found), 1)]
    session.add_all(plans)
    before = contract.terms
    contract.terms = terms.strip()
    contract.updated_at = now
    session.flush()
    audit.record(session, actor, "contract.plan", "contract", contract.id, contracts.label(contract),
                 {"terms": [before, contract.terms],
                  "plans": [None, [{"plan": p.seq, "amount": str(p.amount), "due_on": p.due_on.isoformat()}
                                   for p in plans]]})
    return plans


# --- what is owed ----------------------------------------------------------------------------------


@dataclass
class DueRow:
    plan_id: int
    contract_id: int
    number: str
    customer: str
    owner: str | None
    department: str | None
    seq: int
    due_on: date
    currency: str
    amount: Decimal
    paid: Decimal
    unpaid: Decimal
    days_overdue: int


def _base(actor: Actor) -> Any:
    """What both lists read: unpaid instalments of receivable contracts the actor may view (``contract.view``)."""
    from crmcli.services.contracts import CONTRACT

    require(actor, "contract.view")
    return and_(ReceivablePlan.status.in_(("open", "partial")), Contract.status.in_(RECEIVABLE),
                visible_clause(actor, CONTRACT))


def _owner_filter(session: Session, actor: Actor, owner: str | None, dept: str | None) -> list[Any]:
    conditions = []
    if owner:
        from crmcli.services.filters import owner_clause

        conditions.append(owner_clause(session, actor, Contract.owner_id, owner))
    if dept:
        from crmcli.services import departments
        from crmcli.services.access import department_children, subtree

        found = departments.find(session, dept)
        ids = sorted(subtree(department_children(session), found.id))
        conditions.append(Contract.owner_id.in_(select(User.id).where(User.department_id.in_(ids))))
    return conditions


def due(session: Session, actor: Actor, *, today: date, overdue: bool = False, within: int | None = None,
        owner: str | None = None, dept: str | None = None, limit: int | None = 100) -> list[DueRow]:
    """Unpaid instalments, the earliest due first."""
    from crmcli.store.models import Customer

    query = (select(ReceivablePlan.id, Contract.id, Contract.number, Customer.name, User.login, Department.name,
                    ReceivablePlan.seq, ReceivablePlan.due_on, Contract.currency,
                    type_coerce(ReceivablePlan.amount, BigInteger), type_coerce(ReceivablePlan.paid, BigInteger))
             .join(Contract, Contract.id == ReceivablePlan.contract_id)
             .join(Customer, Customer.id == Contract.customer_id)
             .outerjoin(User, User.id == Contract.owner_id)
             .outerjoin(Department, Department.id == User.department_id)
             .where(_base(actor), *_owner_filter(session, actor, owner, dept)))
    if overdue:
        query = query.where(ReceivablePlan.due_on < today)
    if within is not None:
        query = query.where(ReceivablePlan.due_on >= today, ReceivablePlan.due_on <= today + timedelta(days=within))
    query = query.order_by(ReceivablePlan.due_on, ReceivablePlan.id)
    if limit is not None:
        query = query.limit(limit)
    rows = []
    for plan_id, contract_id, number, customer, login, department, seq, due_on, currency, amount, paid in session.execute(query):
        amount, paid = _scaled(amount), _scaled(paid)
        rows.append(DueRow(plan_id, contract_id, number, customer, login, department, seq, due_on, currency,
                           money.plain(amount, currency), money.plain(paid, currency),
                           money.plain(amount - paid, currency), max((today - due_on).days, 0)))
    return rows


@dataclass
class AgingRow:
    group: str | None  # owner login or department name (None: everyone)
    currency: str
    buckets: dict[str, Decimal]

    @property
    def total(self) -> Decimal:
        return sum(self.buckets.values(), Decimal(0))


def aging(session: Session, actor: Actor, *, today: date, by: str | None = None, owner: str | None = None,
          dept: str | None = None, overdue_only: bool = False) -> list[AgingRow]:
    """Unpaid amounts by days overdue: one row per currency (and owner or department with ``by``)."""
    if by not in (None, "owner", "department"):
        raise ValidationError(_("unknown grouping '{by}'").format(by=by), hint=_("one of: owner, department"))
    unpaid = type_coerce(ReceivablePlan.amount, BigInteger) - type_coerce(ReceivablePlan.paid, BigInteger)
    d30, d60, d90 = today - timedelta(days=30), today - timedelta(days=60), today - timedelta(days=90)
    due_on = ReceivablePlan.due_on
    bucket_sql = {
        "not_due": due_on > today,
        "d0_30": and_(due_on <= today, due_on >= d30),
        "d31_60": and_(due_on < d30, due_on >= d60),
        "d61_90": and_(due_on < d60, due_on >= d90),
        "d90_plus": due_on < d90,
    }
    sums = [func.sum(case((cond, unpaid), else_=literal(0))) for cond in bucket_sql.values()]
    group_col: Any = None
    query = select(Contract.currency, *sums).join(Contract, Contract.id == ReceivablePlan.contract_id)
    if by == "owner":
        group_col = User.login
        query = select(group_col, Contract.currency, *sums).join(Contract, Contract.id == ReceivablePlan.contract_id) \
            .outerjoin(User, User.id == Contract.owner_id)
    elif by == "department":
        group_col = Department.name
        query = select(group_col, Contract.currency, *sums).join(Contract, Contract.id == ReceivablePlan.contract_id) \
            .outerjoin(User, User.id == Contract.owner_id).outerjoin(Department, Department.id == User.department_id)
    query = query.where(_base(actor), *_owner_filter(session, actor, owner, dept))
    if overdue_only:
        query = query.where(ReceivablePlan.due_on < today)
    if group_col is not None:
        query = query.group_by(group_col, Contract.currency).order_by(group_col, Contract.currency)
    else:
        query = query.group_by(Contract.currency).order_by(Contract.currency)
    rows = []
    for row in session.execute(query):
        group, currency, values = (row[0], row[1], row[2:]) if group_col is not None else (None, row[0], row[1:])
        rows.append(AgingRow(group, currency, {b: money.plain(_scaled(v), currency) for b, v in zip(BUCKETS, values)}))
    return rows


def convert_rows(session: Session, rows: list[AgingRow], to: str, today: date) -> tuple[list[AgingRow], dict[str, Decimal]]:
    """The aging rows converted to one currency (each bucket converted, then summed per group), and the rates used."""
    from crmcli.services import currency as rates

    to = money.check_currency(to)
    used: dict[str, Decimal] = {}
    merged: dict[str | None, dict[str, Decimal]] = {}
    for row in rows:
        if row.currency != to and row.currency not in used:
            used[row.currency] = rates.rate(session, row.currency, to, today)
        target = merged.setdefault(row.group, {b: Decimal(0) for b in BUCKETS})
        for bucket, value in row.buckets.items():
            target[bucket] += rates.convert(session, value, row.currency, to, today)
    return [AgingRow(group, to, buckets) for group, buckets in merged.items()], used


def reminders_due(session: Session, actor: Actor, today: date) -> list[DueRow]:
    """Instalments of the actor's own contracts whose reminder day has come (due within their remind days)
    or that are overdue: what ``crm today`` / ``crm remind`` show."""
    from crmcli.store.models import Customer

    rows = session.execute(
        select(ReceivablePlan, Contract.number, Customer.name, Contract.currency)
        .join(Contract, Contract.id == ReceivablePlan.contract_id)
        .join(Customer, Customer.id == Contract.customer_id)
        .where(ReceivablePlan.status != "paid", Contract.status.in_(RECEIVABLE), Contract.owner_id == actor.id,
               ReceivablePlan.due_on <= today + timedelta(days=365))
        .order_by(ReceivablePlan.due_on, ReceivablePlan.id)).all()
    found = []
    for plan, number, customer, currency in rows:
        if plan.due_on - timedelta(days=plan.remind_days or 0) <= today:
            found.append(DueRow(plan.id, plan.contract_id, number, customer, actor.login, None, plan.seq, plan.due_on,
                                currency, plan.amount, plan.paid, plan.amount - plan.paid,
                                max((today - plan.due_on).days, 0)))
    return found


# --- crm today and crm remind --------------------------------------------------------------------


def today_section(session: Session, actor: Actor, ctx: Any) -> list[Any]:
    """``crm today``: instalments of the page's users' contracts that are overdue or inside their reminder days."""
    from crmcli.services import today as today_page
    from crmcli.store.models import Customer

    if not actor.can("contract.view"):
        return []
    local_today = ctx.now.astimezone(ctx.tz).date()
    rows = session.execute(
        select(ReceivablePlan, Contract.number, Contract.currency, Contract.owner_id, Customer.name)
        .join(Contract, Contract.id == ReceivablePlan.contract_id)
        .join(Customer, Customer.id == Contract.customer_id)
        .where(Contract.owner_id.in_(ctx.user_ids), Contract.status.in_(RECEIVABLE), ReceivablePlan.status != "paid",
               ReceivablePlan.due_on <= local_today + timedelta(days=365))
        .order_by(ReceivablePlan.due_on, ReceivablePlan.id)).all()
    logins = today_page._logins(session, ctx, {owner for *_rest, owner, _name in rows})
    items = []
    for plan, number, currency, owner_id, customer in rows:
        if plan.due_on - timedelta(days=plan.remind_days or 0) > local_today:
            continue
        due = "overdue" if plan.due_on < local_today else ("today" if plan.due_on == local_today else None)
        items.append(today_page.Item(
            "contract", plan.contract_id, _due_instant(plan.due_on, ctx.tz),
            _("{number} plan {n}: {unpaid} unpaid").format(number=number, n=plan.seq,
                                                            unpaid=money.fmt(plan.amount - plan.paid, currency)),
            customer, logins.get(owner_id), due))
    return items


def _due_instant(day: date, tz: Any) -> Any:
    from datetime import datetime, time, timezone

    return datetime.combine(day, time(0, 0), tz).astimezone(timezone.utc)


def reminder_source(session: Session, actor: Actor, since: Any, now: Any) -> list[Any]:
    """``crm remind``: an instalment reminds its contract's owner ``remind_days`` before it is due (00:00 UTC)."""
    from crmcli.services.access import owner_in_scope_clause
    from crmcli.services.reminders import Due
    from crmcli.store.models import Customer
    from crmcli.store.models.schedule import Reminder

    rows = session.execute(
        select(ReceivablePlan, Contract.number, Contract.currency, Contract.owner_id, Customer.name)
        .join(Contract, Contract.id == ReceivablePlan.contract_id)
        .join(Customer, Customer.id == Contract.customer_id)
        .where(Contract.status.in_(RECEIVABLE), ReceivablePlan.status != "paid", Contract.owner_id.is_not(None),
               ReceivablePlan.due_on >= since.date(), ReceivablePlan.due_on <= now.date() + timedelta(days=366),
               owner_in_scope_clause(actor, Contract.owner_id))).all()
    found = []
    from datetime import timezone

    for plan, number, currency, owner_id, customer in rows:
        remind_at = _due_instant(plan.due_on - timedelta(days=plan.remind_days or 0), timezone.utc)
        if since < remind_at <= now:
            found.append(Due("receivable", plan.id, owner_id, remind_at,
                             _("{number} plan {n}: {unpaid} due").format(
                                 number=number, n=plan.seq, unpaid=money.fmt(plan.amount - plan.paid, currency)),
                             _due_instant(plan.due_on, timezone.utc), f"contract:{plan.contract_id}", customer))
    if found:
        sent = set(session.execute(select(Reminder.record_id, Reminder.remind_at).where(
            Reminder.source == "receivable", Reminder.record_id.in_([d.record_id for d in found]),
            Reminder.sent_at.is_not(None))).all())
        found = [d for d in found if (d.record_id, d.remind_at) not in sent]
    return found
