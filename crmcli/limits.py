"""The ranges every value a user (or a file, or a screen) gives must lie in, decided once.

Why one module: a value outside what the database and Python's ``datetime`` can hold used to
travel until SQLite, PostgreSQL or the standard library broke on it (an ``internal error``).
Every parser — the command line's (``commands/_common.py``, ``dates.py``, ``services/money.py``,
``services/pricing.py``, id look-ups) and the services that take values from imports and the
TUI — checks against these numbers, so a refusal reads the same wherever the value came from.

* **ids** — 1 … 2**63−1 (a BIGINT).  A longer number cannot name a record: id look-ups treat it
  as not found (exit 3), never as an overflow.
* **amounts** — at most 10**12 in absolute value (one trillion in any currency).  Amounts are
  kept as whole counts of 10**-4 (contracts) or 10**-2 (pipeline) in a BIGINT (max ≈ 9.2e18):
  10**12 at scale 4 is 10**16, which leaves room for sums of hundreds of such rows and for
  quantity × price before rounding.
* **quantities** — more than 0 and at most 10**9, and a line's quantity × price must itself be
  an amount (≤ 10**12).
* **percentages** (discounts, tax, probabilities) — 0 … 100.
* **dates and times** — 1900-01-01 … 2200-12-31 (the calendar day in the user's zone).  Far
  enough for any business date, far enough from ``datetime``'s ends (years 1 and 9999) that
  moving a date by a day, a month or a recurrence never overflows, and every year prints as
  four digits (ICS, ISO 8601).
* **durations** — at most 100 years (events, reminders, offsets before a due time).
* **counts** — ``--limit`` and similar: 1 … 1,000,000; day counts (``--days``): 0 … 36,500.
* **search text** — at most 1,000 characters (SQLite refuses longer LIKE patterns).

Importable without SQLAlchemy (help and completion use the numbers in option ranges).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from crmcli.errors import ValidationError
from crmcli.i18n import _

MAX_ID = 2**63 - 1
MAX_AMOUNT = Decimal(10) ** 12
MAX_QUANTITY = Decimal(10) ** 9
MAX_PERCENT = Decimal(100)
MIN_DATE = date(1900, 1, 1)
MAX_DATE = date(2200, 12, 31)
MAX_DURATION = timedelta(days=36_525)  # 100 years
MAX_COUNT = 1_000_000
MAX_DAYS = 36_500
MAX_SEARCH = 1_000  # characters of a --search text


def shown(text: Any, width: int = 60) -> str:
    """``text`` as an error message may quote it: control characters escaped, cut to ``width``.

    A refused value can be 100 kB long or hold a NUL or a terminal escape; the one-line error
    stays one short line and never drives the terminal.
    """
    value = str(text)
    cut = len(value) > width
    value = "".join(ch if ch.isprintable() else ch.encode("unicode_escape").decode("ascii")
                    for ch in value[:width])
    return value + "…" if cut else value


def as_id(text: Any) -> int | None:
    """The id ``text`` names (``12`` or ``#12``, ASCII digits, 1 … 2**63−1), else None.

    None means "not an id": callers look the text up as a name or report not found, so an id no
    record can have reads like any other missing record.
    """
    value = str(text).strip()
    if value.startswith("#"):
        value = value[1:]
    if not value.isascii() or not value.isdigit() or len(value) > 19:
        return None
    number = int(value)
    return number if 1 <= number <= MAX_ID else None


def check_amount(number: Decimal, raw: Any = None, what: str | None = None) -> Decimal:
    """``number`` if it is finite and at most :data:`MAX_AMOUNT` in absolute value (exit 6 otherwise)."""
    if not number.is_finite() or abs(number) > MAX_AMOUNT:
        raise ValidationError(
            _("{what} {value} is out of range").format(what=what or _("the amount"),
                                                       value=shown(raw if raw is not None else number)),
            hint=_("amounts go up to {max}").format(max=f"{MAX_AMOUNT:,}"))
    return number


def check_quantity(number: Decimal, raw: Any = None) -> Decimal:
    """``number`` if it is at most :data:`MAX_QUANTITY` (positivity is the caller's rule)."""
    if not number.is_finite() or abs(number) > MAX_QUANTITY:
        raise ValidationError(
            _("the quantity {value} is out of range").format(value=shown(raw if raw is not None else number)),
            hint=_("quantities go up to {max}").format(max=f"{MAX_QUANTITY:,}"))
    return number


def check_line(quantity: Decimal, unit_price: Decimal) -> None:
    """A line's quantity × unit price must itself be an amount crm can store and sum."""
    if abs(quantity * unit_price) > MAX_AMOUNT:
        raise ValidationError(
            _("{quantity} × {price} is out of range").format(quantity=quantity, price=unit_price),
            hint=_("amounts go up to {max}").format(max=f"{MAX_AMOUNT:,}"))


def out_of_range_date(raw: Any) -> ValidationError:
    return ValidationError(
        _("the date '{text}' is out of range").format(text=shown(raw)),
        hint=_("dates go from {first} to {last}").format(first=MIN_DATE.isoformat(), last=MAX_DATE.isoformat()))


def check_date(day: date, raw: Any = None) -> date:
    """``day`` if it lies within :data:`MIN_DATE` … :data:`MAX_DATE` (exit 6 otherwise)."""
    if not MIN_DATE <= day <= MAX_DATE:
        raise out_of_range_date(raw if raw is not None else day.isoformat())
    return day


def check_moment(moment: datetime, raw: Any = None) -> datetime:
    """An instant whose calendar day (in its own zone) lies within the date range."""
    check_date(moment.date(), raw if raw is not None else moment.isoformat())
    return moment


def check_duration(span: timedelta, raw: Any = None) -> timedelta:
    """A duration of at most :data:`MAX_DURATION`."""
    if abs(span) > MAX_DURATION:
        raise ValidationError(_("the duration '{text}' is out of range").format(text=shown(raw if raw is not None else span)),
                              hint=_("durations go up to 100 years"))
    return span


def check_count(number: int, what: str, low: int = 1, high: int = MAX_COUNT) -> int:
    """A whole count (``--limit``, ``--days`` …) within ``low`` … ``high``."""
    if not low <= number <= high:
        raise ValidationError(_("{what} must be between {low} and {high}: {value}").format(
            what=what, low=low, high=high, value=number))
    return number
