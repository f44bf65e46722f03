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
    "Run one crm command per line of FILE (or - for stdin) in one process. FILE is UTF-8 (a byte-order "
    "mark is allowed). Blank lines, lines "
    "starting with # and trailing # comments are skipped; a leading 'crm' is optional. Each line is its own transaction. "
    "Stops at the first failing line unless --keep-going; the exit code is that of the first failure. "
    "Ctrl-C stops the batch at once, even with --keep-going (exit 130). "
    "Global options given to batch (--db, --user, --format, --quiet, --read-only) apply to every line unless the line "
    "sets its own.\n\n"
    "Example:\n\n  printf 'user add ann --name Ann\\nuser add ben --name Ben\\n' | crm batch -"))
def batch(
    file: str = typer.Argument(..., metavar="FILE|-", help=_("The file of commands, or - for stdin.")),
    keep_going: bool = typer.Option(False, "--keep-going", help=_("Run the remaining lines after a failure.")),
) -> None:
    from crmcli import shellwords
    from crmcli.cli import run
    from crmcli.errors import CrmError, ExitCode, Interrupted

    parent = rt()
    if file == "-":
        lines = getattr(sys.stdin, "buffer", sys.stdin)
    else:
        try:
            lines = open(file, "rb")
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
    if parent.read_only:
        prefix += ["--read-only"]
    first_failure = 0
    counts = {"ok": 0, "failed": 0}
    number = 0
    try:
        with lines:
            for number, raw in enumerate(lines, start=1):
                try:
                    line = _decode(raw, number)
                    argv = shellwords.split(line)
                except _Unreadable as exc:
                    code = int(ExitCode.VALIDATION)
                    sys.stderr.write(_("crm: line {n}: {reason}").format(n=number, reason=exc) + "\n")
                except ValueError as exc:
                    code = int(ExitCode.USAGE)
                    sys.stderr.write(_("crm: line {n}: cannot read the line: {reason}").format(
                        n=number, reason=exc) + "\n")
                else:
                    if not argv:  # blank, or only a comment
                        continue
                    if argv[0] == "crm":
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
    except Interrupted as exc:  # Ctrl-C: stop now, whatever --keep-going says, and say what was written
        raise Interrupted(committed=exc.committed or counts["ok"] > 0,
                          note=_interrupted_note(number, counts["ok"], exc)) from None
    parent.message(_("{ok} lines ok, {failed} failed").format(**counts))
    if first_failure:
        raise typer.Exit(first_failure)


class _Unreadable(ValueError):
    """A line that is not UTF-8 text."""


def _decode(raw: bytes | str, number: int) -> str:
    """One line as text: UTF-8, a byte-order mark on line 1 dropped, anything else refused (exit 6)."""
    if isinstance(raw, bytes):
        try:
            raw = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise _Unreadable(_("not UTF-8 text (byte 0x{byte:02x} at column {column}); save the file as UTF-8").format(
                byte=raw[exc.start], column=exc.start + 1)) from None
    if number == 1:
        raw = raw.removeprefix("\ufeff")
    return raw


def _interrupted_note(number: int, ok: int, exc: BaseException) -> str:
    """What Ctrl-C left behind: the interrupted line's own truth, and the lines committed before it."""
    committed = bool(getattr(exc, "committed", False))
    line_note = getattr(exc, "note", None) or (
        _("its change had already been saved") if committed else _("nothing of it was written"))
    return _("stopped at line {n} ({line}); {ok} earlier lines had completed").format(n=number, line=line_note, ok=ok)
