"""``crm contact``: contacts (联系人), the people at a customer."""

from __future__ import annotations

from typing import List, Optional

import typer
from typing_extensions import Annotated

from crmcli.commands._common import AtOpt, NextOpt, NoteOpt, ViaOpt, new_app, parse_day, parse_when, read_ids, rt
from crmcli.commands._listing import (AfterOpt, CreatedOpt, LimitOpt, NextContactOpt, OwnerOpt, SearchOpt,
                                      SortOpt, StatusOpt, TagOpt, WhereOpt, announce_next_page, list_options)
from crmcli.i18n import _

app = new_app(_("Contacts (联系人): the people at a customer — add, list, show, edit, status, follow up, primary.\n\n"
                "Examples:\n\n  crm contact add 张伟 --customer 12 --role 采购经理 --primary\n\n"
                "  crm contact list --customer 12\n\n"
                "  crm contact follow 31 --via wechat --note '确认了需求' --next friday\n\n"
                "  crm contact status inactive 31 32"))

_LABELS = {
    "id": "id", "name": _("name"), "customer": _("customer"), "role": _("role"), "title": _("title"),
    "phone": _("phone"), "mobile": _("mobile"), "email": _("email"), "wechat": _("WeChat"),
    "birthday": _("birthday"), "address": _("address"), "primary": _("primary"), "status": _("status"),
    "owner": _("owner"), "tags": _("tags"), "next_contact_at": _("next contact"),
    "last_followup_at": _("last follow-up"), "created_at": _("created"), "updated_at": _("updated"),
}


def contact_row(contact, customers: dict[int, str], owners: dict[int, str], tags: list[str] | None = None) -> dict:
    return {"id": contact.id, "name": contact.name, "customer_id": contact.customer_id,
            "customer": customers.get(contact.customer_id), "role": contact.role, "title": contact.title,
            "phone": contact.phone, "mobile": contact.mobile, "email": contact.email, "wechat": contact.wechat,
            "birthday": contact.birthday, "address": contact.address, "primary": contact.is_primary,
            "status": contact.status, "owner": owners.get(contact.owner_id), "tags": tags or [],
            "next_contact_at": contact.next_contact_at, "last_followup_at": contact.last_followup_at,
            "custom": contact.custom or {}, "created_at": contact.created_at, "updated_at": contact.updated_at}


def _show(session, contact) -> None:
    from crmcli.commands._timeline import show_timeline
    from crmcli.services import contacts, customers, records

    row = contact_row(contact, contacts.customer_names(session, [contact.customer_id]),
                      customers.owner_logins(session, [contact.owner_id]), records.tags_of(session, "contact", contact.id))
    shown = dict(row, customer=f"#{contact.customer_id} {row['customer']}" if contact.customer_id else None)
    always = ("id", "name", "customer", "status", "owner", "primary")
    fields = [(k, label, shown[k]) for k, label in _LABELS.items() if shown.get(k) not in (None, [], {}) or k in always]
    fields = [(k, label, _(contacts.STATUS_LABELS[v]) if k == "status" and v in contacts.STATUS_LABELS else v)
              for k, label, v in fields]
    fields += [(f"custom.{k}", k, v) for k, v in (contact.custom or {}).items()]
    rt().out().record(fields, data=row)
    show_timeline(session, "contact", contact.id)


def _date(text: Optional[str]):
    """A birthday: a blank one is no birthday."""
    return parse_day(text) if text is not None and text.strip() else None


def _values(**kwargs) -> dict:
    return {k: v for k, v in kwargs.items() if v is not None}


@app.command("add", help=_("Add a contact to a customer; the customer's owner owns it, and the first contact becomes "
                           "primary.\n\nExample: crm contact add 'Li Na' --customer 12 --email li.na@acme.com"))
