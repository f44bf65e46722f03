"""Contacts (联系人): the people at a customer.

Lifecycle: new → active → inactive → invalid (失效); an inactive or invalid contact
may become active again.  The first follow-up of a new contact makes it active; an
invalid contact takes no follow-ups.

**Visibility follows the customer.**  A contact's ``owner_id`` is set from its
customer's owner when it is added, and moves with ``crm customer transfer
--with-contacts``, a merge and a hand-over; a contact is visible to whoever's data
scope covers that owner, and to the members of its customer's team (read members
read, write members change).  A transfer *without* ``--with-contacts`` leaves the
contacts with the previous owner, as in other CRMs.

Each customer has at most one **primary** contact: making one primary unsets the
others; the first contact added to a customer without one becomes primary.

**Dedupe** runs across all contacts of all customers (one email, one mobile, one
person), on the email and on the phone key — the mobile when there is one, else
the landline.  A duplicate is refused (exit 5) with the existing contact's id
unless ``--allow-duplicate``; see :mod:`crmcli.services.dedupe`.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from crmcli import clock
from crmcli.errors import Conflict, ValidationError
from crmcli.i18n import N_, _
from crmcli.services import audit, dedupe, fields, records, users
from crmcli.services.access import Actor, Kind, register_kind, require
from crmcli.services.filters import Listing, ListOptions, Page, select_page
from crmcli.services.normalise import check_email, default_region, email_key, phone_key
from crmcli.store.models import Contact, Customer

STATUSES = ("new", "active", "inactive", "invalid")
STATUS_LABELS = {"new": N_("new"), "active": N_("active"), "inactive": N_("inactive"), "invalid": N_("invalid")}
TRANSITIONS = {
    "new": ("active", "inactive", "invalid"),
    "active": ("inactive", "invalid"),
    "inactive": ("active", "invalid"),
    "invalid": ("active",),
}
TEXT_FIELDS = ("name", "role", "title", "phone", "mobile", "email", "wechat", "address")
LOGGED = TEXT_FIELDS + ("birthday", "is_primary", "status", "owner_id", "customer_id", "next_contact_at", "custom")


def label(contact: Contact) -> str:
    return contact.name


CONTACT = register_kind(Kind(name="contact", model=Contact, noun="contact", label=label, has_team=True,
                             team_type="customer", team_attr="customer_id", aliases=("contacts",)))

LISTING = Listing(
    kind=CONTACT, statuses=STATUSES, sources=None,
    sorts={"id": "id", "created": "created_at", "updated": "updated_at", "name": "name", "status": "status",
           "birthday": "birthday", "next_contact": "next_contact_at", "last_followup": "last_followup_at"},
    filterable=("name", "role", "title", "phone", "mobile", "email", "wechat", "address", "birthday", "customer_id"),
)


def check_status(status: str) -> str:
    value = (status or "").strip().lower()
    if value not in STATUSES:
        raise ValidationError(_("unknown status '{status}'").format(status=status),
                              hint=_("one of: {choices}").format(choices=", ".join(STATUSES)))
    return value


def check_birthday(value: date | None) -> date | None:
    if value is not None and (value > clock.now().date() or value.year < 1900):
        raise ValidationError(_("{date} is not a birthday").format(date=value.isoformat()),
                              hint=_("a date in the past, e.g. 1985-03-12"))
    return value


def clean_values(values: dict[str, Any], region: str | None = None) -> dict[str, Any]:
    """Check and normalise the built-in fields given (only those present)."""
    region = region or default_region()
    clean: dict[str, Any] = {}
    for key, value in values.items():
        if key not in TEXT_FIELDS:
            raise ValidationError(_("contacts have no field '{name}'").format(name=key))
        value = value.strip() if isinstance(value, str) else value
        value = value or None
        if key == "email":
            value = check_email(value)
        elif key in ("phone", "mobile") and value:
            phone_key(value, region)  # raises for something that is not a phone number
        clean[key] = value
    if "name" in clean and not clean["name"]:
        raise ValidationError(_("a contact needs a name"))
    return clean


def keys_of(contact: Contact, region: str | None = None) -> dict[str, str | None]:
    return {"email": email_key(contact.email), "phone": phone_key(contact.mobile or contact.phone,
                                                                  region or default_region())}


def _unset_other_primaries(session: Session, contact: Contact) -> None:
    session.execute(update(Contact).where(Contact.customer_id == contact.customer_id, Contact.id != contact.id,
                                          Contact.is_primary.is_(True))
                    .values(is_primary=False).execution_options(synchronize_session="fetch"))


def _has_primary(session: Session, customer_id: int) -> bool:
    return session.execute(select(func.count()).select_from(Contact).where(
        Contact.customer_id == customer_id, Contact.is_primary.is_(True))).scalar_one() > 0


def create(session: Session, actor: Actor, customer: Customer, clean: dict[str, Any], *, birthday: date | None = None,
           primary: bool = False, tags: list[str] | None = None, custom: dict[str, Any] | None = None,
           next_contact: Any = None, allow_duplicate: bool = False, action: str = "contact.add") -> Contact:
    """Insert a contact of ``customer`` from checked values (``add`` and lead conversion)."""
    require(actor, "contact.create")
    if not clean.get("name"):
        raise ValidationError(_("a contact needs a name"))
    now = clock.now()
    contact = Contact(**clean, customer_id=customer.id, owner_id=customer.owner_id, birthday=check_birthday(birthday),
                      created_by=actor.id, created_at=now, updated_at=now, next_contact_at=next_contact,
                      custom=fields.apply(session, "contact", None, custom or {}, creating=True))
    keys = keys_of(contact)
    contact.email_key, contact.phone_key = keys["email"], keys["phone"]
    matches = dedupe.contact_matches(session, keys)
    dedupe.refuse(session, actor, CONTACT, matches, allow=allow_duplicate)
    contact.is_primary = primary or not _has_primary(session, customer.id)
    session.add(contact)
    session.flush()
    if contact.is_primary:
        _unset_other_primaries(session, contact)
    _, tag_list = records.set_tags(session, "contact", contact.id, add=tags)
    logged = audit.snapshot(contact, LOGGED)
    logged["tags"] = tag_list or None
    if matches:
        logged["allowed_duplicate_of"] = sorted(dedupe.group(matches))
    audit.record(session, actor, action, "contact", contact.id, label(contact), audit.created(logged))
    return contact


def add(session: Session, actor: Actor, customer: Any, values: dict[str, Any], *, birthday: date | None = None,
        primary: bool = False, tags: list[str] | None = None, custom: dict[str, str] | None = None,
        next_contact: Any = None, allow_duplicate: bool = False) -> Contact:
    require(actor, "contact.create")
    clean = clean_values(values)
    from crmcli.services import customers

    return create(session, actor, customers.writable(session, actor, customer), clean, birthday=birthday,
                  primary=primary, tags=tags, custom=custom, next_contact=next_contact,
                  allow_duplicate=allow_duplicate)


def get(session: Session, actor: Actor, ref: Any, verb: str = "view") -> Contact:
    return records.get(session, actor, CONTACT, ref, verb, by_name=lambda t: Contact.name == t)


def edit(session: Session, actor: Actor, ref: Any, values: dict[str, Any], *, birthday: date | None = None,
         clear_birthday: bool = False, primary: bool = False, add_tags: list[str] | None = None,
         remove_tags: list[str] | None = None, custom: dict[str, str] | None = None, next_contact: Any = None,
         clear_next_contact: bool = False, allow_duplicate: bool = False) -> Contact:
    contact = get(session, actor, ref, "edit")
    clean = clean_values(values)
    before = audit.snapshot(contact, LOGGED)
    old_keys = keys_of(contact)
    for key, value in clean.items():
        setattr(contact, key, value)
    if birthday is not None:
        contact.birthday = check_birthday(birthday)
    elif clear_birthday:
        contact.birthday = None
    new_keys = keys_of(contact)
    contact.email_key, contact.phone_key = new_keys["email"], new_keys["phone"]
    changed = {k for k, v in new_keys.items() if v != old_keys[k]}
    if changed:  # only changed keys: an old duplicate, once allowed, does not block every later edit
        matches = [m for m in dedupe.contact_matches(session, new_keys, exclude_id=contact.id) if m.key in changed]
        dedupe.refuse(session, actor, CONTACT, matches, allow=allow_duplicate)
    if primary and not contact.is_primary:
        contact.is_primary = True
        _unset_other_primaries(session, contact)
    if custom:
        contact.custom = fields.apply(session, "contact", contact.custom, custom, creating=False)
    if next_contact is not None:
        contact.next_contact_at = next_contact
    elif clear_next_contact:
        contact.next_contact_at = None
    tags_before, tags_after = records.set_tags(session, "contact", contact.id, add=add_tags, remove=remove_tags)
    changes = audit.diff(before, audit.snapshot(contact, LOGGED))
    if tags_before != tags_after:
        changes["tags"] = [tags_before, tags_after]
    if changes:
        contact.updated_at = clock.now()
        audit.record(session, actor, "contact.edit", "contact", contact.id, label(contact), changes)
    return contact


def make_primary(session: Session, actor: Actor, ref: Any) -> Contact:
    """Make a contact its customer's primary contact (the previous one stops being primary)."""
    contact = get(session, actor, ref, "edit")
    if contact.customer_id is None:
        raise ValidationError(_("contact {id} belongs to no customer").format(id=contact.id))
    if not contact.is_primary:
        previous = list(session.execute(select(Contact.id).where(
            Contact.customer_id == contact.customer_id, Contact.is_primary.is_(True))).scalars())
        contact.is_primary = True
        contact.updated_at = clock.now()
        _unset_other_primaries(session, contact)
        audit.record(session, actor, "contact.primary", "contact", contact.id, label(contact),
                     {"is_primary": [False, True], "previous_primary": [previous[0] if previous else None, None]})
    return contact


