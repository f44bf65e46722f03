"""Customers (客户): add, edit, tier, lifecycle, follow up, transfer, team, lock — and the 360 view.

Lifecycle: new → active → maintaining → inactive → closed (see :data:`TRANSITIONS`;
a closed customer may be reopened as active).  The first follow-up of a new
customer makes it active; a closed customer takes no follow-ups.

Every customer has an owner; its **team** (客户团队, table ``team_member``) holds
users who co-maintain it with read or write access and see it whatever their
data scope.  Managing the team needs ``customer.edit`` and a scope that covers
the customer (a write member may change the customer, not its team).

Dedupe (查重) on add and edit is :mod:`crmcli.services.dedupe`; merging is
:mod:`crmcli.services.merge`.  A merged customer (``merged_into_id`` set) can
still be shown by id, but is no longer listed, matched or changed.

Batch verbs are all-or-nothing: every id is checked first, one bad id aborts
the batch with nothing written.  Transfer and hand-over reset ``owned_since``,
the clock the public pool's recycling reads.

Later issues hang records off a customer (opportunities, contracts, payments):
they call :func:`register_related` so that transfer (``--with-opportunities``,
``--with-contracts``), merge and the 360 view include them.  Until they do,
those flags move nothing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from typing import Any, Callable

from sqlalchemy import and_, delete, exists, func, or_, select, update
from sqlalchemy.orm import Session, aliased

from crmcli import clock
from crmcli.errors import Conflict, PermissionDenied, ValidationError
from crmcli.i18n import N_, _
from crmcli.services import audit, dedupe, fields, records, users
from crmcli.services.access import Actor, Kind, can_change, can_see, in_scope, register_kind, require
from crmcli.services.filters import Listing, ListOptions, Page, select_page
from crmcli.services.leads import SOURCES, check_source, ensure_in_scope
from crmcli.services.normalise import check_email, credit_code, default_region, email_key, name_key, phone_key
from crmcli.store.models import Contact, Customer, FollowUp, TeamMember, User

STATUSES = ("new", "active", "maintaining", "inactive", "closed")
STATUS_LABELS = {"new": N_("new"), "active": N_("active"), "maintaining": N_("maintaining"),
                 "inactive": N_("inactive"), "closed": N_("closed")}
TRANSITIONS = {
    "new": ("active", "maintaining", "inactive", "closed"),
    "active": ("maintaining", "inactive", "closed"),
    "maintaining": ("active", "inactive", "closed"),
    "inactive": ("active", "maintaining", "closed"),
    "closed": ("active",),  # reopened
}
CUSTOMER_KINDS = ("company", "person")
KIND_LABELS = {"company": N_("company"), "person": N_("person")}
ACCESS = ("read", "write")
TEXT_FIELDS = ("name", "kind", "industry", "tier", "source", "address", "region", "phone", "email", "website",
               "credit_code")
LOGGED = TEXT_FIELDS + ("status", "owner_id", "locked", "next_contact_at", "custom")
_TIER = re.compile(r"^[^\s,]{1,16}$")


def label(customer: Customer) -> str:
    return customer.name


CUSTOMER = register_kind(Kind(name="customer", model=Customer, noun="customer", label=label, has_team=True,
                              aliases=("customers",)))


def _unmerged(query: Any, _opts: ListOptions) -> Any:
    return query.where(Customer.merged_into_id.is_(None))


LISTING = Listing(
    kind=CUSTOMER, statuses=STATUSES, sources=SOURCES,
    sorts={"id": "id", "created": "created_at", "updated": "updated_at", "name": "name", "tier": "tier",
           "status": "status", "next_contact": "next_contact_at", "last_followup": "last_followup_at",
           "owned_since": "owned_since"},
    filterable=("name", "kind", "industry", "tier", "region", "address", "phone", "email", "website", "credit_code",
                "source", "deal_status"),
    extra=_unmerged,
)


# --- what hangs off a customer (later issues register here) --------------------------------------


@dataclass
class Related:
    """A record type that belongs to a customer: opportunities, contracts, payments (later issues).

    * ``transfer(session, actor, customer_ids, new_owner_id) -> rows moved`` — ``customer transfer
      --with-<name>`` (only the flags ``opportunities`` and ``contracts`` exist);
    * ``merge(session, actor, drop_id, keep_id) -> rows moved`` — ``customer merge``;
    * ``rows(session, actor, customer_id) -> list[dict]`` with ``columns`` ((key, label) pairs) —
      a section of ``customer show``.
    * ``noun`` — the permission noun whose ``noun.view`` a reader needs to see the section (plans and
      payments: ``contract``).  Left out, it is the noun of the record kind named ``name``
      (``opportunities`` → ``opportunity``); a section whose noun is unknown is shown to nobody but
      super administrators.  :func:`view` leaves out every section the reader may not view, in the
      table and in JSON alike.
    """

    name: str  # plural, as in the flag: opportunities, contracts, payments
    title: str  # N_() section heading
    columns: tuple[tuple[str, str], ...] = ()
    rows: Callable[[Session, Actor, int], list[dict[str, Any]]] | None = None
    transfer: Callable[[Session, Actor, list[int], int], int] | None = None
    merge: Callable[[Session, Actor, int, int], int] | None = None
    noun: str | None = None


RELATED: dict[str, Related] = {}


def register_related(related: Related) -> None:
    RELATED[related.name] = related


def related_noun(related: Related) -> str | None:
    """The permission noun of a related section (see :class:`Related`)."""
    if related.noun:
        return related.noun
    from crmcli.services.access import KINDS

    kind = KINDS.get(related.name)
    return kind.noun if kind is not None else None


def may_view_related(actor: Actor, related: Related) -> bool:
    """The one check of the 360 view's sections: the reader holds the section's ``noun.view``."""
    noun = related_noun(related)
    return actor.is_super if noun is None else actor.can(f"{noun}.view")


def related_types() -> dict[str, Related]:
    """RELATED, after every capability's module has had its chance to register."""
    from crmcli.services.kinds import load_all

    load_all()
    return RELATED


