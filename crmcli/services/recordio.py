"""Import and export for each noun: the per-noun :class:`~crmcli.services.importer.Spec`, and export.

A spec names the fields a file may fill, checks a row with the noun's own rules (the
``clean_values`` its ``add`` uses), completes a new row (defaults, dedupe keys, timestamps),
fills in an existing record on ``--on-duplicate update``, and lists its dedupe keys.  Export
writes the same columns import reads — built-in fields, owner login, tags, then one column
per custom field — so exporting and importing into an empty database gives the records back.

A noun plugs in by adding a ``_<noun>_spec`` function to :data:`BUILDERS`.
"""

from __future__ import annotations

from datetime import tzinfo
from typing import Any, Callable, Iterator

from sqlalchemy import select
from sqlalchemy.orm import Session

from crmcli.errors import CrmError, ValidationError
from crmcli.i18n import _
from crmcli.services.access import Actor, require
from crmcli.services.importer import Context, DedupeKey, Spec, check_choice
from crmcli.services.normalise import email_key, phone_key

EXPORT_PAGE = 2000


def _text(values: dict[str, Any], name: str) -> Any:
    value = values.get(name)
    return value.strip() if isinstance(value, str) else value


# --- leads ----------------------------------------------------------------------------------


def _lead_spec() -> Spec:
    from crmcli.services import leads

    cleaned = frozenset(leads.TEXT_FIELDS + ("score",))

    def prepare(ctx: Context, given: dict[str, Any]) -> dict[str, Any]:
        values = leads.clean_values({k: v for k, v in given.items() if k in cleaned})
        if "status" in given:
            values["status"] = check_choice(given["status"], leads.STATUSES, _("status"))
        if "invalid_reason" in given:
            values["invalid_reason"] = _text(given, "invalid_reason") or None
        if "next_contact_at" in given:
            values["next_contact_at"] = ctx.when(given["next_contact_at"])
        if "created_at" in given:
            values["created_at"] = ctx.when(given["created_at"])
        if "converted_at" in given:
            values["converted_at"] = ctx.when(given["converted_at"])
        return values

    def complete(ctx: Context, values: dict[str, Any]) -> dict[str, Any]:
        row = {"status": "new", "score": 0, **values}
        customer = row.pop("customer_id", None)
        if customer is not None:  # a converted lead's customer (resolved: it exists and you may see it)
            if row["status"] != "converted":
                raise ValidationError(_("only a converted lead has a customer_id"),
                                      hint=_("leave customer_id empty, or set the status to converted"))
            row["customer_id"] = customer.id
            row["converted_at"] = row.get("converted_at") or ctx.now
        row["email_key"] = email_key(row.get("email"))
        row["phone_key"] = phone_key(row.get("mobile") or row.get("phone"))
        row["created_by"] = ctx.actor.id
        row["created_at"] = row.get("created_at") or ctx.now
        row["updated_at"] = ctx.now
        return row

    def check_new(ctx: Context, row: dict[str, Any]) -> None:
        if not row.get("name"):
            raise ValidationError(_("a lead needs a name"))
        if row["status"] == "invalid" and not row.get("invalid_reason"):
            raise ValidationError(_("an invalid lead needs a reason"), hint=_("fill in the invalid_reason column"))
        if row["status"] == "converted" and not row.get("customer_id"):
            raise ValidationError(_("a converted lead needs its customer"), hint=_(
                "give the customer's id in a customer_id column, or import the lead as new and run crm lead convert"))

    def apply(ctx: Context, lead: Any, values: dict[str, Any]) -> None:
        for key, value in values.items():
            setattr(lead, key, value)
        if "email" in values:
            lead.email_key = email_key(lead.email)
        if "phone" in values or "mobile" in values:
            lead.phone_key = phone_key(lead.mobile or lead.phone)

    def customer_of(session: Session, actor: Actor, ref: str) -> Any:
        from crmcli.services import customers

        return customers.get(session, actor, ref)

    def export_row(lead: Any, extra: dict[str, Any]) -> dict[str, Any]:
        row = {c: getattr(lead, c) for c in _LEAD_EXPORT if c not in ("owner", "tags")}
        row["owner"] = extra["logins"].get(lead.owner_id) if lead.owner_id else "none"  # none: in a pool
        row["tags"] = extra["tags"].get(lead.id, [])
        return row

    return Spec(
        noun="lead", kind=leads.LEAD, listing=leads.LISTING,
        fields=leads.TEXT_FIELDS + ("score", "status", "invalid_reason", "next_contact_at", "created_at",
                                    "converted_at"),
        extras=("owner", "tags", "customer_id"), resolvers={"customer_id": customer_of},
        prepare=prepare, complete=complete, check_new=check_new, apply=apply,
        label=lambda row: f"{row['name']} ({row['company']})" if row.get("company") else row["name"],
        resolve_owner=leads.resolve_owner,
        dedupe={"email": DedupeKey("email_key", lambda row: row.get("email_key")),
                "phone": DedupeKey("phone_key", lambda row: row.get("phone_key")),
                "name": DedupeKey("name", lambda row: row.get("name"))},
        read_only=("id", "updated_at", "last_followup_at", "contact_id",
                   "opportunity_id", "owned_since", "created_by", "email_key", "phone_key"),
        not_updated=("status", "invalid_reason", "created_at", "converted_at", "customer_id"),
        logged=leads.LOGGED,
        export_columns=_LEAD_EXPORT, export_row=export_row,
    )


