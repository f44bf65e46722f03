"""``crm lead``: leads (线索) from first contact to conversion."""

from __future__ import annotations

from typing import List

import typer
from typing_extensions import Annotated

from crmcli.commands._common import AtOpt, NextOpt, NoteOpt, ViaOpt, new_app, parse_when, read_ids, rt
from crmcli.commands._listing import (AfterOpt, CreatedOpt, LimitOpt, NextContactOpt, OwnerOpt, SearchOpt,
                                      SortOpt, SourceOpt, StatusOpt, TagOpt, WhereOpt, announce_next_page,
                                      list_options)
from crmcli.i18n import _

app = new_app(_("Leads (线索): add, list, show, edit, follow up, assign, transfer, qualify, invalidate.\n\n"
                "Examples:\n\n  crm lead add 张伟 --company 华为技术有限公司 --mobile 13800138000 --source event\n\n"
                "  crm lead list --owner me --status new --next-contact overdue\n\n"
                "  crm lead follow 12 --via phone --note '约了下周演示' --next 'next monday 10:00'\n\n"
                "  crm lead list --status new --format ids | crm lead assign - --to wangfang\n\n"
                "  crm lead invalidate 12 13 --reason 'wrong number'"))

COLUMNS = ("id", "name", "company", "status", "source", "owner", "mobile", "email", "next_contact_at", "created_at")


def _owner_logins(session, ids) -> dict[int, str]:
    from sqlalchemy import select

    from crmcli.store.models import User

    wanted = {i for i in ids if i}
    if not wanted:
        return {}
    return dict(session.execute(select(User.id, User.login).where(User.id.in_(wanted))).all())


def lead_row(lead, owners: dict[int, str], tags: list[str] | None = None) -> dict:
    return {"id": lead.id, "name": lead.name, "company": lead.company, "title": lead.title, "phone": lead.phone,
            "mobile": lead.mobile, "email": lead.email, "website": lead.website, "address": lead.address,
            "region": lead.region, "industry": lead.industry, "source": lead.source, "campaign": lead.campaign,
            "score": lead.score, "status": lead.status, "invalid_reason": lead.invalid_reason,
            "owner": owners.get(lead.owner_id), "tags": tags or [], "next_contact_at": lead.next_contact_at,
            "last_followup_at": lead.last_followup_at, "customer_id": lead.customer_id,
            "contact_id": lead.contact_id, "custom": lead.custom or {}, "created_at": lead.created_at,
            "updated_at": lead.updated_at}


def _show(session, lead) -> None:
    from crmcli.services import leads, records

    row = lead_row(lead, _owner_logins(session, [lead.owner_id]), records.tags_of(session, "lead", lead.id))
    labels = {"id": "id", "name": _("name"), "company": _("company"), "title": _("title"), "phone": _("phone"),
              "mobile": _("mobile"), "email": _("email"), "website": _("website"), "address": _("address"),
              "region": _("region"), "industry": _("industry"), "source": _("source"), "campaign": _("campaign"),
              "score": _("score"), "status": _("status"), "invalid_reason": _("invalid because"),
              "owner": _("owner"), "tags": _("tags"), "next_contact_at": _("next contact"),
              "last_followup_at": _("last follow-up"), "customer_id": _("customer"), "contact_id": _("contact"),
              "created_at": _("created"), "updated_at": _("updated")}
    fields = [(k, labels[k], row[k]) for k in labels if k in row]
    fields = [f for f in fields if f[2] not in (None, [], {}) or f[0] in ("id", "name", "status", "owner")]
    if lead.status in leads.STATUS_LABELS:
        fields = [(k, label, _(leads.STATUS_LABELS[v]) if k == "status" else v) for k, label, v in fields]
    fields += [(f"custom.{k}", k, v) for k, v in (lead.custom or {}).items()]
    rt().out().record(fields, data=row)


def _values(**kwargs) -> dict:
    return {k: v for k, v in kwargs.items() if v is not None}


