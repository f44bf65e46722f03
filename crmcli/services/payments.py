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
and the ``payment.force`` permission, and even then the contract's payments may total at most
:data:`FORCE_CEILING` times its amount (what is owed plus the amount once more): a customer who
paid an invoice twice is recorded, a typo with three more zeros is not.

Recording money is a change to the contract: the actor needs write access to it
(:func:`contracts.writable`), not only sight of it — a read-only team member records nothing.

A payment is never deleted or edited.  :func:`reverse` cancels one with a **reversing entry**: a
payment of the negative amount naming the original (``reverses_id``, unique, so a payment is
reversed once), with a reason, logged as ``contract.reverse``; the contract's ``paid`` and its
plans' ``paid`` and status are recomputed from the payments, and a completed contract that is
owed money again is active again.
"""

from __future__ import annotations

import os
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from crmcli import clock
from crmcli import limits
from crmcli.errors import Conflict, NotFound, ValidationError
from crmcli.i18n import _
from crmcli.services import audit, contracts, money, receivables
from crmcli.services.access import Actor, require
from crmcli.store.models.contracts import Contract, Payment, ReceivablePlan

CRASH_HOOK = "CRM_TEST_CRASH_AT"  # tests: "payment" kills the process between the insert and the commit
PAUSE_HOOK = "CRM_TEST_PAUSE_AT"  # tests: "payment:0.5" waits (holding the contract's lock) before writing
FORCE_CEILING = Decimal(2)  # with --force, a contract's payments total at most twice its amount


def pay(session: Session, actor: Actor, ref: Any, amount: Any, *, paid_on: date | None = None,
        method: str | None = None, plan: int | None = None, note: str | None = None, force: bool = False,
        complete: bool = False) -> tuple[Payment, Any]:
    require(actor, "payment.create")
    contract = contracts.lock(session, contracts.writable(session, actor, ref))
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
        _check_ceiling(contract, value)
    today = actor.today()
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


def _check_ceiling(contract: Contract, value: Decimal) -> None:
    """``--force`` accepts more than is owed, up to the contract amount once more (exit 6 beyond)."""
    most = contract.amount * FORCE_CEILING - contract.paid
    if value > most:
        raise ValidationError(_("{amount} is more than --force accepts on contract {number}: at most {most}, what is "
                                "owed plus the contract amount once more").format(
            amount=money.fmt(value, contract.currency), number=contract.number,
            most=money.fmt(max(most, Decimal(0)), contract.currency)),
            hint=_("check the amount; a larger overpayment is two payments' worth of mistake"))


def reverse(session: Session, actor: Actor, payment_ref: Any, reason: str | None, *, ref: Any = None,
            on: date | None = None) -> tuple[Payment, Any, bool]:
    """Cancel a payment with a reversing entry (never a delete); returns (the entry, the contract,
    whether a completed contract became active again).

    ``ref`` (optional) is the contract the payment must belong to.  A payment the actor cannot see
    reads as not found; one already reversed, or a reversing entry itself, is a conflict (exit 5).
    """
    require(actor, "payment.create")
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError(_("say why with --reason"))
    number = limits.as_id(payment_ref)
    original = session.get(Payment, number) if number is not None else None
    missing = NotFound(_("no payment {ref}").format(ref=limits.shown(payment_ref)))
    if original is None and ref is None:
        raise missing
    try:
        contract = contracts.writable(session, actor, ref if ref is not None else original.contract_id)
    except NotFound:
        if ref is not None:
            raise
        raise missing from None  # the payment of an invisible contract is no payment at all
    if original is None or original.contract_id != contract.id:
        raise NotFound(_("contract {number} has no payment {ref}").format(number=contract.number,
                                                                         ref=limits.shown(payment_ref)))
    contract = contracts.lock(session, contract)
    if original.reverses_id is not None:
        raise Conflict(_("payment {id} reverses payment {of}: it cannot be reversed itself").format(
            id=original.id, of=original.reverses_id),
            hint=_("record the payment again: crm contract pay {number} --amount …").format(number=contract.number))
    _pause("reverse")  # tests: a second reversal of the same payment arrives meanwhile
    done = session.execute(select(Payment.id).where(Payment.reverses_id == original.id)).scalar_one_or_none()
    if done is not None:
        raise Conflict(_("payment {id} is already reversed (by payment {by})").format(id=original.id, by=done))
    today = actor.today()
    on = on or today
    if on > today:
        raise ValidationError(_("a payment cannot be in the future: {date}").format(date=on.isoformat()))
    if on < original.paid_on:
        raise ValidationError(_("a reversal cannot be before the payment it reverses ({date})").format(
            date=original.paid_on.isoformat()))
    taken = {seq: str(-Decimal(share)) for seq, share in (original.allocation or {}).items()}
    entry = Payment(contract_id=contract.id, plan_id=original.plan_id, amount=-original.amount, paid_on=on,
                    method=original.method, forced=False, allocation=taken or None, reverses_id=original.id,
                    reason=reason, created_by=actor.id, created_at=clock.now())
    session.add(entry)
    session.flush()
    before = contract.paid
    plans = recompute(session, contract)
    contract.updated_at = clock.now()
    audit.record(session, actor, "contract.reverse", "contract", contract.id, contracts.label(contract),
                 {"paid": [str(before), str(contract.paid)], "payment": [None, entry.id],
                  "reverses": [None, original.id], "amount": [None, str(entry.amount)],
                  "plans": [None, plans or None]}, reason=reason)
    reopened = contract.status == "completed" and contract.paid < contract.amount
    if reopened:
        contracts.reopen(session, actor, contract, reason)
    return entry, contract, reopened


def recompute(session: Session, contract: Contract) -> dict[str, list[str]]:
    """The contract's ``paid`` and each plan's ``paid`` and status, from its payments (reversals
    included); returns ``{plan seq: [paid before, paid after]}`` for the plans that changed."""
    payments = list(session.execute(select(Payment).where(Payment.contract_id == contract.id)).scalars())
    contract.paid = sum((p.amount for p in payments), Decimal(0))
    per_plan: dict[str, Decimal] = {}
    for p in payments:
        for seq, share in (p.allocation or {}).items():
            per_plan[seq] = per_plan.get(seq, Decimal(0)) + Decimal(share)
    changed: dict[str, list[str]] = {}
    for plan in session.execute(select(ReceivablePlan).where(ReceivablePlan.contract_id == contract.id)).scalars():
        paid = per_plan.get(str(plan.seq), Decimal(0))
        if paid != plan.paid:
            changed[str(plan.seq)] = [str(plan.paid), str(paid)]
            plan.paid = paid
            plan.status = receivables.plan_status(plan)
    return changed


def _pause(point: str) -> None:
    """``CRM_TEST_PAUSE_AT=payment:0.5`` sleeps that long at ``point`` (concurrency tests only)."""
    setting = os.environ.get(PAUSE_HOOK, "")
    if setting.startswith(point + ":"):  # pragma: no cover - concurrency tests run it in subprocesses
        import time

        time.sleep(float(setting.split(":", 1)[1]))


def owed(contract: Any) -> Decimal:
    return contract.amount - contract.paid
