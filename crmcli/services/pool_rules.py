"""The recycle clock: which rule applies to an owned customer, when it fires, and why.

A customer belongs to a **home pool** (``customer.pool_id``; else the pool of its owner's
department, nearest up the tree; else the default pool) and a **tier**; the pool's rule for that
tier (:func:`crmcli.services.pool.rules_of`) decides.  Two clocks run:

* **follow-up clock** — from the later of the time its current owner received it
  (``owned_since``: claim, assignment, transfer and hand-over reset it) and its last *qualifying*
  follow-up: one made by a method the rule lists (``followup_via``) with a note of at least
  ``min_note`` characters, on the customer or on one of its contacts.  It fires after
  ``followup_days``.
* **deal clock** — from the later of ``owned_since`` and ``customer.last_deal_at`` (set by the
  pipeline and contract areas when an opportunity is won or a contract signed).  It fires after
  ``deal_days``.

Exemptions: a locked customer (``exempt_locked``), a customer with a deal (``deal_status`` other
than ``none``, when ``exempt_deal``).  The owner is warned ``warn_days`` before.

The same conditions exist twice, kept in step: as SQL (:func:`due_clause`, used set-based by
recycling, simulation, warnings and ``crm customer list --recycle-within``) and per customer in
Python (:func:`clocks`, for explanations and the "days left" column).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, case, exists, false, func, not_, or_, select, true
from sqlalchemy.orm import Session

from crmcli import clock
from crmcli.i18n import N_, _
from crmcli.services import pool as pools
from crmcli.services.access import Actor, require, visible_clause
from crmcli.services.pool import Rule
from crmcli.services.records import VIA
from crmcli.store.models import Contact, Customer, FollowUp, User
from crmcli.store.models.pool import Pool

REASONS = ("followup", "deal")
REASON_LABELS = {"followup": N_("no follow-up"), "deal": N_("no deal"), "locked": N_("locked"),
                 "has_deal": N_("has a deal"), "off": N_("no rule"), "pooled": N_("in the pool")}
LOG_REASONS = {"followup": "no qualifying follow-up for {days} days", "deal": "no deal for {days} days"}


# --- segments: which rule applies to which owned customers ----------------------------------------


@dataclass
class Segment:
    """The owned customers one rule applies to: a pool's customers of one tier (or of every other tier)."""

    pool: Pool
    tier: str  # '*' or a tier code
    rule: Rule
    clause: Any  # SQL: the customer belongs to this pool and tier


def _pool_clause(pool: Pool, homes: dict[int, int], customer_pool_ids: list[int]) -> Any:
    """SQL: an owned customer's home pool is ``pool``."""
    if pool.is_default:
        elsewhere = sorted({u for u, p in homes.items() if p != pool.id})
        no_pool = or_(Customer.pool_id.is_(None), Customer.pool_id.not_in(customer_pool_ids))
        if elsewhere:
            no_pool = and_(no_pool, or_(Customer.owner_id.is_(None), Customer.owner_id.not_in(elsewhere)))
        return or_(Customer.pool_id == pool.id, no_pool)
    mine = sorted(u for u, p in homes.items() if p == pool.id)
    if mine:
        return or_(Customer.pool_id == pool.id, and_(Customer.pool_id.is_(None), Customer.owner_id.in_(mine)))
    return Customer.pool_id == pool.id


def segments(session: Session, pool_filter: Pool | None = None,
             overrides: dict[str, Any] | None = None) -> list[Segment]:
    """Every (pool, tier) rule with the customers it covers; together they cover each owned customer once."""
    customer_pools = pools.all_pools(session, "customer")
    ids = [p.id for p in customer_pools]
    homes = pools.home_pools(session)
    rules = pools.rules_of(session, ids, overrides)
    found: list[Segment] = []
    for pool in customer_pools:
        if pool_filter is not None and pool.id != pool_filter.id:
            continue
        in_pool = _pool_clause(pool, homes, ids)
        pool_rules = rules.get(pool.id) or {"*": Rule.of({**pools.DEFAULT_RULE, **(overrides or {})})}
        tiers = sorted(t for t in pool_rules if t != "*")
        for tier in tiers:
            found.append(Segment(pool, tier, pool_rules[tier], and_(in_pool, Customer.tier == tier)))
        other = or_(Customer.tier.is_(None), Customer.tier.not_in(tiers)) if tiers else true()
        found.append(Segment(pool, "*", pool_rules["*"], and_(in_pool, other)))
    return found


