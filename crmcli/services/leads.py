"""Leads (线索): add, edit, follow up, assign/transfer, qualify, invalidate.

Lifecycle: new → qualifying → converted | invalid (with a reason).  A converted
or invalid lead takes no more follow-ups, edits of its lifecycle, or
conversion.  Batch verbs are all-or-nothing: every id is checked first, and
one bad id aborts the whole batch with nothing written.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from crmcli import clock
from crmcli.errors import Conflict, PermissionDenied, ValidationError
from crmcli.i18n import N_, _
from crmcli.services import audit, fields, records, users
from crmcli.services.access import Actor, Kind, register_kind, require
from crmcli.services.filters import Listing
from crmcli.services.normalise import check_email, email_key, phone_key
from crmcli.store.models import Lead

STATUSES = ("new", "qualifying", "converted", "invalid")
STATUS_LABELS = {"new": N_("new"), "qualifying": N_("qualifying"), "converted": N_("converted"),
                 "invalid": N_("invalid")}
SOURCES = ("web", "email", "ads", "event", "content", "phone", "referral", "outreach", "other")
SOURCE_LABELS = {"web": N_("web form"), "email": N_("email"), "ads": N_("advertising"),
                 "event": N_("event / seminar / expo"), "content": N_("content download"),
                 "phone": N_("phone inquiry"), "referral": N_("referral"), "outreach": N_("cold outreach"),
                 "other": N_("other")}
TEXT_FIELDS = ("name", "company", "title", "phone", "mobile", "email", "website", "address", "region",
               "industry", "source", "campaign")
LOGGED = TEXT_FIELDS + ("score", "status", "owner_id", "next_contact_at", "invalid_reason", "custom")
CLOSED = ("converted", "invalid")


def _label(lead: Lead) -> str:
    return f"{lead.name} ({lead.company})" if lead.company else lead.name


LEAD = register_kind(Kind(name="lead", model=Lead, noun="lead", label=_label, aliases=("leads",)))

LISTING = Listing(
    kind=LEAD, statuses=STATUSES, sources=SOURCES,
    sorts={"id": "id", "created": "created_at", "updated": "updated_at", "name": "name", "company": "company",
           "next_contact": "next_contact_at", "score": "score", "status": "status"},
    filterable=("name", "company", "title", "region", "industry", "campaign", "email", "phone", "mobile",
                "score", "website", "address"),
)


def check_source(source: str | None) -> str | None:
    if source is None or not source.strip():
        return None
    value = source.strip().lower()
    if value not in SOURCES:
        raise ValidationError(_("unknown source '{source}'").format(source=source),
                              hint=_("one of: {choices}").format(choices=", ".join(SOURCES)))
    return value


def check_score(score: Any) -> int:
    try:
        value = int(score)
    except (TypeError, ValueError):
        raise ValidationError(_("the score must be a whole number from 0 to 100")) from None
    if not 0 <= value <= 100:
        raise ValidationError(_("the score must be a whole number from 0 to 100"))
    return value


_TEXT = frozenset(TEXT_FIELDS)


def clean_values(values: dict[str, Any], region: str = "CN") -> dict[str, Any]:
    """Check and normalise the built-in fields given (only those present).

    It runs once per row of an import, so the common case (a plain text field) is decided
    by one set look-up.
    """
    clean: dict[str, Any] = {}
    for key, value in values.items():
        if key in _TEXT:
            if isinstance(value, str):
                value = value.strip()
            value = value or None
            if key == "email":
                value = check_email(value)
            elif key == "source":
                value = check_source(value)
            elif value and (key == "mobile" or key == "phone"):
                phone_key(value, region)  # raises for something that is not a phone number
        elif key == "score":
            value = check_score(value)
        clean[key] = value
    if "name" in clean and not clean["name"]:
        raise ValidationError(_("a lead needs a name"))
    return clean


def resolve_owner(session: Session, actor: Actor, owner: str | None) -> int | None:
    """``me`` (default), a login in the actor's scope, or ``none`` for the lead pool."""
    if owner is None or owner == "me":
        return actor.id
    if owner in ("none", "pool", "-"):
        return None
    user = users.find_active(session, owner)
    ensure_in_scope(session, actor, user)
    return user.id


def ensure_in_scope(session: Session, actor: Actor, user: Any) -> None:
    """A record may be given only to someone the actor's data scope covers."""
    if user.id == actor.id or actor.scope_departments is None or user.department_id in actor.scope_departments:
        return
    raise ValidationError(_("{login} is outside your data scope").format(login=user.login),
                          hint=_("give it to someone in your departments, or ask their manager"))


