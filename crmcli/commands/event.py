"""``crm event``: the schedule (日程): events with participants, conflicts and reminders."""

from __future__ import annotations

from typing import List

import typer

from crmcli.commands._common import new_app, read_ids, rt
from crmcli.i18n import _

app = new_app(_("Events (日程): add, list, show, edit, cancel. An overlap with a participant's event is a conflict.\n\n"
                "Examples:\n\n  crm event add '华为方案演示' --start 'tomorrow 14:00' --duration 90min "
                "--participant liqiang --on customer:12 --remind 30min\n\n"
                "  crm event add 'Expo' --start 2026-12-08 --end 2026-12-10 --all-day --location Shanghai\n\n"
                "  crm event list --from today --to +7d\n\n  crm event cancel 4 --reason 'customer postponed'"))

PARTICIPANT_HELP = _("A participant's login (repeatable, or comma-separated); you take part as organiser.")
REMIND_HELP = _("When to remind: an offset before the start such as 15m, 1h or 1d (m is minutes, mo months), or a time.")


def _show(session, event) -> None:
    from crmcli.services import events

    [view] = events.describe(session, [event])
    row = view.row()
    labels = {"id": "id", "title": _("subject"), "start_at": _("start"), "end_at": _("end"), "all_day": _("all day"),
              "location": _("location"), "status": _("status"), "organizer": _("organiser"),
              "participants": _("participants"), "related": _("related"), "remind_at": _("reminder"),
              "description": _("description"), "cancel_reason": _("cancelled because"), "created_at": _("created"),
              "updated_at": _("updated")}
    fields = [(k, label, _(events.STATUS_LABELS[row[k]]) if k == "status" else row[k]) for k, label in labels.items()]
    fields = [f for f in fields if f[2] not in (None, [], {}) or f[0] in ("id", "title", "status")]
    rt().out().record(fields, data=row)


def _clashes(clashes) -> None:
    r = rt()
    for c in clashes:
        r.message(_("Conflict kept (--allow-conflict): {login} also has event {id} '{title}'.").format(
            login=c.user, id=c.event_id, title=c.title))


def _input(**kwargs):
    from crmcli.services.events import EventInput

    return EventInput(**kwargs)


@app.command("add", help=_("Add an event; refused (exit 5) when it overlaps a participant's event, "
                           "unless --allow-conflict.\n\n"
                           "Example: crm event add 'Visit Acme' --start 'fri 10:00' --end 'fri 12:00' --location 'Acme HQ'"))
def add(
    title: str = typer.Argument(..., help=_("What the event is.")),
    start: str = typer.Option(..., "--start", metavar="WHEN", help=_("When it starts.")),
    end: str = typer.Option(None, "--end", metavar="WHEN", help=_("When it ends (default: one hour later).")),
    duration: str = typer.Option(None, "--duration", metavar="LENGTH", help=_("How long, e.g. 30m, 2h, 1d (m is minutes, mo months; at most 100y).")),
    all_day: bool = typer.Option(False, "--all-day", help=_("Whole days (--end is then the last day).")),
    location: str = typer.Option(None, "--location", "-l"),
    description: str = typer.Option(None, "--description", "-d"),
    participant: List[str] = typer.Option(None, "--participant", "-p", metavar="LOGIN", help=PARTICIPANT_HELP),
    on: str = typer.Option(None, "--on", metavar="TYPE:ID", help=_("The related record, e.g. customer:12.")),
    remind: str = typer.Option(None, "--remind", metavar="WHEN", help=REMIND_HELP),
    allow_conflict: bool = typer.Option(False, "--allow-conflict", help=_("Keep it even when it overlaps.")),
) -> None:
    from crmcli.services import events

    r = rt()
    with r.transaction() as (s, me):
        event, clashes = events.add(s, me, _input(title=title, start=start, end=end, duration=duration,
                                                  all_day=all_day or None, location=location, description=description,
                                                  participants=participant, on=on, remind=remind),
                                    r.timezone(), allow_conflict=allow_conflict)
        _show(s, event)
    _clashes(clashes)


