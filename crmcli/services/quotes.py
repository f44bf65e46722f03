"""Quotes (报价单): made from an opportunity; line items from the catalog; draft → sent → accepted | rejected.

* A quote has one currency (the opportunity's unless given); every line's product must be
  priced in it — a mismatch is refused.  The unit price comes from the catalog unless given;
  the discount defaults to the best quantity-tier or customer-tier rule
  (:func:`crmcli.services.products.suggested_discount`).
* Totals: each line's total is rounded once (:func:`crmcli.services.pricing.line_total`); the
  subtotal is their sum, tax is the subtotal × the tax rate (rounded the same way), total = both.
* A discount above the largest the actor's roles may give marks the quote ``needs_approval``;
  it cannot be sent until approved through the approval flows (:mod:`crmcli.services.approvals`,
  the same mechanism as contracts): :func:`submit` opens an approval of the quote's total, the
  approvers of the quote flow's current step decide with ``crm approval approve|reject``, and the
  outcome comes back to :func:`_on_decided` (approved: the quote may be sent; rejected: it stays a
  draft — lower the discount or submit again).  While no flow is set for quotes, the default is
  one step: the owner's manager (any super administrator when the owner has none).  Changing a
  line cancels a pending approval (the approvers would be deciding on other figures).
* Lines change only while the quote is a draft.  An accepted quote is what a contract is made from.

Data scope follows the opportunity's owner; the customer's team sees its quotes too.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta, tzinfo
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from crmcli import clock
from crmcli.errors import Conflict, NotFound, ValidationError
from crmcli.i18n import N_, _
from crmcli.services import approvals, audit, opportunities, pricing, products, records
from crmcli.services.access import Actor, Kind, register_kind, require, visible_clause
from crmcli.store.models import Customer, User
from crmcli.store.models.pipeline import Opportunity, Product, Quote, QuoteLine

STATUSES = ("draft", "sent", "accepted", "rejected")
STATUS_LABELS = {"draft": N_("draft"), "sent": N_("sent"), "accepted": N_("accepted"), "rejected": N_("rejected")}
VALID_DAYS = 30


def label(quote: Quote) -> str:
    return f"Q{quote.id:05d}"


QUOTE = register_kind(Kind(name="quote", model=Quote, noun="quote", label=label, has_team=True,
                           team_type="customer", team_attr="customer_id", aliases=("quotes",)))


def get(session: Session, actor: Actor, ref: Any, verb: str = "view") -> Quote:
    text = str(ref).strip().upper()
    if text.startswith("Q") and text[1:].isascii() and text[1:].isdigit():
        text = text[1:].lstrip("0") or "0"
    quote = records.get(session, actor, QUOTE, text, verb)
    if verb != "view":
        session.flush()  # a refresh must not drop this transaction's own unflushed changes
        session.refresh(quote, with_for_update=True)  # one change at a time (see opportunities.get)
    return quote


def _draft(quote: Quote) -> None:
    if quote.status != "draft":
        raise ValidationError(_("quote {quote} is {status}: its lines can no longer change").format(
            quote=label(quote), status=_(STATUS_LABELS[quote.status])))


def add(session: Session, actor: Actor, opportunity: Any, *, currency: str | None = None, tax_rate: Any = None,
        valid_until: date | None = None, note: str | None = None, tz: tzinfo | None = None) -> Quote:
    require(actor, "quote.create")
    opp = opportunities.get(session, actor, opportunity, "edit")
    if opp.status == "lost":
        raise ValidationError(_("opportunity {id} is lost: reopen it before quoting").format(id=opp.id))
    now = clock.now()
    today = now.astimezone(tz).date() if tz else now.date()
    if valid_until is not None and valid_until < today:
        raise ValidationError(_("the quote would be valid only until {date}, which has passed").format(date=valid_until))
    quote = Quote(opportunity_id=opp.id, customer_id=opp.customer_id, owner_id=opp.owner_id,
                  currency=pricing.check_currency(currency or opp.currency),
                  tax_rate=pricing.parse_percent(tax_rate if tax_rate is not None else 0, _("the tax rate")),
                  valid_until=valid_until or today + timedelta(days=VALID_DAYS), status="draft",
                  note=(note or "").strip() or None, created_by=actor.id, created_at=now, updated_at=now)
    session.add(quote)
    session.flush()
    audit.record(session, actor, "quote.add", "quote", quote.id, label(quote), audit.created(
        {"opportunity_id": opp.id, "currency": quote.currency, "tax_rate": quote.tax_rate,
         "valid_until": quote.valid_until.isoformat()}))
    return quote


def lines(session: Session, quote_id: int) -> list[QuoteLine]:
    return list(session.execute(select(QuoteLine).where(QuoteLine.quote_id == quote_id)
                                .order_by(QuoteLine.position, QuoteLine.id)).scalars())


def _recompute(session: Session, actor: Actor, quote: Quote) -> None:
    """Totals from the lines, and whether a discount needs approval."""
    session.flush()
    found = lines(session, quote.id)
    quote.subtotal = sum((line.total for line in found), Decimal("0.00"))
    quote.tax = pricing.round_money(quote.subtotal * quote.tax_rate / pricing.HUNDRED, quote.currency)
    from crmcli import limits

    quote.total = limits.check_amount(quote.subtotal + quote.tax, what=_("the quote's total"))
    limit = products.discount_limit(session, actor)
    biggest = max((line.discount for line in found), default=Decimal("0"))
    quote.needs_approval = limit is not None and biggest > limit
    quote.updated_at = clock.now()


def line_add(session: Session, actor: Actor, ref: Any, product: str, quantity: Any, *, unit_price: Any = None,
             discount: Any = None, description: str | None = None) -> QuoteLine:
    quote = get(session, actor, ref, "edit")
    _draft(quote)
    item = products.get(session, product)
    products.ensure_on_sale(item)
    if item.currency != quote.currency:
        raise ValidationError(_("product {code} is priced in {product_currency}, the quote in {currency}").format(
            code=item.code, product_currency=item.currency, currency=quote.currency),
            hint=_("one quote holds one currency: make another quote in {currency}").format(currency=item.currency))
    qty = pricing.parse_quantity(quantity)
    price = pricing.parse_money(unit_price, quote.currency, _("the unit price")) if unit_price is not None \
        else item.list_price
    if discount is not None:
        off = pricing.parse_percent(discount)
    else:
        customer = session.get(Customer, quote.customer_id)
        off = products.suggested_discount(session, item, qty, customer.tier if customer else None)
    position = (session.execute(select(func.max(QuoteLine.position)).where(QuoteLine.quote_id == quote.id))
                .scalar_one() or 0) + 1
    line = QuoteLine(quote_id=quote.id, position=position, product_id=item.id,
                     description=(description or item.name).strip()[:200], unit=item.unit, quantity=qty,
                     unit_price=price, discount=off, total=pricing.line_total(qty, price, off, quote.currency))
    session.add(line)
    _recompute(session, actor, quote)
    audit.record(session, actor, "quote.line_add", "quote", quote.id, label(quote), {
        f"line.{position}": [None, {"product": item.code, "quantity": str(qty), "unit_price": str(price),
                                    "discount": str(off), "total": str(line.total)}],
        "total": [None, str(quote.total)], **_cancel_approval(session, actor, quote)})
    return line


def line_remove(session: Session, actor: Actor, ref: Any, position: int) -> Quote:
    quote = get(session, actor, ref, "edit")
    _draft(quote)
    line = session.execute(select(QuoteLine).where(QuoteLine.quote_id == quote.id,
                                                   QuoteLine.position == position)).scalar_one_or_none()
    if line is None:
        raise NotFound(_("quote {quote} has no line {n}").format(quote=label(quote), n=position))
    before = quote.total
    session.delete(line)
    _recompute(session, actor, quote)
    audit.record(session, actor, "quote.line_remove", "quote", quote.id, label(quote),
                 {f"line.{position}": [{"product_id": line.product_id, "total": str(line.total)}, None],
                  "total": [str(before), str(quote.total)], **_cancel_approval(session, actor, quote)})
    return quote


def _cancel_approval(session: Session, actor: Actor, quote: Quote) -> dict[str, Any]:
    """A line changed: a pending approval was about other figures, so it is cancelled."""
    pending = approvals.pending_for(session, "quote", quote.id)
    if pending is None:
        return {}
    approvals.cancel_pending(session, actor, "quote", quote.id)
    return {"approval_status": [f"#{pending.id} pending", f"#{pending.id} cancelled"]}


def _status(session: Session, actor: Actor, quote: Quote, to: str, reason: str | None = None) -> Quote:
    audit.record(session, actor, f"quote.{ {'sent': 'send', 'accepted': 'accept', 'rejected': 'reject'}[to] }",
                 "quote", quote.id, label(quote), {"status": [quote.status, to]}, reason=reason)
    quote.status = to
    now = clock.now()
    quote.updated_at = now
    if to == "sent":
        quote.sent_at = now
    else:
        quote.decided_at = now
    return quote


def send(session: Session, actor: Actor, ref: Any) -> Quote:
    quote = get(session, actor, ref, "edit")
    if quote.status != "draft":
        raise Conflict(_("quote {quote} is already {status}").format(quote=label(quote),
                                                                     status=_(STATUS_LABELS[quote.status])))
    if not lines(session, quote.id):
        raise ValidationError(_("quote {quote} has no lines").format(quote=label(quote)),
                              hint=_("crm quote line add {quote} PRODUCT --quantity N").format(quote=quote.id))
    if quote.needs_approval:
        pending = approvals.pending_for(session, "quote", quote.id)
        if pending is not None:
            step = approvals.current_step(pending)
            raise ValidationError(_("quote {quote} is waiting for approval {id} ({rule})").format(
                quote=label(quote), id=pending.id, rule=step["rule"] if step else "-"),
                hint=_("its approvers: crm approval approve {id}").format(id=pending.id))
        last = latest_approval(session, quote.id)
        if last is not None and last.status == "rejected":
            raise ValidationError(_("approval {id} of quote {quote} was rejected").format(
                id=last.id, quote=label(quote)),
                hint=_("lower the discount, or submit it again: crm quote submit {id}").format(id=quote.id))
        raise ValidationError(_("quote {quote} gives a discount above your limit and needs approval").format(
            quote=label(quote)), hint=_("crm quote submit {id}").format(id=quote.id))
    return _status(session, actor, quote, "sent")


def latest_approval(session: Session, quote_id: int) -> Any:
    found = approvals.of_record(session, "quote", quote_id)
    return found[-1] if found else None


def submit(session: Session, actor: Actor, ref: Any) -> tuple[Quote, Any]:
    """Send a draft quote whose discount is above the limit for approval (the quote flow; by default
    the owner's manager).  Approved at once when no step of the flow applies."""
    quote = get(session, actor, ref, "edit")
    if quote.status != "draft":
        raise Conflict(_("quote {quote} is already {status}").format(quote=label(quote),
                                                                     status=_(STATUS_LABELS[quote.status])))
    if not quote.needs_approval:
        raise Conflict(_("quote {quote} does not need approval").format(quote=label(quote)),
                       hint=_("crm quote send {id}").format(id=quote.id))
    if approvals.pending_for(session, "quote", quote.id) is not None:
        raise Conflict(_("quote {quote} is already waiting for approval").format(quote=label(quote)),
                       hint=_("crm approval list --type quote"))
    approval = approvals.submit(session, actor, "quote", quote.id, amount=quote.total, currency=quote.currency,
                                label=label(quote), owner_id=quote.owner_id)
    if approval.status == "approved":
        _on_decided(session, actor, quote.id, "approved")
    return quote, approval


def _on_decided(session: Session, actor: Actor, record_id: int, outcome: str) -> None:
    """The quote's approval is decided: approved clears ``needs_approval`` (it may be sent);
    rejected leaves it a draft that needs approval."""
    quote = session.get(Quote, record_id)
    if quote is None or outcome != "approved" or not quote.needs_approval:
        return
    quote.needs_approval = False
    quote.updated_at = clock.now()
    audit.record(session, actor, "quote.approved", "quote", quote.id, label(quote), {"needs_approval": [True, False]})


approvals.register_target("quote", _on_decided, default_flow=[{"approver": "manager"}], log_as="quote.approval")


def approve(session: Session, actor: Actor, ref: Any, comment: str | None = None) -> Any:
    """``crm quote approve``: approve the current step of the quote's pending approval (its approvers only)."""
    quote = get(session, actor, ref, "view")
    pending = approvals.pending_for(session, "quote", quote.id)
    if pending is None:
        if not quote.needs_approval:
            raise Conflict(_("quote {quote} does not need approval").format(quote=label(quote)))
        raise ValidationError(_("quote {quote} has not been submitted for approval").format(quote=label(quote)),
                              hint=_("crm quote submit {id}").format(id=quote.id))
    return approvals.decide(session, actor, pending.id, "approve", comment)


def decide(session: Session, actor: Actor, ref: Any, accept: bool, reason: str | None = None,
           tz: tzinfo | None = None) -> Quote:
    quote = get(session, actor, ref, "edit")
    to = "accepted" if accept else "rejected"
    if quote.status in ("accepted", "rejected"):
        raise Conflict(_("quote {quote} is already {status}").format(quote=label(quote),
                                                                     status=_(STATUS_LABELS[quote.status])))
    if quote.status != "sent":
        raise ValidationError(_("quote {quote} has not been sent").format(quote=label(quote)),
                              hint=_("crm quote send {id}").format(id=quote.id))
    if accept:
        today = clock.now().astimezone(tz).date() if tz else clock.now().date()
        if quote.valid_until is not None and quote.valid_until < today:
            raise ValidationError(_("quote {quote} expired on {date}").format(quote=label(quote),
                                                                              date=quote.valid_until))
    if not accept:
        reason = (reason or "").strip() or None
        quote.reject_reason = reason
    return _status(session, actor, quote, to, reason)


@dataclass
class View:
    quote: Quote
    opportunity: Opportunity
    customer: Customer
    owner: str | None
    lines: list[tuple[QuoteLine, Product]]
    approval: dict[str, Any] | None = None  # the latest approval: id, status, waiting_for (the current step)


def view(session: Session, actor: Actor, ref: Any) -> View:
    quote = get(session, actor, ref, "view")
    owner = session.get(User, quote.owner_id) if quote.owner_id else None
    rows = [(line, session.get(Product, line.product_id)) for line in lines(session, quote.id)]
    last = latest_approval(session, quote.id)
    step = approvals.current_step(last) if last is not None else None
    approval = {"id": last.id, "status": last.status, "waiting_for": step["rule"] if step else None} if last else None
    return View(quote, session.get(Opportunity, quote.opportunity_id), session.get(Customer, quote.customer_id),
                owner.login if owner else None, rows, approval)


def listing(session: Session, actor: Actor, *, status: list[str] | None = None, opportunity: Any = None,
            limit: int = 50) -> list[Quote]:
    require(actor, "quote.view")
    query = select(Quote).where(visible_clause(actor, QUOTE))
    for value in status or []:
        if value not in STATUSES:
            raise ValidationError(_("unknown status '{status}'").format(status=value),
                                  hint=_("one of: {choices}").format(choices=", ".join(STATUSES)))
    if status:
        query = query.where(Quote.status.in_(status))
    if opportunity is not None:
        query = query.where(Quote.opportunity_id == opportunities.get(session, actor, opportunity).id)
    return list(session.execute(query.order_by(Quote.id.desc()).limit(limit)).scalars())
