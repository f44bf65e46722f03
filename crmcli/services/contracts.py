"""Contracts / orders (合同/订单): add, edit, submit for approval, activate, complete, terminate, transfer.

Lifecycle (:data:`TRANSITIONS`)::

    draft ─submit─► pending ─approve (every step)─► approved ─activate─► active ─► completed
      ▲                 └─reject─► rejected ─edit/submit─┘        └──────────────► terminated

* Only a draft or rejected contract may be edited; submitting opens an approval
  (:mod:`crmcli.services.approvals`; no step applying approves it at once).
* Activating (signing) an approved contract marks its customer as having a deal
  (``deal_status = 'won'``, ``last_deal_at``).
* The amount is the sum of the line items (each ``quantity × unit price``, rounded ROUND_HALF_UP to
  the currency's minor unit), or ``--amount`` when there are no items.
* Numbers come from :mod:`crmcli.services.numbering` (``HT-2026-0001``), given when the contract
  is added, in its transaction.

Receivable plans are :mod:`receivables`, payments :mod:`payments`, invoices :mod:`invoices`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from crmcli import clock, limits
from crmcli.errors import Conflict, NotFound, PermissionDenied, ValidationError
from crmcli.i18n import N_, _
from crmcli.services import approvals, audit, money, numbering, records, users
from crmcli.services.access import Actor, Kind, can_change, register_kind, require
from crmcli.services.filters import Listing, ListOptions, Page, select_page
from crmcli.store.models import Contact, Customer, User
from crmcli.store.models.contracts import Contract, ContractItem, Invoice, Payment, ReceivablePlan

STATUSES = ("draft", "pending", "approved", "rejected", "active", "completed", "terminated")
STATUS_LABELS = {"draft": N_("draft"), "pending": N_("pending approval"), "approved": N_("approved"),
                 "rejected": N_("rejected"), "active": N_("active"), "completed": N_("completed"),
                 "terminated": N_("terminated")}
EDITABLE = ("draft", "rejected")
PAYABLE = ("approved", "active")
OPEN = ("draft", "pending", "approved", "rejected", "active")
CLOSED = ("completed", "terminated")
LOGGED = ("number", "title", "customer_id", "opportunity_id", "quote_id", "contact_id", "owner_id", "currency",
          "amount", "status", "signed_on", "start_on", "end_on", "terms", "note")


def label(contract: Contract) -> str:
    return f"{contract.number} {contract.title}"


CONTRACT = register_kind(Kind(name="contract", model=Contract, noun="contract", label=label, has_team=True,
                              team_type="customer", team_attr="customer_id", aliases=("contracts", "order")))


def status_label(status: str) -> str:
    return _(STATUS_LABELS.get(status, status))


# --- values ----------------------------------------------------------------------------------------

_ITEM = re.compile(r"^(.+?)\s*=\s*([0-9][0-9.,_]*)\s*(?:[*x×]\s*([0-9][0-9.,_]*))?\s*$")


@dataclass
class ItemValues:
    description: str
    quantity: Decimal
    unit_price: Decimal
    product_id: int | None = None
    unit: str | None = None
    total: Decimal | None = None  # given (a quote line's total after its discount), else quantity × unit price


def parse_item(session: Session, text: str, currency: str) -> ItemValues:
    """``DESCRIPTION=QTY*PRICE``, or ``@PRODUCT_CODE=QTY[*PRICE]`` (the product's name and list price)."""
    m = _ITEM.match(text or "")
    hint = _("write DESCRIPTION=QTY*PRICE, e.g. 'CRM licence=10*1200', or @PRODUCT_CODE=QTY")
    if not m:
        raise ValidationError(_("'{item}' is not a line item").format(item=text), hint=hint)
    what, qty_text, price_text = m.group(1).strip(), m.group(2), m.group(3)
    quantity = money.to_decimal(qty_text, _("the quantity"))
    if quantity <= 0 or quantity != quantity.quantize(Decimal("0.001")):
        raise ValidationError(_("the quantity must be more than zero, with at most 3 decimals: {value}").format(
            value=qty_text))
    product_id, unit = None, None
    if what.startswith("@"):
        from crmcli.store.models.pipeline import Product

        code = what[1:].strip()
        product = session.execute(select(Product).where(Product.code == code)).scalar_one_or_none()
        if product is None:
            raise NotFound(_("no product with code '{code}'").format(code=code))
        what, product_id, unit = product.name, product.id, product.unit
        if price_text is None:
            if product.currency != currency:
                raise ValidationError(_("product {code} is priced in {currency}: give the price").format(
                    code=code, currency=product.currency))
            price_text = str(product.list_price)
    if price_text is None:
        raise ValidationError(_("'{item}' is not a line item").format(item=text), hint=hint)
    price = money.parse_amount(price_text, currency, _("the unit price"), allow_zero=True)
    if len(what) > 200:
        raise ValidationError(_("a line item's description may be at most 200 characters"))
    return ItemValues(what, quantity.quantize(Decimal("0.001")), price, product_id, unit)


def line_total(item: ItemValues, currency: str) -> Decimal:
    if item.total is not None:
        return item.total
    limits.check_line(item.quantity, item.unit_price)
    return money.round_to(item.quantity * item.unit_price, currency)


def _check_dates(signed: date | None, start: date | None, end: date | None) -> None:
    if start and end and end < start:
        raise ValidationError(_("the end date {end} is before the start date {start}").format(
            end=end.isoformat(), start=start.isoformat()))


def _contact_of(session: Session, actor: Actor, customer_id: int, ref: str | None) -> int | None:
    if ref is None or not str(ref).strip():
        return None
    from crmcli.services import contacts

    contact = contacts.get(session, actor, ref, "view")
    if contact.customer_id != customer_id:
        raise ValidationError(_("contact {name} is not at this contract's customer").format(name=contact.name))
    return contact.id


def _opportunity_of(session: Session, actor: Actor, customer_id: int, ref: str | None) -> int | None:
    if ref is None or not str(ref).strip():
        return None
    from crmcli.services import opportunities

    found = opportunities.get(session, actor, ref, "view")  # one the actor cannot see reads as not found
    if found.customer_id != customer_id:
        raise ValidationError(_("opportunity {id} is not this contract's customer's").format(id=found.id))
    return found.id


def resolve_owner(session: Session, actor: Actor, owner: str | None) -> int:
    from crmcli.services.leads import ensure_in_scope

    if owner is None or owner == "me":
        return actor.id
    user = users.find_active(session, owner)
    ensure_in_scope(session, actor, user)
    return user.id


# --- add, get, edit -------------------------------------------------------------------------------


def add(session: Session, actor: Actor, *, customer: str, title: str | None = None, currency: str | None = None,
        amount: Any = None, items: list[str] | None = None, owner: str | None = None, contact: str | None = None,
        opportunity: str | None = None, signed: date | None = None, start: date | None = None,
        end: date | None = None, terms: str | None = None, note: str | None = None,
        quote_id: int | None = None, parsed_items: list[ItemValues] | None = None) -> Contract:
    """A new draft contract, numbered in this transaction."""
    require(actor, "contract.create")
    from crmcli.services import customers

    target = customers.writable(session, actor, customer)  # a read-only team member does not sell for the owner
    currency = money.check_currency(currency or money.DEFAULT_CURRENCY)
    lines = list(parsed_items or []) + [parse_item(session, text, currency) for text in items or []]
    total = _amount(lines, amount, currency)
    _check_dates(signed, start, end)
    title = (title or "").strip() or target.name
    if len(title) > 200:
        raise ValidationError(_("a contract's title may be at most 200 characters"))
    now = clock.now()
    owner_id = resolve_owner(session, actor, owner)
    contract = Contract(number=numbering.next_number(session, "contract"), title=title, customer_id=target.id,
                        opportunity_id=_opportunity_of(session, actor, target.id, opportunity), quote_id=quote_id,
                        contact_id=_contact_of(session, actor, target.id, contact), owner_id=owner_id,
                        currency=currency, amount=total, status="draft", signed_on=signed, start_on=start,
                        end_on=end, terms=(terms or "").strip() or None, note=(note or "").strip() or None,
                        owned_since=now, created_by=actor.id, created_at=now, updated_at=now)
    session.add(contract)
    session.flush()
    _put_items(session, contract, lines)
    logged = audit.snapshot(contract, LOGGED)
    logged["items"] = len(lines) or None
    audit.record(session, actor, "contract.add", "contract", contract.id, label(contract), audit.created(logged))
    return contract


def _amount(lines: list[ItemValues], amount: Any, currency: str) -> Decimal:
    if lines:
        total = limits.check_amount(sum((line_total(i, currency) for i in lines), Decimal(0)), what=_("the total"))
        if amount is not None and money.parse_amount(amount, currency) != total:
            raise ValidationError(_("--amount {amount} is not the line items' total {total}").format(
                amount=amount, total=money.fmt(total, currency)), hint=_("leave --amount out to use the items' total"))
        if total <= 0:
            raise ValidationError(_("the contract amount must be more than zero"))
        return total
    if amount is None:
        raise ValidationError(_("a contract needs an amount or line items"),
                              hint=_("add --amount 50000 or --item 'CRM licence=10*1200'"))
    return money.parse_amount(amount, currency)


def _put_items(session: Session, contract: Contract, lines: list[ItemValues]) -> None:
    for position, line in enumerate(lines, 1):
        session.add(ContractItem(contract_id=contract.id, position=position, product_id=line.product_id,
                                 description=line.description, unit=line.unit, quantity=line.quantity,
                                 unit_price=line.unit_price, total=line_total(line, contract.currency)))


def get(session: Session, actor: Actor, ref: Any, verb: str = "view") -> Contract:
    """A contract by id or number, within the actor's scope."""
    return records.get(session, actor, CONTRACT, ref, verb, by_name=lambda t: Contract.number == t)


def writable(session: Session, actor: Actor, ref: Any) -> Contract:
    """A contract something is recorded against (a payment, its reversal, an invoice): visible, and
    changeable by the actor — its owner, someone whose scope covers the owner, or a read-write member
    of its customer's team.  A read-only team member may look, not record money.  The operation's
    own permission (``payment.create``, ``invoice.create``) is the caller's to require."""
    contract = get(session, actor, ref, "view")
    if not can_change(session, actor, CONTRACT, contract):
        raise PermissionDenied(_("{login} may see but not change contract {label}").format(
            login=actor.login, label=label(contract)), hint=_("ask the owner for write access to the team"))
    return contract


def lock(session: Session, contract: Contract) -> Contract:
    """Hold the contract's row until commit (PostgreSQL ``FOR UPDATE``; SQLite's write transactions are
    ``BEGIN IMMEDIATE`` already) and read it afresh: what is paid and owed cannot change under us."""
    session.flush()  # refresh reads the row: changes made earlier in this transaction must be in it first
    if session.get_bind().dialect.name == "postgresql":
        session.refresh(contract, with_for_update=True)
    else:
        session.refresh(contract)
    return contract


def plans_total(session: Session, contract_id: int) -> Decimal:
    return sum(session.execute(select(ReceivablePlan.amount).where(
        ReceivablePlan.contract_id == contract_id)).scalars(), Decimal(0))


def edit(session: Session, actor: Actor, ref: Any, values: dict[str, Any], *, items: list[str] | None = None,
         contact: str | None = None, opportunity: str | None = None) -> Contract:
    """Change a draft or rejected contract (``items`` replaces every line item)."""
    contract = lock(session, get(session, actor, ref, "edit"))
    if contract.status not in EDITABLE:
        raise ValidationError(_("contract {number} is {status}: only a draft or rejected contract may be edited")
                              .format(number=contract.number, status=status_label(contract.status)))
    before = audit.snapshot(contract, LOGGED)
    if "currency" in values:
        values["currency"] = money.check_currency(values["currency"])
        if values["currency"] != contract.currency and (items is None and _items(session, contract.id)
                                                        or plans_total(session, contract.id)):
            raise ValidationError(_("change the currency together with --item, and before adding receivable plans"))
    currency = values.get("currency", contract.currency)
    for key in ("title", "terms", "note"):
        if key in values:
            values[key] = (values[key] or "").strip() or None
    if "title" in values and not values["title"]:
        raise ValidationError(_("a contract needs a title"))
    lines = None if items is None else [parse_item(session, text, currency) for text in items]
    if lines is not None or "amount" in values or "currency" in values:
        current = [ItemValues(i.description, i.quantity, i.unit_price, i.product_id, i.unit)
                   for i in _items(session, contract.id)]
        use = lines if lines is not None else current
        values["amount"] = _amount(use, values.get("amount", None if use else contract.amount), currency)
    _check_dates(values.get("signed_on", contract.signed_on), values.get("start_on", contract.start_on),
                 values.get("end_on", contract.end_on))
    if "amount" in values and values["amount"] < plans_total(session, contract.id):
        raise ValidationError(_("the receivable plans already total {total}, more than {amount}").format(
            total=money.fmt(plans_total(session, contract.id), currency), amount=money.fmt(values["amount"], currency)))
    for key, value in values.items():
        setattr(contract, key, value)
    if contact is not None:
        contract.contact_id = _contact_of(session, actor, contract.customer_id, contact)
    if opportunity is not None:
        contract.opportunity_id = _opportunity_of(session, actor, contract.customer_id, opportunity)
    if lines is not None:
        from sqlalchemy import delete

        session.execute(delete(ContractItem).where(ContractItem.contract_id == contract.id))
        _put_items(session, contract, lines)
    changes = audit.diff(before, audit.snapshot(contract, LOGGED))
    if lines is not None:
        changes["items"] = [None, len(lines)]
    if changes:
        contract.updated_at = clock.now()
        audit.record(session, actor, "contract.edit", "contract", contract.id, label(contract), changes)
    return contract


def _items(session: Session, contract_id: int) -> list[ContractItem]:
    return list(session.execute(select(ContractItem).where(ContractItem.contract_id == contract_id)
                                .order_by(ContractItem.position)).scalars())


# --- lifecycle -------------------------------------------------------------------------------------


def _move(session: Session, actor: Actor, contract: Contract, to: str, action: str,
          reason: str | None = None, extra: dict[str, Any] | None = None) -> None:
    changes = {"status": [contract.status, to], **(extra or {})}
    audit.record(session, actor, action, "contract", contract.id, label(contract), changes, reason=reason)
    contract.status = to
    contract.updated_at = clock.now()


def _refuse(contract: Contract, message: str) -> ValidationError:
    """``message`` has {number} and {status}: "contract {number} is {status}: it cannot be submitted"."""
    return ValidationError(message.format(number=contract.number, status=status_label(contract.status)))


def submit(session: Session, actor: Actor, ref: Any) -> tuple[Contract, Any]:
    """Send a draft or rejected contract for approval (approved at once when no flow step applies)."""
    contract = lock(session, get(session, actor, ref, "edit"))
    if contract.status == "pending":
        raise Conflict(_("contract {number} is already waiting for approval").format(number=contract.number))
    if contract.status not in EDITABLE:
        raise _refuse(contract, _("contract {number} is {status}: it cannot be submitted"))
    approval = approvals.submit(session, actor, "contract", contract.id, amount=contract.amount,
                                currency=contract.currency, label=label(contract), owner_id=contract.owner_id)
    contract.approval_id = approval.id
    _move(session, actor, contract, "pending", "contract.status", extra={"approval": [None, approval.id]})
    if approval.status == "approved":
        _move(session, actor, contract, "approved", "contract.status", reason=_("no approval step applies"))
    return contract, approval


def _on_decided(session: Session, actor: Actor, record_id: int, outcome: str) -> None:
    contract = session.get(Contract, record_id)
    if contract is not None and contract.status == "pending":
        _move(session, actor, contract, outcome, "contract.status")


approvals.register_target("contract", _on_decided)


def mark_deal(session: Session, actor: Actor, customer_id: int) -> None:
    """A signed contract: its customer has a deal (the public pool's "no deal for M days" reads it)."""
    customer = session.get(Customer, customer_id)
    if customer is None:
        return
    now = clock.now()
    changes: dict[str, Any] = {}
    if customer.deal_status != "won":
        changes["deal_status"] = [customer.deal_status, "won"]
        customer.deal_status = "won"
    if hasattr(customer, "last_deal_at"):
        changes["last_deal_at"] = [audit.snapshot(customer, ["last_deal_at"])["last_deal_at"], now.isoformat()]
        customer.last_deal_at = now
    customer.updated_at = now
    audit.record(session, actor, "customer.deal", "customer", customer.id, customer.name, changes)


def activate(session: Session, actor: Actor, ref: Any, signed: date | None = None) -> Contract:
    """An approved contract is signed and in force: ``active``; its customer has a deal."""
    contract = lock(session, get(session, actor, ref, "edit"))
    if contract.status == "active":
        raise Conflict(_("contract {number} is already active").format(number=contract.number))
    if contract.status != "approved":
        raise _refuse(contract, _("contract {number} is {status}: it cannot be activated"))
    extra: dict[str, Any] = {}
    if signed is not None or contract.signed_on is None:
        new = signed or actor.today()
        extra["signed_on"] = [contract.signed_on.isoformat() if contract.signed_on else None, new.isoformat()]
        contract.signed_on = new
    contract.activated_at = clock.now()
    _move(session, actor, contract, "active", "contract.activate", extra=extra)
    mark_deal(session, actor, contract.customer_id)
    return contract


def reopen(session: Session, actor: Actor, contract: Contract, reason: str) -> None:
    """A completed contract that is owed money again (a payment was reversed) is active again."""
    contract.closed_at = None
    _move(session, actor, contract, "active", "contract.status", reason=reason)


def complete(session: Session, actor: Actor, contract: Contract, action: str = "contract.complete") -> None:
    if contract.activated_at is None:
        contract.activated_at = clock.now()
        mark_deal(session, actor, contract.customer_id)
    contract.closed_at = clock.now()
    _move(session, actor, contract, "completed", action)


def finish(session: Session, actor: Actor, ref: Any) -> Contract:
    """``crm contract complete``: a fully paid approved or active contract is completed."""
    contract = lock(session, get(session, actor, ref, "edit"))
    if contract.status == "completed":
        raise Conflict(_("contract {number} is already completed").format(number=contract.number))
    if contract.status not in PAYABLE:
        raise _refuse(contract, _("contract {number} is {status}: it cannot be completed"))
    if contract.paid < contract.amount:
        raise ValidationError(_("contract {number} is still owed {owed}").format(
            number=contract.number, owed=money.fmt(contract.amount - contract.paid, contract.currency)),
            hint=_("record the payment, or terminate it with a reason"))
    complete(session, actor, contract)
    return contract


def terminate(session: Session, actor: Actor, ref: Any, reason: str) -> Contract:
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError(_("say why with --reason"))
    contract = lock(session, get(session, actor, ref, "edit"))
    if contract.status == "terminated":
        raise Conflict(_("contract {number} is already terminated").format(number=contract.number))
    if contract.status not in PAYABLE:
        raise _refuse(contract, _("contract {number} is {status}: it cannot be terminated"))
    contract.end_reason = reason
    contract.closed_at = clock.now()
    _move(session, actor, contract, "terminated", "contract.terminate", reason=reason)
    return contract


def transfer(session: Session, actor: Actor, refs: list[str], to: str, reason: str | None = None) -> list[Contract]:
    require(actor, "contract.transfer")
    if not refs:
        raise ValidationError(_("name at least one contract"))
    new_owner = users.find_active(session, to)
    from crmcli.services import locking

    found = {c.id: c for c in locking.lock_batch(session, refs, lambda ref: get(session, actor, ref, "transfer"))}
    now = clock.now()
    for contract in found.values():
        if contract.owner_id == new_owner.id:
            continue
        audit.record(session, actor, "contract.transfer", "contract", contract.id, label(contract),
                     {"owner_id": [contract.owner_id, new_owner.id]}, reason=reason)
        contract.owner_id, contract.owned_since, contract.updated_at = new_owner.id, now, now
    return list(found.values())


# --- reading ---------------------------------------------------------------------------------------


@dataclass
class Detail:
    contract: Contract
    customer: str
    owner: str | None
    contact: str | None
    items: list[ContractItem]
    approvals: list[Any]
    plans: list[ReceivablePlan]
    payments: list[Payment]
    invoices: list[Invoice]
    decisions: dict[int, list[Any]] = field(default_factory=dict)

    @property
    def owed(self) -> Decimal:
        return self.contract.amount - self.contract.paid


def detail(session: Session, actor: Actor, ref: Any) -> Detail:
    contract = get(session, actor, ref, "view")
    customer = session.get(Customer, contract.customer_id)
    owner = session.get(User, contract.owner_id) if contract.owner_id else None
    contact = session.get(Contact, contract.contact_id) if contract.contact_id else None
    found = approvals.of_record(session, "contract", contract.id)
    return Detail(
        contract=contract, customer=customer.name if customer else "?", owner=owner.login if owner else None,
        contact=contact.name if contact else None, items=_items(session, contract.id), approvals=found,
        plans=list(session.execute(select(ReceivablePlan).where(ReceivablePlan.contract_id == contract.id)
                                   .order_by(ReceivablePlan.seq)).scalars()),
        payments=list(session.execute(select(Payment).where(Payment.contract_id == contract.id)
                                      .order_by(Payment.paid_on, Payment.id)).scalars()),
        invoices=list(session.execute(select(Invoice).where(Invoice.contract_id == contract.id)
                                      .order_by(Invoice.issued_on, Invoice.id)).scalars()),
        decisions={a.id: approvals.decisions_of(session, a.id) for a in found})


def listing(*, customer_id: int | None = None, ending: tuple[date, date] | None = None,
            search: str | None = None, currency: str | None = None) -> Listing:
    def extra(query: Any, _opts: ListOptions) -> Any:
        if customer_id is not None:
            query = query.where(Contract.customer_id == customer_id)
        if ending is not None:
            query = query.where(Contract.status.in_(("approved", "active")), Contract.end_on >= ending[0],
                                Contract.end_on <= ending[1])
        if currency:
            query = query.where(Contract.currency == currency)
        if search and search.strip():
            from crmcli.store.search import _escape_like

            pattern = f"%{_escape_like(search.strip().lower())}%"
            from sqlalchemy import func

            query = query.where(or_(func.lower(Contract.number).like(pattern, escape="\\"),
                                    func.lower(Contract.title).like(pattern, escape="\\")))
        return query

    return Listing(kind=CONTRACT, statuses=STATUSES, sources=None,
                   sorts={"id": "id", "created": "created_at", "updated": "updated_at", "number": "number",
                          "title": "title", "amount": "amount", "status": "status", "signed": "signed_on",
                          "start": "start_on", "end": "end_on"},
                   filterable=("number", "title", "currency", "amount", "paid", "customer_id", "opportunity_id",
                               "signed_on", "start_on", "end_on"),
                   extra=extra)


def page(session: Session, actor: Actor, opts: ListOptions, tz: Any, *, customer: str | None = None,
         ending_within: str | None = None, currency: str | None = None) -> Page:
    from crmcli import dates

    customer_id = None
    if customer:
        from crmcli.services import customers

        customer_id = customers.get(session, actor, customer, "view").id
    ending = None
    if ending_within:
        today = clock.now().astimezone(tz).date()
        ending = (today, today + timedelta(days=dates.parse_duration(ending_within).days))
        if opts.sort is None:
            opts.sort = "end"
    search, opts.search = opts.search, None  # contracts search their number and title here
    return select_page(session, actor, listing(customer_id=customer_id, ending=ending, search=search,
                                               currency=money.check_currency(currency) if currency else None),
                       opts, tz)


def names(session: Session, contracts: list[Contract]) -> tuple[dict[int, str], dict[int, str]]:
    """Customer names and owner logins of ``contracts``."""
    customer_ids = {c.customer_id for c in contracts}
    owner_ids = {c.owner_id for c in contracts if c.owner_id}
    customers = dict(session.execute(select(Customer.id, Customer.name).where(Customer.id.in_(customer_ids))).all()) \
        if customer_ids else {}
    owners = dict(session.execute(select(User.id, User.login).where(User.id.in_(owner_ids))).all()) if owner_ids else {}
    return customers, owners


# --- customers, hand-over --------------------------------------------------------------------------


def _customer_contracts(session: Session, actor: Actor, customer_id: int) -> list[dict[str, Any]]:
    from crmcli.services.access import visible_clause

    rows = session.execute(select(Contract).where(Contract.customer_id == customer_id,
                                                  visible_clause(actor, CONTRACT)).order_by(Contract.id)).scalars()
    return [{"id": c.id, "number": c.number, "title": c.title, "status": c.status,
             "amount": money.plain(c.amount, c.currency), "paid": money.plain(c.paid, c.currency),
             "owed": money.plain(c.amount - c.paid, c.currency), "currency": c.currency, "end_on": c.end_on}
            for c in rows]


def _customer_plans(session: Session, actor: Actor, customer_id: int) -> list[dict[str, Any]]:
    from crmcli.services.access import visible_clause

    rows = session.execute(select(ReceivablePlan, Contract).join(Contract, Contract.id == ReceivablePlan.contract_id)
                           .where(Contract.customer_id == customer_id, visible_clause(actor, CONTRACT))
                           .order_by(ReceivablePlan.due_on, ReceivablePlan.id)).all()
    return [{"contract": c.number, "seq": p.seq, "due_on": p.due_on, "amount": money.plain(p.amount, c.currency),
             "unpaid": money.plain(p.amount - p.paid, c.currency), "currency": c.currency, "status": p.status}
            for p, c in rows]


def _customer_payments(session: Session, actor: Actor, customer_id: int) -> list[dict[str, Any]]:
    from crmcli.services.access import visible_clause

    rows = session.execute(select(Payment, Contract).join(Contract, Contract.id == Payment.contract_id)
                           .where(Contract.customer_id == customer_id, visible_clause(actor, CONTRACT))
                           .order_by(Payment.paid_on, Payment.id)).all()
    return [{"id": p.id, "contract": c.number, "paid_on": p.paid_on, "amount": money.plain(p.amount, c.currency),
             "currency": c.currency, "method": p.method, "reverses": p.reverses_id} for p, c in rows]


def _transfer_with_customer(session: Session, actor: Actor, customer_ids: list[int], owner_id: int) -> int:
    rows = list(session.execute(select(Contract).where(Contract.customer_id.in_(customer_ids),
                                                       Contract.owner_id != owner_id)).scalars())
    now = clock.now()
    for contract in rows:
        audit.record(session, actor, "contract.transfer", "contract", contract.id, label(contract),
                     {"owner_id": [contract.owner_id, owner_id]})
        contract.owner_id, contract.owned_since, contract.updated_at = owner_id, now, now
    return len(rows)


def _merge(session: Session, actor: Actor, drop_id: int, keep_id: int) -> int:
    ids = list(session.execute(select(Contract.id).where(Contract.customer_id == drop_id)).scalars())
    if ids:
        session.execute(update(Contract).where(Contract.id.in_(ids)).values(customer_id=keep_id))
        audit.record_many(session, [{"actor_id": actor.id or None, "actor_login": actor.login,
                                     "action": "contract.merge", "record_type": "contract", "record_id": i,
                                     "changes": {"customer_id": [drop_id, keep_id]}} for i in ids])
    return len(ids)


def _count_owned(session: Session, user_id: int) -> int:
    from sqlalchemy import func

    return session.execute(select(func.count()).select_from(Contract).where(
        Contract.owner_id == user_id, Contract.status.in_(OPEN))).scalar_one()


def _hand_over(session: Session, actor: Actor, from_id: int, to_id: int) -> int:
    ids = list(session.execute(select(Contract.id).where(Contract.owner_id == from_id,
                                                         Contract.status.in_(OPEN))).scalars())
    if ids:
        now = clock.now()
        session.execute(update(Contract).where(Contract.id.in_(ids)).values(owner_id=to_id, owned_since=now,
                                                                            updated_at=now))
        audit.record_many(session, [{"actor_id": actor.id or None, "actor_login": actor.login,
                                     "action": "contract.handover", "record_type": "contract", "record_id": i,
                                     "changes": {"owner_id": [from_id, to_id]}} for i in ids])
    return len(ids)


def _register() -> None:
    from crmcli.services import customers

    customers.register_related(customers.Related(
        name="contracts", title=N_("Contracts"),
        columns=(("number", N_("number")), ("title", N_("name")), ("status", N_("status")),
                 ("amount", N_("amount")), ("paid", N_("paid")), ("owed", N_("owed")),
                 ("currency", N_("currency")), ("end_on", N_("end"))),
        rows=_customer_contracts, transfer=_transfer_with_customer, merge=_merge))
    customers.register_related(customers.Related(
        name="receivable_plans", title=N_("Receivable plans"),
        columns=(("contract", N_("contract")), ("seq", N_("plan")), ("due_on", N_("due")),
                 ("amount", N_("amount")), ("unpaid", N_("unpaid")), ("currency", N_("currency")),
                 ("status", N_("status"))),
        rows=_customer_plans, noun="contract"))
    customers.register_related(customers.Related(
        name="payments", title=N_("Payments"),
        columns=(("contract", N_("contract")), ("paid_on", N_("date")), ("amount", N_("amount")),
                 ("currency", N_("currency")), ("method", N_("method"))),
        rows=_customer_payments, noun="contract"))
    users.register_handover("contract", _count_owned, _hand_over)
    from crmcli.services import receivables

    try:  # crm today / crm remind (the schedule area's extension points)
        from crmcli.services import reminders, today
    except ImportError:  # pragma: no cover - without the schedule area
        return
    today.register_section("receivables", N_("Receivable plans due"), receivables.today_section)
    reminders.register_source("receivable", receivables.reminder_source)


_register()


# --- from a quote ----------------------------------------------------------------------------------


def from_quote(session: Session, actor: Actor, ref: Any, **kwargs: Any) -> Contract:
    """A draft contract from an accepted quote: its customer, opportunity, currency and line items.

    Each quote line becomes an item with the line's total (after its discount); the quote's tax is
    one more item, so the contract amount is exactly the quote's total.  A quote becomes one
    contract (a second is a conflict, exit 5).
    """
    from crmcli.services import quotes
    from crmcli.store.models.pipeline import Opportunity

    quote = quotes.get(session, actor, ref, "view")
    if quote.status != "accepted":
        raise ValidationError(_("quote {quote} is {status}: only an accepted quote becomes a contract").format(
            quote=quotes.label(quote), status=_(quotes.STATUS_LABELS.get(quote.status, quote.status))))
    made = session.execute(select(Contract.number).where(Contract.quote_id == quote.id)).scalars().first()
    if made is not None:
        raise Conflict(_("quote {quote} is already contract {number}").format(quote=quotes.label(quote), number=made))
    currency = money.check_currency(quote.currency)
    items = []
    for line in quotes.lines(session, quote.id):
        description = line.description
        if line.discount:
            description = f"{description} (-{line.discount.normalize()}%)"[:200]
        items.append(ItemValues(description, line.quantity, line.unit_price, line.product_id, line.unit, line.total))
    if quote.tax:
        items.append(ItemValues(_("Tax {rate}%").format(rate=quote.tax_rate.normalize()), Decimal(1), quote.tax,
                                total=quote.tax))
    if sum((line_total(i, currency) for i in items), Decimal(0)) != quote.total:
        raise ValidationError(_("quote {quote}'s lines do not add up to its total").format(quote=quotes.label(quote)))
    opportunity = session.get(Opportunity, quote.opportunity_id)
    title = kwargs.pop("title", None) or (opportunity.name if opportunity else None)
    return add(session, actor, customer=str(quote.customer_id), title=title, currency=currency,
               opportunity=str(quote.opportunity_id) if quote.opportunity_id else None, quote_id=quote.id,
               parsed_items=items, **kwargs)
