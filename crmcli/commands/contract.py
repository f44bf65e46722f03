"""``crm contract``: contracts / orders (合同/订单), their approval, receivable plans, payments and invoices."""

from __future__ import annotations

from typing import List

import typer

from crmcli.commands._common import new_app, parse_day, read_ids, rt
from crmcli.commands._listing import (AfterOpt, CreatedOpt, LimitOpt, OwnerOpt, SearchOpt, SortOpt, StatusOpt,
                                      WhereOpt, announce_next_page, list_options)
from crmcli.i18n import _

app = new_app(_("Contracts (合同/订单): add, list, show, edit, submit for approval, activate, pay, invoice, "
                "receivable plans.\n\n"
                "Examples:\n\n"
                "  crm contract add --customer 12 --title 'CRM 年度授权' --item 'CRM licence=10*1200' --end 2027-11-30\n\n"
                "  crm contract submit HT-2026-0001\n\n"
                "  crm contract activate HT-2026-0001 --signed 2026-12-01\n\n"
                "  crm contract plan generate HT-2026-0001 --terms '30%@signed,40%@signed+30d,30%@end+90d'\n\n"
                "  crm contract pay HT-2026-0001 --amount 3600 --plan 1 --method transfer\n\n"
                "  crm contract invoice add HT-2026-0001 --amount 3600 --number 04400001 --buyer-tax-id 91110108MA01234567\n\n"
                "  crm contract list --ending-within 30d"))
plan_app = new_app(_("Receivable plans (回款计划) of a contract: add, generate from payment terms, list.\n\n"
                     "Examples:\n\n  crm contract plan add HT-2026-0001 --amount 5000 --due 2027-01-15 --remind 3d\n\n"
                     "  crm contract plan generate HT-2026-0001 --terms '30%@signed,70%@end+30d'\n\n"
                     "  crm contract plan list HT-2026-0001"))
invoice_app = new_app(_("Invoices (开票) of a contract: add, list.\n\n"
                        "Examples:\n\n  crm contract invoice add HT-2026-0001 --amount 3600 --number 04400001\n\n"
                        "  crm contract invoice list HT-2026-0001"))
app.add_typer(plan_app, name="plan")
app.add_typer(invoice_app, name="invoice")


def _values(**kwargs) -> dict:
    return {k: v for k, v in kwargs.items() if v is not None}


def contract_row(contract, customers: dict, owners: dict) -> dict:
    from crmcli.services import money

    cur = contract.currency
    return {"id": contract.id, "number": contract.number, "title": contract.title,
            "customer_id": contract.customer_id, "customer": customers.get(contract.customer_id),
            "status": contract.status, "owner": owners.get(contract.owner_id), "currency": cur,
            "amount": money.plain(contract.amount, cur), "paid": money.plain(contract.paid, cur),
            "owed": money.plain(contract.amount - contract.paid, cur),
            "invoiced": money.plain(contract.invoiced, cur), "signed_on": contract.signed_on,
            "start_on": contract.start_on, "end_on": contract.end_on, "opportunity_id": contract.opportunity_id,
            "quote_id": contract.quote_id, "contact_id": contract.contact_id, "terms": contract.terms,
            "note": contract.note, "end_reason": contract.end_reason, "created_at": contract.created_at,
            "updated_at": contract.updated_at}


