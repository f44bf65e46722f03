"""``crm cal``: a terminal calendar of events and dated tasks, in your time zone; ``crm cal export``."""

from __future__ import annotations

import typer

from crmcli.commands._common import new_app, rt
from crmcli.i18n import N_, _

app = new_app(_("A calendar of events and dated tasks (--day, --week or --month), for you, a user, your team or a "
                "department, in your time zone.\n\n"
                "Examples:\n\n  crm cal\n\n  crm cal --month --date 2026-12-01\n\n  crm cal --week --team\n\n"
                "  crm cal --day --user liqiang\n\n  crm cal export --ics ~/crm.ics"), no_args_is_help=False)


def write_ics(target: str, text: str) -> None:
    """Write an iCalendar text to a file or to stdout (``-``), bytes as they are (CRLF kept).

    :mod:`crmcli.safe_write` decides how: a regular file is replaced whole or not at all, a pipe or
    a device is written straight, a symbolic link is followed, a directory is refused."""
    from crmcli.safe_write import write_bytes

    write_bytes(target, text.encode("utf-8"))


def _span_name(day: bool, week: bool, month: bool) -> str:
    from crmcli.errors import UsageError

    if day + week + month > 1:
        raise UsageError(_("give one of --day, --week and --month"))
    return "day" if day else "month" if month else "week"


def _when_text(entry, tz) -> str:
    if entry.kind == "task":
        return _("due {time}").format(time=entry.start.astimezone(tz).strftime("%H:%M"))
    if entry.all_day:
        return _("all day")
    return "{0}–{1}".format(entry.start.astimezone(tz).strftime("%H:%M"), entry.end.astimezone(tz).strftime("%H:%M"))


@app.callback(invoke_without_command=True)
def cal(ctx: typer.Context,
        day: bool = typer.Option(False, "--day", help=_("One day.")),
        week: bool = typer.Option(False, "--week", help=_("One week, Monday first (the default).")),
        month: bool = typer.Option(False, "--month", help=_("One month, as a grid and a list.")),
        date: str = typer.Option("today", "--date", metavar="WHEN", help=_("A day in the period to show.")),
        user: str = typer.Option(None, "--user", metavar="LOGIN", help=_("Someone else's calendar (in your scope).")),
        team: bool = typer.Option(False, "--team", help=_("Everyone your data scope covers.")),
        dept: str = typer.Option(None, "--dept", metavar="DEPT", help=_("A department and those below it.")),
        no_tasks: bool = typer.Option(False, "--no-tasks", help=_("Events only."))) -> None:
    if ctx.invoked_subcommand is not None:
        return
    from datetime import timedelta

    from crmcli import dates
    from crmcli.output import Column
    from crmcli.services import calendar

    r = rt()
    span = _span_name(day, week, month)
    with r.transaction(write=False) as (s, me):
        tz = r.timezone()  # the acting user's zone: known once the transaction has loaded them
        who = calendar.people(s, me, user=user, team=team, dept=dept)
        first, after = calendar.span(span, dates.parse_date(date, tz))
        start, end = calendar.bounds(first, after, tz)
        entries = calendar.entries(s, me, who, start, end, with_tasks=not no_tasks)
    out = r.out()
    columns = [Column("when", _("when")), Column("kind", _("type"), labels={"event": _("event"), "task": _("task")}),
               Column("id", "id", "right"), Column("title", _("subject")), Column("who", _("participants")),
               Column("location", _("location"))]
    if out.fmt not in ("table", "plain"):
        out.rows([Column(k, k) for k in ("kind", "id", "ref", "start", "end", "all_day", "title", "who", "location",
                                         "status")], [e.row() for e in entries])
        return
    people = ", ".join(u.login for u in who)
    zone = getattr(tz, "key", None) or str(tz)
    r.message(_("Calendar of {people}, {first} to {last} ({zone})").format(
        people=people, first=first.isoformat(), last=(after - timedelta(days=1)).isoformat(), zone=zone))
    by_day: dict = {}
    for e in entries:
        local_first = e.start.astimezone(tz).date()
        local_last = (e.end - timedelta(microseconds=1)).astimezone(tz).date() if e.end else local_first
        d = max(local_first, first)
        while d <= min(local_last, after - timedelta(days=1)):
            by_day.setdefault(d, []).append(e)
            d += timedelta(days=1)
    if span == "month":
        out.section(_month_grid(first, after, by_day, dates.parse_date("today", tz)))
    d = first
    while d < after:
        items = by_day.get(d, [])
        if items or span != "month":
            out.section(_day_title(d))
            if items:
                out.rows(columns, [{"when": _when_text(e, tz), "kind": e.kind, "id": e.id, "title": e.title,
                                    "who": e.who, "location": e.location} for e in items])
            else:
                out.section("  " + _("(nothing)"))
        d += timedelta(days=1)


