"""The ``crm`` entry point: global options, lazy command groups, errors and exit codes.

Command groups are imported only when used, and their modules import the
store and services only inside commands, so ``crm --help`` and completion never
load SQLAlchemy or Textual (a test checks ``sys.modules``).
"""

from __future__ import annotations

import os
import sys
from contextvars import ContextVar
from typing import Any, get_args, get_origin

import typer
from typer import _click as click
from typer import exceptions as typer_exceptions
from typer.core import TyperGroup

from crmcli import i18n, interrupts, runtime, settings
from crmcli.errors import CrmError, ExitCode, Interrupted, UsageError
from crmcli.i18n import N_, _

# noun -> (module, one-line help); the order is the order of `crm --help`.
GROUPS: dict[str, tuple[str, str]] = {
    "init": ("crmcli.commands.init", N_("Create the database, the top department, roles and you as administrator.")),
    "demo": ("crmcli.commands.demo", N_("Fill a new database with a realistic demo organisation.")),
    "dept": ("crmcli.commands.dept", N_("Departments: add, list, rename, move.")),
    "user": ("crmcli.commands.user", N_("Users: add, list, show, edit, disable, enable.")),
    "role": ("crmcli.commands.role", N_("Roles: permissions and data scope.")),
    "lead": ("crmcli.commands.lead", N_("Leads (线索): add, list, follow up, assign, qualify, convert.")),
    "field": ("crmcli.commands.field", N_("Custom fields of leads, customers and contacts: add, list, remove.")),
    "customer": ("crmcli.commands.customer", N_("Customers (客户): 360 view, team, transfer, lock, dedupe, merge.")),
    "contact": ("crmcli.commands.contact", N_("Contacts (联系人): the people at a customer.")),
    "pool": ("crmcli.commands.pool", N_("The public pool (公海) and lead pool: claim, assign, return, recycle.")),
    "opp": ("crmcli.commands.opp", N_("Opportunities (商机): stages, win, lose, the pipeline and the forecast.")),
    "stage": ("crmcli.commands.stage", N_("Sales stages: the ordered steps of an opportunity, with win probabilities.")),
    "product": ("crmcli.commands.product", N_("Products (产品): the catalog, categories and pricing rules.")),
    "quote": ("crmcli.commands.quote", N_("Quotes (报价单): line items, totals, send, accept, reject.")),
    "contract": ("crmcli.commands.contract", N_("Contracts (合同): approval, receivable plans, payments, invoices.")),
    "approval": ("crmcli.commands.approval", N_("Approvals (审批): flows, what waits for you, approve, reject.")),
    "receivable": ("crmcli.commands.receivable", N_("Receivables (应收): instalments due or overdue, aging.")),
    "currency": ("crmcli.commands.currency", N_("Currencies and exchange rates.")),
    "today": ("crmcli.commands.today", N_("Today's work: due tasks, follow-ups, events.")),
    "task": ("crmcli.commands.task", N_("Tasks (任务): inbox, today, next, later; urgency, recurrence, snooze.")),
    "event": ("crmcli.commands.event", N_("Events (日程): add, edit, cancel; conflicts between participants.")),
    "cal": ("crmcli.commands.cal", N_("A calendar of events and tasks by day, week or month; ICS export.")),
    "remind": ("crmcli.commands.remind", N_("Deliver due reminders once each, by email or stdout (for cron).")),
    "why": ("crmcli.commands.why", N_("Explain why a user may or may not see and change a record.")),
    "audit": ("crmcli.commands.audit", N_("The operation log: who changed what, when, through which command.")),
    "db": ("crmcli.commands.db", N_("The database: info, upgrade, backup, restore.")),
    "config": ("crmcli.commands.config", N_("Your settings: output format, time zone, language.")),
    "batch": ("crmcli.commands.batch", N_("Run many crm commands from a file in one process.")),
    "tui": ("crmcli.commands.tui", N_("The full-screen app: pipeline, today, customers and leads.")),
    "help": ("crmcli.commands.help", N_("Reference topics: exit codes, dates, formats.")),
}

# Options that may appear anywhere on the line (they are hoisted before the noun).
_HOISTED_FLAGS = {"--json", "--quiet", "-q", "--yes", "-y", "--no-input"}
_HOISTED_VALUED = {"--format"}