def _show(session, detail) -> None:
    from crmcli.commands._timeline import show_timeline
    from crmcli.output import Column
    from crmcli.services import approvals, contracts, money, receivables

    c = detail.contract
    cur = c.currency
    row = contract_row(c, {c.customer_id: detail.customer}, {c.owner_id: detail.owner})
    row["contact"] = detail.contact
    items = [{"position": i.position, "description": i.description, "product_id": i.product_id,
              "quantity": i.quantity.quantize(1) if i.quantity == i.quantity.to_integral() else i.quantity.normalize(),
              "unit_price": money.plain(i.unit_price, cur), "total": money.plain(i.total, cur)}
             for i in detail.items]
    plans = [{"seq": p.seq, "due_on": p.due_on, "amount": money.plain(p.amount, cur),
              "paid": money.plain(p.paid, cur), "unpaid": money.plain(p.amount - p.paid, cur), "status": p.status,
              "method": p.method, "remind_days": p.remind_days} for p in detail.plans]
    seqs = {p.id: p.seq for p in detail.plans}
    reversed_by = {p.reverses_id: p.id for p in detail.payments if p.reverses_id is not None}
    payments = [{"id": p.id, "paid_on": p.paid_on, "amount": money.plain(p.amount, cur), "plan": seqs.get(p.plan_id),
                 "allocation": p.allocation or {}, "method": p.method, "forced": p.forced, "note": p.note,
                 "reverses": p.reverses_id, "reversed_by": reversed_by.get(p.id), "reason": p.reason}
                for p in detail.payments]
    invoices = [{"id": i.id, "number": i.number, "issued_on": i.issued_on, "amount": money.plain(i.amount, cur),
                 "buyer_name": i.buyer_name, "buyer_tax_id": i.buyer_tax_id} for i in detail.invoices]
    found = []
    for a in detail.approvals:
        step = approvals.current_step(a)
        found.append({"id": a.id, "status": a.status, "submitted_at": a.submitted_at,
                      "steps": [s["rule"] for s in a.steps or []], "current_step": step["rule"] if step else None,
                      "decisions": [{"step": d.step + 1, "decision": d.decision, "by": login, "at": d.at,
                                     "comment": d.comment} for d, login in detail.decisions.get(a.id, [])]})
    labels = {"id": "id", "number": _("number"), "title": _("name"), "customer": _("customer"),
              "contact": _("signing contact"), "status": _("status"), "owner": _("owner"),
              "amount": _("amount"), "paid": _("paid"), "owed": _("still owed"), "invoiced": _("invoiced"),
              "signed_on": _("signed"), "start_on": _("start"), "end_on": _("end"),
              "opportunity_id": _("opportunity"), "quote_id": _("quote"), "terms": _("payment terms"),
              "note": _("note"), "end_reason": _("terminated because"), "created_at": _("created"),
              "updated_at": _("updated")}
    shown = dict(row, status=contracts.status_label(c.status), amount=money.fmt(c.amount, cur),
                 paid=money.fmt(c.paid, cur), owed=money.fmt(c.amount - c.paid, cur),
                 invoiced=money.fmt(c.invoiced, cur))
    always = ("id", "number", "title", "customer", "status", "owner", "amount", "paid", "owed")
    fields = [(k, label, shown.get(k)) for k, label in labels.items() if shown.get(k) is not None or k in always]
    out = rt().out()
    out.record(fields, data={**row, "items": items, "approvals": found, "plans": plans, "payments": payments,
                             "invoices": invoices})
    if out.fmt not in ("table", "plain"):
        return
    if items:
        out.section(_("Items"))
        out.rows([Column("position", "#", "right"), Column("description", _("description")),
                  Column("quantity", _("quantity"), "right"), Column("unit_price", _("unit price"), "right"),
                  Column("total", _("total"), "right")], items)
    if found:
        out.section(_("Approvals"))
        out.rows([Column("id", "id", "right"), Column("status", _("status"), labels=approvals.STATUS_LABELS),
                  Column("current_step", _("waiting for")), Column("submitted_at", _("submitted"))], found)
        decided = [dict(d, approval=a["id"]) for a in found for d in a["decisions"]]
        if decided:
            out.rows([Column("approval", _("approval"), "right"), Column("step", _("step"), "right"),
                      Column("decision", _("decision")), Column("by", _("by")), Column("at", _("time")),
                      Column("comment", _("comment"))], decided)
    if plans:
        out.section(_("Receivable plans"))
        out.rows([Column("seq", _("plan"), "right"), Column("due_on", _("due")), Column("amount", _("amount"), "right"),
                  Column("paid", _("paid"), "right"), Column("unpaid", _("unpaid"), "right"),
                  Column("status", _("status"), labels=receivables.PLAN_STATUS_LABELS),
                  Column("method", _("method"))], plans)
    if payments:
        out.section(_("Payments"))
        columns = [Column("id", "id", "right"), Column("paid_on", _("date")), Column("amount", _("amount"), "right"),
                   Column("plan", _("plan"), "right"), Column("method", _("method")), Column("note", _("note"))]
        if reversed_by:  # a reversal shows what it reverses and why (its reason in the note column)
            columns.insert(4, Column("reverses", _("reverses"), "right"))
            payments = [dict(p, note=p["reason"] or p["note"]) for p in payments]
        out.rows(columns, payments)
    if invoices:
        out.section(_("Invoices"))
        out.rows([Column("number", _("number")), Column("issued_on", _("date")),
                  Column("amount", _("amount"), "right"), Column("buyer_tax_id", _("buyer tax id"))], invoices)
    show_timeline(session, "contract", c.id)


