"""The organisation and helpers the customer, contact and conversion tests share.

    Office            admin (super administrator), cs (customer_service: scope all, views customers),
    │                 fin (finance: scope all, no follow-ups)
    ├── Sales         mgr (sales_manager: department and children)
    │   ├── East      rep, rep2 (sales_rep: self), gone (sales_rep, disabled)
    │   └── West      west (sales_rep: self)
    └── Marketing     mk (marketing: department)
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

import pytest
from sqlalchemy import select

from crmcli.store.models import AuditLog, Contact, Customer, FollowUp, Lead, Tag, TeamMember

NOW = "2026-11-20T10:00:00+00:00"  # a Friday
UTC = timezone.utc

# valid unified social credit codes (checksums right)
CODE_HUAWEI = "914403001922038216"
CODE_TENCENT = "9144030071526726XG"


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)


def ok(result):
    assert result.code == 0, result
    return result


@pytest.fixture
def org(crm) -> dict[str, int]:
    """The organisation above; returns login -> user id."""
    for args in (("dept", "add", "Sales"), ("dept", "add", "East", "--parent", "Sales"),
                 ("dept", "add", "West", "--parent", "Sales"), ("dept", "add", "Marketing"),
                 ("user", "add", "mgr", "--name", "Manager Ma", "--dept", "Sales", "--role", "sales_manager"),
                 ("user", "add", "rep", "--name", "Rep Wang", "--dept", "East", "--role", "sales_rep"),
                 ("user", "add", "rep2", "--name", "Rep Li", "--dept", "East", "--role", "sales_rep"),
                 ("user", "add", "west", "--name", "Rep West", "--dept", "West", "--role", "sales_rep"),
                 ("user", "add", "mk", "--name", "Mark Zhao", "--dept", "Marketing", "--role", "marketing"),
                 ("user", "add", "cs", "--name", "Service Sun", "--dept", "Office", "--role", "customer_service"),
                 ("user", "add", "fin", "--name", "Finance Fu", "--dept", "Office", "--role", "finance"),
                 ("user", "add", "gone", "--name", "Gone", "--dept", "East", "--role", "sales_rep"),
                 ("user", "disable", "gone")):
        ok(crm(*args))
    return {u["login"]: u["id"] for u in crm("user", "list", "--all", "--json").json()}


def customer_id(crm, name: str, *args: Any, user: str = "admin") -> int:
    return ok(crm("customer", "add", name, *args, "--json", user=user)).json()["id"]


def contact_id(crm, name: str, customer: Any, *args: Any, user: str = "admin") -> int:
    return ok(crm("contact", "add", name, "--customer", customer, *args, "--json", user=user)).json()["id"]


def listed(crm, noun: str, *args: Any, user: str = "admin") -> list[int]:
    result = ok(crm(noun, "list", *args, "--format", "ids", user=user))
    return [int(x) for x in result.out.split()]


def get(session, model, record_id: int) -> Any:
    with session() as s:
        row = s.get(model, record_id)
        s.expunge_all()
        return row


def customer(session, record_id: int) -> Customer:
    return get(session, Customer, record_id)


def contact(session, record_id: int) -> Contact:
    return get(session, Contact, record_id)


def lead(session, record_id: int) -> Lead:
    return get(session, Lead, record_id)


def log(session, action: str | None = None) -> list[AuditLog]:
    with session() as s:
        query = select(AuditLog).order_by(AuditLog.id)
        if action:
            query = query.where(AuditLog.action == action)
        return list(s.execute(query).scalars())


def tags(session, record_type: str, record_id: int) -> list[str]:
    with session() as s:
        return sorted(s.execute(select(Tag.tag).where(Tag.record_type == record_type,
                                                      Tag.record_id == record_id)).scalars())


def team(session, customer_id: int) -> dict[int, str]:
    with session() as s:
        return dict(s.execute(select(TeamMember.user_id, TeamMember.access).where(
            TeamMember.record_type == "customer", TeamMember.record_id == customer_id)).all())


def followups(session, record_type: str, record_id: int) -> list[FollowUp]:
    with session() as s:
        rows = list(s.execute(select(FollowUp).where(FollowUp.record_type == record_type,
                                                     FollowUp.record_id == record_id).order_by(FollowUp.id)).scalars())
        s.expunge_all()
        return rows