def add(
    name: str = typer.Argument(..., help=_("The person's name.")),
    customer: str = typer.Option(..., "--customer", metavar="CUSTOMER", help=_("Customer id or name.")),
    role: str = typer.Option(None, "--role", help=_("purchasing manager, technical lead, decision maker …")),
    title: str = typer.Option(None, "--title"), phone: str = typer.Option(None, "--phone"),
    mobile: str = typer.Option(None, "--mobile"), email: str = typer.Option(None, "--email"),
    wechat: str = typer.Option(None, "--wechat"), address: str = typer.Option(None, "--address"),
    birthday: str = typer.Option(None, "--birthday", metavar="DATE", help=_("e.g. 1985-03-12.")),
    primary: bool = typer.Option(False, "--primary", help=_("Make it the customer's primary contact.")),
    tag: List[str] = typer.Option(None, "--tag", help=_("A tag (repeatable, or comma-separated).")),
    next_contact: str = typer.Option(None, "--next", metavar="WHEN", help=_("When to contact next.")),
    set_: List[str] = typer.Option(None, "--set", metavar="FIELD=VALUE", help=_("A custom field value (repeatable).")),
    allow_duplicate: bool = typer.Option(False, "--allow-duplicate",
                                         help=_("Add it even if a contact has the same email or phone.")),
) -> None:
    from crmcli.services import contacts, fields

    with rt().transaction() as (s, me):
        contact = contacts.add(s, me, customer, _values(name=name, role=role, title=title, phone=phone, mobile=mobile,
                                                        email=email, wechat=wechat, address=address),
                               birthday=_date(birthday), primary=primary, tags=tag,
                               custom=fields.parse_assignments(set_ or []), next_contact=parse_when(next_contact),
                               allow_duplicate=allow_duplicate)
        _show(s, contact)


@app.command("list", help=_("List contacts you may see (their customer's owner is in your scope, or you are on its "
                            "team).\n\nExample: crm contact list --customer 12 --status active"))
def list_(owner: OwnerOpt = None, status: StatusOpt = None, tag: TagOpt = None, created: CreatedOpt = None,
          next_contact: NextContactOpt = None, search: SearchOpt = None, where: WhereOpt = None, sort: SortOpt = None,
          limit: LimitOpt = 50, after: AfterOpt = None,
          customer: Optional[str] = typer.Option(None, "--customer", metavar="CUSTOMER", help=_("Only this customer's contacts.")),
          primary: Optional[bool] = typer.Option(None, "--primary/--not-primary", help=_("Only primary, or only other contacts."))
          ) -> None:
    from crmcli.output import Column
    from crmcli.services import contacts, customers, records

    r = rt()
    opts = list_options(owner, status, None, tag, created, next_contact, search, where, sort, limit, after)
    with r.transaction(write=False) as (s, me):
        page = contacts.page(s, me, opts, r.timezone(), customer=customer, primary=primary)
        names = contacts.customer_names(s, [c.customer_id for c in page.rows])
        owners = customers.owner_logins(s, [c.owner_id for c in page.rows])
        tags = records.tags_for(s, "contact", [c.id for c in page.rows])
        rows = [contact_row(c, names, owners, tags.get(c.id)) for c in page.rows]
    columns = [Column("id", "id", "right"), Column("name", _("name")), Column("customer", _("customer")),
               Column("role", _("role")), Column("mobile", _("mobile")), Column("email", _("email")),
               Column("primary", _("primary")), Column("status", _("status"), labels=contacts.STATUS_LABELS),
               Column("owner", _("owner"))]
    r.out().rows(columns, rows)
    announce_next_page(page.next_cursor)


@app.command("show", help=_("Show one contact with its follow-up timeline.\n\nExample: crm contact show 31"))
def show(contact: str = typer.Argument(..., help=_("Contact id or name."))) -> None:
    from crmcli.services import contacts

    with rt().transaction(write=False) as (s, me):
        _show(s, contacts.get(s, me, contact))


@app.command("edit", help=_("Change a contact's fields, birthday, tags or custom fields.\n\n"
                            "Example: crm contact edit 31 --birthday 1985-03-12 --primary"))
