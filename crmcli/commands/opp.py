"""``crm opp``: opportunities (商机) through the stages, the pipeline and the forecast."""

from __future__ import annotations

from typing import List, Optional

import typer
from typing_extensions import Annotated

from crmcli.commands._common import AtOpt, NextOpt, NoteOpt, ViaOpt, new_app, parse_day, parse_when, read_ids, rt
from crmcli.commands._listing import (AfterOpt, CreatedOpt, LimitOpt, NextContactOpt, OwnerOpt, SortOpt, SourceOpt,
                                      StatusOpt, TagOpt, WhereOpt, announce_next_page, list_options)
from crmcli.i18n import _

app = new_app(_("Opportunities (商机): add, list, show, edit, follow up, transfer, advance through the stages, "
                "win, lose, reopen; the pipeline and the forecast.\n\n"
                "Examples:\n\n  crm opp add 华为技术有限公司 '核心交换机扩容' --amount 1200000 --close 2026-12-31\n\n"
                "  crm opp list --owner me --stage proposal --closing this-month --min-amount 100000\n\n"
                "  crm opp advance 7\n\n  crm opp advance 7 --stage negotiation\n\n"
                "  crm opp win 7\n\n  crm opp lose 8 --reason '预算取消'\n\n"
                "  crm opp pipeline --dept 销售部 --by-month\n\n  crm opp forecast --period this-quarter"))

_LABELS = {
    "id": "id", "name": _("name"), "customer": _("customer"), "stage": _("stage"), "probability": _("probability %"),
    "status": _("status"), "amount": _("amount"), "currency": _("currency"), "expected_close": _("expected close"),
    "source": _("source"), "owner": _("owner"), "lost_reason": _("lost because"), "contacts": _("contacts"),
    "products": _("products"), "tags": _("tags"), "next_contact_at": _("next contact"),
    "last_followup_at": _("last follow-up"), "stage_changed_at": _("stage since"), "closed_at": _("closed"),
    "created_at": _("created"), "updated_at": _("updated"),
}


def opp_row(opp, *, customers: dict, stage_names: dict, owners: dict, tags: list | None = None) -> dict:
    return {"id": opp.id, "name": opp.name, "customer_id": opp.customer_id, "customer": customers.get(opp.customer_id),
            "stage_id": opp.stage_id, "stage": stage_names.get(opp.stage_id), "status": opp.status,
            "amount": opp.amount, "currency": opp.currency, "expected_close": opp.expected_close,
            "source": opp.source, "owner": owners.get(opp.owner_id), "lost_reason": opp.lost_reason,
            "tags": tags or [], "next_contact_at": opp.next_contact_at, "last_followup_at": opp.last_followup_at,
            "stage_changed_at": opp.stage_changed_at, "closed_at": opp.closed_at, "custom": opp.custom or {},
            "created_at": opp.created_at, "updated_at": opp.updated_at}


def _lookups(session, opps) -> tuple[dict, dict, dict]:
    from sqlalchemy import select

    from crmcli.services import stages
    from crmcli.store.models import Customer, User

    customer_ids = sorted({o.customer_id for o in opps})
    customers = dict(session.execute(select(Customer.id, Customer.name).where(Customer.id.in_(customer_ids))).all()) \
        if customer_ids else {}
    owners = dict(session.execute(select(User.id, User.login)).all()) if opps else {}
    names = {i: stages.display(s) for i, s in stages.by_id(session).items()}
    return customers, names, owners