# --- values ---------------------------------------------------------------------------------------


def check_tier(tier: str | None) -> str | None:
    if tier is None or not tier.strip() or tier.strip().lower() in ("none", "-"):
        return None
    value = tier.strip().upper()
    if not _TIER.match(value):
        raise ValidationError(_("'{tier}' is not a tier").format(tier=tier),
                              hint=_("a short code such as A, B or C (at most 16 characters, no spaces)"))
    return value


def check_kind(kind: str | None) -> str:
    value = (kind or "company").strip().lower()
    if value not in CUSTOMER_KINDS:
        raise ValidationError(_("unknown customer type '{kind}'").format(kind=kind),
                              hint=_("one of: {choices}").format(choices=", ".join(CUSTOMER_KINDS)))
    return value


def check_status(status: str) -> str:
    value = (status or "").strip().lower()
    if value not in STATUSES:
        raise ValidationError(_("unknown status '{status}'").format(status=status),
                              hint=_("one of: {choices}").format(choices=", ".join(STATUSES)))
    return value


def clean_values(values: dict[str, Any], region: str | None = None) -> dict[str, Any]:
    """Check and normalise the built-in fields given (only those present)."""
    region = region or default_region()
    clean: dict[str, Any] = {}
    for key, value in values.items():
        if key not in TEXT_FIELDS:
            raise ValidationError(_("customers have no field '{name}'").format(name=key))
        value = value.strip() if isinstance(value, str) else value
        value = value or None
        if key == "email":
            value = check_email(value)
        elif key == "phone" and value:
            phone_key(value, region)  # raises for something that is not a phone number
        elif key == "source":
            value = check_source(value)
        elif key == "tier":
            value = check_tier(value)
        elif key == "kind":
            value = check_kind(value)
        elif key == "credit_code":
            value = credit_code(value)
        clean[key] = value
    if "name" in clean and not clean["name"]:
        raise ValidationError(_("a customer needs a name"))
    return clean