@app.command("list", help=_("List events you take part in (default: from today on).\n\n"
                            "Example: crm event list --from 2026-12-01 --to eom --user liqiang"))
def list_(since: str = typer.Option("today", "--from", metavar="WHEN"),
          until: str = typer.Option(None, "--to", metavar="WHEN", help=_("Until (a date alone: its whole day).")),
          user: str = typer.Option("me", "--user", metavar="me|LOGIN|all", help=_("Whose events.")),
          on: str = typer.Option(None, "--on", metavar="TYPE:ID", help=_("Only events of this record.")),
          cancelled: bool = typer.Option(False, "--cancelled", help=_("Include cancelled events.")),
          limit: int = typer.Option(100, "--limit", "-n", min=1, max=1_000_000)) -> None:
    from crmcli import dates
    from crmcli.output import Column
    from crmcli.services import events

    r = rt()
    with r.transaction(write=False) as (s, me):
        tz = r.timezone()
        start = dates.parse_datetime(since, tz) if since is not None else None
        end = dates.parse_due(until, tz) if until is not None else None
        rows = [v.row() for v in events.find(s, me, start, end, user=None if user == "all" else user,
                                             cancelled=cancelled, on=on, limit=limit)]
    r.out().rows([Column("id", "id", "right"), Column("start_at", _("start")), Column("end_at", _("end")),
                  Column("title", _("subject")), Column("location", _("location")),
                  Column("participants", _("participants")), Column("related", _("related")),
                  Column("status", _("status"), labels=events.STATUS_LABELS)], rows)


@app.command("show", help=_("Show one event.\n\nExample: crm event show 4"))
def show(event: str = typer.Argument(..., help=_("Event id."))) -> None:
    from crmcli.services import events

    with rt().transaction(write=False) as (s, me):
        _show(s, events.get(s, me, event))


@app.command("edit", help=_("Change an event (moving it keeps its length; conflicts are checked again).\n\n"
                            "Example: crm event edit 4 --start 'fri 15:00' --participant liqiang,zhoujie"))
def edit(
    event: str = typer.Argument(..., help=_("Event id.")),
    title: str = typer.Option(None, "--title"),
    start: str = typer.Option(None, "--start", metavar="WHEN"), end: str = typer.Option(None, "--end", metavar="WHEN"),
    duration: str = typer.Option(None, "--duration", metavar="LENGTH"),
    all_day: bool = typer.Option(None, "--all-day/--timed"),
    location: str = typer.Option(None, "--location", "-l"), description: str = typer.Option(None, "--description", "-d"),
    participant: List[str] = typer.Option(None, "--participant", "-p", metavar="LOGIN",
                                          help=_("Replace the participants (repeatable).")),
    on: str = typer.Option(None, "--on", metavar="TYPE:ID"),
    remind: str = typer.Option(None, "--remind", metavar="WHEN", help=REMIND_HELP),
    no_remind: bool = typer.Option(False, "--no-remind"),
    allow_conflict: bool = typer.Option(False, "--allow-conflict"),
) -> None:
    from crmcli.services import events

    r = rt()
    with r.transaction() as (s, me):
        updated, clashes = events.edit(s, me, event, _input(title=title, start=start, end=end, duration=duration,
                                                            all_day=all_day, location=location,
                                                            description=description, participants=participant,
                                                            on=on, remind=remind), r.timezone(),
                                       allow_conflict=allow_conflict, clear_remind=no_remind)
        _show(s, updated)
    _clashes(clashes)


@app.command("cancel", help=_("Cancel events (batch); they stay on record, marked cancelled.\n\n"
                              "Example: crm event cancel 4 5 --reason 'moved online'"))
def cancel(ids: List[str] = typer.Argument(..., metavar="IDS..."),
           reason: str = typer.Option(None, "--reason")) -> None:
    from crmcli.services import events

    with rt().transaction() as (s, me):
        found = events.cancel(s, me, read_ids(ids), reason)
    rt().message(_("{n} events cancelled.").format(n=len(found)))