class LazyGroup(TyperGroup):
    """A group whose sub-commands are imported on first use."""

    def list_commands(self, ctx: Any) -> list[str]:
        return list(GROUPS)

    _built: dict[str, Any] = {}

    def get_command(self, ctx: Any, name: str) -> Any:
        """Import the noun's module on first use; built commands are kept for ``crm batch``."""
        entry = GROUPS.get(name)
        if entry is None:
            return None
        command = self._built.get(name)
        if command is None:
            import importlib

            module = importlib.import_module(entry[0])
            command = typer.main.get_command(module.app)
            command.name = name
            self._built[name] = command
        return command

    def format_commands(self, ctx: Any, formatter: Any) -> None:
        rows = [(name, _(help_text)) for name, (_module, help_text) in GROUPS.items()]
        with formatter.section(_("Commands")):
            formatter.write_dl(rows)

    def shell_complete(self, ctx: Any, incomplete: str) -> list[Any]:
        from typer._click.shell_completion import CompletionItem

        nouns = [CompletionItem(name, help=_(help_text)) for name, (_m, help_text) in GROUPS.items()
                 if name.startswith(incomplete)]
        return nouns + click.Command.shell_complete(self, ctx, incomplete)  # and the global options


ROOT_HELP = N_(
    "crm — a CRM that lives in the terminal.\n\n"
    "Grammar: crm NOUN VERB [IDS...] [OPTIONS]. Global options go before the noun; "
    "--format, --json, --quiet, --yes and --no-input may also go anywhere.\n\n"
    "Examples:\n\n"
    "  crm init\n\n"
    "  crm user add bob --name 'Bob Li' --dept Sales --role sales_rep\n\n"
    "  crm --user bob user list --json\n\n"
    "Exit codes: crm help exit-codes. Dates: crm help dates."
)

