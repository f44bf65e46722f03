"""``crm pool recycle``: the cron job that moves every customer a rule catches back into its pool.

Set-based, per rule segment (:func:`crmcli.services.pool_rules.segments`): one ``SELECT`` of the
customers due (with ``FOR UPDATE`` on PostgreSQL, which locks them), one ``UPDATE`` — on SQLite of
exactly the ids found (the run has held the write lock since ``BEGIN IMMEDIATE``, so nothing changed
in between), on PostgreSQL with the same conditions again, restricted to the locked ids — and the
log rows written in one bulk insert (:func:`crmcli.services.audit.record_many`).

* **Safe to run twice:** a recycled customer has no owner, and only owned customers are due.
* **Safe to overlap:** on SQLite the run is one ``BEGIN IMMEDIATE`` transaction, so a second run
  waits and then finds nothing; on PostgreSQL the second run's ``FOR UPDATE`` waits for the
  first's locks, and rows that changed meanwhile are re-checked and no longer match.
* **Per pool and per scope:** a run recycles only in the pools the acting user administers
  (:func:`crmcli.services.pool.is_admin`), and only customers whose owners the user's data scope
  covers; the cron job runs as a user with a company-wide scope, which covers everyone.
* **Racing claims and follow-ups:** the ``UPDATE`` is a new statement after the locks are held, so
  on PostgreSQL it sees every follow-up committed before that (a follow-up writes the customer's
  row, so it cannot commit while the run holds the lock); and it only moves rows that still have
  the owner the ``SELECT`` saw (``owner_id IS NOT NULL`` and the id list).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import json

from sqlalchemy import Integer, and_, any_, bindparam, func, select, text, update
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Session

from crmcli import clock
from crmcli.services import pool as pools
from crmcli.services.access import Actor, owner_in_scope_clause, require
from crmcli.services.pool_rules import LOG_REASONS, due_clause, reason_column, segments
from crmcli.store.models import Customer


@dataclass
class Summary:
    as_of: datetime
    dry_run: bool
    moved: int = 0
    # (pool name, tier, reason) -> count
    by_rule: dict[tuple[str, str, str], int] = field(default_factory=dict)
    ids: list[int] = field(default_factory=list)

    def rows(self) -> list[dict[str, Any]]:
        return [{"pool": p, "tier": t, "rule": r, "count": n} for (p, t, r), n in sorted(self.by_rule.items())]


def run(session: Session, actor: Actor, *, pool_ref: str | None = None, dry_run: bool = False,
        as_of: datetime | None = None) -> Summary:
    """Recycle every owned customer that a rule catches (only counting them with ``dry_run``)."""
    require(actor, "pool.admin")
    pool = pools.find(session, pool_ref, "customer") if pool_ref else None
    if pool is not None:
        pools.ensure_admin(session, actor, pool)
    now = clock.now()
    as_of = as_of or now
    summary = Summary(as_of, dry_run)
    postgres = session.get_bind().dialect.name == "postgresql"
    table = Customer.__table__
    log_rows: list[dict[str, Any]] = []
    administered: dict[int, bool] = {}
    in_scope = owner_in_scope_clause(actor, Customer.owner_id)
    for seg in segments(session, pool):
        if seg.pool.id not in administered:
            administered[seg.pool.id] = pools.is_admin(session, actor, seg.pool)
        if not administered[seg.pool.id]:
            continue
        due = and_(due_clause(seg, as_of), in_scope)
        query = select(Customer.id, Customer.owner_id, Customer.name, Customer.pool_id,
                       reason_column(seg, as_of)).where(due)
        if postgres and not dry_run:
            # locked in id order, so two overlapping runs queue behind each other instead of deadlocking
            query = query.with_for_update(of=table).order_by(Customer.id)
        found = session.execute(query).all()
        if not found:
            continue
        if dry_run:
            moved_ids = {row[0] for row in found}
        else:
            ids = [row[0] for row in found]
            if postgres:
                # the conditions again, in a new statement that sees what committed while it waited for the locks
                statement = update(table).where(due, table.c.id == any_(bindparam("ids", type_=ARRAY(Integer))))
            else:
                # BEGIN IMMEDIATE: nothing else has written since the SELECT, so its ids are exactly the rows due
                listed = select(text("value")).select_from(func.json_each(bindparam("ids"))).scalar_subquery()
                statement = update(table).where(table.c.id.in_(listed), table.c.owner_id.is_not(None))
            statement = statement.values(owner_id=None, prev_owner_id=table.c.owner_id, pool_id=seg.pool.id,
                                         pooled_at=now, owned_since=None, updated_at=now).returning(table.c.id)
            params = {"ids": ids if postgres else json.dumps(ids)}
            moved_ids = set(session.execute(statement, params).scalars())
        for cid, owner_id, name, pool_id, reason in found:
            if cid not in moved_ids:
                continue
            days = seg.rule.followup_days if reason == "followup" else seg.rule.deal_days
            key = (seg.pool.name, seg.tier, reason)
            summary.by_rule[key] = summary.by_rule.get(key, 0) + 1
            summary.moved += 1
            summary.ids.append(cid)
            log_rows.append({"actor_id": actor.id or None, "actor_login": actor.login, "action": "customer.recycle",
                             "record_type": "customer", "record_id": cid, "record_label": name[:200],
                             # as JSONText would write {"owner_id": [owner_id, None], "pool_id": [pool_id, P]}
                             "changes_json": json.dumps({"owner_id": [owner_id, None], "pool_id": [pool_id, seg.pool.id]},
                                                        ensure_ascii=False, sort_keys=True) if pool_id is not None
                             else '{"owner_id": [%d, null], "pool_id": [null, %d]}' % (owner_id, seg.pool.id),
                             "reason": LOG_REASONS[reason].format(days=days)})
    if not dry_run:
        from crmcli.services import audit

        audit.record_many(session, log_rows)
    summary.ids.sort()
    return summary