def _show(session, view, *, history: bool = True) -> None:
    from crmcli.commands._timeline import show_timeline
    from crmcli.output import Column
    from crmcli.services import opportunities, pricing, stages

    opp = view.opportunity
    row = opp_row(opp, customers={opp.customer_id: view.customer.name},
                  stage_names={opp.stage_id: stages.display(view.stage)}, owners={opp.owner_id: view.owner},
                  tags=view.tags)
    row["probability"] = view.stage.probability
    row["contacts"] = [{"id": c.id, "name": c.name} for c in view.contacts]
    row["products"] = [{"code": p.code, "name": p.name, "quantity": q} for p, q in view.products]
    row["history"] = [{"at": h.at, "move": h.move, "from": h.from_stage, "to": h.to_stage, "who": h.who,
                       "reason": h.reason} for h in view.history]
    shown = dict(row)
    shown["contacts"] = [c.name for c in view.contacts]
    shown["products"] = [f"{p.code} × {pricing.show_quantity(q)}" for p, q in view.products]
    shown["status"] = _(opportunities.STATUS_LABELS[opp.status])
    shown["amount"] = f"{pricing.show(opp.amount, opp.currency)} {opp.currency}"
    shown["customer"] = f"{view.customer.name} (#{opp.customer_id})"
    always = ("id", "name", "customer", "stage", "status", "amount", "owner")
    fields = [(k, label, shown.get(k)) for k, label in _LABELS.items()
              if k != "currency" and (shown.get(k) not in (None, [], {}) or k in always)]
    fields += [(f"custom.{k}", k, v) for k, v in (opp.custom or {}).items()]
    out = rt().out()
    out.record(fields, data=row)
    if not history or out.fmt not in ("table", "plain"):
        return
    out.section(_("Stage history"))
    out.rows([Column("at", _("time")), Column("move", _("move"), labels=opportunities.MOVE_LABELS),
              Column("from", _("from")), Column("to", _("to")), Column("who", _("who")),
              Column("reason", _("reason"))], row["history"])
    show_timeline(session, "opportunity", opp.id)


@app.command("add", help=_("Add an opportunity for a customer you may change (owned by you unless --owner); it "
                           "starts in the first stage unless --stage.\n\n"
                           "Example: crm opp add 12 '二期扩容' --amount 350000 --currency CNY --close eom "
                           "--contact 张伟 --product SW-001:10"))
def add(
    customer: str = typer.Argument(..., help=_("Customer id or name.")),
    name: str = typer.Argument(..., help=_("What is being sold.")),
    amount: str = typer.Option(None, "--amount", help=_("Expected amount (default 0).")),
    currency: str = typer.Option(None, "--currency", metavar="CODE", help=_("Currency code (default CNY).")),
    close: str = typer.Option(None, "--close", metavar="DATE", help=_("Expected close date.")),
    contact: List[str] = typer.Option(None, "--contact", metavar="CONTACT", help=_("A contact of the customer (repeatable).")),
    product: List[str] = typer.Option(None, "--product", metavar="CODE[:QTY]", help=_("A product (repeatable).")),
    source: str = typer.Option(None, "--source", help=_("web, email, ads, event, content, phone, referral, outreach, other.")),
    owner: str = typer.Option(None, "--owner", metavar="me|LOGIN"),
    stage: str = typer.Option(None, "--stage", metavar="STAGE", help=_("The stage it starts in.")),
    next_contact: str = typer.Option(None, "--next", metavar="WHEN", help=_("When to contact next.")),
) -> None:
    from crmcli.services import opportunities

    with rt().transaction() as (s, me):
        opp = opportunities.add(s, me, customer, name, amount=amount, currency=currency, expected_close=parse_day(close),
                                contacts=contact, products=product, source=source, owner=owner, stage=stage,
                                next_contact=parse_when(next_contact))
        _show(s, opportunities.view(s, me, opp.id), history=False)


@app.command("list", help=_("List opportunities in your data scope, newest first; --stage, --closing and "
                            "--min-amount narrow it.\n\n"
                            "Example: crm opp list --status open --closing this-month --min-amount 100000 --sort -amount"))
