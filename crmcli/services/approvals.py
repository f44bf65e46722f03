"""Approval flows (审批流): configured steps per record type, one approval per submission.

A **flow** (``crm approval flow set contract --step manager --step "role:finance if amount > 100000"``)
is an ordered list of steps; each names its approvers and may have a condition on the amount:

* ``manager`` — the record owner's manager (users.manager_id); when the owner has none, any
  super administrator;
* ``role:KEY`` — anyone holding that role (e.g. ``role:finance``);
* ``user:LOGIN`` — one user;
* ``… if amount > N`` (also ``>=``, ``<``, ``<=``; ``N`` may carry a currency, ``100000 CNY``,
  and the record's amount is then converted with the latest recorded rate) — the step applies
  only when the condition holds.

:func:`submit` resolves the steps that apply (a ``manager`` step becomes that person) and opens
an approval at its first step; with no step applying it is approved at once.  Only the current
step's approvers may :func:`decide`; an approval moves step by step to ``approved``, or to
``rejected`` at the first rejection.  Every decision is a row in ``approval_decision`` and an
operation-log row on the record itself (so it is in the record's timeline).

Other record types use the same mechanism: a service calls :func:`register_target` once (to
hear the outcome) and :func:`submit` when a record needs approval — quotes over a role's
discount limit do (with a default flow for when none is set, and their own log action names)::

    approvals.register_target("quote", on_decided,        # on_decided(session, actor, record_id, outcome)
                              default_flow=[{"approver": "manager"}], log_as="quote.approval")
    approvals.submit(session, actor, "quote", quote.id, amount=quote.total, currency=quote.currency,
                     label=f"Q-{quote.id}", owner_id=quote.owner_id)
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Callable

from sqlalchemy import select
from sqlalchemy.orm import Session

from crmcli import clock, limits
from crmcli.errors import Conflict, NotFound, PermissionDenied, ValidationError
from crmcli.i18n import N_, _
from crmcli.services import audit, money
from crmcli.services.access import Actor, owner_in_scope_clause, require
from crmcli.store.models import Role, User, UserRole
from crmcli.store.models.contracts import Approval, ApprovalDecision, ApprovalFlow

STATUSES = ("pending", "approved", "rejected", "cancelled")
STATUS_LABELS = {"pending": N_("pending"), "approved": N_("approved"), "rejected": N_("rejected"),
                 "cancelled": N_("cancelled")}
RECORD_TYPES = ("contract", "quote")
_STEP = re.compile(r"^\s*(manager|role:[\w.-]+|user:[\w.@+-]+)\s*"
                   r"(?:if\s+amount\s*(>=|<=|>|<)\s*([0-9][0-9.,_]*)\s*([A-Za-z]{3})?)?\s*$", re.IGNORECASE)
_OPS = {">": Decimal.__gt__, ">=": Decimal.__ge__, "<": Decimal.__lt__, "<=": Decimal.__le__}

# record type -> on_decided(session, actor, record_id, outcome): outcome is "approved" or "rejected"
TARGETS: dict[str, Callable[[Session, Actor, int, str], None]] = {}
# record type -> the steps used while no flow is set (none: approved at once, as contracts are)
DEFAULT_FLOWS: dict[str, list[dict[str, Any]]] = {}
# record type -> the prefix of its operation-log actions (default: the record type: contract.approve)
LOG_AS: dict[str, str] = {}


def register_target(record_type: str, on_decided: Callable[[Session, Actor, int, str], None], *,
                    default_flow: list[dict[str, Any]] | None = None, log_as: str | None = None) -> None:
    TARGETS[record_type] = on_decided
    if default_flow is not None:
        DEFAULT_FLOWS[record_type] = default_flow
    if log_as:
        LOG_AS[record_type] = log_as


def check_record_type(record_type: str) -> str:
    value = (record_type or "").strip().lower()
    if value not in RECORD_TYPES:
        raise ValidationError(_("unknown record type '{name}'").format(name=record_type),
                              hint=_("one of: {choices}").format(choices=", ".join(RECORD_TYPES)))
    return value


# --- flows ---------------------------------------------------------------------------------------


def parse_step(session: Session, text: str) -> dict[str, Any]:
    """``manager``, ``role:finance``, ``user:bob``, each optionally ``if amount > 100000 [CNY]``."""
    m = _STEP.match(text or "")
    if not m:
        raise ValidationError(_("'{step}' is not an approval step").format(step=text),
                              hint=_("manager, role:KEY or user:LOGIN, optionally followed by 'if amount > N'"))
    who, op, number, currency = m.group(1), m.group(2), m.group(3), m.group(4)
    step: dict[str, Any] = {}
    lowered = who.lower()
    if lowered == "manager":
        step["approver"] = "manager"
    elif lowered.startswith("role:"):
        key = who.split(":", 1)[1]
        role = session.execute(select(Role).where(Role.key == key)).scalar_one_or_none()
        if role is None:
            raise NotFound(_("no role '{role}'").format(role=key), hint=_("crm role list shows them"))
        step["approver"] = f"role:{role.key}"
    else:
        from crmcli.services import users

        user = users.find_active(session, who.split(":", 1)[1])
        step["approver"] = f"user:{user.login}"
    if op:
        threshold = money.to_decimal(number, _("the threshold"))
        step["if"] = {"op": op, "amount": str(threshold)}
        if currency:
            step["if"]["currency"] = money.check_currency(currency)
    return step


def describe_step(step: dict[str, Any]) -> str:
    text = step["approver"]
    cond = step.get("if")
    if cond:
        text += f" if amount {cond['op']} {cond['amount']}"
        if cond.get("currency"):
            text += f" {cond['currency']}"
    return text


def set_flow(session: Session, actor: Actor, record_type: str, steps: list[str]) -> list[dict[str, Any]]:
    require(actor, "approval.admin")
    record_type = check_record_type(record_type)
    parsed = [parse_step(session, text) for text in steps]
    flow = session.get(ApprovalFlow, record_type)
    before = flow.steps if flow else None
    if flow is None:
        session.add(ApprovalFlow(record_type=record_type, steps=parsed, updated_by=actor.id, updated_at=clock.now()))
    else:
        flow.steps, flow.updated_by, flow.updated_at = parsed, actor.id, clock.now()
    audit.record(session, actor, "approval.flow", record_type, None, record_type,
                 {"steps": [[describe_step(s) for s in before or []] or None, [describe_step(s) for s in parsed]]})
    return parsed


def flow_of(session: Session, record_type: str) -> list[dict[str, Any]]:
    """The flow set for a record type; while none is set, its default (see :func:`register_target`)."""
    record_type = check_record_type(record_type)
    flow = session.get(ApprovalFlow, record_type)
    if flow is not None:
        return list(flow.steps or [])
    if record_type not in TARGETS:
        from crmcli.services.kinds import load_all

        load_all()  # the record's service registers its default flow when imported
    return list(DEFAULT_FLOWS.get(record_type, []))


# --- submitting ----------------------------------------------------------------------------------


def _applies(session: Session, step: dict[str, Any], amount: Decimal, currency: str) -> bool:
    cond = step.get("if")
    if not cond:
        return True
    value = amount
    if cond.get("currency") and cond["currency"] != currency:
        from crmcli.services import currency as rates

        value = rates.convert(session, amount, currency, cond["currency"])
    return _OPS[cond["op"]](value, Decimal(cond["amount"]))


def _resolve(session: Session, step: dict[str, Any], owner_id: int | None) -> dict[str, Any]:
    resolved = {"rule": describe_step(step), "approver": step["approver"]}
    if step["approver"] == "manager":
        owner = session.get(User, owner_id) if owner_id else None
        if owner is not None and owner.manager_id:
            resolved["user_ids"] = [owner.manager_id]
        else:
            resolved["approver"] = "super_admin"
    elif step["approver"].startswith("user:"):
        login = step["approver"].split(":", 1)[1]
        user = session.execute(select(User).where(User.login == login)).scalar_one_or_none()
        resolved["user_ids"] = [user.id] if user else []
    return resolved


def pending_for(session: Session, record_type: str, record_id: int) -> Approval | None:
    return session.execute(select(Approval).where(
        Approval.record_type == record_type, Approval.record_id == record_id,
        Approval.status == "pending")).scalar_one_or_none()


def submit(session: Session, actor: Actor, record_type: str, record_id: int, *, amount: Decimal, currency: str,
           label: str | None = None, owner_id: int | None = None) -> Approval:
    """Open an approval of a record; returns it (``status`` approved at once when no step applies).

    The caller checks that the record may be submitted and changes its own status; the outcome
    of later decisions reaches it through the function given to :func:`register_target`.
    """
    if pending_for(session, record_type, record_id) is not None:
        raise Conflict(_("{kind} {label} is already waiting for approval").format(kind=record_type, label=label))
    steps = [_resolve(session, s, owner_id) for s in flow_of(session, record_type)
             if _applies(session, s, amount, currency)]
    now = clock.now()
    approval = Approval(record_type=record_type, record_id=record_id, label=label, amount=amount, currency=currency,
                        status="pending" if steps else "approved", steps=steps, current_step=0,
                        submitted_by=actor.id or None, submitted_at=now, decided_at=None if steps else now)
    session.add(approval)
    session.flush()
    audit.record(session, actor, f"{LOG_AS.get(record_type, record_type)}.submit", record_type, record_id, label,
                 {"approval": [None, approval.id],
                  "steps": [None, [s["rule"] for s in steps] or None]})
    return approval


# --- deciding ------------------------------------------------------------------------------------


def approvers(session: Session, step: dict[str, Any]) -> set[int]:
    """The users who may decide ``step`` now."""
    if "user_ids" in step:
        return set(step["user_ids"])
    if step["approver"] == "super_admin":
        query = select(UserRole.user_id).join(Role, Role.id == UserRole.role_id).where(Role.is_super.is_(True))
    else:
        key = step["approver"].split(":", 1)[1]
        query = select(UserRole.user_id).join(Role, Role.id == UserRole.role_id).where(Role.key == key)
    return set(session.execute(query.join(User, User.id == UserRole.user_id).where(
        User.disabled.is_(False))).scalars())


def current_step(approval: Approval) -> dict[str, Any] | None:
    if approval.status != "pending" or approval.current_step >= len(approval.steps or []):
        return None
    return approval.steps[approval.current_step]


def may_decide(session: Session, actor: Actor, approval: Approval) -> bool:
    step = current_step(approval)
    return step is not None and actor.id in approvers(session, step)


def get(session: Session, ref: Any) -> Approval:
    text = str(ref).strip().lstrip("#")
    approval = session.get(Approval, limits.as_id(text)) if limits.as_id(text) is not None else None
    if approval is None:
        raise NotFound(_("no approval {ref}").format(ref=ref))
    return approval


def may_see(session: Session, actor: Actor, approval: Approval) -> bool:
    """An approval is visible to its approvers (any step), its submitter, and readers who hold the record
    type's ``X.view`` and whose data scope covers the submitter (the same rule as :func:`listing`)."""
    if actor.is_super or approval.submitted_by == actor.id:
        return True
    if any(actor.id in approvers(session, step) for step in approval.steps or []):
        return True
    if not actor.can(f"{approval.record_type}.view"):
        return False
    return session.execute(select(Approval.id).where(
        Approval.id == approval.id, owner_in_scope_clause(actor, Approval.submitted_by))).first() is not None


