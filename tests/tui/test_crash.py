"""A bug in the app is never silent: a background callback's error becomes a message, an error
that ends the app makes ``crm tui`` exit with 1 and one line naming the crash log."""

from __future__ import annotations

import os
import re
import select
import subprocess
import sys
import time
from typing import Any

import pytest

from tests.tui.conftest import pilot_test, settle, toast_messages

SIZE = (80, 24)


def _toasts(app: Any) -> list[str]:
    return toast_messages(app)


def _log() -> str:
    from crmcli.tui.crash import log_path

    return log_path().read_text(encoding="utf-8")


@pilot_test
async def test_a_bug_in_a_loaded_view_is_reported_not_swallowed(make_app, monkeypatch):
    """Before, the error stayed in the worker thread and the view sat on "Loading…" for ever."""
    from crmcli.tui.screens.today import TodayScreen

    def broken(self, page):
        raise RuntimeError("the today view broke")

    monkeypatch.setattr(TodayScreen, "show", broken)
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert app.is_running
        said = [t for t in _toasts(app) if "the today view broke" in t]
        assert said and said[0].startswith("internal error: RuntimeError: the today view broke")
        assert "tui-crash.log" in said[0]
    assert "RuntimeError: the today view broke" in _log()
    assert app.return_code in (None, 0)  # the app went on


@pilot_test
async def test_a_bug_in_a_forms_answer_is_reported(make_app, monkeypatch):
    """The snooze form's answer arrives through a push_screen callback."""
    from textual.widgets import Input

    from crmcli.tui.screens.today import TodayScreen

    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        monkeypatch.setattr(TodayScreen, "notify", lambda *a, **k: 1 / 0)
        await pilot.press("s")
        await settle(pilot)
        app.screen.query_one("#answer", Input).value = "tomorrow 09:00"
        await pilot.press("enter")
        await settle(pilot)
        assert app.is_running
        assert any(t.startswith("internal error: ZeroDivisionError") for t in _toasts(app)), _toasts(app)


@pilot_test
async def test_a_bug_in_a_timer_is_reported(make_app, monkeypatch):
    """The search box follows the typing from a timer."""
    from crmcli.tui.screens import search_box
    from crmcli.tui.screens.leads import LeadsScreen

    def broken(self, text):
        raise KeyError("search broke")

    monkeypatch.setattr(search_box, "SEARCH_DELAY", 0.001)
    monkeypatch.setattr(LeadsScreen, "search_for", broken)
    app = make_app(start="leads")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("slash", "x")
        await settle(pilot)
        assert app.is_running
        assert any("KeyError" in t and "search broke" in t for t in _toasts(app)), _toasts(app)


@pilot_test
async def test_an_error_that_ends_the_app_is_kept_for_the_exit_line(make_app, monkeypatch):
    from crmcli.tui.app import CrmApp
    from crmcli.tui.crash import ended_on

    monkeypatch.setattr(CrmApp, "action_keys", lambda self: 1 / 0)
    app = make_app()
    with pytest.raises(ZeroDivisionError):
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            await pilot.press("question_mark")
            await settle(pilot)
    assert app.return_code == 1
    error = ended_on(app)
    assert error is not None and error.exit_code == 1
    assert error.message == "internal error: ZeroDivisionError: division by zero"
    assert "tui-crash.log" in error.hint
    assert "ZeroDivisionError" in _log()


@pytest.mark.skipif(sys.platform == "win32", reason="needs a POSIX pseudo-terminal")
def test_crm_tui_exits_non_zero_with_one_line_when_the_app_crashes(db_url, tmp_path):
    """In a real terminal: the crash ends ``crm tui`` with 1 and one line, not 0 and a traceback of locals."""
    import fcntl
    import pty
    import struct
    import termios

    env = {**os.environ, "CRM_DATABASE_URL": db_url, "CRM_USER": "admin", "CRM_LANG": "en",
           "TERM": "xterm-256color", "XDG_DATA_HOME": str(tmp_path / "data")}
    env.pop("CRM_DEBUG", None)
    program = ("import sys; import crmcli.tui.app as a; "
               "a.CrmApp.action_keys = lambda self: 1 / 0; "
               "sys.argv = ['crm', 'tui', '--view', 'leads']; "
               "from crmcli.cli import main; main()")
    leader, follower = pty.openpty()
    fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))
    proc = subprocess.Popen([sys.executable, "-c", program], stdin=follower, stdout=follower,
                            stderr=follower, env=env, close_fds=True)
    os.close(follower)
    seen = b""
    try:
        deadline = time.monotonic() + 60
        while b"Follow up" not in seen:
            assert time.monotonic() < deadline, seen[-2000:]
            ready, _w, _x = select.select([leader], [], [], 0.5)
            if ready:
                seen += os.read(leader, 65536)
        os.write(leader, b"?")
        seen = b""
        while True:  # read to the end (the app draws on stderr; the exit line follows its last frame)
            assert time.monotonic() < deadline + 30
            ready, _w, _x = select.select([leader], [], [], 0.5)
            if ready:
                try:
                    chunk = os.read(leader, 65536)
                except OSError:
                    break
                if not chunk:
                    break
                seen += chunk
            elif proc.poll() is not None:
                break
        code = proc.wait(timeout=30)
        after = seen.rsplit(b"\x1b[?1049l", 1)[-1].decode()  # what was written after the screen was given back
        err = re.sub(r"\x1b\[[?0-9;]*[a-zA-Z]", "", after)  # Textual's last mode switches
    finally:
        if proc.poll() is None:
            proc.kill()
        os.close(leader)
    assert code == 1, err
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1, err
    assert lines[0].startswith("crm: error: internal error: ZeroDivisionError: division by zero (hint: the details are in ")
    assert lines[0].endswith("tui-crash.log)")
    assert (tmp_path / "data" / "crmcli" / "tui-crash.log").exists()