# --- SQL ---------------------------------------------------------------------------------------


def _start() -> Any:
    return func.coalesce(Customer.owned_since, Customer.created_at)


def _qualifying(rule: Rule, after: datetime | None) -> list[Any]:
    """SQL conditions on a follow-up that counts for the rule (after ``after``, when given)."""
    conditions = [FollowUp.at > after] if after is not None else []
    if set(rule.followup_via) != set(VIA):
        conditions.append(FollowUp.via.in_(rule.followup_via or ("-",)))
    if rule.min_note > 0:
        conditions.append(func.length(func.trim(FollowUp.content)) >= rule.min_note)
    return conditions


def followup_due(rule: Rule, as_of: datetime) -> Any:
    """SQL: the follow-up clock has run out by ``as_of``."""
    if rule.followup_days <= 0:
        return false()
    cut = as_of - timedelta(days=rule.followup_days)
    own = exists().where(FollowUp.record_type == "customer", FollowUp.record_id == Customer.id,
                         *_qualifying(rule, cut))
    people = exists().where(Contact.customer_id == Customer.id, FollowUp.record_type == "contact",
                            FollowUp.record_id == Contact.id, *_qualifying(rule, cut))
    return and_(_start() <= cut, not_(own), not_(people))


def deal_due(rule: Rule, as_of: datetime) -> Any:
    if rule.deal_days <= 0:
        return false()
    cut = as_of - timedelta(days=rule.deal_days)
    return and_(_start() <= cut, or_(Customer.last_deal_at.is_(None), Customer.last_deal_at <= cut))


def exempt(rule: Rule) -> Any:
    conditions = []
    if rule.exempt_locked:
        conditions.append(Customer.locked.is_(True))
    if rule.exempt_deal:
        conditions.append(Customer.deal_status != "none")
    return or_(*conditions) if conditions else false()


def owned() -> Any:
    return and_(Customer.owner_id.is_not(None), Customer.merged_into_id.is_(None))


def due_clause(segment: Segment, as_of: datetime) -> Any:
    """SQL: an owned customer of this segment that a rule catches at ``as_of``."""
    rule = segment.rule
    return and_(owned(), segment.clause, not_(exempt(rule)),
                or_(followup_due(rule, as_of), deal_due(rule, as_of)))


def reason_column(segment: Segment, as_of: datetime) -> Any:
    """SQL: which rule fires (the follow-up rule when both do)."""
    return case((followup_due(segment.rule, as_of), "followup"), else_="deal")


def within_clause(session: Session, within: timedelta, now: datetime | None = None) -> Any:
    """SQL for ``crm customer list --recycle-within 7d``: owned customers a rule catches within that time."""
    as_of = (now or clock.now()) + within
    return or_(*[due_clause(s, as_of) for s in segments(session)])


# --- one customer at a time --------------------------------------------------------------------


@dataclass
class Clock:
    """When and why one owned customer would be recycled."""

    pool: Pool
    tier: str  # the rule's tier ('*': the pool's own rule)
    rule: Rule
    received_at: datetime  # when its current owner got it
    last_followup: tuple[datetime, int, str] | None  # qualifying: (at, follow-up id, via)
    followup_due_at: datetime | None
    deal_from: datetime
    deal_due_at: datetime | None
    exemptions: list[str] = field(default_factory=list)  # locked | has_deal

    @property
    def due_at(self) -> datetime | None:
        if self.exemptions:
            return None
        dues = [d for d in (self.followup_due_at, self.deal_due_at) if d is not None]
        return min(dues) if dues else None

    @property
    def reason(self) -> str:
        if self.exemptions:
            return self.exemptions[0]
        if self.due_at is None:
            return "off"
        return "followup" if self.followup_due_at == self.due_at else "deal"

    def days_left(self, now: datetime) -> int | None:
        """Whole days until the clock runs out (0: due at the next run; negative: overdue)."""
        due = self.due_at
        if due is None:
            return None
        days = (due - now).total_seconds() / 86400
        return math.ceil(days) if days > 0 else math.floor(days)


