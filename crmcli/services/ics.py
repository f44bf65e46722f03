"""RFC 5545 (iCalendar) export of events (VEVENT) and tasks (VTODO), written with the standard library.

* Lines end in CRLF and are folded at 75 octets (never inside a UTF-8 character).
* TEXT values escape backslash, semicolon, comma and newlines.
* Times are UTC (``…Z``), so no VTIMEZONE is needed; all-day events use ``VALUE=DATE``.
  Years are written with four digits always (RFC 5545 DATE is ``YYYYMMDD``); crm's dates lie
  in 1900–2200 (:mod:`crmcli.limits`), and a value stored before that rule still writes a valid
  line rather than ``DUE:10101T…``.
* Every record has a stable UID (``crm-event-12@crmcli``, ``crm-task-7@crmcli``) and a
  SEQUENCE/LAST-MODIFIED, so importing a newer export updates the entries instead of
  duplicating them.  Cancelled events stay in the export with ``STATUS:CANCELLED``.
* A reminder is a VALARM (``ACTION:DISPLAY``) triggered relative to the start or due time;
  a task repeating "every N units" carries an RRULE (a repetition counted from completion has
  no RRULE equivalent and is noted in the description).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone, tzinfo
from typing import Any, Iterable

PRODID = "-//crmcli//crm//EN"
_FREQ = {"day": "DAILY", "week": "WEEKLY", "month": "MONTHLY"}
_PRIORITY = {"high": 1, "medium": 5, "low": 9}


def escape(text: str) -> str:
    return (text.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")
            .replace("\r\n", "\\n").replace("\n", "\\n").replace("\r", "\\n"))


def fold(line: str) -> str:
    """One content line, folded into chunks of at most 75 octets (continuations start with a space)."""
    data = line.encode("utf-8")
    if len(data) <= 75:
        return line + "\r\n"
    parts, current, size, limit = [], [], 0, 75
    for ch in line:
        width = len(ch.encode("utf-8"))
        if size + width > limit:
            parts.append("".join(current))
            current, size, limit = [], 0, 74  # the leading space of a continuation counts
        current.append(ch)
        size += width
    parts.append("".join(current))
    return "\r\n ".join(parts) + "\r\n"


def utc(moment: datetime) -> str:
    """``20261201T060000Z``: the year always four digits (``strftime('%Y')`` writes year 1 as ``1``)."""
    try:
        moment = moment.astimezone(timezone.utc)
    except OverflowError:  # a naive-looking instant at datetime's ends: keep its own clock time
        pass
    return f"{moment.year:04d}{moment.month:02d}{moment.day:02d}T{moment.hour:02d}{moment.minute:02d}{moment.second:02d}Z"


def day(value: date) -> str:
    """``20261201``, the year always four digits."""
    return f"{value.year:04d}{value.month:02d}{value.day:02d}"


def _local_day(moment: datetime, tz: tzinfo) -> date:
    """The calendar day of ``moment`` in ``tz`` (its UTC day when the zone would leave datetime's range)."""
    try:
        return moment.astimezone(tz).date()
    except OverflowError:
        return moment.date()


def _hour_before(moment: datetime) -> datetime:
    try:
        return moment - timedelta(hours=1)
    except OverflowError:
        return moment


def _day_after(value: date) -> date:
    return value + timedelta(days=1) if value < date.max else value


def duration(delta: timedelta) -> str:
    """An RFC 5545 DURATION, e.g. -PT15M, -P1D, PT0S."""
    seconds = int(delta.total_seconds())
    sign = "-" if seconds < 0 else ""
    seconds = abs(seconds)
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    if seconds == 0:
        return "PT0S"
    out = f"{sign}P"
    if days:
        out += f"{days}D"
    if hours or minutes or secs:
        out += "T" + (f"{hours}H" if hours else "") + (f"{minutes}M" if minutes else "") + (f"{secs}S" if secs else "")
    return out


def _prop(name: str, value: str, params: str = "") -> str:
    return fold(f"{name}{params}:{value}")


def _alarm(trigger: timedelta, description: str, related: str = "START") -> list[str]:
    params = ";RELATED=END" if related == "END" else ""
    return [_prop("BEGIN", "VALARM"), _prop("ACTION", "DISPLAY"), _prop("DESCRIPTION", escape(description)),
            _prop("TRIGGER", duration(trigger), params), _prop("END", "VALARM")]


def vevent(event: Any, *, organizer: Any = None, attendees: Iterable[Any] = (), related: str | None = None,
           stamp: datetime, tz: tzinfo) -> list[str]:
    lines = [_prop("BEGIN", "VEVENT"), _prop("UID", f"crm-event-{event.id}@crmcli"), _prop("DTSTAMP", utc(stamp))]
    if event.all_day:
        first = _local_day(event.start_at, tz)
        after = _day_after(_local_day(event.end_at - timedelta(microseconds=1), tz))
        lines += [_prop("DTSTART", day(first), ";VALUE=DATE"), _prop("DTEND", day(after), ";VALUE=DATE")]
    else:
        lines += [_prop("DTSTART", utc(event.start_at)), _prop("DTEND", utc(event.end_at))]
    lines += [_prop("SUMMARY", escape(event.title))]
    description = "\n".join(x for x in (event.description, related) if x)
    if description:
        lines.append(_prop("DESCRIPTION", escape(description)))
    if event.location:
        lines.append(_prop("LOCATION", escape(event.location)))
    lines += [_prop("STATUS", "CANCELLED" if event.status == "cancelled" else "CONFIRMED"),
              _prop("SEQUENCE", str(event.sequence or 0)), _prop("CREATED", utc(event.created_at)),
              _prop("LAST-MODIFIED", utc(event.updated_at))]
    if organizer is not None and organizer.email:
        lines.append(_prop("ORGANIZER", f"mailto:{organizer.email}", f';CN="{_param(organizer.name)}"'))
    for person in attendees:
        if person.email:
            lines.append(_prop("ATTENDEE", f"mailto:{person.email}", f';CN="{_param(person.name)}"'))
    if event.remind_at is not None:
        lines += _alarm(event.remind_at - event.start_at, event.title)
    lines.append(_prop("END", "VEVENT"))
    return lines


def _param(text: str) -> str:
    """A quoted parameter value may not hold DQUOTE or control characters."""
    return "".join(ch for ch in (text or "") if ch != '"' and ord(ch) >= 32)


def vtodo(task: Any, *, related: str | None = None, stamp: datetime) -> list[str]:
    lines = [_prop("BEGIN", "VTODO"), _prop("UID", f"crm-task-{task.id}@crmcli"), _prop("DTSTAMP", utc(stamp)),
             _prop("SUMMARY", escape(task.title))]
    notes = [task.description, related]
    if task.recur_mode == "after":
        notes.append(f"repeats {task.recur_n} {task.recur_unit}(s) after done")
    description = "\n".join(x for x in notes if x)
    if description:
        lines.append(_prop("DESCRIPTION", escape(description)))
    if task.due_at is not None:
        if task.recur_mode == "every":  # RRULE needs DTSTART, and DUE must come after it
            lines.append(_prop("DTSTART", utc(_hour_before(task.due_at))))
        lines.append(_prop("DUE", utc(task.due_at)))
    if task.priority in _PRIORITY:
        lines.append(_prop("PRIORITY", str(_PRIORITY[task.priority])))
    if task.status == "done":
        lines += [_prop("STATUS", "COMPLETED"), _prop("PERCENT-COMPLETE", "100")]
        if task.done_at is not None:
            lines.append(_prop("COMPLETED", utc(task.done_at)))
    else:
        lines.append(_prop("STATUS", "NEEDS-ACTION"))
    lines += [_prop("CREATED", utc(task.created_at)), _prop("LAST-MODIFIED", utc(task.updated_at))]
    if task.recur_mode == "every" and task.due_at is not None:
        lines.append(_prop("RRULE", f"FREQ={_FREQ[task.recur_unit]};INTERVAL={task.recur_n}"))
    if task.remind_at is not None:
        if task.due_at is not None:
            lines += _alarm(task.remind_at - task.due_at, task.title, "END")
        else:
            lines += [_prop("BEGIN", "VALARM"), _prop("ACTION", "DISPLAY"), _prop("DESCRIPTION", escape(task.title)),
                      _prop("TRIGGER", utc(task.remind_at), ";VALUE=DATE-TIME"), _prop("END", "VALARM")]
    lines.append(_prop("END", "VTODO"))
    return lines


def calendar(components: Iterable[list[str]], name: str | None = None) -> str:
    lines = [_prop("BEGIN", "VCALENDAR"), _prop("VERSION", "2.0"), _prop("PRODID", PRODID),
             _prop("CALSCALE", "GREGORIAN")]
    if name:
        lines.append(_prop("X-WR-CALNAME", escape(name)))
    for component in components:
        lines += component
    lines.append(_prop("END", "VCALENDAR"))
    return "".join(lines)