WEEKDAYS = (N_("Mon"), N_("Tue"), N_("Wed"), N_("Thu"), N_("Fri"), N_("Sat"), N_("Sun"))


def _day_title(d) -> str:
    return f"{d.isoformat()} {_(WEEKDAYS[d.weekday()])}"


def _month_grid(first, after, by_day, today) -> str:
    """A month like cal(1): a day with entries shows their count (12·3); today is in brackets."""
    from datetime import timedelta

    lines = [first.strftime("%Y-%m").center(7 * 7), " ".join(f"{_(w):>6}" for w in WEEKDAYS)]
    cells = ["      "] * first.weekday()
    d = first
    while d < after:
        n = len(by_day.get(d, []))
        text = f"{d.day}" + (f"·{n}" if n else "")
        cells.append(f"[{text}]".rjust(6) if d == today else text.rjust(6))
        d += timedelta(days=1)
    for i in range(0, len(cells), 7):
        lines.append(" ".join(cells[i:i + 7]).rstrip())
    return "\n".join(lines)


@app.command("export", help=_("Write your events (and others' with --user/--team/--dept) as an RFC 5545 file "
                              "that calendar apps import; the same UIDs every time, so re-importing updates.\n\n"
                              "Example: crm cal export --ics ~/crm.ics --from -30d"))
def export(ics: str = typer.Option(..., "--ics", metavar="FILE", help=_("The .ics file to write, or -.")),
           since: str = typer.Option(None, "--from", metavar="WHEN", help=_("Only events ending after this.")),
           until: str = typer.Option(None, "--to", metavar="WHEN", help=_("Only events starting before this.")),
           user: str = typer.Option(None, "--user", metavar="LOGIN"), team: bool = typer.Option(False, "--team"),
           dept: str = typer.Option(None, "--dept", metavar="DEPT"),
           with_tasks: bool = typer.Option(False, "--tasks", help=_("Also the dated tasks, as VTODOs."))) -> None:
    from datetime import datetime, timezone

    from sqlalchemy import select

    from crmcli import clock, dates
    from crmcli.services import calendar, events, ics as ics_format, tasks
    from crmcli.store.models import User

    r = rt()
    with r.transaction(write=False) as (s, me):
        tz = r.timezone()
        start = dates.parse_datetime(since, tz) if since else datetime(1970, 1, 1, tzinfo=timezone.utc)
        end = dates.parse_due(until, tz) if until else datetime(9999, 1, 1, tzinfo=timezone.utc)
        who = calendar.people(s, me, user=user, team=team, dept=dept)
        found = events.describe(s, events.for_users(s, [u.id for u in who], start, end, cancelled=True))
        people = {u.id: u for u in s.execute(select(User)).scalars()}
        logins = {u.login: u for u in people.values()}
        stamp = clock.now()
        parts = [ics_format.vevent(v.event, organizer=people.get(v.event.organizer_id),
                                   attendees=[logins[x] for x in v.participants if x in logins],
                                   related=v.related, stamp=stamp, tz=tz) for v in found]
        n_tasks = 0
        if with_tasks:
            rows = calendar.dated_tasks(s, me, who)
            parts += [ics_format.vtodo(v.task, related=v.related, stamp=stamp) for v in tasks.describe(s, rows)]
            n_tasks = len(rows)
        text = ics_format.calendar(parts, name=_("crm calendar"))
    write_ics(ics, text)
    r.message(_("Wrote {n} events and {m} tasks to {file}.").format(n=len(found), m=n_tasks, file=ics))
