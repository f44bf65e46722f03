"""``crm approval``: approval flows (审批流) and the approvals waiting for people."""

from __future__ import annotations

from typing import List

import typer

from crmcli.commands._common import new_app, rt
from crmcli.i18n import _

app = new_app(_("Approvals (审批): set the flow of contracts or quotes, list what waits for you, approve, reject.\n\n"
                "Examples:\n\n"
                "  crm approval flow set contract --step manager --step 'role:finance if amount > 100000'\n\n"
                "  crm approval flow show contract\n\n"
                "  crm approval list --mine\n\n"
                "  crm approval approve 7 --comment '同意'\n\n"
                "  crm approval reject 7 --comment '折扣太大'"))
flow_app = new_app(_("The approval flow of a record type: set, show.\n\n"
                     "Examples:\n\n  crm approval flow set contract --step manager --step 'role:finance if amount > 100000'\n\n"
                     "  crm approval flow show contract"))
app.add_typer(flow_app, name="flow")


def _flow_out(steps) -> None:
    from crmcli.output import Column
    from crmcli.services import approvals

    rt().out().rows([Column("step", _("step"), "right"), Column("rule", _("rule"))],
                    [{"step": i, "rule": approvals.describe_step(s)} for i, s in enumerate(steps, 1)])


@flow_app.command("set", help=_("Set the steps, in order: manager, role:KEY or user:LOGIN, each optionally "
                                "'if amount > N' (also >=, <, <=; N may end with a currency code). No --step: "
                                "no approval needed."))
def flow_set(record_type: str = typer.Argument(..., metavar="contract|quote"),
             step: List[str] = typer.Option(None, "--step", metavar="STEP", help=_("One step (repeatable, in order)."))
             ) -> None:
    from crmcli.services import approvals

    with rt().transaction() as (s, me):
        steps = approvals.set_flow(s, me, record_type, step or [])
    _flow_out(steps)


@flow_app.command("show", help=_("Show the steps of a record type's approval flow."))
def flow_show(record_type: str = typer.Argument(..., metavar="contract|quote")) -> None:
    from crmcli.services import approvals

    with rt().transaction(write=False) as (s, me):
        steps = approvals.flow_of(s, record_type)
    _flow_out(steps)


@app.command("list", help=_("List approvals: --mine for those waiting for your decision."))
def list_(mine: bool = typer.Option(False, "--mine", help=_("Only those waiting for you."), show_default=False),
          status: List[str] = typer.Option(None, "--status", metavar="STATUS",
                                           help=_("pending, approved, rejected or cancelled (repeatable).")),
          record_type: str = typer.Option(None, "--type", metavar="contract|quote"),
          limit: int = typer.Option(100, "--limit", "-n", min=1, max=1_000_000)) -> None:
    from crmcli.output import Column
    from crmcli.services import approvals, money

    with rt().transaction(write=False) as (s, me):
        rows = [{"id": r.approval.id, "record": f"{r.approval.record_type}:{r.approval.record_id}",
                 "label": r.approval.label, "amount": money.plain(r.approval.amount, r.approval.currency),
                 "currency": r.approval.currency, "status": r.approval.status, "step": r.step_rule,
                 "step_number": r.approval.current_step + 1 if r.step_rule else None,
                 "submitted_by": r.submitter, "submitted_at": r.approval.submitted_at, "mine": r.mine}
                for r in approvals.listing(s, me, mine=mine, status=status, record_type=record_type, limit=limit)]
    rt().out().rows([Column("id", "id", "right"), Column("record", _("record")), Column("label", _("what")),
                     Column("amount", _("amount"), "right"), Column("currency", _("currency")),
                     Column("status", _("status"), labels=approvals.STATUS_LABELS), Column("step", _("waiting for")),
                     Column("submitted_by", _("submitted by")), Column("submitted_at", _("submitted"))], rows)


def _decide(approval: str, decision: str, comment) -> None:
    from crmcli.services import approvals

    with rt().transaction() as (s, me):
        found = approvals.decide(s, me, approval, decision, comment)
        status, label, step = found.status, found.label, approvals.current_step(found)
    if status == "pending":
        rt().message(_("Approval {id} ({label}): step done; now waiting for {rule}.").format(
            id=found.id, label=label, rule=step["rule"]))
    else:
        rt().message(_("Approval {id} ({label}) is {status}.").format(
            id=found.id, label=label, status=_(approvals.STATUS_LABELS[status])))


@app.command("approve", help=_("Approve the current step of an approval (only its approvers may)."))
def approve(approval: str = typer.Argument(..., metavar="ID"),
            comment: str = typer.Option(None, "--comment")) -> None:
    _decide(approval, "approve", comment)


@app.command("reject", help=_("Reject an approval, with a comment saying why."))
def reject(approval: str = typer.Argument(..., metavar="ID"),
           comment: str = typer.Option(None, "--comment")) -> None:
    _decide(approval, "reject", comment)
