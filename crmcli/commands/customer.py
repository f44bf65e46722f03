"""``crm customer``: customers (客户) — the 360 view, lifecycle, team, transfer, dedupe and merge."""

from __future__ import annotations

from typing import List, Optional

import typer
from typing_extensions import Annotated

from crmcli.commands._common import AtOpt, NextOpt, NoteOpt, ViaOpt, new_app, parse_when, read_ids, rt
from crmcli.commands._listing import (AfterOpt, CreatedOpt, LimitOpt, NextContactOpt, OwnerOpt, SearchOpt,
                                      SortOpt, SourceOpt, StatusOpt, TagOpt, WhereOpt, announce_next_page,
                                      list_options)
from crmcli.i18n import _

app = new_app(_("Customers (客户): add, list, show (360), edit, tier, status, follow up, transfer, team, lock, "
                "dedupe and merge.\n\n"
                "Examples:\n\n  crm customer add 华为技术有限公司 --tier A --phone 0755-28780808\n\n"
                "  crm customer list --owner me --tier A --status active\n\n"
                "  crm customer show 12\n\n"
                "  crm customer follow 12 --via visit --note '拜访采购部' --next +7d\n\n"
                "  crm customer transfer 12 13 --to liqiang --with-contacts\n\n"
                "  crm customer dupes\n\n"
                "  crm customer merge 12 15 --prefer keep"))

team_app = new_app(_("A customer's team (客户团队): users who co-maintain it and see it whatever their scope.\n\n"
                     "Examples:\n\n  crm customer team add 12 liqiang --access write\n\n"
                     "  crm customer team list 12\n\n  crm customer team remove 12 liqiang"))
app.add_typer(team_app, name="team")

_LABELS = {
    "id": "id", "name": _("name"), "kind": _("type"), "industry": _("industry"), "tier": _("tier"),
    "status": _("status"), "source": _("source"), "address": _("address"), "region": _("region"),
    "phone": _("phone"), "email": _("email"), "website": _("website"), "credit_code": _("credit code"),
    "owner": _("owner"), "locked": _("locked"), "deal_status": _("deal"), "tags": _("tags"),
    "next_contact_at": _("next contact"), "last_followup_at": _("last follow-up"), "last_deal_at": _("last deal"),
    "owned_since": _("owned since"), "merged_into_id": _("merged into"), "created_at": _("created"),
    "updated_at": _("updated"),
}


def customer_row(customer, owners: dict[int, str], tags: list[str] | None = None) -> dict:
    return {"id": customer.id, "name": customer.name, "kind": customer.kind, "industry": customer.industry,
            "tier": customer.tier, "status": customer.status, "source": customer.source,
            "address": customer.address, "region": customer.region, "phone": customer.phone,
            "email": customer.email, "website": customer.website, "credit_code": customer.credit_code,
            "owner": owners.get(customer.owner_id), "locked": customer.locked, "deal_status": customer.deal_status,
            "tags": tags or [], "next_contact_at": customer.next_contact_at,
            "last_followup_at": customer.last_followup_at, "last_deal_at": customer.last_deal_at,
            "owned_since": customer.owned_since, "merged_into_id": customer.merged_into_id,
            "custom": customer.custom or {}, "created_at": customer.created_at, "updated_at": customer.updated_at}


def _show_record(customer, row: dict, data: dict) -> None:
    from crmcli.services import customers

    always = ("id", "name", "kind", "status", "owner", "locked")
    fields = [(k, label, row[k]) for k, label in _LABELS.items()
              if row.get(k) not in (None, [], {}) or k in always]
    coded = {"status": customers.STATUS_LABELS, "kind": customers.KIND_LABELS}
    fields = [(k, label, _(coded[k][v]) if k in coded and v in coded[k] else v) for k, label, v in fields]
    fields += [(f"custom.{k}", k, v) for k, v in (customer.custom or {}).items()]
    rt().out().record(fields, data=data)