def _batch(session: Session, actor: Actor, refs: list[str], verb: str) -> list[Contact]:
    if not refs:
        raise ValidationError(_("name at least one contact"))
    from crmcli.services import locking

    return locking.lock_batch(session, refs, lambda ref: get(session, actor, ref, verb))


def set_status(session: Session, actor: Actor, refs: list[str], status: str) -> list[Contact]:
    """Move contacts along the lifecycle (batch); a move the lifecycle does not allow is a conflict."""
    value = check_status(status)
    contacts = _batch(session, actor, refs, "edit")
    for contact in contacts:
        if contact.status != value and value not in TRANSITIONS[contact.status]:
            raise Conflict(_("contact {id} is {status}: it cannot become {new}").format(
                id=contact.id, status=_(STATUS_LABELS[contact.status]), new=_(STATUS_LABELS[value])),
                hint=_("from {status}: {choices}").format(status=contact.status,
                                                          choices=", ".join(TRANSITIONS[contact.status])))
    for contact in contacts:
        if contact.status != value:
            audit.record(session, actor, "contact.status", "contact", contact.id, label(contact),
                         {"status": [contact.status, value]})
            contact.status = value
            contact.updated_at = clock.now()
    return contacts


def follow(session: Session, actor: Actor, ref: Any, via: str, note: str, at: Any = None, next_contact: Any = None):
    require(actor, "followup.create")  # the permission before the record's state
    contact = get(session, actor, ref, "view")
    if contact.status == "invalid":
        raise ValidationError(_("contact {id} is invalid: it takes no more follow-ups").format(id=contact.id))
    # the first follow-up makes a new contact active (set and logged in the follow-up's log row)
    entry = records.follow(session, actor, CONTACT, contact, via, note, at, next_contact,
                           status="active" if contact.status == "new" else None)
    # following up a customer's person follows up the customer: its clock (which the public pool's
    # recycling reads) moves too, and the customer's 360 timeline shows the entry
    customer = session.get(Customer, contact.customer_id) if contact.customer_id is not None else None
    if customer is not None and (customer.last_followup_at is None or entry.at > customer.last_followup_at):
        customer.last_followup_at = entry.at
    return entry