def list_(owner: OwnerOpt = None, status: StatusOpt = None, source: SourceOpt = None, tag: TagOpt = None,
          created: CreatedOpt = None, next_contact: NextContactOpt = None,
          search: Optional[str] = typer.Option(None, "--search", "-s", metavar="TEXT",
                                               help=_("Text in the opportunity's or the customer's name.")),
          where: WhereOpt = None, sort: SortOpt = None, limit: LimitOpt = 50, after: AfterOpt = None,
          stage: Optional[List[str]] = typer.Option(None, "--stage", metavar="STAGE", help=_("Only this stage (repeatable).")),
          closing: Optional[str] = typer.Option(None, "--closing", metavar="PERIOD", help=_(
              "Expected to close in: this-month, next-month, this-quarter, next-quarter, this-year, overdue, "
              "YYYY-MM, YYYY-Qn or SINCE..UNTIL.")),
          min_amount: Optional[str] = typer.Option(None, "--min-amount", metavar="AMOUNT", help=_("Only from this amount on.")),
          customer: Optional[str] = typer.Option(None, "--customer", metavar="CUSTOMER", help=_("Only this customer's.")),
          ) -> None:
    from crmcli.output import Column
    from crmcli.services import opportunities, records

    r = rt()
    opts = list_options(owner, status, source, tag, created, next_contact, search, where, sort, limit, after)
    with r.transaction(write=False) as (s, me):
        page = opportunities.page(s, me, opts, r.timezone(), stage=stage, closing=closing, min_amount=min_amount,
                                  customer=customer)
        customers, names, owners = _lookups(s, page.rows)
        tags = records.tags_for(s, "opportunity", [o.id for o in page.rows])
        rows = [opp_row(o, customers=customers, stage_names=names, owners=owners, tags=tags.get(o.id))
                for o in page.rows]
    columns = [Column("id", "id", "right"), Column("name", _("name")), Column("customer", _("customer")),
               Column("stage", _("stage")), Column("status", _("status"), labels=opportunities.STATUS_LABELS),
               Column("amount", _("amount"), "right"), Column("currency", _("currency")),
               Column("expected_close", _("expected close")), Column("owner", _("owner")),
               Column("created_at", _("created"))]
    r.out().rows(columns, rows)
    announce_next_page(page.next_cursor)


@app.command("show", help=_("Show an opportunity with its contacts, products, stage history and timeline.\n\n"
                            "Example: crm opp show 7"))
def show(opp: str = typer.Argument(..., help=_("Opportunity id or name."))) -> None:
    from crmcli.services import opportunities

    with rt().transaction(write=False) as (s, me):
        _show(s, opportunities.view(s, me, opp))


@app.command("edit", help=_("Change an opportunity's fields, contacts, products or tags (its stage: advance).\n\n"
                            "Example: crm opp edit 7 --amount 400000 --close 2027-01-15 --add-contact 李娜"))
def edit(
    opp: str = typer.Argument(..., help=_("Opportunity id or name.")),
    name: str = typer.Option(None, "--name"), amount: str = typer.Option(None, "--amount"),
    currency: str = typer.Option(None, "--currency", metavar="CODE"),
    close: str = typer.Option(None, "--close", metavar="DATE"),
    no_close: bool = typer.Option(False, "--no-close", help=_("Clear the expected close date.")),
    source: str = typer.Option(None, "--source"),
    add_contact: List[str] = typer.Option(None, "--add-contact", metavar="CONTACT"),
    remove_contact: List[str] = typer.Option(None, "--remove-contact", metavar="CONTACT"),
    add_product: List[str] = typer.Option(None, "--add-product", metavar="CODE[:QTY]"),
    remove_product: List[str] = typer.Option(None, "--remove-product", metavar="CODE"),
    add_tag: List[str] = typer.Option(None, "--add-tag", metavar="TAG"),
    remove_tag: List[str] = typer.Option(None, "--remove-tag", metavar="TAG"),
    next_contact: str = typer.Option(None, "--next", metavar="WHEN", help=_("When to contact next.")),
    no_next: bool = typer.Option(False, "--no-next", help=_("Clear the next contact time.")),
) -> None:
    from crmcli.services import opportunities

    with rt().transaction() as (s, me):
        updated = opportunities.edit(s, me, opp, name=name, amount=amount, currency=currency,
                                     expected_close=parse_day(close), clear_close=no_close, source=source,
                                     add_contacts=add_contact, remove_contacts=remove_contact,
                                     add_products=add_product, remove_products=remove_product,
                                     next_contact=parse_when(next_contact), clear_next_contact=no_next,
                                     add_tags=add_tag, remove_tags=remove_tag)
        _show(s, opportunities.view(s, me, updated.id), history=False)


@app.command("follow", help=_("Log a follow-up (跟进) on an open opportunity; --next sets when to contact again.\n\n"
                              "Example: crm opp follow 7 --via visit --note '演示了方案' --next +3d"))
def follow(
    opp: Annotated[str, typer.Argument(help=_("Opportunity id or name."))],
    via: ViaOpt,
    note: NoteOpt,
    at: AtOpt = None,
    next_contact: NextOpt = None,
) -> None:
    from crmcli.services import opportunities

    with rt().transaction() as (s, me):
        entry = opportunities.follow(s, me, opp, via, note, parse_when(at), parse_when(next_contact))
        rt().message(_("Logged follow-up {id} on opportunity {opp}.").format(id=entry.id, opp=entry.record_id))