def _show(session, view) -> None:
    """The 360 view: the record, its team, contacts, what later issues register, and the timeline."""
    from crmcli.output import Column
    from crmcli.services import contacts, customers

    customer = view.customer
    row = customer_row(customer, {customer.owner_id: view.owner}, view.tags)
    team = [{"login": u.login, "name": u.name, "access": access} for u, access in view.team]
    people = [{"id": c.id, "name": c.name, "role": c.role, "title": c.title, "mobile": c.mobile, "phone": c.phone,
               "email": c.email, "primary": c.is_primary, "status": c.status} for c in view.contacts]
    # a section the reader may not view (view.hidden) is left out of JSON too, not shown empty
    data = {**row, "team": team, **({} if "contacts" in view.hidden else {"contacts": people}), **view.related}
    _show_record(customer, row, data)
    out = rt().out()
    if out.fmt not in ("table", "plain"):
        return
    # a section only when it has rows, as contract show does (JSON always has the keys)
    if team:
        out.section(_("Team"))
        out.rows([Column("login", _("login")), Column("name", _("name")), Column("access", _("access"))], team)
    if people:
        out.section(_("Contacts"))
        out.rows([Column("id", "id", "right"), Column("name", _("name")), Column("role", _("role")),
                  Column("mobile", _("mobile")), Column("email", _("email")), Column("primary", _("primary")),
                  Column("status", _("status"), labels=contacts.STATUS_LABELS)], people)
    # Opportunities, contracts and payments: sections the pipeline and contract issues register
    # through customers.register_related(); each brings its own columns and rows.
    for name, related in customers.RELATED.items():
        if view.related.get(name):  # a registered section only when it has rows (JSON always has the key)
            out.section(_(related.title))
            out.rows([Column(key, _(label)) for key, label in related.columns], view.related[name])
    out.section(_("Timeline"))  # the customer's follow-ups and changes, and the follow-ups with its contacts
    out.rows([Column("at", _("time")), Column("who", _("who")), Column("summary", _("what"))],
             [{"at": e.at, "who": e.who, "summary": e.summary} for e in view.timeline])


def _values(**kwargs) -> dict:
    return {k: v for k, v in kwargs.items() if v is not None}


@app.command("add", help=_("Add a customer (owned by you unless --owner); a duplicate is refused with the id it "
                           "duplicates.\n\nExample: crm customer add 'Acme Ltd' --credit-code 914403001922038216"))
def add(
    name: str = typer.Argument(..., help=_("The company's or person's name.")),
    kind: str = typer.Option(None, "--kind", metavar="company|person", help=_("company (default) or person.")),
    industry: str = typer.Option(None, "--industry"), tier: str = typer.Option(None, "--tier", help=_("A, B, C …")),
    source: str = typer.Option(None, "--source", help=_("web, email, ads, event, content, phone, referral, outreach, other.")),
    address: str = typer.Option(None, "--address"), region: str = typer.Option(None, "--region"),
    phone: str = typer.Option(None, "--phone"), email: str = typer.Option(None, "--email"),
    website: str = typer.Option(None, "--website"),
    credit_code: str = typer.Option(None, "--credit-code", help=_("Unified social credit code (统一社会信用代码).")),
    tag: List[str] = typer.Option(None, "--tag", help=_("A tag (repeatable, or comma-separated).")),
    owner: str = typer.Option(None, "--owner", metavar="me|LOGIN"),
    next_contact: str = typer.Option(None, "--next", metavar="WHEN", help=_("When to contact next.")),
    set_: List[str] = typer.Option(None, "--set", metavar="FIELD=VALUE", help=_("A custom field value (repeatable).")),
    allow_duplicate: bool = typer.Option(False, "--allow-duplicate",
                                         help=_("Add it even if it looks like an existing customer (not for the same credit code).")),
) -> None:
    from crmcli.services import customers, fields

    with rt().transaction() as (s, me):
        customer = customers.add(s, me, _values(name=name, kind=kind, industry=industry, tier=tier, source=source,
                                                address=address, region=region, phone=phone, email=email,
                                                website=website, credit_code=credit_code),
                                 owner=owner, tags=tag, custom=fields.parse_assignments(set_ or []),
                                 next_contact=parse_when(next_contact), allow_duplicate=allow_duplicate)
        _show(s, customers.view(s, me, customer.id))