def add(session: Session, actor: Actor, values: dict[str, Any], *, owner: str | None = None,
        tags: list[str] | None = None, custom: dict[str, str] | None = None,
        next_contact: Any = None) -> Lead:
    require(actor, "lead.create")
    clean = clean_values(values)
    if not clean.get("name"):
        raise ValidationError(_("a lead needs a name"))
    now = clock.now()
    owner_id = resolve_owner(session, actor, owner)
    lead = Lead(**clean, owner_id=owner_id, owned_since=now if owner_id else None, created_by=actor.id,
                created_at=now, updated_at=now, next_contact_at=next_contact,
                email_key=email_key(clean.get("email")),
                phone_key=phone_key(clean.get("mobile") or clean.get("phone")),
                custom=fields.apply(session, "lead", None, custom or {}, creating=True))
    session.add(lead)
    session.flush()
    _, tag_list = records.set_tags(session, "lead", lead.id, add=tags)
    logged = audit.snapshot(lead, LOGGED)
    logged["tags"] = tag_list or None
    audit.record(session, actor, "lead.add", "lead", lead.id, _label(lead), audit.created(logged))
    return lead


def get(session: Session, actor: Actor, ref: Any, verb: str = "view") -> Lead:
    return records.get(session, actor, LEAD, ref, verb, by_name=lambda t: Lead.name == t)


def edit(session: Session, actor: Actor, ref: Any, values: dict[str, Any], *, add_tags: list[str] | None = None,
         remove_tags: list[str] | None = None, custom: dict[str, str] | None = None,
         next_contact: Any = None, clear_next_contact: bool = False) -> Lead:
    lead = get(session, actor, ref, "edit")
    clean = clean_values(values)
    before = audit.snapshot(lead, LOGGED)
    for key, value in clean.items():
        setattr(lead, key, value)
    if "email" in clean:
        lead.email_key = email_key(lead.email)
    if "phone" in clean or "mobile" in clean:
        lead.phone_key = phone_key(lead.mobile or lead.phone)
    if custom:
        lead.custom = fields.apply(session, "lead", lead.custom, custom, creating=False)
    if next_contact is not None:
        lead.next_contact_at = next_contact
    elif clear_next_contact:
        lead.next_contact_at = None
    tags_before, tags_after = records.set_tags(session, "lead", lead.id, add=add_tags, remove=remove_tags)
    changes = audit.diff(before, audit.snapshot(lead, LOGGED))
    if tags_before != tags_after:
        changes["tags"] = [tags_before, tags_after]
    if changes:
        lead.updated_at = clock.now()
        audit.record(session, actor, "lead.edit", "lead", lead.id, _label(lead), changes)
    return lead


def follow(session: Session, actor: Actor, ref: Any, via: str, note: str, at: Any = None,
           next_contact: Any = None):
    lead = get(session, actor, ref, "view")
    if lead.status in CLOSED:
        raise ValidationError(_("lead {id} is {status}: it takes no more follow-ups").format(
            id=lead.id, status=_(STATUS_LABELS[lead.status])))
    return records.follow(session, actor, LEAD, lead, via, note, at, next_contact,
                          status="qualifying" if lead.status == "new" else None)


def _batch(session: Session, actor: Actor, refs: list[str], verb: str) -> list[Lead]:
    if not refs:
        raise ValidationError(_("name at least one lead"))
    from crmcli.services import locking

    return locking.lock_batch(session, refs, lambda ref: get(session, actor, ref, verb))


def transfer(session: Session, actor: Actor, refs: list[str], to: str, *, action: str = "transfer",
             reason: str | None = None) -> list[Lead]:
    """Give leads to another active user (``assign`` is the manager's verb; the same move)."""
    require(actor, f"lead.{action}")
    new_owner = users.find_active(session, to)
    if action == "assign":
        ensure_in_scope(session, actor, new_owner)
    leads = _batch(session, actor, refs, "view")
    from crmcli.services.access import can_change

    now = clock.now()
    for lead in leads:
        if lead.owner_id is not None and not can_change(session, actor, LEAD, lead):
            raise PermissionDenied(_("you may not change lead {id}").format(id=lead.id))
        if lead.owner_id == new_owner.id:
            continue
        before = lead.owner_id
        lead.owner_id = new_owner.id
        lead.owned_since = now
        lead.updated_at = now
        audit.record(session, actor, f"lead.{action}", "lead", lead.id, _label(lead),
                     {"owner_id": [before, new_owner.id]}, reason=reason)
    return leads


def _check_move(leads: list[Lead], to: str) -> None:
    """Already there: a conflict (exit 5); closed (converted or invalid): a rule broken (exit 6)."""
    for lead in leads:
        status = _(STATUS_LABELS[lead.status])
        if lead.status == to:
            raise Conflict(_("lead {id} is already {status}").format(id=lead.id, status=status))
        if lead.status in CLOSED:
            raise ValidationError(_("lead {id} is {status}: its status can no longer change").format(
                id=lead.id, status=status))


def qualify(session: Session, actor: Actor, refs: list[str]) -> list[Lead]:
    leads = _batch(session, actor, refs, "edit")
    _check_move(leads, "qualifying")
    for lead in leads:
        audit.record(session, actor, "lead.qualify", "lead", lead.id, _label(lead), {"status": [lead.status, "qualifying"]})
        lead.status = "qualifying"
        lead.updated_at = clock.now()
    return leads


