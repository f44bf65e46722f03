"""``crm quote``: quotes (报价单) made from an opportunity."""

from __future__ import annotations

from typing import List, Optional

import typer

from crmcli.commands._common import new_app, parse_day, rt
from crmcli.i18n import _

app = new_app(_("Quotes (报价单): made from an opportunity; line items from the catalog, discounts, tax, "
                "validity; send, accept or reject; a printable quote in Markdown or plain text.\n\n"
                "Examples:\n\n  crm quote add 7 --tax 13 --valid-until +30d\n\n"
                "  crm quote line add 3 SW-001 --quantity 10 --discount 5\n\n  crm quote line remove 3 2\n\n"
                "  crm quote show 3 --as markdown > Q00003.md\n\n  crm quote submit 3\n\n  crm quote send 3\n\n"
                "  crm quote accept 3"))
line_app = new_app(_("A quote's line items.\n\nExamples:\n\n  crm quote line add 3 SW-001 --quantity 10\n\n"
                     "  crm quote line add 3 HW-002 --quantity 2 --price 4500 --discount 12.5\n\n"
                     "  crm quote line remove 3 2"))
app.add_typer(line_app, name="line")

_FORMATS = ("record", "markdown", "text")


def _data(session, view) -> dict:
    from crmcli.services import quotes

    q = view.quote
    return {"id": q.id, "number": quotes.label(q), "opportunity_id": q.opportunity_id,
            "opportunity": view.opportunity.name, "customer_id": q.customer_id, "customer": view.customer.name,
            "owner": view.owner, "status": q.status, "needs_approval": q.needs_approval, "currency": q.currency,
            "tax_rate": q.tax_rate, "subtotal": q.subtotal, "tax": q.tax, "total": q.total,
            "valid_until": q.valid_until, "note": q.note, "reject_reason": q.reject_reason, "sent_at": q.sent_at,
            "decided_at": q.decided_at, "created_at": q.created_at, "approval": view.approval,
            "lines": [{"line": line.position, "product": p.code, "description": line.description, "unit": line.unit,
                       "quantity": line.quantity, "unit_price": line.unit_price, "discount": line.discount,
                       "total": line.total} for line, p in view.lines]}


def _show(session, view, as_: str = "record", timeline: bool = False) -> None:
    from crmcli.output import Column
    from crmcli.services import pricing, quotes

    data = _data(session, view)
    out = rt().out()
    if as_ in ("markdown", "text"):
        out._write(render(data, markdown=as_ == "markdown"))
        return
    cur = data["currency"]
    fields = [("number", _("quote"), data["number"]), ("customer", _("customer"), data["customer"]),
              ("opportunity", _("opportunity"), f"{data['opportunity']} (#{data['opportunity_id']})"),
              ("status", _("status"), _(quotes.STATUS_LABELS[data["status"]])),
              ("needs_approval", _("needs approval"), data["needs_approval"]),
              ("approval", _("approval"), _approval_text(data["approval"])),
              ("owner", _("owner"), data["owner"]), ("currency", _("currency"), cur),
              ("subtotal", _("subtotal"), pricing.show(data["subtotal"], cur)),
              ("tax", _("tax ({rate}%)").format(rate=data["tax_rate"]), pricing.show(data["tax"], cur)),
              ("total", _("total"), pricing.show(data["total"], cur)),
              ("valid_until", _("valid until"), data["valid_until"])]
    fields += [(k, label, data[k]) for k, label in (("note", _("note")), ("reject_reason", _("rejected because")),
                                                    ("sent_at", _("sent")), ("decided_at", _("decided")))
               if data[k] is not None]
    out.record([("id", "id", data["id"])] + fields, data=data)
    if out.fmt not in ("table", "plain"):
        return
    out.section(_("Lines"))
    out.rows([Column("line", "#", "right"), Column("product", _("product")), Column("description", _("description")),
              Column("quantity", _("quantity"), "right"), Column("unit", _("unit")),
              Column("unit_price", _("unit price"), "right"), Column("discount", _("discount %"), "right"),
              Column("total", _("total"), "right")],
             [{**x, "quantity": pricing.show_quantity(x["quantity"]), "unit_price": pricing.show(x["unit_price"], cur),
               "total": pricing.show(x["total"], cur)} for x in data["lines"]])
    if timeline:
        from crmcli.commands._timeline import show_timeline

        show_timeline(session, "quote", data["id"])


def _approval_text(approval) -> str | None:
    """``#3 pending: manager`` / ``#3 approved``."""
    if not approval:
        return None
    from crmcli.services import approvals

    text = f"#{approval['id']} {_(approvals.STATUS_LABELS[approval['status']])}"
    return f"{text}: {approval['waiting_for']}" if approval.get("waiting_for") else text