def keys_of(customer: Customer, region: str | None = None) -> dict[str, str | None]:
    """The dedupe keys of a customer's current values."""
    return {"credit_code": customer.credit_code, "name": name_key(customer.name),
            "phone": phone_key(customer.phone, region or default_region()), "email": email_key(customer.email)}


def _set_keys(customer: Customer, region: str | None = None) -> None:
    keys = keys_of(customer, region)
    customer.name_key, customer.phone_key, customer.email_key = keys["name"], keys["phone"], keys["email"]


def resolve_owner(session: Session, actor: Actor, owner: str | None) -> int:
    """``me`` (default) or the login of an active user in the actor's data scope."""
    if owner is None or owner == "me":
        return actor.id
    user = users.find_active(session, owner)
    ensure_in_scope(session, actor, user)
    return user.id


# --- add, get, edit -------------------------------------------------------------------------------


def create(session: Session, actor: Actor, clean: dict[str, Any], owner_id: int, *, tags: list[str] | None = None,
           custom: dict[str, Any] | None = None, next_contact: Any = None, allow_duplicate: bool = False,
           action: str = "customer.add") -> Customer:
    """Insert a customer from checked values (``add`` and lead conversion), after the dedupe check."""
    require(actor, "customer.create")
    if not clean.get("name"):
        raise ValidationError(_("a customer needs a name"))
    now = clock.now()
    customer = Customer(**{"kind": "company", **clean}, owner_id=owner_id, owned_since=now, created_by=actor.id,
                        created_at=now, updated_at=now, next_contact_at=next_contact,
                        custom=fields.apply(session, "customer", None, custom or {}, creating=True))
    _set_keys(customer)
    matches = dedupe.customer_matches(session, keys_of(customer), kind=customer.kind)
    dedupe.refuse(session, actor, CUSTOMER, matches, allow=allow_duplicate)
    session.add(customer)
    session.flush()
    _, tag_list = records.set_tags(session, "customer", customer.id, add=tags)
    logged = audit.snapshot(customer, LOGGED)
    logged["tags"] = tag_list or None
    if matches:
        logged["allowed_duplicate_of"] = sorted(dedupe.group(matches))
    audit.record(session, actor, action, "customer", customer.id, label(customer), audit.created(logged))
    return customer


def add(session: Session, actor: Actor, values: dict[str, Any], *, owner: str | None = None,
        tags: list[str] | None = None, custom: dict[str, str] | None = None, next_contact: Any = None,
        allow_duplicate: bool = False) -> Customer:
    require(actor, "customer.create")
    clean = clean_values(values)
    return create(session, actor, clean, resolve_owner(session, actor, owner), tags=tags, custom=custom,
                  next_contact=next_contact, allow_duplicate=allow_duplicate)


def _by_name(text: str) -> Any:
    """The exact name, or else the same name key ("acme" finds "ACME Co., Ltd.")."""
    key = name_key(text)
    exact = Customer.name == text
    if key:
        other = aliased(Customer)
        no_exact = ~exists().where(other.name == text, other.merged_into_id.is_(None))
        exact = or_(exact, and_(Customer.name_key == key, no_exact))
    return and_(exact, Customer.merged_into_id.is_(None))


def get(session: Session, actor: Actor, ref: Any, verb: str = "view") -> Customer:
    """A customer by id or unambiguous name, within scope; a merged one only to look at."""
    customer = records.get(session, actor, CUSTOMER, ref, verb, by_name=_by_name)
    if verb != "view":
        ensure_unmerged(customer)
    return customer


def writable(session: Session, actor: Actor, ref: Any) -> Customer:
    """A customer that records are added to (a contact, a converted lead): visible, not merged, and
    changeable by the actor — its owner, someone whose scope covers the owner, or a write team member."""
    customer = get(session, actor, ref, "view")
    ensure_unmerged(customer)
    if not can_change(session, actor, CUSTOMER, customer):
        raise PermissionDenied(_("{login} may see but not change {kind} {label}").format(
            login=actor.login, kind="customer", label=label(customer)),
            hint=_("ask the owner for write access to the team"))
    return customer


