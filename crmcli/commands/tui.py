"""``crm tui``: the full-screen app over the same services as the CLI.

Textual is imported only inside the command, so ``crm --help`` and every other
command start without it (tests/test_startup.py checks ``sys.modules``).
"""

from __future__ import annotations

import typer

from crmcli.commands._common import new_app, rt
from crmcli.i18n import _

app = new_app(_("The full-screen app."), group=False)

VIEW_NAMES = ("pipeline", "today", "customers", "leads")


@app.command("tui", help=_(
    "Open the full-screen app: 1 pipeline, 2 today, 3 customers and the pool, 4 leads. "
    "? shows the keys of the current view, ctrl+p the command palette, esc goes back, q quits. "
    "Language, time zone and permissions are those of the CLI.\n\n"
    "Examples:\n\n  crm tui\n\n  crm tui --view leads\n\n  crm --user bob tui --readonly"))
def tui(
    readonly: bool = typer.Option(False, "--readonly", "--read-only", help=_("Change nothing: every key that writes is disabled.")),
    view: str = typer.Option("today", "--view", metavar="VIEW",
                             help=_("The view to open on: pipeline, today, customers or leads.")),
) -> None:
    import sys

    from crmcli.errors import UsageError

    if view not in VIEW_NAMES:
        raise UsageError(_("unknown view '{view}'").format(view=view),
                         hint=_("one of: {choices}").format(choices=", ".join(VIEW_NAMES)))
    if not (sys.stdin.isatty() and sys.stdout.isatty()):
        raise UsageError(_("crm tui needs a terminal"), hint=_("run it in a terminal, or use the crm commands in scripts"))
    from crmcli.tui.data import Data

    data = Data(rt(), readonly=readonly or rt().read_only)  # the database session refuses writes
    data.open()  # a missing database or an unknown user fails here, as one line, before the screen is taken over
    from crmcli.tui.app import CrmApp
    from crmcli.tui.crash import ended_on

    app = CrmApp(data, start=view)
    app.run()
    error = ended_on(app)  # an exception ended the app: exit 1 with one line and where the traceback is
    if error is not None:
        raise error
