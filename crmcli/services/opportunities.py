"""Opportunities (商机): add, edit, follow up, transfer, advance through the stages, win, lose, reopen.

Status is ``open`` until the opportunity is won or lost (``lost`` needs a reason); ``reopen``
brings it back.  Every change of stage — on creation too — is a :class:`StageChange` row
(from, to, who, when, and the kind of move: advance, skip, back, win, lose, reopen) that the
funnel, velocity and forecast reports read.  Advancing a won or lost opportunity is refused
(reopen it first); moving more than one stage forward (``skip``) or back is allowed and
recorded as such.

A won opportunity marks its customer as having a deal (``deal_status = won``,
``last_deal_at``), which the public pool's "no deal for M days" rule reads; reopening the
customer's only won opportunity clears it again.

Data scope is the owner's, as for leads; the customer's team members see its opportunities
too (and change them with write access).  An opportunity can only be added to a customer the
actor may change.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta, tzinfo
from decimal import Decimal
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from crmcli import clock, limits
from crmcli.errors import Conflict, ValidationError
from crmcli.i18n import N_, _
from crmcli.services import audit, pricing, records, stages, users
from crmcli.services.access import Actor, Kind, can_change, register_kind, require
from crmcli.services.filters import Listing, ListOptions, Page, select_page
from crmcli.services.leads import SOURCES, check_source, ensure_in_scope
from crmcli.store.models import Contact, Customer, User
from crmcli.store.models.pipeline import Opportunity, OpportunityContact, OpportunityProduct, Product, Stage, StageChange

STATUSES = ("open", "won", "lost")
STATUS_LABELS = {"open": N_("open"), "won": N_("won"), "lost": N_("lost")}
MOVES = ("create", "advance", "skip", "back", "win", "lose", "reopen")
MOVE_LABELS = {"create": N_("created"), "advance": N_("advanced"), "skip": N_("skipped ahead"),
               "back": N_("moved back"), "win": N_("won"), "lose": N_("lost"), "reopen": N_("reopened")}
CLOSING = ("this-month", "next-month", "this-quarter", "next-quarter", "this-year", "overdue")
LOGGED = ("name", "amount", "currency", "expected_close", "source", "owner_id", "next_contact_at", "custom")


def label(opp: Opportunity) -> str:
    return opp.name


OPPORTUNITY = register_kind(Kind(name="opportunity", model=Opportunity, noun="opportunity", label=label,
                                 has_team=True, team_type="customer", team_attr="customer_id",
                                 aliases=("opp", "opps", "opportunities")))

LISTING = Listing(
    kind=OPPORTUNITY, statuses=STATUSES, sources=SOURCES,
    sorts={"id": "id", "created": "created_at", "updated": "updated_at", "name": "name", "amount": "amount",
           "close": "expected_close", "stage_changed": "stage_changed_at", "next_contact": "next_contact_at",
           "status": "status"},
    filterable=("name", "amount", "currency", "expected_close", "source", "customer_id", "stage_id", "lost_reason"),
)


# --- values ---------------------------------------------------------------------------------------


def _check_name(name: Any) -> str:
    value = (name or "").strip() if isinstance(name, str) else name
    if not value:
        raise ValidationError(_("an opportunity needs a name"))
    if len(value) > 200:
        raise ValidationError(_("an opportunity name may be at most 200 characters"))
    return value


def resolve_owner(session: Session, actor: Actor, owner: str | None) -> int:
    """``me`` (default) or the login of an active user in the actor's data scope."""
    if owner is None or owner == "me":
        return actor.id
    user = users.find_active(session, owner)
    ensure_in_scope(session, actor, user)
    return user.id


def _contacts(session: Session, customer: Customer, refs: list[str] | None) -> list[Contact]:
    found: dict[int, Contact] = {}
    for ref in refs or []:
        for part in str(ref).split(","):
            text = part.strip().lstrip("#")
            if not text:
                continue
            query = select(Contact).where(Contact.customer_id == customer.id)
            query = query.where(Contact.id == (limits.as_id(text) or 0)) if text.isdigit() else query.where(Contact.name == text)
            matches = list(session.execute(query).scalars())
            if len(matches) != 1:
                raise ValidationError(_("customer {customer} has no contact '{ref}'").format(
                    customer=customer.name, ref=part.strip()) if not matches else
                    _("'{ref}' could mean several contacts of {customer}").format(ref=part.strip(),
                                                                                   customer=customer.name))
            found[matches[0].id] = matches[0]
    return list(found.values())