def edit(
    contact: str = typer.Argument(..., help=_("Contact id or name.")),
    name: str = typer.Option(None, "--name"), role: str = typer.Option(None, "--role"),
    title: str = typer.Option(None, "--title"), phone: str = typer.Option(None, "--phone"),
    mobile: str = typer.Option(None, "--mobile"), email: str = typer.Option(None, "--email"),
    wechat: str = typer.Option(None, "--wechat"), address: str = typer.Option(None, "--address"),
    birthday: str = typer.Option(None, "--birthday", metavar="DATE"),
    no_birthday: bool = typer.Option(False, "--no-birthday", help=_("Clear the birthday.")),
    primary: bool = typer.Option(False, "--primary", help=_("Make it the customer's primary contact.")),
    add_tag: List[str] = typer.Option(None, "--add-tag", metavar="TAG"),
    remove_tag: List[str] = typer.Option(None, "--remove-tag", metavar="TAG"),
    next_contact: str = typer.Option(None, "--next", metavar="WHEN", help=_("When to contact next.")),
    no_next: bool = typer.Option(False, "--no-next", help=_("Clear the next contact time.")),
    set_: List[str] = typer.Option(None, "--set", metavar="FIELD=VALUE", help=_("A custom field value (empty clears it).")),
    allow_duplicate: bool = typer.Option(False, "--allow-duplicate", help=_("Keep the change even if it duplicates another contact.")),
) -> None:
    from crmcli.services import contacts, fields

    with rt().transaction() as (s, me):
        updated = contacts.edit(s, me, contact, _values(name=name, role=role, title=title, phone=phone, mobile=mobile,
                                                        email=email, wechat=wechat, address=address),
                                birthday=_date(birthday), clear_birthday=no_birthday, primary=primary,
                                add_tags=add_tag, remove_tags=remove_tag, custom=fields.parse_assignments(set_ or []),
                                next_contact=parse_when(next_contact), clear_next_contact=no_next,
                                allow_duplicate=allow_duplicate)
        _show(s, updated)


@app.command("status", help=_("Set contacts' status: new, active, inactive or invalid (失效) (batch).\n\n"
                              "Example: crm contact status invalid 31"))
def status(value: str = typer.Argument(..., metavar="STATUS", help=_("new, active, inactive or invalid.")),
           ids: List[str] = typer.Argument(..., metavar="IDS...")) -> None:
    from crmcli.services import contacts

    with rt().transaction() as (s, me):
        done = contacts.set_status(s, me, read_ids(ids), value)
        label = _(contacts.STATUS_LABELS[done[0].status])
    rt().message(_("{n} contacts are now {status}.").format(n=len(done), status=label))


@app.command("primary", help=_("Make a contact its customer's primary contact (the previous one stops being it).\n\n"
                               "Example: crm contact primary 31"))
def primary(contact: str = typer.Argument(..., help=_("Contact id or name."))) -> None:
    from crmcli.services import contacts

    with rt().transaction() as (s, me):
        found = contacts.make_primary(s, me, contact)
    rt().message(_("Contact {id} is the primary contact of customer {customer}.").format(
        id=found.id, customer=found.customer_id))


@app.command("follow", help=_("Log a follow-up (跟进) with a contact; --next sets when to contact again.\n\n"
                              "Example: crm contact follow 31 --via phone --note 演示 --next +3d"))
def follow(
    contact: Annotated[str, typer.Argument(help=_("Contact id or name."))],
    via: ViaOpt,
    note: NoteOpt,
    at: AtOpt = None,
    next_contact: NextOpt = None,
) -> None:
    from crmcli.services import contacts

    with rt().transaction() as (s, me):
        entry = contacts.follow(s, me, contact, via, note, parse_when(at), parse_when(next_contact))
    rt().message(_("Logged follow-up {id} on contact {contact}.").format(id=entry.id, contact=entry.record_id))


from crmcli.commands._io import install as _install_io  # noqa: E402  (import and export: crm contact import|export)

_install_io(app, "contact")