def _show_one(s, me, ref) -> None:
    from crmcli.services import contracts

    _show(s, contracts.detail(s, me, ref))


ItemOpt = typer.Option(None, "--item", metavar="DESC=QTY*PRICE",
                       help=_("A line item (repeatable): 'CRM licence=10*1200', or @PRODUCT_CODE=QTY."))


@app.command("add", help=_("Add a draft contract: standalone (--customer, --item or --amount) or --from-quote."))
def add(
    customer: str = typer.Option(None, "--customer", metavar="CUSTOMER", help=_("Customer id or name.")),
    title: str = typer.Option(None, "--title", help=_("Default: the customer's name.")),
    item: List[str] = ItemOpt,
    amount: str = typer.Option(None, "--amount", help=_("The amount, when there are no line items.")),
    currency: str = typer.Option(None, "--currency", help=_("ISO 4217 code (default CNY).")),
    owner: str = typer.Option(None, "--owner", metavar="me|LOGIN"),
    contact: str = typer.Option(None, "--contact", metavar="CONTACT", help=_("The signing contact.")),
    opportunity: str = typer.Option(None, "--opportunity", metavar="ID"),
    from_quote: str = typer.Option(None, "--from-quote", metavar="QUOTE", help=_("An accepted quote.")),
    signed: str = typer.Option(None, "--signed", metavar="DATE"),
    start: str = typer.Option(None, "--start", metavar="DATE"),
    end: str = typer.Option(None, "--end", metavar="DATE"),
    terms: str = typer.Option(None, "--terms", help=_("Payment terms, e.g. 30%@signed,70%@end+30d.")),
    note: str = typer.Option(None, "--note"),
) -> None:
    from crmcli.errors import ValidationError
    from crmcli.services import contracts

    with rt().transaction() as (s, me):
        if from_quote:
            contract = contracts.from_quote(s, me, from_quote, title=title, owner=owner, contact=contact,
                                            signed=parse_day(signed), start=parse_day(start), end=parse_day(end),
                                            terms=terms, note=note)
        else:
            if not customer:
                raise ValidationError(_("a contract needs --customer (or --from-quote)"))
            contract = contracts.add(s, me, customer=customer, title=title, currency=currency, amount=amount,
                                     items=item, owner=owner, contact=contact, opportunity=opportunity,
                                     signed=parse_day(signed), start=parse_day(start), end=parse_day(end),
                                     terms=terms, note=note)
        _show_one(s, me, contract.id)


@app.command("list", help=_("List contracts in your data scope, newest first; --ending-within warns of ends.\n\n"
                            "Example: crm contract list --status active --ending-within 30d"))
def list_(owner: OwnerOpt = None, status: StatusOpt = None, created: CreatedOpt = None, search: SearchOpt = None,
          where: WhereOpt = None, sort: SortOpt = None, limit: LimitOpt = 50, after: AfterOpt = None,
          customer: str = typer.Option(None, "--customer", metavar="CUSTOMER"),
          currency: str = typer.Option(None, "--currency"),
          ending_within: str = typer.Option(None, "--ending-within", metavar="DAYS",
                                            help=_("Approved or active contracts ending within this time, e.g. 30d."))
          ) -> None:
    from crmcli.output import Column
    from crmcli.services import contracts

    r = rt()
    opts = list_options(owner, status, None, None, created, None, search, where, sort, limit, after)
    with r.transaction(write=False) as (s, me):
        page = contracts.page(s, me, opts, r.timezone(), customer=customer, ending_within=ending_within,
                              currency=currency)
        customers, owners = contracts.names(s, page.rows)
        rows = [contract_row(c, customers, owners) for c in page.rows]
    r.out().rows([Column("id", "id", "right"), Column("number", _("number")), Column("title", _("name")),
                  Column("customer", _("customer")), Column("status", _("status"), labels=contracts.STATUS_LABELS),
                  Column("owner", _("owner")), Column("amount", _("amount"), "right"),
                  Column("owed", _("still owed"), "right"), Column("currency", _("currency")),
                  Column("end_on", _("end"))], rows)
    announce_next_page(page.next_cursor)


@app.command("show", help=_("Show a contract: items, approvals, plans, payments, invoices, what is still owed."))
def show(contract: str = typer.Argument(..., help=_("Contract id or number."))) -> None:
    with rt().transaction(write=False) as (s, me):
        _show_one(s, me, contract)


