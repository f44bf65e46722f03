"""``crm help TOPIC``: reference pages that do not belong to one command."""

from __future__ import annotations

import typer

from crmcli.commands._common import new_app
from crmcli.i18n import _

app = new_app(_("Reference topics."), group=False)

TOPICS = ("exit-codes", "dates", "formats", "identity")


def _exit_codes() -> str:
    return _(
        "Exit codes (the same for every command):\n\n"
        "  0    ok\n"
        "  1    error: the database cannot be opened or is at another schema, an internal error\n"
        "  2    usage: an unknown option, a missing argument, a malformed --db URL\n"
        "  3    not found: no such record, or one outside your data scope\n"
        "  4    permission denied: unknown or disabled user, or a missing permission\n"
        "  5    conflict: a duplicate, already claimed, already done, or changed meanwhile\n"
        "  6    validation: bad input; nothing was written\n"
        "  130  interrupted (Ctrl-C)\n\n"
        "Errors are one line on stderr: 'crm: error: …', with a hint where one helps.\n"
        "Set CRM_DEBUG=1 to see the traceback of an internal error.\n"
    )


def _dates() -> str:
    return _(
        "Dates and times are read in your time zone and stored in UTC.\n\n"
        "  now, today, tomorrow, yesterday (今天, 明天, 昨天, 后天)\n"
        "  monday … sunday, mon … sun (周一 … 周日), next monday: the next such day\n"
        "  tomorrow 10:00, fri 3pm, +2d 9:30, 明天 10点半: a day and a time of day\n"
        "  +3d, -2w, +1mo, +1y, +4h, +30m: relative to today (or now, for hours and minutes)\n"
        "  eod, eow, eom, eoy: the end of today, this week, month, year; sod, sow, som, soy: the start\n"
        "  2026-12-01, 2026-12-01 14:30, 'Dec 1 2026': anything python-dateutil reads\n"
        "  Ranges: SINCE..UNTIL, either side may be empty (2026-11-01..eom, -7d..)\n\n"
        "Units, the same in offsets, durations (--duration 30m) and reminders (--remind 15m):\n"
        "m or min minutes, h hours, d days, w weeks, mo months, y years. m is never months.\n\n"
        "Dates lie between 1900-01-01 and 2200-12-31; durations are at most 100 years.\n"
        "Anything else is refused (exit 6).\n\n"
        "CRM_NOW=2026-11-22T09:00:00+08:00 fixes 'now' for tests, demos and back-fills.\n"
    )


def _formats() -> str:
    return _(
        "Output formats (--format, or --json):\n\n"
        "  table  a Rich table (the default on a terminal)\n"
        "  plain  aligned text, no colour\n"
        "  tsv    tab-separated with a header row (the default when piped)\n"
        "  csv    comma-separated with a header row\n"
        "  json   one JSON array (or object for a single record)\n"
        "  jsonl  one JSON object per line\n"
        "  ids    only the ids, one per line (for xargs and batch verbs that read '-')\n\n"
        "Data goes to stdout, messages to stderr. Piped output has no colour and no truncation, and "
        "times are ISO 8601 with their offset. NO_COLOR is honoured. JSON field names are only ever added, "
        "never renamed.\n"
    )


def _identity() -> str:
    return _(
        "Who you are: --user LOGIN, else CRM_USER, else 'user' in the config file, else your OS login.\n"
        "An unknown or disabled login is refused (exit 4).\n\n"
        "What this protects: colleagues working through crm see and change only what their roles and data "
        "scope allow, and every change is in the operation log under their name. It guards against "
        "mistakes and curiosity, not against someone determined.\n\n"
        "What it does not protect, today: crm does not authenticate anyone. --user and CRM_USER may name any "
        "login, so whoever can run crm against a database can act as anyone in it.\n"
        "SQLite: whoever can read the file can read all of it, with crm or any SQLite tool; whoever can "
        "write it can change anything, the operation log included. File permissions are the only lock.\n"
        "PostgreSQL: crm connects as the one database role named in CRM_DATABASE_URL, and that role reads "
        "and changes every table. crm does not give each person a database role of their own, so database "
        "roles do not keep one person's records from another; whoever has the URL and its password has all "
        "the data.\n"
        "Give the file, or the PostgreSQL password, only to people who may see everything. --read-only "
        "(CRM_READ_ONLY=1) makes a session refuse every change: a safety catch, not a permission.\n"
    )


# The example is a command line, the same in every language, so it stays outside _().
@app.command("help", help=_("Show a reference topic: exit-codes, dates, formats or identity.")
             + "\n\n  crm help exit-codes")
def help_(topic: str = typer.Argument(None, help=_("exit-codes, dates, formats or identity."))) -> None:
    from crmcli.errors import UsageError

    pages = {"exit-codes": _exit_codes, "dates": _dates, "formats": _formats, "identity": _identity}
    if topic is None:
        typer.echo(_("Topics: {topics}").format(topics=", ".join(TOPICS)))
        return
    if topic not in pages:
        raise UsageError(_("no help topic '{topic}'").format(topic=topic),
                         hint=_("one of: {choices}").format(choices=", ".join(TOPICS)))
    typer.echo(pages[topic]())