def _products(session: Session, refs: list[str] | None) -> list[tuple[Product, Decimal]]:
    """``CODE`` or ``CODE:QUANTITY`` (or ``CODE*QUANTITY``): products on sale, with quantities."""
    from crmcli.services import products

    found: dict[int, tuple[Product, Decimal]] = {}
    for ref in refs or []:
        for part in str(ref).split(","):
            text = part.strip()
            if not text:
                continue
            code, sep, qty = text.replace("*", ":").rpartition(":")
            if not sep:
                code, qty = qty, "1"
            product = products.get(session, code)
            products.ensure_on_sale(product)
            found[product.id] = (product, pricing.parse_quantity(qty))
    return list(found.values())


# --- add, get, edit -------------------------------------------------------------------------------


def create(session: Session, actor: Actor, customer: Customer, name: str, *, amount: Any = None,
           currency: str | None = None, expected_close: date | None = None, contacts: list[Contact] | None = None,
           products: list[tuple[Product, Decimal]] | None = None, source: str | None = None,
           owner_id: int | None = None, stage: Stage | None = None, next_contact: datetime | None = None,
           action: str = "opportunity.add", reason: str | None = None) -> Opportunity:
    """Insert an opportunity for a customer the caller has checked (add, lead conversion)."""
    require(actor, "opportunity.create")
    name = _check_name(name)
    currency = pricing.check_currency(currency or pricing.DEFAULT_CURRENCY)
    value = pricing.parse_money(amount if amount is not None else 0, currency)
    stage = stage or stages.first_open(session)
    if stage.kind != "open" or stage.retired:
        raise ValidationError(_("a new opportunity starts in an open stage in use, not {stage}").format(
            stage=stages.display(stage)))
    now = clock.now()
    owner_id = owner_id or actor.id
    opp = Opportunity(customer_id=customer.id, name=name, amount=value, currency=currency, stage_id=stage.id,
                      status="open", expected_close=expected_close, source=check_source(source),
                      owner_id=owner_id, owned_since=now, stage_changed_at=now, next_contact_at=next_contact,
                      created_by=actor.id, created_at=now, updated_at=now)
    session.add(opp)
    session.flush()
    for contact in contacts or []:
        session.add(OpportunityContact(opportunity_id=opp.id, contact_id=contact.id))
    for product, quantity in products or []:
        session.add(OpportunityProduct(opportunity_id=opp.id, product_id=product.id, quantity=quantity))
    session.add(StageChange(opportunity_id=opp.id, from_stage_id=None, to_stage_id=stage.id, move="create",
                            actor_id=actor.id, at=now))
    logged = audit.snapshot(opp, LOGGED)
    logged.update({"customer_id": customer.id, "stage": stage.name,
                   "contacts": [c.id for c in contacts or []] or None,
                   "products": [p.code for p, _q in products or []] or None})
    audit.record(session, actor, action, "opportunity", opp.id, label(opp), audit.created(logged), reason=reason)
    return opp


def add(session: Session, actor: Actor, customer: str, name: str, *, amount: Any = None, currency: str | None = None,
        expected_close: date | None = None, contacts: list[str] | None = None, products: list[str] | None = None,
        source: str | None = None, owner: str | None = None, stage: str | None = None,
        next_contact: datetime | None = None) -> Opportunity:
    from crmcli.services import customers

    require(actor, "opportunity.create")
    target = customers.writable(session, actor, customer)
    return create(session, actor, target, name, amount=amount, currency=currency, expected_close=expected_close,
                  contacts=_contacts(session, target, contacts), products=_products(session, products),
                  source=source, owner_id=resolve_owner(session, actor, owner),
                  stage=stages.find(session, stage) if stage else None, next_contact=next_contact)


def for_lead(session: Session, actor: Actor, lead: Any, customer: Customer, contact: Contact, name: str, *,
             amount: Any = None, currency: str | None = None, expected_close: date | None = None) -> Opportunity:
    """The opportunity ``crm lead convert --opportunity NAME`` creates (owned like the customer)."""
    return create(session, actor, customer, name, amount=amount, currency=currency, expected_close=expected_close,
                  contacts=[contact], source=lead.source, owner_id=lead.owner_id or actor.id,
                  action="opportunity.convert", reason=_("from lead {id}").format(id=lead.id))