@app.command("list", help=_("List customers in your data scope (and those whose team you are on), newest first.\n\n"
                            "Example: crm customer list --tier A --status active --sort -last_followup"))
def list_(owner: OwnerOpt = None, status: StatusOpt = None, source: SourceOpt = None, tag: TagOpt = None,
          created: CreatedOpt = None, next_contact: NextContactOpt = None, search: SearchOpt = None,
          where: WhereOpt = None, sort: SortOpt = None, limit: LimitOpt = 50, after: AfterOpt = None,
          tier: Optional[List[str]] = typer.Option(None, "--tier", metavar="TIER", help=_("Only this tier (repeatable).")),
          kind: Optional[str] = typer.Option(None, "--kind", metavar="company|person", help=_("Only companies or only people.")),
          locked: Optional[bool] = typer.Option(None, "--locked/--unlocked", help=_("Only locked, or only unlocked customers.")),
          recycle_within: Optional[str] = typer.Option(None, "--recycle-within", metavar="DURATION",
                                                       help=_("Only customers the public pool recycles within this "
                                                              "time, e.g. 7d (adds the days-left columns).")),
          days_left: bool = typer.Option(False, "--days-left",
                                         help=_("Add when each customer would be recycled into the public pool, and why."))
          ) -> None:
    from crmcli.output import Column
    from crmcli.services import customers, records

    r = rt()
    opts = list_options(owner, status, source, tag, created, next_contact, search, where, sort, limit, after)
    within = None
    if recycle_within is not None:
        from crmcli import dates

        within = dates.parse_duration(recycle_within)
    with r.transaction(write=False) as (s, me):
        page = customers.page(s, me, opts, r.timezone(), tiers=tier, kind=kind, locked=locked, recycle_within=within)
        owners = customers.owner_logins(s, [c.owner_id for c in page.rows])
        tags = records.tags_for(s, "customer", [c.id for c in page.rows])
        rows = [customer_row(c, owners, tags.get(c.id)) for c in page.rows]
        if within is not None or days_left:
            from crmcli.services import pool_rules

            pool_rules.add_days_left(s, page.rows, rows)
    columns = [Column("id", "id", "right"), Column("name", _("name")), Column("tier", _("tier")),
               Column("status", _("status"), labels=customers.STATUS_LABELS), Column("owner", _("owner")),
               Column("phone", _("phone")), Column("locked", _("locked")),
               Column("last_followup_at", _("last follow-up")), Column("next_contact_at", _("next contact")),
               Column("created_at", _("created"))]
    if within is not None or days_left:
        from crmcli.services import pool_rules

        columns[-3:] = [Column("last_followup_at", _("last follow-up")), Column("recycle_at", _("recycled at")),
                        Column("days_left", _("days left"), "right"),
                        Column("recycle_reason", _("why"), labels=pool_rules.REASON_LABELS)]
    r.out().rows(columns, rows)
    announce_next_page(page.next_cursor)


@app.command("show", help=_("Show a customer's 360 view: fields, team, contacts and timeline.\n\n"
                            "Example: crm customer show 12"))
def show(customer: str = typer.Argument(..., help=_("Customer id or name."))) -> None:
    from crmcli.services import customers

    with rt().transaction(write=False) as (s, me):
        _show(s, customers.view(s, me, customer))


@app.command("edit", help=_("Change a customer's fields, tags or custom fields (dedupe checks what changed).\n\n"
                            "Example: crm customer edit 12 --tier B --add-tag vip --set code=C39"))
