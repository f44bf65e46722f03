"""Recurring tasks: every N days/weeks/months from the due time, or N days/weeks/months after done.

Grammar of ``--recur``: ``daily``, ``weekly``, ``monthly``, ``every 2 weeks``, ``every 3d``,
``every month``; ``3 days after done``, ``after 2w``.  Zero is refused.

When a recurring task is done, the next one is made: for ``every``, the due time moves on by
the interval until it lies after now (so a late completion does not leave a trail of overdue
copies); for ``after``, it is the completion time plus the interval.

A series ends by itself when its next occurrence would fall after
:data:`crmcli.limits.MAX_DATE` (2200-12-31): :func:`next_due` returns None, the task is done
and no next one is made — completing a task always works.

Units are days, weeks and months (``mo``); ``m`` means minutes everywhere in crm, and a
recurrence has no minutes, so ``every 3m`` is refused with a hint to write ``3mo``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo

from crmcli import limits
from crmcli.errors import ValidationError
from crmcli.i18n import _

UNITS = {"d": "day", "day": "day", "days": "day", "w": "week", "week": "week", "weeks": "week",
         "mo": "month", "mos": "month", "month": "month", "months": "month"}
_MINUTES = {"m", "min", "mins", "minute", "minutes", "h", "hour", "hours"}
_WORDS = {"daily": (1, "day"), "weekly": (1, "week"), "monthly": (1, "month")}
_EVERY = re.compile(r"^every\s*(-?\d+)?\s*([a-z]+)$")
_AFTER = re.compile(r"^(?:(-?\d+)\s*([a-z]+)\s+after\s+done|after\s+(-?\d+)\s*([a-z]+))$")


@dataclass(frozen=True)
class Rule:
    n: int
    unit: str  # day | week | month
    mode: str  # every | after

    def describe(self) -> str:
        if self.n == 1:
            amount = {"day": _("1 day"), "week": _("1 week"), "month": _("1 month")}[self.unit]
        else:
            amount = {"day": _("{n} days"), "week": _("{n} weeks"), "month": _("{n} months")}[self.unit].format(n=self.n)
        return (_("every {interval}") if self.mode == "every" else _("{interval} after done")).format(interval=amount)


def _bad(text: str) -> ValidationError:
    return ValidationError(_("cannot read the recurrence '{text}'").format(text=text),
                           hint=_("try daily, weekly, monthly, 'every 2 weeks', 'every 3d' or '5 days after done'"))


def parse(text: str) -> Rule:
    raw = text
    text = " ".join(text.strip().lower().split())
    if text in _WORDS:
        n, unit = _WORDS[text]
        return Rule(n, unit, "every")
    m = _EVERY.match(text)
    if m:
        n, unit, mode = m.group(1), m.group(2), "every"
    else:
        m = _AFTER.match(text)
        if not m:
            raise _bad(raw)
        n, unit, mode = (m.group(1), m.group(2), "after") if m.group(1) else (m.group(3), m.group(4), "after")
    if unit in _MINUTES:
        raise ValidationError(_("a recurrence repeats by days, weeks or months, not '{unit}'").format(unit=unit),
                              hint=_("m is minutes; write mo for months, e.g. 'every 3mo'"))
    if unit not in UNITS:
        raise _bad(raw)
    if n is not None and len(n.lstrip("-")) > 6:
        n = "1001" if not n.startswith("-") else "-1"
    count = int(n) if n is not None else 1
    if count <= 0:
        raise ValidationError(_("a recurrence must repeat after at least 1 day, week or month (got {n})").format(
            n=count))
    if count > 1000:
        raise ValidationError(_("a recurrence may repeat after at most 1000 days, weeks or months (got {n})").format(
            n=count))
    return Rule(count, UNITS[unit], mode)


def step(moment: datetime, rule: Rule, tz: tzinfo, times: int = 1) -> datetime:
    """``moment`` moved on by the interval ``times`` times, in local calendar terms (months keep the day)."""
    from crmcli.dates import _add_months

    local = moment.astimezone(tz)
    if rule.unit == "month":
        day = _add_months(local.date(), rule.n * times)
        local = datetime.combine(day, local.timetz().replace(tzinfo=None), tz)
    else:
        days = rule.n * times * (7 if rule.unit == "week" else 1)
        local = datetime.combine(local.date() + timedelta(days=days), local.timetz().replace(tzinfo=None), tz)
    return local.astimezone(moment.tzinfo)


def next_due(rule: Rule, due: datetime | None, done_at: datetime, tz: tzinfo) -> datetime | None:
    """The next occurrence's due time, or None when it would fall after the date range (the series ends)."""
    try:
        if rule.mode == "after" or due is None:
            following = step(done_at, rule, tz)
        else:
            times = 1
            following = step(due, rule, tz, times)
            if following <= done_at:  # jump to just before now at once (a month counted as 31 days
                # never overshoots), then step: a series years late costs a few steps, not thousands
                longest = timedelta(days=rule.n * {"day": 1, "week": 7, "month": 31}[rule.unit])
                times = max(1, (done_at - due) // longest)
                following = step(due, rule, tz, times)
            while following <= done_at:
                times += 1
                following = step(due, rule, tz, times)
    except (OverflowError, ValueError):  # past datetime's year 9999 (a task stored before the range existed)
        return None
    if following.astimezone(tz).date() > limits.MAX_DATE:
        return None
    return following
