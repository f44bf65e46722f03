"""``crm task``: tasks (任务), their views, urgency, recurrence and ICS export."""

from __future__ import annotations

from typing import List, Optional

import typer

from crmcli.commands._common import new_app, read_ids, rt
from crmcli.i18n import _

app = new_app(_("Tasks (任务): add, list, show, edit, done, reopen, assign, snooze; views inbox, today, next, later.\n\n"
                "Examples:\n\n  crm task add '给华为发报价' --due friday --priority high --on customer:12\n\n"
                "  crm task today\n\n  crm task add 'Weekly report' --due 'fri 17:00' --recur weekly --remind 1h\n\n"
                "  crm task done 7 8\n\n  crm task snooze 9 --until 'monday 09:00'\n\n"
                "  crm task export --ics tasks.ics"))

PARTICIPANT_HELP = _("A participant's login (repeatable, or comma-separated).")
REMIND_HELP = _("When to remind: a time, or an offset before the due time such as 15m, 1h or 1d (m is minutes, mo months).")
RECUR_HELP = _("Repeat: daily, weekly, monthly, 'every 2 weeks', or '3 days after done'.")


def _columns():
    from crmcli.output import Column
    from crmcli.services import tasks

    return [Column("id", "id", "right"), Column("urgency", _("urgency"), "right"), Column("due_at", _("due")),
            Column("priority", _("priority"), labels=tasks.PRIORITY_LABELS), Column("title", _("subject")),
            Column("assignee", _("assignee")), Column("related", _("related")),
            Column("status", _("status"), labels=tasks.STATUS_LABELS)]


def _show(session, task) -> None:
    from crmcli.output import Column
    from crmcli.services import tasks

    [view] = tasks.describe(session, [task])
    row = view.row()
    row["urgency_terms"] = [{"term": t.name, "coefficient": t.coefficient, "factor": t.factor, "value": t.value}
                            for t in view.terms]
    labels = {"id": "id", "title": _("subject"), "status": _("status"), "priority": _("priority"), "due_at": _("due"),
              "assignee": _("assignee"), "participants": _("participants"), "related": _("related"),
              "urgency": _("urgency"), "snoozed_until": _("snoozed until"), "remind_at": _("reminder"),
              "recurrence": _("repeats"), "description": _("description"), "done_at": _("done"),
              "created_at": _("created"), "updated_at": _("updated")}
    shown = {"status": lambda v: _(tasks.STATUS_LABELS[v]),
             "priority": lambda v: _(tasks.PRIORITY_LABELS[v]) if v else v}
    fields = [(k, label, shown[k](row[k]) if k in shown else row[k]) for k, label in labels.items()]
    fields = [f for f in fields if f[2] not in (None, [], {}) or f[0] in ("id", "title", "status", "assignee")]
    out = rt().out()
    out.record(fields, data=row)
    if out.fmt in ("table", "plain") and task.status == "open":
        names = {"due": _("due date"), "overdue": _("overdue"), "priority": _("priority"), "age": _("age"),
                 "amount": _("related amount"), "participants": _("participants")}
        out.section(_("Urgency {score} = the sum of coefficient × factor:").format(score=view.urgency))
        out.rows([Column("term", _("term")), Column("coefficient", _("coefficient"), "right"),
                  Column("factor", _("factor"), "right"), Column("value", _("value"), "right")],
                 [{"term": names[t.name], "coefficient": f"{t.coefficient:g}", "factor": f"{t.factor:g}",
                   "value": f"{t.value:g}"} for t in view.terms])


def _input(**kwargs):
    from crmcli.services.tasks import TaskInput

    return TaskInput(**kwargs)


@app.command("add", help=_("Add a task (assigned to you unless --assignee).\n\n"
                           "Example: crm task add '回访张总' --due 'tomorrow 10:00' --on contact:3 --remind 30min"))
def add(
    title: str = typer.Argument(..., help=_("What is to be done.")),
    description: str = typer.Option(None, "--description", "-d"),
    assignee: str = typer.Option(None, "--assignee", "--to", metavar="me|LOGIN", help=_("Who does it (default: you).")),
    participant: List[str] = typer.Option(None, "--participant", "-p", metavar="LOGIN", help=PARTICIPANT_HELP),
    due: str = typer.Option(None, "--due", metavar="WHEN", help=_("When it is due (a date alone: the end of that day).")),
    priority: str = typer.Option(None, "--priority", metavar="high|medium|low"),
    on: str = typer.Option(None, "--on", metavar="TYPE:ID", help=_("The related record, e.g. customer:12.")),
    remind: str = typer.Option(None, "--remind", metavar="WHEN", help=REMIND_HELP),
    recur: str = typer.Option(None, "--recur", metavar="RULE", help=RECUR_HELP),
) -> None:
    from crmcli.services import tasks

    r = rt()
    with r.transaction() as (s, me):
        task = tasks.add(s, me, _input(title=title, description=description, assignee=assignee,
                                       participants=participant, due=due, priority=priority, on=on, remind=remind,
                                       recur=recur), r.timezone())
        _show(s, task)


