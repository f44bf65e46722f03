"""Data is never a terminal command: control characters shown the way ``cat -v`` shows them.

Neither Rich, Textual nor a plain ``write`` removes the terminal's escape character, so a
customer named ``\\x1b[2J`` would clear the screen of whoever lists it, and an OSC sequence
could retitle their window or write to their clipboard.  Every text a person reads — tables,
records, messages and errors on the command line (``crmcli/output.py``, ``crmcli/cli.py``),
every widget of the full-screen app (``crmcli/tui/safe.py``) — passes through :func:`clean`.
Tab and newline are kept (layout is the writer's job); JSON and CSV keep the data exactly.

Small and free of imports on purpose: the CLI's error path and the TUI both load it.
"""

from __future__ import annotations

import re
from typing import Any

# C0 controls but tab and newline, DEL, and the C1 controls (0x9b is a one-byte CSI)
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def _caret(match: re.Match[str]) -> str:
    code = ord(match.group())
    if code == 0x7F:
        return "^?"
    if code >= 0x80:
        return "M-^" + chr(code - 0x80 + 0x40)
    return "^" + chr(code + 0x40)


def clean(value: Any) -> str:
    """``value`` as a string whose control characters are visible (``^[``) instead of obeyed."""
    string = "" if value is None else str(value)
    if not _CONTROL.search(string):
        return string
    return _CONTROL.sub(_caret, string.replace("\r\n", "\n"))
