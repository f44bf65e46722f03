"""The public pool (公海), the lead pool and their rules (DOMAIN.md "Public pool").

* ``pool`` — a customer pool (several: one default, others e.g. per department) or the lead pool
  (``kind = 'lead'``, one).  ``everyone`` makes every user a member; ``department_id`` makes the pool
  the home of the customers owned by that department's people (and those below it).
* ``pool_member`` — who may see and claim (``member``) and who may also assign (``admin``): a user or
  a whole department (with the departments below it).
* ``pool_rule`` — the recycling rules and claim limits of a pool: one row with ``tier = '*'`` (every
  column set), and per-tier overrides whose NULL columns inherit from it.  Days of 0 mean "off".

The customer and lead rows carry what the pool needs (columns added by migration 0003):
``customer.pool_id`` (the pool a customer is in, or returns to; NULL: its owner's department pool or
the default), ``pooled_at`` (when it entered the pool) and ``prev_owner_id`` (who had it last, for the
re-claim cooldown); ``lead.pooled_at`` and ``lead.prev_owner_id`` likewise.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from crmcli.store.types import UTCDateTime


class Pool(SQLModel, table=True):
    __tablename__ = "pool"
    __table_args__ = (UniqueConstraint("name", name="uq_pool_name"),)

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=64)
    kind: str = Field(default="customer", max_length=16)  # customer | lead
    is_default: bool = Field(default=False)
    everyone: bool = Field(default=False)  # every user is a member
    department_id: int | None = Field(default=None, foreign_key="department.id")
    description: str | None = Field(default=None, max_length=400)
    created_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))


class PoolMember(SQLModel, table=True):
    __tablename__ = "pool_member"
    __table_args__ = (Index("ix_pool_member_member", "member_type", "member_id"),)

    pool_id: int = Field(foreign_key="pool.id", primary_key=True)
    member_type: str = Field(max_length=8, primary_key=True)  # user | dept
    member_id: int = Field(primary_key=True)
    role: str = Field(default="member", max_length=8)  # member | admin
    added_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))


class PoolRule(SQLModel, table=True):
    __tablename__ = "pool_rule"

    pool_id: int = Field(foreign_key="pool.id", primary_key=True)
    tier: str = Field(max_length=16, primary_key=True)  # '*': the pool's own rule; else a tier's overrides
    followup_days: int | None = Field(default=None)
    followup_via: str | None = Field(default=None, max_length=120)  # comma-separated methods that count
    min_note: int | None = Field(default=None)  # a follow-up note shorter than this does not count
    deal_days: int | None = Field(default=None)
    exempt_locked: bool | None = Field(default=None)
    exempt_deal: bool | None = Field(default=None)
    warn_days: int | None = Field(default=None)
    max_owned: int | None = Field(default=None)
    max_claims_per_day: int | None = Field(default=None)
    reclaim_days: int | None = Field(default=None)