def _last_qualifying(session: Session, rule: Rule, ids: list[int]) -> dict[int, tuple[datetime, int, str]]:
    """customer id -> its latest qualifying follow-up (on it or on one of its contacts)."""
    found: dict[int, tuple[datetime, int, str]] = {}
    conditions = _qualifying(rule, None)
    for start in range(0, len(ids), 500):
        chunk = ids[start:start + 500]
        own = select(FollowUp.record_id, FollowUp.at, FollowUp.id, FollowUp.via).where(
            FollowUp.record_type == "customer", FollowUp.record_id.in_(chunk), *conditions)
        people = select(Contact.customer_id, FollowUp.at, FollowUp.id, FollowUp.via).join(
            Contact, and_(FollowUp.record_type == "contact", FollowUp.record_id == Contact.id)).where(
            Contact.customer_id.in_(chunk), *conditions)
        for query in (own, people):
            for customer_id, at, followup_id, via in session.execute(query):
                if customer_id not in found or at > found[customer_id][0]:
                    found[customer_id] = (at, followup_id, via)
    return found


def _rule_for(customer: Customer, rules: dict[int, dict[str, Rule]], homes: dict[int, int],
              by_id: dict[int, Pool], default: Pool) -> tuple[Pool, str, Rule]:
    pool = by_id.get(customer.pool_id) if customer.pool_id is not None else None
    if pool is None:
        pool = by_id.get(homes.get(customer.owner_id)) if customer.owner_id is not None else None
    pool = pool or default
    pool_rules = rules.get(pool.id) or {"*": Rule.of(pools.DEFAULT_RULE)}
    tier = customer.tier if customer.tier in pool_rules else "*"
    return pool, tier, pool_rules[tier]


def clocks(session: Session, customers: list[Customer], overrides: dict[str, Any] | None = None) -> dict[int, Clock]:
    """The clock of each owned customer given (pooled and merged ones are left out)."""
    wanted = [c for c in customers if c.owner_id is not None and c.merged_into_id is None]
    if not wanted:
        return {}
    customer_pools = pools.all_pools(session, "customer")
    by_id = {p.id: p for p in customer_pools}
    default = next((p for p in customer_pools if p.is_default), None) or pools.default_pool(session)
    rules = pools.rules_of(session, list(by_id), overrides)
    homes = pools.home_pools(session)
    placed = {c.id: _rule_for(c, rules, homes, by_id, default) for c in wanted}
    last: dict[int, tuple[datetime, int, str]] = {}
    by_rule: dict[tuple[tuple[str, ...], int], list[int]] = {}
    for c in wanted:
        rule = placed[c.id][2]
        by_rule.setdefault((rule.followup_via, rule.min_note), []).append(c.id)
    for (via, min_note), ids in by_rule.items():
        probe = Rule.of({**pools.DEFAULT_RULE, "followup_via": ",".join(via), "min_note": min_note})
        last.update(_last_qualifying(session, probe, ids))
    found: dict[int, Clock] = {}
    for c in wanted:
        pool, tier, rule = placed[c.id]
        received = c.owned_since or c.created_at
        q = last.get(c.id)
        fu_from = max(received, q[0]) if q else received
        deal_from = max(received, c.last_deal_at) if c.last_deal_at else received
        exemptions = []
        if rule.exempt_locked and c.locked:
            exemptions.append("locked")
        if rule.exempt_deal and c.deal_status != "none":
            exemptions.append("has_deal")
        found[c.id] = Clock(pool, tier, rule, received, q,
                            fu_from + timedelta(days=rule.followup_days) if rule.followup_days > 0 else None,
                            deal_from, deal_from + timedelta(days=rule.deal_days) if rule.deal_days > 0 else None,
                            exemptions)
    return found


# --- explain ----------------------------------------------------------------------------------


@dataclass
class Explanation:
    customer: Customer
    owner: str | None
    pool: Pool  # its pool now (pooled) or the pool it returns to
    clock: Clock | None  # None while it sits in a pool


def explain(session: Session, actor: Actor, ref: str) -> Explanation:
    """Which rule will fire for a customer, on which clock, when, and which exemptions apply."""
    from crmcli.services import customers

    require(actor, "pool.view")
    customer = _find_for_explain(session, actor, ref)
    owner = session.get(User, customer.owner_id) if customer.owner_id is not None else None
    if customer.owner_id is None:
        pool = _current_pool(session, customer)
        return Explanation(customer, None, pool, None)
    found = clocks(session, [customer])
    customers.ensure_unmerged(customer)
    c = found[customer.id]
    return Explanation(customer, owner.login if owner else None, c.pool, c)