@app.command("transfer", help=_("Give opportunities to another user (batch; - reads ids from stdin).\n\n"
                                "Example: crm opp transfer 7 8 --to liqiang"))
def transfer(ids: List[str] = typer.Argument(..., metavar="IDS..."),
             to: str = typer.Option(..., "--to", metavar="LOGIN"),
             reason: str = typer.Option(None, "--reason")) -> None:
    from crmcli.services import opportunities

    with rt().transaction() as (s, me):
        moved = opportunities.transfer(s, me, read_ids(ids), to, reason=reason)
    rt().message(_("{n} opportunities now belong to {login}.").format(n=len(moved), login=to))


def _stage_move(fn, *args, **kwargs) -> None:
    from crmcli.services import opportunities, stages

    with rt().transaction() as (s, me):
        change = fn(s, me, *args, **kwargs)
        names = {i: stages.display(st) for i, st in stages.by_id(s).items()}
        opp_id, move = change.opportunity_id, change.move
        from_name, to_name = names.get(change.from_stage_id, "-"), names.get(change.to_stage_id)
    rt().out().record([("id", "id", opp_id), ("move", _("move"), move), ("from", _("from"), from_name),
                       ("to", _("to"), to_name)])
    rt().message(_("Opportunity {id}: {move}, {from_stage} → {to_stage}.").format(
        id=opp_id, move=_(opportunities.MOVE_LABELS[move]), from_stage=from_name, to_stage=to_name))


@app.command("advance", help=_("Move an opportunity to the next stage, or to --stage (skipping ahead or moving "
                               "back is allowed and recorded as such).\n\n"
                               "Example: crm opp advance 7\n\n  crm opp advance 7 --stage negotiation"))
def advance(opp: str = typer.Argument(..., help=_("Opportunity id or name.")),
            stage: str = typer.Option(None, "--stage", metavar="STAGE", help=_("The stage to move to.")),
            reason: str = typer.Option(None, "--reason", help=_("Why (kept in the stage history)."))) -> None:
    from crmcli.services import opportunities

    _stage_move(opportunities.advance, opp, stage, reason)


@app.command("win", help=_("Mark an opportunity won (赢单); its customer then has a deal.\n\nExample: crm opp win 7"))
def win(opp: str = typer.Argument(..., help=_("Opportunity id or name.")),
        reason: str = typer.Option(None, "--reason")) -> None:
    from crmcli.services import opportunities

    _stage_move(opportunities.win, opp, reason)


@app.command("lose", help=_("Mark an opportunity lost (输单), saying why.\n\nExample: crm opp lose 8 --reason '价格太高'"))
def lose(opp: str = typer.Argument(..., help=_("Opportunity id or name.")),
         reason: str = typer.Option(..., "--reason", help=_("Why it was lost."))) -> None:
    from crmcli.services import opportunities

    _stage_move(opportunities.lose, opp, reason)


@app.command("reopen", help=_("Reopen a won or lost opportunity, into the stage it was closed from unless --stage.\n\n"
                              "Example: crm opp reopen 8"))
def reopen(opp: str = typer.Argument(..., help=_("Opportunity id or name.")),
           stage: str = typer.Option(None, "--stage", metavar="STAGE"),
           reason: str = typer.Option(None, "--reason")) -> None:
    from crmcli.services import opportunities

    _stage_move(opportunities.reopen, opp, stage, reason)


def _selection(s, me, owner, dept):
    from crmcli.services import forecast

    return forecast.select_people(s, me, owner=owner, dept=dept)


@app.command("pipeline", help=_("The pipeline: open opportunities per stage — count, amount and amount weighted by "
                                "the stage's probability — for you, --owner LOGIN, or --dept NAME with the "
                                "departments below it; --by-month splits by month of expected close.\n\n"
                                "Example: crm opp pipeline --dept 销售部 --by-month"))