def edit(
    customer: str = typer.Argument(..., help=_("Customer id or name.")),
    name: str = typer.Option(None, "--name"), kind: str = typer.Option(None, "--kind", metavar="company|person"),
    industry: str = typer.Option(None, "--industry"), tier: str = typer.Option(None, "--tier"),
    source: str = typer.Option(None, "--source"), address: str = typer.Option(None, "--address"),
    region: str = typer.Option(None, "--region"), phone: str = typer.Option(None, "--phone"),
    email: str = typer.Option(None, "--email"), website: str = typer.Option(None, "--website"),
    credit_code: str = typer.Option(None, "--credit-code"),
    add_tag: List[str] = typer.Option(None, "--add-tag", metavar="TAG"),
    remove_tag: List[str] = typer.Option(None, "--remove-tag", metavar="TAG"),
    next_contact: str = typer.Option(None, "--next", metavar="WHEN", help=_("When to contact next.")),
    no_next: bool = typer.Option(False, "--no-next", help=_("Clear the next contact time.")),
    set_: List[str] = typer.Option(None, "--set", metavar="FIELD=VALUE", help=_("A custom field value (empty clears it).")),
    allow_duplicate: bool = typer.Option(False, "--allow-duplicate", help=_("Keep the change even if it duplicates another customer.")),
) -> None:
    from crmcli.services import customers, fields

    with rt().transaction() as (s, me):
        updated = customers.edit(s, me, customer, _values(name=name, kind=kind, industry=industry, tier=tier,
                                                          source=source, address=address, region=region, phone=phone,
                                                          email=email, website=website, credit_code=credit_code),
                                 add_tags=add_tag, remove_tags=remove_tag, custom=fields.parse_assignments(set_ or []),
                                 next_contact=parse_when(next_contact), clear_next_contact=no_next,
                                 allow_duplicate=allow_duplicate)
        _show(s, customers.view(s, me, updated.id))


@app.command("tier", help=_("Set the tier (客户分级) of customers; 'none' clears it (batch, - for stdin).\n\n"
                            "Example: crm customer tier A 12 13"))
def tier(value: str = typer.Argument(..., metavar="TIER", help=_("A, B, C … or none.")),
         ids: List[str] = typer.Argument(..., metavar="IDS...")) -> None:
    from crmcli.services import customers

    with rt().transaction() as (s, me):
        done = customers.set_tier(s, me, read_ids(ids), value)
        shown = done[0].tier if done else None
    if shown:
        rt().message(_("{n} customers now have tier {tier}.").format(n=len(done), tier=shown))
    else:
        rt().message(_("{n} customers now have no tier.").format(n=len(done)))


@app.command("status", help=_("Move customers along the lifecycle: new, active, maintaining, inactive, closed "
                              "(batch).\n\nExample: crm customer status maintaining 12 13"))
def status(value: str = typer.Argument(..., metavar="STATUS", help=_("new, active, maintaining, inactive or closed.")),
           ids: List[str] = typer.Argument(..., metavar="IDS...")) -> None:
    from crmcli.services import customers

    with rt().transaction() as (s, me):
        done = customers.set_status(s, me, read_ids(ids), value)
        label = _(customers.STATUS_LABELS[done[0].status])
    rt().message(_("{n} customers are now {status}.").format(n=len(done), status=label))


@app.command("follow", help=_("Log a follow-up (跟进) on a customer; --next sets when to contact again.\n\n"
                              "Example: crm customer follow 12 --via visit --note '拜访采购部' --next +7d"))
def follow(
    customer: Annotated[str, typer.Argument(help=_("Customer id or name."))],
    via: ViaOpt,
    note: NoteOpt,
    at: AtOpt = None,
    next_contact: NextOpt = None,
) -> None:
    from crmcli.services import customers

    with rt().transaction() as (s, me):
        entry = customers.follow(s, me, customer, via, note, parse_when(at), parse_when(next_contact))
    rt().message(_("Logged follow-up {id} on customer {customer}.").format(id=entry.id, customer=entry.record_id))


