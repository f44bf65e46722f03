"""The command palette's "Run a crm command": any verb of the CLI, run in this process.

The command line goes to :func:`crmcli.cli.run` — the CLI itself, with its parsing, rules
and errors — as the session's user on the session's database, without prompts
(``--no-input``) and in plain text.  Its output and its error line come back as text.  In a
read-only session the command line gets the CLI's ``--read-only``: whatever the verb, the
database session refuses to write (exit 4, "this session is read-only").
"""

from __future__ import annotations

import io
import shlex
import sys
import threading
from dataclasses import dataclass

from crmcli.errors import UsageError
from crmcli.i18n import _

_lock = threading.Lock()  # one command at a time: it borrows this process's stdout and stderr


@dataclass(frozen=True)
class CliResult:
    command: str
    code: int
    out: str
    err: str


class CliData:
    """Mixed into :class:`crmcli.tui.data.Data`."""

    def run_cli(self, line: str) -> CliResult:
        from crmcli import i18n
        from crmcli.cli import run

        text = line.strip()
        if text.startswith("crm "):
            text = text[4:]
        try:
            args = shlex.split(text)
        except ValueError as exc:
            raise UsageError(str(exc)) from None
        if not args:
            raise UsageError(_("type a crm command, e.g. opp list --stage proposal"))
        if args[0] == "tui":
            raise UsageError(_("crm tui is already running"))
        argv = ["--db", self.rt.target().url, "--user", self.session.login if self.session else self.rt.login(),
                "--no-input", "--format", "plain", *(["--read-only"] if self.readonly else []), *args]
        language = i18n.current_language()
        with _lock:
            saved = sys.stdin, sys.stdout, sys.stderr
            sys.stdin, sys.stdout, sys.stderr = io.StringIO(""), io.StringIO(), io.StringIO()
            try:
                code = run(argv)
                out, err = sys.stdout.getvalue(), sys.stderr.getvalue()
            finally:
                sys.stdin, sys.stdout, sys.stderr = saved
                i18n.set_language(language)
        return CliResult("crm " + text, code, out, err)