_LEAD_EXPORT = ("id", "name", "company", "title", "phone", "mobile", "email", "website", "address", "region",
                "industry", "source", "campaign", "score", "status", "invalid_reason", "owner", "tags",
                "next_contact_at", "last_followup_at", "converted_at", "customer_id", "contact_id", "created_at",
                "updated_at")


# --- customers ------------------------------------------------------------------------------------


_CUSTOMER_EXPORT = ("id", "name", "kind", "industry", "tier", "status", "source", "address", "region", "phone", "email",
                    "website", "credit_code", "owner", "tags", "locked", "deal_status", "next_contact_at",
                    "last_followup_at", "last_deal_at", "created_at", "updated_at")


def _customer_spec() -> Spec:
    from crmcli.services import customers
    from crmcli.services.normalise import default_region, name_key

    cleaned = frozenset(customers.TEXT_FIELDS)

    def prepare(ctx: Context, given: dict[str, Any]) -> dict[str, Any]:
        values = customers.clean_values({k: v for k, v in given.items() if k in cleaned}, ctx.region)
        if "status" in given:
            values["status"] = check_choice(given["status"], customers.STATUSES, _("status"))
        for name in ("next_contact_at", "created_at"):
            if name in given:
                values[name] = ctx.when(given[name])
        return values

    def complete(ctx: Context, values: dict[str, Any]) -> dict[str, Any]:
        row = {"kind": "company", "status": "new", **values}
        row["name_key"] = name_key(row.get("name"))
        row["phone_key"] = phone_key(row.get("phone"), ctx.region)
        row["email_key"] = email_key(row.get("email"))
        row["created_by"] = ctx.actor.id
        row["created_at"] = row.get("created_at") or ctx.now
        row["updated_at"] = ctx.now
        return row

    def check_new(ctx: Context, row: dict[str, Any]) -> None:
        if not row.get("name"):
            raise ValidationError(_("a customer needs a name"))

    def apply(ctx: Context, customer: Any, values: dict[str, Any]) -> None:
        for key, value in values.items():
            setattr(customer, key, value)
        keys = customers.keys_of(customer, ctx.region)
        customer.name_key, customer.phone_key, customer.email_key = keys["name"], keys["phone"], keys["email"]

    def resolve_owner(session: Session, actor: Actor, owner: str | None) -> int:
        return customers.resolve_owner(session, actor, owner)

    def export_row(customer: Any, extra: dict[str, Any]) -> dict[str, Any]:
        row = {c: getattr(customer, c) for c in _CUSTOMER_EXPORT if c not in ("owner", "tags")}
        row["owner"] = extra["logins"].get(customer.owner_id) if customer.owner_id else "none"
        row["tags"] = extra["tags"].get(customer.id, [])
        return row

    def unmerged(table: Any) -> list[Any]:
        return [table.c.merged_into_id.is_(None)]

    def companies(table: Any) -> list[Any]:
        return [table.c.merged_into_id.is_(None), table.c.kind == "company"]

    return Spec(
        noun="customer", kind=customers.CUSTOMER, listing=customers.LISTING,
        fields=customers.TEXT_FIELDS + ("status", "next_contact_at", "created_at"),
        prepare=prepare, complete=complete, check_new=check_new, apply=apply, label=lambda row: row["name"],
        resolve_owner=resolve_owner,
        dedupe={"credit_code": DedupeKey("credit_code", lambda row: row.get("credit_code"), unmerged),
                "name": DedupeKey("name_key", lambda row: row.get("name_key") if row.get("kind") == "company" else None,
                                  companies),
                "phone": DedupeKey("phone_key", lambda row: row.get("phone_key"), unmerged),
                "email": DedupeKey("email_key", lambda row: row.get("email_key"), unmerged)},
        default_dedupe=("credit_code", "name", "phone", "email"), strong_dedupe=("credit_code",),
        read_only=("id", "locked", "deal_status", "last_followup_at", "last_deal_at", "owned_since", "merged_into_id",
                   "updated_at", "name_key", "phone_key", "email_key", "created_by"),
        not_updated=("status", "created_at", "kind"),
        logged=customers.LOGGED,
        export_columns=_CUSTOMER_EXPORT, export_row=export_row,
    )