@app.command("add", help=_("Add a lead (owned by you unless --owner; --owner none puts it in the lead pool)."))
def add(
    name: str = typer.Argument(..., help=_("The contact's name.")),
    company: str = typer.Option(None, "--company"), title: str = typer.Option(None, "--title"),
    phone: str = typer.Option(None, "--phone"), mobile: str = typer.Option(None, "--mobile"),
    email: str = typer.Option(None, "--email"), website: str = typer.Option(None, "--website"),
    address: str = typer.Option(None, "--address"), region: str = typer.Option(None, "--region"),
    industry: str = typer.Option(None, "--industry"),
    source: str = typer.Option(None, "--source", help=_("web, email, ads, event, content, phone, referral, outreach, other.")),
    campaign: str = typer.Option(None, "--campaign"), score: int = typer.Option(None, "--score", help=_("0 to 100.")),
    tag: List[str] = typer.Option(None, "--tag", help=_("A tag (repeatable, or comma-separated).")),
    owner: str = typer.Option(None, "--owner", metavar="me|LOGIN|none"),
    next_contact: str = typer.Option(None, "--next", metavar="WHEN", help=_("When to contact next.")),
    set_: List[str] = typer.Option(None, "--set", metavar="FIELD=VALUE", help=_("A custom field value (repeatable).")),
) -> None:
    from crmcli.services import fields, leads

    with rt().transaction() as (s, me):
        lead = leads.add(s, me, _values(name=name, company=company, title=title, phone=phone, mobile=mobile,
                                        email=email, website=website, address=address, region=region,
                                        industry=industry, source=source, campaign=campaign, score=score),
                         owner=owner, tags=tag, custom=fields.parse_assignments(set_ or []),
                         next_contact=parse_when(next_contact))
        _show(s, lead)


@app.command("list", help=_("List leads in your data scope, newest first.\n\n"
                            "Example: crm lead list --owner me --status new --search 华为 --sort -created"))
def list_(owner: OwnerOpt = None, status: StatusOpt = None, source: SourceOpt = None, tag: TagOpt = None,
          created: CreatedOpt = None, next_contact: NextContactOpt = None, search: SearchOpt = None,
          where: WhereOpt = None, sort: SortOpt = None, limit: LimitOpt = 50, after: AfterOpt = None) -> None:
    from crmcli.output import Column
    from crmcli.services import filters, leads, records

    r = rt()
    opts = list_options(owner, status, source, tag, created, next_contact, search, where, sort, limit, after)
    with r.transaction(write=False) as (s, me):
        page = filters.select_page(s, me, leads.LISTING, opts, r.timezone())
        owners = _owner_logins(s, [lead.owner_id for lead in page.rows])
        tags = records.tags_for(s, "lead", [lead.id for lead in page.rows])
        rows = [lead_row(lead, owners, tags.get(lead.id)) for lead in page.rows]
    columns = [Column("id", "id", "right"), Column("name", _("name")), Column("company", _("company")),
               Column("status", _("status"), labels=leads.STATUS_LABELS),
               Column("source", _("source"), labels=leads.SOURCE_LABELS), Column("owner", _("owner")),
               Column("mobile", _("mobile")), Column("email", _("email")),
               Column("next_contact_at", _("next contact")), Column("created_at", _("created"))]
    r.out().rows(columns, rows)
    announce_next_page(page.next_cursor)


@app.command("show", help=_("Show one lead with its follow-up timeline."))
def show(lead: str = typer.Argument(..., help=_("Lead id or name."))) -> None:
    from crmcli.commands._timeline import show_timeline
    from crmcli.services import leads

    with rt().transaction(write=False) as (s, me):
        found = leads.get(s, me, lead)
        _show(s, found)
        show_timeline(s, "lead", found.id)


@app.command("edit", help=_("Change a lead's fields, tags or custom fields.\n\n"
                            "Example: crm lead edit 12 --title CTO --add-tag vip --set budget=50000"))
