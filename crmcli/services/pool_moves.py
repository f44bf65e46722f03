"""Moves in and out of a pool: claim (领取), assign (分配), return (退回) — for customers and leads —
and what sits in a pool now.

The records a move names are locked first, all of them, in ascending id order
(:func:`crmcli.services.locking.lock_rows`), and only then checked: two claims naming the same
customers in different orders queue on the lowest id instead of deadlocking, and what is checked
(in a pool, whose) is what is written.  Every move is then one conditional ``UPDATE … WHERE
owner_id IS NULL`` (or ``= the returning owner``) checked by its row count: of several people
claiming the same customer at once exactly one wins, on SQLite (whose write transactions are
serialised by ``BEGIN IMMEDIATE``) and on PostgreSQL (where the loser waits for the winner's row
lock, then finds the customer owned).  The loser gets a conflict (exit 5) naming the winner.  Claim
limits are checked after taking a lock on the claiming user's row, so one user's concurrent claims
are counted one after the other and cannot pass a limit together; the user's row is always
locked before the records, so that order is canonical too.

Batch verbs are all-or-nothing: one record that cannot move aborts the whole batch.  Each move
writes one operation-log row (``customer.claim``, ``customer.assign``, ``customer.return``,
``lead.claim``, ``lead.assign``, ``lead.return``) with its reason.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta, tzinfo
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from crmcli import clock
from crmcli.errors import Conflict, NotFound, PermissionDenied, ValidationError
from crmcli.i18n import N_, _
from crmcli.services import audit, locking, pool as pools, users
from crmcli.services.access import Actor, require
from crmcli.services.filters import Listing, ListOptions, Page, select_page
from crmcli.store.models import AuditLog, Customer, Lead, User
from crmcli.store.models.pool import Pool

LEAD_CLOSED = ("converted", "invalid")


@dataclass
class Moved:
    record: Any  # Customer | Lead
    pool: Pool


def _model(kind: str) -> Any:
    return Lead if kind == "lead" else Customer


def _noun(kind: str) -> str:
    return "lead" if kind == "lead" else "customer"


NOUN_LABELS = {"customer": N_("customer"), "lead": N_("lead")}


def _what(kind: str) -> str:
    """The record type as shown in messages (translated)."""
    return _(NOUN_LABELS[_noun(kind)])


def _ids(session: Session, refs: list[str], kind: str) -> list[int]:
    """The ids that ``refs`` name: ids (``12``, ``#12``) or exact, unambiguous names.

    A name is matched among every record of the kind, pooled or owned: whether the actor may
    move it is decided afterwards, record by record, as for an id.
    """
    if not refs:
        raise ValidationError(_("name at least one {noun}").format(noun=_what(kind)))
    model = _model(kind)
    found: list[int] = []
    for ref in refs:
        text = str(ref).strip()
        if text.lstrip("#").isdigit():
            from crmcli import limits

            record_id = limits.as_id(text) or 0  # 0: no record has it, so "not found"
        else:
            query = select(model.id).where(model.name == text)
            if kind == "customer":
                query = query.where(model.merged_into_id.is_(None))
            matches = session.execute(query.limit(6)).scalars().all()
            if not matches:
                raise NotFound(_("no {noun} named '{ref}'").format(noun=_what(kind), ref=text))
            if len(matches) > 1:
                raise ValidationError(
                    _("'{ref}' could mean several {noun} records: {candidates}").format(
                        ref=text, noun=_what(kind), candidates=", ".join(f"#{i}" for i in matches[:5])),
                    hint=_("name it by id instead"))
            record_id = matches[0]
        if record_id not in found:
            found.append(record_id)
    return found


def _login(session: Session, user_id: int | None) -> str:
    if user_id is None:
        return "-"
    return session.execute(select(User.login).where(User.id == user_id)).scalar() or str(user_id)


def _lock_user(session: Session, user_id: int) -> None:
    """Serialise one user's claims and assignments (PostgreSQL; SQLite's writes are serial anyway)."""
    locking.lock_rows(session, User, [user_id])


def _locked(session: Session, kind: str, refs: list[str]) -> list[Any]:
    """The records named, locked in ascending id order and read afresh, in the order they were named."""
    ids = _ids(session, refs, kind)
    found = locking.lock_rows(session, _model(kind), ids)
    records = []
    for record_id in ids:
        record = found.get(record_id)
        if record is None or (kind == "customer" and record.merged_into_id is not None):
            raise NotFound(_("no {noun} {id}").format(noun=_what(kind), id=record_id))
        records.append(record)
    return records


def pool_of(session: Session, kind: str, record: Any) -> Pool:
    """The pool a pooled record sits in (for a customer: its pool_id, or the default)."""
    if kind == "lead":
        return pools.default_pool(session, "lead")
    pool = session.get(Pool, record.pool_id) if record.pool_id is not None else None
    return pool if pool is not None and pool.kind == "customer" else pools.default_pool(session)


def _local_day_start(now: datetime, tz: tzinfo | None) -> datetime:
    local = now.astimezone(tz) if tz else now
    return local.replace(hour=0, minute=0, second=0, microsecond=0)


def _owned_count(session: Session, kind: str, user_id: int) -> int:
    model = _model(kind)
    query = select(func.count()).select_from(model).where(model.owner_id == user_id)
    if kind == "lead":
        query = query.where(Lead.status.not_in(LEAD_CLOSED))
    else:
        query = query.where(Customer.merged_into_id.is_(None))
    return session.execute(query).scalar_one()


def _check_limits(session: Session, kind: str, user: Any, records: list[Moved], pool_by_id: dict[int, Pool],
                  tz: tzinfo | None, *, claiming: bool) -> None:
    """Max owned (claims and assignments), claims per day and the re-claim cooldown (claims)."""
    now = clock.now()
    rules = pools.rules_of(session, list(pool_by_id))
    owned = _owned_count(session, kind, user.id)
    claims_today = None
    for pool_id, pool in pool_by_id.items():
        rule = rules.get(pool_id, {}).get("*") or pools.Rule.of(pools.DEFAULT_RULE)
        batch = [m.record for m in records if m.pool.id == pool_id]
        if rule.max_owned and owned + len(records) > rule.max_owned:
            raise Conflict(_("{login} owns {owned} {noun} records; pool {pool} allows at most {max}, and this would "
                             "make {total}").format(login=user.login, owned=owned, noun=_what(kind), pool=pool.name,
                                                    max=rule.max_owned, total=owned + len(records)),
                           hint=_("return some first: crm pool return IDS --reason …"))
        if not claiming:
            continue
        if rule.max_claims_per_day:
            if claims_today is None:
                claims_today = session.execute(select(func.count()).select_from(AuditLog).where(
                    AuditLog.actor_id == user.id, AuditLog.at >= _local_day_start(now, tz),
                    AuditLog.action == f"{_noun(kind)}.claim")).scalar_one()
            if claims_today + len(records) > rule.max_claims_per_day:
                raise Conflict(_("{login} has claimed {n} today; pool {pool} allows {max} claims a day").format(
                    login=user.login, n=claims_today, pool=pool.name, max=rule.max_claims_per_day),
                    hint=_("try again tomorrow"))
        if rule.reclaim_days:
            for record in batch:
                since = record.pooled_at
                if record.prev_owner_id == user.id and since is not None \
                        and now < since + timedelta(days=rule.reclaim_days):
                    until = since + timedelta(days=rule.reclaim_days)
                    raise Conflict(_("{login} had {noun} {id} until {when}: pool {pool} lets a previous owner claim it "
                                     "again only after {days} days").format(
                        login=user.login, noun=_what(kind), id=record.id, when=since.date().isoformat(),
                        pool=pool.name, days=rule.reclaim_days),
                        hint=_("from {date}").format(date=until.astimezone(tz).date().isoformat() if tz
                                                      else until.date().isoformat()))


def _take(session: Session, kind: str, item: Moved, owner_id: int, now: datetime) -> None:
    """The conditional UPDATE that decides who wins: only a record still without an owner moves."""
    model, record = _model(kind), item.record
    values: dict[str, Any] = {"owner_id": owner_id, "owned_since": now, "pooled_at": None, "updated_at": now}
    condition = [model.id == record.id, model.owner_id.is_(None)]
    if kind == "customer":
        condition.append(Customer.merged_into_id.is_(None))
        values["pool_id"] = item.pool.id  # it keeps the pool it came from as its home
    else:
        condition.append(Lead.status.not_in(LEAD_CLOSED))
    result = session.execute(update(model).where(*condition).values(**values)
                             .execution_options(synchronize_session=False))
    if result.rowcount != 1:
        winner = session.execute(select(model.owner_id).where(model.id == record.id)).scalar()
        session.expire(record)
        raise Conflict(_("{noun} {id} was claimed by {login} first").format(
            noun=_what(kind), id=record.id, login=_login(session, winner)) if winner is not None else
            _("{noun} {id} is no longer in a pool").format(noun=_what(kind), id=record.id))
    session.expire(record)


def _pooled(session: Session, kind: str, refs: list[str], actor: Actor | None = None) -> list[Moved]:
    """The records named, each checked to be in a pool now (owned: a conflict naming the owner, or
    "not found" when the owned record is outside the ``actor``'s scope, so owners cannot be probed)."""
    records = []
    for record in _locked(session, kind, refs):
        if record.owner_id is not None:
            from crmcli.services.access import can_see, kind_named

            if actor is not None and not can_see(session, actor, kind_named(_noun(kind)), record):
                raise NotFound(_("no {noun} {id}").format(noun=_what(kind), id=record.id))
            raise Conflict(_("{noun} {id} is not in a pool: it belongs to {login}").format(
                noun=_what(kind), id=record.id, login=_login(session, record.owner_id)))
        if kind == "lead" and record.status in LEAD_CLOSED:
            raise ValidationError(_("lead {id} is {status}: it cannot be claimed").format(id=record.id,
                                                                                         status=record.status))
        records.append(Moved(record, pool_of(session, kind, record)))
    return records


def claim(session: Session, actor: Actor, refs: list[str], *, kind: str = "customer",
          tz: tzinfo | None = None) -> list[Moved]:
    """Take pooled records into one's own list (batch, all-or-nothing)."""
    require(actor, f"{_noun(kind)}.claim")
    _lock_user(session, actor.id)
    records = _pooled(session, kind, refs, actor)
    by_id: dict[int, Pool] = {}
    for item in records:
        record, pool = item.record, item.pool
        if not pools.is_member(session, actor, pool):
            raise PermissionDenied(_("{noun} {id} is in pool {pool}, and {login} is not a member of it").format(
                noun=_what(kind), id=record.id, pool=pool.name, login=actor.login),
                hint=_("crm pool list shows your pools"))
        by_id[pool.id] = pool
    me = session.get(User, actor.id)
    _check_limits(session, kind, me, records, by_id, tz, claiming=True)
    now = clock.now()
    for item in records:
        _take(session, kind, item, actor.id, now)
        locking.test_pause("claim")  # tests: hold the first row a moment, so a racing claim arrives meanwhile
        audit.record(session, actor, f"{_noun(kind)}.claim", _noun(kind), item.record.id, _label(kind, item.record),
                     {"owner_id": [None, actor.id]}, reason=_pool_note(item.pool))
    return records


def assign(session: Session, actor: Actor, refs: list[str], to: str, *, kind: str = "customer",
           reason: str | None = None) -> tuple[User, list[Moved]]:
    """A pool administrator gives pooled records to a member of the pool (batch, all-or-nothing)."""
    require(actor, f"{_noun(kind)}.assign")
    target = users.find_active(session, to)
    _lock_user(session, target.id)
    records = _pooled(session, kind, refs, actor)
    by_id: dict[int, Pool] = {}
    for item in records:
        record, pool = item.record, item.pool
        if not pools.is_admin(session, actor, pool):
            raise PermissionDenied(_("{login} is not an administrator of pool {pool}, which holds {noun} {id}").format(
                login=actor.login, pool=pool.name, noun=_what(kind), id=record.id),
                hint=_("members claim with crm pool claim; administrators assign"))
        if not pools.user_is_member(session, target, pool):
            raise ValidationError(_("{login} is not a member of pool {pool}").format(login=target.login, pool=pool.name),
                                  hint=_("add them first: crm pool members {id} --add {login}").format(
                                      id=pool.id, login=target.login))
        by_id[pool.id] = pool
    _check_limits(session, kind, target, records, by_id, None, claiming=False)
    now = clock.now()
    for item in records:
        _take(session, kind, item, target.id, now)
        audit.record(session, actor, f"{_noun(kind)}.assign", _noun(kind), item.record.id, _label(kind, item.record),
                     {"owner_id": [None, target.id]}, reason=(reason or "").strip() or _pool_note(item.pool))
    return target, records


def give_back(session: Session, actor: Actor, refs: list[str], reason: str, *, kind: str = "customer",
              pool_ref: str | None = None) -> list[Moved]:
    """An owner puts records back into a pool with a reason (the default pool unless one is named)."""
    noun = _noun(kind)
    require(actor, f"{noun}.transfer")
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError(_("say why with --reason"))
    if kind == "lead":
        pool = pools.find(session, pool_ref, "lead") if pool_ref else pools.default_pool(session, "lead")
    else:
        pool = pools.find(session, pool_ref, "customer") if pool_ref else pools.default_pool(session)
    records = []
    for record in _locked(session, kind, refs):
        if record.owner_id is None:
            raise Conflict(_("{noun} {id} is already in pool {pool}").format(
                noun=_what(kind), id=record.id, pool=pool_of(session, kind, record).name))
        if record.owner_id != actor.id:
            from crmcli.services.access import can_see, kind_named

            if not can_see(session, actor, kind_named(noun), record):
                raise NotFound(_("no {noun} {id}").format(noun=_what(kind), id=record.id))
            raise PermissionDenied(_("{noun} {id} belongs to {login}: only its owner can return it").format(
                noun=_what(kind), id=record.id, login=_login(session, record.owner_id)),
                hint=_("an administrator moves other people's records with crm {noun} transfer").format(noun=noun))
        if kind == "lead" and record.status in LEAD_CLOSED:
            raise ValidationError(_("lead {id} is {status}: it cannot go back to the pool").format(
                id=record.id, status=record.status))
        records.append(record)
    now = clock.now()
    model = _model(kind)
    moved = []
    for record in records:
        values: dict[str, Any] = {"owner_id": None, "prev_owner_id": actor.id, "pooled_at": now,
                                  "owned_since": None, "updated_at": now}
        changes: dict[str, Any] = {"owner_id": [actor.id, None]}
        if kind == "customer":
            values["pool_id"] = pool.id
            if record.pool_id != pool.id:
                changes["pool_id"] = [record.pool_id, pool.id]
        result = session.execute(update(model).where(model.id == record.id, model.owner_id == actor.id)
                                 .values(**values).execution_options(synchronize_session=False))
        if result.rowcount != 1:
            raise Conflict(_("{noun} {id} changed hands meanwhile").format(noun=_what(kind), id=record.id))
        session.expire(record)
        audit.record(session, actor, f"{noun}.return", noun, record.id, _label(kind, record), changes, reason=reason)
        moved.append(Moved(record, pool))
    return moved


def _label(kind: str, record: Any) -> str:
    if kind == "lead":
        return f"{record.name} ({record.company})" if record.company else record.name
    return record.name


def _pool_note(pool: Pool) -> str:
    return f"pool: {pool.name}"


# --- what sits in a pool -------------------------------------------------------------------------


def page(session: Session, actor: Actor, opts: ListOptions, tz: Any, *, pool_ref: str | None = None,
         tiers: list[str] | None = None, kind: str = "customer") -> tuple[list[Pool], Page]:
    """Records in one pool, or in every pool the actor is a member of, with the shared filters."""
    from crmcli.services import customers, leads

    require(actor, "pool.view")
    if pool_ref:
        pool = pools.find(session, pool_ref)
        kind = pool.kind
        pools.ensure_member(session, actor, pool)
        chosen = [pool]
    else:
        chosen = pools.visible_pools(session, actor, kind)
    base = leads.LISTING if kind == "lead" else customers.LISTING
    # pooled records have no owner, so the usual data scope would hide them: membership decides instead
    kind_public = replace(base.kind, public=True)
    tier_values = [t for t in (customers.check_tier(t) for t in tiers or []) if t]
    from sqlalchemy import false, or_

    where = or_(*[pools.in_pool_clause(session, p) for p in chosen]) if chosen else false()

    def extra(query: Any, options: ListOptions) -> Any:
        if base.extra is not None:
            query = base.extra(query, options)
        query = query.where(where)
        if tier_values and kind == "customer":
            query = query.where(Customer.tier.in_(tier_values))
        return query

    sorts = dict(base.sorts, pooled="pooled_at")
    listing = Listing(kind=kind_public, statuses=base.statuses, sources=base.sources, sorts=sorts,
                      default_sort="-pooled", filterable=base.filterable, extra=extra)
    if opts.owner:
        raise ValidationError(_("records in a pool have no owner: --owner does not apply here"))
    return chosen, select_page(session, actor, listing, opts, tz)


def days_in_pool(record: Any, now: datetime | None = None) -> int:
    since = record.pooled_at or record.updated_at or record.created_at
    return max(0, int(((now or clock.now()) - since).total_seconds() // 86400))
