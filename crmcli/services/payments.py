"""Payments (回款): money received against an approved or active contract.

The check "no more than what is still owed" and the insert are one atomic unit: the contract's
row is locked first (:func:`contracts.lock`: ``SELECT … FOR UPDATE`` on PostgreSQL; on SQLite the
write transaction is ``BEGIN IMMEDIATE``), so of two payments of the last amount owed recorded at
once, exactly one succeeds and the other is refused (exit 6).  The payment, the contract's
running ``paid`` total, the plans it pays and the log row commit together or not at all — a
process killed half way leaves the contract exactly as it was.

A payment against a plan (``--plan N``) pays that instalment first; any other payment pays the
open instalments in due-date order.  Paying the whole amount completes the contract only when
its end date has passed or ``--complete`` is given.  More than what is owed needs ``--force``
and the ``payment.force`` permission.
"""

from __future__ import annotations

import os
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from crmcli import clock
from crmcli.errors import NotFound, ValidationError
from crmcli.i18n import _
from crmcli.services import audit, contracts, money, receivables
from crmcli.services.access import Actor, require
from crmcli.store.models.contracts import Payment, ReceivablePlan

CRASH_HOOK = "CRM_TEST_CRASH_AT"  # tests: "payment" kills the process between the insert and the commit
PAUSE_HOOK = "CRM_TEST_PAUSE_AT"  # tests: "payment:0.5" waits (holding the contract's lock) before writing


def pay(session: Session, actor: Actor, ref: Any, amount: Any, *, paid_on: date | None = None,
        method: str | None = None, plan: int | None = None, note: str | None = None, force: bool = False,
        complete: bool = False) -> tuple[Payment, Any]:
    require(actor, "payment.create")
    contract = contracts.lock(session, contracts.get(session, actor, ref, "view"))
    if contract.status not in contracts.PAYABLE:
        raise ValidationError(_("contract {number} is {status}: payments only on an approved or active contract")
                              .format(number=contract.number, status=contracts.status_label(contract.status)))
    value = money.parse_amount(amount, contract.currency)
    owed = contract.amount - contract.paid
    if value > owed:
        if not force:
            raise ValidationError(_("{amount} is more than what contract {number} is still owed ({owed})").format(
                amount=money.fmt(value, contract.currency), number=contract.number,
                owed=money.fmt(owed, contract.currency)),
                hint=_("a user with the payment.force permission may add --force"))
        require(actor, "payment.force")
    today = clock.now().date()
    paid_on = paid_on or today
    if paid_on > today:
        raise ValidationError(_("a payment cannot be in the future: {date}").format(date=paid_on.isoformat()))
    plans = list(session.execute(select(ReceivablePlan).where(ReceivablePlan.contract_id == contract.id,
                                                              ReceivablePlan.status != "paid")
                                 .order_by(ReceivablePlan.due_on, ReceivablePlan.seq)).scalars())
    target = None
    if plan is not None:
        target = session.execute(select(ReceivablePlan).where(ReceivablePlan.contract_id == contract.id,
                                                              ReceivablePlan.seq == plan)).scalar_one_or_none()
        if target is None:
            raise NotFound(_("contract {number} has no receivable plan {n}").format(number=contract.number, n=plan))
        rest = target.amount - target.paid
        if rest <= 0:
            raise ValidationError(_("plan {n} of contract {number} is already paid").format(n=plan, number=contract.number))
        if value > rest and not force:
            raise ValidationError(_("{amount} is more than plan {n} still needs ({rest})").format(
                amount=money.fmt(value, contract.currency), n=plan, rest=money.fmt(rest, contract.currency)),
                hint=_("pay it without --plan to spread it over the instalments"))
        plans = [target] + [p for p in plans if p.id != target.id]
    after = contract.paid + value
    finishing = after >= contract.amount and (complete or (contract.end_on is not None and contract.end_on < today))
    if complete and after < contract.amount:
        raise ValidationError(_("--complete: contract {number} would still be owed {owed}").format(
            number=contract.number, owed=money.fmt(contract.amount - after, contract.currency)))
    _pause("payment")  # tests: hold the lock a moment, so a second payment really arrives meanwhile
    allocation: dict[str, str] = {}
    left = value
    for p in plans:
        if left <= 0:
            break
        share = min(left, p.amount - p.paid)
        if share <= 0:
            continue
        p.paid += share
        p.status = receivables.plan_status(p)
        allocation[str(p.seq)] = str(share)
        left -= share
    payment = Payment(contract_id=contract.id, plan_id=target.id if target else None, amount=value, paid_on=paid_on,
                      method=receivables.check_method(method), note=(note or "").strip() or None,
                      forced=value > owed, allocation=allocation or None, created_by=actor.id,
                      created_at=clock.now())
    session.add(payment)
    before = contract.paid
    contract.paid = after
    contract.updated_at = clock.now()
    session.flush()
    audit.record(session, actor, "contract.pay", "contract", contract.id, contracts.label(contract),
                 {"paid": [str(before), str(after)], "payment": [None, payment.id], "amount": [None, str(value)],
                  "plans": [None, allocation or None]}, reason=payment.note)
    if os.environ.get(CRASH_HOOK) == "payment":  # pragma: no cover - the killed-process test
        os._exit(137)
    if finishing and contract.status != "completed":
        contracts.complete(session, actor, contract)
    return payment, contract


def _pause(point: str) -> None:
    """``CRM_TEST_PAUSE_AT=payment:0.5`` sleeps that long at ``point`` (concurrency tests only)."""
    setting = os.environ.get(PAUSE_HOOK, "")
    if setting.startswith(point + ":"):  # pragma: no cover - concurrency tests run it in subprocesses
        import time

        time.sleep(float(setting.split(":", 1)[1]))


def owed(contract: Any) -> Decimal:
    return contract.amount - contract.paid