app = typer.Typer(
    cls=LazyGroup,
    rich_markup_mode=None,
    pretty_exceptions_enable=False,
    add_completion=True,
    no_args_is_help=True,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _show_version(value: bool) -> None:
    """Eager, so ``crm --version`` works without a command."""
    if value:
        from crmcli import __version__

        sys.stdout.write(f"crm {__version__}\n")
        raise typer.Exit(0)


@app.callback(help=ROOT_HELP)
def root(
    db: str = typer.Option(None, "--db", envvar="CRM_DATABASE_URL", metavar="URL",
                           help=N_("Database: a SQLite path or URL, or postgresql+psycopg://… (env CRM_DATABASE_URL).")),
    user: str = typer.Option(None, "--user", envvar="CRM_USER", metavar="LOGIN",
                             help=N_("Act as this user (env CRM_USER; default: config, then your OS login).")),
    fmt: str = typer.Option(None, "--format", metavar="FORMAT",
                            help=N_("Output: table, plain, tsv, csv, json, jsonl or ids.")),
    as_json: bool = typer.Option(False, "--json", help=N_("Short for --format json.")),
    quiet: bool = typer.Option(False, "--quiet", "-q", help=N_("No messages on stderr, only data and errors.")),
    yes: bool = typer.Option(False, "--yes", "-y", help=N_("Answer yes to confirmations (needed without a terminal).")),
    no_input: bool = typer.Option(False, "--no-input", help=N_("Never prompt; fail instead.")),
    read_only: bool = typer.Option(False, "--read-only", envvar="CRM_READ_ONLY",
                                   help=N_("Refuse every change: the database session is read-only (env CRM_READ_ONLY=1).")),
    version: bool = typer.Option(False, "--version", is_eager=True, callback=_show_version,
                                 help=N_("Show the version and exit.")),
) -> None:
    rt = runtime.get()
    rt.db = db
    rt.user = user
    rt.quiet = quiet
    rt.yes = yes
    rt.no_input = no_input
    rt.read_only = read_only or rt.read_only
    if as_json:
        fmt = "json"
    if fmt is not None:
        try:
            rt.fmt = settings.KEYS["format"].check(fmt)
        except CrmError as exc:  # a bad option value is a usage error, like a malformed --db URL
            raise UsageError(exc.message, hint=exc.hint) from None


def hoist_global_options(argv: list[str]) -> list[str]:
    """Move --json/--format/--quiet/--yes/--no-input found after the noun to the front."""
    front: list[str] = []
    rest: list[str] = []
    i = 0
    while i < len(argv):
        token = argv[i]
        if token == "--":
            rest.extend(argv[i:])
            break
        if token in _HOISTED_FLAGS:
            front.append(token)
        elif token in _HOISTED_VALUED and i + 1 < len(argv):
            front.extend(argv[i:i + 2])
            i += 1
        elif token.split("=", 1)[0] in _HOISTED_VALUED and "=" in token:
            front.append(token)
        else:
            rest.append(token)
        i += 1
    return front + rest


def _setup_language() -> str:
    """Pick the language before any help text is built; returns where it came from."""
    configured = None
    if not os.environ.get("CRM_LANG"):
        try:
            configured = settings.get("language")
        except CrmError:
            configured = None
    i18n.set_language(i18n.detect_language(configured))
    if os.environ.get("CRM_LANG") and i18n.normalise_language(os.environ["CRM_LANG"]):
        return "env"
    return "config" if configured else "os"


def _error_line(message: str, hint: str | None = None) -> None:
    text = _("crm: error: {message}").format(message=message)
    if hint:
        text += " " + _("(hint: {hint})").format(hint=hint)
    from crmcli.printable import clean  # an error may quote data: never a terminal command

    sys.stderr.write(clean(text) + "\n")


_root: Any = None


def command_line(prog: str, argv: list[str]) -> str:
    """The command as the operation log records it: shell-quoted, passwords in URLs hidden."""
    import re
    import shlex

    return " ".join(shlex.quote(re.sub(r"(://[^:/@\s]+):[^@\s]*@", r"\1:***@", a)) for a in [prog, *argv])


def _root_command() -> Any:
    global _root
    if _root is None:
        _defer_coercion()
        from crmcli import helpformat

        helpformat.install()
        _root = typer.main.get_command(app)
        # The root's texts are English msgids; translate them now that the language is known.
        _root.help = _(ROOT_HELP)
        for param in _root.params:
            if getattr(param, "help", None):
                param.help = _(param.help)
    return _root


def _defer_coercion() -> None:
    """Let values that Typer's coercion cannot change skip it, and with it pydantic.

    Typer 0.29 builds a pydantic TypeAdapter for every parameter it processes, absent
    ones included; the first one imports pydantic (~120 ms), which alone made
    ``crm user --help`` and completion twice as slow, and each adapter costs a few ms
    on every command.  Absent values, strings for ``str`` parameters and strings for
    ``List[str]`` ones come out of those adapters unchanged, so they skip them; any
    other value is coerced by Typer's own code, built on first use exactly as before.
    """
    from dataclasses import dataclass

    from typer import core as typer_core

    build = getattr(typer_core, "build_runtime_param", None)
    base = getattr(sys.modules.get("typer._coercion"), "RuntimeParam", None)
    if build is None or base is None or getattr(build, "crm_deferred", False):
        return  # another Typer, or already done: leave its coercion alone

    @dataclass(frozen=True)
    class Deferred(base):  # type: ignore[misc, valid-type]
        descriptor: Any = None

        def coerce(self, value: Any, param: Any, ctx: Any) -> Any:
            multi = param.multiple or param.nargs == -1
            if value is None:
                return () if multi else None
            if self.parameter_info.parser is None and self.descriptor.file_annotation is None:
                if self.annotation is str and not multi and isinstance(value, str):
                    return value
                if (multi and get_origin(self.annotation) is list and get_args(self.annotation) == (str,)
                        and isinstance(value, (list, tuple)) and all(isinstance(v, str) for v in value)):
                    return list(value)
            real = build(self.descriptor)
            param._runtime_param = real
            return real.coerce(value, param=param, ctx=ctx)

        def _coerce_value(self, value: Any, param: Any, ctx: Any) -> Any:  # pragma: no cover
            raise NotImplementedError

    def deferred(descriptor: Any) -> Any:
        return Deferred(parameter_info=descriptor.parameter_info, annotation=descriptor.annotation,
                        descriptor=descriptor)

    deferred.crm_deferred = True  # type: ignore[attr-defined]
    typer_core.build_runtime_param = deferred


_nested: ContextVar[bool] = ContextVar("crm_nested_run", default=False)


def run(argv: list[str], *, prog: str = "crm") -> int:
    """Run one command line in this process and return its exit code (used by main and batch).

    Ctrl-C while it runs ends as one line saying whether anything was written, exit 130
    (``crmcli/interrupts.py``).  A line run by ``crm batch`` does not print it: the
    interrupt goes on to the batch, which stops at once and adds the line number.
    """
    rt = runtime.Runtime(command_line=command_line(prog, argv))
    token = runtime.current.set(rt)
    nested = _nested.get()
    nested_token = _nested.set(True)
    Interrupted.last = None
    try:
        with interrupts.installed():
            code = _run(rt, argv, prog)
            if Interrupted.last is not None:  # Typer made it a silent exit 130
                raise Interrupted.last
            return code
    except KeyboardInterrupt as exc:
        if nested:
            raise Interrupted(committed=rt.committed, note=rt.commit_note) from None
        committed = rt.committed or bool(getattr(exc, "committed", False))
        sys.stderr.write(interrupts.message(committed, getattr(exc, "note", None) or rt.commit_note) + "\n")
        return int(ExitCode.INTERRUPTED)
    finally:
        _nested.reset(nested_token)
        runtime.current.reset(token)


def _reader_went_away() -> int:
    """The command's reader closed the pipe (``| head``): what it wanted was written; exit 0."""
    try:
        sys.stdout = open(os.devnull, "w")
    except OSError:
        pass
    return 0


def _debug() -> bool:
    return os.environ.get("CRM_DEBUG", "") not in ("", "0")


def _run(rt: runtime.Runtime, argv: list[str], prog: str) -> int:
    try:
        rt.language_source = _setup_language()
        command = _root_command()
        if any("\x00" in arg for arg in argv):  # no program gets one from a shell; crm batch lines could
            raise UsageError(_("an argument may not contain a NUL character (\\0)"))
        result = command.main(args=hoist_global_options(argv), prog_name=prog, standalone_mode=False)
        return int(result) if isinstance(result, int) else 0
    except CrmError as exc:
        if exc.debug and _debug():
            sys.stderr.write(exc.debug.rstrip() + "\n")
        _error_line(exc.message, exc.hint)
        return int(exc.exit_code)
    except typer_exceptions.Exit as exc:
        return int(exc.exit_code)
    except typer_exceptions.Abort as exc:
        if isinstance(exc.__context__, KeyboardInterrupt):
            raise exc.__context__ from None
        sys.stderr.write(_("crm: interrupted") + "\n")  # end of input at a prompt
        return int(ExitCode.INTERRUPTED)
    except click.exceptions.NoArgsIsHelpError as exc:
        sys.stderr.write(exc.ctx.get_help() + "\n" if getattr(exc, "ctx", None) else "")
        return int(ExitCode.USAGE)
    except click.exceptions.ClickException as exc:
        sub = exc.ctx.command_path if getattr(exc, "ctx", None) else prog
        _error_line(exc.format_message(), _("see {command} --help").format(command=sub))
        return int(exc.exit_code)
    except BrokenPipeError:
        return _reader_went_away()
    except SystemExit as exc:
        # Typer answers a broken pipe inside a command (``crm today | head -1`` while crm still
        # writes) with exit 1 and a wrapped stdout; for crm the reader leaving is not an error
        if exc.code == 1 and isinstance(sys.stdout, click.utils.PacifyFlushWrapper):
            return _reader_went_away()
        raise
    except Exception as exc:  # a bug: keep it to one line unless asked
        if _debug():
            raise
        database_error = _database_error(rt, exc)
        if database_error is not None:
            _error_line(database_error.message, database_error.hint)
            return int(database_error.exit_code)
        _error_line(_("internal error: {kind}: {detail}").format(kind=type(exc).__name__, detail=_first_line(exc)),
                    _("run again with CRM_DEBUG=1 for the traceback"))
        return int(ExitCode.ERROR)


def _first_line(exc: BaseException) -> str:
    """An exception's first line: SQLAlchemy's messages go on with the SQL and its parameters."""
    lines = [line for line in str(exc).strip().splitlines() if line.strip()]
    return lines[0].strip() if lines else ""


def _database_error(rt: runtime.Runtime, exc: BaseException) -> CrmError | None:
    """A driver error that escaped a command's transaction, as the runtime would have said it."""
    kinds = tuple(k for k in (getattr(sys.modules.get("sqlalchemy.exc"), "DBAPIError", None),
                              getattr(sys.modules.get("sqlite3"), "Error", None)) if k is not None)
    if not kinds:
        return None
    cause: BaseException | None = exc
    while cause is not None and not isinstance(cause, kinds):
        cause = cause.__cause__ or cause.__context__
    if cause is None:
        return None
    from crmcli.store.engine import describe_db_error

    try:
        target = rt.target()
    except CrmError:
        return None
    if rt.read_only:
        from crmcli.store.engine import is_read_only_error

        if is_read_only_error(cause):
            return runtime.read_only_error()
    return describe_db_error(target, cause)


def _before_exit() -> None:
    """Close the database, then spare the interpreter's shutdown a full garbage collection.

    At exit Python runs the cycle collector over every object still alive, and after
    SQLAlchemy, pydantic and the SQLModel tables are loaded that pass cost ~250 ms, a
    quarter of ``crm user list``.  Connections are closed here explicitly (so SQLite
    still checkpoints its WAL); ``gc.freeze()`` then leaves the remaining objects to
    the operating system.  Only the ``crm`` process does this, never ``run()``.
    """
    import gc

    store = sys.modules.get("crmcli.store.engine")
    if store is not None:
        try:
            store.dispose_all()
        except Exception:  # noqa: BLE001 - exiting anyway; the OS closes what is left
            pass
    gc.freeze()


def main() -> None:
    code = run(sys.argv[1:])
    try:
        sys.stdout.flush()
    except BrokenPipeError:
        pass
    _before_exit()
    sys.exit(code)