@app.command("transfer", help=_(
    "Transfer customers to another user (转移; batch, all-or-nothing; - reads ids from stdin). "
    "--with-contacts moves their contacts too; --with-opportunities and --with-contracts move their "
    "opportunities and contracts once those records exist (until then they move nothing); "
    "--keep-member keeps the previous owner on the team.\n\n"
    "Example: crm customer transfer 12 13 --to liqiang --keep-member read"))
def transfer(ids: List[str] = typer.Argument(..., metavar="IDS..."),
             to: str = typer.Option(..., "--to", metavar="LOGIN"),
             with_contacts: bool = typer.Option(False, "--with-contacts", help=_("Move the customers' contacts too.")),
             with_opportunities: bool = typer.Option(False, "--with-opportunities",
                                                     help=_("Move their opportunities too (once opportunities exist).")),
             with_contracts: bool = typer.Option(False, "--with-contracts",
                                                 help=_("Move their contracts too (once contracts exist).")),
             keep_member: str = typer.Option(None, "--keep-member", metavar="read|write",
                                             help=_("Keep the previous owner on the team with this access.")),
             reason: str = typer.Option(None, "--reason"),
             dry_run: bool = typer.Option(False, "--dry-run", help=_("Check and report, but change nothing."))) -> None:
    from crmcli.output import Column
    from crmcli.services import customers

    r = rt()
    with r.transaction(write=not dry_run) as (s, me):
        result = customers.transfer(s, me, read_ids(ids), to, with_contacts=with_contacts,
                                    with_opportunities=with_opportunities, with_contracts=with_contracts,
                                    keep_member=keep_member, reason=reason)
    if r.output_format() == "ids":
        r.out().rows([Column("id", "id")], [{"id": c.id} for c in result.customers])
    text = _("{n} customers now belong to {login}.") if not dry_run else _("{n} customers would go to {login} (dry run).")
    r.message(text.format(n=len(result.customers), login=result.owner.login))
    if result.moved:
        names = {"contacts": _("contacts"), "opportunities": _("opportunities"), "contracts": _("contracts")}
        r.message(_("Moved along: {what}.").format(what=", ".join(f"{n} {names[k]}" for k, n in result.moved.items())))


@app.command("lock", help=_("Lock customers: locked customers are never recycled into the public pool (batch).\n\n"
                            "Example: crm customer lock 12 13"))
def lock(ids: List[str] = typer.Argument(..., metavar="IDS...")) -> None:
    from crmcli.services import customers

    with rt().transaction() as (s, me):
        done = customers.set_locked(s, me, read_ids(ids), True)
    rt().message(_("{n} customers locked.").format(n=len(done)))


@app.command("unlock", help=_("Unlock customers, so the recycling rules apply to them again (batch).\n\n"
                              "Example: crm customer unlock 12"))
def unlock(ids: List[str] = typer.Argument(..., metavar="IDS...")) -> None:
    from crmcli.services import customers

    with rt().transaction() as (s, me):
        done = customers.set_locked(s, me, read_ids(ids), False)
    rt().message(_("{n} customers unlocked.").format(n=len(done)))


@app.command("dupes", help=_("List likely duplicate customers in your scope: the same credit code, name, phone or "
                             "email, or similar names (with a score).\n\nExample: crm customer dupes --min-score 90"))
def dupes(min_score: int = typer.Option(85, "--min-score", min=50, max=100, help=_("How alike names must be (50–100).")),
          no_fuzzy: bool = typer.Option(False, "--exact", help=_("Only exact key matches, no similar names.")),
          limit: int = typer.Option(100, "--limit", "-n", min=1, max=1_000_000, help=_("At most this many pairs."))) -> None:
    from crmcli.output import Column
    from crmcli.services import customers, dedupe

    with rt().transaction(write=False) as (s, me):
        pairs = customers.dupes(s, me, min_score=min_score, fuzzy=not no_fuzzy, limit=limit)
    rows = [{"id": p.a, "name": p.a_name, "other_id": p.b, "other_name": p.b_name,
             "reason": ", ".join(_(dedupe.KEY_LABELS[k]) for k in p.reasons) if rt().output_format() in ("table", "plain")
             else ",".join(p.reasons), "score": p.score} for p in pairs]
    rt().out().rows([Column("id", "id", "right"), Column("name", _("name")), Column("other_id", _("other"), "right"),
                     Column("other_name", _("other name")), Column("reason", _("why")),
                     Column("score", _("score"), "right")], rows)