# --- lists ----------------------------------------------------------------------------------------


def customer_names(session: Session, ids: list[int | None]) -> dict[int, str]:
    """Name of each customer id (for contact rows)."""
    wanted = sorted({i for i in ids if i})
    if not wanted:
        return {}
    return dict(session.execute(select(Customer.id, Customer.name).where(Customer.id.in_(wanted))).all())


def of_customer(session: Session, actor: Actor, customer_id: int) -> list[Contact]:
    """A customer's contacts that the actor sees, the primary one first."""
    from crmcli.services.access import visible_clause

    return list(session.execute(select(Contact).where(Contact.customer_id == customer_id, visible_clause(actor, CONTACT))
                                .order_by(Contact.is_primary.desc(), Contact.id)).scalars())


def page(session: Session, actor: Actor, opts: ListOptions, tz: Any, *, customer: Any = None,
         primary: bool | None = None) -> Page:
    """One page of contacts in the actor's scope; ``customer`` narrows to one customer's."""
    require(actor, "contact.view")
    listing = LISTING
    if customer is not None or primary is not None:
        from crmcli.services import customers

        customer_id = customers.get(session, actor, customer).id if customer is not None else None

        def extra(query: Any, _opts: ListOptions) -> Any:
            if customer_id is not None:
                query = query.where(Contact.customer_id == customer_id)
            if primary is not None:
                query = query.where(Contact.is_primary.is_(primary))
            return query

        listing = replace(LISTING, extra=extra)
    return select_page(session, actor, listing, opts, tz)