def pipeline(owner: str = typer.Option(None, "--owner", metavar="me|LOGIN"),
             dept: str = typer.Option(None, "--dept", metavar="DEPARTMENT"),
             by_month: bool = typer.Option(False, "--by-month", help=_("One row per month of expected close and stage.")),
             currency: str = typer.Option(None, "--currency", metavar="CODE", help=_("Only this currency.")),
             closing: str = typer.Option(None, "--closing", metavar="PERIOD", help=_("Only expected to close in PERIOD."))
             ) -> None:
    from crmcli.output import Column
    from crmcli.services import forecast, opportunities, pricing

    r = rt()
    with r.transaction(write=False) as (s, me):
        selection = _selection(s, me, owner, dept)
        period = opportunities.closing_range(closing, r.timezone()) if closing else None
        rows = forecast.pipeline(s, me, selection, by_month=by_month, currency=currency, closing=period)
    data = [{"month": x.month, "stage_id": x.stage_id, "stage": x.stage, "probability": x.probability,
             "currency": x.currency, "count": x.count, "amount": x.amount, "weighted": x.weighted} for x in rows]
    out = r.out()
    columns = ([Column("month", _("month"))] if by_month else []) + [
        Column("stage", _("stage")), Column("probability", _("probability %"), "right"),
        Column("currency", _("currency")), Column("count", _("count"), "right"),
        Column("amount", _("amount"), "right"), Column("weighted", _("weighted"), "right")]
    if out.fmt in ("table", "plain"):
        shown = [{**d, "amount": pricing.show(d["amount"], d["currency"]),
                  "weighted": pricing.show(d["weighted"], d["currency"])} for d in data]
        for cur, (n, amount, weighted) in sorted(forecast.totals(rows).items()):
            shown.append({"stage": _("total"), "currency": cur, "count": n, "amount": pricing.show(amount, cur),
                          "weighted": pricing.show(weighted, cur)})
        out.rows(columns, shown, title=_("Pipeline of {who}").format(who=selection.label))
    else:
        out.rows(columns, data)


@app.command("forecast", help=_("The forecast for a period: open opportunities expected to close in it, per "
                                "owner — amount, amount weighted by stage probability, and weighted by historical "
                                "win rates where there is enough history.\n\n"
                                "Example: crm opp forecast --period this-quarter --dept 销售部"))
def forecast_(period: str = typer.Option("this-month", "--period", metavar="PERIOD", help=_(
                  "this-month, next-month, this-quarter, next-quarter, this-year, YYYY-MM, YYYY-Qn or SINCE..UNTIL.")),
              owner: str = typer.Option(None, "--owner", metavar="me|LOGIN"),
              dept: str = typer.Option(None, "--dept", metavar="DEPARTMENT")) -> None:
    from crmcli.output import Column
    from crmcli.services import forecast, opportunities, pricing

    r = rt()
    with r.transaction(write=False) as (s, me):
        selection = _selection(s, me, owner, dept)
        since, until = opportunities.closing_range(period, r.timezone())
        rows = forecast.forecast(s, me, selection, (since, until))
    data = [{"owner": x.owner, "currency": x.currency, "count": x.count, "amount": x.amount, "weighted": x.weighted,
             "historical": x.historical, "based_on": x.based_on} for x in rows]
    out = r.out()
    columns = [Column("owner", _("owner")), Column("currency", _("currency")), Column("count", _("count"), "right"),
               Column("amount", _("amount"), "right"), Column("weighted", _("weighted"), "right"),
               Column("historical", _("by win rate"), "right")]
    if out.fmt in ("table", "plain"):
        shown = [{**d, **{k: pricing.show(d[k], d["currency"]) for k in ("amount", "weighted", "historical")}}
                 for d in data]
        sums: dict = {}
        for x in rows:
            n, a, w, h = sums.get(x.currency, (0, 0, 0, 0))
            sums[x.currency] = (n + x.count, a + x.amount, w + x.weighted, h + x.historical)
        for cur, (n, a, w, h) in sorted(sums.items()):
            shown.append({"owner": _("total"), "currency": cur, "count": n, "amount": pricing.show(a, cur),
                          "weighted": pricing.show(w, cur), "historical": pricing.show(h, cur)})
        out.rows(columns, shown, title=_("Forecast of {who}, {since} to {until}").format(
            who=selection.label, since=since or "…", until=until or "…"))
    else:
        out.rows(columns, data)