def invalidate(session: Session, actor: Actor, refs: list[str], reason: str) -> list[Lead]:
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError(_("say why with --reason"))
    leads = _batch(session, actor, refs, "edit")
    _check_move(leads, "invalid")
    for lead in leads:
        changes: dict[str, Any] = {"status": [lead.status, "invalid"]}
        if lead.next_contact_at is not None:  # an invalid lead is contacted no more: log the cleared time
            changes["next_contact_at"] = [audit.snapshot(lead, ["next_contact_at"])["next_contact_at"], None]
        audit.record(session, actor, "lead.invalidate", "lead", lead.id, _label(lead), changes, reason=reason)
        lead.status = "invalid"
        lead.invalid_reason = reason
        lead.next_contact_at = None
        lead.updated_at = clock.now()
    return leads


@dataclass
class Conversion:
    """What one lead became: its customer (created, linked by dedupe, or given) and its contact."""

    lead: Lead
    customer: Any
    customer_action: str  # created | linked | given
    matched_by: list[str]  # dedupe keys that linked an existing customer
    contact: Any
    contact_created: bool
    opportunity: Any = None  # with --opportunity NAME


def convert(session: Session, actor: Actor, refs: list[str], customer: str | None = None, *,
            opportunity: str | None = None, amount: Any = None, currency: str | None = None,
            expected_close: Any = None) -> list[Conversion]:
    """Convert leads into a customer and a contact each (batch, all-or-nothing).

    The customer is ``customer`` when given; else an existing one that dedupe finds by the
    company name, phone or email (also through its contacts' phone and email): "linked"; else a
    new one from the lead's company fields.  The contact is that customer's contact with the
    lead's email or phone, or a new one from the lead's person fields.  The lead becomes
    ``converted`` and keeps links to both.  A converted lead is a conflict (exit 5); an invalid
    one broke the lifecycle (exit 6).  With ``opportunity`` (a name), each lead also becomes an
    opportunity of that name (``amount``, ``currency``, ``expected_close``) for its customer, with
    its contact, owned like the customer (:func:`crmcli.services.opportunities.for_lead`).
    """
    require(actor, "lead.convert")
    leads = _batch(session, actor, refs, "convert")
    for lead in leads:
        status = _(STATUS_LABELS[lead.status])
        if lead.status == "converted":
            raise Conflict(_("lead {id} is already {status}").format(id=lead.id, status=status))
        if lead.status == "invalid":
            raise ValidationError(_("lead {id} is {status}: its status can no longer change").format(
                id=lead.id, status=status))
    from crmcli.services import contacts, customers

    if opportunity is not None:
        require(actor, "opportunity.create")
        if not opportunity.strip():
            raise ValidationError(_("an opportunity needs a name"))
    elif amount is not None or currency is not None or expected_close is not None:
        raise ValidationError(_("--amount, --currency and --close go with --opportunity NAME"))

    given = customers.writable(session, actor, customer) if customer else None
    done: list[Conversion] = []
    for lead in leads:
        target, action, matched_by = customers.for_lead(session, actor, lead, given)
        contact, contact_created = contacts.for_lead(session, actor, lead, target)
        opp = None
        if opportunity is not None:
            from crmcli.services import opportunities

            opp = opportunities.for_lead(session, actor, lead, target, contact, opportunity, amount=amount,
                                         currency=currency, expected_close=expected_close)
        now = clock.now()
        changes: dict[str, Any] = {"status": [lead.status, "converted"], "customer_id": [lead.customer_id, target.id],
                                   "contact_id": [lead.contact_id, contact.id]}
        if opp is not None:
            changes["opportunity_id"] = [lead.opportunity_id, opp.id]
            lead.opportunity_id = opp.id
        if lead.next_contact_at is not None:  # a converted lead is contacted no more: log the cleared time
            changes["next_contact_at"] = [audit.snapshot(lead, ["next_contact_at"])["next_contact_at"], None]
        audit.record(session, actor, "lead.convert", "lead", lead.id, _label(lead), changes)
        lead.status, lead.converted_at, lead.updated_at = "converted", now, now
        lead.customer_id, lead.contact_id, lead.next_contact_at = target.id, contact.id, None
        done.append(Conversion(lead, target, action, matched_by, contact, contact_created, opp))
    return done


def count_owned(session: Session, user_id: int) -> int:
    return session.execute(select(func.count()).select_from(Lead).where(
        Lead.owner_id == user_id, Lead.status.not_in(CLOSED))).scalar_one()


def hand_over(session: Session, actor: Actor, from_id: int, to_id: int) -> int:
    """Move a disabled user's open leads (one statement) and log it once per lead."""
    from sqlalchemy import update

    ids = list(session.execute(select(Lead.id).where(Lead.owner_id == from_id, Lead.status.not_in(CLOSED))).scalars())
    if not ids:
        return 0
    now = clock.now()
    session.execute(update(Lead).where(Lead.id.in_(ids)).values(owner_id=to_id, owned_since=now, updated_at=now))
    audit.record_many(session, [
        {"actor_id": actor.id, "actor_login": actor.login, "action": "lead.handover", "record_type": "lead",
         "record_id": i, "changes": {"owner_id": [from_id, to_id]}} for i in ids])
    return len(ids)


users.register_handover("lead", count_owned, hand_over)