def _list(view: Optional[str], status: str, assignee: Optional[str], team: bool, on: Optional[str], limit: int) -> None:
    from crmcli.services import tasks

    r = rt()
    if assignee == "all":
        assignee = None
    with r.transaction(write=False) as (s, me):
        found = tasks.find(s, me, tasks.TaskQuery(view=view, status=status, assignee=assignee, team=team, on=on,
                                                  limit=limit), r.timezone())
        rows = [v.row() for v in found]
    r.out().rows(_columns(), rows)


TeamOpt = typer.Option(False, "--team", help=_("Everyone your data scope covers, not just you."))
AssigneeOpt = typer.Option("me", "--assignee", metavar="me|LOGIN|all", help=_("Whose tasks (default: yours)."))
LimitOpt = typer.Option(100, "--limit", "-n", help=_("At most this many rows."))


@app.command("list", help=_("List tasks, most urgent first (default: your open tasks).\n\n"
                            "Example: crm task list --status all --on customer:12"))
def list_(view: str = typer.Option(None, "--view", metavar="inbox|today|next|later"),
          status: str = typer.Option("open", "--status", metavar="open|done|all"),
          assignee: str = AssigneeOpt, team: bool = TeamOpt,
          on: str = typer.Option(None, "--on", metavar="TYPE:ID", help=_("Only tasks of this record.")),
          limit: int = LimitOpt) -> None:
    _list(view, status, assignee, team, on, limit)


@app.command("inbox", help=_("Open tasks with no due date (收件箱).\n\nExample: crm task inbox"))
def inbox(assignee: str = AssigneeOpt, team: bool = TeamOpt, limit: int = LimitOpt) -> None:
    _list("inbox", "open", assignee, team, None, limit)


@app.command("today", help=_("Open tasks due today or overdue (今天).\n\nExample: crm task today --team"))
def today(assignee: str = AssigneeOpt, team: bool = TeamOpt, limit: int = LimitOpt) -> None:
    _list("today", "open", assignee, team, None, limit)


@app.command("next", help=_("Open tasks due in the next 7 days after today (下一步).\n\nExample: crm task next"))
def next_(assignee: str = AssigneeOpt, team: bool = TeamOpt, limit: int = LimitOpt) -> None:
    _list("next", "open", assignee, team, None, limit)


@app.command("later", help=_("Open tasks due after the next 7 days, or snoozed (未来).\n\nExample: crm task later"))
def later(assignee: str = AssigneeOpt, team: bool = TeamOpt, limit: int = LimitOpt) -> None:
    _list("later", "open", assignee, team, None, limit)


@app.command("show", help=_("Show one task, and how its urgency is made up.\n\nExample: crm task show 7"))
def show(task: str = typer.Argument(..., help=_("Task id."))) -> None:
    from crmcli.services import tasks

    with rt().transaction(write=False) as (s, me):
        _show(s, tasks.get(s, me, task))


@app.command("edit", help=_("Change a task.\n\nExample: crm task edit 7 --due +2d --priority low --participant bob"))
def edit(
    task: str = typer.Argument(..., help=_("Task id.")),
    title: str = typer.Option(None, "--title"), description: str = typer.Option(None, "--description", "-d"),
    assignee: str = typer.Option(None, "--assignee", "--to", metavar="LOGIN"),
    participant: List[str] = typer.Option(None, "--participant", "-p", metavar="LOGIN",
                                          help=_("Replace the participants (repeatable; '' for none).")),
    due: str = typer.Option(None, "--due", metavar="WHEN"), no_due: bool = typer.Option(False, "--no-due"),
    priority: str = typer.Option(None, "--priority", metavar="high|medium|low|none"),
    on: str = typer.Option(None, "--on", metavar="TYPE:ID"), no_on: bool = typer.Option(False, "--no-on"),
    remind: str = typer.Option(None, "--remind", metavar="WHEN", help=REMIND_HELP),
    no_remind: bool = typer.Option(False, "--no-remind"),
    recur: str = typer.Option(None, "--recur", metavar="RULE", help=RECUR_HELP),
    no_recur: bool = typer.Option(False, "--no-recur"),
) -> None:
    from crmcli.services import tasks

    r = rt()
    with r.transaction() as (s, me):
        updated = tasks.edit(s, me, task, _input(title=title, description=description, assignee=assignee,
                                                 participants=participant, due=due, priority=priority, on=on,
                                                 remind=remind, recur=recur), r.timezone(),
                             clear_due=no_due, clear_remind=no_remind, clear_recur=no_recur, clear_on=no_on)
        _show(s, updated)


