"""``crm receivable``: what customers still owe — instalments due or overdue, and the aging summary."""

from __future__ import annotations

import typer

from crmcli.commands._common import new_app, rt
from crmcli.i18n import _

app = new_app(_("Receivables (应收): unpaid instalments due or overdue, by owner or department; the aging summary.\n\n"
                "Examples:\n\n  crm receivable list --overdue\n\n  crm receivable list --due-within 7d --owner me\n\n"
                "  crm receivable aging --by owner\n\n  crm receivable aging --in CNY"))


def _today():
    from crmcli import clock

    return clock.now().astimezone(rt().timezone()).date()


@app.command("list", help=_("Unpaid instalments of approved and active contracts, the earliest due first."))
def list_(overdue: bool = typer.Option(False, "--overdue", help=_("Only those past their due date."), show_default=False),
          due_within: str = typer.Option(None, "--due-within", metavar="DAYS", help=_("Only those due within, e.g. 7d.")),
          owner: str = typer.Option(None, "--owner", metavar="me|LOGIN"),
          dept: str = typer.Option(None, "--dept", metavar="DEPT", help=_("Owners in this department and below.")),
          limit: int = typer.Option(100, "--limit", "-n", min=1, max=1_000_000)) -> None:
    from crmcli import dates
    from crmcli.output import Column
    from crmcli.services import receivables

    within = dates.parse_duration(due_within).days if due_within else None
    with rt().transaction(write=False) as (s, me):
        found = receivables.due(s, me, today=_today(), overdue=overdue, within=within, owner=owner, dept=dept,
                                limit=limit)
    rows = [{"plan_id": r.plan_id, "contract_id": r.contract_id, "contract": r.number, "customer": r.customer,
             "owner": r.owner, "department": r.department, "plan": r.seq, "due_on": r.due_on, "amount": r.amount,
             "paid": r.paid, "unpaid": r.unpaid, "currency": r.currency, "days_overdue": r.days_overdue,
             "id": r.contract_id} for r in found]
    rt().out().rows([Column("contract", _("contract")), Column("plan", _("plan"), "right"),
                     Column("customer", _("customer")), Column("owner", _("owner")), Column("due_on", _("due")),
                     Column("unpaid", _("unpaid"), "right"), Column("currency", _("currency")),
                     Column("days_overdue", _("days overdue"), "right")], rows)


@app.command("aging", help=_("Unpaid amounts by days overdue (0–30, 31–60, 61–90, 90+), one row per currency; "
                             "--in converts with recorded rates."))
def aging(by: str = typer.Option(None, "--by", metavar="owner|department"),
          owner: str = typer.Option(None, "--owner", metavar="me|LOGIN"),
          dept: str = typer.Option(None, "--dept", metavar="DEPT"),
          overdue: bool = typer.Option(False, "--overdue", help=_("Leave out what is not yet due."), show_default=False),
          in_: str = typer.Option(None, "--in", metavar="CURRENCY", help=_("Convert every amount to this currency."))
          ) -> None:
    from crmcli.output import Column
    from crmcli.services import money, receivables

    today = _today()
    used = {}
    with rt().transaction(write=False) as (s, me):
        found = receivables.aging(s, me, today=today, by=by, owner=owner, dept=dept, overdue_only=overdue)
        if in_:
            found, used = receivables.convert_rows(s, found, in_, today)
    rows = [{"group": r.group, "currency": r.currency, **r.buckets, "total": money.plain(r.total, r.currency)}
            for r in found]
    columns = [Column("group", _("owner") if by == "owner" else _("department"))] if by else []
    columns += [Column("currency", _("currency"))]
    columns += [Column(b, _(receivables.BUCKET_LABELS[b]), "right") for b in receivables.BUCKETS]
    columns += [Column("total", _("total"), "right")]
    rt().out().rows(columns, rows)
    for code, rate in sorted(used.items()):
        rt().message(_("converted at 1 {base} = {rate} {quote}").format(base=code, rate=round(rate, 8).normalize(),
                                                                      quote=in_.upper()))
