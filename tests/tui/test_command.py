"""``crm tui`` as a command: its refusals, and a real start in a pseudo-terminal."""

from __future__ import annotations

import os
import select
import subprocess
import sys
import time

import pytest


def test_without_a_terminal_it_refuses(crm):
    result = crm("tui")
    assert result.code == 2
    assert "crm tui needs a terminal" in result.err


def test_an_unknown_view_is_a_usage_error(crm):
    result = crm("tui", "--view", "kanban")
    assert result.code == 2
    assert "unknown view 'kanban'" in result.err


def test_textual_is_imported_only_by_the_app_itself(db_url):
    """Refusing (no terminal) happens before Textual is imported: the command module stays light."""
    from tests.test_startup import in_fresh_process

    result = in_fresh_process(["--db", db_url, "--user", "admin", "tui"])
    assert result["code"] == 2, result
    assert "textual" not in result["loaded"]


@pytest.mark.skipif(sys.platform == "win32", reason="needs a POSIX pseudo-terminal")
def test_it_starts_in_a_terminal_and_q_quits(db_url):
    """The full-screen app comes up in a real (pseudo-)terminal at 80x24 and quits on q."""
    import fcntl
    import pty
    import struct
    import termios

    env = {**os.environ, "CRM_DATABASE_URL": db_url, "CRM_USER": "admin", "CRM_LANG": "en",
           "TERM": "xterm-256color", "CRM_NOW": "2026-11-20T09:30:00+08:00"}
    env.pop("NO_COLOR", None)
    leader, follower = pty.openpty()
    fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))
    proc = subprocess.Popen([sys.executable, "-m", "crmcli", "tui", "--view", "leads"], stdin=follower,
                            stdout=follower, stderr=follower, env=env, close_fds=True)
    os.close(follower)
    seen = b""
    try:
        deadline = time.monotonic() + 60
        while b"Leads" not in seen or b"Follow up" not in seen:
            assert time.monotonic() < deadline, seen[-2000:]
            ready, _w, _x = select.select([leader], [], [], 0.5)
            if ready:
                try:
                    seen += os.read(leader, 65536)
                except OSError:
                    break
        os.write(leader, b"q")
        assert proc.wait(timeout=30) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
        os.close(leader)