@app.command("edit", help=_("Change a draft or rejected contract (--item replaces every line item).\n\n"
                            "Example: crm contract edit HT-2026-0001 --end 2027-12-31 --item 'CRM licence=12*1200'"))
def edit(
    contract: str = typer.Argument(..., help=_("Contract id or number.")),
    title: str = typer.Option(None, "--title"), item: List[str] = ItemOpt,
    amount: str = typer.Option(None, "--amount"), currency: str = typer.Option(None, "--currency"),
    contact: str = typer.Option(None, "--contact", metavar="CONTACT"),
    opportunity: str = typer.Option(None, "--opportunity", metavar="ID"),
    signed: str = typer.Option(None, "--signed", metavar="DATE"), start: str = typer.Option(None, "--start", metavar="DATE"),
    end: str = typer.Option(None, "--end", metavar="DATE"), terms: str = typer.Option(None, "--terms"),
    note: str = typer.Option(None, "--note"),
) -> None:
    from crmcli.services import contracts

    with rt().transaction() as (s, me):
        found = contracts.edit(s, me, contract, _values(title=title, amount=amount, currency=currency,
                                                        signed_on=parse_day(signed), start_on=parse_day(start),
                                                        end_on=parse_day(end), terms=terms, note=note),
                               items=item or None, contact=contact, opportunity=opportunity)
        _show_one(s, me, found.id)


@app.command("submit", help=_("Submit a draft or rejected contract for approval (the flow: crm approval flow show contract)."))
def submit(contract: str = typer.Argument(..., help=_("Contract id or number."))) -> None:
    from crmcli.services import contracts

    with rt().transaction() as (s, me):
        found, approval = contracts.submit(s, me, contract)
        number, status, approval_id = found.number, found.status, approval.id
    if status == "approved":
        rt().message(_("Contract {number} is approved (no approval step applies).").format(number=number))
    else:
        rt().message(_("Contract {number} is waiting for approval {id}.").format(number=number, id=approval_id))


@app.command("activate", help=_("An approved contract is signed and in force: active (its customer has a deal)."))
def activate(contract: str = typer.Argument(..., help=_("Contract id or number.")),
             signed: str = typer.Option(None, "--signed", metavar="DATE", help=_("Signing date (default: kept, or today)."))
             ) -> None:
    from crmcli.services import contracts

    with rt().transaction() as (s, me):
        found = contracts.activate(s, me, contract, parse_day(signed))
    rt().message(_("Contract {number} is active.").format(number=found.number))


@app.command("complete", help=_("Complete a fully paid approved or active contract."))
def complete(contract: str = typer.Argument(..., help=_("Contract id or number."))) -> None:
    from crmcli.services import contracts

    with rt().transaction() as (s, me):
        found = contracts.finish(s, me, contract)
    rt().message(_("Contract {number} is completed.").format(number=found.number))


@app.command("terminate", help=_("Terminate an approved or active contract, with a reason."))
def terminate(contract: str = typer.Argument(..., help=_("Contract id or number.")),
              reason: str = typer.Option(..., "--reason")) -> None:
    from crmcli.services import contracts

    with rt().transaction() as (s, me):
        found = contracts.terminate(s, me, contract, reason)
    rt().message(_("Contract {number} is terminated.").format(number=found.number))


@app.command("transfer", help=_("Give contracts to another user (batch; - reads ids from stdin).\n\n"
                                "Example: crm contract transfer 3 4 --to liqiang"))
def transfer(ids: List[str] = typer.Argument(..., metavar="IDS..."),
             to: str = typer.Option(..., "--to", metavar="LOGIN"), reason: str = typer.Option(None, "--reason")) -> None:
    from crmcli.services import contracts

    with rt().transaction() as (s, me):
        moved = contracts.transfer(s, me, read_ids(ids), to, reason=reason)
    rt().message(_("{n} contracts now belong to {login}.").format(n=len(moved), login=to))


@app.command("pay", help=_("Record a payment (回款) on an approved or active contract, or reverse one.\n\n"
                           "More than is owed needs --force (payment.force), and even then the payments may total "
                           "at most twice the contract amount. A mistaken payment is never deleted: --reverse "
                           "records a reversing entry with a reason.\n\n"
                           "Examples:\n\n  crm contract pay HT-2026-0001 --amount 5000 --plan 1 --method transfer\n\n"
                           "  crm contract pay --reverse 12 --reason 'entered twice'"))