def get(session: Session, actor: Actor, ref: Any, verb: str = "view") -> Opportunity:
    """By id or unambiguous name, within scope.  In a write the row is locked before it is checked
    (``records.get`` → :func:`crmcli.services.locking.hold`; SQLite's write transaction already is), so
    two people moving one opportunity at once are serialised and the second sees the first's stage and
    status — and a batch locks its opportunities in id order (:func:`locking.lock_batch`)."""
    return records.get(session, actor, OPPORTUNITY, ref, verb, by_name=lambda t: Opportunity.name == t)


def edit(session: Session, actor: Actor, ref: Any, *, name: str | None = None, amount: Any = None,
         currency: str | None = None, expected_close: date | None = None, clear_close: bool = False,
         source: str | None = None, add_contacts: list[str] | None = None, remove_contacts: list[str] | None = None,
         add_products: list[str] | None = None, remove_products: list[str] | None = None,
         next_contact: datetime | None = None, clear_next_contact: bool = False,
         add_tags: list[str] | None = None, remove_tags: list[str] | None = None) -> Opportunity:
    from crmcli.services import products as catalog

    opp = get(session, actor, ref, "edit")
    before = audit.snapshot(opp, LOGGED)
    if name is not None:
        opp.name = _check_name(name)
    if currency is not None:
        opp.currency = pricing.check_currency(currency)
    if amount is not None or currency is not None:
        opp.amount = pricing.parse_money(amount if amount is not None else opp.amount, opp.currency)
    if expected_close is not None:
        opp.expected_close = expected_close
    elif clear_close:
        opp.expected_close = None
    if source is not None:
        opp.source = check_source(source)
    if next_contact is not None:
        opp.next_contact_at = next_contact
    elif clear_next_contact:
        opp.next_contact_at = None
    changes = audit.diff(before, audit.snapshot(opp, LOGGED))
    customer = session.get(Customer, opp.customer_id)
    linked = _linked_contacts(session, opp.id)
    for contact in _contacts(session, customer, add_contacts):
        if contact.id not in linked:
            session.add(OpportunityContact(opportunity_id=opp.id, contact_id=contact.id))
    gone = [c.id for c in _contacts(session, customer, remove_contacts)]
    if gone:
        session.execute(delete(OpportunityContact).where(OpportunityContact.opportunity_id == opp.id,
                                                         OpportunityContact.contact_id.in_(gone)))
    session.flush()
    if _linked_contacts(session, opp.id) != linked:
        changes["contacts"] = [sorted(linked), sorted(_linked_contacts(session, opp.id))]
    had = dict(session.execute(select(OpportunityProduct.product_id, OpportunityProduct.quantity).where(
        OpportunityProduct.opportunity_id == opp.id)).all())
    for product, quantity in _products(session, add_products):
        row = session.get(OpportunityProduct, (opp.id, product.id))
        if row is None:
            session.add(OpportunityProduct(opportunity_id=opp.id, product_id=product.id, quantity=quantity))
        else:
            row.quantity = quantity
    for ref_ in remove_products or []:
        for code in str(ref_).split(","):
            if code.strip():
                product = catalog.get(session, code.strip())
                session.execute(delete(OpportunityProduct).where(OpportunityProduct.opportunity_id == opp.id,
                                                                 OpportunityProduct.product_id == product.id))
    session.flush()
    now_has = dict(session.execute(select(OpportunityProduct.product_id, OpportunityProduct.quantity).where(
        OpportunityProduct.opportunity_id == opp.id)).all())
    if now_has != had:
        changes["products"] = [{str(k): str(v) for k, v in had.items()} or None,
                               {str(k): str(v) for k, v in now_has.items()} or None]
    tags_before, tags_after = records.set_tags(session, "opportunity", opp.id, add=add_tags, remove=remove_tags)
    if tags_before != tags_after:
        changes["tags"] = [tags_before, tags_after]
    if changes:
        opp.updated_at = clock.now()
        audit.record(session, actor, "opportunity.edit", "opportunity", opp.id, label(opp), changes)
    return opp


def _linked_contacts(session: Session, opp_id: int) -> set[int]:
    return set(session.execute(select(OpportunityContact.contact_id).where(
        OpportunityContact.opportunity_id == opp_id)).scalars())


def follow(session: Session, actor: Actor, ref: Any, via: str, note: str, at: Any = None, next_contact: Any = None):
    opp = get(session, actor, ref, "view")
    if opp.status != "open":
        raise ValidationError(_("opportunity {id} is {status}: it takes no more follow-ups").format(
            id=opp.id, status=_(STATUS_LABELS[opp.status])), hint=_("crm opp reopen {id}").format(id=opp.id))
    return records.follow(session, actor, OPPORTUNITY, opp, via, note, at, next_contact)


