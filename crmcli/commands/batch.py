"""``crm batch``: many crm commands in one process, one transaction per line.

Scripts that make thousands of changes pay the start-up cost once instead of
thousands of times.  Each line runs exactly as it would on the command line.
"""

from __future__ import annotations

import sys

import typer

from crmcli.commands._common import new_app, rt
from crmcli.i18n import _

app = new_app(_("Run commands from a file."), group=False)


@app.command("batch", help=_(
    "Run one crm command per line of FILE (or - for stdin) in one process. Blank lines, lines "
    "starting with # and trailing # comments are skipped; a leading 'crm' is optional. Each line is its own transaction. "
    "Stops at the first failing line unless --keep-going; the exit code is that of the first failure. "
    "Global options given to batch (--db, --user, --format, --quiet) apply to every line unless the line "
    "sets its own.\n\n"
    "Example:\n\n  printf 'user add ann --name Ann\\nuser add ben --name Ben\\n' | crm batch -"))
def batch(
    file: str = typer.Argument(..., metavar="FILE|-", help=_("The file of commands, or - for stdin.")),
    keep_going: bool = typer.Option(False, "--keep-going", help=_("Run the remaining lines after a failure.")),
) -> None:
    import shlex

    from crmcli.cli import run
    from crmcli.errors import CrmError, ExitCode

    parent = rt()
    if file == "-":
        lines = sys.stdin
    else:
        try:
            lines = open(file, encoding="utf-8")
        except OSError as exc:
            raise CrmError(_("cannot read {file}: {reason}").format(file=file, reason=exc.strerror)) from None
    prefix: list[str] = []
    if parent.db:
        prefix += ["--db", parent.db]
    if parent.user:
        prefix += ["--user", parent.user]
    if parent.fmt:
        prefix += ["--format", parent.fmt]
    if parent.quiet:
        prefix += ["--quiet"]
    if parent.yes:
        prefix += ["--yes"]
    first_failure = 0
    counts = {"ok": 0, "failed": 0}
    with lines:
        for number, raw in enumerate(lines, start=1):
            line = raw.strip()
            if not line or line.startswith("#"):
                continue
            try:
                argv = shlex.split(line, comments=True)
            except ValueError as exc:
                code = int(ExitCode.USAGE)
                sys.stderr.write(_("crm: line {n}: cannot read the line: {reason}").format(n=number, reason=exc) + "\n")
            else:
                if argv and argv[0] == "crm":
                    argv = argv[1:]
                if argv and argv[0] == "batch":
                    code = int(ExitCode.USAGE)
                    sys.stderr.write(_("crm: line {n}: batch cannot run batch").format(n=number) + "\n")
                else:
                    code = run(prefix + argv)
            if code == 0:
                counts["ok"] += 1
                if not parent.quiet:
                    sys.stderr.write(_("line {n}: ok").format(n=number) + "\n")
                continue
            counts["failed"] += 1
            first_failure = first_failure or code
            sys.stderr.write(_("line {n}: failed (exit {code})").format(n=number, code=code) + "\n")
            if not keep_going:
                break
    parent.message(_("{ok} lines ok, {failed} failed").format(**counts))
    if first_failure:
        raise typer.Exit(first_failure)