def ensure_unmerged(customer: Customer) -> None:
    if customer.merged_into_id is not None:
        raise Conflict(_("customer {id} was merged into customer {into}").format(
            id=customer.id, into=customer.merged_into_id),
            hint=_("crm customer show {into}").format(into=customer.merged_into_id))


def edit(session: Session, actor: Actor, ref: Any, values: dict[str, Any], *, add_tags: list[str] | None = None,
         remove_tags: list[str] | None = None, custom: dict[str, str] | None = None, next_contact: Any = None,
         clear_next_contact: bool = False, allow_duplicate: bool = False) -> Customer:
    customer = get(session, actor, ref, "edit")
    clean = clean_values(values)
    before = audit.snapshot(customer, LOGGED)
    old_keys = keys_of(customer)
    for key, value in clean.items():
        setattr(customer, key, value)
    _set_keys(customer)
    new_keys = keys_of(customer)
    # only keys that changed are checked: an old duplicate, once allowed, does not block every later edit
    changed = {k for k, v in new_keys.items() if v != old_keys[k] or (k == "name" and "kind" in clean)}
    if changed:
        matches = [m for m in dedupe.customer_matches(session, new_keys, kind=customer.kind, exclude_id=customer.id)
                   if m.key in changed]
        dedupe.refuse(session, actor, CUSTOMER, matches, allow=allow_duplicate)
    if custom:
        customer.custom = fields.apply(session, "customer", customer.custom, custom, creating=False)
    if next_contact is not None:
        customer.next_contact_at = next_contact
    elif clear_next_contact:
        customer.next_contact_at = None
    tags_before, tags_after = records.set_tags(session, "customer", customer.id, add=add_tags, remove=remove_tags)
    changes = audit.diff(before, audit.snapshot(customer, LOGGED))
    if tags_before != tags_after:
        changes["tags"] = [tags_before, tags_after]
    if changes:
        customer.updated_at = clock.now()
        audit.record(session, actor, "customer.edit", "customer", customer.id, label(customer), changes)
    return customer


def _batch(session: Session, actor: Actor, refs: list[str], verb: str) -> list[Customer]:
    if not refs:
        raise ValidationError(_("name at least one customer"))
    from crmcli.services import locking

    return locking.lock_batch(session, refs, lambda ref: get(session, actor, ref, verb))


def set_tier(session: Session, actor: Actor, refs: list[str], tier: str | None) -> list[Customer]:
    """Set (or with ``none`` clear) the tier (客户分级) of customers (batch)."""
    value = check_tier(tier)
    customers = _batch(session, actor, refs, "edit")
    for customer in customers:
        if customer.tier != value:
            audit.record(session, actor, "customer.tier", "customer", customer.id, label(customer),
                         {"tier": [customer.tier, value]})
            customer.tier = value
            customer.updated_at = clock.now()
    return customers


def set_status(session: Session, actor: Actor, refs: list[str], status: str) -> list[Customer]:
    """Move customers along the lifecycle (batch); a move the lifecycle does not allow is a conflict."""
    value = check_status(status)
    customers = _batch(session, actor, refs, "edit")
    for customer in customers:
        if customer.status != value and value not in TRANSITIONS[customer.status]:
            raise Conflict(_("customer {id} is {status}: it cannot become {new}").format(
                id=customer.id, status=_(STATUS_LABELS[customer.status]), new=_(STATUS_LABELS[value])),
                hint=_("from {status}: {choices}").format(status=customer.status,
                                                          choices=", ".join(TRANSITIONS[customer.status])))
    for customer in customers:
        if customer.status != value:
            audit.record(session, actor, "customer.status", "customer", customer.id, label(customer),
                         {"status": [customer.status, value]})
            customer.status = value
            customer.updated_at = clock.now()
    return customers


