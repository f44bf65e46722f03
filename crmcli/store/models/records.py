"""Leads, customers, contacts, follow-ups, tags and custom fields (DOMAIN.md "Leads" … "Follow-up records").

Each owned record has ``owner_id`` (NULL while it sits in a pool), lifecycle
``status``, the follow-up clock (``last_followup_at``, ``next_contact_at``),
normalised dedupe keys (``*_key``) kept beside the values people typed, and
``custom`` (JSON) for custom-field values.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import Column, Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from crmcli.store.types import JSONText, UTCDateTime


def _when(nullable: bool = True, index: bool = False) -> Any:
    return Field(default=None, sa_type=UTCDateTime, nullable=nullable, index=index)


class Lead(SQLModel, table=True):
    __tablename__ = "lead"
    __table_args__ = (
        Index("ix_lead_owner_status", "owner_id", "status", "id"),
        Index("ix_lead_status_id", "status", "id"),
        Index("ix_lead_email_key", "email_key"),
        Index("ix_lead_phone_key", "phone_key"),
        Index("ix_lead_next_contact", "next_contact_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=200)
    company: str | None = Field(default=None, max_length=200)
    title: str | None = Field(default=None, max_length=120)
    phone: str | None = Field(default=None, max_length=40)
    mobile: str | None = Field(default=None, max_length=40)
    email: str | None = Field(default=None, max_length=254)
    website: str | None = Field(default=None, max_length=254)
    address: str | None = Field(default=None, max_length=400)
    region: str | None = Field(default=None, max_length=120)
    industry: str | None = Field(default=None, max_length=120)
    source: str | None = Field(default=None, max_length=32)
    campaign: str | None = Field(default=None, max_length=200)
    score: int = Field(default=0)
    status: str = Field(default="new", max_length=16)
    invalid_reason: str | None = None
    owner_id: int | None = Field(default=None, foreign_key="user_account.id")
    owned_since: datetime | None = _when()
    email_key: str | None = Field(default=None, max_length=254)
    phone_key: str | None = Field(default=None, max_length=40)
    next_contact_at: datetime | None = _when()
    last_followup_at: datetime | None = _when()
    converted_at: datetime | None = _when()
    # the lead pool (crmcli/store/models/pool.py): when it entered the pool, and who had it last
    pooled_at: datetime | None = _when()
    prev_owner_id: int | None = Field(default=None)
    customer_id: int | None = Field(default=None, foreign_key="customer.id")
    contact_id: int | None = Field(default=None, foreign_key="contact.id")
    opportunity_id: int | None = Field(default=None)
    custom: Any = Field(default=None, sa_column=Column(JSONText(), nullable=True))
    created_by: int | None = Field(default=None, foreign_key="user_account.id")
    created_at: datetime = Field(sa_type=UTCDateTime, nullable=False, index=True)
    updated_at: datetime = Field(sa_type=UTCDateTime, nullable=False)


class Customer(SQLModel, table=True):
    __tablename__ = "customer"
    __table_args__ = (
        Index("ix_customer_owner_status", "owner_id", "status", "id"),
        Index("ix_customer_name_key", "name_key"),
        Index("ix_customer_phone_key", "phone_key"),
        Index("ix_customer_email_key", "email_key"),
        Index("ix_customer_credit_code", "credit_code"),
        Index("ix_customer_next_contact", "next_contact_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=200)
    kind: str = Field(default="company", max_length=16)  # company | person
    industry: str | None = Field(default=None, max_length=120)
    tier: str | None = Field(default=None, max_length=16)  # 客户分级: A/B/C…
    status: str = Field(default="new", max_length=16)
    source: str | None = Field(default=None, max_length=32)
    address: str | None = Field(default=None, max_length=400)
    region: str | None = Field(default=None, max_length=120)
    phone: str | None = Field(default=None, max_length=40)
    email: str | None = Field(default=None, max_length=254)
    website: str | None = Field(default=None, max_length=254)
    credit_code: str | None = Field(default=None, max_length=18)  # 统一社会信用代码
    owner_id: int | None = Field(default=None, foreign_key="user_account.id")
    owned_since: datetime | None = _when()
    locked: bool = Field(default=False)
    deal_status: str = Field(default="none", max_length=16)  # none | won
    last_deal_at: datetime | None = _when()
    last_followup_at: datetime | None = _when()
    next_contact_at: datetime | None = _when()
    name_key: str | None = Field(default=None, max_length=200)
    phone_key: str | None = Field(default=None, max_length=40)
    email_key: str | None = Field(default=None, max_length=254)
    custom: Any = Field(default=None, sa_column=Column(JSONText(), nullable=True))
    # Set when `crm customer merge` folded this customer into another: it is kept for the
    # record (and the log), but no longer listed, deduped against, or changed.
    merged_into_id: int | None = Field(default=None, foreign_key="customer.id")
    # the public pool (crmcli/store/models/pool.py): the pool it is in or returns to (NULL: its owner's
    # department pool, else the default), when it entered the pool, and who had it last
    pool_id: int | None = Field(default=None)
    pooled_at: datetime | None = _when()
    prev_owner_id: int | None = Field(default=None)
    created_by: int | None = Field(default=None, foreign_key="user_account.id")
    created_at: datetime = Field(sa_type=UTCDateTime, nullable=False, index=True)
    updated_at: datetime = Field(sa_type=UTCDateTime, nullable=False)


class Contact(SQLModel, table=True):
    __tablename__ = "contact"
    __table_args__ = (
        Index("ix_contact_customer", "customer_id"),
        Index("ix_contact_owner_status", "owner_id", "status", "id"),
        Index("ix_contact_email_key", "email_key"),
        Index("ix_contact_phone_key", "phone_key"),
    )

    id: int | None = Field(default=None, primary_key=True)
    customer_id: int | None = Field(default=None, foreign_key="customer.id")
    name: str = Field(max_length=200)
    role: str | None = Field(default=None, max_length=120)  # purchasing manager, decision maker…
    title: str | None = Field(default=None, max_length=120)
    phone: str | None = Field(default=None, max_length=40)
    mobile: str | None = Field(default=None, max_length=40)
    email: str | None = Field(default=None, max_length=254)
    wechat: str | None = Field(default=None, max_length=64)
    birthday: date | None = None
    address: str | None = Field(default=None, max_length=400)
    is_primary: bool = Field(default=False)
    status: str = Field(default="new", max_length=16)
    owner_id: int | None = Field(default=None, foreign_key="user_account.id")
    email_key: str | None = Field(default=None, max_length=254)
    phone_key: str | None = Field(default=None, max_length=40)
    next_contact_at: datetime | None = _when()
    last_followup_at: datetime | None = _when()
    custom: Any = Field(default=None, sa_column=Column(JSONText(), nullable=True))
    created_by: int | None = Field(default=None, foreign_key="user_account.id")
    created_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    updated_at: datetime = Field(sa_type=UTCDateTime, nullable=False)


class FollowUp(SQLModel, table=True):
    """跟进记录: on a lead, customer, contact, opportunity or contract."""

    __tablename__ = "followup"
    __table_args__ = (
        Index("ix_followup_record", "record_type", "record_id", "at"),
        Index("ix_followup_author_at", "author_id", "at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    record_type: str = Field(max_length=32)
    record_id: int
    via: str = Field(max_length=16)  # phone | email | visit | sms | wechat | other
    content: str
    at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    author_id: int = Field(foreign_key="user_account.id")
    next_contact_at: datetime | None = _when()
    created_at: datetime = Field(sa_type=UTCDateTime, nullable=False)


class Tag(SQLModel, table=True):
    __tablename__ = "record_tag"
    __table_args__ = (Index("ix_record_tag_tag", "record_type", "tag"),)

    record_type: str = Field(max_length=32, primary_key=True)
    record_id: int = Field(primary_key=True)
    tag: str = Field(max_length=64, primary_key=True)


class CustomField(SQLModel, table=True):
    """自定义字段: typed, optionally required, per record type."""

    __tablename__ = "custom_field"
    __table_args__ = (UniqueConstraint("record_type", "name", name="uq_custom_field_name"),)

    id: int | None = Field(default=None, primary_key=True)
    record_type: str = Field(max_length=32)
    name: str = Field(max_length=64)
    label: str | None = Field(default=None, max_length=120)
    type: str = Field(max_length=16)  # text | number | date | choice | bool
    choices: Any = Field(default=None, sa_column=Column(JSONText(), nullable=True))
    required: bool = Field(default=False)
    created_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
