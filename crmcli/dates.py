"""One parser for every date and time a user types, and one for durations.

Accepted: ``now``, ``today``, ``tomorrow``, ``yesterday`` (and 今天/明天/昨天/后天),
weekday names (the next such day after today; ``mon``, ``monday``, 周一, 星期一),
relative offsets ``+3d``, ``-2w``, ``+1mo``, ``+1y``, ``+4h``, ``+30m`` (``m`` is minutes and
``mo`` months, here and in durations),
period ends ``eod``, ``eow``, ``eom``, ``eoy`` and starts ``sod``, ``sow``, ``som``,
``soy``; a day word, weekday (``next monday`` too) or day offset followed by a time of
day (``tomorrow 10:00``, ``fri 3pm``, ``+2d 9:30``, ``明天 10点``); and anything python-dateutil reads (``2026-12-01``, ``2026-12-01 14:30``,
``Dec 1``).  A time without an offset is in the user's zone.  Results are
timezone-aware UTC datetimes, or plain dates from :func:`parse_date`.

Every result lies within :data:`crmcli.limits.MIN_DATE` … :data:`crmcli.limits.MAX_DATE`
(1900–2200, the day in the user's zone), and every duration within
:data:`crmcli.limits.MAX_DURATION`; anything else is refused (exit 6) before it can overflow
``datetime`` or a database column.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone, tzinfo

from crmcli import clock, limits
from crmcli.errors import ValidationError
from crmcli.i18n import _

_WEEKDAYS = {
    "mon": 0, "monday": 0, "周一": 0, "星期一": 0,
    "tue": 1, "tues": 1, "tuesday": 1, "周二": 1, "星期二": 1,
    "wed": 2, "wednesday": 2, "周三": 2, "星期三": 2,
    "thu": 3, "thur": 3, "thurs": 3, "thursday": 3, "周四": 3, "星期四": 3,
    "fri": 4, "friday": 4, "周五": 4, "星期五": 4,
    "sat": 5, "saturday": 5, "周六": 5, "星期六": 5,
    "sun": 6, "sunday": 6, "周日": 6, "周天": 6, "星期日": 6, "星期天": 6,
}
_DAY_WORDS = {
    "today": 0, "今天": 0, "tomorrow": 1, "明天": 1, "yesterday": -1, "昨天": -1, "后天": 2,
}
# one set of units for offsets and durations: m/min = minutes, mo/month = months
_UNITS = r"(m|mins?|minutes?|h|hrs?|hours?|d|days?|w|weeks?|mo|mos|months?|y|yrs?|years?)"
_OFFSET = re.compile(r"^([+-])\s*(\d+)\s*" + _UNITS + "$")
_TIME_OF_DAY = re.compile(
    r"^(?P<day>.+?)\s*(?:at\s+)?(?:(?P<h>\d{1,2})(?::(?P<m>\d{2}))?\s*(?P<ampm>am|pm)"
    r"|(?P<h24>\d{1,2}):(?P<m24>\d{2})|(?P<hcn>\d{1,2})点(?P<half>半)?)$")
_DURATION = re.compile(r"^(\d+)\s*" + _UNITS + "$")


def unit_of(text: str) -> str:
    """The unit a suffix names: ``minute``, ``hour``, ``day``, ``week``, ``month`` or ``year``.

    ``m`` is minutes (as in ``30m``), ``mo`` months: the same in offsets (``+30m``), durations
    (``--duration 30m``) and reminders (``--remind 15m``).
    """
    if text == "m" or text.startswith("min"):
        return "minute"
    if text.startswith("mo"):
        return "month"
    return {"h": "hour", "d": "day", "w": "week", "y": "year"}[text[0]]


def is_duration(text: str) -> bool:
    """Whether ``text`` reads as a duration (``15m``, ``1h``, ``2d``), not a time of day."""
    return _DURATION.match(text.strip().lower()) is not None


def _bad_date(text: str) -> ValidationError:
    return ValidationError(
        _("cannot read the date '{text}'").format(text=limits.shown(text)),
        hint=_("try 2026-12-01, 2026-12-01 14:30, today, tomorrow, friday, +3d, -2w, eow or eom"),
    )


def _add_months(d: date, months: int) -> date:
    import calendar

    y, m = divmod(d.month - 1 + months, 12)
    year, month = d.year + y, m + 1
    return date(year, month, min(d.day, calendar.monthrange(year, month)[1]))


def _shift(moment: datetime, amount: int, unit: str) -> datetime:
    """``moment`` moved by ``amount`` units (``unit`` as :func:`unit_of` names it)."""
    if unit == "minute":
        return moment + timedelta(minutes=amount)
    if unit == "hour":
        return moment + timedelta(hours=amount)
    if unit == "day":
        return moment + timedelta(days=amount)
    if unit == "week":
        return moment + timedelta(weeks=amount)
    if unit == "year":
        return moment.replace(year=moment.year + amount) if not (moment.month == 2 and moment.day == 29) \
            else datetime.combine(_add_months(moment.date(), 12 * amount), moment.timetz())
    return datetime.combine(_add_months(moment.date(), amount), moment.timetz())


def _period(word: str, today: date) -> tuple[date, bool] | None:
    """Start/end-of-period words: the day they name and whether it is an end (23:59:59)."""
    import calendar

    if word in ("sod", "eod"):
        return today, word == "eod"
    if word in ("sow", "eow"):
        monday = today - timedelta(days=today.weekday())
        return (monday, False) if word == "sow" else (monday + timedelta(days=6), True)
    if word in ("som", "eom"):
        if word == "som":
            return today.replace(day=1), False
        return today.replace(day=calendar.monthrange(today.year, today.month)[1]), True
    if word in ("soy", "eoy"):
        return (date(today.year, 1, 1), False) if word == "soy" else (date(today.year, 12, 31), True)
    return None


@dataclass(frozen=True)
class Parsed:
    """What a date text meant: the instant, and whether the user gave a time of day."""

    moment: datetime  # aware, in the user's zone
    has_time: bool


def _parse(text: str, tz: tzinfo, now: datetime | None) -> Parsed:
    """What ``text`` means, refused (exit 6) when unreadable or outside the date range."""
    if not text.isprintable():  # a NUL or an escape: dateutil would skip it and read the rest
        raise _bad_date(text)
    try:
        parsed = _read(text, tz, now)
        parsed.moment.astimezone(timezone.utc)  # an instant near datetime's ends may not convert
    except (OverflowError, ValueError):  # arithmetic past datetime's years 1 … 9999
        raise limits.out_of_range_date(text) from None
    limits.check_date(parsed.moment.date(), text)
    return parsed


def _read(text: str, tz: tzinfo, now: datetime | None) -> Parsed:
    raw = text
    text = text.strip()
    if not text:
        raise _bad_date(raw)
    word = text.lower()
    local_now = (now or clock.now()).astimezone(tz)
    today = local_now.date()
    midnight = lambda d: datetime.combine(d, time(0, 0), tz)  # noqa: E731

    if word == "now":
        return Parsed(local_now, True)
    if word.startswith("next ") and word[5:].strip() in _WEEKDAYS:
        word = word[5:].strip()
    if word in _DAY_WORDS:
        return Parsed(midnight(today + timedelta(days=_DAY_WORDS[word])), False)
    if word in _WEEKDAYS:
        ahead = (_WEEKDAYS[word] - today.weekday() - 1) % 7 + 1
        return Parsed(midnight(today + timedelta(days=ahead)), False)
    period = _period(word, today)
    if period:
        day, is_end = period
        at = time(23, 59, 59) if is_end else time(0, 0)
        return Parsed(datetime.combine(day, at, tz), is_end)
    m = _OFFSET.match(word)
    if m:
        sign, amount, suffix = m.groups()
        if len(amount) > 9:  # more than any range allows; int() of 100 kB of digits is slow
            raise limits.out_of_range_date(raw)
        n = int(amount) * (1 if sign == "+" else -1)
        unit = unit_of(suffix)
        if unit in ("minute", "hour"):
            return Parsed(_shift(local_now, n, unit), True)
        return Parsed(_shift(midnight(today), n, unit), False)

    timed = _with_time_of_day(word, tz, now)
    if timed is not None:
        return timed

    from dateutil import parser as dateparser

    try:
        value = dateparser.parse(text, default=datetime.combine(today, time(0, 0)))
    except (ValueError, OverflowError):
        raise _bad_date(raw) from None
    has_time = bool(re.search(r"\d:\d|\d\s*[ap]\.?m\b|\dT\d", text, re.IGNORECASE))  # 14:30, 3pm, 2026-12-01T14
    if value.tzinfo is None:
        value = value.replace(tzinfo=tz)
    return Parsed(value, has_time)


def _with_time_of_day(word: str, tz: tzinfo, now: datetime | None) -> Parsed | None:
    """``tomorrow 10:00``, ``fri 3pm``, ``+2d 9:30``, ``明天 10点半``: a day word and a time of day."""
    m = _TIME_OF_DAY.match(word)
    if not m:
        return None
    day_text = m.group("day").strip()
    if not (day_text in _DAY_WORDS or day_text in _WEEKDAYS or _OFFSET.match(day_text)
            or (day_text.startswith("next ") and day_text[5:].strip() in _WEEKDAYS)):
        return None  # "2026-12-01 14:30" and the like are dateutil's
    day = _read(day_text, tz, now)
    if day.has_time:
        raise _bad_date(word)  # "+4h 10:00" means nothing sensible
    if m.group("h24") is not None:
        hour, minute = int(m.group("h24")), int(m.group("m24"))
    elif m.group("hcn") is not None:
        hour, minute = int(m.group("hcn")), 30 if m.group("half") else 0
    else:
        hour, minute = int(m.group("h")) % 12, int(m.group("m") or 0)
        if not 1 <= int(m.group("h")) <= 12:
            raise _bad_date(word)
        hour += 12 if m.group("ampm") == "pm" else 0
    if hour > 23 or minute > 59:
        raise _bad_date(word)
    local_day = day.moment.astimezone(tz).date()
    return Parsed(datetime.combine(local_day, time(hour, minute), tz), True)


def parse_datetime(text: str, tz: tzinfo, now: datetime | None = None) -> datetime:
    """Parse ``text`` to an aware UTC instant (a date alone means its midnight in ``tz``)."""
    return _parse(text, tz, now).moment.astimezone(timezone.utc)


def parse_due(text: str, tz: tzinfo, now: datetime | None = None) -> datetime:
    """Like :func:`parse_datetime`, but a date alone means the end of that day (for due dates)."""
    parsed = _parse(text, tz, now)
    if parsed.has_time:
        return parsed.moment.astimezone(timezone.utc)
    local = parsed.moment.astimezone(tz)
    return datetime.combine(local.date(), time(23, 59, 59), tz).astimezone(timezone.utc)


def parse_date(text: str, tz: tzinfo, now: datetime | None = None) -> date:
    """Parse ``text`` to a calendar date in the user's zone."""
    return _parse(text, tz, now).moment.astimezone(tz).date()