def follow(session: Session, actor: Actor, ref: Any, via: str, note: str, at: Any = None, next_contact: Any = None):
    require(actor, "followup.create")  # the permission before the record's state
    customer = get(session, actor, ref, "view")
    ensure_unmerged(customer)
    if customer.status == "closed":
        raise ValidationError(_("customer {id} is closed: it takes no more follow-ups").format(id=customer.id),
                              hint=_("reopen it first: crm customer status active {id}").format(id=customer.id))
    # the first follow-up makes a new customer active (set and logged in the follow-up's log row)
    return records.follow(session, actor, CUSTOMER, customer, via, note, at, next_contact,
                          status="active" if customer.status == "new" else None)


# --- lock, transfer, team -------------------------------------------------------------------------


def set_locked(session: Session, actor: Actor, refs: list[str], locked: bool) -> list[Customer]:
    """Lock (exempt from recycling into the public pool) or unlock customers (batch)."""
    customers = _batch(session, actor, refs, "lock")
    for customer in customers:
        if customer.locked != locked:
            audit.record(session, actor, "customer.lock" if locked else "customer.unlock", "customer", customer.id,
                         label(customer), {"locked": [customer.locked, locked]})
            customer.locked = locked
            customer.updated_at = clock.now()
    return customers


@dataclass
class TransferResult:
    customers: list[Customer]
    owner: User
    moved: dict[str, int] = field(default_factory=dict)  # contacts / opportunities / contracts -> rows


def transfer(session: Session, actor: Actor, refs: list[str], to: str, *, with_contacts: bool = False,
             with_opportunities: bool = False, with_contracts: bool = False, keep_member: str | None = None,
             reason: str | None = None) -> TransferResult:
    """Give customers to another active user (batch, all-or-nothing).

    ``with_contacts`` moves every contact of those customers too; ``with_opportunities`` and
    ``with_contracts`` move what the pipeline and contract issues register (nothing until then).
    ``keep_member`` (read|write) keeps each previous owner on the customer's team.
    """
    require(actor, "customer.transfer")
    if keep_member is not None and keep_member not in ACCESS:
        raise ValidationError(_("unknown access '{access}'").format(access=keep_member),
                              hint=_("one of: {choices}").format(choices=", ".join(ACCESS)))
    new_owner = users.find_active(session, to)
    customers = _batch(session, actor, refs, "transfer")
    now = clock.now()
    result = TransferResult(customers, new_owner)
    moving = [c for c in customers if c.owner_id != new_owner.id]
    for customer in moving:
        before = customer.owner_id
        changes: dict[str, Any] = {"owner_id": [before, new_owner.id]}
        session.execute(delete(TeamMember).where(TeamMember.record_type == "customer",
                                                 TeamMember.record_id == customer.id,
                                                 TeamMember.user_id == new_owner.id))
        if keep_member and before is not None:
            _put_member(session, customer.id, before, keep_member, now)
            changes["team"] = [None, {_login(session, before): keep_member}]
        customer.owner_id = new_owner.id
        customer.owned_since = now
        customer.updated_at = now
        audit.record(session, actor, "customer.transfer", "customer", customer.id, label(customer), changes,
                     reason=reason)
    ids = [c.id for c in customers]
    if with_contacts:
        result.moved["contacts"] = move_contacts(session, actor, ids, new_owner.id, "contact.transfer")
    for flag, name in ((with_opportunities, "opportunities"), (with_contracts, "contracts")):
        if flag:
            related = related_types().get(name)
            result.moved[name] = related.transfer(session, actor, ids, new_owner.id) if related and related.transfer else 0
    return result


def move_contacts(session: Session, actor: Actor, customer_ids: list[int], owner_id: int, action: str) -> int:
    """Give every contact of these customers to ``owner_id`` (one UPDATE) and log each."""
    moved = session.execute(select(Contact.id, Contact.owner_id).where(
        Contact.customer_id.in_(customer_ids), Contact.owner_id.is_distinct_from(owner_id))).all()
    if not moved:
        return 0
    now = clock.now()
    session.execute(update(Contact).where(Contact.id.in_([i for i, _o in moved]))
                    .values(owner_id=owner_id, updated_at=now).execution_options(synchronize_session="fetch"))
    audit.record_many(session, [
        {"actor_id": actor.id or None, "actor_login": actor.login, "action": action, "record_type": "contact",
         "record_id": i, "changes": {"owner_id": [before, owner_id]}} for i, before in moved])
    return len(moved)