def render(data: dict, markdown: bool = True) -> str:
    """A clean printable quote: Markdown (tables) or plain text (aligned columns)."""
    from rich.cells import cell_len

    from crmcli.services import pricing

    cur = data["currency"]
    head = [_("Quote {number}").format(number=data["number"]),
            f"{_('Customer')}: {data['customer']}", f"{_('Opportunity')}: {data['opportunity']}",
            f"{_('Date')}: {data['created_at'].date().isoformat()}",
            f"{_('Valid until')}: {data['valid_until'].isoformat() if data['valid_until'] else '-'}",
            f"{_('Currency')}: {cur}"]
    header = ["#", _("Product"), _("Description"), _("Quantity"), _("Unit"), _("Unit price"), _("Discount"), _("Total")]
    body = [[str(x["line"]), x["product"], x["description"], pricing.show_quantity(x["quantity"]), x["unit"] or "",
             pricing.show(x["unit_price"], cur), f"{x['discount']}%", pricing.show(x["total"], cur)]
            for x in data["lines"]]
    sums = [(_("Subtotal"), pricing.show(data["subtotal"], cur)),
            (_("Tax ({rate}%)").format(rate=data["tax_rate"]), pricing.show(data["tax"], cur)),
            (_("Total"), f"{pricing.show(data['total'], cur)} {cur}")]
    right = {0, 3, 5, 6, 7}
    lines: list[str] = []
    if markdown:
        lines += [f"# {head[0]}", ""] + [f"- {h}" for h in head[1:]] + [""]
        lines.append("| " + " | ".join(header) + " |")
        lines.append("|" + "|".join("---:" if i in right else "---" for i in range(len(header))) + "|")
        lines += ["| " + " | ".join(c.replace("|", "\\|") for c in row) + " |" for row in body]
        lines += [""] + [f"**{k}:** {v}  " for k, v in sums]
        if data.get("note"):
            lines += ["", data["note"]]
    else:
        lines += [head[0], "=" * cell_len(head[0])] + head[1:] + [""]
        widths = [max(cell_len(r[i]) for r in [header] + body) for i in range(len(header))]

        def fmt(row: list[str]) -> str:
            return "  ".join((" " * (widths[i] - cell_len(c)) + c) if i in right else (c + " " * (widths[i] - cell_len(c)))
                             for i, c in enumerate(row)).rstrip()

        lines += [fmt(header), "-" * cell_len(fmt(header))] + [fmt(r) for r in body] + [""]
        width = max(cell_len(k) for k, _v in sums)
        lines += [f"{k}{' ' * (width - cell_len(k))}  {v}" for k, v in sums]
        if data.get("note"):
            lines += ["", data["note"]]
    return "\n".join(lines) + "\n"


@app.command("add", help=_("Make a draft quote from an opportunity (its currency unless --currency; valid 30 days "
                           "unless --valid-until).\n\nExample: crm quote add 7 --tax 13 --valid-until 2026-12-31"))
def add(opportunity: str = typer.Argument(..., help=_("Opportunity id or name.")),
        currency: str = typer.Option(None, "--currency", metavar="CODE"),
        tax: str = typer.Option(None, "--tax", metavar="PERCENT", help=_("Tax rate in percent (default 0).")),
        valid_until: str = typer.Option(None, "--valid-until", metavar="DATE"),
        note: str = typer.Option(None, "--note")) -> None:
    from crmcli.services import quotes

    r = rt()
    with r.transaction() as (s, me):
        quote = quotes.add(s, me, opportunity, currency=currency, tax_rate=tax, valid_until=parse_day(valid_until),
                           note=note, tz=r.timezone())
        _show(s, quotes.view(s, me, quote.id))


@app.command("list", help=_("List quotes in your data scope, newest first.\n\n"
                            "Example: crm quote list --status sent --opportunity 7"))
def list_(status: Optional[List[str]] = typer.Option(None, "--status", metavar="STATUS"),
          opportunity: str = typer.Option(None, "--opportunity", metavar="OPP"),
          limit: int = typer.Option(50, "--limit", "-n", min=1, max=1_000_000)) -> None:
    from sqlalchemy import select

    from crmcli.output import Column
    from crmcli.services import quotes
    from crmcli.store.models import Customer

    with rt().transaction(write=False) as (s, me):
        found = quotes.listing(s, me, status=status, opportunity=opportunity, limit=limit)
        names = dict(s.execute(select(Customer.id, Customer.name).where(
            Customer.id.in_({q.customer_id for q in found}))).all()) if found else {}
        rows = [{"id": q.id, "number": quotes.label(q), "opportunity_id": q.opportunity_id,
                 "customer": names.get(q.customer_id), "status": q.status, "needs_approval": q.needs_approval,
                 "total": q.total, "currency": q.currency, "valid_until": q.valid_until} for q in found]
    rt().out().rows([Column("id", "id", "right"), Column("number", _("quote")),
                     Column("opportunity_id", _("opportunity"), "right"), Column("customer", _("customer")),
                     Column("status", _("status"), labels=quotes.STATUS_LABELS),
                     Column("needs_approval", _("needs approval")), Column("total", _("total"), "right"),
                     Column("currency", _("currency")), Column("valid_until", _("valid until"))], rows)