def decide(session: Session, actor: Actor, ref: Any, decision: str, comment: str | None = None) -> Approval:
    """Approve or reject the current step of an approval (only its approvers may)."""
    approval = get(session, ref)
    if session.get_bind().dialect.name == "postgresql":  # two approvers at once: one decides, the other waits
        session.refresh(approval, with_for_update=True)
    if not may_see(session, actor, approval):  # as in listing: outside what the actor may see reads as not found
        raise NotFound(_("no approval {ref}").format(ref=ref))
    if approval.status != "pending":
        raise Conflict(_("approval {id} is already {status}").format(
            id=approval.id, status=_(STATUS_LABELS[approval.status])))
    step = current_step(approval)
    if step is None or actor.id not in approvers(session, step):
        raise PermissionDenied(
            _("{login} is not an approver of step {n} ({rule}) of approval {id}").format(
                login=actor.login, n=approval.current_step + 1, rule=step["rule"] if step else "-", id=approval.id),
            hint=_("crm approval list --mine shows what waits for you"))
    comment = (comment or "").strip() or None
    if decision == "reject" and not comment:
        raise ValidationError(_("say why with --comment"))
    now = clock.now()
    session.add(ApprovalDecision(approval_id=approval.id, step=approval.current_step, decision=decision,
                                 actor_id=actor.id, comment=comment, at=now))
    changes: dict[str, Any] = {"approval": [None, approval.id], "step": [None, f"{approval.current_step + 1}: {step['rule']}"]}
    outcome = None
    if decision == "reject":
        outcome = "rejected"
    elif approval.current_step + 1 >= len(approval.steps):
        outcome = "approved"
    else:
        approval.current_step += 1
    if outcome:
        changes["approval_status"] = ["pending", outcome]
        approval.status, approval.decided_at = outcome, now
    audit.record(session, actor, f"{LOG_AS.get(approval.record_type, approval.record_type)}.{decision}",
                 approval.record_type, approval.record_id,
                 approval.label, changes, reason=comment)
    if outcome:
        from crmcli.services.kinds import load_all

        load_all()  # the record's service registers its target when imported
        if approval.record_type in TARGETS:
            TARGETS[approval.record_type](session, actor, approval.record_id, outcome)
    return approval