def pay(contract: str = typer.Argument(None, help=_("Contract id or number (optional with --reverse).")),
        amount: str = typer.Option(None, "--amount", help=_("The amount received.")),
        date: str = typer.Option(None, "--date", metavar="DATE", help=_("When it was received (default today).")),
        method: str = typer.Option(None, "--method", help=_("transfer, cash, cheque, card …")),
        plan: int = typer.Option(None, "--plan", metavar="N", min=1, max=1_000_000, help=_("The instalment it pays.")),
        note: str = typer.Option(None, "--note"),
        force: bool = typer.Option(False, "--force", help=_("Accept more than is owed (payment.force)."), show_default=False),
        complete_: bool = typer.Option(False, "--complete", help=_("Complete the contract when this pays it all."),
                                       show_default=False),
        reverse: str = typer.Option(None, "--reverse", metavar="PAYMENT",
                                    help=_("Reverse this payment (its id in crm contract show) instead.")),
        reason: str = typer.Option(None, "--reason", help=_("Why the payment is reversed (with --reverse).")),
        ) -> None:
    from crmcli.errors import UsageError
    from crmcli.services import money, payments

    if reverse is not None:
        if amount is not None or method or plan is not None or note is not None or force or complete_:
            raise UsageError(_("--reverse takes only --reason and --date"))
        _reverse(contract, reverse, reason, parse_day(date))
        return
    if reason is not None:
        raise UsageError(_("--reason is for --reverse; a payment takes --note"))
    if contract is None or amount is None:
        raise UsageError(_("a payment needs a contract and --amount"),
                         hint=_("crm contract pay HT-2026-0001 --amount 5000"))
    with rt().transaction() as (s, me):
        payment, found = payments.pay(s, me, contract, amount, paid_on=parse_day(date), method=method, plan=plan,
                                      note=note, force=force, complete=complete_)
        cur = found.currency
        message = _("Payment {id}: {amount} on {number}; still owed {owed}.").format(
            id=payment.id, amount=money.fmt(payment.amount, cur), number=found.number,
            owed=money.fmt(found.amount - found.paid, cur))
        status = found.status
        payment_id = payment.id
    if rt().output_format() == "ids":
        rt().out().rows([], [{"id": payment_id}])
    rt().message(message)
    if status == "completed":
        rt().message(_("Contract {number} is completed.").format(number=found.number))


def _reverse(contract, payment_ref, reason, on) -> None:
    from crmcli.services import money, payments

    with rt().transaction() as (s, me):
        entry, found, reopened = payments.reverse(s, me, payment_ref, reason, ref=contract, on=on)
        cur = found.currency
        message = _("Payment {id} reverses payment {of}: {amount} on {number}; still owed {owed}.").format(
            id=entry.id, of=entry.reverses_id, amount=money.fmt(entry.amount, cur), number=found.number,
            owed=money.fmt(found.amount - found.paid, cur))
        entry_id, number = entry.id, found.number
    if rt().output_format() == "ids":
        rt().out().rows([], [{"id": entry_id}])
    rt().message(message)
    if reopened:
        rt().message(_("Contract {number} is active again.").format(number=number))


@app.command("numbering", help=_("Show or set the contract number pattern ({year}, {seq:04d}).\n\n"
                                 "Example: crm contract numbering --pattern 'HT-{year}-{seq:04d}'"))
def numbering_(pattern: str = typer.Option(None, "--pattern")) -> None:
    from crmcli.services import numbering

    with rt().transaction(write=pattern is not None) as (s, me):
        value = numbering.set_pattern(s, me, "contract", pattern) if pattern is not None \
            else numbering.pattern_of(s, "contract")
    rt().out().record([("pattern", _("pattern"), value)])


# --- plans ---------------------------------------------------------------------------------------


def _plans_out(s, contract_ref, me) -> None:
    from crmcli.output import Column
    from crmcli.services import contracts, money, receivables

    detail = contracts.detail(s, me, contract_ref)
    cur = detail.contract.currency
    rows = [{"seq": p.seq, "due_on": p.due_on, "amount": money.plain(p.amount, cur), "paid": money.plain(p.paid, cur),
             "unpaid": money.plain(p.amount - p.paid, cur), "currency": cur, "status": p.status, "method": p.method,
             "remind_days": p.remind_days} for p in detail.plans]
    rt().out().rows([Column("seq", _("plan"), "right"), Column("due_on", _("due")),
                     Column("amount", _("amount"), "right"), Column("paid", _("paid"), "right"),
                     Column("unpaid", _("unpaid"), "right"), Column("currency", _("currency")),
                     Column("status", _("status"), labels=receivables.PLAN_STATUS_LABELS),
                     Column("method", _("method")), Column("remind_days", _("remind (days before)"), "right")], rows)


