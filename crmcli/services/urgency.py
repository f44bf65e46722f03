"""The urgency of a task, in the spirit of Taskwarrior's: a sum of coefficient × factor terms.

=============  ===================================================================  =========
term           factor                                                               default
=============  ===================================================================  =========
due            0.2 when due in more than 14 days (or no due: 0), rising linearly     12.0
               to 1.0 at 7 days overdue (Taskwarrior's curve)
overdue        1 when the due time has passed                                       3.0
priority       1 for the task's priority (high, medium, low each has its own)       6.0/3.9/1.8
age            days since created / ``urgency.age_days``, at most 1                 2.0
amount         related record's amount / ``urgency.amount_max``, at most 1          2.0
participants   1 when others take part                                              1.0
=============  ===================================================================  =========

The coefficients are config keys (``crm config set urgency.due 10``); ``crm task show ID``
prints every term.  No database code here: the caller passes the values.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from crmcli.services.schedule_keys import coefficient


@dataclass(frozen=True)
class Term:
    name: str  # due | overdue | priority | age | amount | participants
    coefficient: float
    factor: float

    @property
    def value(self) -> float:
        return round(self.coefficient * self.factor, 4)


def due_factor(due: datetime | None, now: datetime) -> float:
    if due is None:
        return 0.0
    days_overdue = (now - due).total_seconds() / 86400
    if days_overdue >= 7:
        return 1.0
    if days_overdue >= -14:
        return round((days_overdue + 14) * 0.8 / 21 + 0.2, 4)
    return 0.2


def terms(*, due: datetime | None, priority: str | None, created: datetime, now: datetime,
          amount: Decimal | None = None, participants: int = 0) -> list[Term]:
    found = [Term("due", coefficient("urgency.due"), due_factor(due, now))]
    found.append(Term("overdue", coefficient("urgency.overdue"), 1.0 if due is not None and due < now else 0.0))
    if priority in ("high", "medium", "low"):
        found.append(Term("priority", coefficient(f"urgency.priority.{priority}"), 1.0))
    else:
        found.append(Term("priority", 0.0, 0.0))
    age_days = max((now - created).total_seconds() / 86400, 0.0)
    found.append(Term("age", coefficient("urgency.age"),
                      round(min(age_days / max(coefficient("urgency.age_days"), 1e-9), 1.0), 4)))
    scale = max(coefficient("urgency.amount_max"), 1e-9)
    found.append(Term("amount", coefficient("urgency.amount"),
                      round(min(float(amount) / scale, 1.0), 4) if amount and amount > 0 else 0.0))
    found.append(Term("participants", coefficient("urgency.participants"), 1.0 if participants else 0.0))
    return found


def score(found: list[Term]) -> float:
    return round(sum(t.value for t in found), 2)