def _batch(session: Session, actor: Actor, refs: list[str], verb: str) -> list[Opportunity]:
    if not refs:
        raise ValidationError(_("name at least one opportunity"))
    from crmcli.services import locking

    return locking.lock_batch(session, refs, lambda ref: get(session, actor, ref, verb))


def transfer(session: Session, actor: Actor, refs: list[str], to: str, reason: str | None = None) -> list[Opportunity]:
    """Give opportunities to another active user (batch, all-or-nothing)."""
    require(actor, "opportunity.transfer")
    new_owner = users.find_active(session, to)
    opps = _batch(session, actor, refs, "transfer")
    now = clock.now()
    for opp in opps:
        if opp.owner_id == new_owner.id:
            continue
        audit.record(session, actor, "opportunity.transfer", "opportunity", opp.id, label(opp),
                     {"owner_id": [opp.owner_id, new_owner.id]}, reason=reason)
        opp.owner_id, opp.owned_since, opp.updated_at = new_owner.id, now, now
    return opps


# --- stages ---------------------------------------------------------------------------------------


def _move(session: Session, actor: Actor, opp: Opportunity, to: Stage, move: str, reason: str | None = None,
          extra: dict[str, Any] | None = None) -> StageChange:
    now = clock.now()
    current = session.get(Stage, opp.stage_id)
    change = StageChange(opportunity_id=opp.id, from_stage_id=opp.stage_id, to_stage_id=to.id, move=move,
                         reason=reason, actor_id=actor.id, at=now)
    session.add(change)
    changes: dict[str, Any] = {"stage": [current.name if current else None, to.name]}
    changes.update(extra or {})
    audit.record(session, actor, f"opportunity.{move if move in ('win', 'lose', 'reopen') else 'advance'}",
                 "opportunity", opp.id, label(opp), changes, reason=reason)
    opp.stage_id, opp.stage_changed_at, opp.updated_at = to.id, now, now
    return change


def as_seen(session: Session, actor: Actor, ref: Any, status: str, stage_id: int | None,
            stage_changed_at: datetime | None) -> Opportunity:
    """The opportunity, locked, if it is still as the caller last saw it; else a Conflict saying where it went.

    A screen that shows a card and then moves it (``crm tui``'s kanban) passes what it showed,
    so that a colleague's move in between is reported instead of being silently moved again.
    """
    opp = get(session, actor, ref, "edit")
    session.refresh(opp, with_for_update=True)  # PostgreSQL: hold the row until the move commits
    if (opp.status, opp.stage_id, opp.stage_changed_at) != (status, stage_id, stage_changed_at):
        if opp.status != "open":
            now = _(STATUS_LABELS.get(opp.status, opp.status))
        else:
            current = stages.by_id(session).get(opp.stage_id)
            now = _("in stage {stage}").format(stage=stages.display(current) if current else "?")
        raise Conflict(_("opportunity {id} changed meanwhile: it is now {state}").format(id=opp.id, state=now),
                       hint=_("press r to refresh, then try again"))
    return opp


def _ensure_open(opp: Opportunity) -> None:
    if opp.status != "open":
        raise ValidationError(_("opportunity {id} is {status}: its stage can no longer change").format(
            id=opp.id, status=_(STATUS_LABELS[opp.status])), hint=_("crm opp reopen {id}").format(id=opp.id))


def advance(session: Session, actor: Actor, ref: Any, stage: str | None = None,
            reason: str | None = None) -> StageChange:
    """Move an open opportunity to the next stage, or to ``stage`` (a skip or a move back is recorded so)."""
    opp = get(session, actor, ref, "edit")
    _ensure_open(opp)
    active = [s for s in stages.ordered(session) if s.kind == "open"]
    ids = [s.id for s in active]
    here = ids.index(opp.stage_id) if opp.stage_id in ids else -1
    if stage is None:
        if here + 1 >= len(active):
            raise ValidationError(_("opportunity {id} is in the last open stage").format(id=opp.id),
                                  hint=_("crm opp win {id}, or crm opp lose {id} --reason …").format(id=opp.id))
        target = active[here + 1]
    else:
        target = stages.find(session, stage)
        if target.kind == "won":
            raise ValidationError(_("winning is its own step"), hint=_("crm opp win {id}").format(id=opp.id))
        if target.kind == "lost":
            raise ValidationError(_("losing is its own step"),
                                  hint=_("crm opp lose {id} --reason …").format(id=opp.id))
        if target.retired:
            raise ValidationError(_("stage {stage} is retired").format(stage=stages.display(target)))
        if target.id == opp.stage_id:
            raise Conflict(_("opportunity {id} is already in stage {stage}").format(
                id=opp.id, stage=stages.display(target)))
    there = ids.index(target.id)
    move = "advance" if there == here + 1 else ("back" if there < here else "skip")
    return _move(session, actor, opp, target, move, reason)