def edit(
    lead: str = typer.Argument(..., help=_("Lead id or name.")),
    name: str = typer.Option(None, "--name"), company: str = typer.Option(None, "--company"),
    title: str = typer.Option(None, "--title"), phone: str = typer.Option(None, "--phone"),
    mobile: str = typer.Option(None, "--mobile"), email: str = typer.Option(None, "--email"),
    website: str = typer.Option(None, "--website"), address: str = typer.Option(None, "--address"),
    region: str = typer.Option(None, "--region"), industry: str = typer.Option(None, "--industry"),
    source: str = typer.Option(None, "--source"), campaign: str = typer.Option(None, "--campaign"),
    score: int = typer.Option(None, "--score"),
    add_tag: List[str] = typer.Option(None, "--add-tag", metavar="TAG"),
    remove_tag: List[str] = typer.Option(None, "--remove-tag", metavar="TAG"),
    next_contact: str = typer.Option(None, "--next", metavar="WHEN", help=_("When to contact next.")),
    no_next: bool = typer.Option(False, "--no-next", help=_("Clear the next contact time.")),
    set_: List[str] = typer.Option(None, "--set", metavar="FIELD=VALUE", help=_("A custom field value (empty clears it).")),
) -> None:
    from crmcli.services import fields, leads

    with rt().transaction() as (s, me):
        updated = leads.edit(s, me, lead, _values(name=name, company=company, title=title, phone=phone,
                                                  mobile=mobile, email=email, website=website, address=address,
                                                  region=region, industry=industry, source=source,
                                                  campaign=campaign, score=score),
                             add_tags=add_tag, remove_tags=remove_tag, custom=fields.parse_assignments(set_ or []),
                             next_contact=parse_when(next_contact), clear_next_contact=no_next)
        _show(s, updated)


@app.command("follow", help=_("Log a follow-up (跟进) on a lead; --next sets when to contact again.\n\n"
                              "Example: crm lead follow 12 --via wechat --note '发了报价' --next +3d"))
def follow(
    lead: Annotated[str, typer.Argument(help=_("Lead id or name."))],
    via: ViaOpt,
    note: NoteOpt,
    at: AtOpt = None,
    next_contact: NextOpt = None,
) -> None:
    from crmcli.services import leads

    with rt().transaction() as (s, me):
        entry = leads.follow(s, me, lead, via, note, parse_when(at), parse_when(next_contact))
        rt().message(_("Logged follow-up {id} on lead {lead}.").format(id=entry.id, lead=entry.record_id))


def _moved(leads_moved, to: str) -> None:
    rt().out().rows([_id_column()], [{"id": lead.id} for lead in leads_moved]) if rt().output_format() == "ids" else None
    rt().message(_("{n} leads now belong to {login}.").format(n=len(leads_moved), login=to))


def _id_column():
    from crmcli.output import Column

    return Column("id", "id")


@app.command("transfer", help=_("Transfer leads to another user (batch; - reads ids from stdin).\n\n"
                                "Example: crm lead transfer 12 13 14 --to liqiang"))
def transfer(ids: List[str] = typer.Argument(..., metavar="IDS..."),
             to: str = typer.Option(..., "--to", metavar="LOGIN"),
             reason: str = typer.Option(None, "--reason")) -> None:
    from crmcli.services import leads

    with rt().transaction() as (s, me):
        moved = leads.transfer(s, me, read_ids(ids), to, reason=reason)
    _moved(moved, to)


@app.command("assign", help=_("Assign leads to a user in your data scope (managers; batch, - for stdin).\n\n"
                              "Example: crm lead list --owner none --format ids | crm lead assign - --to wangfang"))
def assign(ids: List[str] = typer.Argument(..., metavar="IDS..."),
           to: str = typer.Option(..., "--to", metavar="LOGIN"),
           reason: str = typer.Option(None, "--reason")) -> None:
    from crmcli.services import leads

    with rt().transaction() as (s, me):
        moved = leads.transfer(s, me, read_ids(ids), to, action="assign", reason=reason)
    _moved(moved, to)