# --- contacts ------------------------------------------------------------------------------------


_CONTACT_EXPORT = ("id", "name", "customer", "customer_id", "role", "title", "phone", "mobile", "email", "wechat",
                   "birthday", "address", "is_primary", "status", "owner", "tags", "next_contact_at",
                   "last_followup_at", "created_at", "updated_at")
_TRUE = {"true", "yes", "y", "1", "是", "on"}
_FALSE = {"false", "no", "n", "0", "否", "off", ""}


def _contact_spec() -> Spec:
    from datetime import date

    from crmcli.services import contacts, customers

    cleaned = frozenset(contacts.TEXT_FIELDS)

    def prepare(ctx: Context, given: dict[str, Any]) -> dict[str, Any]:
        values = contacts.clean_values({k: v for k, v in given.items() if k in cleaned}, ctx.region)
        if "status" in given:
            values["status"] = check_choice(given["status"], contacts.STATUSES, _("status"))
        if "birthday" in given:
            text = str(given["birthday"]).strip()
            try:
                values["birthday"] = contacts.check_birthday(date.fromisoformat(text))
            except ValueError:
                raise ValidationError(_("'{value}' is not a date (YYYY-MM-DD)").format(value=text)) from None
        if "is_primary" in given:
            flag = str(given["is_primary"]).strip().lower()
            if flag not in _TRUE | _FALSE:
                raise ValidationError(_("is_primary: '{value}' is not yes or no").format(value=given["is_primary"]))
            values["is_primary"] = flag in _TRUE
        for name in ("next_contact_at", "created_at"):
            if name in given:
                values[name] = ctx.when(given[name])
        return values

    def complete(ctx: Context, values: dict[str, Any]) -> dict[str, Any]:
        row = {"status": "new", "is_primary": False, **values}
        customer = row.pop("customer", None)
        if customer is not None:
            row["customer_id"], row["owner_id"] = customer.id, customer.owner_id
        row["email_key"] = email_key(row.get("email"))
        row["phone_key"] = phone_key(row.get("mobile") or row.get("phone"), ctx.region)
        row["created_by"] = ctx.actor.id
        row["created_at"] = row.get("created_at") or ctx.now
        row["updated_at"] = ctx.now
        return row

    def check_new(ctx: Context, row: dict[str, Any]) -> None:
        if not row.get("name"):
            raise ValidationError(_("a contact needs a name"))
        if row.get("customer_id") is None:
            raise ValidationError(_("a contact needs a customer"),
                                  hint=_("a customer column with the customer's id or name"))

    def apply(ctx: Context, contact: Any, values: dict[str, Any]) -> None:
        for key, value in values.items():
            if key != "is_primary":
                setattr(contact, key, value)
        keys = contacts.keys_of(contact, ctx.region)
        contact.email_key, contact.phone_key = keys["email"], keys["phone"]
        if values.get("is_primary") and not contact.is_primary:
            _set_primaries(ctx.session, {contact.customer_id: contact.id})

    def after_insert(ctx: Context, ids: list[int], rows: list[dict[str, Any]]) -> None:
        chosen = {row["customer_id"]: i for i, row in zip(ids, rows) if row.get("is_primary")}
        _set_primaries(ctx.session, chosen, {row["customer_id"] for row in rows})

    def customer_of(session: Session, actor: Actor, ref: str) -> Any:
        return customers.writable(session, actor, ref)

    def export_row(contact: Any, extra: dict[str, Any]) -> dict[str, Any]:
        row = {c: getattr(contact, c) for c in _CONTACT_EXPORT if c not in ("owner", "tags", "customer")}
        names = extra.setdefault("customers", {})
        if contact.customer_id not in names:
            names.update(contacts.customer_names(extra["session"], [contact.customer_id]))
        row["customer"] = names.get(contact.customer_id)
        row["owner"] = extra["logins"].get(contact.owner_id) if contact.owner_id else "none"
        row["tags"] = extra["tags"].get(contact.id, [])
        return row

    return Spec(
        noun="contact", kind=contacts.CONTACT, listing=contacts.LISTING,
        fields=contacts.TEXT_FIELDS + ("birthday", "is_primary", "status", "next_contact_at", "created_at"),
        extras=("tags", "customer"), resolvers={"customer": customer_of},
        prepare=prepare, complete=complete, check_new=check_new, apply=apply, label=lambda row: row["name"],
        resolve_owner=lambda session, actor, owner: None, after_insert=after_insert,
        dedupe={"email": DedupeKey("email_key", lambda row: row.get("email_key")),
                "phone": DedupeKey("phone_key", lambda row: row.get("phone_key"))},
        default_dedupe=("email", "phone"),
        read_only=("id", "customer_id", "owner", "last_followup_at", "updated_at", "email_key", "phone_key",
                   "created_by", "owner_id"),
        not_updated=("status", "created_at", "customer"),
        logged=contacts.LOGGED,
        export_columns=_CONTACT_EXPORT, export_row=export_row,
    )