@app.command("merge", help=_("Merge customer DROP into KEEP: contacts, follow-ups, tags, team and the rest move to "
                             "KEEP; DROP is marked merged. Differing field values are shown and the merge refused "
                             "unless --prefer keep|drop.\n\nExample: crm customer merge 12 15 --prefer keep"))
def merge(keep: str = typer.Argument(..., metavar="KEEP", help=_("The customer that stays.")),
          drop: str = typer.Argument(..., metavar="DROP", help=_("The duplicate that goes into KEEP.")),
          prefer: str = typer.Option(None, "--prefer", metavar="keep|drop", help=_("Whose values win where they differ.")),
          dry_run: bool = typer.Option(False, "--dry-run", help=_("Show the plan, change nothing."))) -> None:
    from crmcli.output import Column
    from crmcli.services import merge as merging

    r = rt()
    if not dry_run and not r.confirm(_("Merge customer {drop} into {keep}?").format(drop=drop, keep=keep)):
        raise typer.Exit(1)
    with r.transaction(write=not dry_run) as (s, me):
        result = merging.merge(s, me, keep, drop, prefer=prefer, dry_run=dry_run)
    if dry_run:
        r.out().rows([Column("field", _("field")), Column("keep", _("keep")), Column("drop", _("drop")),
                      Column("result", _("takes"))], result.rows())
        r.message(_("Dry run: nothing changed."))
        return
    if r.output_format() == "ids":
        r.out().rows([Column("id", "id")], [{"id": result.keep.id}])
    moved = ", ".join(f"{n} {_(merging.MOVED_LABELS[k]) if k in merging.MOVED_LABELS else k}"
                      for k, n in result.moved.items() if n) or _("nothing")
    r.message(_("Merged customer {drop} into {keep} (moved: {moved}).").format(
        drop=result.drop.id, keep=result.keep.id, moved=moved))


# --- team ----------------------------------------------------------------------------------------


@team_app.command("add", help=_("Add a user to a customer's team, or change their access."))
def team_add(customer: str = typer.Argument(..., help=_("Customer id or name.")),
             login: str = typer.Argument(..., metavar="LOGIN"),
             access: str = typer.Option("read", "--access", metavar="read|write", help=_("read (default) or write."))) -> None:
    from crmcli.services import customers

    with rt().transaction() as (s, me):
        member = customers.team_add(s, me, customer, login, access)
    rt().message(_("{login} is on the team of customer {id} with {access} access.").format(
        login=login, id=member.record_id, access=member.access))


@team_app.command("remove", help=_("Take a user off a customer's team."))
def team_remove(customer: str = typer.Argument(..., help=_("Customer id or name.")),
                login: str = typer.Argument(..., metavar="LOGIN")) -> None:
    from crmcli.services import customers

    with rt().transaction() as (s, me):
        customers.team_remove(s, me, customer, login)
    rt().message(_("{login} is off the team.").format(login=login))


@team_app.command("list", help=_("List a customer's team."))
def team_list(customer: str = typer.Argument(..., help=_("Customer id or name."))) -> None:
    from crmcli.output import Column
    from crmcli.services import customers

    with rt().transaction(write=False) as (s, me):
        found = customers.get(s, me, customer)
        rows = [{"login": u.login, "name": u.name, "access": a} for u, a in customers.team_of(s, found.id)]
    rt().out().rows([Column("login", _("login")), Column("name", _("name")), Column("access", _("access"))], rows)


from crmcli.commands._io import install as _install_io  # noqa: E402  (import and export: crm customer import|export)

_install_io(app, "customer")