def parse_range(text: str, tz: tzinfo, now: datetime | None = None) -> tuple[datetime | None, datetime | None]:
    """``since..until`` (either side may be empty); a bare value means from it on.

    The end is inclusive of the whole day when it is a date without a time.
    """
    since_text, sep, until_text = text.partition("..")
    since = parse_datetime(since_text, tz, now) if since_text.strip() else None
    until = None
    if sep and until_text.strip():
        until = parse_due(until_text, tz, now)
    if since is None and until is None:
        raise _bad_date(text)
    return since, until


def parse_duration(text: str) -> timedelta:
    """``7d``, ``2w``, ``12h``, ``30m`` (minutes; ``30min`` too), ``1mo`` (30 days), ``1y`` (365 days).

    At most :data:`crmcli.limits.MAX_DURATION` (100 years); longer is refused (exit 6).
    """
    m = _DURATION.match(text.strip().lower())
    if not m:
        raise ValidationError(
            _("cannot read the duration '{text}'").format(text=limits.shown(text)),
            hint=_("for example 30m, 12h, 7d, 2w or 1mo (m is minutes, mo months)"),
        )
    if len(m.group(1)) > 9:
        return limits.check_duration(limits.MAX_DURATION * 2, text)
    n, unit = int(m.group(1)), unit_of(m.group(2))
    days_per = {"day": 1, "week": 7, "month": 30, "year": 365}
    if unit == "minute":
        span = timedelta(minutes=n)
    elif unit == "hour":
        span = timedelta(hours=n)
    else:
        span = timedelta(days=n * days_per[unit])
    return limits.check_duration(span, text)