def _set_primaries(session: Session, chosen: dict[int, int], customer_ids: set[int] | None = None) -> None:
    """One primary contact per customer, set-based: the chosen ones win; a customer left without one gets
    its oldest contact (as ``contact add`` makes the first contact primary)."""
    from sqlalchemy import Integer, cast, func, update

    from crmcli.store.models import Contact

    if chosen:
        session.execute(update(Contact).where(Contact.customer_id.in_(list(chosen)),
                                              Contact.id.not_in(list(chosen.values())), Contact.is_primary.is_(True))
                        .values(is_primary=False).execution_options(synchronize_session=False))
        session.execute(update(Contact).where(Contact.id.in_(list(chosen.values())))
                        .values(is_primary=True).execution_options(synchronize_session=False))
    if customer_ids:
        without = (select(func.min(Contact.id)).where(Contact.customer_id.in_(list(customer_ids)))
                   .group_by(Contact.customer_id).having(func.max(cast(Contact.is_primary, Integer)) == 0))
        session.execute(update(Contact).where(Contact.id.in_(without)).values(is_primary=True)
                        .execution_options(synchronize_session=False))


BUILDERS: dict[str, Callable[[], Spec]] = {"lead": _lead_spec, "customer": _customer_spec, "contact": _contact_spec}
_built: dict[str, Spec] = {}


def spec_for(noun: str) -> Spec:
    """The import/export spec of ``noun`` (built on first use)."""
    if noun not in _built:
        builder = BUILDERS.get(noun)
        if builder is None:
            raise CrmError(_("importing and exporting {noun} records is not available yet").format(noun=noun))
        _built[noun] = builder()
    return _built[noun]


# --- export ----------------------------------------------------------------------------------


def export_columns(session: Session, spec: Spec) -> list[str]:
    """The built-in columns, then one per custom field of the noun (in the order they were added)."""
    from crmcli.services import fields

    return list(spec.export_columns) + [n for n in fields.definitions(session, spec.noun)
                                        if n not in spec.export_columns]


def export_rows(session: Session, actor: Actor, spec: Spec, opts: Any, tz: tzinfo) -> Iterator[dict[str, Any]]:
    """Every record ``list`` would show for ``opts`` (all pages; ``opts.limit`` caps the total), as export rows.

    The permission and the filters are checked here, before the first row is handed out, so a
    bad export writes nothing.  Records are read a page at a time by keyset paging and let go
    after each page, so memory stays flat however many there are.  The default order is by id,
    so a re-import keeps it.
    """
    from dataclasses import replace

    from crmcli.services import filters
    from crmcli.store.models import User

    require(actor, f"{spec.kind.noun}.export")
    custom_names = [n for n in export_columns(session, spec) if n not in spec.export_columns]
    logins = dict(session.execute(select(User.id, User.login)).all())
    page_opts = replace(opts, sort=opts.sort or "id", limit=EXPORT_PAGE)
    if opts.limit is not None:
        page_opts.limit = min(EXPORT_PAGE, opts.limit)
    first = filters.select_page(session, actor, spec.listing, page_opts, tz)
    return _export_pages(session, actor, spec, page_opts, tz, first, opts.limit, custom_names, logins)


def _export_pages(session: Session, actor: Actor, spec: Spec, page_opts: Any, tz: tzinfo, page: Any,
                  remaining: int | None, custom_names: list[str], logins: dict[int, str]) -> Iterator[dict[str, Any]]:
    from crmcli.services import filters, records

    while True:
        tags = records.tags_for(session, spec.noun, [r.id for r in page.rows])
        extra = {"logins": logins, "tags": tags, "session": session}
        for record in page.rows:
            row = spec.export_row(record, extra)
            custom = record.custom or {}
            for name in custom_names:
                row[name] = custom.get(name)
            yield row
        session.expunge_all()
        if remaining is not None:
            remaining -= len(page.rows)
            if remaining <= 0:
                return
            page_opts.limit = min(EXPORT_PAGE, remaining)
        if page.next_cursor is None:
            return
        page_opts.after = page.next_cursor
        page = filters.select_page(session, actor, spec.listing, page_opts, tz)