def _current_pool(session: Session, customer: Customer) -> Pool:
    pool = session.get(Pool, customer.pool_id) if customer.pool_id is not None else None
    return pool if pool is not None and pool.kind == "customer" else pools.default_pool(session)


def _find_for_explain(session: Session, actor: Actor, ref: str) -> Customer:
    """A customer in the actor's scope, or one sitting in a pool the actor is a member of."""
    from crmcli.errors import NotFound
    from crmcli.services import customers

    from crmcli import limits

    text = str(ref).strip().lstrip("#")
    if limits.as_id(text) is not None:
        found = session.get(Customer, limits.as_id(text))
        if found is not None and found.owner_id is None and found.merged_into_id is None:
            if pools.is_member(session, actor, _current_pool(session, found)):
                return found
            raise NotFound(_("no customer {ref}").format(ref=ref))
    return customers.get(session, actor, ref, "view")


# --- simulate and warn ------------------------------------------------------------------------


@dataclass
class Due:
    id: int
    name: str
    tier: str | None
    owner_id: int
    owner: str
    pool: Pool
    reason: str  # followup | deal
    days: int  # the rule's days


def due_rows(session: Session, as_of: datetime, *, pool: Pool | None = None, overrides: dict[str, Any] | None = None,
             scope: Any = None, limit: int | None = None) -> list[Due]:
    """Owned customers a rule catches at ``as_of`` (read only; set-based, one query per segment)."""
    found: list[Due] = []
    logins = dict(session.execute(select(User.id, User.login)).all())
    for seg in segments(session, pool, overrides):
        query = select(Customer.id, Customer.name, Customer.tier, Customer.owner_id,
                       reason_column(seg, as_of)).where(due_clause(seg, as_of)).order_by(Customer.id)
        if scope is not None:
            query = query.where(scope)
        for cid, name, tier, owner_id, reason in session.execute(query):
            days = seg.rule.followup_days if reason == "followup" else seg.rule.deal_days
            found.append(Due(cid, name, tier, owner_id, logins.get(owner_id, str(owner_id)), seg.pool, reason, days))
    found.sort(key=lambda d: d.id)
    return found[:limit] if limit else found


def simulate(session: Session, actor: Actor, *, as_of: datetime | None = None, pool_ref: str | None = None,
             assignments: list[str] | None = None) -> tuple[datetime, list[Due]]:
    """What a recycle run would move at ``as_of`` or under changed rules; changes nothing."""
    require(actor, "pool.view")
    pool = pools.find(session, pool_ref, "customer") if pool_ref else None
    if pool is not None:
        pools.ensure_member(session, actor, pool)
    overrides = pools.parse_assignments(assignments or [])
    as_of = as_of or clock.now()
    # everyone, pool administrators too, sees only the customers their scope (or a team) shows them
    scope = visible_clause(actor, _customer_kind())
    return as_of, due_rows(session, as_of, pool=pool, overrides=overrides, scope=scope)


def _customer_kind():
    from crmcli.services.customers import CUSTOMER

    return CUSTOMER


@dataclass
class Warning:
    customer: Customer
    owner: str
    clock: Clock


def warnings(session: Session, actor: Actor, *, within: timedelta | None = None,
             owner: str | None = None, now: datetime | None = None, where: Any = None) -> list[Warning]:
    """Owned customers (in the actor's scope) that a rule will catch within each rule's warning days
    (or ``within``), soonest first — what ``crm pool warn`` lists and ``crm remind`` / ``crm today`` tell
    their owners (``where``: an extra SQL condition on the customer, e.g. its owner)."""
    require(actor, "customer.view")
    now = now or clock.now()
    clauses = []
    for seg in segments(session):
        ahead = within if within is not None else timedelta(days=seg.rule.warn_days)
        clauses.append(due_clause(seg, now + ahead))
    if not clauses:
        return []
    query = select(Customer).where(or_(*clauses), visible_clause(actor, _customer_kind()))
    if where is not None:
        query = query.where(where)
    if owner:
        from crmcli.services.filters import owner_clause

        query = query.where(owner_clause(session, actor, Customer.owner_id, owner))
    found = list(session.execute(query.order_by(Customer.id)).scalars())
    logins = dict(session.execute(select(User.id, User.login)).all())
    times = clocks(session, found)
    rows = [Warning(c, logins.get(c.owner_id, "?"), times[c.id]) for c in found
            if c.id in times and times[c.id].due_at is not None]
    rows.sort(key=lambda w: (w.clock.due_at, w.customer.id))
    return rows