# --- lead conversion --------------------------------------------------------------------------------


def for_lead(session: Session, actor: Actor, lead: Any, customer: Customer) -> tuple[Contact, bool]:
    """The contact a converted lead becomes: an existing contact of ``customer`` with the lead's email
    or phone (returned with ``False``), or a new one from the lead's person fields (``True``).

    A match on another customer's contact is a duplicate (exit 5).
    """
    clean = clean_values({"name": lead.name, "title": lead.title, "phone": lead.phone, "mobile": lead.mobile,
                          "email": lead.email})
    probe = Contact(**clean)
    matches = dedupe.contact_matches(session, keys_of(probe))
    for record_id in dedupe.group(matches):
        existing = session.get(Contact, record_id)
        if existing.customer_id == customer.id:
            return existing, False
    dedupe.refuse(session, actor, CONTACT, matches, allow=False)
    return create(session, actor, customer, clean, action="contact.add"), True


# --- hand-over when a user is disabled ----------------------------------------------------------------


def count_owned(session: Session, user_id: int) -> int:
    return session.execute(select(func.count()).select_from(Contact).where(Contact.owner_id == user_id)).scalar_one()


def hand_over(session: Session, actor: Actor, from_id: int, to_id: int) -> int:
    """Move a disabled user's contacts (one statement) and log it once per contact."""
    ids = list(session.execute(select(Contact.id).where(Contact.owner_id == from_id)).scalars())
    if not ids:
        return 0
    session.execute(update(Contact).where(Contact.id.in_(ids)).values(owner_id=to_id, updated_at=clock.now())
                    .execution_options(synchronize_session="fetch"))
    audit.record_many(session, [
        {"actor_id": actor.id or None, "actor_login": actor.login, "action": "contact.handover",
         "record_type": "contact", "record_id": i, "changes": {"owner_id": [from_id, to_id]}} for i in ids])
    return len(ids)


users.register_handover("contact", count_owned, hand_over)