@app.command("qualify", help=_("Mark leads as being qualified (资格评估中)."))
def qualify(ids: List[str] = typer.Argument(..., metavar="IDS...")) -> None:
    from crmcli.services import leads

    with rt().transaction() as (s, me):
        done = leads.qualify(s, me, read_ids(ids))
    rt().message(_("{n} leads are qualifying.").format(n=len(done)))


@app.command("invalidate", help=_("Mark leads invalid (无效) with a reason (batch).\n\n"
                                  "Example: crm lead invalidate 12 13 --reason '空号'"))
def invalidate(ids: List[str] = typer.Argument(..., metavar="IDS..."),
               reason: str = typer.Option(..., "--reason", help=_("Why they are invalid."))) -> None:
    from crmcli.services import leads

    with rt().transaction() as (s, me):
        done = leads.invalidate(s, me, read_ids(ids), reason)
    rt().message(_("{n} leads marked invalid.").format(n=len(done)))


@app.command("convert", help=_("Convert leads into a customer and a contact each (batch, all-or-nothing): an "
                               "existing customer that dedupe finds is linked (and said so), else a new one is "
                               "created; --customer names it.\n\n"
                               "--opportunity NAME also creates an opportunity (商机) for the customer.\n\n"
                               "Example: crm lead convert 12 13\n\n  crm lead convert 14 --customer 7\n\n"
                               "  crm lead convert 15 --opportunity '首批采购' --amount 80000 --close eom"))
def convert(ids: List[str] = typer.Argument(..., metavar="IDS..."),
            customer: str = typer.Option(None, "--customer", metavar="CUSTOMER",
                                         help=_("Convert into this existing customer.")),
            opportunity: str = typer.Option(None, "--opportunity", metavar="NAME",
                                            help=_("Also create an opportunity of this name.")),
            amount: str = typer.Option(None, "--amount", help=_("The opportunity's amount.")),
            currency: str = typer.Option(None, "--currency", metavar="CODE", help=_("The opportunity's currency.")),
            close: str = typer.Option(None, "--close", metavar="DATE", help=_("The opportunity's expected close date."))
            ) -> None:
    from crmcli import dates
    from crmcli.output import Column
    from crmcli.services import dedupe, leads

    expected = dates.parse_date(close, rt().timezone()) if close is not None else None
    with rt().transaction() as (s, me):
        done = leads.convert(s, me, read_ids(ids), customer=customer, opportunity=opportunity, amount=amount,
                             currency=currency, expected_close=expected)
    actions = {"created": _("created"), "linked": _("linked"), "given": _("given")}
    rows = [{"id": c.lead.id, "customer_id": c.customer.id, "customer": c.customer.name,
             "customer_action": c.customer_action, "contact_id": c.contact.id, "contact": c.contact.name,
             "contact_action": "created" if c.contact_created else "linked",
             "opportunity_id": c.opportunity.id if c.opportunity is not None else None} for c in done]
    rt().out().rows([Column("id", _("lead"), "right"), Column("customer_id", _("customer"), "right"),
                     Column("customer", _("name")), Column("customer_action", "", labels=actions),
                     Column("contact_id", _("contact"), "right"), Column("contact", _("name")),
                     Column("contact_action", "", labels=actions)]
                    + ([Column("opportunity_id", _("opportunity"), "right")] if opportunity is not None else []), rows)
    for c in done:
        if c.customer_action == "linked":
            rt().message(_("Lead {lead}: linked to existing customer {id} ({name}), same {keys}.").format(
                lead=c.lead.id, id=c.customer.id, name=c.customer.name,
                keys=", ".join(_(dedupe.KEY_LABELS[k]) for k in c.matched_by)))
    rt().message(_("{n} leads converted.").format(n=len(done)))


from crmcli.commands._io import install as _install_io  # noqa: E402  (import and export: crm lead import|export)

_install_io(app, "lead")