@app.command("done", help=_("Mark tasks done (batch; - reads ids from stdin); a repeating task makes its next one.\n\n"
                            "Example: crm task done 7 8"))
def done(ids: List[str] = typer.Argument(..., metavar="IDS...")) -> None:
    from crmcli.services import tasks

    r = rt()
    with r.transaction() as (s, me):
        finished = tasks.done(s, me, read_ids(ids), r.timezone())
    if r.output_format() == "ids":
        from crmcli.output import Column

        r.out().rows([Column("id", "id")], [{"id": d.task.id} for d in finished])
    for d in finished:
        if d.next_task is not None:
            r.message(_("Task {id} done; next one: task {next} due {due}.").format(
                id=d.task.id, next=d.next_task.id,
                due=d.next_task.due_at.astimezone(r.timezone()).strftime("%Y-%m-%d %H:%M")))
        elif d.series_ended:
            r.message(_("Task {id} done; its series ends here: the next one would be due after {last}.").format(
                id=d.task.id, last="2200-12-31"))
    r.message(_("{n} tasks done.").format(n=len(finished)))


@app.command("reopen", help=_("Reopen done tasks.\n\nExample: crm task reopen 7"))
def reopen(ids: List[str] = typer.Argument(..., metavar="IDS...")) -> None:
    from crmcli.services import tasks

    with rt().transaction() as (s, me):
        found = tasks.reopen(s, me, read_ids(ids))
    rt().message(_("{n} tasks reopened.").format(n=len(found)))


@app.command("assign", help=_("Give tasks to someone in your data scope (batch).\n\nExample: crm task assign 7 8 --to bob"))
def assign(ids: List[str] = typer.Argument(..., metavar="IDS..."),
           to: str = typer.Option(..., "--to", metavar="LOGIN")) -> None:
    from crmcli.services import tasks

    with rt().transaction() as (s, me):
        found = tasks.assign(s, me, read_ids(ids), to)
    rt().message(_("{n} tasks now assigned to {login}.").format(n=len(found), login=to))


@app.command("snooze", help=_("Hide an open task until a time (its reminder comes then).\n\n"
                              "Example: crm task snooze 7 --until 'monday 09:00'"))
def snooze(task: str = typer.Argument(..., help=_("Task id.")),
           until: str = typer.Option(..., "--until", metavar="WHEN")) -> None:
    from crmcli.services import tasks

    r = rt()
    with r.transaction() as (s, me):
        found = tasks.snooze(s, me, task, until, r.timezone())
        moment = found.snoozed_until
    r.message(_("Task {id} snoozed until {when}.").format(
        id=found.id, when=moment.astimezone(r.timezone()).strftime("%Y-%m-%d %H:%M")))


@app.command("export", help=_("Export tasks as RFC 5545 VTODOs (with alarms and recurrence); - for stdout.\n\n"
                              "Example: crm task export --ics tasks.ics --status all"))
def export(ics: str = typer.Option(..., "--ics", metavar="FILE", help=_("The .ics file to write, or -.")),
           status: str = typer.Option("open", "--status", metavar="open|done|all"),
           assignee: str = AssigneeOpt, team: bool = TeamOpt) -> None:
    from crmcli import clock
    from crmcli.commands.cal import write_ics
    from crmcli.services import ics as ics_format
    from crmcli.services import tasks

    r = rt()
    with r.transaction(write=False) as (s, me):
        found = tasks.find(s, me, tasks.TaskQuery(status=status, assignee=None if assignee == "all" else assignee,
                                                  team=team, limit=100_000), r.timezone())
        stamp = clock.now()
        text = ics_format.calendar([ics_format.vtodo(v.task, related=v.related, stamp=stamp) for v in found],
                                   name=_("crm tasks"))
    write_ics(ics, text)
    r.message(_("Wrote {n} tasks to {file}.").format(n=len(found), file=ics))
