"""The command palette's "Run a crm command": any verb of the CLI, run in this process.

The command line goes to :func:`crmcli.cli.run` — the CLI itself, with its parsing, rules
and errors — as the session's user on the session's database, without prompts
(``--no-input``) and in plain text.  Its output and its error line come back as text.  A
read-only session runs only verbs that read.
"""

from __future__ import annotations

import io
import shlex
import sys
import threading
from dataclasses import dataclass

from crmcli.errors import PermissionDenied, UsageError
from crmcli.i18n import _

# verbs that only read: the ones a read-only session (crm tui --readonly) may run
READING = frozenset({"list", "show", "pipeline", "forecast", "today", "explain", "why", "members", "rules", "warn",
                     "simulate", "dupes", "aging", "due", "history", "customers", "leads", "funnel", "export",
                     "search", "help", "--help", "-h"})
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
        if self.readonly and not any(a in READING for a in args[:3]):
            raise PermissionDenied(_("this is a read-only session (crm tui --readonly): only commands that read run here"))
        argv = ["--db", self.rt.target().url, "--user", self.session.login if self.session else self.rt.login(),
                "--no-input", "--format", "plain", *args]
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