def _login(session: Session, user_id: int) -> str:
    user = session.get(User, user_id)
    return user.login if user else str(user_id)


def _put_member(session: Session, customer_id: int, user_id: int, access: str, now: Any) -> None:
    member = session.get(TeamMember, ("customer", customer_id, user_id))
    if member is None:
        session.add(TeamMember(record_type="customer", record_id=customer_id, user_id=user_id, access=access,
                               added_at=now))
    else:
        member.access = access


def _team_customer(session: Session, actor: Actor, ref: Any) -> Customer:
    customer = get(session, actor, ref, "edit")
    if not in_scope(session, actor, CUSTOMER, customer):
        raise PermissionDenied(_("{login} may not change the team of customer {label}").format(
            login=actor.login, label=label(customer)),
            hint=_("the owner, or someone whose data scope covers the owner, manages the team"))
    return customer


def team_add(session: Session, actor: Actor, ref: Any, login: str, access: str = "read") -> TeamMember:
    """Add a user to a customer's team (or change their access)."""
    if access not in ACCESS:
        raise ValidationError(_("unknown access '{access}'").format(access=access),
                              hint=_("one of: {choices}").format(choices=", ".join(ACCESS)))
    customer = _team_customer(session, actor, ref)
    user = users.find_active(session, login)
    if user.id == customer.owner_id:
        raise ValidationError(_("{login} owns customer {id}: the owner is not a team member").format(
            login=user.login, id=customer.id))
    member = session.get(TeamMember, ("customer", customer.id, user.id))
    if member is not None and member.access == access:
        return member
    before = member.access if member else None
    _put_member(session, customer.id, user.id, access, clock.now())
    audit.record(session, actor, "customer.team_add", "customer", customer.id, label(customer),
                 {f"team.{user.login}": [before, access]})
    session.flush()
    return session.get(TeamMember, ("customer", customer.id, user.id))


def team_remove(session: Session, actor: Actor, ref: Any, login: str) -> None:
    customer = _team_customer(session, actor, ref)
    user = users.find(session, login)
    member = session.get(TeamMember, ("customer", customer.id, user.id))
    if member is None:
        raise ValidationError(_("{login} is not on the team of customer {id}").format(login=user.login, id=customer.id))
    audit.record(session, actor, "customer.team_remove", "customer", customer.id, label(customer),
                 {f"team.{user.login}": [member.access, None]})
    session.delete(member)


def team_of(session: Session, customer_id: int) -> list[tuple[User, str]]:
    return [(u, a) for u, a in session.execute(
        select(User, TeamMember.access).join(TeamMember, TeamMember.user_id == User.id).where(
            TeamMember.record_type == "customer", TeamMember.record_id == customer_id).order_by(User.login)).all()]


# --- list and the 360 view ------------------------------------------------------------------------


def listing(tiers: list[str] | None = None, kind: str | None = None, locked: bool | None = None) -> Listing:
    """LISTING narrowed by ``--tier`` (any of), ``--kind`` and ``--locked``/``--unlocked``."""
    tier_values = [t for t in (check_tier(t) for t in tiers or []) if t]
    kind_value = check_kind(kind) if kind else None
    if not tier_values and kind_value is None and locked is None:
        return LISTING

    def extra(query: Any, opts: ListOptions) -> Any:
        query = _unmerged(query, opts)
        if tier_values:
            query = query.where(Customer.tier.in_(tier_values))
        if kind_value:
            query = query.where(Customer.kind == kind_value)
        if locked is not None:
            query = query.where(Customer.locked.is_(locked))
        return query

    return replace(LISTING, extra=extra)


