"""``crm demo``: the contracts step — contracts in every state, approvals, receivable plans, payments, invoices.

Registered with :func:`crmcli.services.demo.add_step` as ``contracts`` (after ``records``).  Every
change goes through the ordinary services acting as the person who would do it (the owner adds
and submits, the manager and finance approve, finance records payments and invoices), so it is
checked and logged as from the command line.  Dates are relative to ``CRM_NOW``: one instalment
is overdue, one contract ends within 30 days, one waits for its manager's approval, and one
payment entered twice is reversed with its reason (``crm contract show`` lists the reversal).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from crmcli import clock
from crmcli.services import approvals, contracts, currency, demo, invoices, payments, receivables
from crmcli.services.access import Actor, actor_for
from crmcli.store.models import Customer, User

# owner, title, items, currency, where it ends up
DEALS = [
    ("liqiang", "CRM 标准版年度授权", ["CRM 标准版=20*4800", "实施服务=5*3000"], "CNY", "active"),
    ("zhoujie", "核心交换机扩容", ["交换机 S5735=12*18500", "安装调试=1*28000"], "CNY", "active_large"),
    ("sunli", "数据中台一期", ["数据中台许可=1*360000"], "CNY", "pending"),
    ("huanglei", "呼叫中心坐席", ["坐席许可=30*1200"], "CNY", "rejected"),
    ("linxiaoyu", "门店 POS 升级", ["POS 终端=40*2600"], "CNY", "completed"),
    ("hejun", "年度维保", ["维保服务=1*48000"], "CNY", "ending"),
    ("james", "EMEA reseller licences", ["CRM Pro seat=25*480"], "USD", "active"),
]


def _as(session: Session, demo_state: demo.Demo, login: str) -> Actor:
    return actor_for(session, demo_state.users[login])


def _customer_of(session: Session, user: User) -> Customer | None:
    return session.execute(select(Customer).where(Customer.owner_id == user.id, Customer.merged_into_id.is_(None))
                           .order_by(Customer.id)).scalars().first()


def _approve_all(session: Session, state: demo.Demo, approval: Any) -> None:
    """Each step decided by its first approver in the demo organisation."""
    while approval.status == "pending":
        step = approvals.current_step(approval)
        ids = sorted(approvals.approvers(session, step))
        user = session.get(User, ids[0])
        approvals.decide(session, actor_for(session, user), approval.id, "approve", "同意")


def _step(session: Session, actor: Actor, state: demo.Demo) -> None:
    if not all(login in state.users for login in ("zhangwei", "songjia")):
        return
    today = clock.now().date()
    approvals.set_flow(session, actor, "contract", ["manager", "role:finance if amount > 200000"])
    currency.set_rate(session, _as(session, state, "songjia"), "USD", "CNY", "7.1", today - timedelta(days=30))
    finance = _as(session, state, "songjia")
    for login, title, items, code, outcome in DEALS:
        user = state.users.get(login)
        buyer = _customer_of(session, user) if user is not None else None
        if buyer is None or user.disabled:
            continue
        owner = actor_for(session, user)
        signed = today - timedelta(days=75)
        end = today + timedelta(days=20) if outcome == "ending" else today + timedelta(days=290)
        made = contracts.add(session, owner, customer=str(buyer.id), title=title, currency=code, items=items,
                             signed=signed, start=signed, end=end)
        state.count("contracts")
        _contract, approval = contracts.submit(session, owner, made.id)
        if outcome == "pending":
            continue
        if outcome == "rejected":
            step = approvals.current_step(approval)
            manager = session.get(User, sorted(approvals.approvers(session, step))[0])
            approvals.decide(session, actor_for(session, manager), approval.id, "reject", "单价低于底价，请重新报价")
            continue
        _approve_all(session, state, approval)
        contracts.activate(session, owner, made.id, signed)
        receivables.generate(session, owner, made.id, "30%@signed,40%@signed+60d,30%@end", method="transfer",
                             remind="3d")
        if outcome == "completed":
            payments.pay(session, finance, made.id, made.amount, paid_on=today - timedelta(days=5), method="transfer",
                         complete=True)
            state.count("payments")
        else:
            first = session.execute(select(receivables.ReceivablePlan).where(
                receivables.ReceivablePlan.contract_id == made.id, receivables.ReceivablePlan.seq == 1)).scalar_one()
            # the large deal's first instalment is only half paid: it is overdue in crm receivable list --overdue
            share = first.amount if outcome != "active_large" else (first.amount / 2).quantize(first.amount)
            payments.pay(session, finance, made.id, share, paid_on=signed + timedelta(days=10), method="transfer",
                         plan=1)
            state.count("payments")
            if outcome == "active" and code == "CNY":  # finance enters the same receipt twice and reverses it
                twice = payments.pay(session, finance, made.id, share, paid_on=signed + timedelta(days=10),
                                     method="transfer")[0]
                payments.reverse(session, finance, twice.id, "重复录入：同一笔银行回单录了两次",
                                 on=signed + timedelta(days=11))
                state.count("payments", 2)
        invoices.add(session, finance, made.id, amount=made.paid, number=f"DEMO{made.id:06d}",
                     issued_on=signed + timedelta(days=12), buyer_name=buyer.name)


def _register() -> None:
    if any(step.name == "contracts" for step in demo.STEPS):
        return
    names = [step.name for step in demo.STEPS]
    after = next((n for n in ("pipeline", "pool", "records") if n in names), None)
    demo.add_step("contracts", _step, after=after)


_register()