@app.command("show", help=_("Show a quote; --as markdown or --as text prints it ready to send or print.\n\n"
                            "Example: crm quote show 3 --as markdown > Q00003.md"))
def show(quote: str = typer.Argument(..., help=_("Quote id or number (Q00003).")),
         as_: str = typer.Option("record", "--as", metavar="record|markdown|text")) -> None:
    from crmcli.errors import UsageError
    from crmcli.services import quotes

    if as_ not in _FORMATS:
        raise UsageError(_("--as is record, markdown or text, not {value}").format(value=as_))
    with rt().transaction(write=False) as (s, me):
        _show(s, quotes.view(s, me, quote), as_, timeline=True)


@line_app.command("add", help=_("Add a line: a product on sale in the quote's currency; the unit price from the "
                                "catalog unless --price, the discount from the pricing rules unless --discount.\n\n"
                                "Example: crm quote line add 3 SW-001 --quantity 10 --discount 5"))
def line_add(quote: str = typer.Argument(...), product: str = typer.Argument(..., help=_("Product code or id.")),
             quantity: str = typer.Option("1", "--quantity", metavar="N"),
             price: str = typer.Option(None, "--price", help=_("Unit price (default: the list price).")),
             discount: str = typer.Option(None, "--discount", metavar="PERCENT"),
             description: str = typer.Option(None, "--description")) -> None:
    from crmcli.services import quotes

    with rt().transaction() as (s, me):
        line = quotes.line_add(s, me, quote, product, quantity, unit_price=price, discount=discount,
                               description=description)
        _show(s, quotes.view(s, me, line.quote_id))


@line_app.command("remove", help=_("Remove a line by its number.\n\nExample: crm quote line remove 3 2"))
def line_remove(quote: str = typer.Argument(...), line: int = typer.Argument(..., metavar="LINE", min=1, max=1_000_000)) -> None:
    from crmcli.services import quotes

    with rt().transaction() as (s, me):
        found = quotes.line_remove(s, me, quote, line)
        _show(s, quotes.view(s, me, found.id))


def _decide(fn, *args, **kwargs) -> None:
    from crmcli.services import quotes

    with rt().transaction() as (s, me):
        found = fn(s, me, *args, **kwargs)
        number, status = quotes.label(found), found.status
    rt().message(_("Quote {number} is {status}.").format(number=number, status=_(quotes.STATUS_LABELS[status])))


@app.command("send", help=_("Mark a draft quote sent (its lines are then fixed).\n\nExample: crm quote send 3"))
def send(quote: str = typer.Argument(...)) -> None:
    from crmcli.services import quotes

    _decide(quotes.send, quote)


@app.command("submit", help=_("Submit a draft quote whose discount is above your limit for approval (the quote "
                              "approval flow; by default the owner's manager). Its approvers decide with crm approval "
                              "approve|reject; once approved it can be sent.\n\nExample: crm quote submit 3"))
def submit(quote: str = typer.Argument(...)) -> None:
    from crmcli.services import approvals, quotes

    with rt().transaction() as (s, me):
        found, approval = quotes.submit(s, me, quote)
        number, approval_id, step = quotes.label(found), approval.id, approvals.current_step(approval)
    if step is None:
        rt().message(_("Quote {number} is approved: no approval step applies.").format(number=number))
    else:
        rt().message(_("Quote {number} is waiting for approval {id} ({rule}).").format(
            number=number, id=approval_id, rule=step["rule"]))


@app.command("approve", help=_("Approve the current step of a quote's pending approval (the same as crm approval "
                               "approve; only that step's approvers may).\n\nExample: crm quote approve 3"))
def approve(quote: str = typer.Argument(...), comment: str = typer.Option(None, "--comment")) -> None:
    from crmcli.services import approvals, quotes

    with rt().transaction() as (s, me):
        found = quotes.approve(s, me, quote, comment)
        status, label, step = found.status, found.label, approvals.current_step(found)
    if status == "pending":
        rt().message(_("Approval {id} ({label}): step done; now waiting for {rule}.").format(
            id=found.id, label=label, rule=step["rule"]))
    else:
        rt().message(_("Approval {id} ({label}) is {status}.").format(
            id=found.id, label=label, status=_(approvals.STATUS_LABELS[status])))


@app.command("accept", help=_("The customer accepted a sent quote.\n\nExample: crm quote accept 3"))
def accept(quote: str = typer.Argument(...)) -> None:
    from crmcli.services import quotes

    _decide(quotes.decide, quote, True, tz=rt().timezone())


@app.command("reject", help=_("The customer rejected a sent quote.\n\nExample: crm quote reject 3 --reason '价格高'"))
def reject(quote: str = typer.Argument(...), reason: str = typer.Option(None, "--reason")) -> None:
    from crmcli.services import quotes

    _decide(quotes.decide, quote, False, reason)