def _set_deal(session: Session, actor: Actor, customer_id: int) -> None:
    """The customer's deal status from its won opportunities (won, with the latest close, or none)."""
    customer = session.get(Customer, customer_id)
    last = session.execute(select(func.max(Opportunity.closed_at)).where(
        Opportunity.customer_id == customer_id, Opportunity.status == "won")).scalar_one()
    status = "won" if last is not None else "none"
    before = audit.snapshot(customer, ("deal_status", "last_deal_at"))
    customer.deal_status = status
    customer.last_deal_at = last
    changes = audit.diff(before, audit.snapshot(customer, ("deal_status", "last_deal_at")))
    if changes:
        audit.record(session, actor, "customer.deal", "customer", customer.id, customer.name, changes)


def win(session: Session, actor: Actor, ref: Any, reason: str | None = None) -> StageChange:
    opp = get(session, actor, ref, "edit")
    _ensure_open(opp)
    change = _move(session, actor, opp, stages.closing(session, "won"), "win", reason, {"status": ["open", "won"]})
    opp.status, opp.closed_at = "won", change.at
    session.flush()
    _set_deal(session, actor, opp.customer_id)
    return change


def lose(session: Session, actor: Actor, ref: Any, reason: str) -> StageChange:
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError(_("say why with --reason"))
    opp = get(session, actor, ref, "edit")
    _ensure_open(opp)
    change = _move(session, actor, opp, stages.closing(session, "lost"), "lose", reason, {"status": ["open", "lost"]})
    opp.status, opp.closed_at, opp.lost_reason = "lost", change.at, reason
    return change


def reopen(session: Session, actor: Actor, ref: Any, stage: str | None = None,
           reason: str | None = None) -> StageChange:
    """Back to open: in ``stage``, else the stage it was closed from (if still in use), else the first."""
    opp = get(session, actor, ref, "edit")
    if opp.status == "open":
        raise Conflict(_("opportunity {id} is already open").format(id=opp.id))
    if stage is not None:
        target = stages.find(session, stage)
        if target.kind != "open" or target.retired:
            raise ValidationError(_("reopen into an open stage in use, not {stage}").format(
                stage=stages.display(target)))
    else:
        last = session.execute(select(StageChange.from_stage_id).where(
            StageChange.opportunity_id == opp.id, StageChange.to_stage_id == opp.stage_id)
            .order_by(StageChange.at.desc(), StageChange.id.desc()).limit(1)).scalar_one_or_none()
        target = session.get(Stage, last) if last else None
        if target is None or target.kind != "open" or target.retired:
            target = stages.first_open(session)
    was = opp.status
    change = _move(session, actor, opp, target, "reopen", reason, {"status": [was, "open"]})
    opp.status, opp.closed_at, opp.lost_reason = "open", None, None
    session.flush()
    if was == "won":
        _set_deal(session, actor, opp.customer_id)
    return change


# --- list, show -----------------------------------------------------------------------------------


