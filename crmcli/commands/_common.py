"""Small helpers every command module shares (kept free of SQLAlchemy imports)."""

from __future__ import annotations

import sys
from typing import Any, Optional

import typer
from typer.core import TyperGroup
from typing_extensions import Annotated

from crmcli import runtime
from crmcli.i18n import _


def display_width(text: str) -> int:
    """Terminal columns of ``text`` (CJK characters take two), without importing Rich."""
    import unicodedata

    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def short_help(text: str, width: int = 66) -> str:
    """The first sentence of a help text (English '. ' or Chinese '。'), cut to ``width`` columns."""
    first = (text or "").strip().split("\n\n", 1)[0].replace("\n", " ")
    for stop in ("。", ". "):
        if stop in first:
            first = first.split(stop, 1)[0] + stop.strip()
    if display_width(first) <= width:
        return first
    out, used = "", 0
    for ch in first:
        used += display_width(ch)
        if used > width - 1:
            break
        out += ch
    return out + "…"


class CrmGroup(TyperGroup):
    """Sub-command listings that cut summaries at the first sentence in either language."""

    def format_commands(self, ctx: Any, formatter: Any) -> None:
        rows = []
        for name in self.list_commands(ctx):
            command = self.get_command(ctx, name)
            if command is not None and not command.hidden:
                rows.append((name, short_help(command.short_help or command.help or "")))
        if rows:
            with formatter.section(_("Commands")):
                formatter.write_dl(rows)


def new_app(help_text: str, *, group: bool = True, **kwargs: Any) -> typer.Typer:
    """A Typer sub-app with the project's settings (plain help: fast and script-friendly).

    ``group=False`` is for a module holding one command (``crm init``), which Typer then
    exposes as that command; a group stays a group even while it has one verb.
    """
    kwargs.setdefault("no_args_is_help", group)
    if group:
        kwargs.setdefault("cls", CrmGroup)
    app = typer.Typer(help=help_text, rich_markup_mode=None, pretty_exceptions_enable=False,
                      add_completion=False, context_settings={"help_option_names": ["-h", "--help"]}, **kwargs)
    if group:
        app.callback()(lambda: None)
    return app


def rt() -> runtime.Runtime:
    return runtime.get()


def read_ids(values: list[str]) -> list[str]:
    """Batch verbs take several ids, or ``-`` to read them from stdin (one per line or space-separated)."""
    if values == ["-"]:
        return [token for line in sys.stdin for token in line.split()]
    return values


def parse_when(text: str | None, due: bool = False) -> Any:
    """A time the user typed, in their zone, as UTC (``due``: a date alone means the end of that day)."""
    if text is None:
        return None
    from crmcli import dates

    return (dates.parse_due if due else dates.parse_datetime)(text, rt().timezone())


def parse_day(text: str | None) -> Any:
    """A calendar date the user typed, in their zone."""
    if text is None:
        return None
    from crmcli import dates

    return dates.parse_date(text, rt().timezone())


# The options of every ``follow`` command (lead, customer, contact, opp): one definition, one help text.
ViaOpt = Annotated[str, typer.Option("--via", help=_("phone, email, visit, sms, wechat or other."))]
NoteOpt = Annotated[str, typer.Option("--note", help=_("What was said or done."))]
AtOpt = Annotated[Optional[str], typer.Option("--at", metavar="WHEN", help=_("When it happened (default: now)."))]
NextOpt = Annotated[Optional[str], typer.Option("--next", metavar="WHEN", help=_("When to contact next."))]
