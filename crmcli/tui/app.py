"""``crm tui``: the four views as Textual modes, and the keys that work everywhere.

Each view is a mode with its own screen stack (a lead opened from the list is
pushed on the leads stack, so ``esc`` comes back to the list and ``4`` from
another view returns to where you were).  ``?`` lists the current view's keys,
``ctrl+p`` offers the same actions in Textual's command palette.
"""

from __future__ import annotations

from functools import partial
from pathlib import Path
from typing import Any, Iterable

from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.command import CommandPalette
from textual.notifications import SeverityLevel
from textual.screen import Screen

from crmcli.i18n import N_, _
from crmcli.tui.crash import debug, guarded, write_log
from crmcli.tui.data import Data
from crmcli.tui.keys import localise
from crmcli.tui.safe import clean
from crmcli.tui.screens.customers import CustomersScreen
from crmcli.tui.screens.key_help import KeysScreen
from crmcli.tui.screens.leads import LeadsScreen
from crmcli.tui.screens.pipeline import PipelineScreen
from crmcli.tui.screens.today import TodayScreen
from crmcli.tui.views import BY_NAME, VIEWS


class CrmApp(App[None]):
    TITLE = "crm"
    CSS_PATH = "app.tcss"
    MODES = {"pipeline": PipelineScreen, "today": TodayScreen, "customers": CustomersScreen,
             "leads": LeadsScreen}
    DEFAULT_MODE = "today"
    BINDINGS = [
        *[Binding(view.key, f"switch_view('{view.name}')", view.title, show=False, id=f"view.{view.name}")
          for view in VIEWS],
        Binding("question_mark", "keys", N_("Keys"), id="app.keys"),
        Binding("q", "quit", N_("Quit"), id="app.quit"),
        Binding("ctrl+p", "command_palette", N_("Commands"), show=False, priority=True, id="app.command_palette"),
    ]

    def __init__(self, data: Data, start: str | None = None) -> None:
        if start:
            self.DEFAULT_MODE = start  # the view to open on (read by App.__init__; the class keeps its own)
        super().__init__()
        self.data = data
        self.readonly = data.readonly
        self.crash: BaseException | None = None  # what ended the app, if anything did
        self.crash_log: Path | None = None
        localise(self)

    # -- data is never markup; bugs are reported -----------------------------------------

    def notify(self, message: str, *, title: str = "", severity: SeverityLevel = "information",
               timeout: float | None = None, markup: bool = True) -> None:
        """Every toast is plain text: messages carry names and service errors (``[VIP]`` stays ``[VIP]``)."""
        super().notify(clean(message), title=clean(title), severity=severity, timeout=timeout, markup=False)

    def push_screen(self, screen: Any, callback: Any = None, wait_for_dismiss: bool = False, *,
                    mode: str | None = None) -> Any:
        """As Textual's, with a bug in ``callback`` (a form's answer arriving) reported, not lost."""
        if callback is not None:
            callback = guarded(self, callback)
        return super().push_screen(screen, callback, wait_for_dismiss=wait_for_dismiss, mode=mode)

    def _handle_exception(self, error: Exception) -> None:
        """An exception that ends the app: keep it for ``crm tui``'s exit line, its traceback in the crash log."""
        if self.crash is None:
            self.crash = error
            self.crash_log = write_log(error)
        super()._handle_exception(error)

    def _print_error_renderables(self) -> None:
        """Textual would print the traceback with its local variables (customers' data); crm prints one line."""
        if self.crash is not None and not debug():
            self._exit_renderables.clear()
            return
        super()._print_error_renderables()

    # -- views ------------------------------------------------------------------------

    def action_switch_view(self, name: str) -> None:
        if name in BY_NAME and self.current_mode != name:
            self.switch_mode(name)

    def current_view_title(self) -> str:
        screen = self.screen
        view = BY_NAME.get(getattr(screen, "VIEW", "") or self.current_mode)
        return _(view.title) if view else ""

    # -- keys and commands ------------------------------------------------------------

    def _bindings_here(self, screen: Screen) -> tuple[list[tuple[str, str, Any, Any]], list[tuple[str, str, Any, Any]]]:
        """(key, description, binding, namespace) of the screen's own keys, and of the app's."""
        here, everywhere = [], []
        for key, active in screen.active_bindings.items():
            binding = active.binding
            if not binding.id or not binding.description:  # Textual's built-in keys are not ours to list
                continue
            row = (self.get_key_display(binding), binding.description, binding, active.node)
            (everywhere if active.node is self else here).append(row)
        views = [(view.key, _(view.title)) for view in VIEWS]
        everywhere = [(k, d, b, n) for k, d, b, n in everywhere if not b.id.startswith("view.")]
        return here, [(k, d, None, None) for k, d in views] + everywhere

    def action_keys(self) -> None:
        if isinstance(self.screen, KeysScreen):
            return
        here, everywhere = self._bindings_here(self.screen)
        self.push_screen(KeysScreen(self.current_view_title(), [(k, d) for k, d, _b, _n in here],
                                    [(k, d) for k, d, _b, _n in everywhere]))

    def action_command_palette(self) -> None:
        if self.use_command_palette and not CommandPalette.is_open(self):
            self.push_screen(CommandPalette(placeholder=_("Search for a command…"), id="--command-palette"))

    def action_run_command(self, line: str = "") -> None:
        """Ask for a crm command line, run it through the CLI off the UI thread, and show what it printed."""
        from crmcli.tui.screens.ask import AskScreen
        from crmcli.tui.screens.cli_output import CliOutputScreen

        data = self.data

        def ran(result) -> None:
            if result is not None:  # the view below reloads when the output closes: changes show at once
                self.push_screen(CliOutputScreen(result))

        self.push_screen(AskScreen(_("Run a crm command"), "crm", data.run_cli, value=line,
                                   placeholder=_("e.g. opp list --stage proposal"), button=_("Run")), ran)

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        """The palette offers the views and the current view's actions (translated, with their keys)."""
        for view in VIEWS:
            yield SystemCommand(_("Go to {view}").format(view=_(view.title)), _("key {key}").format(key=view.key),
                                partial(self.action_switch_view, view.name))
        here, _everywhere = self._bindings_here(screen)
        for key, description, binding, namespace in here:
            if not binding.show:
                continue  # moving the cursor is not a command
            yield SystemCommand(description, _("key {key}").format(key=key),
                                partial(self.run_action, binding.action, namespace))
        yield SystemCommand(_("Run a crm command…"), _("any verb of the CLI, e.g. opp list --stage proposal"),
                            self.action_run_command)
        yield SystemCommand(_("Keys"), _("key {key}").format(key="?"), self.action_keys)
        yield SystemCommand(_("Quit"), _("key {key}").format(key="q"), self.action_quit)