def cancel_pending(session: Session, actor: Actor, record_type: str, record_id: int) -> None:
    approval = pending_for(session, record_type, record_id)
    if approval is not None:
        approval.status, approval.decided_at = "cancelled", clock.now()


# --- reading -------------------------------------------------------------------------------------


@dataclass
class Row:
    approval: Approval
    submitter: str | None
    step_rule: str | None
    mine: bool


def decisions_of(session: Session, approval_id: int) -> list[tuple[ApprovalDecision, str]]:
    return list(session.execute(select(ApprovalDecision, User.login).join(User, User.id == ApprovalDecision.actor_id)
                                .where(ApprovalDecision.approval_id == approval_id)
                                .order_by(ApprovalDecision.id)).all())


def of_record(session: Session, record_type: str, record_id: int) -> list[Approval]:
    return list(session.execute(select(Approval).where(
        Approval.record_type == record_type, Approval.record_id == record_id).order_by(Approval.id)).scalars())


def listing(session: Session, actor: Actor, *, mine: bool = False, status: list[str] | None = None,
            record_type: str | None = None, limit: int = 100) -> list[Row]:
    """Approvals waiting for the actor (``mine``), or those the actor submitted, may decide, or whose
    submitter their data scope covers — the last only for record types whose ``X.view`` the actor
    holds (a reader without ``contract.view`` does not see contract approvals, unless one waits for
    them to decide it)."""
    for value in status or []:
        if value not in STATUSES:
            raise ValidationError(_("unknown status '{value}'").format(value=value),
                                  hint=_("one of: {choices}").format(choices=", ".join(STATUSES)))
    query = select(Approval)
    if mine:
        query = query.where(Approval.status == "pending")
    elif status:
        query = query.where(Approval.status.in_(status))
    if record_type:
        query = query.where(Approval.record_type == check_record_type(record_type))
    logins = dict(session.execute(select(User.id, User.login)).all())
    rows: list[Row] = []
    scoped = None if mine else set(session.execute(select(Approval.id).where(
        owner_in_scope_clause(actor, Approval.submitted_by))).scalars())
    for approval in session.execute(query.order_by(Approval.id.desc())).scalars():
        step = current_step(approval)
        is_mine = step is not None and actor.id in approvers(session, step)
        if mine and not is_mine:
            continue
        if not mine and not (is_mine or (approval.id in (scoped or set())
                                         and actor.can(f"{approval.record_type}.view"))):
            continue
        rows.append(Row(approval, logins.get(approval.submitted_by), step["rule"] if step else None, is_mine))
        if len(rows) >= limit:
            break
    return rows