@plan_app.command("add", help=_("Add an instalment; the instalments may not total more than the contract."))
def plan_add(contract: str = typer.Argument(..., help=_("Contract id or number.")),
             amount: str = typer.Option(..., "--amount"), due: str = typer.Option(..., "--due", metavar="DATE"),
             method: str = typer.Option(None, "--method"),
             remind: str = typer.Option(None, "--remind", metavar="DAYS", help=_("Remind this long before, e.g. 3d.")),
             note: str = typer.Option(None, "--note")) -> None:
    from crmcli.services import receivables

    with rt().transaction() as (s, me):
        plan = receivables.add_plan(s, me, contract, amount, parse_day(due), method=method, remind=remind, note=note)
        _plans_out(s, plan.contract_id, me)


@plan_app.command("generate", help=_("Make the instalments from payment terms (the last absorbs rounding)."))
def plan_generate(contract: str = typer.Argument(..., help=_("Contract id or number.")),
                  terms: str = typer.Option(..., "--terms", help=_("e.g. 30%@signed,40%@signed+30d,30%@end+90d")),
                  method: str = typer.Option(None, "--method"),
                  remind: str = typer.Option(None, "--remind", metavar="DAYS")) -> None:
    from crmcli.services import receivables

    with rt().transaction() as (s, me):
        plans = receivables.generate(s, me, contract, terms, method=method, remind=remind)
        _plans_out(s, plans[0].contract_id, me)


@plan_app.command("list", help=_("List a contract's instalments with what is paid and unpaid."))
def plan_list(contract: str = typer.Argument(..., help=_("Contract id or number."))) -> None:
    with rt().transaction(write=False) as (s, me):
        _plans_out(s, contract, me)


# --- invoices ------------------------------------------------------------------------------------


@invoice_app.command("add", help=_("Record an invoice; invoices never total more than the contract amount."))
def invoice_add(contract: str = typer.Argument(..., help=_("Contract id or number.")),
                amount: str = typer.Option(..., "--amount"), number: str = typer.Option(..., "--number"),
                date: str = typer.Option(None, "--date", metavar="DATE", help=_("Issued on (default today).")),
                buyer: str = typer.Option(None, "--buyer", help=_("The buyer's name on the invoice.")),
                buyer_tax_id: str = typer.Option(None, "--buyer-tax-id", help=_("The buyer's tax id (纳税人识别号).")),
                note: str = typer.Option(None, "--note")) -> None:
    from crmcli.services import invoices, money

    with rt().transaction() as (s, me):
        invoice = invoices.add(s, me, contract, amount=amount, number=number, issued_on=parse_day(date), buyer_name=buyer,
                               buyer_tax_id=buyer_tax_id, note=note)
        from crmcli.store.models.contracts import Contract

        found = s.get(Contract, invoice.contract_id)
        text = _("Invoice {number}: {amount}; invoiced {total} of {whole}.").format(
            number=invoice.number, amount=money.fmt(invoice.amount, found.currency),
            total=money.fmt(found.invoiced, found.currency), whole=money.fmt(found.amount, found.currency))
    rt().message(text)


@invoice_app.command("list", help=_("List a contract's invoices."))
def invoice_list(contract: str = typer.Argument(..., help=_("Contract id or number."))) -> None:
    from crmcli.output import Column
    from crmcli.services import contracts, money

    with rt().transaction(write=False) as (s, me):
        detail = contracts.detail(s, me, contract)
        cur = detail.contract.currency
        rows = [{"id": i.id, "number": i.number, "issued_on": i.issued_on, "amount": money.plain(i.amount, cur),
                 "currency": cur, "buyer_name": i.buyer_name, "buyer_tax_id": i.buyer_tax_id, "note": i.note}
                for i in detail.invoices]
    rt().out().rows([Column("number", _("number")), Column("issued_on", _("date")),
                     Column("amount", _("amount"), "right"), Column("currency", _("currency")),
                     Column("buyer_name", _("buyer")), Column("buyer_tax_id", _("buyer tax id"))], rows)