def page(session: Session, actor: Actor, opts: ListOptions, tz: Any, *, tiers: list[str] | None = None,
         kind: str | None = None, locked: bool | None = None, recycle_within: Any = None) -> Page:
    """``recycle_within`` (a timedelta): only owned customers the public pool's rules recycle within it."""
    require(actor, "customer.view")
    chosen = listing(tiers, kind, locked)
    if recycle_within is not None:
        from crmcli.services import pool_rules

        due, inner = pool_rules.within_clause(session, recycle_within), chosen.extra
        chosen = replace(chosen, extra=lambda query, opts_: (inner(query, opts_) if inner else query).where(due))
    return select_page(session, actor, chosen, opts, tz)


def owner_logins(session: Session, ids: list[int | None]) -> dict[int, str]:
    """Login of each owner id (for list and show rows)."""
    wanted = sorted({i for i in ids if i})
    if not wanted:
        return {}
    return dict(session.execute(select(User.id, User.login).where(User.id.in_(wanted))).all())


def dupes(session: Session, actor: Actor, *, min_score: int = dedupe.DEFAULT_MIN_SCORE, fuzzy: bool = True,
          limit: int | None = 100) -> list[dedupe.Pair]:
    """Likely duplicate pairs among the customers the actor sees (``crm customer dupes``)."""
    require(actor, "customer.view")
    if not 50 <= min_score <= 100:
        raise ValidationError(_("--min-score must be between 50 and 100"))
    return dedupe.customer_pairs(session, actor, CUSTOMER, min_score=min_score, fuzzy=fuzzy, limit=limit)


@dataclass
class View:
    """Customer 360: the record and everything around it that the actor may see."""

    customer: Customer
    owner: str | None
    tags: list[str]
    team: list[tuple[User, str]]
    contacts: list[Contact]
    related: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # see register_related
    timeline: list[records.TimelineEntry] = field(default_factory=list)
    # sections left out because the reader may not view their noun ("contacts", related names)
    hidden: set[str] = field(default_factory=set)


def timeline(session: Session, customer_id: int, people: list[Contact], limit: int = 20) -> list[records.TimelineEntry]:
    """The customer's follow-ups and changes, and the follow-ups with its contacts (``people``), newest first."""
    entries = records.timeline(session, "customer", customer_id, limit)
    names = {c.id: c.name for c in people}
    if names:
        rows = session.execute(select(FollowUp, User.login).join(User, User.id == FollowUp.author_id).where(
            FollowUp.record_type == "contact", FollowUp.record_id.in_(sorted(names)))
            .order_by(FollowUp.at.desc()).limit(limit)).all()
        entries += [records.TimelineEntry(f.at, "followup", login,
                                          f"[{_(records.VIA_LABELS[f.via])}] {names[f.record_id]}: {f.content}",
                                          {"next_contact_at": f.next_contact_at, "contact_id": f.record_id})
                    for f, login in rows]
    return sorted(entries, key=lambda e: e.at, reverse=True)[:limit]


def view(session: Session, actor: Actor, ref: Any) -> View:
    from crmcli.services import contacts

    customer = get(session, actor, ref, "view")
    # each section only for a reader who may view its noun (contacts: contact.view; see Related)
    may_see_contacts = actor.can("contact.view")
    people = contacts.of_customer(session, actor, customer.id) if may_see_contacts else []
    sections = related_types()
    return View(customer=customer,
                owner=_login(session, customer.owner_id) if customer.owner_id is not None else None,
                tags=records.tags_of(session, "customer", customer.id),
                team=team_of(session, customer.id),
                contacts=people,
                related={name: r.rows(session, actor, customer.id) for name, r in sections.items()
                         if r.rows and may_view_related(actor, r)},
                timeline=timeline(session, customer.id, people),
                hidden={name for name, r in sections.items() if r.rows and not may_view_related(actor, r)}
                | (set() if may_see_contacts else {"contacts"}))


# --- lead conversion ------------------------------------------------------------------------------