def add_days_left(session: Session, customers: list[Customer], rows: list[dict[str, Any]]) -> None:
    """Add ``recycle_at``, ``days_left`` and ``recycle_reason`` to customer list rows (the "days left" column)."""
    now = clock.now()
    times = clocks(session, customers)
    for customer, row in zip(customers, rows):
        found = times.get(customer.id)
        if found is None:  # in a pool (or merged)
            row.update(recycle_at=None, days_left=None, recycle_reason="pooled" if customer.owner_id is None else None)
            continue
        row.update(recycle_at=found.due_at, days_left=found.days_left(now), recycle_reason=found.reason)


# --- crm remind and crm today (the schedule area's extension points) ------------------------------


def warned_at(w: Warning) -> datetime:
    """When a customer entered its warning window: ``warn_days`` before its recycle time."""
    return w.clock.due_at - timedelta(days=w.clock.rule.warn_days)


def _why(ck: Clock) -> str:
    if ck.reason == "deal":
        return _("no deal for {days} days").format(days=ck.rule.deal_days)
    return _("no follow-up for {days} days").format(days=ck.rule.followup_days)


def reminder_source(session: Session, actor: Actor, since: datetime, now: datetime) -> list[Any]:
    """``crm remind``: a customer entering its warning window (:func:`warnings`) reminds its owner once.

    The reminder's time is when it entered the window (:func:`warned_at`), so it is keyed by customer,
    owner and recycle time: a follow-up (or a transfer) that resets the clock, and a later return to
    the window, makes a new reminder.  Unlike a task's reminder, one whose window opened before
    ``since`` is still sent while the customer is owned (a larger ``warn_days`` counts at once),
    unless its recycle time is before ``since`` too.
    """
    from crmcli import settings
    from crmcli.services.access import owner_in_scope_clause
    from crmcli.services.reminders import Due as Reminded
    from crmcli.store.models.schedule import Reminder
    from crmcli.timezones import load_zone, local_zone_name

    if not actor.can("customer.view"):
        return []
    rows = [w for w in warnings(session, actor, now=now, where=owner_in_scope_clause(actor, Customer.owner_id))
            if warned_at(w) <= now and w.clock.due_at > since]
    if not rows:
        return []
    sent = set(session.execute(select(Reminder.record_id, Reminder.user_id, Reminder.remind_at).where(
        Reminder.source == "pool", Reminder.record_id.in_(sorted({w.customer.id for w in rows})),
        Reminder.sent_at.is_not(None))).all())
    rows = [w for w in rows if (w.customer.id, w.customer.owner_id, warned_at(w)) not in sent]
    zones = dict(session.execute(select(User.id, User.timezone).where(
        User.id.in_(sorted({w.customer.owner_id for w in rows})))).all()) if rows else {}
    fallback = settings.get("timezone") or local_zone_name()
    found = []
    for w in rows:
        ck = w.clock
        day = ck.due_at.astimezone(load_zone(zones.get(w.customer.owner_id) or fallback)).strftime("%Y-%m-%d")
        found.append(Reminded("pool", w.customer.id, w.customer.owner_id, warned_at(w),
                              _("Customer {name} returns to {pool} on {date} ({why})").format(
                                  name=w.customer.name, pool=ck.pool.name, date=day, why=_why(ck)),
                              ck.due_at, f"customer:{w.customer.id}",
                              _("Follow it up (crm customer follow {id}) to keep it.").format(id=w.customer.id)))
    return found


def today_section(session: Session, actor: Actor, ctx: Any) -> list[Any]:
    """``crm today``: the page's users' customers inside their warning window (:func:`warnings`)."""
    from crmcli.services import today as today_page

    if not actor.can("customer.view"):
        return []
    rows = warnings(session, actor, now=ctx.now, where=Customer.owner_id.in_(ctx.user_ids))
    items = []
    for w in rows:
        ck = w.clock
        left = ck.days_left(ctx.now)
        when = (_("overdue by {n} days").format(n=-left) if left < 0 else
                _("at the next recycle run") if left == 0 else _("in {n} days").format(n=left))
        items.append(today_page.Item("customer", w.customer.id, ck.due_at, w.customer.name,
                                     _("returns to {pool} {when} ({why})").format(pool=ck.pool.name, when=when,
                                                                                  why=_why(ck)),
                                     w.owner, today_page._due(ck.due_at, ctx)))
    return items