def closing_range(text: str, tz: tzinfo, now: datetime | None = None) -> tuple[date | None, date | None]:
    """``this-month``, ``next-month``, ``this-quarter``, ``next-quarter``, ``this-year``, ``overdue``,
    ``YYYY-MM``, ``YYYY-Qn`` or ``SINCE..UNTIL``: a range of expected-close dates (inclusive)."""
    import re

    from crmcli import dates

    now = now or clock.now()
    today = now.astimezone(tz).date()
    word = text.strip().lower()

    def month(year: int, m: int) -> tuple[date, date]:
        year, m = year + (m - 1) // 12, (m - 1) % 12 + 1
        nxt = date(year + (m // 12), m % 12 + 1, 1)
        return date(year, m, 1), nxt - timedelta(days=1)

    def quarter(year: int, q: int) -> tuple[date, date]:
        year, q = year + (q - 1) // 4, (q - 1) % 4 + 1
        return month(year, 3 * q - 2)[0], month(year, 3 * q)[1]

    if word == "this-month":
        return month(today.year, today.month)
    if word == "next-month":
        return month(today.year, today.month + 1)
    if word == "this-quarter":
        return quarter(today.year, (today.month - 1) // 3 + 1)
    if word == "next-quarter":
        return quarter(today.year, (today.month - 1) // 3 + 2)
    if word == "this-year":
        return date(today.year, 1, 1), date(today.year, 12, 31)
    if word == "overdue":
        return None, today - timedelta(days=1)
    m = re.match(r"^(\d{4})-(\d{1,2})$", word)
    if m and 1 <= int(m.group(2)) <= 12:
        return month(int(m.group(1)), int(m.group(2)))
    m = re.match(r"^(\d{4})-?q([1-4])$", word)
    if m:
        return quarter(int(m.group(1)), int(m.group(2)))
    if ".." in word:
        since, until = dates.parse_range(text, tz, now)
        return (since.astimezone(tz).date() if since else None, until.astimezone(tz).date() if until else None)
    raise ValidationError(_("unknown period '{period}'").format(period=text),
                          hint=_("one of: {choices}, YYYY-MM, YYYY-Qn or SINCE..UNTIL").format(
                              choices=", ".join(CLOSING)))


def listing(session: Session, opts: ListOptions, tz: tzinfo, *, stage: list[str] | None = None,
            closing: str | None = None, min_amount: Any = None, customer: Any = None,
            actor: Actor | None = None) -> tuple[Listing, ListOptions]:
    """LISTING narrowed by --stage (any of), --closing, --min-amount, --customer; --search looks in names."""
    stage_ids = [stages.find(session, s).id for s in stage or []]
    since = until = None
    if closing:
        since, until = closing_range(closing, tz)
    minimum = pricing.parse_money(min_amount, "XXX", _("--min-amount")) if min_amount is not None else None
    customer_id = None
    if customer is not None:
        from crmcli.services import customers

        customer_id = customers.get(session, actor, customer).id
    search = (opts.search or "").strip()
    import re

    for expr in opts.where:  # --where amount>…: a clean error for a value that is not a number
        m = re.match(r"^\s*amount\s*(?:!=|>=|<=|=|>|<)\s*(\S.*)$", expr)
        if m:
            pricing.check_number(m.group(1), expr)

    def extra(query: Any, _opts: ListOptions) -> Any:
        if stage_ids:
            query = query.where(Opportunity.stage_id.in_(stage_ids))
        if since is not None:
            query = query.where(Opportunity.expected_close >= since)
        if until is not None:
            query = query.where(Opportunity.expected_close <= until)
        if closing == "overdue":
            query = query.where(Opportunity.status == "open")
        if minimum is not None:
            query = query.where(Opportunity.amount >= minimum)
        if customer_id is not None:
            query = query.where(Opportunity.customer_id == customer_id)
        if search:
            from crmcli.store.search import _escape_like

            pattern = f"%{_escape_like(search.lower())}%"
            names = select(Customer.id).where(func.lower(Customer.name).like(pattern, escape="\\"))
            query = query.where(func.lower(Opportunity.name).like(pattern, escape="\\")
                                | Opportunity.customer_id.in_(names))
        return query

    return replace(LISTING, extra=extra), replace(opts, search=None)


def page(session: Session, actor: Actor, opts: ListOptions, tz: tzinfo, **narrow: Any) -> Page:
    require(actor, "opportunity.view")
    found, opts = listing(session, opts, tz, actor=actor, **narrow)
    return select_page(session, actor, found, opts, tz)


@dataclass
class HistoryEntry:
    at: datetime
    move: str
    from_stage: str | None
    to_stage: str
    who: str | None
    reason: str | None


def history(session: Session, opp_id: int) -> list[HistoryEntry]:
    """The opportunity's stage history, oldest first."""
    names = {s.id: stages.display(s) for s in session.execute(select(Stage)).scalars()}
    logins = dict(session.execute(select(User.id, User.login)).all())
    rows = session.execute(select(StageChange).where(StageChange.opportunity_id == opp_id)
                           .order_by(StageChange.at, StageChange.id)).scalars()
    return [HistoryEntry(r.at, r.move, names.get(r.from_stage_id), names.get(r.to_stage_id, "?"),
                         logins.get(r.actor_id), r.reason) for r in rows]


@dataclass
class View:
    opportunity: Opportunity
    customer: Customer
    stage: Stage
    owner: str | None
    contacts: list[Contact]
    products: list[tuple[Product, Decimal]]
    tags: list[str]
    history: list[HistoryEntry]


def view(session: Session, actor: Actor, ref: Any) -> View:
    opp = get(session, actor, ref, "view")
    contacts = list(session.execute(select(Contact).join(
        OpportunityContact, OpportunityContact.contact_id == Contact.id).where(
        OpportunityContact.opportunity_id == opp.id).order_by(Contact.id)).scalars())
    products = [(p, q) for p, q in session.execute(select(Product, OpportunityProduct.quantity).join(
        OpportunityProduct, OpportunityProduct.product_id == Product.id).where(
        OpportunityProduct.opportunity_id == opp.id).order_by(Product.code)).all()]
    owner = session.get(User, opp.owner_id) if opp.owner_id else None
    return View(opp, session.get(Customer, opp.customer_id), session.get(Stage, opp.stage_id),
                owner.login if owner else None, contacts, products,
                records.tags_of(session, "opportunity", opp.id), history(session, opp.id))


# --- the customer's 360 view, transfer and merge --------------------------------------------------


def _customer_rows(session: Session, actor: Actor, customer_id: int) -> list[dict[str, Any]]:
    from crmcli.services.access import visible_clause

    names = {s.id: stages.display(s) for s in session.execute(select(Stage)).scalars()}
    logins = dict(session.execute(select(User.id, User.login)).all())
    rows = session.execute(select(Opportunity).where(
        Opportunity.customer_id == customer_id, visible_clause(actor, OPPORTUNITY)).order_by(Opportunity.id)).scalars()
    return [{"id": o.id, "name": o.name, "stage": names.get(o.stage_id), "status": o.status, "amount": o.amount,
             "currency": o.currency, "expected_close": o.expected_close, "owner": logins.get(o.owner_id)}
            for o in rows]


def _transfer_with_customers(session: Session, actor: Actor, customer_ids: list[int], owner_id: int) -> int:
    moved = session.execute(select(Opportunity.id, Opportunity.owner_id).where(
        Opportunity.customer_id.in_(customer_ids), Opportunity.status == "open",
        Opportunity.owner_id.is_distinct_from(owner_id))).all()
    if not moved:
        return 0
    now = clock.now()
    session.execute(update(Opportunity).where(Opportunity.id.in_([i for i, _o in moved]))
                    .values(owner_id=owner_id, owned_since=now, updated_at=now)
                    .execution_options(synchronize_session="fetch"))
    audit.record_many(session, [
        {"actor_id": actor.id or None, "actor_login": actor.login, "action": "opportunity.transfer",
         "record_type": "opportunity", "record_id": i, "changes": {"owner_id": [before, owner_id]}}
        for i, before in moved])
    return len(moved)


def _merge(session: Session, actor: Actor, drop_id: int, keep_id: int) -> int:
    moved = list(session.execute(select(Opportunity.id).where(Opportunity.customer_id == drop_id)).scalars())
    if not moved:
        return 0
    from crmcli.store.models.pipeline import Quote

    session.execute(update(Opportunity).where(Opportunity.id.in_(moved)).values(customer_id=keep_id)
                    .execution_options(synchronize_session="fetch"))
    session.execute(update(Quote).where(Quote.opportunity_id.in_(moved)).values(customer_id=keep_id)
                    .execution_options(synchronize_session="fetch"))
    audit.record_many(session, [
        {"actor_id": actor.id or None, "actor_login": actor.login, "action": "opportunity.merge",
         "record_type": "opportunity", "record_id": i, "changes": {"customer_id": [drop_id, keep_id]}} for i in moved])
    _set_deal(session, actor, keep_id)
    return len(moved)


def _register_related() -> None:
    from crmcli.services import customers

    customers.register_related(customers.Related(
        name="opportunities", title=N_("Opportunities"),
        columns=(("id", "id"), ("name", N_("name")), ("stage", N_("stage")), ("amount", N_("amount")),
                 ("currency", N_("currency")), ("expected_close", N_("expected close")), ("owner", N_("owner"))),
        rows=_customer_rows, transfer=_transfer_with_customers, merge=_merge))


_register_related()


# --- hand-over when a user is disabled ------------------------------------------------------------


def count_owned(session: Session, user_id: int) -> int:
    return session.execute(select(func.count()).select_from(Opportunity).where(
        Opportunity.owner_id == user_id, Opportunity.status == "open")).scalar_one()


def hand_over(session: Session, actor: Actor, from_id: int, to_id: int) -> int:
    ids = list(session.execute(select(Opportunity.id).where(
        Opportunity.owner_id == from_id, Opportunity.status == "open")).scalars())
    if not ids:
        return 0
    now = clock.now()
    session.execute(update(Opportunity).where(Opportunity.id.in_(ids)).values(owner_id=to_id, owned_since=now,
                                                                            updated_at=now)
                    .execution_options(synchronize_session="fetch"))
    audit.record_many(session, [
        {"actor_id": actor.id or None, "actor_login": actor.login, "action": "opportunity.handover",
         "record_type": "opportunity", "record_id": i, "changes": {"owner_id": [from_id, to_id]}} for i in ids])
    return len(ids)


users.register_handover("opportunity", count_owned, hand_over)


def can_edit(session: Session, actor: Actor, opp: Opportunity) -> bool:
    return can_change(session, actor, OPPORTUNITY, opp)


# --- the demo -------------------------------------------------------------------------------------

_DEMO_PRODUCTS = [  # code, name, unit, list price, cost, category
    ("SW-CRM-STD", "星海 CRM 标准版", "套", "9800", "1500", "软件"),
    ("SW-CRM-ENT", "星海 CRM 企业版", "套", "39800", "6000", "软件"),
    ("SV-IMPL", "实施服务", "人天", "2500", "1200", "服务"),
    ("SV-TRAIN", "培训服务", "场", "6000", "2000", "服务"),
    ("HW-SRV-2U", "2U 机架服务器", "台", "45000", "36000", "硬件"),
]


def _demo_step(session: Session, actor: Actor, demo: Any) -> None:
    """Products and pricing rules; an opportunity for each demo customer (a quarter won, some lost, the rest
    spread over the open stages, with their stage history); quotes on a few, one of them accepted."""
    from crmcli.services import products, quotes
    from crmcli.services.access import actor_for

    rng = demo.rng("pipeline")
    for code, name, unit, price, cost, category in _DEMO_PRODUCTS:
        try:
            products.find_category(session, category)
        except Exception:  # noqa: BLE001 — not there yet
            products.add_category(session, actor, category)
        products.add(session, actor, code, name, list_price=price, cost=cost, unit=unit, category=category)
        demo.count("products")
    products.add_rule(session, actor, "quantity", "5", min_quantity="10")
    products.add_rule(session, actor, "tier", "8", tier="A")
    products.add_rule(session, actor, "role", "10", role="sales_rep")
    products.add_rule(session, actor, "role", "20", role="sales_manager")
    found = list(session.execute(select(Customer).where(Customer.merged_into_id.is_(None),
                                                         Customer.owner_id.is_not(None)).order_by(Customer.id)))
    open_stages = [s for s in stages.ordered(session) if s.kind == "open"]
    today = clock.now().date()
    quoted = 0
    for (customer,) in found[:60]:
        owner = session.get(User, customer.owner_id)
        if owner is None or owner.disabled:
            continue
        seller = actor_for(session, owner)
        if not seller.can("opportunity.create"):
            continue
        code, name, *_rest = rng.choice(_DEMO_PRODUCTS)
        quantity = rng.choice([1, 2, 3, 5, 10, 20])
        opp = create(session, seller, customer, f"{customer.name[:20]} · {name}",
                     amount=str(rng.randrange(2, 120) * 5000), expected_close=today + timedelta(days=rng.randint(-20, 120)),
                     products=[(products.get(session, code), pricing.parse_quantity(quantity))],
                     source=customer.source, owner_id=owner.id)
        demo.count("opportunities")
        roll = rng.random()
        target = rng.randrange(len(open_stages))
        for stage in open_stages[1:target + 1]:
            advance(session, seller, opp.id, str(stage.id))
        if roll < 0.25:
            win(session, seller, opp.id)
        elif roll < 0.35:
            lose(session, seller, opp.id, rng.choice(["预算取消", "选择了竞争对手", "价格太高", "项目延期"]))
        elif target >= 2 and quoted < 4:
            quote = quotes.add(session, seller, opp.id, tax_rate="13")
            quotes.line_add(session, seller, quote.id, code, quantity)
            quotes.line_add(session, seller, quote.id, "SV-IMPL", rng.choice([3, 5, 10]))
            quoted += 1
            demo.count("quotes")
            if quoted <= 2:
                quotes.send(session, seller, quote.id)
                if quoted == 1:
                    quotes.decide(session, seller, quote.id, True)


def _register_demo() -> None:
    """The demo step; and the default stages are made by ``crm init``: ``crm demo`` must not count them as data."""
    from crmcli.services import demo

    demo._INIT_TABLES.add("stage")
    if not any(step.name == "pipeline" for step in demo.STEPS):
        names = [step.name for step in demo.STEPS]
        after = next((n for n in ("pool", "records") if n in names), None)
        demo.add_step("pipeline", _demo_step, after=after)


_register_demo()