def for_lead(session: Session, actor: Actor, lead: Any, given: Customer | None = None
             ) -> tuple[Customer, str, list[str]]:
    """The customer a converted lead goes to, and how: ``given`` (``--customer``), ``linked`` (an
    existing customer dedupe finds, with the keys that matched) or ``created``.

    Dedupe looks at the company name (a lead without a company is a person), the lead's phone,
    mobile and email, on customers and on their contacts.  Several candidates, or one the actor
    may not change, are a conflict (exit 5) naming them: ``--customer`` then says which.
    """
    if given is not None:
        return given, "given", []
    region = default_region()
    kind = "company" if lead.company else "person"
    name = lead.company or lead.name
    matches: list[dedupe.Match] = []
    for probe in ({"name": name_key(name)}, {"phone": phone_key(lead.phone, region)},
                  {"phone": phone_key(lead.mobile, region)}, {"email": email_key(lead.email)}):
        matches += dedupe.customer_matches(session, probe, kind=kind)
    contact_keys = {"email": email_key(lead.email), "phone": phone_key(lead.mobile or lead.phone, region)}
    for m in dedupe.contact_matches(session, contact_keys):
        customer_id = session.execute(select(Contact.customer_id).where(Contact.id == m.record_id)).scalar_one()
        if customer_id is not None:
            matches.append(dedupe.Match(customer_id, m.key))
    found = dedupe.group(sorted(matches, key=lambda m: m.record_id))
    if len(found) == 1:
        customer_id, why = next(iter(found.items()))
        customer = session.get(Customer, customer_id)
        if can_see(session, actor, CUSTOMER, customer) and can_change(session, actor, CUSTOMER, customer):
            return customer, "linked", list(dict.fromkeys(m.key for m in why))
        raise Conflict(_("lead {id} matches customer {record}, which you may not change").format(
            id=lead.id, record=dedupe.describe(session, actor, CUSTOMER, customer_id, why)),
            hint=_("ask its owner, or name one of your customers with --customer"))
    if found:
        shown = "; ".join(dedupe.describe(session, actor, CUSTOMER, i, ms) for i, ms in list(found.items())[:3])
        raise Conflict(_("lead {id} matches several customers: {records}").format(id=lead.id, records=shown),
                       hint=_("say which with --customer ID"))
    person = kind == "person"
    clean = clean_values({"name": name, "kind": kind, "industry": lead.industry, "source": lead.source,
                          "address": lead.address, "region": lead.region, "website": lead.website,
                          "phone": (lead.mobile or lead.phone) if person else lead.phone,
                          "email": lead.email if person else None}, region)
    customer = create(session, actor, clean, lead.owner_id or actor.id,
                      tags=records.tags_of(session, "lead", lead.id))
    return customer, "created", []


# --- hand-over when a user is disabled ------------------------------------------------------------


def count_owned(session: Session, user_id: int) -> int:
    return session.execute(select(func.count()).select_from(Customer).where(
        Customer.owner_id == user_id, Customer.merged_into_id.is_(None))).scalar_one()


def hand_over(session: Session, actor: Actor, from_id: int, to_id: int) -> int:
    """Move a disabled user's customers (one statement) and log it once per customer."""
    ids = list(session.execute(select(Customer.id).where(
        Customer.owner_id == from_id, Customer.merged_into_id.is_(None))).scalars())
    if not ids:
        return 0
    now = clock.now()
    session.execute(update(Customer).where(Customer.id.in_(ids)).values(owner_id=to_id, owned_since=now, updated_at=now)
                    .execution_options(synchronize_session="fetch"))
    session.execute(delete(TeamMember).where(TeamMember.record_type == "customer", TeamMember.record_id.in_(ids),
                                             TeamMember.user_id == to_id))
    audit.record_many(session, [
        {"actor_id": actor.id or None, "actor_login": actor.login, "action": "customer.handover",
         "record_type": "customer", "record_id": i, "changes": {"owner_id": [from_id, to_id]}} for i in ids])
    return len(ids)


users.register_handover("customer", count_owned, hand_over)
